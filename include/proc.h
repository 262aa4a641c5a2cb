/*
 * Finding the job's processes: the job, its engine, the engine's subtree.
 *
 * A job's processes are those whose /proc/PID/environ carries the job's
 * RUNNER_TRACKING_ID (the runner sets it for everything a step starts). A
 * process whose environ we may not read (a root `awf` behind `sudo` when
 * breaker is not root) belongs to the job when its nearest readable ancestor
 * does. When the caller knows its own Worker (the daemon: the
 * Runner.Worker that ran the started hook), a job process must descend from
 * THAT pid: another job can read this job's tracking id from /proc and give
 * it to a decoy of its own, under its own Worker, and a decoy must never be
 * taken for the engine. Without a known Worker (`breaker watch`, the demo,
 * tests), ancestry under a process named Runner.Worker is checked as
 * configured: by default (AUTO) it is required as soon as one job process
 * has a Worker ancestor, and waived when none has; the name is
 * configurable.
 *
 * The engine is the first name of an ordered list that matches a job process
 * by comm, by basename of argv[0], or by basename of argv[1] (`node
 * /path/to/codex`). A bare `node` is not in the default list: a job's node
 * is as likely a test runner as an engine, and every engine CLI run by node
 * shows its name in argv[1]; `sudo … awf …` matches through sudo's command word, but
 * the awf child itself is preferred when visible (sudo only relays). For one
 * name the topmost match wins. Never breaker itself, Runner.Worker,
 * Runner.Listener, nor the step's entry process (the Worker's child, or a
 * `bash --noprofile --norc …`).
 *
 * Stopping it is proc_stop.h's; this module finds whom to stop.
 */
#ifndef BREAKER_PROC_H
#define BREAKER_PROC_H

#include <sys/types.h>
#include <stddef.h>

struct policy_stop;
struct proc_ready;

#define PROC_WORKER_NAME	"Runner.Worker"
#define PROC_NAME_MAX		64

/* How strictly a job process must descend from the Worker. */
enum proc_ancestry {
	PROC_ANCESTRY_AUTO = 0,	/* required once any job process has one */
	PROC_ANCESTRY_REQUIRE,	/* no Worker ancestor: not the job's */
	PROC_ANCESTRY_NONE,	/* environ alone decides */
};

struct proc_find_opts {
	const char		*worker;	/* NULL: Runner.Worker */
	enum proc_ancestry	 ancestry;
	pid_t			 worker_pid;	/* >0: the job's own Worker; a job
						   process must descend from it */
};

struct proc_info {
	pid_t	pid;
	pid_t	ppid;
	unsigned long long start;	/* start ticks; with pid: identity */
	char	comm[17];
	char	name[PROC_NAME_MAX];	/* the target name that matched */
	int	via_sudo;		/* matched as `sudo … name` */
	int	inherited;		/* environ unreadable, parent's is */
	int	job;			/* proc_list: one of the job's */
	/* proc_find_engine: a process with the job's tracking id that
	 * matched a target but not under the job's own Worker (a decoy) */
	pid_t	decoy;
	char	decoy_name[PROC_NAME_MAX];
	size_t	ndecoys;
};

/*
 * The job's processes (without breaker itself), in pid order; *out is
 * allocated (caller frees), NULL when none. Returns the count, -1 on error
 * (no /proc).
 */
ssize_t	proc_find_job(const char *tracking_id, const struct proc_find_opts *,
	    struct proc_info **out);
/*
 * Every visible live process (no zombies), in pid order, each with
 * `job` set as proc_find_job decides and `name` set to `match` when it
 * matches that target name the way an engine is matched ("" otherwise).
 * Returns the count, -1 on error (no /proc).
 */
ssize_t	proc_list(const char *tracking_id, const struct proc_find_opts *,
	    const char *match, struct proc_info **out);
/*
 * The engine: 0 and *out filled, or -1 when no job process matches any of
 * `names` (NULL, 0: the default list). opts NULL: PROC_ANCESTRY_AUTO.
 */
