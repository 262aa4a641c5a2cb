/*
 * HTTPS through libcurl's multi-socket interface on the libevent loop.
 *
 * libcurl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and
 * when to wake it (CURLMOPT_TIMERFUNCTION); libevent watches, and hands
 * readiness back with curl_multi_socket_action(). Finished transfers are
 * collected after every action and reported to their callback, always from
 * the event loop. One transfer is one attempt on a fresh connection: the
 * retries, back-off and rate limits are github_req.c's.
 */
#include <sys/queue.h>

#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The library is opened on first use (http_load), so no type-checking
 * macros: every call below goes through the table. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <event2/event.h>
#include <openssl/x509.h>

#include "http.h"
#include "log.h"
#include "util.h"
#include "xalloc.h"

/*
 * libcurl is loaded with dlopen when the GitHub actions are first used, not
 * linked: Debian's libcurl brings some 25 libraries (HTTP/2, SSH, LDAP,
 * Kerberos, GnuTLS for RTMP …) that would add 4 MB to the resident size of
 * every per-job daemon, most of which never talk to GitHub (measured: 5.8
 * MB linked without libcurl, 9.8 MB with it; the daemon's bound is 8 MB).
 */
#define HTTP_LIBCURL	"libcurl.so.4"

static struct {
	CURLcode	 (*global_init)(long);
	CURLM		*(*multi_init)(void);
	CURLMcode	 (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode	 (*multi_assign)(CURLM *, curl_socket_t, void *);
	CURLMcode	 (*multi_socket_action)(CURLM *, curl_socket_t, int,
			    int *);
	CURLMsg		*(*multi_info_read)(CURLM *, int *);
	CURLMcode	 (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode	 (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode	 (*multi_cleanup)(CURLM *);
	CURL		*(*easy_init)(void);
	CURLcode	 (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	 (*easy_getinfo)(CURL *, CURLINFO, ...);
	void		 (*easy_cleanup)(CURL *);
	const char	*(*easy_strerror)(CURLcode);
	CURLHcode	 (*easy_header)(CURL *, const char *, size_t,
			    unsigned int, int, struct curl_header **);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void		 (*slist_free_all)(struct curl_slist *);
	CURLU		*(*url)(void);
	CURLUcode	 (*url_set)(CURLU *, CURLUPart, const char *,
			    unsigned int);
	CURLUcode	 (*url_get)(const CURLU *, CURLUPart, char **,
			    unsigned int);
	void		 (*url_cleanup)(CURLU *);
	void		 (*free)(void *);
} lc;

static const struct {
	const char	*name;
	size_t		 off;
} http_syms[] = {
#define S(f, n)	{ n, offsetof(__typeof__(lc), f) }
	S(global_init, "curl_global_init"),
	S(multi_init, "curl_multi_init"),
	S(multi_setopt, "curl_multi_setopt"),
	S(multi_assign, "curl_multi_assign"),
	S(multi_socket_action, "curl_multi_socket_action"),
	S(multi_info_read, "curl_multi_info_read"),
	S(multi_add_handle, "curl_multi_add_handle"),
	S(multi_remove_handle, "curl_multi_remove_handle"),
	S(multi_cleanup, "curl_multi_cleanup"),
	S(easy_init, "curl_easy_init"),
	S(easy_setopt, "curl_easy_setopt"),
	S(easy_getinfo, "curl_easy_getinfo"),
	S(easy_cleanup, "curl_easy_cleanup"),
	S(easy_strerror, "curl_easy_strerror"),
	S(easy_header, "curl_easy_header"),
	S(slist_append, "curl_slist_append"),
	S(slist_free_all, "curl_slist_free_all"),
	S(url, "curl_url"),
	S(url_set, "curl_url_set"),
	S(url_get, "curl_url_get"),
	S(url_cleanup, "curl_url_cleanup"),
	S(free, "curl_free"),
#undef S
};

#undef curl_multi_setopt
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init	lc.global_init
#define curl_multi_init		lc.multi_init
#define curl_multi_setopt	lc.multi_setopt
#define curl_multi_assign	lc.multi_assign
#define curl_multi_socket_action lc.multi_socket_action
#define curl_multi_info_read	lc.multi_info_read
#define curl_multi_add_handle	lc.multi_add_handle
#define curl_multi_remove_handle lc.multi_remove_handle
#define curl_multi_cleanup	lc.multi_cleanup
#define curl_easy_init		lc.easy_init
#define curl_easy_setopt	lc.easy_setopt
#define curl_easy_getinfo	lc.easy_getinfo
#define curl_easy_cleanup	lc.easy_cleanup
#define curl_easy_strerror	lc.easy_strerror
#define curl_easy_header	lc.easy_header
#define curl_slist_append	lc.slist_append
#define curl_slist_free_all	lc.slist_free_all
#define curl_url		lc.url
#define curl_url_set		lc.url_set
#define curl_url_get		lc.url_get
#define curl_url_cleanup	lc.url_cleanup
#define curl_free		lc.free

/* Open libcurl and initialise it, once; -1 (logged) when it is missing. */
static int
http_load(void)
{
	static int	 state;		/* 0 not tried, 1 loaded, -1 failed */
	void		*lib, *f;
	size_t		 i;

	if (state != 0)
		return state == 1 ? 0 : -1;
	state = -1;
	if ((lib = dlopen(HTTP_LIBCURL, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_warnx("http: cannot load %s (%s): the GitHub actions are "
		    "off", HTTP_LIBCURL, dlerror());
		return -1;
	}
	for (i = 0; i < nitems(http_syms); i++) {
		if ((f = dlsym(lib, http_syms[i].name)) == NULL) {
			log_warnx("http: %s lacks %s (libcurl >= 7.84 needed)",
			    HTTP_LIBCURL, http_syms[i].name);
			return -1;
		}
		memcpy((char *)&lc + http_syms[i].off, &f, sizeof f);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("http: libcurl does not initialise");
		return -1;
	}
	state = 1;
	return 0;
}

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
	struct http	*h;

	if (http_load() == -1)
		return NULL;
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

int
http_available(void)
{
	return http_load() == 0;
}

int
http_parse_proxy(const char *url, char **host, int *port)
{
	CURLU	*u;
	char	*h = NULL, *p = NULL, *scheme = NULL;
	int	 rc = -1;

	*host = NULL;
	if (http_load() == -1 || (u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_GUESS_SCHEME |
	    CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0)) {
		/* libcurl's default proxy port is 1080 */
		*port = curl_url_get(u, CURLUPART_PORT, &p, 0) == CURLUE_OK ?
		    atoi(p) : strcmp(scheme, "https") == 0 ? 443 : 1080;
		if (h[0] == '[') {		/* [v6] */
			h[strlen(h) - 1] = '\0';
			*host = xstrdup(h + 1);
		} else
			*host = xstrdup(h);
		rc = 0;
	}
	curl_free(h);
	curl_free(p);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}
