/*
 * control.c: one request line, one reply, the "last" request ending the
 * daemon only after its reply went out; a client that gets no daemon or no
 * answer fails fast and says why; stale socket files are replaced.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "control.h"
#include "log.h"
#include "xalloc.h"

static char	tmpdir[256];
static char	sockpath[600];

struct server {
	struct event_base	*base;
	struct control		*ctl;
	struct event		*later;		/* answers a deferred request */
	struct event		*busy;		/* a backlog that re-arms */
	unsigned long		 busy_runs;
	int			 requests;
	int			 done;
	char			 last_request[CONTROL_MAX_REQUEST + 2];
};

static char *
handler(const char *req, int *last, void *arg)
{
	struct server	*s = arg;
	char		*reply;

	s->requests++;
	snprintf(s->last_request, sizeof s->last_request, "%s", req);
	if (strcmp(req, "finish") == 0) {
		*last = 1;
		return xstrdup("ok\n");
	}
	if (strcmp(req, "big") == 0) {
		reply = xmalloc(200001);
		memset(reply, 'b', 200000);
		reply[200000] = '\0';
		return reply;
	}
	if (strcmp(req, "empty") == 0)
		return NULL;
	if (strcmp(req, "later") == 0) {
		struct timeval tv = { 0, 200 * 1000 };

		evtimer_add(s->later, &tv);
		return CONTROL_DEFER;
	}
	xasprintf(&reply, "{\"echo\":\"%s\"}\n", req);
	return reply;
}

static void
done_cb(void *arg)
{
	struct server	*s = arg;

	s->done++;
	event_base_loopexit(s->base, NULL);
}

struct client {
	const char	*requests[8];
	size_t		 n;
	char		*replies[8];
	int		 rcs[8];
	int		 errs[8];
	struct control_peer peers[8];
};

static void
later_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct server	*s = arg;

	assert_int_equal(control_answer(s->ctl, "late\n", 0), 1);
}

/* Work that re-activates itself at once, as the tailer does on a backlog. */
static void
busy_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct server	*s = arg;

	s->busy_runs++;
	event_active(s->busy, EV_TIMEOUT, 0);
}

static void *
client_thread(void *arg)
{
	struct client	*c = arg;
	size_t		 i;

	for (i = 0; i < c->n; i++) {
		c->rcs[i] = control_request_peer(sockpath, c->requests[i], 5.0,
		    &c->replies[i], &c->peers[i]);
		c->errs[i] = errno;
	}
	return NULL;
}

