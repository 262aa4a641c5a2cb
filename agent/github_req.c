/*
 * One GitHub REST request and all its attempts. Every attempt gets a fresh
 * TLS connection (libcurl on the daemon's event loop: http.c does the one
 * attempt; through the environment's https_proxy unless no_proxy names the
 * host), and its answer is classified (final, or retry after a wait that
 * honours Retry-After and the rate-limit headers, within the limits'
 * attempts and time) outside libcurl's callbacks, from the req's own
 * timer, so a transfer is never freed while libcurl is still using it.
 *
 * Host names are resolved here with evdns: libcurl's resolver would start
 * a thread, which the daemon's sandbox forbids.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "github_int.h"
#include "http.h"
#include "log.h"
#include "util.h"
#include "xalloc.h"

#ifndef BREAKER_VERSION
#define BREAKER_VERSION "0"
#endif

#define GH_USER_AGENT		"breaker/" BREAKER_VERSION
#define GH_API_VERSION		"2022-11-28"
#define GH_SECONDARY_WAIT	60	/* GitHub: wait at least a minute */

static void	gh_req_attempt(struct gh_req *);
static void	gh_req_fail_soon(struct gh_req *, int, const char *);

/* Headers may hold a secret (Authorization): wiped as they are freed. */
static void
gh_req_headers_free(char **h)
{
	size_t	i;

	for (i = 0; h != NULL && h[i] != NULL; i++)
		gh_auth_secret_free(&h[i]);
	free(h);
}

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

void
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
		log_info("github: %s %s: %s", req->method, req->path,
		    req->note);
		gh_req_final(req);
		return;
	}
	log_info("github: %s %s: %s (%d); attempt %u in %.1f s",
	    req->method, req->path, why, req->status, req->attempts + 1,
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
	char	**h = xcalloc(8, sizeof *h);
	int	  n = 0;

	h[n++] = xstrdup("Accept: application/vnd.github+json");
	xasprintf(&h[n++], "X-GitHub-Api-Version: %s", GH_API_VERSION);
	xasprintf(&h[n++], "User-Agent: %s", GH_USER_AGENT);
	h[n++] = xstrdup("Connection: close");
	if (req->body != NULL)
		h[n++] = xstrdup("Content-Type: application/json");
	if ((h[n++] = gh_auth_header(req->gh, req->auth)) == NULL) {
		gh_req_headers_free(h);
		return NULL;
	}
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
	hr.method = req->method;
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
	gh_req_headers_free(headers);
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
	log_debug("github: %s %s (attempt %u)", req->method, req->path,
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

struct gh_req *
gh_req_new(struct github *gh, const char *method, const char *path,
    char *body, enum gh_auth auth, gh_req_done done, void *arg)
{
	struct gh_req	*req = xcalloc(1, sizeof *req);

	req->gh = gh;
	req->method = method;
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

void
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
			gh_auth_scrub(req->gh, msg->valuestring);
		}
		snprintf(buf, size, "HTTP %d%s%.200s", req->status,
		    text ? ": " : "", text ? text : "");
		cJSON_Delete(doc);
	}
	if (req->note[0] != '\0') {
		len = strlen(buf);
		snprintf(buf + len, size - len, " (%s)", req->note);
	}
	gh_auth_scrub(req->gh, buf);
}

/* What every request needs: the CA store, the proxy, libcurl, and a
 * resolver unless the host to connect to is an address. */
int
gh_req_setup(struct github *gh, const char *ca_file)
{
	int	port;

	if (gh_tls_check(ca_file) == -1 || gh_set_proxy(gh) == -1 ||
	    (gh->http = http_new(gh->base)) == NULL)
		return -1;
	gh->ca_file = ca_file ? xstrdup(ca_file) : NULL;
	/*
	 * Resolve without blocking the loop (else getaddrinfo). The flag is
	 * set before the name servers are added so that their sockets stay
	 * out of the loop while no lookup runs: an idle github keeps no
	 * event, and the caller's loop can end.
	 */
	if (!gh_is_ip(gh_connect_host(gh, &port)) &&
	    (gh->dns = evdns_base_new(gh->base,
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) != NULL &&
	    evdns_base_resolv_conf_parse(gh->dns, DNS_OPTIONS_ALL,
	    "/etc/resolv.conf") != 0)
		log_info("github: no usable /etc/resolv.conf; using the "
		    "defaults");
	return 0;
}

void
gh_req_teardown(struct github *gh)
{
	if (gh->dns != NULL)
		evdns_base_free(gh->dns, 0);
	gh->dns = NULL;
	http_free(gh->http);
	gh->http = NULL;
	free(gh->ca_file);
	gh_auth_secret_free(&gh->proxy);	/* may hold a proxy password */
	free(gh->proxy_host);
	gh->ca_file = gh->proxy_host = NULL;
}
