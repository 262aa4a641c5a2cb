/*
 * breaker demo: the gh-aw #26929 story on any machine, no root, no network.
 *
 * A simulated job: an "engine" child process (this binary re-executed as
 * `codex`, carrying a RUNNER_TRACKING_ID of its own) appends the real lines
 * of the AI Moderator failure to a temporary agent-stdio.log at codex's
 * pace, then hangs as the real one did for ten minutes. breaker follows the
 * log with the embedded default policy, through the very watch/pipeline
 * code the daemon runs, and stops the engine. The demo then tells what
 * happened in a few lines.
 *
 * With --api-proxy the job runs in today's gh-aw topology: the firewall's
 * api-proxy records the provider's 401 to the engine's first request in
 * token-tracker-audit.jsonl before codex prints anything, and breaker,
 * following that record, stops the engine on that first certain sign.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "annotate.h"
#include "cmd.h"
#include "cmdopt.h"
#include "job.h"
#include "log.h"
#include "policy.h"
#include "proc.h"
#include "usage.h"
#include "util.h"
#include "verdict.h"
#include "watch.h"
#include "xalloc.h"

#define DEMO_HANG_S	600	/* the real runs burned ~10 minutes */
#define DEMO_PACE_MS	200	/* codex: backoff 200 ms x 2^(n-1) */
#define DEMO_FAST_PACE	20

/* github/gh-aw #26929 (../shared/fixtures/codex-401-seed-issue.log). */
static const char *const demo_lines[] = {
	"Reconnecting... 2/5",
	"Reconnecting... 3/5",
	"Reconnecting... 4/5",
	"Reconnecting... 5/5",
	"Reconnecting... 1/5",
	"ERROR: Reconnecting... 5/5",
	"ERROR: unexpected status 401 Unauthorized: Missing bearer or basic "
	    "authentication in header, url: (api.openai.com/redacted), "
	    "cf-ray: 9edf09437f8dced7-SJC",
};
#define DEMO_NLINES	(nitems(demo_lines))

/* The api-proxy's record of the first refused request, as AWF writes it
 * (containers/api-proxy/token-persistence.js, auditTrack()). */
#define DEMO_AUDIT_FMT \
	"{\"ts\":%.0f,\"event\":\"TRACK_START\",\"rid\":\"4cd64c75-8040-" \
	"4557-a3bc-c89a392d5e6c\",\"provider\":\"openai\",\"path\":" \
	"\"/v1/responses\",\"streaming\":false,\"ct\":\"application/json\"," \
	"\"ce\":\"(none)\",\"status\":401}\n"

extern char **environ;

/* ---- the engine side (a child, exec'd as `codex`) ---- */

static void
engine_signal(int sig)
{
	_exit(sig == SIGINT ? 130 : 143);	/* as codex/awf do */
}