static int
setup(void **state)
{
	strcpy(tmpdir, "/tmp/test_control.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(sockpath, sizeof sockpath, "%s/%s", tmpdir, CONTROL_SOCKET);
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd;

	xasprintf(&cmd, "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

/*
 * Run the server loop while a thread plays the client. `busy`: on a base
 * set up as the daemon's (two priorities, at most 8 callbacks of the lower
 * one per pass), with an event that re-arms itself forever.
 */
static void
serve_on(struct server *s, struct client *c, int busy)
{
	struct event_config	*cfg = event_config_new();
	pthread_t		 t;
	struct timeval		 guard = { 20, 0 };

	memset(s, 0, sizeof *s);
	if (busy)
		event_config_set_max_dispatch_interval(cfg, NULL, 8, 1);
	s->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (busy) {
		assert_int_equal(event_base_priority_init(s->base, 2), 0);
		s->busy = event_new(s->base, -1, 0, busy_cb, s);
		event_active(s->busy, EV_TIMEOUT, 0);
	}
	s->later = evtimer_new(s->base, later_cb, s);
	s->ctl = control_listen(s->base, sockpath, handler, done_cb, s);
	assert_non_null(s->ctl);
	assert_int_equal(pthread_create(&t, NULL, client_thread, c), 0);
	event_base_loopexit(s->base, &guard);	/* never hang the suite */
	event_base_dispatch(s->base);
	assert_int_equal(pthread_join(t, NULL), 0);
	control_free(s->ctl);
	event_free(s->later);
	if (s->busy != NULL)
		event_free(s->busy);
	event_base_free(s->base);
}

static void
serve(struct server *s, struct client *c)
{
	serve_on(s, c, 0);
}

/* A deferred answer; the client learns who listens from the kernel. */
static void
test_deferred_and_peer(void **state)
{
	struct server	s;
	struct client	c = { .requests = { "later", "finish" }, .n = 2 };

	serve(&s, &c);
	assert_int_equal(c.rcs[0], 0);
	assert_string_equal(c.replies[0], "late\n");
	assert_int_equal(c.peers[0].pid, getpid());
	assert_int_equal(c.peers[0].uid, geteuid());
	assert_true(c.peers[0].connected > 0);
	assert_int_equal(c.rcs[1], 0);
	assert_int_equal(s.done, 1);
	free(c.replies[0]);
	free(c.replies[1]);
}

/*
 * F8: work that never yields (a backlog re-arming itself) must not starve
 * the socket: its requests run at the top priority, and the loop polls
 * between pieces of the work.
 */
static void
test_answers_during_backlog(void **state)
{
	struct server	s;
	struct client	c = { .requests = { "status", "finish" }, .n = 2 };

	serve_on(&s, &c, 1);
	assert_int_equal(c.rcs[0], 0);
	assert_string_equal(c.replies[0], "{\"echo\":\"status\"}\n");
	assert_int_equal(c.rcs[1], 0);
	assert_int_equal(s.done, 1);
	assert_true(s.busy_runs > 0);
	free(c.replies[0]);
	free(c.replies[1]);
}

static void
test_status_then_finish(void **state)
{
	struct server	s;
	struct client	c = { .requests = { "status", "finish" }, .n = 2 };
	struct stat	st;

	serve(&s, &c);
	assert_int_equal(c.rcs[0], 0);
	assert_string_equal(c.replies[0], "{\"echo\":\"status\"}\n");
	assert_int_equal(c.rcs[1], 0);
	assert_string_equal(c.replies[1], "ok\n");
	assert_int_equal(s.requests, 2);
	assert_int_equal(s.done, 1);
	/* control_free removes the socket file. */
	assert_int_equal(stat(sockpath, &st), -1);
	free(c.replies[0]);
	free(c.replies[1]);
}

static void
test_big_and_empty_reply(void **state)
{
	struct server	s;
	struct client	c = { .requests = { "big", "empty", "finish" }, .n = 3 };

	serve(&s, &c);
	assert_int_equal(c.rcs[0], 0);
	assert_int_equal(strlen(c.replies[0]), 200000);
	assert_int_equal(c.rcs[1], 0);
	assert_string_equal(c.replies[1], "");
	assert_int_equal(s.done, 1);
	free(c.replies[0]);
	free(c.replies[1]);
	free(c.replies[2]);
}

static void
test_long_request_dropped(void **state)
{
	struct server	s;
	char		big[CONTROL_MAX_REQUEST * 4];
	struct client	c = { .n = 2 };

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	c.requests[0] = big;
	c.requests[1] = "finish";
	serve(&s, &c);
	/* Never handled: the connection is closed without an answer. */
	assert_true(c.rcs[0] == -1 || strcmp(c.replies[0], "") == 0);
	assert_int_equal(s.requests, 1);
	assert_string_equal(s.last_request, "finish");
	free(c.replies[0]);
	free(c.replies[1]);
}

static void
test_no_daemon(void **state)
{
	char	*reply = (char *)1;
	int	 fd;
	struct sockaddr_un sun;

	assert_int_equal(control_request(sockpath, "status", 1.0, &reply), -1);
	assert_int_equal(errno, ENOENT);
	assert_null(reply);
	/* A socket file left by a killed daemon: refused, not a hang. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, sockpath);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	close(fd);
	assert_int_equal(control_request(sockpath, "status", 1.0, &reply), -1);
	assert_int_equal(errno, ECONNREFUSED);
}

/* A daemon that accepts but never answers: the client gives up in time. */
static void
test_timeout(void **state)
{
	struct sockaddr_un	sun;
	char			*reply = NULL;
	int			 fd;

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, sockpath);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(control_request(sockpath, "finish", 0.3, &reply), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_null(reply);
	close(fd);
}

/* The stale socket of a killed daemon is replaced by the next listen. */
static void
test_stale_socket_replaced(void **state)
{
	struct server	s;
	struct client	c = { .requests = { "status", "finish" }, .n = 2 };
	int		fd;
	struct sockaddr_un sun;

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, sockpath);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	close(fd);
	serve(&s, &c);
	assert_int_equal(c.rcs[0], 0);
	assert_int_equal(s.done, 1);
	free(c.replies[0]);
	free(c.replies[1]);
}

/* A deep state directory: the socket path exceeds sun_path's 107 bytes. */
static void
test_long_path(void **state)
{
	struct server	 s;
	struct client	 c = { .requests = { "status", "finish" }, .n = 2 };
	char		 deep[512], *cmd;
	char		*reply = NULL;
	struct event_base *base = event_base_new();

	snprintf(deep, sizeof deep, "%s/%s/%s", tmpdir,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	xasprintf(&cmd, "mkdir -p '%s'", deep);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	snprintf(sockpath, sizeof sockpath, "%s/%s", deep, CONTROL_SOCKET);
	assert_true(strlen(sockpath) > 108);
	serve(&s, &c);
	assert_int_equal(c.rcs[0], 0);
	assert_string_equal(c.replies[0], "{\"echo\":\"status\"}\n");
	assert_int_equal(s.done, 1);
	free(c.replies[0]);
	free(c.replies[1]);
	/* A long path whose directory does not exist: a clear error. */
	snprintf(sockpath, sizeof sockpath, "%s/missing/%s", deep,
	    CONTROL_SOCKET);
	assert_null(control_listen(base, sockpath, handler, done_cb, NULL));
	assert_int_equal(control_request(sockpath, "status", 0.2, &reply), -1);
	assert_int_equal(errno, ENOENT);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status_then_finish, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_big_and_empty_reply, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_request_dropped, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_daemon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_and_peer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_answers_during_backlog,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket_replaced,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_path, setup,
		    teardown),
	};

	log_init("test_control", LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
