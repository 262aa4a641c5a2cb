/*
 * What the pieces of the GitHub client share; not part of the API
 * (include/github.h is). The layers, each using only those below it, so
 * the module graph stays a DAG (tests/lint/modgraph.sh):
 *
 *   github.c        the public entry points; an action ("op") as a
 *                   sequence of requests; the installation token exchange
 *   github_check.c  the check run: its texts, its annotations in pages of
 *                   50, the run's head_sha and this job's id (a state
 *                   machine that tells github.c what to do next)
 *   github_req.c    one REST request and all its attempts: bounded
 *                   retries, Retry-After, rate limits; the proxy and the
 *                   name lookup (http.c does the single HTTPS attempt)
 *   github_auth.c   credentials: the token file, the App's key and its
 *                   RS256 JWT; scrubbing them out of network text
 *
 * Secrets (the installation token, the token file's content, the JWT, the
 * private key) live only in struct github: no message built by any of
 * these files interpolates them, and network text is scrubbed of them
 * (gh_auth_scrub) before it reaches a log line or a result.
 */
#ifndef BREAKER_GITHUB_INT_H
#define BREAKER_GITHUB_INT_H

#include <sys/queue.h>

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "github.h"

struct cJSON;
struct evdns_base;
struct evdns_getaddrinfo_request;
struct evp_pkey_st;		/* OpenSSL's EVP_PKEY: github_auth.c's alone */
struct event;
struct http;
struct http_xfer;

#define GH_MAX_BODY		(8 * 1024 * 1024)
#define GH_TOKEN_MARGIN		300	/* refresh 5 min before expiry */
#define GH_ANN_PER_REQUEST	50	/* GitHub's cap per request */
#define GH_RESULT_MAX		512

enum gh_auth {
	GH_AUTH_JWT,		/* the App itself: token exchange */
	GH_AUTH_TOKEN,		/* installation token or token file */
};

enum gh_req_state {
	GH_REQ_IDLE,
	GH_REQ_INFLIGHT,	/* timer: the attempt's timeout */
	GH_REQ_REAP,		/* timer: 0 s, answer recorded */
	GH_REQ_WAIT,		/* timer: back-off before the next attempt */
	GH_REQ_DONE,
};

struct gh_req;
typedef void (*gh_req_done)(struct gh_req *, void *);

/* One REST request and all its attempts. */
struct gh_req {
	struct github		*gh;
	const char		*method;	/* "GET", "POST", "PATCH" */
	char			*path;		/* below the API prefix */
	char			*body;		/* JSON, or NULL */
	enum gh_auth		 auth;
	gh_req_done		 done;
	void			*done_arg;

	enum gh_req_state	 state;
	struct event		*timer;
	struct http_xfer	*xfer;		/* libcurl's transfer */
	struct evdns_getaddrinfo_request *dns_req;
	unsigned		 attempts;
	double			 started;	/* monotonic s */

	/* the last attempt's answer */
	int			 status;	/* 0: transport error */
	int			 no_retry;	/* final: not retried */
	char			 error[256];	/* transport error, in words */
	char			 note[160];	/* why retrying stopped */
	char			*resp;
	size_t			 resp_len;
	char			*retry_after;
	char			*rl_remaining;
	char			*rl_reset;
};

enum gh_kind {
	GH_OP_CANCEL,
	GH_OP_CHECK,
};

enum gh_step {
	GH_STEP_RUN,		/* GET the run: head_sha */
	GH_STEP_JOBS,		/* GET the attempt's jobs, page by page */
	GH_STEP_CREATE,		/* POST the check run */
	GH_STEP_UPDATE,		/* PATCH more annotations */
	GH_STEP_CANCEL,		/* POST …/cancel */
};

/* The check run's state (github_check.c). */
struct gh_check {
	char			*head_sha;
	long long		 job_id;
	char			*job_url;
	int			 job_running;	/* best match is in progress */
	int			 jobs_page;
	long long		 check_id;
	struct cJSON		*annotations;	/* every annotation, in order */
	int			 nann;
	int			 next_ann;
	int			 batch;		/* annotations just sent */
	char			*title;
	char			*summary;
	const char		*conclusion;
};