static void
sleep_ms(unsigned ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The backoff codex sleeps before "Reconnecting... k/n". */
static unsigned
backoff_ms(const char *line, unsigned pace)
{
	const char	*p = strstr(line, "Reconnecting... ");
	int		 k;

	if (p == NULL || (k = atoi(p + 16)) < 1 || k > 10)
		return 0;
	return pace << (k - 1);
}

/* Say when the first certain sign was written: mark first, since breaker
 * may stop us right after the write, before another instruction runs. */
static int
mark_now(int markfd, double *t)
{
	char	buf[64];
	int	len;

	*t = job_now();
	len = snprintf(buf, sizeof buf, "%.6f\n", *t);
	if (write(markfd, buf, len) == -1)
		return -1;
	close(markfd);
	return 0;
}

static int
demo_engine(const char *logpath, const char *audit, unsigned pace,
    int markfd)
{
	double	 t;
	size_t	 i;
	int	 fd, afd;

	signal(SIGINT, engine_signal);
	signal(SIGTERM, engine_signal);
	if ((fd = open(logpath, O_WRONLY | O_APPEND | O_CLOEXEC)) == -1)
		return 1;
	if (audit != NULL) {
		/* The sidecar creates its record at the first answer. */
		if ((afd = open(audit, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0644)) == -1 || mark_now(markfd, &t) == -1)
			return 1;
		if (dprintf(afd, DEMO_AUDIT_FMT, t * 1000) < 0)
			return 1;
		markfd = -1;
	}
	for (i = 0; i < DEMO_NLINES; i++) {
		sleep_ms(backoff_ms(demo_lines[i], pace));
		if (i == DEMO_NLINES - 1 && markfd != -1 &&
		    mark_now(markfd, &t) == -1)
			return 1;
		if (dprintf(fd, "%s\n", demo_lines[i]) < 0)
			return 1;
	}
	sleep_ms(DEMO_HANG_S * 1000);	/* the hang breaker cuts short */
	return 1;
}

/* ---- the breaker side ---- */

struct demo {
	struct event_base	*base;
	pid_t			 engine;
	double			 started;	/* the simulated job's start */
	double			 stopped;	/* engine seen gone (epoch) */
	int			 fatal;
	int			 done;
	char			*stop_desc;
};

static void
demo_verdict(const struct verdict *v, int final, void *arg)
{
	struct demo	*d = arg;

	if (v->severity != SEVERITY_FATAL || !final || d->done)
		return;
	d->fatal = 1;
	d->done = 1;
	d->stopped = v->stopped_at > 0 ? v->stopped_at : job_now();
	free(d->stop_desc);
	d->stop_desc = xstrdup(v->action_result ? v->action_result : "?");
	event_base_loopexit(d->base, NULL);
}

static void
demo_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct demo	*d = arg;

	event_base_loopexit(d->base, NULL);
}

static pid_t
spawn_engine(const char *logpath, const char *audit, unsigned pace,
    const char *tracking, int markfd)
{
	char	 pacebuf[16], fdbuf[16], *track, **envp;
	size_t	 n = 0, i;
	pid_t	 pid;

	for (n = 0; environ[n] != NULL; n++)
		;
	envp = xcalloc(n + 2, sizeof *envp);
	for (i = 0, n = 0; environ[i] != NULL; i++)
		if (strncmp(environ[i], "RUNNER_TRACKING_ID=", 19) != 0)
			envp[n++] = environ[i];
	xasprintf(&track, "RUNNER_TRACKING_ID=%s", tracking);
	envp[n++] = track;
	snprintf(pacebuf, sizeof pacebuf, "%u", pace);
	snprintf(fdbuf, sizeof fdbuf, "%d", markfd);
	if ((pid = fork()) == 0) {
		/* execve takes char *const[]: writable copies, not literals. */
		char	 a0[] = "codex", a1[] = "demo", a2[] = "--engine";
		char	 a4[] = "--pace-ms", a6[] = "--mark-fd", a8[] = "--audit";
		char	*lp = xstrdup(logpath), *au = audit ? xstrdup(audit) : NULL;
		char	*const argv[] = { a0, a1, a2, lp, a4,
		    pacebuf, a6, fdbuf, audit ? a8 : NULL, au, NULL };

		fcntl(markfd, F_SETFD, 0);
		execve("/proc/self/exe", argv, envp);
		_exit(127);
	}
	free(track);
	free(envp);
	return pid;
}

/*
 * nftw callback removing the demo's own temporary tree, deepest first. No
 * shell: a binary whose sandbox has no execve carries no system() either.
 */
