/*
 * job.c: the job's identity from the environment, per-job state directories
 * that never collide (consecutive jobs, two runners), their safety (0700, no
 * planted symlink) and bounded pruning.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/time.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "log.h"
#include "xalloc.h"

static char	tmpdir[256];

static void
set_job_env(const char *runner, const char *run, const char *attempt,
    const char *jobkey, const char *tracking)
{
	setenv("RUNNER_NAME", runner, 1);
	setenv("GITHUB_RUN_ID", run, 1);
	setenv("GITHUB_RUN_ATTEMPT", attempt, 1);
	setenv("GITHUB_REPOSITORY", "octo/repo", 1);
	setenv("GITHUB_JOB", jobkey, 1);
	setenv("RUNNER_TRACKING_ID", tracking, 1);
}

static void
clear_job_env(void)
{
	unsetenv("RUNNER_NAME");
	unsetenv("GITHUB_RUN_ID");
	unsetenv("GITHUB_RUN_ATTEMPT");
	unsetenv("GITHUB_REPOSITORY");
	unsetenv("GITHUB_JOB");
	unsetenv("RUNNER_TRACKING_ID");
}

static int
setup(void **state)
{
	strcpy(tmpdir, "/tmp/test_job.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd;

	xasprintf(&cmd, "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	clear_job_env();
	return 0;
}

static char *
key_for(const char *runner, const char *run, const char *attempt,
    const char *jobkey, const char *tracking)
{
	struct job	*j;
	char		*k;

	set_job_env(runner, run, attempt, jobkey, tracking);
	j = job_from_env();
	k = xstrdup(j->key);
	job_free(j);
	return k;
}

static void
test_identity(void **state)
{
	struct job	*j;

	set_job_env("runner-a", "123", "2", "agent", "trk-1");
	setenv("GITHUB_STEP_SUMMARY", "/tmp/summary", 1);
	j = job_from_env();
	assert_string_equal(j->run_id, "123");
	assert_string_equal(j->run_attempt, "2");
	assert_string_equal(j->repository, "octo/repo");
	assert_string_equal(j->job_key, "agent");
	assert_string_equal(j->runner_name, "runner-a");
	assert_string_equal(j->tracking_id, "trk-1");
	assert_string_equal(j->step_summary, "/tmp/summary");
	assert_true(job_in_runner(j));
	job_free(j);
	unsetenv("GITHUB_STEP_SUMMARY");
}

/* Every part of the identity tells jobs apart. */
static void
test_keys_differ(void **state)
{
	char	*base = key_for("r1", "100", "1", "agent", "t-1");
	char	*same = key_for("r1", "100", "1", "agent", "t-1");
	char	*other[5];
	size_t	 i;

	other[0] = key_for("r2", "100", "1", "agent", "t-1");
	other[1] = key_for("r1", "101", "1", "agent", "t-1");
	other[2] = key_for("r1", "100", "2", "agent", "t-1");
	other[3] = key_for("r1", "100", "1", "detect", "t-1");
	other[4] = key_for("r1", "100", "1", "agent", "t-2");
	assert_string_equal(base, same);
	for (i = 0; i < 5; i++) {
		assert_string_not_equal(base, other[i]);
		free(other[i]);
	}
	free(base);
	free(same);
}

/* Hostile or huge values never escape the root or overflow the socket path. */
static void
test_key_safe(void **state)
{
	char	 big[600];
	char	*k;
	size_t	 i;

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	k = key_for("../../etc/passwd", "1/2", "..", big, big);
	assert_null(strchr(k, '/'));
	assert_true(strlen(k) <= 80);
	for (i = 0; k[i] != '\0'; i++)
		assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", k[i]));
	assert_true(strncmp(k, "..", 2) != 0 || strlen(k) > 2);
	free(k);
}

static void
test_local_key(void **state)
{
	struct job	*j;
	char		 want[32];

	clear_job_env();
	j = job_from_env();
	assert_false(job_in_runner(j));
	snprintf(want, sizeof want, "local-%u", (unsigned)getuid());
	assert_string_equal(j->key, want);
	job_free(j);
}

