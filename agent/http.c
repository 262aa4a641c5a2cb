/*
 * HTTPS through libcurl's multi-socket interface on the libevent loop.
 *
 * libcurl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and
 * when to wake it (CURLMOPT_TIMERFUNCTION); libevent watches, and hands
 * readiness back with curl_multi_socket_action(). Finished transfers are
 * collected after every action and reported to their callback, always from
 * the event loop. One transfer is one attempt on a fresh connection: the
 * retries, back-off and rate limits are github.c's.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <openssl/x509.h>

#include "http.h"
#include "log.h"
#include "xalloc.h"

struct http_xfer {
	TAILQ_ENTRY(http_xfer)	 entry;
	struct http		*http;
	CURL			*easy;
	struct curl_slist	*headers;
	struct curl_slist	*resolve;
	char			*body;
	char			*resp;
	size_t			 len, cap, max;
	int			 too_large;
	int			 host_is_ip;
	char			*host;
	char			 errbuf[CURL_ERROR_SIZE];
	char			 error[320];
	http_done_cb		 cb;
	void			*arg;
};

struct http {
	struct event_base	*base;
	CURLM			*multi;
	struct event		*timer;
	TAILQ_HEAD(, http_xfer)	 xfers;
};

/* A socket libcurl asked us to watch. */
struct http_sock {
	struct http	*http;
	struct event	*ev;
};

/* --- the loop ------------------------------------------------------------- */

static void
http_collect(struct http *h)
{
	struct http_xfer	*x;
	struct http_answer	 a;
	CURLMsg			*m;
	long			 code = 0, vr = 0;
	int			 left;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		curl_multi_remove_handle(h->multi, x->easy);
		TAILQ_REMOVE(&h->xfers, x, entry);
		x->http = NULL;		/* out of the multi and the list */
		memset(&a, 0, sizeof a);
		a.body = x->resp ? x->resp : "";
		a.len = x->len;
		if (m->data.result == CURLE_OK) {
			curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
			a.status = (int)code;
		} else if (x->too_large) {
			snprintf(x->error, sizeof x->error, "answer too large");
		} else if (m->data.result == CURLE_PEER_FAILED_VERIFICATION) {
			/* The chain (an X.509 reason), else libcurl's own check
			 * of the name or address, which leaves the result OK or
			 * "unspecified". */
			curl_easy_getinfo(x->easy, CURLINFO_SSL_VERIFYRESULT, &vr);
			a.tls_refused = 1;
			snprintf(x->error, sizeof x->error, "TLS certificate of "
			    "%s refused: %s", x->host, vr != X509_V_OK &&
			    vr != X509_V_ERR_UNSPECIFIED ?
			    X509_verify_cert_error_string(vr) : x->host_is_ip ?
			    "IP address mismatch" : "hostname mismatch");
		} else if (m->data.result == CURLE_OPERATION_TIMEDOUT) {
			snprintf(x->error, sizeof x->error, "timed out");
		} else
			snprintf(x->error, sizeof x->error, "%s",
			    x->errbuf[0] ? x->errbuf :
			    curl_easy_strerror(m->data.result));
		a.error = x->error;
		x->cb(&a, x, x->arg);
		http_cancel(x);
	}
}

static void
http_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_sock	*s = arg;
	struct http		*h = s->http;	/* s may go in the action */
	int			 flags = 0, running;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(h->multi, fd, flags, &running);
	http_collect(h);
}

static void
http_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http	*h = arg;
	int		 running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_collect(h);
}

static int
http_socket_fn(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *socketp)
{
	struct http		*h = userp;
	struct http_sock	*s = socketp;
	short			 kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			event_free(s->ev);
			free(s);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->http = h;
		curl_multi_assign(h->multi, fd, s);
	} else
		event_free(s->ev);
	s->ev = event_new(h->base, fd, kind, http_event_cb, s);
	event_add(s->ev, NULL);
	return 0;
}

/* libcurl's wish to be woken; never act from inside it. */
static int
http_timer_fn(CURLM *multi, long ms, void *userp)
{
	struct http	*h = userp;
	struct timeval	 tv;

	if (ms < 0)
		evtimer_del(h->timer);
	else {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		evtimer_add(h->timer, &tv);
	}
	return 0;
}

/* --- one transfer ----------------------------------------------------------- */

static size_t
http_write_fn(char *data, size_t size, size_t n, void *arg)
{
	struct http_xfer	*x = arg;
	size_t			 len = size * n;

	if (x->len + len > x->max) {
		x->too_large = 1;
		return 0;	/* CURLE_WRITE_ERROR */
	}
	if (x->len + len + 1 > x->cap) {
		x->cap = (x->len + len + 1) * 2;
		if (x->cap > x->max + 1)
			x->cap = x->max + 1;
		x->resp = xreallocarray(x->resp, 1, x->cap);
	}
	memcpy(x->resp + x->len, data, len);
	x->len += len;
	x->resp[x->len] = '\0';
	return len;
}

