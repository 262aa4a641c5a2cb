/*
 * The ownership proof (owner.c) against real processes: a "job" writer
 * (a shell exec'd with the job's RUNNER_TRACKING_ID, holding the file on
 * fd 3 and then exec'ing sleep, as `tee -a` holds gh-aw's log), a writer
 * outside the job, a reader, a world-writable file; and the fdinfo parser.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "owner.h"

static char	tdir[PATH_MAX], file[PATH_MAX + 16], trk[64];

/* Start `sh -c CMD` with F=file and, if id, the tracking id; wait till it
 * has exec'd sleep (so its descriptors are in place). */
static pid_t
start(const char *cmd, const char *id)
{
	char	 fv[PATH_MAX + 32], iv[128], comm[32], path[64];
	char	*envp[] = { "PATH=/usr/bin:/bin", fv, iv, NULL };
	pid_t	 pid;
	FILE	*f;
	int	 i;

	snprintf(fv, sizeof(fv), "F=%s", file);
	snprintf(iv, sizeof(iv), "RUNNER_TRACKING_ID=%s", id ? id : "");
	if (id == NULL)
		envp[2] = NULL;
	if ((pid = fork()) == 0) {
		execle("/bin/sh", "sh", "-c", cmd, (char *)NULL, envp);
		_exit(127);
	}
	assert_true(pid > 0);
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	for (i = 0; i < 200; i++) {
		comm[0] = '\0';
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(comm, sizeof(comm), f) == NULL)
				comm[0] = '\0';
			fclose(f);
		}
		if (strncmp(comm, "sleep", 5) == 0)
			break;
		usleep(10000);
	}
	return pid;
}

static void
stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static struct owner *
new_owner(void)
{
	struct owner_opts	oo;

	memset(&oo, 0, sizeof(oo));
	oo.tracking_id = trk;
	oo.find.ancestry = PROC_ANCESTRY_NONE;	/* no Worker in a test */
	return owner_new(&oo, 1);
}

static int
setup(void **state)
{
	int	fd;

	snprintf(tdir, sizeof(tdir), "%s/breaker-owner.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(tdir));
	snprintf(file, sizeof(file), "%s/log", tdir);
	assert_true((fd = open(file, O_WRONLY | O_CREAT, 0644)) != -1);
	close(fd);
	snprintf(trk, sizeof(trk), "owner-test-%d", (int)getpid());
	return 0;
}

static int
teardown(void **state)
{
	unlink(file);
	rmdir(tdir);
	return 0;
}

static void
test_fdinfo(void **state)
{
	assert_int_equal(owner_fdinfo_writable("pos:\t0\nflags:\t0102001\n"
	    "mnt_id:\t29\n"), 1);
	assert_int_equal(owner_fdinfo_writable("pos:\t0\nflags:\t02\n"), 1);
	assert_int_equal(owner_fdinfo_writable("pos:\t0\nflags:\t0100000\n"),
	    0);
	assert_int_equal(owner_fdinfo_writable("pos:\t0\n"), -1);
	assert_int_equal(owner_fdinfo_writable("flags:\tzz\n"), -1);
	assert_int_equal(owner_fdinfo_writable(""), -1);
}

static void
test_proof(void **state)
{
	struct owner	*o = new_owner();
	char		 why[OWNER_WHY_MAX];
	pid_t		 mine, reader, other;
	int		 fd;

	assert_true((fd = open(file, O_RDONLY)) != -1);	/* as the tailer */

	/* nobody of the job writes it */
	assert_int_equal(owner_check(o, 0, "engine", fd, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "no process of this job"));

	/* the job's writer, and a reader outside the job: proven */
	mine = start("exec 3>>\"$F\"; exec sleep 30", trk);
	reader = start("exec 3<\"$F\"; exec sleep 30", NULL);
	usleep(150 * 1000);	/* a "no" stands for 100 ms */
	assert_int_equal(owner_check(o, 0, "engine", fd, why, sizeof(why)), 1);
	owner_refresh(o, 0, "engine", fd);
	assert_int_equal(owner_check(o, 0, "engine", fd, why, sizeof(why)), 1);

	/* a writer outside the job: ambiguous, after the next rescan */
	other = start("exec 3>>\"$F\"; exec sleep 30", "another-job");
	owner_free(o);
	o = new_owner();
	assert_int_equal(owner_check(o, 0, "engine", fd, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "not a process of this job"));
	stop(other);

	/* world-writable: proves nothing, whoever writes it */
	owner_free(o);
	o = new_owner();
	assert_int_equal(chmod(file, 0666), 0);
	assert_int_equal(owner_check(o, 0, "engine", fd, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "world-writable"));
	assert_int_equal(chmod(file, 0644), 0);

	/* the proven writer gone: the cheap re-check notices, rescans */
	owner_free(o);
	o = new_owner();
	assert_int_equal(owner_check(o, 0, "engine", fd, why, sizeof(why)), 1);
	stop(mine);
	assert_int_equal(owner_check(o, 0, "engine", fd, why, sizeof(why)), 0);

	/* no file, no id */
	assert_int_equal(owner_check(o, 0, "engine", -1, why, sizeof(why)), 0);
	assert_int_equal(owner_check(o, 5, "engine", fd, why, sizeof(why)), 0);
	stop(reader);
	owner_free(o);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fdinfo),
		cmocka_unit_test_setup_teardown(test_proof, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
