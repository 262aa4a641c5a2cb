/*
 * The daemon's unix socket, in the job's 0700 state directory. A client sends
 * one request line ("finish", "status") and reads the reply until the daemon
 * closes the connection. Only the daemon's own user (or root) is served.
 */
#ifndef BREAKER_CONTROL_H
#define BREAKER_CONTROL_H

#include <stddef.h>

struct event_base;
struct control;

#define CONTROL_SOCKET		"control.sock"
#define CONTROL_MAX_REQUEST	256
#define CONTROL_MAX_REPLY	(1024 * 1024)

/*
 * Handle one request; return the reply (allocated, caller of the callback
 * frees) or NULL for an empty reply. Set *last to have `done` called once
 * the reply has been written out (the daemon exits then).
 */
typedef char *(*control_handler)(const char *request, int *last, void *arg);
typedef void (*control_done_cb)(void *arg);

/* Bind and listen at `path` (a stale socket file is replaced); NULL on error. */
struct control	*control_listen(struct event_base *, const char *path,
		    control_handler, control_done_cb, void *arg);
void		 control_free(struct control *);

/*
 * Client: send `request`, wait at most `timeout` seconds for the whole reply.
 * 0 and *reply (allocated, NUL-terminated); -1 with errno (ECONNREFUSED,
 * ENOENT: no daemon; ETIMEDOUT).
 */
int		 control_request(const char *path, const char *request,
		    double timeout, char **reply);

#endif