/* Headers may hold a token: wipe them before freeing. */
static void
http_slist_wipe(struct curl_slist *l)
{
	struct curl_slist	*p;

	for (p = l; p != NULL; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

/* The host of an https:// URL, and whether it is an address. */
static void
http_url_host(struct http_xfer *x, const char *url)
{
	CURLU	*u = curl_url();
	char	*host = NULL;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		x->host = xstrdup(host);
		x->host_is_ip = strspn(host, "0123456789.") == strlen(host) ||
		    host[0] == '[';
	} else
		x->host = xstrdup("?");
	curl_free(host);
	curl_url_cleanup(u);
}

#define HTTP_SET(opt, val)	(rc |= curl_easy_setopt(x->easy, opt, val))

static int
http_setup(struct http_xfer *x, const struct http_request *r)
{
	const char *const	*p;
	CURLcode		 rc = CURLE_OK;

	for (p = r->headers; p != NULL && *p != NULL; p++)
		x->headers = curl_slist_append(x->headers, *p);
	/* No "Expect: 100-continue" round trip before a body. */
	x->headers = curl_slist_append(x->headers, "Expect:");
	for (p = r->resolve; p != NULL && *p != NULL; p++)
		x->resolve = curl_slist_append(x->resolve, *p);
	HTTP_SET(CURLOPT_PRIVATE, x);
	HTTP_SET(CURLOPT_URL, r->url);
	HTTP_SET(CURLOPT_PROTOCOLS_STR, "https");
	HTTP_SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	HTTP_SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (r->ca_file != NULL)
		HTTP_SET(CURLOPT_CAINFO, r->ca_file);
	/* "" disables the environment's proxies: the caller decided. */
	HTTP_SET(CURLOPT_PROXY, r->proxy ? r->proxy : "");
	HTTP_SET(CURLOPT_RESOLVE, x->resolve);
	HTTP_SET(CURLOPT_HTTPHEADER, x->headers);
	HTTP_SET(CURLOPT_NOSIGNAL, 1L);
	HTTP_SET(CURLOPT_FRESH_CONNECT, 1L);
	HTTP_SET(CURLOPT_FORBID_REUSE, 1L);
	HTTP_SET(CURLOPT_CONNECTTIMEOUT_MS, (long)r->connect_timeout_ms);
	HTTP_SET(CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
	HTTP_SET(CURLOPT_ERRORBUFFER, x->errbuf);
	HTTP_SET(CURLOPT_WRITEFUNCTION, http_write_fn);
	HTTP_SET(CURLOPT_WRITEDATA, x);
	if (strcmp(r->method, "GET") == 0)
		HTTP_SET(CURLOPT_HTTPGET, 1L);
	else {
		x->body = xstrdup(r->body ? r->body : "");
		HTTP_SET(CURLOPT_POSTFIELDS, x->body);
		HTTP_SET(CURLOPT_POSTFIELDSIZE, (long)strlen(x->body));
		if (strcmp(r->method, "POST") != 0)
			HTTP_SET(CURLOPT_CUSTOMREQUEST, r->method);
	}
	return rc == CURLE_OK ? 0 : -1;
}

struct http_xfer *
http_start(struct http *h, const struct http_request *r, http_done_cb cb,
    void *arg)
{
	struct http_xfer	*x = xcalloc(1, sizeof *x);

	x->http = h;
	x->cb = cb;
	x->arg = arg;
	x->max = r->max_body;
	http_url_host(x, r->url);
	if ((x->easy = curl_easy_init()) == NULL || http_setup(x, r) == -1 ||
	    curl_multi_add_handle(h->multi, x->easy) != CURLM_OK) {
		log_warnx("http: cannot set up a request to %s", x->host);
		x->http = NULL;		/* not in the list */
		http_cancel(x);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&h->xfers, x, entry);
	return x;
}

void
http_cancel(struct http_xfer *x)
{
	if (x == NULL)
		return;
	if (x->http != NULL) {		/* still in flight */
		curl_multi_remove_handle(x->http->multi, x->easy);
		TAILQ_REMOVE(&x->http->xfers, x, entry);
	}
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	http_slist_wipe(x->headers);
	curl_slist_free_all(x->resolve);
	if (x->body != NULL) {
		explicit_bzero(x->body, strlen(x->body));
		free(x->body);
	}
	free(x->resp);
	free(x->host);
	free(x);
}

const char *
http_header(struct http_xfer *x, const char *name)
{
	struct curl_header	*hd;

	if (curl_easy_header(x->easy, name, 0, CURLH_HEADER, -1, &hd) !=
	    CURLHE_OK)
		return NULL;
	return hd->value;
}

/* --- setup -------------------------------------------------------------------- */

struct http *
http_new(struct event_base *base)
{
	static int	 global;
	struct http	*h;

	if (!global) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			log_warnx("http: libcurl does not initialise");
			return NULL;
		}
		global = 1;
	}
	h = xcalloc(1, sizeof *h);
	h->base = base;
	TAILQ_INIT(&h->xfers);
	if ((h->multi = curl_multi_init()) == NULL) {
		free(h);
		return NULL;
	}
	h->timer = evtimer_new(base, http_timer_cb, h);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, http_socket_fn);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, http_timer_fn);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
}

void
http_free(struct http *h)
{
	struct http_xfer	*x;

	if (h == NULL)
		return;
	while ((x = TAILQ_FIRST(&h->xfers)) != NULL) {
		TAILQ_REMOVE(&h->xfers, x, entry);
		curl_multi_remove_handle(h->multi, x->easy);
		x->http = NULL;
		http_cancel(x);
	}
	curl_multi_cleanup(h->multi);
	event_free(h->timer);
	free(h);
}
