/*
 * Optional GitHub REST actions: cancel the run, publish a check run.
 *
 * Each action is an "op", a small state machine that issues one REST
 * request ("req") at a time. A req owns its retries: every attempt gets a
 * fresh TLS connection (libcurl on the daemon's event loop, http.c; through
 * the environment's https_proxy unless no_proxy names the host), and the
 * answer is classified (final, or retry after a wait that honours
 * Retry-After and the rate-limit headers) outside libevent's callbacks, from
 * the req's own timer, so a transfer is never freed while libcurl is
 * still using it.
 *
 * Secrets: the installation token, the token file's content, the JWT and
 * the private key live only in this file's memory. No message built here
 * interpolates them, and every text that came from the network is scrubbed
 * of them before it reaches a log line or a result.
 */
#include <sys/queue.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "file.h"
#include "github.h"
#include "http.h"
#include "log.h"
#include "policy.h"
#include "sanitise.h"
#include "util.h"
#include "verdict.h"
#include "xalloc.h"

#ifndef BREAKER_VERSION
#define BREAKER_VERSION "0"
#endif

#define GH_USER_AGENT		"breaker/" BREAKER_VERSION
#define GH_API_VERSION		"2022-11-28"
#define GH_PUBLIC_API		"https://api.github.com"
#define GH_MAX_BODY		(8 * 1024 * 1024)
#define GH_MAX_SECRET		(64 * 1024)
#define GH_TOKEN_MARGIN		300	/* refresh 5 min before expiry */
#define GH_JWT_LIFETIME		540	/* exp - now; GitHub allows 600 */
#define GH_SECONDARY_WAIT	60	/* GitHub: wait at least a minute */
#define GH_ANN_PER_REQUEST	50	/* GitHub's cap per request */
#define GH_JOBS_PER_PAGE	100
#define GH_JOBS_MAX_PAGES	10
#define GH_SUMMARY_MAX		60000	/* GitHub's cap is 65535 */
#define GH_TEXT_MAX		4000
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

struct gh_op;
struct gh_req;
typedef void (*gh_req_done)(struct gh_req *, void *);

/* One REST request and all its attempts. */
struct gh_req {
	struct github		*gh;
	enum evhttp_cmd_type	 method;
	const char		*method_name;
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

	/* check run */
	char			*head_sha;
	long long		 job_id;
	char			*job_url;
	int			 job_running;	/* best match is in progress */
	int			 jobs_page;
	long long		 check_id;
	cJSON			*annotations;	/* every annotation, in order */
	int			 nann;
	int			 next_ann;
	int			 batch;		/* annotations just sent */
	int			 nrequests;
	char			*title;
	char			*summary;
	const char		*conclusion;
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
	int			 host_is_ip;
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
	EVP_PKEY		*key;
	char			*jwt;		/* the last JWT, to scrub */
	char			*token;
	time_t			 token_expires;	/* 0: never (token file) */
	struct gh_req		*token_req;	/* exchange in flight */

	struct gh_ops		 ops;
};

