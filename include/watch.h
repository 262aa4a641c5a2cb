/*
 * The live driver: every configured source followed by the tailer, each
 * line fed to the pipeline at wall-clock time, each verdict numbered,
 * persisted BEFORE anything is done about it, then acted on: the first
 * fatal verdict in enforce mode stops the engine (once per job), every
 * other verdict is recorded ("would-stop" in observe mode). The daemon
 * (daemon.c), `breaker watch` and `breaker demo` all run this.
 */
#ifndef BREAKER_WATCH_H
#define BREAKER_WATCH_H

#include <stdint.h>

#include "proc.h"

struct event_base;
struct policy;
struct verdict;
struct verdict_list;
struct watch;

/* Called after a verdict is persisted, and again after its action ends. */
typedef void (*watch_verdict_cb)(const struct verdict *, int final,
    void *arg);

struct watch_opts {
	const char		*state_dir;	/* verdict files go here */
	const char		*tracking_id;	/* the job's processes; NULL: none */
	enum proc_ancestry	 ancestry;	/* how to confirm a job process */
	pid_t			 worker;	/* the job's own Runner.Worker; 0:
						   unknown (ancestry decides) */
	double			 job_started;	/* epoch s; 0: now */
	const struct policy_stop *stop;	/* NULL: the policy's */
	const char		*repository;	/* for the optional GitHub actions */
	const char		*run_id;
	const char		*run_attempt;
	const char		*job_key;
	const char		*runner_name;
	watch_verdict_cb	 on_verdict;	/* may be NULL */
	void			*arg;
};

/* The policy must outlive the watch. Sources are opened here. */
struct watch	*watch_new(struct event_base *, const struct policy *,
		    const struct watch_opts *);
void		 watch_free(struct watch *);
/* Read what is left in every source and settle; before exiting. */
void		 watch_flush(struct watch *);
/* Settle without reading on: expire windows, write every record. */
void		 watch_settle(struct watch *);
/*
 * Bytes of the followed files not read yet (each open file's size beyond
 * the tailer's offset, and a newer file waiting at its path): what a
 * backlog still holds.
 */
uint64_t	 watch_backlog(const struct watch *);
/* A stop is still escalating (flush waits for it, bounded). */
int		 watch_stopping(const struct watch *);
/*
 * Publish the "breaker" check run with every verdict, when the
 * configuration allows check-run; 1 while it is under way (see watch_busy).
 */
int		 watch_publish(struct watch *);
/* A stop or a publication is under way: the daemon lingers, bounded. */
int		 watch_busy(const struct watch *);
size_t		 watch_nverdicts(const struct watch *);
/* Every verdict so far, as held in memory (unsaved ones included). */
const struct verdict_list *watch_verdicts(const struct watch *);
/* JSON for `breaker status`: sources, offsets, rule hits, verdicts. */
char		*watch_status_json(const struct watch *, double started);

#endif
