/*
 * breaker start / finish / status: the per-job daemon and its two hooks.
 *
 * The runner waits for a hook's stdout and stderr to close (up to 5 s after
 * the hook exits) and fails the whole job if the started hook fails, so
 * `start` is fail-open and daemonises properly: setsid, stdio on /dev/null,
 * a log file in the job's state directory, and a readiness pipe so the hook
 * returns only once the daemon follows its sources (or has said why not).
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "annotate.h"
#include "summary.h"
#include "cmd.h"
#include "control.h"
#include "daemon.h"
#include "events.h"
#include "file.h"
#include "job.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "proc.h"
#include "sandbox.h"
#include "usage.h"
#include "util.h"
#include "verdict.h"
#include "watch.h"
#include "xalloc.h"

#define DAEMON_EXITFILE		"daemon.exit"
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

static const char *
env_nonempty(const char *name)
{
	const char	*v = getenv(name);

	return (v != NULL && *v != '\0') ? v : NULL;
}

int
daemon_read_pid(const char *dir)
{
	char		 path[4096], *buf;
	const char	*errstr;
	int		 pid;

	snprintf(path, sizeof path, "%s/%s", dir, DAEMON_PIDFILE);
	if ((buf = file_read_small(AT_FDCWD, path, 31, 0, NULL, NULL)) == NULL)
		return 0;
	pid = (pid_t)parse_num(strtok(buf, "\n"), 1, INT_MAX, &errstr);
	free(buf);
	return errstr == NULL ? pid : 0;
}

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
watch_worker(struct daemon *d)
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

	if (sandbox_enter(mode) == 0) {
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
	if (watch_worker(d) == -1) {
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

/* Print the daemon's warnings; return its final line ("ok…"/"error…"). */
static const char *
ready_parse(char *text)
{
	const char	*last = "error: no answer from the daemon";
	char		*line, *save;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "warn: ", 6) == 0)
			annotate_warning(stdout, "breaker cannot follow a log",
			    line + 6);
		else
			last = line;
	}
	return last;
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

static void
start_warn(const char *what, const char *detail)
{
	char	*msg;

	xasprintf(&msg, "%s%s%s. breaker is not watching this job; the job "
	    "runs as usual.", what, detail ? ": " : "", detail ? detail : "");
	annotate_warning(stdout, "breaker is not watching this job", msg);
	free(msg);
}

/* The daemon runs, but unconfined: said where the job's people look. */
static void
sandbox_warn(const char *why)
{
	char	*msg;

	xasprintf(&msg, "The breaker daemon could not enter its sandbox (%s) "
	    "and runs unconfined. Set \"sandbox\": \"require\" in the "
	    "configuration to refuse that.", why);
	annotate_warning(stdout, "the daemon runs without its sandbox", msg);
	free(msg);
}

/* A daemon of this very job still answers: do not start a second one. */
static int
already_running(const struct job *job)
{
	char	*sock = job_path(job, CONTROL_SOCKET), *reply = NULL;
	int	 rc;

	rc = control_request(sock, "status", 0.5, &reply);
	free(sock);
	free(reply);
	return rc == 0;
}

static int
start_usage(void)
{
	return usage_error("start");
}