static void	gh_req_attempt(struct gh_req *);
static void	gh_req_fail_soon(struct gh_req *, int, const char *);
static void	gh_headers_free(char **);
static void	gh_op_step(struct gh_op *);
static void	gh_check_answer(struct gh_op *, struct gh_req *);
static void	gh_op_finish(struct gh_op *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Free a secret after wiping it: freed memory can end up in a core. */
static void
gh_secret_free(char **s)
{
	if (*s == NULL)
		return;
	OPENSSL_cleanse(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

static void
gh_headers_free(char **h)
{
	size_t	i;

	for (i = 0; h != NULL && h[i] != NULL; i++)
		gh_secret_free(&h[i]);
	free(h);
}

/*
 * Make network text fit for one log line or verdict field: control
 * characters replaced, and any credential we hold starred out (in place:
 * the length never changes).
 */
static void
gh_scrub(struct github *gh, char *s)
{
	const char	*secrets[2] = { gh->token, gh->jwt };
	char		*p, *from;
	size_t		 i, n;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	for (i = 0; i < 2; i++) {
		if (secrets[i] == NULL || (n = strlen(secrets[i])) == 0)
			continue;
		for (from = s; (p = strstr(from, secrets[i])) != NULL;
		    from = p + n)
			memset(p, '*', n);
	}
}

/* ---- credentials ---------------------------------------------------- */

/*
 * Read a credential file: a regular file that no other user can read
 * (checked on the open descriptor, so a swap after the check is moot).
 */
static char *
gh_read_secret(const char *path, const char *what, size_t *lenp)
{
	struct stat	 st;
	char		*buf;

	/* An admin-named path: a link is followed. */
	buf = file_read_small(AT_FDCWD, path, GH_MAX_SECRET, FILE_FOLLOW,
	    lenp, &st);
	if (buf == NULL && errno == EFBIG)
		log_warnx("github: %s %s is larger than %d bytes", what, path,
		    GH_MAX_SECRET);
	else if (buf == NULL)
		log_warnx("github: %s %s: %s", what, path, file_why(errno));
	if (buf == NULL)
		return NULL;
	/* Judged on what was read, so a chmod or swap in between is moot. */
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		log_warnx("github: refusing %s %s: it is accessible by group "
		    "or others (mode %04o); run chmod 600 on it", what, path,
		    (unsigned)(st.st_mode & 07777));
		OPENSSL_cleanse(buf, *lenp);
		free(buf);
		return NULL;
	}
	return buf;
}

/* A token file holds one token: printable, no spaces, trailing newline ok. */
static char *
gh_load_token(const char *path)
{
	char	*buf;
	size_t	 len, i;

	if ((buf = gh_read_secret(path, "token_file", &len)) == NULL)
		return NULL;
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	for (i = 0; i < len && isgraph((unsigned char)buf[i]); i++)
		;
	if (len == 0 || i != len) {
		log_warnx("github: token_file %s does not hold one token on "
		    "one line", path);
		OPENSSL_cleanse(buf, len);
		free(buf);
		return NULL;
	}
	return buf;
}

static EVP_PKEY *
gh_load_key(const char *path)
{
	EVP_PKEY	*key = NULL;
	char		*pem;
	size_t		 len;
	BIO		*bio;

	if ((pem = gh_read_secret(path, "private_key_file", &len)) == NULL)
		return NULL;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) != NULL) {
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	OPENSSL_cleanse(pem, len);
	free(pem);
	ERR_clear_error();
	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		log_warnx("github: private_key_file %s is not an RSA private "
		    "key in PEM form", path);
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

static char *
gh_b64url(const unsigned char *in, size_t len)
{
	char	*out, *p;
	int	 n;

	out = xmalloc(4 * ((len + 2) / 3) + 1);
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (p = out; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	return out;
}

/* RS256 JWT for the App: issued 60 s in the past against clock drift. */
static char *
gh_make_jwt(struct github *gh)
{
	EVP_MD_CTX	*md;
	char		*hdr, *claims, *input, *sig64, *jwt = NULL, *json;
	unsigned char	*sig;
	size_t		 siglen = 0;
	time_t		 now = time(NULL);
	const char	*p;
	int		 numeric = 1;

	for (p = gh->app_id; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			numeric = 0;
	/* A numeric App id is sent as a number, a client id as a string. */
	xasprintf(&json, numeric ? "{\"iat\":%lld,\"exp\":%lld,\"iss\":%s}" :
	    "{\"iat\":%lld,\"exp\":%lld,\"iss\":\"%s\"}",
	    (long long)now - 60, (long long)now + GH_JWT_LIFETIME, gh->app_id);
	hdr = gh_b64url((const unsigned char *)"{\"alg\":\"RS256\","
	    "\"typ\":\"JWT\"}", 27);
	claims = gh_b64url((unsigned char *)json, strlen(json));
	xasprintf(&input, "%s.%s", hdr, claims);
	free(json);
	free(hdr);
	free(claims);

	sig = xmalloc((size_t)EVP_PKEY_get_size(gh->key));
	siglen = (size_t)EVP_PKEY_get_size(gh->key);
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, gh->key) == 1 &&
	    EVP_DigestSign(md, sig, &siglen, (unsigned char *)input,
	    strlen(input)) == 1) {
		sig64 = gh_b64url(sig, siglen);
		xasprintf(&jwt, "%s.%s", input, sig64);
		free(sig64);
	} else
		log_warnx("github: signing the App JWT failed");
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	free(sig);
	free(input);
	return jwt;
}

/* ---- transport ------------------------------------------------------ */

/* The CA store must load now, not at the first request (a typo in ca_file
 * is a configuration error). libcurl reads it again per connection. */
static int
gh_tls_check(const char *ca_file)
{
	SSL_CTX	*ctx;
	int	 ok;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return -1;
	ok = ca_file != NULL ?
	    SSL_CTX_load_verify_locations(ctx, ca_file, NULL) == 1 :
	    SSL_CTX_set_default_verify_paths(ctx) == 1;
	SSL_CTX_free(ctx);
	ERR_clear_error();
	if (!ok) {
		log_warnx("github: cannot load the CA certificates%s%s",
		    ca_file ? " from " : "", ca_file ? ca_file : "");
		return -1;
	}
	return 0;
}

/* Does a no_proxy entry ("*", a name, a .domain or domain, an address)
 * name this host? As libcurl and the runner read it. */
static int
gh_no_proxy(const char *host)
{
	const char	*list = getenv("no_proxy"), *p, *e;
	size_t		 hlen = strlen(host), n;

	if (list == NULL || *list == '\0')
		list = getenv("NO_PROXY");
	if (list == NULL)
		return 0;
	for (p = list; *p != '\0'; p = *e ? e + 1 : e) {
		p += strspn(p, " \t");
		e = p + strcspn(p, ",");
		n = (size_t)(e - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n > 0 && *p == '.') {
			p++;
			n--;
		}
		if (n == 0)
			continue;
		if ((n == 1 && *p == '*') || (n == hlen &&
		    strncasecmp(p, host, n) == 0) || (hlen > n &&
		    host[hlen - n - 1] == '.' &&
		    strncasecmp(p, host + hlen - n, n) == 0))
			return 1;
	}
	return 0;
}

/*
 * The forward proxy for the API from the runner's environment (the runner's
 * documentation has self-hosted administrators set https_proxy and no_proxy
 * in .env, and every job and hook gets them): https_proxy, HTTPS_PROXY,
 * all_proxy, ALL_PROXY; none when no_proxy names the host. Decided here,
 * not by libcurl, because its host must be resolved before the transfer.
 */
static int
gh_set_proxy(struct github *gh)
{
	static const char *const vars[] = { "https_proxy", "HTTPS_PROXY",
	    "all_proxy", "ALL_PROXY" };
	const char	*v = NULL;
	size_t		 i;

	for (i = 0; i < nitems(vars) && v == NULL; i++)
		if ((v = getenv(vars[i])) != NULL && *v == '\0')
			v = NULL;
	if (v == NULL || gh_no_proxy(gh->host))
		return 0;
	if (http_parse_proxy(v, &gh->proxy_host, &gh->proxy_port) == 0)
		gh->proxy = xstrdup(v);
	else
		log_warnx("github: ignoring the proxy in the environment: not "
		    "an http:// or https:// proxy");
	return 0;	/* a bad proxy is no error: go direct, said why */
}

static int
gh_is_ip(const char *s)
{
	struct in6_addr	a6;
	struct in_addr	a4;

	return inet_pton(AF_INET, s, &a4) == 1 ||
	    inet_pton(AF_INET6, s, &a6) == 1;
}

/* The host libcurl connects to: the proxy, or the API itself. */
static const char *
gh_connect_host(const struct github *gh, int *port)
{
	*port = gh->proxy ? gh->proxy_port : gh->port;
	return gh->proxy ? gh->proxy_host : gh->host;
}

static void	gh_req_send(struct gh_req *, const char *);

/* The lookup's answer: "host:port:addr,addr" for CURLOPT_RESOLVE. */
static void
gh_req_dns_cb(int err, struct evutil_addrinfo *res, void *arg)
{
	struct gh_req		*req = arg;
	struct evutil_addrinfo	*ai;
	char			 entry[1024], addr[INET6_ADDRSTRLEN];
	const char		*host;
	size_t			 len;
	int			 port, n = 0;

	if (err == EVUTIL_EAI_CANCEL)
		return;			/* req is being closed */
	req->dns_req = NULL;
	host = gh_connect_host(req->gh, &port);
	len = (size_t)snprintf(entry, sizeof entry, "%s:%d:", host, port);
	for (ai = res; err == 0 && ai != NULL && len < sizeof entry - 64;
	    ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)
			    ai->ai_addr)->sin_addr, addr, sizeof addr);
		else if (ai->ai_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)
			    ai->ai_addr)->sin6_addr, addr, sizeof addr);
		else
			continue;
		len += (size_t)snprintf(entry + len, sizeof entry - len,
		    ai->ai_family == AF_INET6 ? "%s[%s]" : "%s%s",
		    n++ ? "," : "", addr);
	}
	if (res != NULL)
		evutil_freeaddrinfo(res);
	if (n == 0) {
		gh_req_fail_soon(req, 0, "");
		snprintf(req->error, sizeof req->error, "cannot resolve %s%s: "
		    "%s", req->gh->proxy ? "the proxy " : "", host,
		    err ? evutil_gai_strerror(err) : "no address");
		return;
	}
	gh_req_send(req, entry);
}

