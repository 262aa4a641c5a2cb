/*
 * Optional GitHub REST actions: cancel the run, publish a check run. The
 * public entry points (include/github.h) and the actions themselves.
 *
 * Each action is an "op", a small state machine that issues one REST
 * request ("req", github_req.c) at a time; the check run's steps are
 * github_check.c's. An op whose step needs the App's installation token
 * waits for the one token exchange in flight (github_auth.c holds the
 * credentials). Layers and secrets: github_int.h.
 */
#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>

#include "github_int.h"
#include "log.h"
#include "policy.h"
#include "xalloc.h"

#define GH_PUBLIC_API		"https://api.github.com"

static void	gh_op_go(struct gh_op *);
static void	gh_op_finish(struct gh_op *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* ---- operations ----------------------------------------------------- */

static void
gh_op_free(struct gh_op *op)
{
	TAILQ_REMOVE(&op->gh->ops, op, entry);
	gh_req_free(op->req);
	if (op->deliver != NULL)
		event_free(op->deliver);
	free(op->result);
	gh_check_clear(op);
	free(op);
}

/* Hand the result over; nothing of ours runs after the callback. */
static void
gh_op_deliver(struct gh_op *op)
{
	github_done_cb	 cb = op->cb;
	void		*arg = op->cb_arg;
	char		*result = op->result;
	int		 ok = op->ok;

	op->result = NULL;
	gh_op_free(op);
	cb(ok, result, arg);
	free(result);
}

static void
gh_op_deliver_cb(evutil_socket_t fd, short ev, void *arg)
{
	gh_op_deliver(arg);
}

/*
 * The op is over. Its callback runs from its own zero timer, so a caller
 * may free everything (even call github_free) from inside the callback.
 */
static void
gh_op_finish(struct gh_op *op, int ok, const char *fmt, ...)
{
	const struct timeval	 now = { 0, 0 };
	char			 result[GH_RESULT_MAX];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(result, sizeof result, fmt, ap);
	va_end(ap);
	gh_auth_scrub(op->gh, result);
	if (ok)
		log_info("github: %s", result);
	else
		log_warnx("github: %s", result);
	gh_req_free(op->req);
	op->req = NULL;
	op->waiting_token = 0;
	op->finished = 1;
	op->ok = ok;
	op->result = xstrdup(result);
	op->deliver = evtimer_new(op->gh->base, gh_op_deliver_cb, op);
	evtimer_add(op->deliver, &now);
}

static struct gh_op *
gh_op_new(struct github *gh, enum gh_kind kind, github_done_cb cb, void *arg)
{
	struct gh_op	*op = xcalloc(1, sizeof *op);

	op->gh = gh;
	op->kind = kind;
	op->cb = cb;
	op->cb_arg = arg;
	TAILQ_INSERT_TAIL(&gh->ops, op, entry);
	return op;
}

static const char *
gh_op_name(const struct gh_op *op)
{
	return op->kind == GH_OP_CANCEL ? "cancel-run" : "check-run";
}

/*
 * A 401 on an installation token: it may have been revoked; get a new one
 * once. Returns 1 when the op was restarted.
 */
static int
gh_op_reauth(struct gh_op *op, struct gh_req *req)
{
	struct github	*gh = op->gh;

	if (req->status != 401 || gh->key == NULL || op->reauthed)
		return 0;
	op->reauthed = 1;
	gh_auth_secret_free(&gh->token);
	log_info("github: token rejected; getting a new one");
	gh_op_go(op);
	return 1;
}

static void
gh_op_req_done(struct gh_req *req, void *arg)
{
	struct gh_op		*op = arg;
	char			 why[GH_RESULT_MAX];
	enum gh_check_next	 next;

	op->req = NULL;
	if (req->status < 200 || req->status > 299) {
		if (op->kind == GH_OP_CANCEL && req->status == 409) {
			gh_req_free(req);
			gh_op_finish(op, 1, "cancel-run: the run had already "
			    "finished (HTTP 409)");
			return;
		}
		if (gh_op_reauth(op, req)) {
			gh_req_free(req);
			return;
		}
		gh_req_describe(req, why, sizeof why);
		gh_op_finish(op, 0, "%s failed: %s%s", gh_op_name(op), why,
		    req->status == 401 ? " (credentials rejected)" : "");
		gh_req_free(req);
		return;
	}
	if (op->kind == GH_OP_CANCEL) {
		gh_op_finish(op, 1, "cancel-run: cancellation requested "
		    "(HTTP %d)", req->status);
		gh_req_free(req);
		return;
	}
	next = gh_check_answer(op, req, why, sizeof why);
	gh_req_free(req);
	if (next == GH_CHECK_NEXT)
		gh_op_go(op);
	else
		gh_op_finish(op, next == GH_CHECK_DONE, "%s", why);
}

/* Send the request of the op's current step. */
static void
gh_op_step(struct gh_op *op)
{
	struct github	*gh = op->gh;
	const char	*method = "POST";
	char		*path, *body = NULL;

	if (op->kind == GH_OP_CANCEL)
		xasprintf(&path, "/repos/%s/actions/runs/%s/cancel",
		    gh->repository, gh->run_id);
	else
		method = gh_check_request(op, &path, &body);
	op->req = gh_req_new(gh, method, path, body, GH_AUTH_TOKEN,
	    gh_op_req_done, op);
	free(path);
}

/* ---- installation token --------------------------------------------- */

static void
gh_token_done(struct gh_req *req, void *arg)
{
	struct github	*gh = req->gh;
	struct gh_op	*op;
	char		 why[GH_RESULT_MAX];
	int		 ok;

	gh->token_req = NULL;
	gh_auth_secret_free(&gh->jwt);
	if ((ok = gh_auth_token_take(gh, req)))
		log_info("github: got an installation token for installation "
		    "%s", gh->installation_id);
	else if (req->status == 201)
		snprintf(why, sizeof why, "no token in the answer");
	else
		gh_req_describe(req, why, sizeof why);
	gh_req_free(req);

	/* Neither stepping nor finishing changes the list (results wait). */
	TAILQ_FOREACH(op, &gh->ops, entry) {
		if (!op->waiting_token)
			continue;
		op->waiting_token = 0;
		if (ok)
			gh_op_step(op);
		else
			gh_op_finish(op, 0, "GitHub App authentication failed: "
			    "%s", why);
	}
}

/* Run the op's next step now, or once a fresh installation token is here. */
static void
gh_op_go(struct gh_op *op)
{
	struct github	*gh = op->gh;
	char		*path;

	if (gh_auth_token_fresh(gh)) {
		gh_op_step(op);
		return;
	}
	op->waiting_token = 1;
	if (gh->token_req != NULL)
		return;
	xasprintf(&path, "/app/installations/%s/access_tokens",
	    gh->installation_id);
	gh->token_req = gh_req_new(gh, "POST", path, NULL,
	    GH_AUTH_JWT, gh_token_done, NULL);
	free(path);
}

/* ---- public --------------------------------------------------------- */

void
github_limits_default(struct github_limits *lim)
{
	lim->connect_timeout_ms = 5000;
	lim->request_timeout_ms = 15000;
	lim->max_attempts = 4;
	lim->max_total_ms = 30000;
	lim->backoff_ms = 1000;
}

void
github_set_limits(struct github *gh, const struct github_limits *lim)
{
	gh->limits = *lim;
	if (gh->limits.max_attempts == 0)
		gh->limits.max_attempts = 1;
	if (gh->limits.connect_timeout_ms == 0)
		gh->limits.connect_timeout_ms = 1000;
	if (gh->limits.request_timeout_ms == 0)
		gh->limits.request_timeout_ms = 1000;
}

static int
gh_set_url(struct github *gh, const char *url)
{
	struct evhttp_uri	*u;
	const char		*scheme, *host, *path;
	size_t			 len;

	if ((u = evhttp_uri_parse(url)) == NULL)
		goto fail;
	scheme = evhttp_uri_get_scheme(u);
	host = evhttp_uri_get_host(u);
	path = evhttp_uri_get_path(u);
	if (scheme == NULL || strcasecmp(scheme, "https") != 0 ||
	    host == NULL || *host == '\0' || evhttp_uri_get_query(u) != NULL ||
	    evhttp_uri_get_userinfo(u) != NULL) {
		evhttp_uri_free(u);
		goto fail;
	}
	gh->host = xstrdup(host);
	gh->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 443;
	gh->prefix = xstrdup(path ? path : "");
	len = strlen(gh->prefix);
	while (len > 0 && gh->prefix[len - 1] == '/')
		gh->prefix[--len] = '\0';
	evhttp_uri_free(u);
	return 0;
fail:
	log_warnx("github: api_url %s is not an https:// URL", url);
	return -1;
}

static int
gh_set_job(struct github *gh, const struct github_job *job)
{
	if (job == NULL || !gh_name_safe(job->repository, "-_./") ||
	    strchr(job->repository, '/') == NULL ||
	    strstr(job->repository, "..") != NULL ||
	    !gh_name_safe(job->run_id, "")) {
		log_warnx("github: the job's repository and run id are "
		    "missing or malformed");
		return -1;
	}
	gh->repository = xstrdup(job->repository);
	gh->run_id = xstrdup(job->run_id);
	gh->run_attempt = xstrdup(gh_name_safe(job->run_attempt, "") ?
	    job->run_attempt : "1");
	gh->job_key = job->job_key ? xstrdup(job->job_key) : NULL;
	gh->runner_name = job->runner_name && *job->runner_name ?
	    xstrdup(job->runner_name) : NULL;
	return 0;
}

struct github *
github_new(struct event_base *base, const struct policy_github *pg,
    const struct github_job *job)
{
	struct github	*gh;
	const char	*url;

	if (pg == NULL)
		return NULL;
	gh = xcalloc(1, sizeof *gh);
	gh->base = base;
	TAILQ_INIT(&gh->ops);
	github_limits_default(&gh->limits);
	gh->allow_cancel = pg->cancel_run;
	gh->allow_check = pg->check_run;
	url = pg->api_url ? pg->api_url : getenv("GITHUB_API_URL");
	if (url == NULL || *url == '\0')
		url = GH_PUBLIC_API;
	if (gh_set_url(gh, url) == -1 || gh_set_job(gh, job) == -1 ||
	    gh_auth_setup(gh, pg) == -1 || gh_req_setup(gh, pg->ca_file) == -1) {
		github_free(gh);
		return NULL;
	}
	/* Never the proxy's URL: it may carry a password. */
	log_info("github: %s at %s (%s)%s%s", gh->key ? "GitHub App" : "token",
	    gh->host, gh->repository, gh->proxy ? " through the proxy at " :
	    "", gh->proxy ? gh->proxy_host : "");
	return gh;
}

void
github_free(struct github *gh)
{
	struct gh_op	*op;

	if (gh == NULL)
		return;
	while ((op = TAILQ_FIRST(&gh->ops)) != NULL) {
		/* gh_op_deliver() unlinked the op it freed: this one is new */
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		if (!op->finished)
			gh_op_finish(op, 0, "%s: abandoned, breaker is "
			    "shutting down", gh_op_name(op));
		gh_op_deliver(op);
	}
	gh_req_free(gh->token_req);
	gh_req_teardown(gh);
	gh_auth_teardown(gh);
	free(gh->host);
	free(gh->prefix);
	free(gh->repository);
	free(gh->run_id);
	free(gh->run_attempt);
	free(gh->job_key);
	free(gh->runner_name);
	free(gh);
}

void
github_cancel_run(struct github *gh, github_done_cb cb, void *arg)
{
	struct gh_op	*op = gh_op_new(gh, GH_OP_CANCEL, cb, arg);

	op->step = GH_STEP_CANCEL;
	if (!gh->allow_cancel) {
		gh_op_finish(op, 0, "cancel-run: not allowed by the "
		    "configuration (github.cancel_run)");
		return;
	}
	gh_op_go(op);
}

void
github_check_run(struct github *gh, const struct verdict_list *vl,
    github_done_cb cb, void *arg)
{
	struct gh_op	*op = gh_op_new(gh, GH_OP_CHECK, cb, arg);

	op->step = GH_STEP_RUN;
	if (!gh->allow_check) {
		gh_op_finish(op, 0, "check-run: not allowed by the "
		    "configuration (github.check_run)");
		return;
	}
	if (gh_auth_token_is_personal(gh)) {
		gh_op_finish(op, 0, "check-run: skipped: GitHub lets only a "
		    "GitHub App create check runs, and token_file holds a "
		    "personal or OAuth token (configure app_id, "
		    "installation_id and private_key_file)");
		return;
	}
	gh_check_prepare(op, vl);
	gh_op_go(op);
}

void
github_mask_line(const char *token, FILE *out)
{
	const char	*p;

	if (token == NULL || *token == '\0')
		return;
	/* The runner unescapes command data: %25 %0D %0A. */
	fputs("::add-mask::", out);
	for (p = token; *p != '\0'; p++) {
		if (*p == '%')
			fputs("%25", out);
		else if (*p == '\r')
			fputs("%0D", out);
		else if (*p == '\n')
			fputs("%0A", out);
		else
			fputc(*p, out);
	}
	fputc('\n', out);
	fflush(out);
}