int	proc_find_engine(const char *tracking_id, const char *const *names,
	    size_t n, const struct proc_find_opts *, struct proc_info *out);

/*
 * The default target list and ladder (the runner's own cancel ladder): the
 * one definition of both, for the policy's defaults and for a stop given
 * none.
 */
void	proc_default_stop(struct policy_stop *);

/*
 * Every descendant of `top` (not top itself), each passed to fn with its
 * start time (0 when not read: the caller checks the pid against a
 * pidfd). Walks /proc/PID/task/TID/children down from top, a cost that
 * follows the subtree's size; scans all of /proc where the kernel has no
 * children files.
 */
typedef void (*proc_subtree_cb)(pid_t, unsigned long long start, void *arg);
void	proc_find_subtree(pid_t top, proc_subtree_cb, void *arg);

/*
 * A process's start time (/proc/PID/stat, ticks since boot: with the pid,
 * one process ever) and its real and saved uids (those kill(2) checks).
 * 0, or -1 with errno.
 */
int	proc_identity(pid_t, unsigned long long *start, uid_t *ruid,
	    uid_t *suid);

/*
 * A live process (not a zombie): 0 and *out's pid, ppid, start and comm;
 * -1 when there is none.
 */
int	proc_lookup(pid_t, struct proc_info *out);
/* The process exists and is not a zombie. */
int	proc_exists(pid_t);
/*
 * A pidfd naming pid for good, -1 with errno (ENOSYS: the kernel has none,
 * or a test said so; the caller falls back to the pid).
 */
int	proc_pidfd_open(pid_t);
/* Is the process alive: by its pidfd (readable once it exits), else pid. */
int	proc_alive(pid_t, int pidfd);
/*
 * `from` itself or its nearest ancestor named Runner.Worker (comm or argv[0]
 * basename), by walking PPid; 0 when there is none.
 */
pid_t	proc_find_worker(pid_t from);

/*
 * The engine found ahead of need. A scan of /proc takes milliseconds, more
 * than the whole budget from a fatal line to the first signal, so the live
 * driver keeps the engine found while the job runs: it calls
 * proc_ready_refresh() as lines arrive, which rescans only when no engine
 * is known, when the known one has exited, or when a better-ranked name may
 * have appeared (at most once a second; every five seconds for the
 * first-ranked name). A stop handed a ready engine that is still alive
 * signals it without scanning; otherwise it scans as usual. With no lines,
 * nothing is done: an idle job costs nothing.
 * proc_ready_new: NULL without a tracking id; the targets are stop's (NULL,
 * or none: the default list).
 */
struct proc_ready *proc_ready_new(const char *tracking_id,
		    const struct policy_stop *, const struct proc_find_opts *);
void		 proc_ready_free(struct proc_ready *);
/* Returns 1 when a live engine is known (after a rescan if one was due). */
int		 proc_ready_refresh(struct proc_ready *);
/* The ready engine (r may be NULL): 0 and *out when it still lives. */
int		 proc_ready_take(struct proc_ready *, struct proc_info *out);

/*
 * The parsers of /proc text, which the engine partly writes (its comm and
 * argv are its own to set), exposed for tests and fuzzing.
 * proc_classify: one process from its stat text and its cmdline (cmdlen
 * bytes of NUL-separated words, with cmdline[cmdlen] a NUL too): the index
 * of the first of `names` it matches (by comm, argv[0], `node /x/name`,
 * `sudo … name`), -1 for none, -2 when `stat` is not a stat line; `comm`
 * gets its comm.
 * proc_environ_has: does the NUL-separated environ hold exactly
 * RUNNER_TRACKING_ID=id?
 */
int		 proc_classify(const char *stat, char *cmdline, size_t cmdlen,
		    const char *const *names, size_t nnames, char comm[17]);
int		 proc_environ_has(const char *env, size_t len, const char *id);

/* Tests: behave as if pidfd_open returned ENOSYS (kill() fallback). */
void		 proc_test_no_pidfd(int);
/* Tests: behave as if the kernel had no /proc/PID/task/TID/children. */
void		 proc_test_no_children(int);

#endif