/* libcurl's answer: record it, handle it from our own timer. */
static void
gh_req_http_cb(const struct http_answer *a, struct http_xfer *x, void *arg)
{
	struct gh_req		*req = arg;
	const struct timeval	 now = { 0, 0 };
	const char		*v;

	req->xfer = NULL;		/* freed when we return */
	if (req->state != GH_REQ_INFLIGHT)
		return;
	if (a->status == 0) {
		snprintf(req->error, sizeof req->error, "%s", a->error);
		req->no_retry = a->tls_refused;
	} else {
		req->status = a->status;
		req->resp = xmalloc(a->len + 1);
		memcpy(req->resp, a->body, a->len);
		req->resp[a->len] = '\0';
		req->resp_len = a->len;
		if ((v = http_header(x, "Retry-After")) != NULL)
			req->retry_after = xstrdup(v);
		if ((v = http_header(x, "x-ratelimit-remaining")) != NULL)
			req->rl_remaining = xstrdup(v);
		if ((v = http_header(x, "x-ratelimit-reset")) != NULL)
			req->rl_reset = xstrdup(v);
	}
	req->state = GH_REQ_REAP;
	evtimer_add(req->timer, &now);
}

static void
gh_req_clear_answer(struct gh_req *req)
{
	req->status = 0;
	req->no_retry = 0;
	req->error[0] = '\0';
	req->note[0] = '\0';
	free(req->resp);
	free(req->retry_after);
	free(req->rl_remaining);
	free(req->rl_reset);
	req->resp = req->retry_after = req->rl_remaining = req->rl_reset = NULL;
	req->resp_len = 0;
}

static void
gh_req_close(struct gh_req *req)
{
	if (req->dns_req != NULL)
		evdns_getaddrinfo_cancel(req->dns_req);
	req->dns_req = NULL;
	http_cancel(req->xfer);
	req->xfer = NULL;
}

static void
gh_req_free(struct gh_req *req)
{
	if (req == NULL)
		return;
	gh_req_close(req);
	if (req->timer != NULL)
		event_free(req->timer);
	gh_req_clear_answer(req);
	free(req->path);
	free(req->body);
	free(req);
}

/* Seconds from an HTTP Retry-After value (delta seconds or a date). */
static double
gh_retry_after(const char *v)
{
	struct tm	 tm;
	char		*end;
	long		 n;

	if (v == NULL)
		return -1;
	n = strtol(v, &end, 10);
	if (end != v && *end == '\0' && n >= 0)
		return (double)n;
	memset(&tm, 0, sizeof tm);
	if (strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm) != NULL)
		return difftime(timegm(&tm), time(NULL));
	return -1;
}

/*
 * How long GitHub asks us to wait, or -1 when the answer is final.
 * 5xx and transport errors back off exponentially; rate limits wait what
 * the headers say (Retry-After first, then x-ratelimit-reset when nothing
 * remains, then a minute for a secondary limit that names no time).
 */
static double
gh_req_wait(struct gh_req *req, const char **why)
{
	double	ra = gh_retry_after(req->retry_after), backoff;
	int	limited;

	backoff = req->gh->limits.backoff_ms / 1000.0 *
	    (double)(1u << (req->attempts > 6 ? 5 : req->attempts - 1));
	if (req->status == 0) {
		*why = "network error";
		return req->no_retry ? -1 : backoff;
	}
	if (req->status >= 500 && req->status <= 599) {
		*why = "server error";
		return ra >= 0 ? ra : backoff;
	}
	limited = req->status == 429 || (req->status == 403 &&
	    (req->retry_after != NULL || (req->rl_remaining != NULL &&
	    strcmp(req->rl_remaining, "0") == 0) || (req->resp != NULL &&
	    strcasestr(req->resp, "secondary rate limit") != NULL)));
	if (!limited)
		return -1;
	*why = "rate limited";
	if (ra >= 0)
		return ra;
	if (req->rl_remaining != NULL && strcmp(req->rl_remaining, "0") == 0 &&
	    req->rl_reset != NULL) {
		ra = difftime((time_t)strtoll(req->rl_reset, NULL, 10),
		    time(NULL)) + 1;
		return ra > 0 ? ra : 0;	/* a reset in the past: now */
	}
	return GH_SECONDARY_WAIT;
}

static void
gh_req_final(struct gh_req *req)
{
	req->state = GH_REQ_DONE;
	req->done(req, req->done_arg);
}