static void
test_resolve_order(void **state)
{
	struct job	*j;
	const char	*why;
	char		*want;

	set_job_env("r", "1", "1", "agent", "t");
	j = job_from_env();
	assert_int_equal(job_resolve_dir(j, "/override", "/configured", &why), 0);
	assert_string_equal(j->root, "/override");
	xasprintf(&want, "/override/%s", j->key);
	assert_string_equal(j->dir, want);
	free(want);
	assert_int_equal(job_resolve_dir(j, NULL, "/configured", &why), 0);
	assert_string_equal(j->root, "/configured");
	assert_int_equal(job_resolve_dir(j, "", NULL, &why), 0);
	assert_true(strcmp(j->root, JOB_STATE_DIR_SYSTEM) == 0 ||
	    strstr(j->root, "/breaker") != NULL);
	assert_true(j->root[0] == '/');
	/* A relative override becomes absolute (the daemon chdirs to /). */
	assert_int_equal(job_resolve_dir(j, "rel/state", NULL, &why), 0);
	assert_true(j->root[0] == '/');
	assert_non_null(strstr(j->root, "/rel/state"));
	job_free(j);
}

static void
test_make_dir(void **state)
{
	struct job	*j;
	struct stat	 st;
	const char	*why;
	char		*root;

	set_job_env("r", "1", "1", "agent", "t-make");
	j = job_from_env();
	xasprintf(&root, "%s/a/b/state", tmpdir);
	assert_int_equal(job_resolve_dir(j, root, NULL, &why), 0);
	assert_false(job_dir_exists(j));
	assert_int_equal(job_make_dir(j), 0);
	assert_true(job_dir_exists(j));
	assert_int_equal(stat(j->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	/* Idempotent: the finish hook and a restarted start see the same. */
	assert_int_equal(job_make_dir(j), 0);
	j->started = 1234.5;
	assert_int_equal(job_save(j), 0);
	j->started = 0;
	assert_int_equal(job_load_started(j), 0);
	assert_true(j->started > 1234.4 && j->started < 1234.6);
	job_free(j);
	free(root);
}

static void
test_refuses_symlink(void **state)
{
	struct job	*j;
	const char	*why;
	char		*root, *target;

	set_job_env("r", "1", "1", "agent", "t-link");
	j = job_from_env();
	xasprintf(&root, "%s/linkroot", tmpdir);
	xasprintf(&target, "%s/elsewhere", tmpdir);
	assert_int_equal(mkdir(root, 0700), 0);
	assert_int_equal(mkdir(target, 0700), 0);
	assert_int_equal(job_resolve_dir(j, root, NULL, &why), 0);
	assert_int_equal(symlink(target, j->dir), 0);
	assert_int_equal(job_make_dir(j), -1);
	job_free(j);
	free(root);
	free(target);
}

/* A job whose state root is tmpdir/rel, made with `mode` (and owner). */
static struct job *
job_under(const char *rel, mode_t mode, uid_t owner, char **rootp)
{
	struct job	*j;
	const char	*why;

	set_job_env("r", "1", "1", "agent", rel);
	j = job_from_env();
	xasprintf(rootp, "%s/%s", tmpdir, rel);
	assert_int_equal(mkdir(*rootp, 0700), 0);
	assert_int_equal(chmod(*rootp, mode), 0);
	if (owner != (uid_t)-1)
		assert_int_equal(chown(*rootp, owner, (gid_t)-1), 0);
	assert_int_equal(job_resolve_dir(j, *rootp, NULL, &why), 0);
	return j;
}

/*
 * F6: a state root that others can write (0777 without the sticky bit),
 * or below a directory that others can write, is refused with a reason;
 * a sticky shared root (like /tmp) is not, since no one else can rename
 * what we make in it.
 */
static void
test_refuses_shared_root(void **state)
{
	struct job	*j;
	char		*root, *deep;
	const char	*why;

	j = job_under("open777", 0777, (uid_t)-1, &root);
	assert_int_equal(job_make_dir(j), -1);
	assert_non_null(strstr(job_problem(j), "writable by group or others"));
	assert_int_equal(access(j->dir, F_OK), -1);	/* nothing made */
	/* Another writer higher up the path. */
	xasprintf(&deep, "%s/below/state", root);
	assert_int_equal(job_resolve_dir(j, deep, NULL, &why), 0);
	assert_int_equal(job_make_dir(j), -1);
	job_free(j);
	free(root);
	free(deep);

	j = job_under("sticky", 01777, (uid_t)-1, &root);
	assert_int_equal(job_make_dir(j), 0);
	job_free(j);
	free(root);
}

/* F6, scenario 17: a root owned by another user (advbob's 0777 dir). */
static void
test_refuses_foreign_root(void **state)
{
	struct job	*j;
	char		*root;

	if (geteuid() != 0)
		skip();		/* needs chown to another user */
	j = job_under("bob777", 0777, 65534, &root);
	assert_int_equal(job_make_dir(j), -1);
	assert_non_null(strstr(job_problem(j), "another user"));
	job_free(j);
	free(root);
	j = job_under("bob755", 0755, 65534, &root);
	assert_int_equal(job_make_dir(j), -1);
	job_free(j);
	free(root);
}

/*
 * F6: the job dir is held open once checked; a directory swapped in under
 * its name afterwards gets none of the job's files.
 */
static void
test_held_dir_survives_swap(void **state)
{
	struct job	*j;
	char		*root, *stolen, *planted, *p;

	j = job_under("swap", 0700, (uid_t)-1, &root);
	assert_int_equal(job_make_dir(j), 0);
	xasprintf(&stolen, "%s.stolen", j->dir);
	assert_int_equal(rename(j->dir, stolen), 0);
	assert_int_equal(mkdir(j->dir, 0700), 0);
	xasprintf(&planted, "%s/job.json", j->dir);
	assert_int_equal(symlink("/nonexistent/victim", planted), 0);
	assert_int_equal(job_save(j), 0);
	/* Written in the directory that was checked, not the planted one. */
	xasprintf(&p, "%s/job.json", stolen);
	assert_int_equal(access(p, F_OK), 0);
	free(p);
	p = job_fd_path(j, "control.sock");
	assert_int_equal(strncmp(p, "/proc/self/fd/", 14), 0);
	free(p);
	job_free(j);
	free(root);
	free(stolen);
	free(planted);
}

static void
make_job_dir(const char *root, const char *name, int finished, double age)
{
	char		*d, *f;
	struct timeval	 tv[2];
	int		 fd;

	xasprintf(&d, "%s/%s", root, name);
	assert_int_equal(mkdir(d, 0700), 0);
	xasprintf(&f, "%s/job.json", d);
	assert_true((fd = open(f, O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);
	free(f);
	xasprintf(&f, "%s/verdict-1.json", d);
	assert_true((fd = open(f, O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);
	free(f);
	if (finished) {
		xasprintf(&f, "%s/finished", d);
		assert_true((fd = open(f, O_CREAT | O_WRONLY, 0600)) >= 0);
		close(fd);
		free(f);
	}
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= (time_t)age;
	tv[1] = tv[0];
	assert_int_equal(utimes(d, tv), 0);
	free(d);
}

static int
exists(const char *root, const char *name)
{
	char		*p;
	struct stat	 st;
	int		 rc;

	xasprintf(&p, "%s/%s", root, name);
	rc = lstat(p, &st) == 0;
	free(p);
	return rc;
}

static void
test_prune(void **state)
{
	char	*root, *other;
	int	 n;

	xasprintf(&root, "%s/prune", tmpdir);
	assert_int_equal(mkdir(root, 0700), 0);
	make_job_dir(root, "f1", 1, 500);
	make_job_dir(root, "f2", 1, 400);
	make_job_dir(root, "f3", 1, 300);
	make_job_dir(root, "f4", 1, 200);
	make_job_dir(root, "f5", 1, 100);
	make_job_dir(root, "running", 0, 600);	/* another runner's live job */
	make_job_dir(root, "stale", 0, 4 * 24 * 3600);
	make_job_dir(root, "self", 1, 1000);
	xasprintf(&other, "%s/not-a-job", root);
	assert_int_equal(mkdir(other, 0700), 0);
	n = job_prune(root, "self", 2, JOB_MAX_AGE);
	assert_int_equal(n, 4);		/* f1 f2 f3 and stale */
	assert_false(exists(root, "f1"));
	assert_false(exists(root, "f2"));
	assert_false(exists(root, "f3"));
	assert_true(exists(root, "f4"));
	assert_true(exists(root, "f5"));
	assert_true(exists(root, "running"));
	assert_false(exists(root, "stale"));
	assert_true(exists(root, "self"));
	assert_true(exists(root, "not-a-job"));
	/* Bounded and idempotent. */
	assert_int_equal(job_prune(root, "self", 2, JOB_MAX_AGE), 0);
	free(other);
	free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_differ, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_key_safe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_make_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_shared_root,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_foreign_root,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_dir_survives_swap,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_symlink, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
	};

	log_init("test_job", LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
