/*
 * The control socket. One request line per connection, one reply, then the
 * daemon closes. The socket lives in the job's 0700 state directory, and
 * the peer's uid is checked as well, so only the runner's user (or root)
 * can make the daemon flush and exit.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "control.h"
#include "log.h"
#include "util.h"
#include "xalloc.h"

#define CONTROL_MAX_CONNS	16
#define CONTROL_CONN_TIMEOUT	5	/* s a client may take to ask */

/*
 * Control events run at CONTROL_PRIORITY, the loop's highest: on a base
 * with several priorities (the daemon's) a request is served before the
 * next piece of a backlog the tailer is working through.
 */
#define CONTROL_PRIORITY	0

struct control {
	struct event		*listen_ev;
	struct event		*pause_ev;	/* accept failed: retry later */
	int			 fd;
	char			*path;
	control_handler		 handler;
	control_done_cb		 done;
	void			*arg;
	int			 nconns;
	TAILQ_HEAD(, control_conn) deferred;
};

struct control_conn {
	struct control		*ctl;
	struct bufferevent	*bev;
	int			 replied;
	int			 last;
	int			 deferred;	/* waits for control_answer() */
	TAILQ_ENTRY(control_conn) entry;
};

/* The sentinel a handler returns to answer later (CONTROL_DEFER). */
char	control_defer_mark[] = "";

static void
conn_free(struct control_conn *c)
{
	if (c->deferred)
		TAILQ_REMOVE(&c->ctl->deferred, c, entry);
	c->ctl->nconns--;
	bufferevent_free(c->bev);
	free(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct control_conn	*c = arg;
	struct control		*ctl = c->ctl;
	int			 last = c->last;

	if (!c->replied || evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	conn_free(c);
	if (last && ctl->done != NULL)
		ctl->done(ctl->arg);
}

static void	conn_send(struct control_conn *, char *);

static void
conn_reply(struct control_conn *c, const char *request)
{
	char	*reply;

	reply = c->ctl->handler(request, &c->last, c->ctl->arg);
	c->replied = 1;
	bufferevent_disable(c->bev, EV_READ);
	if (reply == CONTROL_DEFER) {
		c->deferred = 1;
		TAILQ_INSERT_TAIL(&c->ctl->deferred, c, entry);
		return;
	}
	conn_send(c, reply);
}

/* Write the reply out; `done` follows once it has gone (conn_write_cb). */
static void
conn_send(struct control_conn *c, char *reply)
{
	if (reply != NULL && *reply != '\0')
		bufferevent_write(c->bev, reply, strlen(reply));
	free(reply);
	/* Nothing to write: the write callback would never run. */
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_write_cb(c->bev, c);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct control_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	char			*line;
	size_t			 len;

	if (c->replied)
		return;
	line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
	if (line == NULL) {
		if (evbuffer_get_length(in) > CONTROL_MAX_REQUEST) {
			log_warnx("control: request too long, dropped");
			conn_free(c);
		}
		return;
	}
	if (len > CONTROL_MAX_REQUEST) {
		log_warnx("control: request too long, dropped");
		free(line);
		conn_free(c);
		return;
	}
	conn_reply(c, line);
	free(line);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct control_conn	*c = arg;
	struct control		*ctl = c->ctl;
	int			 last = c->last && c->replied;

	if (what & BEV_EVENT_TIMEOUT)
		log_debug("control: client timed out");
	else if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR)) {
		/* The client closed its side after asking: still answer. */
		if (c->replied) {
			bufferevent_disable(bev, EV_READ);
			return;
		}
		if (evbuffer_get_length(bufferevent_get_input(bev)) > 0 &&
		    evbuffer_add(bufferevent_get_input(bev), "\n", 1) == 0) {
			conn_read_cb(bev, c);
			return;
		}
	}
	conn_free(c);
	/* The client went away before reading all: still do what it asked. */
	if (last && ctl->done != NULL)
		ctl->done(ctl->arg);
}

/*
 * Who listens: the kernel's record of the process that called listen() on
 * the socket we reached (for a client, SO_PEERCRED is the listener's), and
 * when we reached it, in /proc's start-time ticks since boot.
 */
static void
peer_credentials(int fd, struct control_peer *peer)
{
	struct ucred	cred;
	struct timespec	ts;
	socklen_t	len = sizeof cred;

	memset(peer, 0, sizeof *peer);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    cred.pid <= 0)
		return;
	peer->pid = cred.pid;
	peer->uid = cred.uid;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	peer->connected = (unsigned long long)ts.tv_sec * sysconf(_SC_CLK_TCK) +
	    (unsigned long long)ts.tv_nsec / (1000000000 / sysconf(_SC_CLK_TCK));
}

static int
peer_allowed(int fd)
{
	struct ucred	cred;
	socklen_t	len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return 0;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void
resume_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct control	*ctl = arg;

	event_add(ctl->listen_ev, NULL);
}