/* One action requested by the caller. */
struct gh_op {
	TAILQ_ENTRY(gh_op)	 entry;
	struct github		*gh;
	enum gh_kind		 kind;
	enum gh_step		 step;
	github_done_cb		 cb;
	void			*cb_arg;
	struct gh_req		*req;
	int			 finished;	/* result waits in `deliver` */
	int			 ok;
	char			*result;
	struct event		*deliver;
	int			 waiting_token;
	int			 reauthed;	/* refreshed once after a 401 */
	int			 nrequests;
	struct gh_check		 check;
};
TAILQ_HEAD(gh_ops, gh_op);

struct github {
	struct event_base	*base;
	struct evdns_base	*dns;
	struct http		*http;
	char			*ca_file;	/* NULL: the system store */
	char			*proxy;		/* from the environment */
	char			*proxy_host;
	int			 proxy_port;
	char			*host;
	int			 port;
	char			*prefix;	/* "/api/v3" on GHES, else "" */
	struct github_limits	 limits;

	/* job */
	char			*repository;
	char			*run_id;
	char			*run_attempt;
	char			*job_key;
	char			*runner_name;
	int			 allow_cancel;
	int			 allow_check;

	/* credentials */
	char			*app_id;
	char			*installation_id;
	struct evp_pkey_st	*key;
	char			*jwt;		/* the last JWT, to scrub */
	char			*token;
	time_t			 token_expires;	/* 0: never (token file) */
	struct gh_req		*token_req;	/* exchange in flight */

	struct gh_ops		 ops;
};

/* Names that go into a URL path: nothing that could change the path. */
static inline int
gh_name_safe(const char *s, const char *extra)
{
	if (s == NULL || *s == '\0' || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return 0;
	return 1;
}

/* github_auth.c */
int		 gh_auth_setup(struct github *, const struct policy_github *);
void		 gh_auth_teardown(struct github *);
void		 gh_auth_secret_free(char **);
void		 gh_auth_scrub(const struct github *, char *);
/* "Authorization: Bearer …" (a fresh JWT for GH_AUTH_JWT); NULL: logged. */
char		*gh_auth_header(struct github *, enum gh_auth);
int		 gh_auth_token_fresh(const struct github *);
/* Take the installation token out of a 201 answer (its text wiped then);
 * 0 if there is none. */
int		 gh_auth_token_take(struct github *, struct gh_req *);
/* token_file holds a token GitHub refuses for check runs (a PAT). */
int		 gh_auth_token_is_personal(const struct github *);

/* github_req.c */
/* The CA store, the proxy, libcurl and the resolver; -1: logged. */
int		 gh_req_setup(struct github *, const char *ca_file);
void		 gh_req_teardown(struct github *);
/* Starts the first attempt; `done` runs once, from the req's timer. */
struct gh_req	*gh_req_new(struct github *, const char *method,
		    const char *path, char *body, enum gh_auth, gh_req_done,
		    void *);
void		 gh_req_free(struct gh_req *);
/* "HTTP 403: Resource not accessible by integration", or the error. */
void		 gh_req_describe(struct gh_req *, char *, size_t);

/* github_check.c */
enum gh_check_next {
	GH_CHECK_FAILED = -1,	/* `why` says why */
	GH_CHECK_NEXT = 0,	/* op->step is the next request */
	GH_CHECK_DONE = 1,	/* published; `why` says how */
};
void		 gh_check_prepare(struct gh_op *, const struct verdict_list *);
void		 gh_check_clear(struct gh_op *);
/* The request of the op's current step: method, path, body (or NULL). */
const char	*gh_check_request(struct gh_op *, char **path, char **body);
enum gh_check_next gh_check_answer(struct gh_op *, const struct gh_req *,
		    char *why, size_t);

#endif