/* The attempt is over: final answer, or wait and try again. */
static void
gh_req_classify(struct gh_req *req)
{
	const struct github_limits *lim = &req->gh->limits;
	struct timeval	 tv;
	const char	*why = NULL;
	double		 wait, left;

	if ((wait = gh_req_wait(req, &why)) < 0) {
		gh_req_final(req);
		return;
	}
	if (wait < 0.05)
		wait = 0.05;
	left = lim->max_total_ms / 1000.0 - (mono_now() - req->started);
	if (req->attempts >= lim->max_attempts)
		snprintf(req->note, sizeof req->note, "%s; gave up after %u "
		    "attempt%s", why, req->attempts,
		    req->attempts == 1 ? "" : "s");
	else if (wait > left)
		snprintf(req->note, sizeof req->note, "%s; gave up: the next "
		    "try is %g s away, beyond the %g s budget", why,
		    round(wait * 10) / 10, lim->max_total_ms / 1000.0);
	if (req->note[0] != '\0') {
		log_info("github: %s %s: %s", req->method_name, req->path,
		    req->note);
		gh_req_final(req);
		return;
	}
	log_info("github: %s %s: %s (%d); attempt %u in %.1f s",
	    req->method_name, req->path, why, req->status, req->attempts + 1,
	    wait);
	gh_req_clear_answer(req);
	tv.tv_sec = (time_t)wait;
	tv.tv_usec = (suseconds_t)((wait - (double)tv.tv_sec) * 1e6);
	req->state = GH_REQ_WAIT;
	evtimer_add(req->timer, &tv);
}

static void
gh_req_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct gh_req	*req = arg;

	switch (req->state) {
	case GH_REQ_INFLIGHT:
		/* Freeing the connection drops the request silently. */
		gh_req_close(req);
		snprintf(req->error, sizeof req->error, "no answer within "
		    "%u ms", req->gh->limits.request_timeout_ms);
		gh_req_classify(req);
		break;
	case GH_REQ_REAP:
		gh_req_close(req);
		gh_req_classify(req);
		break;
	case GH_REQ_WAIT:
		gh_req_attempt(req);
		break;
	default:
		break;
	}
}

/* The headers, "Name: value". Authorization holds a secret: freed wiped. */
static char **
gh_req_headers(struct gh_req *req)
{
	struct github	*gh = req->gh;
	char		**h = xcalloc(8, sizeof *h);
	int		  n = 0;

	h[n++] = xstrdup("Accept: application/vnd.github+json");
	xasprintf(&h[n++], "X-GitHub-Api-Version: %s", GH_API_VERSION);
	xasprintf(&h[n++], "User-Agent: %s", GH_USER_AGENT);
	h[n++] = xstrdup("Connection: close");
	if (req->body != NULL)
		h[n++] = xstrdup("Content-Type: application/json");
	if (req->auth == GH_AUTH_JWT) {
		gh_secret_free(&gh->jwt);
		if ((gh->jwt = gh_make_jwt(gh)) == NULL) {
			gh_headers_free(h);
			return NULL;
		}
	}
	xasprintf(&h[n++], "Authorization: Bearer %s", req->auth ==
	    GH_AUTH_JWT ? gh->jwt : gh->token);
	return h;
}

/* The attempt failed before reaching the network; report from the timer. */
static void
gh_req_fail_soon(struct gh_req *req, int no_retry, const char *why)
{
	const struct timeval	now = { 0, 0 };

	snprintf(req->error, sizeof req->error, "%s", why);
	req->no_retry = no_retry;
	req->state = GH_REQ_REAP;
	evtimer_add(req->timer, &now);
}

/* Hand the attempt to libcurl, the connect host resolved (or an address). */
static void
gh_req_send(struct gh_req *req, const char *resolve)
{
	struct github		*gh = req->gh;
	const char		*res[2] = { resolve, NULL };
	struct http_request	 hr;
	char			**headers, *url;
	int			 v6 = strchr(gh->host, ':') != NULL;

	if ((headers = gh_req_headers(req)) == NULL) {
		gh_req_fail_soon(req, 1, "cannot build the request headers");
		return;
	}
	xasprintf(&url, "https://%s%s%s:%d%s%s", v6 ? "[" : "", gh->host,
	    v6 ? "]" : "", gh->port, gh->prefix, req->path);
	memset(&hr, 0, sizeof hr);
	hr.method = req->method_name;
	hr.url = url;
	hr.headers = (const char *const *)headers;
	hr.body = req->body;
	hr.ca_file = gh->ca_file;
	hr.proxy = gh->proxy;
	hr.resolve = resolve ? res : NULL;
	hr.connect_timeout_ms = gh->limits.connect_timeout_ms;
	/* The req's timer decides ("no answer within …"); libcurl's own
	 * bound is only a backstop behind it. */
	hr.timeout_ms = gh->limits.request_timeout_ms + 1000;
	hr.max_body = GH_MAX_BODY;
	req->xfer = http_start(gh->http, &hr, gh_req_http_cb, req);
	gh_headers_free(headers);
	free(url);
	if (req->xfer == NULL)
		gh_req_fail_soon(req, 0, "cannot send the request");
}

/* One attempt: arm its timeout, resolve the host to connect to with evdns
 * (libcurl's resolver would start a thread), then send. */