static void
accept_cb(evutil_socket_t lfd, short ev, void *arg)
{
	struct control		*ctl = arg;
	struct control_conn	*c;
	struct timeval		 tv = { CONTROL_CONN_TIMEOUT, 0 };
	struct timeval		 pause = { 1, 0 };
	int			 fd;

	if (ev & EV_TIMEOUT)	/* back from a pause: wait for clients again */
		event_add(ctl->listen_ev, NULL);
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return;
		/* Out of descriptors: the listener stays readable, so pause
		 * it a second rather than spin at the loop's top priority. */
		log_warn("control: accept");
		event_del(ctl->listen_ev);
		evtimer_add(ctl->pause_ev, &pause);
		return;
	}
	if (ctl->nconns >= CONTROL_MAX_CONNS || !peer_allowed(fd)) {
		log_warnx("control: connection refused");
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->ctl = ctl;
	c->bev = bufferevent_socket_new(event_get_base(ctl->listen_ev), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	ctl->nconns++;
	bufferevent_priority_set(c->bev, CONTROL_PRIORITY);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/*
 * sun_path holds 107 bytes. A longer path (a deep BREAKER_STATE_DIR) is
 * reached through its directory: /proc/self/fd/N/control.sock, where N is
 * an O_PATH descriptor of the directory, open until bind or connect is
 * done (*dirfd; -1 when not needed).
 */
static int
fill_sun(struct sockaddr_un *sun, const char *path, int *dirfd)
{
	const char	*slash;
	char		*dir;

	*dirfd = -1;
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (strlen(path) < sizeof sun->sun_path) {
		strncpy(sun->sun_path, path, sizeof sun->sun_path - 1);
		return 0;
	}
	if ((slash = strrchr(path, '/')) == NULL || slash == path ||
	    strlen(slash) > 64) {
		errno = ENAMETOOLONG;
		return -1;
	}
	dir = xstrndup(path, slash - path);
	*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (*dirfd == -1)
		return -1;
	snprintf(sun->sun_path, sizeof sun->sun_path, "/proc/self/fd/%d%s",
	    *dirfd, slash);
	return 0;
}

static void
close_dirfd(int fd)
{
	int	saved = errno;

	if (fd != -1)
		close(fd);
	errno = saved;
}

struct control *
control_listen(struct event_base *base, const char *path,
    control_handler handler, control_done_cb done, void *arg)
{
	struct control		*ctl;
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	int			 dirfd, rc;

	if (fill_sun(&sun, path, &dirfd) == -1) {
		log_warn("control socket %s", path);
		return NULL;
	}
	/* A socket left by a daemon that was killed: replace it. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	ctl = xcalloc(1, sizeof *ctl);
	ctl->path = xstrdup(path);
	ctl->handler = handler;
	ctl->done = done;
	ctl->arg = arg;
	TAILQ_INIT(&ctl->deferred);
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	old = umask(0077);
	rc = ctl->fd == -1 ? -1 : bind(ctl->fd, (struct sockaddr *)&sun,
	    sizeof sun);
	umask(old);
	close_dirfd(dirfd);
	if (rc == -1 || listen(ctl->fd, 8) == -1) {
		log_warn("control socket %s", path);
		if (ctl->fd != -1)
			close(ctl->fd);
		free(ctl->path);
		free(ctl);
		return NULL;
	}
	ctl->listen_ev = event_new(base, ctl->fd, EV_READ | EV_PERSIST,
	    accept_cb, ctl);
	event_priority_set(ctl->listen_ev, CONTROL_PRIORITY);
	event_add(ctl->listen_ev, NULL);
	ctl->pause_ev = evtimer_new(base, resume_cb, ctl);
	return ctl;
}

int
control_answer(struct control *ctl, const char *reply, int last)
{
	struct control_conn	*c;
	int			 n = 0;

	while ((c = TAILQ_FIRST(&ctl->deferred)) != NULL) {
		TAILQ_REMOVE(&ctl->deferred, c, entry);
		c->deferred = 0;
		c->last = c->last || last;
		conn_send(c, reply != NULL ? xstrdup(reply) : NULL);
		n++;
	}
	return n;
}

void
control_free(struct control *ctl)
{
	if (ctl == NULL)
		return;
	event_free(ctl->listen_ev);
	event_free(ctl->pause_ev);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}

/* Wait until fd is ready for `events` or the deadline passes. */
static int
wait_fd(int fd, short events, double deadline)
{
	struct pollfd	pfd = { .fd = fd, .events = events };
	double		left;
	int		n;

	for (;;) {
		left = deadline - mono_now();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

static int
send_all(int fd, const char *buf, size_t len, double deadline)
{
	ssize_t	n;

	while (len > 0) {
		if (wait_fd(fd, POLLOUT, deadline) == -1)
			return -1;
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

static int
recv_all(int fd, char **reply, double deadline)
{
	size_t	len = 0, cap = 4096;
	char	*buf = xmalloc(cap);
	ssize_t	n;

	for (;;) {
		if (wait_fd(fd, POLLIN, deadline) == -1)
			break;
		if (len + 1 >= cap) {
			if (cap >= CONTROL_MAX_REPLY) {
				errno = EMSGSIZE;
				break;
			}
			cap *= 2;
			buf = xreallocarray(buf, cap, 1);
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n == 0) {
			buf[len] = '\0';
			*reply = buf;
			return 0;
		}
		if (n == -1 && errno != EINTR && errno != EAGAIN)
			break;
		if (n > 0)
			len += n;
	}
	free(buf);
	return -1;
}

int
control_request(const char *path, const char *request, double timeout,
    char **reply)
{
	return control_request_peer(path, request, timeout, reply, NULL);
}

int
control_request_peer(const char *path, const char *request, double timeout,
    char **reply, struct control_peer *peer)
{
	struct sockaddr_un	 sun;
	double			 deadline = mono_now() + timeout;
	char			*line;
	int			 fd, rc = -1, saved, dirfd, c;

	*reply = NULL;
	if (fill_sun(&sun, path, &dirfd) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		close_dirfd(dirfd);
		return -1;
	}
	c = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	close_dirfd(dirfd);
	if (c == -1 && errno != EINPROGRESS && errno != EAGAIN)
		goto out;
	if (peer != NULL)
		peer_credentials(fd, peer);
	xasprintf(&line, "%s\n", request);
	rc = send_all(fd, line, strlen(line), deadline);
	free(line);
	if (rc == 0) {
		shutdown(fd, SHUT_WR);
		rc = recv_all(fd, reply, deadline);
	}
out:
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
