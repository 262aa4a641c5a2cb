/*
 * Whose lines are these? The proof that a source's lines were written by
 * this job, which the live driver needs before a verdict may act on the job.
 *
 * gh-aw writes fixed paths (/tmp/gh-aw/agent-stdio.log, the firewall's
 * logs): every runner of a machine, and any local user who gets there
 * first, can write the file breaker follows. A line proves nothing by
 * itself; its file's writers do. A source's current file is attributed to
 * this job when one of these holds (checked in /proc, where
 * /proc/PID/fdinfo/N gives each descriptor's access mode):
 *
 * - WRITER: a process of this job (its RUNNER_TRACKING_ID, under this
 *   daemon's own Runner.Worker; see proc.h) holds the file open for
 *   writing, as `tee -a` does for gh-aw's agent step, and no other process
 *   that breaker can see in its own pid namespace does.
 * - AWF: no process of this job writes it, but it is the firewall's: this
 *   job's own `awf` is running, no other awf is visible, no host process
 *   outside the job writes the file, and either it was created after the
 *   job started (statx birth time) or a container process (another pid
 *   namespace: Squid, the api-proxy) holds it for writing.
 *
 * In both cases the file must not be world-writable and must belong to
 * root, to the job's user or to the user of the writer found. Anything
 * else is no proof, and the reason is kept for the verdict.
 *
 * A scan reads every process's fd table: milliseconds, more than the whole
 * budget from a fatal line to the first signal. So, like proc_ready, the
 * proof is kept found ahead of need: owner_refresh() (called as lines
 * arrive) rescans at most once a second, and owner_check() (called when a
 * verdict is about to act) only re-verifies it: the writer still lives and
 * still holds the same file, and the scan is fresh; else it rescans then.
 */
#ifndef BREAKER_OWNER_H
#define BREAKER_OWNER_H

#include <stddef.h>

#include "proc.h"

struct owner;

struct owner_opts {
	const char		*tracking_id;	/* NULL: nothing is attributed */
	struct proc_find_opts	 find;		/* worker_pid: the job's own */
	double			 job_started;	/* epoch s; 0: unknown */
};

#define OWNER_WHY_MAX	320

struct owner	*owner_new(const struct owner_opts *, size_t nsources);
void		 owner_free(struct owner *);
/*
 * Keep the proof for source `idx` (named `name`, read through `fd`, -1
 * when none is open) found ahead of need; cheap unless a rescan is due.
 */
void		 owner_refresh(struct owner *, size_t idx, const char *name,
		    int fd);
/*
 * Are the lines of source `idx` (read through `fd`) this job's? 1 yes;
 * 0 no, with the reason in why (a sentence without a final stop).
 */
int		 owner_check(struct owner *, size_t idx, const char *name,
		    int fd, char *why, size_t whylen);

/*
 * The access mode in /proc/PID/fdinfo text: 1 when the "flags:" line says
 * O_WRONLY or O_RDWR, 0 when read-only, -1 when there is none. For tests.
 */
int		 owner_fdinfo_writable(const char *text);

#endif
