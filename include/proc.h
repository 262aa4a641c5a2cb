/*
 * Finding the job's processes and stopping the engine.
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
 * It is stopped through a pidfd (no pid-reuse race) with a ladder of
 * {signal, wait} steps, escalating only while it lives; never a process
 * group (Listener and Worker share one). Its descendants are pinned by
 * pidfds before the first signal (orphans are reparented and lose their
 * ancestry); those still alive once it has exited (a tool child holding the
 * step's output pipe) get the same ladder from its first step.
 */
#ifndef BREAKER_PROC_H
#define BREAKER_PROC_H

#include <sys/types.h>
#include <stddef.h>

#include "policy.h"

struct event_base;
struct proc_ready;
struct proc_stop;

#define PROC_WORKER_NAME	"Runner.Worker"
/* Starts the part of a stop's message naming what was passed over. */
#define PROC_NOT_SIGNALLED	"not signalled: "
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
	    size_t n, struct proc_info *out);
int	proc_find_engine_opts(const char *tracking_id,
	    const char *const *names, size_t n, const struct proc_find_opts *,
	    struct proc_info *out);

/* The default target list and ladder (the runner's own cancel ladder). */
void	proc_default_stop(struct policy_stop *);

/*
 * A process's start time (/proc/PID/stat, ticks since boot: with the pid,
 * one process ever) and its real and saved uids (those kill(2) checks).
 * 0, or -1 with errno.
 */
int	proc_identity(pid_t, unsigned long long *start, uid_t *ruid,
	    uid_t *suid);

/* The process exists and is not a zombie. */
int	proc_exists(pid_t);
/*
 * `from` itself or its nearest ancestor named Runner.Worker (comm or argv[0]
 * basename), by walking PPid; 0 when there is none.
 */
pid_t	proc_find_worker(pid_t from);

struct proc_stop_args {
	const char		*tracking_id;	/* find the engine by this id */
	pid_t			 pid;		/* or, id NULL: stop this pid */
	const struct policy_stop *stop;		/* NULL: proc_default_stop() */
	struct proc_find_opts	 find;
	int			 no_subtree;	/* leave descendants be */
	struct proc_ready	*ready;		/* engine found ahead, or NULL */
	unsigned		 final_wait_ms;	/* after the last; 0: 2000 */
	/* Called once the target is known, just before its first signal
	 * (the caller records whom it is about to signal); may be NULL. */
	void			(*before_signal)(const char *target, pid_t,
				    int signo, void *arg);
	void			*arg;
};

#define PROC_STOP_MAX_SENT	(POLICY_MAX_LADDER * 2)

struct proc_stop_sent {
	int	signo;
	int	subtree;	/* to leftover descendants */
	double	mono;		/* CLOCK_MONOTONIC seconds when sent */
};

struct proc_stop_result {
	const char	*target;	/* matched name ("awf"); "" if none */
	pid_t		 pid;		/* 0 when none */
	int		 last_signal;	/* last one sent to the target; 0 */
	int		 exited;	/* the target exited */
	double		 exited_at;	/* epoch s it was seen gone; 0 */
	double		 elapsed;	/* s from last signal to exit */
	int		 status;	/* wait status if our child; -1 */
	int		 error;		/* errno of a failure (EPERM…); 0 */
	int		 found;		/* a target was found */
	size_t		 nsubtree;	/* leftover descendants signalled */
	size_t		 nsubtree_left;	/* of which alive at the end */
	const struct proc_stop_sent *sent;	/* every signal, in order */
	size_t		 nsent;
	const char	*message;	/* one sentence for humans */
};

/*
 * Called once, from the event loop, when the stop is over (or was
 * impossible). The result and the proc_stop are freed after it returns.
 */
typedef void (*proc_stop_cb)(const struct proc_stop_result *, void *arg);

/* Never NULL; the callback always runs later, from the loop. */
struct proc_stop *proc_stop_start(struct event_base *,
		    const struct proc_stop_args *, proc_stop_cb, void *arg);
/* Stop escalating and free without calling back (before the callback). */
void		 proc_stop_cancel(struct proc_stop *);

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
 */
struct proc_ready *proc_ready_new(const struct proc_stop_args *);
void		 proc_ready_free(struct proc_ready *);
/* Returns 1 when a live engine is known (after a rescan if one was due). */
int		 proc_ready_refresh(struct proc_ready *);

/* "SIGINT" for SIGINT; "SIG?" for unknown. */
const char	*proc_signame(int);

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