int
cmd_start(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config",	required_argument, NULL, 'c' },
		{ "state-dir",	required_argument, NULL, 's' },
		{ "foreground",	no_argument,	   NULL, 'f' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	struct policy_load_args	 la;
	struct daemon		 d;
	const char		*state = env_nonempty("BREAKER_STATE_DIR");
	const char		*why;
	char			*errors = NULL, *ready;
	const char		*last, *unconfined;
	double			 t0 = mono_now();
	int			 ch, fg = 0, pfd[2];
	pid_t			 pid;

	memset(&la, 0, sizeof la);
	memset(&d, 0, sizeof d);
	la.config = env_nonempty("BREAKER_CONFIG");
	while ((ch = getopt_long(argc, argv, "c:s:fh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			la.config = optarg;
			break;
		case 's':
			state = optarg;
			break;
		case 'f':
			fg = 1;
			break;
		default:
			return start_usage();
		}
	}
	if ((d.policy = policy_load(&la, &errors)) == NULL) {
		start_warn("configuration problem", errors);
		free(errors);
		return 0;
	}
	log_debug("policy loaded in %.1f ms", (mono_now() - t0) * 1000);
	d.job = job_from_env();
	d.job->started = job_now();
	if (job_resolve_dir(d.job, state, policy_state_dir(d.policy),
	    &why) == -1 || job_make_dir(d.job) == -1) {
		start_warn("cannot use the state directory", why ? why :
		    job_problem(d.job));
		goto done;
	}
	if (already_running(d.job)) {
		printf("breaker: already watching this job (state in %s)\n",
		    d.job->dir);
		goto done;
	}
	/* Fresh start for this job key: forget an earlier daemon's end. */
	if (job_open_dir(d.job) == 0)
		(void)unlinkat(d.job->dirfd, DAEMON_EXITFILE, 0);
	d.worker = proc_find_worker(getpid());
	if (fg) {
		log_procname("breaker-daemon");
		daemon_run(&d, -1);
		goto done;
	}
	fflush(stdout);
	if (pipe2(pfd, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		start_warn("cannot start the daemon", strerror(errno));
		goto done;
	}
	if (pid == 0) {
		close(pfd[0]);
		detach(&d, pfd[1]);
		int status = daemon_run(&d, pfd[1]);

		policy_free(d.policy);
		job_free(d.job);
		free(errors);
		_exit(status);
	}
	close(pfd[1]);
	ready = ready_read(pfd[0], DAEMON_READY_TIMEOUT);
	close(pfd[0]);
	log_debug("daemon ready %.1f ms after start", (mono_now() - t0) * 1000);
	last = ready_parse(ready);
	if (strncmp(last, "ok", 2) == 0) {
		unconfined = strstr(last, " unconfined: ");
		printf("breaker: watching %zu sources with %s (%zu rules), "
		    "state in %s%s\n", policy_nsources(d.policy),
		    policy_describe(d.policy), policy_nrules(d.policy),
		    d.job->dir, unconfined != NULL ? "; the sandbox did not "
		    "load" : "");
		if (unconfined != NULL)
			sandbox_warn(unconfined + 13);
	} else
		start_warn("the daemon did not start", last +
		    (strncmp(last, "error: ", 7) == 0 ? 7 : 0));
	free(ready);
	/* Reap a daemon that failed at once; a running one is not ours. */
	waitpid(pid, NULL, WNOHANG);
done:
	fflush(stdout);
	free(errors);
	policy_free(d.policy);
	job_free(d.job);
	log_debug("start returns after %.1f ms", (mono_now() - t0) * 1000);
	return 0;
}

/* ---- breaker finish ---- */

/* Wait (bounded) for the daemon's process to be gone after its answer. */
static void
wait_gone(pid_t pid, double deadline)
{
	struct timespec	ts = { 0, 10 * 1000 * 1000 };

	while (pid > 0 && proc_exists(pid) && mono_now() < deadline)
		nanosleep(&ts, NULL);
}

struct finish_state {
	int			 ended_early;
	char			*note;
	/* what the daemon answered: its verdicts and its sandbox */
	int			 answered;
	struct verdict_list	 mem;
	char			*sandbox;
	double			 unread;	/* bytes of backlog left */
};

/* The daemon's answer to `finish`: "ok\n" and a JSON object. */
static void
finish_parse_reply(const char *reply, struct finish_state *fs)
{
	const char	*json = strchr(reply, '\n');
	cJSON		*o, *it, *sb;
	struct verdict	*v;

	fs->answered = 1;
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

/* Ask the daemon to flush and exit; learn whether it was still there. */
static void
finish_daemon(struct job *job, double timeout, struct finish_state *fs)
{
	struct control_peer	 peer;
	double			 deadline = mono_now() + timeout;
	char			*sock = job_path(job, CONTROL_SOCKET), *reply = NULL;
	char			*why, *what, *req;
	int			 rc, err;

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

/*
 * One list for the report: the files, with each verdict the daemon still
 * held in memory taking the place of its file when that file could not
 * be written (or is missing). A file written after the answer (the stop
 * ladder's outcome, while the daemon lingered) is newer than the answer,
 * so it wins otherwise.
 */
static void
finish_merge(struct verdict_list *files, struct verdict_list *mem)
{
	struct verdict	*m, *f, *next;

	while ((m = TAILQ_FIRST(mem)) != NULL) {
		TAILQ_REMOVE(mem, m, entry);
		TAILQ_FOREACH(f, files, entry)
			if (f->seq >= m->seq)
				break;
		if (f != NULL && f->seq == m->seq && !m->unsaved) {
			verdict_free(m);
			continue;
		}
		if (f != NULL && f->seq == m->seq) {
			next = TAILQ_NEXT(f, entry);
			TAILQ_REMOVE(files, f, entry);
			verdict_free(f);
			f = next;
		}
		if (f != NULL)
			TAILQ_INSERT_BEFORE(f, m, entry);
		else
			TAILQ_INSERT_TAIL(files, m, entry);
	}
}

static size_t
count_unsaved(const struct verdict_list *l)
{
	const struct verdict	*v;
	size_t			 n = 0;

	TAILQ_FOREACH(v, l, entry)
		n += v->unsaved != 0;
	return n;
}

/* Sentences for the summary about what the files do not say. */
static char *
finish_notes(const struct finish_state *fs, const struct verdict_list *list)
{
	char			*out = NULL, *t;
	size_t			 unsaved = count_unsaved(list);

	if (fs->note != NULL)
		out = xstrdup(fs->note);
	if (unsaved > 0) {
		xasprintf(&t, "%s%s%zu verdict%s could not be written to "
		    "breaker's state directory (a full disk?); reported from "
		    "the daemon's memory.", out ? out : "", out ? " " : "",
		    unsaved, unsaved == 1 ? "" : "s");
		free(out);
		out = t;
	}
	if (fs->unread > 0) {
		xasprintf(&t, "%s%sbreaker had not read the last %.0f bytes of "
		    "its logs when the job finished (a backlog); any verdict "
		    "they hold is missing from this report.", out ? out : "",
		    out ? " " : "", fs->unread);
		free(out);
		out = t;
	}
	if (fs->sandbox != NULL && strncmp(fs->sandbox, "not loaded", 10) == 0) {
		xasprintf(&t, "%s%sThe breaker daemon ran without its sandbox: "
		    "it was %s.", out ? out : "", out ? " " : "", fs->sandbox);
		free(out);
		out = t;
	}
	return out;
}

static int
finish_usage(void)
{
	return usage_error("finish");
}

static size_t
count_list(const struct verdict_list *l)
{
	const struct verdict	*v;
	size_t			 n = 0;

	TAILQ_FOREACH(v, l, entry)
		n++;
	return n;
}

/*
 * What the summary and the fleet's records share: the job's events
 * (events.c), the time the cut saved and on what basis, the rules' hints.
 */
static void
finish_fleet(struct events_job *ej, struct annotate_job *aj,
    struct job *job, const struct verdict_list *list,
    const struct policy *policy)
{
	const char	*basis;

	memset(ej, 0, sizeof *ej);
	ej->job = job;
	ej->verdicts = list;
	ej->started = aj->job_started;
	ej->finished = aj->finished;
	ej->observe = aj->observe;
	ej->daemon_ended_early = aj->daemon_ended_early;
	aj->saved = events_saved(ej, &basis);
	aj->saved_basis = basis == NULL ? NULL : ej->observe ?
	    "observe mode: the job ran this long past the would-stop point" :
	    "an estimate: up to gh-aw's 20-minute default step timeout";
	if (policy != NULL) {
		aj->hint = policy_rule_hint;
		aj->hint_arg = policy;
	}
}

int
cmd_finish(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "timeout",	required_argument, NULL, 't' },
		{ "config",	required_argument, NULL, 'c' },
		{ "state-dir",	required_argument, NULL, 's' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	struct policy_load_args	 la;
	struct finish_state	 fs;
	struct annotate_job	 aj;
	struct events_job	 ej;
	struct verdict_list	 list;
	struct policy		*policy;
	struct job		*job;
	const char		*state = env_nonempty("BREAKER_STATE_DIR");
	const char		*why;
	char			*errors = NULL, *note;
	double			 timeout = DAEMON_FINISH_TIMEOUT;
	int			 ch;

	memset(&la, 0, sizeof la);
	memset(&fs, 0, sizeof fs);
	la.config = env_nonempty("BREAKER_CONFIG");
	while ((ch = getopt_long(argc, argv, "t:c:s:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			timeout = strtod(optarg, NULL);
			if (timeout <= 0 || timeout > 600)
				timeout = DAEMON_FINISH_TIMEOUT;
			break;
		case 'c':
			la.config = optarg;
			break;
		case 's':
			state = optarg;
			break;
		default:
			return finish_usage();
		}
	}
	/* The started hook already warned about a broken configuration. */
	policy = policy_load(&la, &errors);
	free(errors);
	job = job_from_env();
	if (job_resolve_dir(job, state, policy ? policy_state_dir(policy) :
	    NULL, &why) == -1 || job_open_dir(job) == -1) {
		printf("breaker: nothing to report (breaker was not watching "
		    "this job)\n");
		goto done;
	}
	TAILQ_INIT(&fs.mem);
	finish_daemon(job, timeout, &fs);
	job_load_started(job);
	TAILQ_INIT(&list);
	if (verdict_load_all(job->dir, &list) == -1)
		log_warnx("some verdict files in %s could not be read",
		    job->dir);
	finish_merge(&list, &fs.mem);
	note = finish_notes(&fs, &list);
	memset(&aj, 0, sizeof aj);
	aj.job_started = job->started;
	aj.finished = job_now();
	aj.observe = policy != NULL && policy_mode(policy) == POLICY_OBSERVE;
	aj.daemon_ended_early = fs.ended_early;
	aj.policy = policy != NULL ? policy_describe(policy) : NULL;
	aj.note = note;
	finish_fleet(&ej, &aj, job, &list, policy);
	annotate_print(stdout, &list, &aj);
	if (policy != NULL)
		events_finish(policy, &ej);
	if (policy != NULL && policy_fleet(policy)->metrics_dir != NULL)
		metrics_update(policy_fleet(policy)->metrics_dir, &ej);
	if (job->step_summary != NULL &&
	    summary_write(job->step_summary, &list, &aj) == -1)
		log_warnx("could not write the job summary");
	printf("breaker: %zu verdict%s%s%s\n", count_list(&list),
	    count_list(&list) == 1 ? "" : "s",
	    fs.ended_early ? "; the daemon ended early" : "",
	    count_unsaved(&list) > 0 ? "; some could not be written to the "
	    "state directory (reported from the daemon's memory)" : "");
	verdict_list_free(&list);
	verdict_list_free(&fs.mem);
	job_mark_finished(job);
	free(fs.note);
	free(fs.sandbox);
	free(note);
done:
	fflush(stdout);
	job_free(job);
	policy_free(policy);
	return 0;
}

/* ---- breaker status ---- */

static void
status_print_human(const char *json)
{
	cJSON	*o = cJSON_Parse(json), *a, *it, *p;

	if (o == NULL) {
		fputs(json, stdout);
		return;
	}
#define S(obj, k) (cJSON_GetStringValue(cJSON_GetObjectItem(obj, k)) ? \
	cJSON_GetStringValue(cJSON_GetObjectItem(obj, k)) : "")
#define N(obj, k) cJSON_GetNumberValue(cJSON_GetObjectItem(obj, k))
	printf("daemon pid %.0f, up %.1f s, mode %s, stop %s\npolicy: %s "
	    "(%.0f rules)\nstate: %s\n", N(o, "pid"), N(o, "uptime"),
	    S(o, "mode"), S(o, "stop"), S(o, "policy"), N(o, "rules"),
	    S(o, "state_dir"));
	if (cJSON_GetObjectItem(o, "sandbox") != NULL)
		printf("sandbox: %s%s\n", S(o, "sandbox"),
		    strncmp(S(o, "sandbox"), "not loaded", 10) == 0 ?
		    "; the daemon runs unconfined" : "");
	a = cJSON_GetObjectItem(o, "sources");
	cJSON_ArrayForEach(it, a) {
		printf("source %-10s %s [%s] %s offset %.0f, %.0f lines, "
		    "%.0f refused\n", S(it, "name"), S(it, "path"),
		    S(it, "format"), cJSON_IsTrue(cJSON_GetObjectItem(it,
		    "open")) ? "open" : "not open", N(it, "offset"),
		    N(it, "lines"), N(it, "refused"));
		cJSON_ArrayForEach(p, cJSON_GetObjectItem(it, "paths"))
			if (cJSON_IsString(p) && strcmp(p->valuestring,
			    S(it, "path")) != 0)
				printf("       %-10s also followed: %s\n", "",
				    p->valuestring);
	}
	a = cJSON_GetObjectItem(o, "rule_hits");
	cJSON_ArrayForEach(it, a)
		printf("rule %s: %.0f hits, %.0f verdicts\n", S(it, "id"),
		    N(it, "hits"), N(it, "verdicts"));
	a = cJSON_GetObjectItem(o, "verdicts");
	cJSON_ArrayForEach(it, a)
		printf("verdict %.0f: %s [%s] %s %s\n", N(it, "seq"),
		    S(it, "rule"), S(it, "severity"), S(it, "action"),
		    S(it, "result"));
#undef S
#undef N
	cJSON_Delete(o);
}

/* One daemon's status, printed; 0 when it answered. */
static int
status_one(const char *dir, int json, int heading)
{
	char	*sock, *reply = NULL;
	int	 rc = -1;

	xasprintf(&sock, "%s/%s", dir, CONTROL_SOCKET);
	if (control_request(sock, "status", 2.0, &reply) == 0) {
		if (heading && !json)
			printf("== %s\n", dir);
		if (json)
			fputs(reply, stdout);
		else
			status_print_human(reply);
		rc = 0;
	} else if (!heading)
		fprintf(stderr, "breaker status: no daemon answers at %s: %s\n",
		    sock, strerror(errno));
	free(reply);
	free(sock);
	return rc;
}

/* Outside a job: every daemon under the state root (an admin's view). */
static int
status_all(const char *root, int json)
{
	struct dirent	*de;
	DIR		*d;
	char		*dir;
	int		 n = 0, seen = 0;

	if ((d = opendir(root)) == NULL) {
		fprintf(stderr, "breaker status: %s: %s\n", root,
		    strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) != NULL && seen++ < 1024) {
		if (de->d_name[0] == '.')
			continue;
		xasprintf(&dir, "%s/%s", root, de->d_name);
		if (status_one(dir, json, 1) == 0)
			n++;
		free(dir);
	}
	closedir(d);
	if (n == 0)
		fprintf(stderr, "breaker status: no daemon running under %s\n",
		    root);
	return n > 0 ? 0 : 1;
}

int
cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json",	no_argument,	   NULL, 'j' },
		{ "state-dir",	required_argument, NULL, 's' },
		{ "job-dir",	required_argument, NULL, 'd' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	struct job	*job = job_from_env();
	const char	*state = env_nonempty("BREAKER_STATE_DIR"), *why;
	const char	*jobdir = NULL;
	int		 ch, json = 0, rc = 1;

	while ((ch = getopt_long(argc, argv, "js:d:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 's':
			state = optarg;
			break;
		case 'd':
			jobdir = optarg;
			break;
		default:
			job_free(job);
			return usage_error("status");
		}
	}
	if (jobdir != NULL) {
		free(job->dir);
		job->dir = xstrdup(jobdir);
	} else if (job_resolve_dir(job, state, NULL, &why) == -1) {
		fprintf(stderr, "breaker status: %s\n", why);
		job_free(job);
		return 1;
	}
	if (jobdir == NULL && !job_in_runner(job))
		rc = status_all(job->root, json);
	else
		rc = status_one(job->dir, json, 0) == 0 ? 0 : 1;
	job_free(job);
	return rc;
}
