/*
 * Detection latency: the time from the write(2) of a fatal line to the
 * moment a target process receives the signal that the line caused.
 *
 * latency run N FILE 'PIPELINE'	this process is the target; the shell
 *					pipeline follows FILE and signals
 *					$TARGET_PID (SIGUSR1 or SIGINT/TERM)
 * latency each N FILE 'PIPELINE'	the same, but a fresh pipeline for
 *					each line (breaker watch stops the
 *					engine once per job, by design)
 * latency send PID WORD		a minimal signal sender: reads lines
 *					on stdin, signals PID on WORD
 *
 * The target blocks the signals and waits in sigtimedwait(), so the time
 * taken is the signal's arrival, not a handler's scheduling.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
send_main(pid_t pid, const char *word)
{
	char	line[65536];

	while (fgets(line, sizeof line, stdin) != NULL)
		if (strstr(line, word) != NULL)
			kill(pid, SIGUSR1);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
report(double *lat, int got, int missed)
{
	if (got == 0)
		return 1;
	qsort(lat, (size_t)got, sizeof *lat, cmp_double);
	printf("n=%d missed=%d p50_us=%.0f p99_us=%.0f max_us=%.0f\n", got,
	    missed, lat[got / 2], lat[(got * 99) / 100], lat[got - 1]);
	free(lat);
	return missed > 0;
}

/* Wait up to `ms` for one of the signals; returns 1 if one came. */
static int
wait_signal(const sigset_t *set, int ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (sigtimedwait(set, NULL, &ts) == -1)
		if (errno != EINTR)
			return 0;
	return 1;
}

static int
append(const char *file, const char *s)
{
	int	fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0644);
	ssize_t	n;

	if (fd == -1)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static pid_t
start_pipeline(const char *pipeline, const sigset_t *set)
{
	char	pidstr[32];
	pid_t	pid;

	snprintf(pidstr, sizeof pidstr, "%ld", (long)getpid());
	setenv("TARGET_PID", pidstr, 1);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		sigprocmask(SIG_UNBLOCK, set, NULL);
		execl("/bin/sh", "sh", "-c", pipeline, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

/*
 * Write fatal line number i and time its signal into lat[*got], or count
 * it missed after 2 s; -1 when the write fails.
 */
static int
timed_fatal(int fd, int i, sigset_t *set, double *lat, int *got,
    int *missed)
{
	char	line[128];
	double	t0;

	snprintf(line, sizeof line, "FATAL: the API key was rejected "
	    "(%d)\n", i);
	t0 = now_us();
	if (write(fd, line, strlen(line)) == -1)
		return -1;
	if (wait_signal(set, 2000))
		lat[(*got)++] = now_us() - t0;
	else
		(*missed)++;
	return 0;
}

static int
run_main(int n, const char *file, const char *pipeline)
{
	sigset_t	 set;
	double		*lat = calloc((size_t)n, sizeof *lat);
	pid_t		 pg;
	int		 i, got = 0, missed = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((pg = start_pipeline(pipeline, &set)) == -1)
		return 1;
	/* Ready when a fatal line gets through (bounded: 20 s). */
	for (i = 0; i < 100; i++) {
		append(file, "FATAL warm-up\n");
		if (wait_signal(&set, 200))
			break;
	}
	if (i == 100) {
		fprintf(stderr, "latency: the pipeline never signalled\n");
		kill(-pg, SIGTERM);
		return 1;
	}
	while (wait_signal(&set, 300))
		;	/* drain the warm-up's extra signals */
	for (i = 0; i < n; i++) {
		int fd = open(file, O_WRONLY | O_APPEND);

		if (timed_fatal(fd, i, &set, lat, &got, &missed) == -1)
			return 1;
		close(fd);
		usleep(2000);	/* let the pipeline go idle again */
	}
	kill(-pg, SIGTERM);
	waitpid(pg, NULL, 0);
	return report(lat, got, missed);
}

/* Has the pipeline's first process an inotify descriptor yet? */
static int
has_inotify(pid_t pid)
{
	char	path[64], link[64];
	ssize_t	n;
	int	fd;

	for (fd = 3; fd < 64; fd++) {
		snprintf(path, sizeof path, "/proc/%ld/fd/%d", (long)pid, fd);
		if ((n = readlink(path, link, sizeof link - 1)) <= 0)
			continue;
		link[n] = '\0';
		if (strstr(link, "inotify") != NULL)
			return 1;
	}
	return 0;
}

static int
each_main(int n, const char *file, const char *pipeline)
{
	static const char banner[] = "ERROR: Reconnecting... 1/5\n";
	sigset_t	 set;
	double		*lat = calloc((size_t)n, sizeof *lat);
	pid_t		 pg;
	int		 i, j, got = 0, missed = 0, fd;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < n; i++) {
		if ((pg = start_pipeline(pipeline, &set)) == -1)
			return 1;
		for (j = 0; j < 1000 && !has_inotify(pg); j++)
			usleep(1000);
		usleep(20000);	/* and past its start-up */
		fd = open(file, O_WRONLY | O_APPEND);
		/*
		 * An engine prints before it fails (a banner, a reconnect): the
		 * job is running when its fatal line comes, and breaker knows
		 * its engine by then (proc_ready). Not timed.
		 */
		if (write(fd, banner, strlen(banner)) == -1)
			return 1;
		usleep(50000);
		if (timed_fatal(fd, i, &set, lat, &got, &missed) == -1)
			return 1;
		close(fd);
		kill(-pg, SIGKILL);
		waitpid(pg, NULL, 0);
		while (wait_signal(&set, 0))
			;
	}
	return report(lat, got, missed);
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "send") == 0)
		return send_main((pid_t)atol(argv[2]), argv[3]);
	if (argc == 5 && strcmp(argv[1], "run") == 0)
		return run_main(atoi(argv[2]), argv[3], argv[4]);
	if (argc == 5 && strcmp(argv[1], "each") == 0)
		return each_main(atoi(argv[2]), argv[3], argv[4]);
	fprintf(stderr, "usage: latency run|each N FILE PIPELINE | "
	    "latency send PID WORD\n");
	return 2;
}
