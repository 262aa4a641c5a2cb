/*
 * proc.c and proc_stop.c against real processes. The helpers are this very
 * binary, exec'd through symlinks named like the processes of a job (awf,
 * codex, node, sudo, Runner.Worker) so that comm and argv are the real
 * thing, with a tracking id unique to each test in their environment. A
 * helper's mode comes from BREAKER_PROC_HELPER ("spawn,sleep": each level
 * takes one); it writes 'r' on fd 3 when ready, and a letter per signal it
 * records.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "proc.h"
#include "proc_stop.h"

#define HELPER_ENV	"BREAKER_PROC_HELPER"
#define MAX_SPAWNED	16

static char	tdir[PATH_MAX];		/* symlinks to this binary */
static char	self_exe[PATH_MAX];
static char	trk[64];		/* this test's RUNNER_TRACKING_ID */
static int	chan[2] = { -1, -1 };	/* helpers' fd 3 */
static char	letters[64];		/* signals recorded by helpers */
static size_t	nletters;
static pid_t	spawned[MAX_SPAWNED];
static size_t	nspawned;
static unsigned	seq;

/* ---- the helper side ------------------------------------------------- */

static void
helper_record(int signo)
{
	char	c = signo == SIGINT ? 'I' : signo == SIGTERM ? 'T' : '?';

	(void)write(3, &c, 1);
}

static void __attribute__((noreturn))
helper_pause(void)
{
	for (;;)
		pause();
}

static void
helper_ready(void)
{
	(void)write(3, "r", 1);
}

static void
helper_catch(int signo)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = helper_record;
	sigaction(signo, &sa, NULL);
}

/* Start the first absolute-path argument, as sudo starts its command. */
static void
helper_spawn(char **argv, int hide)
{
	int	i;

	for (i = 1; argv[i] != NULL && argv[i][0] != '/'; i++)
		;
	if (argv[i] == NULL)
		_exit(2);
	if (fork() == 0) {
		if (hide) {
			argv[i] = "hidden";
			execv("/proc/self/exe", &argv[i]);
		} else
			execv(argv[i], &argv[i]);
		_exit(127);
	}
}

static int
helper_main(const char *modes, char **argv)
{
	const char	*rest = strchr(modes, ',');
	char		 mode[32];
	size_t		 n;

	n = rest != NULL ? (size_t)(rest - modes) : strlen(modes);
	snprintf(mode, sizeof(mode), "%.*s", (int)n, modes);
	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* no stray helpers */
	if (rest != NULL)
		setenv(HELPER_ENV, rest + 1, 1);
	else
		unsetenv(HELPER_ENV);
	if (strcmp(mode, "spawn") == 0 || strcmp(mode, "spawnhide") == 0)
		helper_spawn(argv, strcmp(mode, "spawnhide") == 0);
	else if (strcmp(mode, "ignI") == 0)
		helper_catch(SIGINT);
	else if (strcmp(mode, "ignIT") == 0) {
		helper_catch(SIGINT);
		helper_catch(SIGTERM);
	} else if (strcmp(mode, "hold") == 0) {
		/* a tool child that keeps stdout (the step's pipe) open */
		if (fork() == 0)
			helper_pause();
	}
	if (strncmp(mode, "spawn", 5) != 0)
		helper_ready();
	helper_pause();
}

/* ---- the test side --------------------------------------------------- */

static void
make_link(const char *name, const char *target)
{
	char	path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	if (access(path, F_OK) == 0)
		return;
	assert_int_equal(symlink(target, path), 0);
}

/* Start helper `name` (a symlink to us) with `modes`, optionally an id. */
static pid_t
spawn(const char *name, const char *modes, const char *id, int outfd,
    const char *a1, const char *a2, const char *a3)
{
	char	 path[PATH_MAX + 64], ev[128], idv[128];
	char	*argv[] = { path, (char *)a1, (char *)a2, (char *)a3, NULL };
	char	*envp[] = { "PATH=/usr/bin:/bin", ev, idv, NULL };
	pid_t	 pid;

	make_link(name, self_exe);
	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	snprintf(ev, sizeof(ev), HELPER_ENV "=%s", modes);
	snprintf(idv, sizeof(idv), "RUNNER_TRACKING_ID=%s", id ? id : "");
	if (id == NULL)
		envp[2] = NULL;
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		dup2(chan[1], 3);
		if (outfd != -1)
			dup2(outfd, 1);
		execve(path, argv, envp);
		_exit(127);
	}
	assert_true(nspawned < MAX_SPAWNED);
	spawned[nspawned++] = pid;
	return pid;
}

/* Read what the helpers said within `ms`, bounded; count the 'r's. */
static int
drain(int ms)
{
	struct pollfd	pfd = { chan[0], POLLIN, 0 };
	char		c;
	int		ready = 0;

	while (poll(&pfd, 1, ms) == 1 && read(chan[0], &c, 1) == 1) {
		if (c == 'r')
			ready++;
		else if (nletters < sizeof(letters) - 1)
			letters[nletters++] = c;
		ms = 0;
	}
	return ready;
}

static void
wait_ready(int n)
{
	int	got = 0, i;

	for (i = 0; i < 100 && got < n; i++)
		got += drain(100);
	assert_int_equal(got, n);
}