static int
demo_unlink(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static struct policy *
demo_policy(const char *dir, char **logpath, char **audit)
{
	struct policy_load_args	 la = { 0 };
	struct policy		*p;
	char			*errors = NULL, *path;
	size_t			 i;
	int			 fd;

	/* The built-in configuration and rules, whatever BREAKER_CONFIG says. */
	if ((p = policy_load(&la, &errors)) == NULL) {
		fprintf(stderr, "breaker demo: the embedded policy does not "
		    "load:\n%s\n", errors ? errors : "");
		free(errors);
		return NULL;
	}
	policy_set_mode(p, POLICY_ENFORCE);
	for (i = 0; i < policy_nsources(p); i++) {
		xasprintf(&path, "%s/%s.log", dir, policy_source(p, i)->name);
		policy_set_source_path(p, i, path);
		free(path);
	}
	xasprintf(logpath, "%s/agent-stdio.log", dir);
	if ((i = policy_source_index(p, "api-proxy")) != (size_t)-1)
		*audit = xstrdup(policy_source(p, i)->path);
	i = policy_source_index(p, "engine") >= 0 ?
	    (size_t)policy_source_index(p, "engine") : 0;
	policy_set_source_path(p, i, *logpath);
	/* gh-aw touches the log before the engine starts. */
	if ((fd = open(*logpath, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) != -1)
		close(fd);
	return p;
}

static void
print_duration(const char *label, double s)
{
	if (s >= 60)
		printf("%s%dm %02ds", label, (int)s / 60, (int)s % 60);
	else
		printf("%s%.1f s", label, s);
}

static void
demo_report(struct demo *d, const char *state, double line_t, unsigned pace,
    int api_proxy)
{
	struct verdict_list	 list;
	struct annotate_job	 aj;
	char			*buf = NULL, *line, *save;
	size_t			 len = 0;
	FILE			*f;
	double			 burn, took;

	if (api_proxy)
		printf("[+%5.1fs] the api-proxy recorded the provider's answer "
		    "to the first request:\n  TRACK_START openai /v1/responses "
		    "status 401 (before codex printed a line)\n",
		    line_t - d->started);
	else
		printf("[+%5.1fs] the engine printed its fatal line:\n  %s\n",
		    line_t - d->started, demo_lines[DEMO_NLINES - 1]);
	printf("[+%5.1fs] breaker stopped the engine %.0f ms after that line: "
	    "%s\n", d->stopped - d->started, (d->stopped - line_t) * 1000,
	    d->stop_desc);
	TAILQ_INIT(&list);
	verdict_load_all(state, &list);
	memset(&aj, 0, sizeof aj);
	aj.job_started = d->started;
	aj.finished = job_now();
	if ((f = open_memstream(&buf, &len)) != NULL) {
		annotate_print(f, &list, &aj);
		fclose(f);
	}
	printf("the job would show this annotation (breaker finish):\n");
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		printf("  %s\n", line);
	free(buf);
	verdict_list_free(&list);
	took = d->stopped - d->started;
	burn = line_t - d->started + DEMO_HANG_S;
	print_duration("time saved: ", burn - took);
	print_duration(" (the job ended after ", took);
	print_duration(" instead of ", burn);
	printf("%s)\n", pace == DEMO_PACE_MS ? "" : "; --fast pace");
}

static int
demo_usage(void)
{
	return usage_error("demo");
}

static int
demo_run(int fast, int api_proxy)
{
	struct demo		 d;
	struct watch_opts	 wo;
	struct policy_stop	 stop;
	static const char *const targets[] = { "codex" };
	struct policy		*policy;
	struct watch		*w;
	struct event		*guard;
	struct timeval		 tv = { fast ? 20 : 40, 0 };
	char			 dir[] = "/tmp/breaker-demo.XXXXXX", *logpath = NULL;
	char			*audit = NULL;
	char			*state, tracking[64], markbuf[64];
	unsigned		 pace = fast ? DEMO_FAST_PACE : DEMO_PACE_MS;
	double			 line_t = 0;
	ssize_t			 n;
	int			 mark[2], rc = 1, status;

	memset(&d, 0, sizeof d);
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "breaker demo: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	xasprintf(&state, "%s/state", dir);
	mkdir(state, 0700);
	if ((policy = demo_policy(dir, &logpath, &audit)) == NULL || pipe2(mark,
	    O_CLOEXEC) == -1)
		goto out;
	snprintf(tracking, sizeof tracking, "breaker-demo-%d-%ld", getpid(),
	    (long)time(NULL));
	/* The demo engine: SIGINT, a short grace, then the rest of the ladder. */
	memset(&stop, 0, sizeof stop);
	stop.targets = targets;
	stop.ntargets = 1;
	stop.ladder[0] = (struct policy_signal_step){ SIGINT, 2000 };
	stop.ladder[1] = (struct policy_signal_step){ SIGTERM, 1000 };
	stop.ladder[2] = (struct policy_signal_step){ SIGKILL, 0 };
	stop.nladder = 3;
	memset(&wo, 0, sizeof wo);
	wo.state_dir = state;
	wo.tracking_id = tracking;
	wo.ancestry = PROC_ANCESTRY_NONE;	/* no Runner.Worker here */
	wo.stop = &stop;
	wo.on_verdict = demo_verdict;
	wo.arg = &d;
	d.base = event_base_new();
	w = watch_new(d.base, policy, &wo);
	printf("breaker demo: a codex job hit by gh-aw #26929 (401, no "
	    "Authorization header)%s\n", api_proxy ? ",\n  behind the "
	    "firewall's api-proxy, whose record breaker follows too" : "");
	printf("  the engine replays the real lines at codex's pace (backoff "
	    "%u ms x 2^(n-1)),\n  then would hang for %d minutes; breaker "
	    "watches %s%s%s\n  with %s (%zu rules)\n", pace, DEMO_HANG_S / 60,
	    logpath, api_proxy ? "\n  and " : "", api_proxy ? audit : "",
	    policy_describe(policy), policy_nrules(policy));
	fflush(stdout);
	d.started = job_now();
	d.engine = spawn_engine(logpath, api_proxy ? audit : NULL, pace,
	    tracking, mark[1]);
	close(mark[1]);
	guard = evtimer_new(d.base, demo_timeout, &d);
	evtimer_add(guard, &tv);
	event_base_dispatch(d.base);
	event_free(guard);
	watch_free(w);
	event_base_free(d.base);
	n = read(mark[0], markbuf, sizeof markbuf - 1);
	if (n > 0) {
		markbuf[n] = '\0';
		line_t = strtod(markbuf, NULL);
	}
	close(mark[0]);
	if (d.engine > 0 && waitpid(d.engine, &status, WNOHANG) == 0) {
		kill(d.engine, SIGKILL);
		waitpid(d.engine, &status, 0);
	}
	if (!d.fatal || line_t <= 0) {
		printf("breaker demo: FAILED: no fatal verdict within %ld s "
		    "(state in %s)\n", (long)tv.tv_sec, state);
		goto out;
	}
	demo_report(&d, state, line_t, pace, api_proxy);
	rc = 0;
out:
	/* Only what we made: the two logs and the verdict files. */
	if (rc == 0 && nftw(dir, demo_unlink, 16,
	    FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
		log_warn("could not remove %s", dir);
	free(d.stop_desc);
	free(state);
	free(logpath);
	free(audit);
	policy_free(policy);
	return rc;
}

int
cmd_demo(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "fast",	no_argument,	   NULL, 'f' },
		{ "engine",	required_argument, NULL, 'e' },
		{ "pace-ms",	required_argument, NULL, 'p' },
		{ "mark-fd",	required_argument, NULL, 'm' },
		{ "api-proxy",	no_argument,	   NULL, 'a' },
		{ "audit",	required_argument, NULL, 'A' },
		CMDOPT_END_LONGOPTS
	};
	const char	*engine = NULL, *audit = NULL;
	unsigned	 pace = DEMO_PACE_MS;
	int		 ch, fast = 0, markfd = -1, api_proxy = 0;
	const char	*errstr;

	while ((ch = getopt_long(argc, argv, "fe:p:m:aA:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			fast = 1;
			break;
		case 'e':
			engine = optarg;
			break;
		case 'p':
			pace = (unsigned)parse_num(optarg, 0, 60000, &errstr);
			if (errstr != NULL)
				return demo_usage();
			break;
		case 'm':
			markfd = (int)parse_num(optarg, 0, INT_MAX, &errstr);
			if (errstr != NULL)
				return demo_usage();
			break;
		case 'a':
			api_proxy = 1;
			break;
		case 'A':
			audit = optarg;
			break;
		case 'h':
			return usage_help("demo");
		default:
			return demo_usage();
		}
	}
	/* The story is the output; the daemon's log lines only with -v. */
	if (log_get_level() == LOG_LEVEL_INFO)
		log_set_level(LOG_LEVEL_WARN);
	/* Hidden: the simulated engine the demo runs as its child. */
	if (engine != NULL)
		return demo_engine(engine, audit, pace, markfd);
	return demo_run(fast, api_proxy);
}