static void
gh_req_attempt(struct gh_req *req)
{
	struct github			*gh = req->gh;
	struct evutil_addrinfo		 hints;
	struct timeval			 tv;
	const char			*host;
	char				 port[16];
	int				 portn;

	req->attempts++;
	gh_req_clear_answer(req);
	log_debug("github: %s %s (attempt %u)", req->method_name, req->path,
	    req->attempts);
	req->state = GH_REQ_INFLIGHT;
	tv = ms_tv(gh->limits.request_timeout_ms);
	evtimer_add(req->timer, &tv);
	host = gh_connect_host(gh, &portn);
	if (gh_is_ip(host)) {
		gh_req_send(req, NULL);
		return;
	}
	if (gh->dns == NULL) {
		gh_req_fail_soon(req, 0, "no DNS resolver");
		return;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	snprintf(port, sizeof port, "%d", portn);
	/* The answer may come at once (hosts file): dns_req is NULL then. */
	req->dns_req = evdns_getaddrinfo(gh->dns, host, port, &hints,
	    gh_req_dns_cb, req);
}

static struct gh_req *
gh_req_new(struct github *gh, enum evhttp_cmd_type method, const char *path,
    char *body, enum gh_auth auth, gh_req_done done, void *arg)
{
	struct gh_req	*req = xcalloc(1, sizeof *req);

	req->gh = gh;
	req->method = method;
	req->method_name = method == EVHTTP_REQ_GET ? "GET" :
	    method == EVHTTP_REQ_PATCH ? "PATCH" : "POST";
	req->path = xstrdup(path);
	req->body = body;
	req->auth = auth;
	req->done = done;
	req->done_arg = arg;
	req->timer = evtimer_new(gh->base, gh_req_timer_cb, req);
	req->started = mono_now();
	gh_req_attempt(req);
	return req;
}

/* "HTTP 403: Resource not accessible by integration", or the network error. */
static void
gh_req_describe(struct gh_req *req, char *buf, size_t size)
{
	cJSON		*doc, *msg;
	const char	*text = NULL;
	size_t		 len;

	if (req->status == 0)
		snprintf(buf, size, "%s", req->error[0] ? req->error :
		    "no answer");
	else {
		doc = req->resp ? cJSON_Parse(req->resp) : NULL;
		msg = cJSON_GetObjectItemCaseSensitive(doc, "message");
		if (cJSON_IsString(msg)) {
			text = msg->valuestring;
			gh_scrub(req->gh, msg->valuestring);
		}
		snprintf(buf, size, "HTTP %d%s%.200s", req->status,
		    text ? ": " : "", text ? text : "");
		cJSON_Delete(doc);
	}
	if (req->note[0] != '\0') {
		len = strlen(buf);
		snprintf(buf + len, size - len, " (%s)", req->note);
	}
	gh_scrub(req->gh, buf);
}

/* ---- installation token --------------------------------------------- */

static int
gh_token_fresh(struct github *gh)
{
	if (gh->token == NULL)
		return 0;
	return gh->token_expires == 0 ||
	    time(NULL) + GH_TOKEN_MARGIN < gh->token_expires;
}

/* Take the installation token out of a 201 answer; 0 if there is none. */
static int
gh_token_parse(struct github *gh, struct gh_req *req)
{
	cJSON		*doc, *tok, *exp;
	struct tm	 tm;
	int		 ok = 0;

	if (req->status != 201 || (doc = cJSON_Parse(req->resp)) == NULL)
		return 0;
	tok = cJSON_GetObjectItemCaseSensitive(doc, "token");
	exp = cJSON_GetObjectItemCaseSensitive(doc, "expires_at");
	memset(&tm, 0, sizeof tm);
	if (cJSON_IsString(tok) && tok->valuestring[0] != '\0' &&
	    cJSON_IsString(exp) &&
	    strptime(exp->valuestring, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL) {
		gh_secret_free(&gh->token);
		gh->token = xstrdup(tok->valuestring);
		gh->token_expires = timegm(&tm);
		/*
		 * A token already "expiring" (skewed clock) is still used
		 * once rather than fetched again and again.
		 */
		if (gh->token_expires < time(NULL) + GH_TOKEN_MARGIN + 1)
			gh->token_expires = time(NULL) + GH_TOKEN_MARGIN + 1;
		ok = 1;
	}
	if (cJSON_IsString(tok))
		OPENSSL_cleanse(tok->valuestring, strlen(tok->valuestring));
	cJSON_Delete(doc);
	return ok;
}

static void
gh_token_done(struct gh_req *req, void *arg)
{
	struct github	*gh = req->gh;
	struct gh_op	*op;
	char		 why[GH_RESULT_MAX];
	int		 ok;

	gh->token_req = NULL;
	gh_secret_free(&gh->jwt);
	if ((ok = gh_token_parse(gh, req)))
		log_info("github: got an installation token for installation "
		    "%s", gh->installation_id);
	else if (req->status == 201)
		snprintf(why, sizeof why, "no token in the answer");
	else
		gh_req_describe(req, why, sizeof why);
	if (req->resp != NULL)
		OPENSSL_cleanse(req->resp, req->resp_len);
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

	if (gh_token_fresh(gh)) {
		gh_op_step(op);
		return;
	}
	op->waiting_token = 1;
	if (gh->token_req != NULL)
		return;
	xasprintf(&path, "/app/installations/%s/access_tokens",
	    gh->installation_id);
	gh->token_req = gh_req_new(gh, EVHTTP_REQ_POST, path, NULL,
	    GH_AUTH_JWT, gh_token_done, NULL);
	free(path);
}

/* ---- operations ----------------------------------------------------- */

static void
gh_op_free(struct gh_op *op)
{
	TAILQ_REMOVE(&op->gh->ops, op, entry);
	gh_req_free(op->req);
	if (op->deliver != NULL)
		event_free(op->deliver);
	free(op->result);
	free(op->head_sha);
	free(op->job_url);
	cJSON_Delete(op->annotations);
	free(op->title);
	free(op->summary);
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
	gh_scrub(op->gh, result);
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
	gh_secret_free(&gh->token);
	log_info("github: token rejected; getting a new one");
	gh_op_go(op);
	return 1;
}

static void
gh_op_req_done(struct gh_req *req, void *arg)
{
	struct gh_op	*op = arg;
	char		 why[GH_RESULT_MAX];

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
	op->nrequests++;
	if (op->kind == GH_OP_CANCEL) {
		gh_op_finish(op, 1, "cancel-run: cancellation requested "
		    "(HTTP %d)", req->status);
		gh_req_free(req);
		return;
	}
	gh_check_answer(op, req);
	gh_req_free(req);
}

static void
gh_op_send(struct gh_op *op, enum evhttp_cmd_type method, const char *path,
    char *body)
{
	op->req = gh_req_new(op->gh, method, path, body, GH_AUTH_TOKEN,
	    gh_op_req_done, op);
}

/* ---- check run -------------------------------------------------------- */

/* Cut `s` to at most `max` bytes without splitting a UTF-8 sequence. */
static char *
gh_cut(const char *s, size_t max)
{
	size_t	len = strlen(s);

	if (len <= max)
		return xstrdup(s);
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return xstrndup(s, max);
}

static void
gh_add_cut(cJSON *obj, const char *key, const char *s, size_t max)
{
	char	*v = gh_cut(s ? s : "", max);

	cJSON_AddStringToObject(obj, key, v);
	free(v);
}

static const char *
gh_level(enum severity sev)
{
	switch (sev) {
	case SEVERITY_FATAL:
		return "failure";
	case SEVERITY_WARNING:
		return "warning";
	default:
		return "notice";
	}
}

/* verdict.c's names, repeated so this module links on its own. */
static const char *
gh_severity(enum severity sev)
{
	switch (sev) {
	case SEVERITY_FATAL:
		return "fatal";
	case SEVERITY_WARNING:
		return "warning";
	default:
		return "notice";
	}
}

/* A verdict as a check-run annotation; it names no file, so ".github". */
static cJSON *
gh_annotation(const struct verdict *v)
{
	cJSON	*a = cJSON_CreateObject();
	char	*title, *msg, *details = NULL, *p;
	size_t	 i, len = 0;

	cJSON_AddStringToObject(a, "path", ".github");
	cJSON_AddNumberToObject(a, "start_line", 1);
	cJSON_AddNumberToObject(a, "end_line", 1);
	cJSON_AddStringToObject(a, "annotation_level", gh_level(v->severity));
	xasprintf(&title, "%s: %s", v->rule_id ? v->rule_id : "rule",
	    v->title ? v->title : "");
	gh_add_cut(a, "title", title, 255);
	free(title);
	/* The one sanitising path: the message holds engine captures. */
	msg = sanitise_str(v->message ? v->message : v->title);
	gh_add_cut(a, "message", msg, GH_TEXT_MAX);
	free(msg);
	for (i = 0; i < v->nevidence; i++)
		len += strlen(v->evidence[i]) + 1;
	if (len > 0) {
		details = p = xmalloc(len + 1);
		for (i = 0; i < v->nevidence; i++)
			p += sprintf(p, "%s\n", v->evidence[i]);
		gh_add_cut(a, "raw_details", details, GH_SUMMARY_MAX);
		free(details);
	}
	return a;
}

static void
gh_summary_add(char **buf, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
gh_summary_add(char **buf, size_t *len, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;
	int	 n;

	va_start(ap, fmt);
	n = xvasprintf(&line, fmt, ap);
	va_end(ap);
	*buf = xreallocarray(*buf, 1, *len + (size_t)n + 1);
	memcpy(*buf + *len, line, (size_t)n + 1);
	*len += (size_t)n;
	free(line);
}

/* Title, Markdown summary and conclusion of the check run. */
static void
gh_check_texts(struct gh_op *op, const struct verdict_list *vl)
{
	const struct verdict	*v, *stopped = NULL;
	char			*sum = NULL, *cut, *id, *msg, *res;
	size_t			 len = 0;
	int			 n = 0, fatal = 0;

	TAILQ_FOREACH(v, vl, entry) {
		n++;
		if (v->severity == SEVERITY_FATAL && !v->observe) {
			fatal++;
			if (stopped == NULL)
				stopped = v;
		}
	}
	if (stopped != NULL)
		xasprintf(&op->title, "breaker stopped the engine: %s",
		    stopped->title ? stopped->title : stopped->rule_id);
	else
		xasprintf(&op->title, "breaker: %d finding%s", n,
		    n == 1 ? "" : "s");
	op->conclusion = n == 0 ? "success" : fatal ? "failure" : "neutral";
	gh_summary_add(&sum, &len, "breaker recorded %d verdict%s in this "
	    "job.\n\n", n, n == 1 ? "" : "s");
	TAILQ_FOREACH(v, vl, entry) {
		/* Markdown: the one sanitising path, autolinks broken. */
		id = sanitise_markdown(v->rule_id ? v->rule_id : "rule",
		    GH_TEXT_MAX);
		msg = sanitise_markdown(v->message ? v->message :
		    (v->title ? v->title : ""), GH_TEXT_MAX);
		gh_summary_add(&sum, &len, "- **%s** (%s%s): %s\n", id,
		    gh_severity(v->severity), v->observe ? ", observe" : "",
		    msg);
		free(id);
		free(msg);
		if (v->action != VERDICT_NONE) {
			res = sanitise_markdown(v->action_result ?
			    v->action_result : "", GH_TEXT_MAX);
			gh_summary_add(&sum, &len, "  - action: %s%s%s\n",
			    verdict_action_name(v->action),
			    *res != '\0' ? ": " : "", res);
			free(res);
		}
		if (len > GH_SUMMARY_MAX)
			break;
	}
	cut = gh_cut(sum, GH_SUMMARY_MAX);
	free(sum);
	op->summary = cut;
}

static char *
gh_check_body(struct gh_op *op, int create)
{
	cJSON	*doc = cJSON_CreateObject(), *out, *anns;
	char	*body, *id;
	int	 i, final;

	op->batch = op->nann - op->next_ann;
	if (op->batch > GH_ANN_PER_REQUEST)
		op->batch = GH_ANN_PER_REQUEST;
	final = op->next_ann + op->batch >= op->nann;
	if (create) {
		cJSON_AddStringToObject(doc, "name", "breaker");
		cJSON_AddStringToObject(doc, "head_sha", op->head_sha);
		if (op->job_id > 0) {
			xasprintf(&id, "%lld", op->job_id);
			cJSON_AddStringToObject(doc, "external_id", id);
			free(id);
		}
		if (op->job_url != NULL)
			cJSON_AddStringToObject(doc, "details_url",
			    op->job_url);
	}
	cJSON_AddStringToObject(doc, "status", final ? "completed" :
	    "in_progress");
	if (final)
		cJSON_AddStringToObject(doc, "conclusion", op->conclusion);
	out = cJSON_AddObjectToObject(doc, "output");
	cJSON_AddStringToObject(out, "title", op->title);
	cJSON_AddStringToObject(out, "summary", op->summary);
	anns = cJSON_AddArrayToObject(out, "annotations");
	for (i = 0; i < op->batch; i++)
		cJSON_AddItemToArray(anns, cJSON_Duplicate(
		    cJSON_GetArrayItem(op->annotations, op->next_ann + i), 1));
	body = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (body == NULL)
		fatalx("github: cannot print JSON");
	return body;
}

static void
gh_op_step(struct gh_op *op)
{
	struct github	*gh = op->gh;
	char		*path;

	switch (op->step) {
	case GH_STEP_CANCEL:
		xasprintf(&path, "/repos/%s/actions/runs/%s/cancel",
		    gh->repository, gh->run_id);
		gh_op_send(op, EVHTTP_REQ_POST, path, NULL);
		break;
	case GH_STEP_RUN:
		xasprintf(&path, "/repos/%s/actions/runs/%s", gh->repository,
		    gh->run_id);
		gh_op_send(op, EVHTTP_REQ_GET, path, NULL);
		break;
	case GH_STEP_JOBS:
		xasprintf(&path, "/repos/%s/actions/runs/%s/attempts/%s/jobs"
		    "?per_page=%d&page=%d", gh->repository, gh->run_id,
		    gh->run_attempt, GH_JOBS_PER_PAGE, op->jobs_page);
		gh_op_send(op, EVHTTP_REQ_GET, path, NULL);
		break;
	case GH_STEP_CREATE:
		xasprintf(&path, "/repos/%s/check-runs", gh->repository);
		gh_op_send(op, EVHTTP_REQ_POST, path, gh_check_body(op, 1));
		break;
	case GH_STEP_UPDATE:
		xasprintf(&path, "/repos/%s/check-runs/%lld", gh->repository,
		    op->check_id);
		gh_op_send(op, EVHTTP_REQ_PATCH, path, gh_check_body(op, 0));
		break;
	}
	free(path);
}

static int
gh_str_eq(const cJSON *obj, const char *key, const char *want)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return want != NULL && cJSON_IsString(v) &&
	    strcmp(v->valuestring, want) == 0;
}

/*
 * One page of the attempt's jobs: this job is the one our runner runs
 * (or, with no runner name, the one named after the job key); a job in
 * progress beats an earlier one of the same runner. Returns 1 when the
 * search is over.
 */
static int
gh_check_jobs(struct gh_op *op, cJSON *doc)
{
	struct github	*gh = op->gh;
	cJSON		*jobs, *job, *id, *url, *total;
	int		 n = 0, match, running;

	jobs = cJSON_GetObjectItemCaseSensitive(doc, "jobs");
	cJSON_ArrayForEach(job, jobs) {
		n++;
		match = gh->runner_name != NULL ?
		    gh_str_eq(job, "runner_name", gh->runner_name) :
		    gh_str_eq(job, "name", gh->job_key);
		id = cJSON_GetObjectItemCaseSensitive(job, "id");
		if (!match || !cJSON_IsNumber(id))
			continue;
		running = gh_str_eq(job, "status", "in_progress");
		if (op->job_running && !running)
			continue;
		op->job_id = (long long)id->valuedouble;
		op->job_running = running;
		url = cJSON_GetObjectItemCaseSensitive(job, "html_url");
		free(op->job_url);
		op->job_url = cJSON_IsString(url) ?
		    xstrdup(url->valuestring) : NULL;
	}
	total = cJSON_GetObjectItemCaseSensitive(doc, "total_count");
	return op->job_running || n < GH_JOBS_PER_PAGE ||
	    op->jobs_page >= GH_JOBS_MAX_PAGES || (cJSON_IsNumber(total) &&
	    op->jobs_page * GH_JOBS_PER_PAGE >= total->valueint);
}

static void
gh_check_answer(struct gh_op *op, struct gh_req *req)
{
	cJSON	*doc = cJSON_Parse(req->resp ? req->resp : ""), *v;

	switch (op->step) {
	case GH_STEP_RUN:
		v = cJSON_GetObjectItemCaseSensitive(doc, "head_sha");
		if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
			gh_op_finish(op, 0, "check-run failed: the run has no "
			    "head_sha");
			break;
		}
		op->head_sha = xstrdup(v->valuestring);
		op->step = GH_STEP_JOBS;
		op->jobs_page = 1;
		gh_op_go(op);
		break;
	case GH_STEP_JOBS:
		if (!gh_check_jobs(op, doc)) {
			op->jobs_page++;
			gh_op_go(op);
			break;
		}
		if (op->job_id == 0)
			log_warnx("github: this job was not found among the "
			    "run's jobs; the check run will not link to it");
		op->step = GH_STEP_CREATE;
		gh_op_go(op);
		break;
	case GH_STEP_CREATE:
	case GH_STEP_UPDATE:
		v = cJSON_GetObjectItemCaseSensitive(doc, "id");
		if (op->step == GH_STEP_CREATE && !cJSON_IsNumber(v)) {
			gh_op_finish(op, 0, "check-run failed: no id in the "
			    "answer");
			break;
		}
		if (op->step == GH_STEP_CREATE)
			op->check_id = (long long)v->valuedouble;
		op->next_ann += op->batch;
		if (op->next_ann < op->nann) {
			op->step = GH_STEP_UPDATE;
			gh_op_go(op);
			break;
		}
		gh_op_finish(op, 1, "check-run: published \"breaker\" (id "
		    "%lld, %s) with %d annotation%s in %d request%s",
		    op->check_id, op->conclusion, op->nann,
		    op->nann == 1 ? "" : "s", op->step == GH_STEP_CREATE ? 1 :
		    1 + (op->nann - 1) / GH_ANN_PER_REQUEST,
		    op->nann > GH_ANN_PER_REQUEST ? "s" : "");
		break;
	default:
		break;
	}
	cJSON_Delete(doc);
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

/* Names that go into a URL path: nothing that could change the path. */
static int
gh_safe(const char *s, const char *extra)
{
	if (s == NULL || *s == '\0' || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return 0;
	return 1;
}

static int
gh_set_url(struct github *gh, const char *url)
{
	struct evhttp_uri	*u;
	const char		*scheme, *host, *path;
	struct in6_addr		 a6;
	struct in_addr		 a4;
	size_t			 len;

	if ((u = evhttp_uri_parse(url)) == NULL)
		goto bad;
	scheme = evhttp_uri_get_scheme(u);
	host = evhttp_uri_get_host(u);
	path = evhttp_uri_get_path(u);
	if (scheme == NULL || strcasecmp(scheme, "https") != 0 ||
	    host == NULL || *host == '\0' || evhttp_uri_get_query(u) != NULL ||
	    evhttp_uri_get_userinfo(u) != NULL) {
		evhttp_uri_free(u);
		goto bad;
	}
	gh->host = xstrdup(host);
	gh->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 443;
	gh->host_is_ip = inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1;
	gh->prefix = xstrdup(path ? path : "");
	len = strlen(gh->prefix);
	while (len > 0 && gh->prefix[len - 1] == '/')
		gh->prefix[--len] = '\0';
	evhttp_uri_free(u);
	return 0;
bad:
	log_warnx("github: api_url %s is not an https:// URL", url);
	return -1;
}

static int
gh_set_job(struct github *gh, const struct github_job *job)
{
	if (job == NULL || !gh_safe(job->repository, "-_./") ||
	    strchr(job->repository, '/') == NULL ||
	    strstr(job->repository, "..") != NULL ||
	    !gh_safe(job->run_id, "")) {
		log_warnx("github: the job's repository and run id are "
		    "missing or malformed");
		return -1;
	}
	gh->repository = xstrdup(job->repository);
	gh->run_id = xstrdup(job->run_id);
	gh->run_attempt = xstrdup(gh_safe(job->run_attempt, "") ?
	    job->run_attempt : "1");
	gh->job_key = job->job_key ? xstrdup(job->job_key) : NULL;
	gh->runner_name = job->runner_name && *job->runner_name ?
	    xstrdup(job->runner_name) : NULL;
	return 0;
}

static int
gh_set_credentials(struct github *gh, const struct policy_github *pg)
{
	if (pg->app_id != NULL || pg->installation_id != NULL ||
	    pg->private_key_file != NULL) {
		if (!gh_safe(pg->app_id, "-_.") ||
		    !gh_safe(pg->installation_id, "") ||
		    pg->private_key_file == NULL) {
			log_warnx("github: a GitHub App needs app_id, a "
			    "numeric installation_id and private_key_file");
			return -1;
		}
		gh->app_id = xstrdup(pg->app_id);
		gh->installation_id = xstrdup(pg->installation_id);
		if ((gh->key = gh_load_key(pg->private_key_file)) == NULL)
			return -1;
		return 0;
	}
	if (pg->token_file != NULL) {
		if ((gh->token = gh_load_token(pg->token_file)) == NULL)
			return -1;
		return 0;
	}
	log_warnx("github: no credentials configured (a GitHub App or "
	    "token_file); GitHub actions are off");
	return -1;
}

struct github *
github_new(struct event_base *base, const struct policy_github *pg,
    const struct github_job *job)
{
	struct github	*gh;
	const char	*url;
	int		 port;

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
	    gh_set_credentials(gh, pg) == -1 ||
	    gh_tls_check(pg->ca_file) == -1 || gh_set_proxy(gh) == -1 ||
	    (gh->http = http_new(base)) == NULL) {
		github_free(gh);
		return NULL;
	}
	gh->ca_file = pg->ca_file ? xstrdup(pg->ca_file) : NULL;
	/*
	 * Resolve without blocking the loop (else getaddrinfo). The flag is
	 * set before the name servers are added so that their sockets stay
	 * out of the loop while no lookup runs: an idle github keeps no
	 * event, and the caller's loop can end.
	 */
	if (!gh_is_ip(gh_connect_host(gh, &port)) &&
	    (gh->dns = evdns_base_new(base,
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) != NULL &&
	    evdns_base_resolv_conf_parse(gh->dns, DNS_OPTIONS_ALL,
	    "/etc/resolv.conf") != 0)
		log_info("github: no usable /etc/resolv.conf; using the "
		    "defaults");
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
	if (gh->dns != NULL)
		evdns_base_free(gh->dns, 0);
	http_free(gh->http);
	free(gh->ca_file);
	gh_secret_free(&gh->proxy);	/* may hold a proxy password */
	free(gh->proxy_host);
	EVP_PKEY_free(gh->key);
	gh_secret_free(&gh->token);
	gh_secret_free(&gh->jwt);
	free(gh->app_id);
	free(gh->installation_id);
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

/*
 * GitHub's token prefixes: ghp_ (classic PAT), github_pat_ (fine-grained
 * PAT), gho_ (OAuth app). Those are refused by POST /check-runs ("You must
 * authenticate via a GitHub App"). An installation token (ghs_, like a
 * job's GITHUB_TOKEN with checks: write) or one of an unknown shape (a GHES
 * proxy's) is tried.
 */
static int
gh_token_is_personal(const char *token)
{
	static const char *const	 personal[] = { "ghp_", "github_pat_",
					     "gho_" };
	size_t				 i;

	for (i = 0; token != NULL && i < sizeof(personal) /
	    sizeof(personal[0]); i++)
		if (strncmp(token, personal[i], strlen(personal[i])) == 0)
			return 1;
	return 0;
}

void
github_check_run(struct github *gh, const struct verdict_list *vl,
    github_done_cb cb, void *arg)
{
	struct gh_op		*op = gh_op_new(gh, GH_OP_CHECK, cb, arg);
	const struct verdict	*v;

	op->step = GH_STEP_RUN;
	if (!gh->allow_check) {
		gh_op_finish(op, 0, "check-run: not allowed by the "
		    "configuration (github.check_run)");
		return;
	}
	if (gh->key == NULL && gh_token_is_personal(gh->token)) {
		gh_op_finish(op, 0, "check-run: skipped: GitHub lets only a "
		    "GitHub App create check runs, and token_file holds a "
		    "personal or OAuth token (configure app_id, "
		    "installation_id and private_key_file)");
		return;
	}
	op->annotations = cJSON_CreateArray();
	TAILQ_FOREACH(v, vl, entry) {
		cJSON_AddItemToArray(op->annotations, gh_annotation(v));
		op->nann++;
	}
	gh_check_texts(op, vl);
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