static const struct proc_find_opts no_anc = { .ancestry = PROC_ANCESTRY_NONE };

static int
setup(void **state)
{
	snprintf(trk, sizeof(trk), "proc-test-%d-%u", (int)getpid(), ++seq);
	assert_int_equal(pipe2(chan, O_CLOEXEC), 0);
	nletters = 0;
	memset(letters, 0, sizeof(letters));
	nspawned = 0;
	return 0;
}

/*
 * Does `pid` carry this test's id? Read here, independently of proc.c: the
 * cleanup must never trust the code under test to say what it may kill.
 */
static int
ours(pid_t pid)
{
	char	 path[64], want[128], *buf;
	size_t	 len = 0, wlen, i;
	ssize_t	 r;
	int	 fd, found = 0;

	if (pid <= 1 || pid == getpid())
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	wlen = (size_t)snprintf(want, sizeof(want), "RUNNER_TRACKING_ID=%s",
	    trk);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	if ((buf = malloc(65536)) == NULL) {
		close(fd);
		return 0;
	}
	while (len < 65535 && (r = read(fd, buf + len, 65535 - len)) > 0)
		len += (size_t)r;
	close(fd);
	buf[len] = '\0';
	for (i = 0; i < len; i += strlen(buf + i) + 1)
		if (strlen(buf + i) == wlen && memcmp(buf + i, want, wlen) == 0)
			found = 1;
	free(buf);
	return found;
}

/* Kill whatever carries the test's id, then reap our own children. */
static int
teardown(void **state)
{
	struct proc_info	*v;
	ssize_t			 n, i;
	size_t			 k;
	int			 round;

	for (round = 0; round < 5; round++) {
		if ((n = proc_find_job(trk, &no_anc, &v)) <= 0)
			break;
		for (i = 0; i < n; i++)
			if (ours(v[i].pid))
				kill(v[i].pid, SIGKILL);
		free(v);
		usleep(20000);
	}
	for (k = 0; k < nspawned; k++) {
		kill(spawned[k], SIGKILL);
		waitpid(spawned[k], NULL, 0);
	}
	close(chan[0]);
	close(chan[1]);
	proc_test_no_pidfd(0);
	return 0;
}

static int
has_pid(const struct proc_info *v, ssize_t n, pid_t pid)
{
	ssize_t	i;

	for (i = 0; i < n; i++)
		if (v[i].pid == pid)
			return 1;
	return 0;
}

/* ---- running a stop -------------------------------------------------- */

struct outcome {
	int			done;
	struct proc_stop_result	r;
	char			target[PROC_NAME_MAX];
	char			message[512];
	struct proc_stop_sent	sent[PROC_STOP_MAX_SENT];
	struct event_base	*base;
};

static void
stop_done(const struct proc_stop_result *r, void *arg)
{
	struct outcome	*o = arg;

	o->done = 1;
	o->r = *r;
	snprintf(o->target, sizeof(o->target), "%s", r->target);
	snprintf(o->message, sizeof(o->message), "%s", r->message);
	memcpy(o->sent, r->sent, r->nsent * sizeof(*r->sent));
	event_base_loopexit(o->base, NULL);
}

