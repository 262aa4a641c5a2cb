/*
 * HTTPS requests through libcurl's multi-socket interface, driven by the
 * daemon's libevent loop: no thread, no blocking call. The GitHub client's
 * github_req.c keeps its own retry and rate-limit logic on top; this module
 * is one attempt of one request: TLS (OpenSSL, verified against the system
 * store or a CA file), a forward proxy (HTTP CONNECT), bounded time and size.
 *
 * Name resolution is the caller's: libcurl's own resolver runs in a thread,
 * which the daemon's seccomp sandbox forbids, so every host libcurl is to
 * connect to (the API host, or the proxy) comes resolved in `resolve`.
 */
#ifndef BREAKER_HTTP_H
#define BREAKER_HTTP_H

#include <stddef.h>

struct event_base;
struct http;
struct http_xfer;

struct http_request {
	const char		*method;	/* "GET", "POST", "PATCH" */
	const char		*url;		/* https:// */
	const char *const	*headers;	/* "Name: value", NULL-ended */
	const char		*body;		/* NULL: none */
	const char		*ca_file;	/* NULL: the system store */
	const char		*proxy;		/* NULL: none (never the env) */
	const char *const	*resolve;	/* "host:port:addr", NULL-ended */
	unsigned		 connect_timeout_ms;
	unsigned		 timeout_ms;	/* the whole attempt */
	size_t			 max_body;
};

struct http_answer {
	int		 status;	/* 0: no HTTP answer, see error */
	const char	*body;		/* NUL-terminated */
	size_t		 len;
	const char	*error;		/* in words, when status is 0 */
	int		 tls_refused;	/* the peer's certificate: final */
};

/* Called once per transfer from the event loop, never from http_start().
 * The transfer is freed when it returns: do not cancel it from there. */
typedef void (*http_done_cb)(const struct http_answer *,
    struct http_xfer *, void *arg);

/* libcurl (opened here, once), its global state, the multi handle; NULL
 * (logged) without libcurl: the GitHub actions are then off. */
struct http	*http_new(struct event_base *);
void		 http_free(struct http *);	/* cancels every transfer */

/* NULL when the request cannot even be set up (out of memory, bad URL). */
struct http_xfer *http_start(struct http *, const struct http_request *,
		    http_done_cb, void *);
/* Drop a transfer in flight; its callback is not called. */
void		 http_cancel(struct http_xfer *);
/* libcurl can be loaded (breaker doctor). */
int		 http_available(void);
/* The host and port of a proxy URL as libcurl reads it ("proxy:3128",
 * "http://user:pw@[::1]:8080", "https://p"); -1 when it is none of these. */
int		 http_parse_proxy(const char *url, char **host, int *port);
/* A response header of the finished transfer (from the callback only). */
const char	*http_header(struct http_xfer *, const char *name);

#endif
