/*
 * Stopping the engine that proc.h finds.
 *
 * It is stopped through a pidfd (no pid-reuse race) with a ladder of
 * {signal, wait} steps, escalating only while it lives; never a process
 * group (Listener and Worker share one). Its descendants are pinned by
 * pidfds before the first signal (orphans are reparented and lose their
 * ancestry); those still alive once it has exited (a tool child holding the
 * step's output pipe) get the same ladder from its first step.
 */
#ifndef BREAKER_PROC_STOP_H
#define BREAKER_PROC_STOP_H

#include <sys/types.h>
#include <stddef.h>

#include "policy.h"
#include "proc.h"

struct event_base;
struct proc_stop;

/* Starts the part of a stop's message naming what was passed over. */
#define PROC_NOT_SIGNALLED	"not signalled: "

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

/* "SIGINT" for SIGINT; "SIG?" for unknown. */
const char	*proc_stop_signame(int);

#endif