static void
watchdog(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

static void
run_stop(const struct proc_stop_args *a, struct outcome *o)
{
	struct timeval		 tv = { 30, 0 };
	struct event		*wd;
	struct proc_stop	*ps;
	struct proc_info	 info;
	const struct policy_stop *st = a->stop;

	/* a broken proc.c must not signal a stranger during the tests */
	if (a->tracking_id != NULL && proc_find_engine(a->tracking_id,
	    st ? st->targets : NULL, st ? st->ntargets : 0, &a->find,
	    &info) == 0)
		assert_true(ours(info.pid));
	memset(o, 0, sizeof(*o));
	o->base = event_base_new();
	wd = evtimer_new(o->base, watchdog, o->base);
	evtimer_add(wd, &tv);
	ps = proc_stop_start(o->base, a, stop_done, o);
	assert_non_null(ps);
	assert_int_equal(o->done, 0);	/* always called back later */
	event_base_dispatch(o->base);
	if (!o->done)
		proc_stop_cancel(ps);
	event_free(wd);
	event_base_free(o->base);
	assert_true(o->done);
	drain(50);
}

static void
ladder(struct policy_stop *st, const char *const *targets, size_t nt,
    unsigned w1, unsigned w2)
{
	memset(st, 0, sizeof(*st));
	st->targets = targets;
	st->ntargets = nt;
	st->ladder[0] = (struct policy_signal_step){ SIGINT, w1 };
	st->ladder[1] = (struct policy_signal_step){ SIGTERM, w2 };
	st->ladder[2] = (struct policy_signal_step){ SIGKILL, 0 };
	st->nladder = 3;
}

/* ---- discovery ------------------------------------------------------- */

static void
test_find_job_exact(void **state)
{
	struct proc_info	*v;
	pid_t			 a, c, p;
	ssize_t			 n;

	a = spawn("awf", "sleep", trk, -1, NULL, NULL, NULL);
	c = spawn("codex", "sleep", trk, -1, NULL, NULL, NULL);
	p = spawn("plain", "sleep", trk, -1, NULL, NULL, NULL);
	spawn("awf", "sleep", NULL, -1, NULL, NULL, NULL);
	spawn("awf", "sleep", "another-job", -1, NULL, NULL, NULL);
	wait_ready(5);

	n = proc_find_job(trk, &no_anc, &v);
	assert_int_equal(n, 3);
	assert_true(has_pid(v, n, a) && has_pid(v, n, c) && has_pid(v, n, p));
	free(v);
	/* a prefix of the id is not the id */
	trk[strlen(trk) - 1] = '\0';
	assert_int_equal(proc_find_job(trk, &no_anc, &v), 0);
	assert_null(v);
}

static void
test_engine_order(void **state)
{
	const char *const	 ac[] = { "awf", "codex" };
	const char *const	 ca[] = { "codex", "awf" };
	const char *const	 g[] = { "gemini" }, *cl[] = { "claude" };
	const char *const	 rl[] = { "Runner.Listener", "bash" };
	struct proc_info	 info;
	pid_t			 a, c, nd;

	spawn("awf", "sleep", NULL, -1, NULL, NULL, NULL);	/* no id */
	c = spawn("codex", "sleep", trk, -1, NULL, NULL, NULL);
	a = spawn("awf", "sleep", trk, -1, NULL, NULL, NULL);
	nd = spawn("node", "sleep", trk, -1, "/opt/lib/claude", NULL, NULL);
	wait_ready(4);

	assert_int_equal(proc_find_engine(trk, ac, 2, &no_anc, &info), 0);
	assert_int_equal(info.pid, a);
	assert_string_equal(info.name, "awf");
	assert_string_equal(info.comm, "awf");
	assert_int_equal(proc_find_engine(trk, ca, 2, &no_anc, &info), 0);
	assert_int_equal(info.pid, c);
	assert_int_equal(proc_find_engine(trk, NULL, 0, &no_anc, &info),
	    0);
	assert_int_equal(info.pid, a);	/* the default list starts with awf */
	assert_int_equal(proc_find_engine(trk, g, 1, &no_anc, &info), -1);
	/* the runner's own processes are never targets, even if listed */
	spawn("Runner.Listener", "sleep", trk, -1, NULL, NULL, NULL);
	spawn("bash", "sleep", trk, -1, "--noprofile", "--norc", "-e");
	wait_ready(2);
	assert_int_equal(proc_find_engine(trk, rl, 2, &no_anc, &info),
	    -1);
	/* `node /opt/lib/claude` is claude */
	assert_int_equal(proc_find_engine(trk, cl, 1, &no_anc, &info), 0);
	assert_int_equal(info.pid, nd);
	assert_string_equal(info.comm, "node");
}

static void
test_sudo(void **state)
{
	const char *const	 aw[] = { "awf" };
	char			 awf[PATH_MAX + 8];
	struct proc_info	 info;
	pid_t			 s;

	snprintf(awf, sizeof(awf), "%s/awf", tdir);
	make_link("awf", self_exe);
	s = spawn("sudo", "spawn,sleep", trk, -1, "-E", "--preserve-env=PATH",
	    awf);
	wait_ready(1);
	assert_int_equal(proc_find_engine(trk, aw, 1, &no_anc, &info), 0);
	assert_int_equal(info.ppid, s);		/* awf itself, not sudo */
	assert_int_equal(info.via_sudo, 0);
	teardown(state);
	setup(state);

	/* awf not visible by name: then sudo, which relays signals */
	s = spawn("sudo", "spawnhide,sleep", trk, -1, "-u", "root", awf);
	wait_ready(1);
	assert_int_equal(proc_find_engine(trk, aw, 1, &no_anc, &info), 0);
	assert_int_equal(info.pid, s);
	assert_int_equal(info.via_sudo, 1);
}

static void
test_worker_ancestry(void **state)
{
	const char *const	 aw[] = { "node", "awf", "codex" };
	const char *const	 cx[] = { "codex" };
	struct proc_find_opts	 o = { .ancestry = PROC_ANCESTRY_AUTO };
	char			 node[PATH_MAX + 8], awf[PATH_MAX + 8];
	struct proc_info	*v, info;
	pid_t			 w, out;
	ssize_t			 n, i;

	snprintf(node, sizeof(node), "%s/node", tdir);
	snprintf(awf, sizeof(awf), "%s/awf", tdir);
	make_link("node", self_exe);
	make_link("awf", self_exe);
	/* Runner.Worker -> node (the entry) -> awf; codex outside */
	w = spawn("Runner.Worker", "spawn,spawn,sleep", trk, -1, node, awf,
	    NULL);
	out = spawn("codex", "sleep", trk, -1, NULL, NULL, NULL);
	wait_ready(2);

	n = proc_find_job(trk, &o, &v);
	assert_int_equal(n, 2);		/* entry and awf, under the Worker */
	assert_false(has_pid(v, n, w) || has_pid(v, n, out));
	for (i = 0; i < n; i++)
		if (strcmp(v[i].comm, "awf") == 0)
			assert_int_equal(proc_find_worker(v[i].pid), w);
	free(v);
	assert_true(proc_find_worker(getpid()) != w);

	/* the entry `node …/awf` is never the target; awf is */
	assert_int_equal(proc_find_engine(trk, aw, 3, &o, &info), 0);
	assert_string_equal(info.comm, "awf");
	assert_int_not_equal(info.ppid, w);
	assert_int_equal(proc_find_engine(trk, cx, 1, &o, &info), -1);
	o.ancestry = PROC_ANCESTRY_REQUIRE;
	assert_int_equal(proc_find_engine(trk, cx, 1, &o, &info), -1);
	/* a runner whose Worker is named otherwise: environ alone decides */
	o.ancestry = PROC_ANCESTRY_AUTO;
	o.worker = "Custom.Worker";
	assert_int_equal(proc_find_engine(trk, cx, 1, &o, &info), 0);
	assert_int_equal(info.pid, out);
	assert_int_equal(proc_find_job(trk, &o, &v), 4);
	free(v);
}

/*
 * Review F3: another job's decoy carries this job's tracking id under ITS
 * Runner.Worker, started first (lower pid). With the daemon's own Worker
 * known, only what runs under it is the job: the real awf is the engine,
 * the decoy is named as not signalled, and a bare node is never a target.
 */
static void
test_own_worker(void **state)
{
	const char *const	 aw[] = { "awf", "codex" };
	struct proc_find_opts	 o = { .ancestry = PROC_ANCESTRY_AUTO };
	char			 node[PATH_MAX + 8], awf[PATH_MAX + 8];
	struct proc_info	*v, info;
	pid_t			 theirs, mine, bare, w;
	ssize_t			 n, i;
	int			 nawf = 0;

	snprintf(node, sizeof(node), "%s/node", tdir);
	snprintf(awf, sizeof(awf), "%s/awf", tdir);
	make_link("node", self_exe);
	make_link("awf", self_exe);
	/* their Worker -> node -> awf (the decoy), started first */
	theirs = spawn("Runner.Worker", "spawn,spawn,sleep", trk, -1, node,
	    awf, NULL);
	wait_ready(1);
	mine = spawn("Runner.Worker", "spawn,spawn,sleep", trk, -1, node, awf,
	    NULL);
	wait_ready(1);
	/* a bare node test suite of this job, beside the engine */
	bare = spawn("node", "sleep", trk, -1, NULL, NULL, NULL);
	wait_ready(1);

	o.worker_pid = mine;
	n = proc_find_job(trk, &o, &v);
	assert_int_equal(n, 2);		/* my entry node and my awf only */
	for (i = 0; i < n; i++)
		assert_int_equal(proc_find_worker(v[i].pid), mine);
	free(v);
	assert_int_equal(proc_find_engine(trk, aw, 2, &o, &info), 0);
	assert_string_equal(info.name, "awf");
	assert_int_equal(proc_find_worker(info.pid), mine);
	assert_true(info.ndecoys >= 1);	/* their node …/awf too */
	assert_int_equal(proc_find_worker(info.decoy), theirs);
	/* the default targets have no bare node */
	o.worker_pid = 0;
	o.ancestry = PROC_ANCESTRY_NONE;
	assert_int_equal(proc_find_engine(trk, NULL, 0, &o, &info), 0);
	assert_int_not_equal(info.pid, bare);
	assert_string_equal(info.name, "awf");
	/* proc_list: every process, the job's flagged, awf named */
	o.worker_pid = mine;
	n = proc_list(trk, &o, "awf", &v);
	assert_true(n > 4);
	for (i = 0; i < n; i++) {
		w = proc_find_worker(v[i].pid);
		if (strcmp(v[i].name, "awf") != 0 || (w != mine && w != theirs))
			continue;	/* other tests run beside us */
		nawf++;
		assert_int_equal(v[i].job, w == mine);
	}
	assert_int_equal(nawf, 2);	/* each awf; the entry node is no engine */
	free(v);
}

static void
test_exists_and_worker(void **state)
{
	pid_t	pid;
	int	i;

	assert_true(proc_exists(getpid()));
	assert_false(proc_exists(0));
	assert_false(proc_exists(-1));
	pid = fork();
	if (pid == 0)
		_exit(0);
	for (i = 0; i < 200 && proc_exists(pid); i++)
		usleep(10000);
	assert_false(proc_exists(pid));	/* a zombie is gone */
	waitpid(pid, NULL, 0);
	assert_false(proc_exists(pid));
	assert_int_equal(proc_find_worker(0), 0);
	assert_string_equal(proc_stop_signame(SIGTERM), "SIGTERM");
}

/* ---- stopping -------------------------------------------------------- */

static void
test_stop_sigint(void **state)
{
	const char *const	 aw[] = { "awf" };
	struct proc_stop_args	 a;
	struct policy_stop	 st;
	struct outcome		 o;
	pid_t			 t, other, noid;
	char			 want[64];

	noid = spawn("awf", "sleep", NULL, -1, NULL, NULL, NULL);
	other = spawn("codex", "sleep", trk, -1, NULL, NULL, NULL);
	t = spawn("awf", "sleep", trk, -1, NULL, NULL, NULL);
	wait_ready(3);
	ladder(&st, aw, 1, 5000, 5000);
	memset(&a, 0, sizeof(a));
	a.tracking_id = trk;
	a.stop = &st;
	a.find = no_anc;
	run_stop(&a, &o);

	assert_int_equal(o.r.found, 1);
	assert_int_equal(o.r.pid, t);
	assert_string_equal(o.target, "awf");
	assert_int_equal(o.r.exited, 1);
	assert_int_equal(o.r.last_signal, SIGINT);
	assert_int_equal(o.r.nsent, 1);
	assert_true(o.r.exited_at > 1.6e9);
	assert_true(WIFSIGNALED(o.r.status) && WTERMSIG(o.r.status) == SIGINT);
	snprintf(want, sizeof(want), "awf (pid %d) exited ", (int)t);
	assert_non_null(strstr(o.message, want));
	assert_non_null(strstr(o.message, " s after SIGINT"));
	assert_true(proc_exists(noid));		/* no id: never touched */
	assert_true(proc_exists(other));	/* not the target */
}

static void
ladder_case(const char *mode, const char *expect, int last, size_t nsent)
{
	const char *const	 cx[] = { "codex" };
	struct proc_stop_args	 a;
	struct policy_stop	 st;
	struct outcome		 o;
	struct timespec		 tick;
	double			 slack;
	size_t			 i;

	spawn("codex", mode, trk, -1, NULL, NULL, NULL);
	wait_ready(1);
	ladder(&st, cx, 1, 150, 200);
	memset(&a, 0, sizeof(a));
	a.tracking_id = trk;
	a.stop = &st;
	a.find = no_anc;
	run_stop(&a, &o);

	assert_int_equal(o.r.exited, 1);
	assert_int_equal(o.r.last_signal, last);
	assert_string_equal(letters, expect);	/* what the engine received */
	assert_int_equal(o.r.nsent, nsent);
	/*
	 * libevent times with CLOCK_MONOTONIC_COARSE, which lags the precise
	 * clock by up to one tick, so a wait may end that much early.
	 */
	assert_int_equal(clock_getres(CLOCK_MONOTONIC_COARSE, &tick), 0);
	slack = (double)tick.tv_sec + (double)tick.tv_nsec / 1e9 + 0.001;
	for (i = 0; i < nsent; i++) {
		assert_int_equal(o.sent[i].signo, st.ladder[i].signo);
		assert_int_equal(o.sent[i].subtree, 0);
		/* each wait is honoured before the next step (a lower bound) */
		if (i > 0)
			assert_true(o.sent[i].mono - o.sent[i - 1].mono >=
			    st.ladder[i - 1].wait_ms / 1000.0 - slack);
	}
	assert_true(WIFSIGNALED(o.r.status) && WTERMSIG(o.r.status) == last);
	assert_non_null(strstr(o.message, proc_stop_signame(last)));
}

static void
test_ladder_to_kill(void **state)
{
	ladder_case("ignIT", "IT", SIGKILL, 3);
}

static void
test_ladder_to_term(void **state)
{
	ladder_case("ignI", "I", SIGTERM, 2);
}

static void
test_ladder_without_pidfd(void **state)
{
	proc_test_no_pidfd(1);
	ladder_case("ignIT", "IT", SIGKILL, 3);
}

static void
subtree_case(int no_subtree)
{
	const char *const	 cx[] = { "codex" };
	struct proc_stop_args	 a;
	struct policy_stop	 st;
	struct outcome		 o;
	struct pollfd		 pfd;
	int			 out[2];
	char			 c;

	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	spawn("codex", "hold", trk, out[1], NULL, NULL, NULL);
	close(out[1]);
	wait_ready(1);
	ladder(&st, cx, 1, 2000, 2000);
	memset(&a, 0, sizeof(a));
	a.tracking_id = trk;
	a.stop = &st;
	a.find = no_anc;
	a.no_subtree = no_subtree;
	run_stop(&a, &o);

	assert_int_equal(o.r.exited, 1);
	assert_int_equal(o.r.last_signal, SIGINT);
	pfd.fd = out[0];
	pfd.events = POLLIN;
	if (no_subtree) {
		/* the tool child still holds the pipe: the step would hang */
		assert_int_equal(o.r.nsubtree, 0);
		assert_int_equal(poll(&pfd, 1, 200), 0);
	} else {
		assert_int_equal(o.r.nsubtree, 1);
		assert_int_equal(o.r.nsubtree_left, 0);
		assert_int_equal(o.r.nsent, 2);
		assert_int_equal(o.sent[1].subtree, 1);
		assert_int_equal(o.sent[1].signo, SIGINT);
		assert_int_equal(poll(&pfd, 1, 5000), 1);
		assert_int_equal(read(out[0], &c, 1), 0);	/* EOF */
		assert_non_null(strstr(o.message, "1 leftover descendant"));
	}
	close(out[0]);
}

static void
test_subtree_pipe(void **state)
{
	subtree_case(0);
}

static void
test_subtree_off(void **state)
{
	subtree_case(1);
}

/* Where the kernel has no children files, a whole scan finds the same. */
static void
test_subtree_by_scan(void **state)
{
	proc_test_no_children(1);
	subtree_case(0);
	proc_test_no_children(0);
}

struct found {
	pid_t			pid[8];
	unsigned long long	start[8];
	size_t			n;
};

static void
found_one(pid_t pid, unsigned long long start, void *arg)
{
	struct found	*f = arg;

	if (f->n < 8) {
		f->pid[f->n] = pid;
		f->start[f->n++] = start;
	}
}

/*
 * proc_find_subtree, the walk and the scan: the same one descendant (the
 * tool child), never the top itself nor a process beside it; the scan
 * reads the start time the walk leaves to the caller. proc_lookup,
 * proc_pidfd_open and proc_alive on that child.
 */
static void
test_find_subtree(void **state)
{
	struct found		walk, scan;
	struct proc_info	info;
	pid_t			top;
	int			fd, i;

	top = spawn("codex", "hold", trk, -1, NULL, NULL, NULL);
	spawn("awf", "sleep", trk, -1, NULL, NULL, NULL);	/* beside it */
	wait_ready(2);
	memset(&walk, 0, sizeof walk);
	proc_find_subtree(top, found_one, &walk);
	assert_int_equal(walk.n, 1);
	assert_int_equal(walk.start[0], 0);
	proc_test_no_children(1);
	memset(&scan, 0, sizeof scan);
	proc_find_subtree(top, found_one, &scan);
	proc_test_no_children(0);
	assert_int_equal(scan.n, 1);
	assert_int_equal(scan.pid[0], walk.pid[0]);

	assert_int_equal(proc_lookup(walk.pid[0], &info), 0);
	assert_int_equal(info.ppid, top);
	/* the start time is stat's field 22 (it once read field 21, always 0) */
	assert_true(info.start != 0);
	assert_true(info.start == scan.start[0]);
	assert_int_equal(proc_lookup(0, &info), -1);

	proc_test_no_pidfd(1);
	assert_int_equal(proc_pidfd_open(walk.pid[0]), -1);
	assert_int_equal(errno, ENOSYS);
	assert_true(proc_alive(walk.pid[0], -1));
	proc_test_no_pidfd(0);
	fd = proc_pidfd_open(walk.pid[0]);
	assert_true(fd >= 0);
	assert_true(proc_alive(walk.pid[0], fd));
	assert_int_equal(kill(walk.pid[0], SIGKILL), 0);
	for (i = 0; i < 200 && proc_alive(walk.pid[0], fd); i++)
		usleep(10000);
	assert_false(proc_alive(walk.pid[0], fd));
	close(fd);
}

/*
 * The engine found ahead of need: a refresh finds it, a better-ranked one
 * that appears later replaces it, and a stop handed the ready engine stops
 * exactly that one.
 */
static void
test_ready_engine(void **state)
{
	const char *const	 names[] = { "awf", "codex" };
	struct proc_stop_args	 a;
	struct policy_stop	 st;
	struct proc_ready	*r;
	struct outcome		 o;
	pid_t			 cx, aw;

	cx = spawn("codex", "sleep", trk, -1, NULL, NULL, NULL);
	wait_ready(1);
	ladder(&st, names, 2, 5000, 5000);
	memset(&a, 0, sizeof(a));
	a.tracking_id = trk;
	a.stop = &st;
	a.find = no_anc;
	assert_null(proc_ready_new(NULL, NULL, NULL));
	r = proc_ready_new(a.tracking_id, a.stop, &a.find);
	assert_non_null(r);
	assert_int_equal(proc_ready_refresh(r), 1);

	aw = spawn("awf", "sleep", trk, -1, NULL, NULL, NULL);
	wait_ready(1);
	usleep(1100 * 1000);	/* the rescan interval for a lower rank */
	assert_int_equal(proc_ready_refresh(r), 1);
	a.ready = r;
	run_stop(&a, &o);
	assert_int_equal(o.r.pid, aw);
	assert_string_equal(o.target, "awf");
	assert_int_equal(o.r.exited, 1);
	assert_true(proc_exists(cx));

	/* the ready engine is gone: the next refresh forgets it for codex */
	usleep(1100 * 1000);
	assert_int_equal(proc_ready_refresh(r), 1);
	run_stop(&a, &o);
	assert_int_equal(o.r.pid, cx);
	assert_int_equal(o.r.exited, 1);
	usleep(1100 * 1000);
	assert_int_equal(proc_ready_refresh(r), 0);	/* nothing left */
	proc_ready_free(r);
}

/* A ready engine that exited since its refresh: the stop scans instead. */
static void
test_ready_engine_stale(void **state)
{
	const char *const	 names[] = { "awf", "codex" };
	struct proc_stop_args	 a;
	struct policy_stop	 st;
	struct proc_ready	*r;
	struct outcome		 o;
	pid_t			 cx, aw;
	int			 status;

	cx = spawn("codex", "sleep", trk, -1, NULL, NULL, NULL);
	wait_ready(1);
	ladder(&st, names, 2, 5000, 5000);
	memset(&a, 0, sizeof(a));
	a.tracking_id = trk;
	a.stop = &st;
	a.find = no_anc;
	r = proc_ready_new(a.tracking_id, a.stop, &a.find);
	assert_int_equal(proc_ready_refresh(r), 1);
	assert_int_equal(kill(cx, SIGKILL), 0);
	assert_int_equal(waitpid(cx, &status, 0), cx);
	aw = spawn("awf", "sleep", trk, -1, NULL, NULL, NULL);
	wait_ready(1);
	a.ready = r;
	run_stop(&a, &o);
	assert_int_equal(o.r.pid, aw);
	assert_int_equal(o.r.exited, 1);
	proc_ready_free(r);
}

static void
test_no_target(void **state)
{
	const char *const	 aw[] = { "awf" };
	struct proc_stop_args	 a;
	struct policy_stop	 st;
	struct outcome		 o;

	ladder(&st, aw, 1, 100, 100);
	memset(&a, 0, sizeof(a));
	a.tracking_id = trk;
	a.stop = &st;
	a.find = no_anc;
	run_stop(&a, &o);
	assert_int_equal(o.r.found, 0);
	assert_int_equal(o.r.nsent, 0);
	assert_int_equal(o.r.pid, 0);
	assert_non_null(strstr(o.message, "no process of this job"));
	assert_non_null(strstr(o.message, "nothing was stopped"));

	spawn("plain", "sleep", trk, -1, NULL, NULL, NULL);
	wait_ready(1);
	run_stop(&a, &o);
	assert_int_equal(o.r.found, 0);
	assert_string_equal(o.message, "none of the job's 1 processes is an "
	    "engine (awf); nothing was stopped");

	/* a container job: the step is a `docker exec` on the host */
	spawn("docker", "sleep", trk, -1, "exec", NULL, NULL);
	wait_ready(1);
	run_stop(&a, &o);
	assert_int_equal(o.r.found, 0);
	assert_non_null(strstr(o.message, "2 processes"));
	assert_non_null(strstr(o.message, "runs in a container"));

	a.tracking_id = NULL;
	a.pid = 1;		/* never init, never a group */
	run_stop(&a, &o);
	assert_int_equal(o.r.found, 0);
	assert_non_null(strstr(o.message, "does not exist"));
}

static void
test_eperm(void **state)
{
	struct proc_stop_args	 a;
	struct outcome		 o;
	pid_t			 t, kid;
	int			 p[2], status;
	char			 msg[512] = "";
	ssize_t			 r;

	if (geteuid() != 0)
		skip();
	t = spawn("awf", "sleep", trk, -1, NULL, NULL, NULL);
	wait_ready(1);
	assert_int_equal(pipe(p), 0);
	kid = fork();
	if (kid == 0) {
		if (setgid(65534) == -1 || setuid(65534) == -1)
			_exit(3);
		memset(&a, 0, sizeof(a));
		a.pid = t;
		run_stop(&a, &o);
		(void)write(p[1], o.message, strlen(o.message));
		_exit(o.r.error == EPERM && o.r.exited == 0 ? 0 : 4);
	}
	close(p[1]);
	r = read(p[0], msg, sizeof(msg) - 1);
	close(p[0]);
	assert_int_equal(waitpid(kid, &status, 0), kid);
	assert_true(r > 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(msg, "permission denied"));
	assert_non_null(strstr(msg, "the engine was not stopped"));
	assert_true(proc_exists(t));
}

/* ---- parsing hostile /proc text --------------------------------------- */

/*
 * A process names itself: a comm of ") R 1 (" must neither shift the stat
 * fields nor pass for an engine; argv is the process's own as well.
 */
static void
test_classify_text(void **state)
{
	const char *const	 names[] = { "awf", "codex" };
	char			 comm[17], cmd[64];
	const char		*tail = " 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 "
				    "4242 0 0";
	char			 stat[256];

	snprintf(stat, sizeof(stat), "77 (codex) S 1 (x) R 5%s", tail);
	memcpy(cmd, "sh\0", 3);
	assert_int_equal(proc_classify(stat, cmd, 3, names, 2, comm), -1);
	assert_string_equal(comm, "codex) S 1 (x");
	snprintf(stat, sizeof(stat), "77 (codex) S 5%s", tail);
	assert_int_equal(proc_classify(stat, cmd, 3, names, 2, comm), 1);
	/* `node /usr/bin/codex` by its argv[1]; sudo by the command it runs */
	snprintf(stat, sizeof(stat), "77 (node) S 5%s", tail);
	memcpy(cmd, "node\0/usr/bin/codex\0", 21);
	assert_int_equal(proc_classify(stat, cmd, 21, names, 2, comm), 1);
	snprintf(stat, sizeof(stat), "77 (sudo) S 5%s", tail);
	memcpy(cmd, "sudo\0-u\0codex\0X=1\0/bin/awf\0", 28);
	assert_int_equal(proc_classify(stat, cmd, 28, names, 2, comm), 0);
	assert_int_equal(proc_classify("77 (sudo S 5", cmd, 28, names, 2,
	    comm), -2);
	/* the id must be a whole entry, not a prefix nor a suffix of one */
	assert_int_equal(proc_environ_has("A=1\0RUNNER_TRACKING_ID=j1", 26,
	    "j1"), 1);
	assert_int_equal(proc_environ_has("RUNNER_TRACKING_ID=j10\0", 23,
	    "j1"), 0);
	assert_int_equal(proc_environ_has("XRUNNER_TRACKING_ID=j1\0", 23,
	    "j1"), 0);
}

/* ---- fake-awf.sh ----------------------------------------------------- */

static pid_t
spawn_fake_awf(const char *grace, const char *cmd)
{
	const char	*src = getenv("BREAKER_SOURCE_ROOT");
	char		 target[PATH_MAX], path[PATH_MAX + 64], idv[128];
	char		*argv[] = { path, "--grace", (char *)grace, "--", "sh",
			    "-c", (char *)cmd, NULL };
	char		*envp[] = { "PATH=/usr/bin:/bin", idv, NULL };
	pid_t		 pid;

	snprintf(target, sizeof(target), "%s/tests/integration/fake-awf.sh",
	    src != NULL ? src : "../..");
	snprintf(path, sizeof(path), "%s/fa", tdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/fa/awf", tdir);
	if (access(path, F_OK) != 0)
		assert_int_equal(symlink(target, path), 0);
	snprintf(idv, sizeof(idv), "RUNNER_TRACKING_ID=%s", trk);
	pid = fork();
	if (pid == 0) {
		execve(path, argv, envp);
		_exit(127);
	}
	spawned[nspawned++] = pid;
	return pid;
}

/* The pid of the job process named `comm`, waiting up to 5 s. */
static pid_t
wait_job_proc(const char *comm)
{
	struct proc_info	*v;
	ssize_t			 n, i;
	pid_t			 found = 0;
	int			 tries;

	for (tries = 0; tries < 100 && found == 0; tries++) {
		n = proc_find_job(trk, &no_anc, &v);
		for (i = 0; i < n; i++)
			if (strcmp(v[i].comm, comm) == 0)
				found = v[i].pid;
		free(v);
		if (found == 0)
			usleep(50000);
	}
	assert_true(found > 0);
	return found;
}

/* A SIGKILL takes effect asynchronously: allow it 2 s. */
static int
gone_soon(pid_t pid)
{
	int	i;

	for (i = 0; i < 200 && proc_exists(pid); i++)
		usleep(10000);
	return !proc_exists(pid);
}

static void
fake_awf_case(int signo, int code, const char *cmd)
{
	pid_t	pid, child;
	int	status;

	pid = spawn_fake_awf("1", cmd);
	child = wait_job_proc("sleep");
	wait_job_proc("awf");
	usleep(100000);		/* let the traps be set */
	kill(pid, signo);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	nspawned--;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), code);
	assert_true(gone_soon(child));
}

