/*
 * The per-job daemon, and both ends of its socket.
 *
 * The daemon: forked off the started hook (setsid, stdio on /dev/null, a
 * log file in the job's state directory, a readiness pipe so the hook
 * returns only once the daemon follows its sources or has said why not),
 * it runs the live driver until `finish` asks it to flush and exit or the
 * runner's Worker process disappears. The client side: asking it for its
 * status, and for its verdicts at the end, ending it if it does not
 * answer. The commands that do this (cmd_start.c, cmd_finish.c,
 * cmd_status.c) hold only their options and what they print.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "control.h"
#include "daemon.h"
#include "events.h"
#include "file.h"
#include "job.h"
#include "log.h"
#include "policy.h"
#include "proc.h"
#include "sandbox.h"
#include "util.h"
#include "verdict.h"
#include "watch.h"
#include "xalloc.h"

#define DAEMON_PIDFILE		"daemon.pid"
#define DAEMON_LOGFILE		"daemon.log"
#define DAEMON_EXITFILE		"daemon.exit"
#define DAEMON_READY_TIMEOUT	5.0	/* s the hook waits for readiness */
#define DAEMON_WORKER_POLL_MS	1000	/* fallback without pidfd */
#define DAEMON_LINGER_S		3	/* for the check run, after finish */
/*
 * Callbacks of priority 1 (the tailer, timers: everything but the control
 * socket) run at most this many times before the loop polls again, so a
 * request is served between two pieces of a backlog, whatever re-arms.
 */
#define DAEMON_MAX_CALLBACKS	8
#define DAEMON_END_WAIT_MS	2000	/* a stuck daemon, after SIGTERM */
#define DAEMON_DRAIN_S		2.5	/* at most, for a backlog on finish */
#define DAEMON_DRAIN_TICK_MS	20

struct daemon {
	struct event_base	*base;
	struct policy		*policy;
	struct job		*job;
	struct watch		*watch;
	struct control		*control;
	struct event		*worker_ev;
	struct event		*sig[3];
	struct event		*linger;
	double			 linger_until;	/* monotonic s */
	pid_t			 worker;
	int			 worker_fd;
	double			 started;
	const char		*exit_reason;
	char			 sandbox[192];	/* for status and finish */
	struct event		*drain;		/* finish waits on a backlog */
	double			 drain_until;	/* monotonic s */
	uint64_t		 unread;	/* bytes left at the answer */
};

static unsigned	ready_check_sources(struct daemon *, int);

static void
write_small(struct job *job, const char *name, const char *text)
{
	if (job_open_dir(job) == -1 || file_write_atomic(job->dirfd, name,
	    text, strlen(text), 0) == -1)
		log_warn("%s/%s", job->dir, name);
}

