/*
 * The per-job daemon: `breaker start` forks it off the started hook (setsid,
 * stdio away from the runner's pipes, a readiness handshake), it runs the
 * live driver until `breaker finish` asks it to flush and exit or the
 * runner's Worker process disappears; `breaker finish` then reports from the
 * persisted verdicts, whether the daemon is still there or not. The client
 * side of its control socket lives here too, next to the side it talks to.
 */
#ifndef BREAKER_DAEMON_H
#define BREAKER_DAEMON_H

#include "verdict.h"

struct job;
struct policy;

#define DAEMON_FINISH_TIMEOUT	5.0	/* s finish waits for the flush */

/*
 * Start the job's daemon for `policy` (both stay the caller's). In the
 * foreground it runs here, and 0 is returned when it has ended. Otherwise
 * it is forked off and detached, and *said is everything it wrote to the
 * readiness pipe (allocated): "warn: ..." lines, then "ok PID", "ok PID
 * unconfined: WHY" or "error: ...". -1 (errno set) if it could not fork.
 */
int	daemon_start(struct policy *, struct job *, int foreground,
	    char **said);
/* The status JSON of the daemon whose state is in `dir` (0), or -1 with
 * errno set when none answers. */
int	daemon_status(const char *dir, double timeout, char **reply);

/* What `finish` learnt from the daemon, or about its end. */
struct daemon_answer {
	int			 ended_early;	/* it was gone, or stuck */
	char			*note;		/* a sentence for the report */
	struct verdict_list	 mem;		/* the verdicts it held */
	char			*sandbox;	/* its sandbox's state */
	double			 unread;	/* bytes of backlog left */
};

/*
 * Ask the job's daemon to flush its verdicts and exit, within `timeout`
 * seconds; one that does not answer is ended if it can be proved to be
 * the daemon. Fills `a` (cleared first) whatever happened.
 */
void	daemon_finish(struct job *, double timeout, struct daemon_answer *a);
void	daemon_answer_clear(struct daemon_answer *);

#endif