static void
test_fake_awf_int(void **state)
{
	fake_awf_case(SIGINT, 130, "sleep 30");
}

static void
test_fake_awf_term(void **state)
{
	fake_awf_case(SIGTERM, 143, "sleep 30");
}

static void
test_fake_awf_stubborn(void **state)
{
	/* the agent ignores TERM: the wrapper kills all of it */
	fake_awf_case(SIGTERM, 143, "trap '' TERM; sleep 30; :");
}

static void
test_stop_fake_awf(void **state)
{
	struct proc_stop_args	 a;
	struct policy_stop	 st;
	struct outcome		 o;
	pid_t			 pid, child;

	pid = spawn_fake_awf("3", "sleep 30");
	child = wait_job_proc("sleep");
	usleep(100000);
	ladder(&st, NULL, 0, 5000, 3000);	/* the default targets */
	memset(&a, 0, sizeof(a));
	a.tracking_id = trk;
	a.stop = &st;
	a.find = no_anc;
	run_stop(&a, &o);
	assert_int_equal(o.r.pid, pid);
	assert_string_equal(o.target, "awf");
	assert_int_equal(o.r.exited, 1);
	assert_int_equal(o.r.last_signal, SIGINT);
	assert_true(WIFEXITED(o.r.status));
	assert_int_equal(WEXITSTATUS(o.r.status), 130);
	assert_true(gone_soon(child));
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(int argc, char **argv)
{
	const char		*modes = getenv(HELPER_ENV);
	const struct CMUnitTest	 tests[] = {
		T(test_find_job_exact),
		T(test_engine_order),
		T(test_sudo),
		T(test_worker_ancestry),
		T(test_own_worker),
		T(test_exists_and_worker),
		T(test_stop_sigint),
		T(test_ladder_to_kill),
		T(test_ladder_to_term),
		T(test_ladder_without_pidfd),
		T(test_classify_text),
		T(test_subtree_pipe),
		T(test_subtree_off),
		T(test_subtree_by_scan),
		T(test_find_subtree),
		T(test_ready_engine),
		T(test_ready_engine_stale),
		T(test_no_target),
		T(test_eperm),
		T(test_fake_awf_int),
		T(test_fake_awf_term),
		T(test_fake_awf_stubborn),
		T(test_stop_fake_awf),
	};
	char			 tmpl[] = "/tmp/breaker-proc-XXXXXX";
	char			 cmd[PATH_MAX + 16];
	ssize_t			 n;
	int			 rv;

	if (modes != NULL)
		return helper_main(modes, argv);
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		return 1;
	self_exe[n] = '\0';
	if (mkdtemp(tmpl) == NULL)
		return 1;
	snprintf(tdir, sizeof(tdir), "%s", tmpl);
	rv = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	(void)system(cmd);
	return rv;
}