static char *
read_small(struct job *job, const char *name)
{
	char	*buf;

	if (job_open_dir(job) == -1 || (buf = file_read_small(job->dirfd,
	    name, 511, FILE_OWNED, NULL, NULL)) == NULL)
		return NULL;
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* ---- the daemon ---- */

static void
daemon_stop(struct daemon *d, const char *reason)
{
	if (d->exit_reason != NULL)
		return;
	d->exit_reason = reason;
	log_info("%s: flushing and exiting", reason);
	watch_flush(d->watch);
	write_small(d->job, DAEMON_EXITFILE, reason);
	event_base_loopexit(d->base, NULL);
}

static void
on_worker_gone(evutil_socket_t fd, short ev, void *arg)
{
	struct daemon	*d = arg;

	if (d->worker_fd == -1 && proc_exists(d->worker))
		return;		/* polling fallback: still there */
	daemon_stop(d, "the runner's Worker process is gone");
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct daemon	*d = arg;

	daemon_stop(d, sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" :
	    "SIGHUP");
}

/* `status`: the watch's JSON, plus whether the sandbox is on. */
static char *
status_reply(struct daemon *d)
{
	char	*text = watch_status_json(d->watch, d->started), *out;
	cJSON	*o = cJSON_Parse(text);

	if (o == NULL)
		return text;
	cJSON_AddStringToObject(o, "sandbox", d->sandbox);
	out = cJSON_Print(o);
	cJSON_Delete(o);
	free(text);
	return out != NULL ? out : xstrdup("{}");
}

/*
 * `finish`: "ok", then every verdict as held in memory and the sandbox's
 * state, as one JSON object. Memory, not the files, is the report: a
 * verdict the disk refused is still here (marked unsaved); the files are
 * what `finish` falls back on when the daemon is gone.
 */
static char *
finish_reply(struct daemon *d)
{
	const struct verdict	*v;
	cJSON			*o = cJSON_CreateObject(), *a;
	char			*json, *out;

	cJSON_AddStringToObject(o, "sandbox", d->sandbox);
	cJSON_AddNumberToObject(o, "unread", (double)d->unread);
	a = cJSON_AddArrayToObject(o, "verdicts");
	TAILQ_FOREACH(v, watch_verdicts(d->watch), entry)
		cJSON_AddItemToArray(a, verdict_to_json(v));
	json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (json == NULL)
		return xstrdup("ok\n");
	xasprintf(&out, "ok\n%s\n", json);
	free(json);
	return out;
}

static void	on_finished(void *);

/*
 * `finish` waits here while the sources hold a backlog (a flood, bait):
 * the loop goes on working through it, in pieces, answering `status`
 * between them. The answer goes out once all is read, or at the deadline
 * with what is known (the report then says how much was left unread).
 */
static void
on_drain(evutil_socket_t fd, short ev, void *arg)
{
	struct daemon	*d = arg;
	uint64_t	 behind = watch_backlog(d->watch);
	char		*reply;

	if (behind > 0 && mono_now() < d->drain_until)
		return;
	event_del(d->drain);
	if (behind == 0)
		watch_flush(d->watch);
	else {
		log_warnx("finish: answering with %llu bytes of the logs not "
		    "read yet", (unsigned long long)behind);
		d->unread = behind;
		watch_settle(d->watch);
	}
	reply = finish_reply(d);
	if (control_answer(d->control, reply, 1) == 0)
		on_finished(d);		/* its client is gone: finish anyway */
	free(reply);
}

/* "finish" or "finish SECONDS" (the client's own timeout). */
static char *
finish_request(struct daemon *d, const char *arg, int *last)
{
	struct timeval	 tv = { 0, DAEMON_DRAIN_TICK_MS * 1000 };
	double		 budget = DAEMON_DRAIN_S, t;

	if (d->drain != NULL && event_pending(d->drain, EV_TIMEOUT, NULL))
		return CONTROL_DEFER;	/* joins the one under way */
	if (watch_backlog(d->watch) == 0) {
		watch_flush(d->watch);
		*last = 1;
		return finish_reply(d);
	}
	/* Leave the client half its time to read the answer and report. */
	if (arg != NULL && (t = strtod(arg, NULL)) > 0 && t / 2 < budget)
		budget = t / 2;
	d->drain_until = mono_now() + budget;
	if (d->drain == NULL) {
		d->drain = event_new(d->base, -1, EV_PERSIST, on_drain, d);
		event_priority_set(d->drain, 0);
	}
	event_add(d->drain, &tv);
	return CONTROL_DEFER;
}

static char *
on_request(const char *req, int *last, void *arg)
{
	struct daemon	*d = arg;

	if (strcmp(req, "status") == 0)
		return status_reply(d);
	if (strcmp(req, "finish") == 0)
		return finish_request(d, NULL, last);
	if (strncmp(req, "finish ", 7) == 0)
		return finish_request(d, req + 7, last);
	return xstrdup("error: unknown request\n");
}

static void
on_linger(evutil_socket_t fd, short ev, void *arg)
{
	struct daemon	*d = arg;

	/* The stop's ladder is bounded by itself; the API by linger_until. */
	if (watch_stopping(d->watch))
		return;
	if (!watch_busy(d->watch) || mono_now() > d->linger_until)
		event_base_loopexit(d->base, NULL);
}

static void
on_finished(void *arg)
{
	struct daemon	*d = arg;
	struct timeval	 tv = { 0, 100 * 1000 };

	if (d->exit_reason != NULL)
		return;
	d->exit_reason = "finish";
	write_small(d->job, DAEMON_EXITFILE, "finish");
	/*
	 * A stop still escalating is finished first (its ladder is bounded),
	 * and the check run is published; the API gets DAEMON_LINGER_S at
	 * most, since the runner's own clean-up follows the hook.
	 */
	watch_publish(d->watch);
	d->linger_until = mono_now() + DAEMON_LINGER_S;
	if (!watch_busy(d->watch)) {
		event_base_loopexit(d->base, NULL);
		return;
	}
	d->linger = event_new(d->base, -1, EV_PERSIST, on_linger, d);
	event_add(d->linger, &tv);
}

static int
daemon_watch_worker(struct daemon *d)
{
	struct timeval	tv = { DAEMON_WORKER_POLL_MS / 1000, 0 };

	d->worker_fd = -1;
	if (d->worker <= 0) {
		log_info("no Runner.Worker ancestor: the daemon ends on "
		    "finish or SIGTERM only");
		return 0;
	}
	d->worker_fd = syscall(SYS_pidfd_open, d->worker, 0);
	if (d->worker_fd != -1) {
		d->worker_ev = event_new(d->base, d->worker_fd, EV_READ,
		    on_worker_gone, d);
		event_add(d->worker_ev, NULL);
	} else {
		d->worker_ev = event_new(d->base, -1, EV_PERSIST,
		    on_worker_gone, d);
		event_add(d->worker_ev, &tv);
	}
	if (!proc_exists(d->worker)) {
		log_warnx("the Worker (pid %d) is already gone", d->worker);
		return -1;
	}
	log_info("following the Worker, pid %d", d->worker);
	return 0;
}

static void
ready_write(int fd, const char *msg)
{
	if (fd == -1)
		return;
	if (write(fd, msg, strlen(msg)) == -1)
		log_warn("readiness pipe");
	close(fd);
}

/* Away from the runner's pipes: stdio on /dev/null, log in the job dir. */
static void
detach(struct daemon *d, int keep_fd)
{
	char	*logpath;
	int	 null;

	setsid();
	job_close_dir(d->job);		/* re-opened, checked, by daemon_run */
	if (keep_fd > 3)
		close_range(3, keep_fd - 1, 0);
	close_range(keep_fd + 1, ~0U, 0);
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	logpath = job_path(d->job, DAEMON_LOGFILE);
	if (log_to_file(logpath) == -1)
		log_to_fd(STDERR_FILENO);	/* /dev/null: nothing better */
	free(logpath);
	log_procname("breaker-daemon");
	if (chdir("/") == -1)
		log_warn("chdir /");
}

/*
 * Two priorities: the control socket at 0 (control.c), everything else at
 * the default 1, which may run only DAEMON_MAX_CALLBACKS callbacks before
 * the loop polls again. A backlog the tailer is working through (a flood,
 * regex bait) thus never keeps `status` or `finish` waiting.
 */
static struct event_base *
daemon_base(void)
{
	struct event_config	*cfg = event_config_new();
	struct event_base	*base;

	if (cfg == NULL)
		return NULL;
	event_config_set_max_dispatch_interval(cfg, NULL, DAEMON_MAX_CALLBACKS,
	    1);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (base != NULL && event_base_priority_init(base, 2) == -1)
		log_warnx("event priorities not available");
	return base;
}

/*
 * Enter the sandbox. Not entering it is said everywhere (the start line,
 * status, the job summary); with "sandbox": "require" the daemon does not
 * run unconfined at all: it tells `start` why and exits (the job runs on,
 * unwatched: hooks are fail-open). -1 then.
 */
static int
daemon_confine(struct daemon *d, int ready_fd)
{
	enum sandbox_mode	 mode = policy_sandbox(d->policy);
	char			*msg;

	if (sandbox_enter(mode, policy_github_actions(d->policy)) == 0) {
		snprintf(d->sandbox, sizeof d->sandbox, "%s",
		    sandbox_mode_name(mode));
		return 0;
	}
	snprintf(d->sandbox, sizeof d->sandbox, "not loaded (%s)",
	    sandbox_failure());
	if (mode != SANDBOX_REQUIRE) {
		log_warnx("sandbox: %s; the daemon runs unconfined", d->sandbox);
		return 0;
	}
	log_warnx("sandbox: %s and \"sandbox\" is \"require\": exiting",
	    d->sandbox);
	write_small(d->job, DAEMON_EXITFILE, "the sandbox is required "
	    "and could not be entered");
	xasprintf(&msg, "error: the sandbox is required (\"sandbox\": "
	    "\"require\") and could not be entered: %s\n", sandbox_failure());
	ready_write(ready_fd, msg);
	free(msg);
	return -1;
}

static int
daemon_run(struct daemon *d, int ready_fd)
{
	struct watch_opts	 wo;
	char			*sock, pidbuf[32], *msg;
	static const int	 sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	unsigned		 unreadable;
	int			 i, rc = 0, confined;

	signal(SIGPIPE, SIG_IGN);
	if (job_open_dir(d->job) == -1) {
		ready_write(ready_fd, "error: the state directory was refused "
		    "(see daemon.log)\n");
		return 1;
	}
	if ((d->base = daemon_base()) == NULL) {
		ready_write(ready_fd, "error: no event base\n");
		return 1;
	}
	d->started = job_now();
	snprintf(pidbuf, sizeof pidbuf, "%d\n", (int)getpid());
	write_small(d->job, DAEMON_PIDFILE, pidbuf);
	job_save(d->job);
	memset(&wo, 0, sizeof wo);
	wo.state_dir = d->job->dir;
	wo.tracking_id = d->job->tracking_id;
	wo.worker = d->worker;		/* only its descendants are the job */
	wo.job_started = d->job->started;
	wo.repository = d->job->repository;
	wo.run_id = d->job->run_id;
	wo.run_attempt = d->job->run_attempt;
	wo.job_key = d->job->job_key;
	wo.runner_name = d->job->runner_name;
	d->watch = watch_new(d->base, d->policy, &wo);
	/* Bound through the held, checked directory. */
	sock = job_fd_path(d->job, CONTROL_SOCKET);
	d->control = control_listen(d->base, sock, on_request, on_finished, d);
	free(sock);
	if (d->control == NULL) {
		ready_write(ready_fd, "error: cannot listen on the control "
		    "socket (see daemon.log)\n");
		rc = 1;
		goto out;
	}
	for (i = 0; i < 3; i++) {
		d->sig[i] = evsignal_new(d->base, sigs[i], on_signal, d);
		evsignal_add(d->sig[i], NULL);
	}
	unreadable = ready_check_sources(d, ready_fd);
	if (daemon_watch_worker(d) == -1) {
		ready_write(ready_fd, "error: the runner's Worker is already "
		    "gone\n");
		goto out;
	}
	/* Everything is open and bound: confine the rest of the job. */
	if (daemon_confine(d, ready_fd) == -1) {
		rc = 1;
		goto out;
	}
	confined = strncmp(d->sandbox, "not loaded", 10) != 0;
	/* For finish's events and metrics (events.c). */
	events_health_save(d->job, !confined ? "unconfined" :
	    policy_sandbox(d->policy) == SANDBOX_OFF ? "off" :
	    policy_sandbox(d->policy) == SANDBOX_LOG ? "log" :
	    policy_sandbox(d->policy) == SANDBOX_REQUIRE ? "require" : "enforce",
	    unreadable);
	log_info("watching %zu sources with %s (%zu rules), state in %s; "
	    "sandbox %s", policy_nsources(d->policy), policy_describe(d->policy),
	    policy_nrules(d->policy), d->job->dir, d->sandbox);
	if (!confined)
		xasprintf(&msg, "ok %d unconfined: %s\n", (int)getpid(),
		    sandbox_failure());
	else
		xasprintf(&msg, "ok %d\n", (int)getpid());
	ready_write(ready_fd, msg);
	free(msg);
	event_base_dispatch(d->base);
	log_info("exiting: %s; %zu verdict(s)", d->exit_reason ?
	    d->exit_reason : "loop ended", watch_nverdicts(d->watch));
out:
	for (i = 0; i < 3; i++)
		if (d->sig[i] != NULL)
			event_free(d->sig[i]);
	if (d->worker_ev != NULL)
		event_free(d->worker_ev);
	if (d->linger != NULL)
		event_free(d->linger);
	if (d->drain != NULL)
		event_free(d->drain);
	if (d->worker_fd != -1)
		close(d->worker_fd);
	control_free(d->control);
	watch_free(d->watch);
	event_base_free(d->base);
	return rc;
}

/*
 * Parent side of the handshake: everything the daemon says until it closes
 * the pipe ("warn: …" lines, then "ok PID" or "error: …"), or why not.
 */
static char *
ready_read(int fd, double timeout)
{
	char		buf[4096];
	size_t		len = 0;
	double		deadline = mono_now() + timeout;
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	ssize_t		n;

	while (len < sizeof buf - 1) {
		double left = deadline - mono_now();

		if (left <= 0 || poll(&pfd, 1, (int)(left * 1000) + 1) == 0)
			return xstrdup("error: the daemon did not become ready "
			    "in time (see daemon.log)");
		n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	if (len == 0)
		return xstrdup("error: the daemon exited while starting "
		    "(see daemon.log)");
	return xstrdup(buf);
}

/*
 * A source that exists but cannot be read (a firewall log owned by Squid's
 * user, a directory) would be followed in vain: say so from the hook.
 */
static unsigned
ready_check_sources(struct daemon *d, int fd)
{
	const struct policy_source	*ps;
	struct stat			 st;
	const char			*why;
	char				*msg;
	size_t				 i, j;
	unsigned			 bad = 0;

	for (i = 0; fd != -1 && i < policy_nsources(d->policy); i++) {
		ps = policy_source(d->policy, i);
		for (j = 0; j < ps->npaths; j++) {
			why = NULL;
			if (lstat(ps->paths[j], &st) == -1) {
				if (errno != ENOENT)
					why = strerror(errno);
			} else if (S_ISLNK(st.st_mode))
				why = file_why(ELOOP);
			else if (S_ISDIR(st.st_mode))
				why = "it is a directory";
			else if (access(ps->paths[j], R_OK) == -1)
				why = strerror(errno);
			if (why == NULL)
				continue;
			bad++;
			log_warnx("source %s: %s: %s", ps->name, ps->paths[j],
			    why);
			xasprintf(&msg, "warn: source %s (%s) cannot be read: "
			    "%s; breaker watches the other sources.\n",
			    ps->name, ps->paths[j], why);
			if (write(fd, msg, strlen(msg)) == -1)
				log_warn("readiness pipe");
			free(msg);
		}
	}
	return bad;
}

/* The forked daemon's life: it never returns to the hook's code. */
static void __attribute__((noreturn))
daemon_child(struct daemon *d, int ready_fd)
{
	int	status;

	detach(d, ready_fd);
	status = daemon_run(d, ready_fd);
	policy_free(d->policy);
	job_free(d->job);
	_exit(status);
}

int
daemon_start(struct policy *policy, struct job *job, int foreground,
    char **said)
{
	struct daemon	d;
	int		pfd[2], err;
	pid_t		pid;

	*said = NULL;
	memset(&d, 0, sizeof d);
	d.policy = policy;
	d.job = job;
	/* Fresh start for this job key: forget an earlier daemon's end. */
	if (job_open_dir(job) == 0)
		(void)unlinkat(job->dirfd, DAEMON_EXITFILE, 0);
	d.worker = proc_find_worker(getpid());
	if (foreground) {
		log_procname("breaker-daemon");
		daemon_run(&d, -1);
		return 0;
	}
	fflush(stdout);
	if (pipe2(pfd, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		err = errno;
		close(pfd[0]);
		close(pfd[1]);
		errno = err;
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		daemon_child(&d, pfd[1]);
	}
	close(pfd[1]);
	*said = ready_read(pfd[0], DAEMON_READY_TIMEOUT);
	close(pfd[0]);
	/* Reap a daemon that failed at once; a running one is not ours. */
	waitpid(pid, NULL, WNOHANG);
	return 0;
}

/* ---- the client side: status, finish ---- */

/* Wait (bounded) for the daemon's process to be gone after its answer. */
static void
wait_gone(pid_t pid, double deadline)
{
	struct timespec	ts = { 0, 10 * 1000 * 1000 };

	while (pid > 0 && proc_exists(pid) && mono_now() < deadline)
		nanosleep(&ts, NULL);
}

/* The daemon's answer to `finish`: "ok\n" and a JSON object. */
static void
finish_parse_reply(const char *reply, struct daemon_answer *fs)
{
	const char	*json = strchr(reply, '\n');
	cJSON		*o, *it, *sb;
	struct verdict	*v;

	if (json == NULL || (o = cJSON_Parse(json + 1)) == NULL)
		return;		/* an older daemon: the files say it all */
	if ((sb = cJSON_GetObjectItemCaseSensitive(o, "sandbox")) != NULL &&
	    cJSON_IsString(sb))
		fs->sandbox = xstrdup(sb->valuestring);
	if ((sb = cJSON_GetObjectItemCaseSensitive(o, "unread")) != NULL &&
	    cJSON_IsNumber(sb) && sb->valuedouble > 0)
		fs->unread = sb->valuedouble;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o,
	    "verdicts")) {
		if ((v = verdict_from_json(it)) != NULL)
			TAILQ_INSERT_TAIL(&fs->mem, v, entry);
	}
	cJSON_Delete(o);
}

/*
 * Is the process behind the control socket the daemon, and one `finish`
 * may signal? The pid comes from the kernel (SO_PEERCRED: the process that
 * listens on the socket), never from a file: daemon.pid and everything
 * else in the job's directory can be written by the job's own steps. It
 * is pinned by `pidfd` first; then it must be one this user could signal
 * without any capability (its real or saved uid is ours: kill(2)'s own
 * rule, so a binary given CAP_KILL grants nothing here), have started
 * before we connected (not a pid reused since), and run this very binary
 * where /proc lets us see (a binary with file capabilities is not
 * dumpable: its exe link is hidden; the other checks stand). NULL if so,
 * else why not.
 */
static const char *
peer_mismatch(const struct control_peer *peer, int pidfd)
{
	struct stat		 mine, theirs;
	struct pollfd		 pfd = { .fd = pidfd, .events = POLLIN };
	unsigned long long	 start;
	uid_t			 ruid, suid, me = getuid();
	char			 exe[64];

	if (proc_identity(peer->pid, &start, &ruid, &suid) == -1)
		return "cannot be read in /proc";
	if (me != 0 && ruid != me && suid != me)
		return "belongs to another user";
	if (start > peer->connected + 1)
		return "started after the connection (a reused pid)";
	snprintf(exe, sizeof exe, "/proc/%d/exe", (int)peer->pid);
	if (stat("/proc/self/exe", &mine) == 0 && stat(exe, &theirs) == 0 &&
	    (mine.st_dev != theirs.st_dev || mine.st_ino != theirs.st_ino))
		return "is not running breaker";
	/* Still the pinned process: what we read was about it. */
	if (poll(&pfd, 1, 0) != 0)
		return "is gone";
	return NULL;
}

static int
pidfd_wait(int pidfd, int ms)
{
	struct pollfd	pfd = { .fd = pidfd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1;
}

/*
 * The daemon did not answer: end it if it can be proved to be the daemon
 * (peer_mismatch). SIGTERM makes it flush and exit; SIGCONT first wakes one
 * that is stopped (SIGSTOP), which would otherwise hold the SIGTERM
 * forever; SIGKILL if it is still there after DAEMON_END_WAIT_MS. The
 * sentence says what was done.
 */
static char *
end_stuck_daemon(const struct control_peer *peer)
{
	const char	*why;
	char		*out;
	int		 pidfd;

	if (peer->pid <= 0)
		return xstrdup("no process could be tied to its control socket, "
		    "so none was signalled");
	if ((pidfd = (int)syscall(SYS_pidfd_open, peer->pid, 0)) == -1) {
		xasprintf(&out, "its process (pid %d) is gone", (int)peer->pid);
		return out;
	}
	if ((why = peer_mismatch(peer, pidfd)) != NULL) {
		log_warnx("finish: the process behind the control socket (pid "
		    "%d) %s: not signalled", (int)peer->pid, why);
		xasprintf(&out, "the process behind its control socket (pid %d) "
		    "%s, so it was left alone", (int)peer->pid, why);
		close(pidfd);
		return out;
	}
	syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0);
	syscall(SYS_pidfd_send_signal, pidfd, SIGCONT, NULL, 0);
	if (pidfd_wait(pidfd, DAEMON_END_WAIT_MS))
		xasprintf(&out, "it (pid %d) was ended with SIGTERM",
		    (int)peer->pid);
	else {
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		pidfd_wait(pidfd, DAEMON_END_WAIT_MS);
		xasprintf(&out, "it (pid %d) did not exit on SIGTERM and was "
		    "killed with SIGKILL", (int)peer->pid);
	}
	close(pidfd);
	return out;
}

void
daemon_finish(struct job *job, double timeout, struct daemon_answer *fs)
{
	struct control_peer	 peer;
	double			 deadline = mono_now() + timeout;
	char			*sock = job_path(job, CONTROL_SOCKET), *reply = NULL;
	char			*why, *what, *req;
	int			 rc, err;

	memset(fs, 0, sizeof *fs);
	TAILQ_INIT(&fs->mem);
	xasprintf(&req, "finish %.1f", timeout);
	rc = control_request_peer(sock, req, timeout, &reply, &peer);
	err = errno;	/* before anything else can change it */
	free(req);
	if (rc == 0 && reply != NULL && strncmp(reply, "error: unknown", 14) ==
	    0) {	/* a daemon of an older breaker */
		free(reply);
		rc = control_request_peer(sock, "finish", deadline - mono_now(),
		    &reply, &peer);
		err = errno;
	}
	free(sock);
	if (rc == 0 && reply != NULL && strncmp(reply, "ok", 2) == 0) {
		finish_parse_reply(reply, fs);
		/* Only waits: the pid is the socket's, not a file's. */
		wait_gone(peer.pid, deadline);
		free(reply);
		return;
	}
	free(reply);
	fs->ended_early = 1;
	if (rc == -1 && err == ETIMEDOUT) {
		what = end_stuck_daemon(&peer);
		xasprintf(&fs->note, "The breaker daemon did not answer within "
		    "%.1f s; %s.", timeout, what);
		free(what);
		return;
	}
	if ((why = read_small(job, DAEMON_EXITFILE)) != NULL)
		xasprintf(&fs->note, "The breaker daemon ended early (%s); this "
		    "report comes from its saved state.", why);
	else
		xasprintf(&fs->note, "The breaker daemon ended early (it was "
		    "killed or crashed); this report comes from its saved "
		    "state.");
	free(why);
}

void
daemon_answer_clear(struct daemon_answer *fs)
{
	verdict_list_free(&fs->mem);
	free(fs->note);
	free(fs->sandbox);
	fs->note = fs->sandbox = NULL;
}

int
daemon_status(const char *dir, double timeout, char **reply)
{
	char	*sock;
	int	 rc, err;

	xasprintf(&sock, "%s/%s", dir, CONTROL_SOCKET);
	rc = control_request(sock, "status", timeout, reply);
	err = errno;
	free(sock);
	errno = err;
	return rc;
}
