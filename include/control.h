/*
 * The daemon's unix socket, in the job's 0700 state directory. A client sends
 * one request line ("finish", "status") and reads the reply until the daemon
 * closes the connection. Only the daemon's own user (or root) is served.
 */
#ifndef BREAKER_CONTROL_H
#define BREAKER_CONTROL_H

#include <sys/types.h>
#include <stddef.h>

struct event_base;
struct control;

#define CONTROL_SOCKET		"control.sock"
#define CONTROL_MAX_REQUEST	256
/* Room for the finish reply: up to 1,000 verdicts of about 12 KiB. */
#define CONTROL_MAX_REPLY	(16 * 1024 * 1024)

/*
 * Handle one request; return the reply (allocated, caller of the callback
 * frees) or NULL for an empty reply. Set *last to have `done` called once
 * the reply has been written out (the daemon exits then).
 */
typedef char *(*control_handler)(const char *request, int *last, void *arg);
/*
 * A handler may return CONTROL_DEFER instead: the connection waits (its
 * client's own timeout still runs) until control_answer() gives the reply.
 */
extern char	control_defer_mark[];
#define CONTROL_DEFER	control_defer_mark
typedef void (*control_done_cb)(void *arg);

/*
 * Bind and listen at `path` (a stale socket file is replaced); NULL on error.
 * Its events run at priority 0, the highest, so a base set up with several
 * priorities answers requests ahead of other work.
 */
struct control	*control_listen(struct event_base *, const char *path,
		    control_handler, control_done_cb, void *arg);
void		 control_free(struct control *);
/*
 * Answer every deferred request with `reply`; `last` as for a handler.
 * Returns how many were waiting (their clients may have gone).
 */
int		 control_answer(struct control *, const char *reply, int last);

/*
 * Client: send `request`, wait at most `timeout` seconds for the whole reply.
 * 0 and *reply (allocated, NUL-terminated); -1 with errno (ECONNREFUSED,
 * ENOENT: no daemon; ETIMEDOUT).
 */
int		 control_request(const char *path, const char *request,
		    double timeout, char **reply);

/*
 * The process listening on the socket, as the kernel recorded it when it
 * called listen() (SO_PEERCRED), and when we connected (CLOCK_BOOTTIME in
 * clock ticks, the unit of /proc/PID/stat's start time). pid 0: unknown.
 * This, not a file in the job's directory, is what may name the daemon:
 * the job's steps can write every file there.
 */
struct control_peer {
	pid_t			pid;
	uid_t			uid;
	unsigned long long	connected;
};

/* control_request, also filling *peer once connected (even on timeout). */
int		 control_request_peer(const char *path, const char *request,
		    double timeout, char **reply, struct control_peer *peer);

#endif
