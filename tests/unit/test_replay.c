/*
 * cmd_replay in-process (in a child, its stdout in a file): exit codes and
 * the --json report's shape, on the real fixtures.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "cmd.h"
#include "xalloc.h"

/* Run `breaker replay ARGS`; returns its exit code, *out its stdout. */
static int
replay(char **out, ...)
{
	char	*argv[32], path[] = "/tmp/breaker-test-replay-XXXXXX";
	va_list	 ap;
	int	 argc = 0, fd, status;
	pid_t	 pid;
	FILE	*f;
	long	 n;

	argv[argc++] = "replay";
	va_start(ap, out);
	while ((argv[argc] = va_arg(ap, char *)) != NULL && argc < 30)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	assert_true((fd = mkstemp(path)) != -1);
	if ((pid = fork()) == 0) {
		dup2(fd, 1);
		optind = 0;
		fflush(NULL);
		status = cmd_replay(argc, argv);
		fflush(stdout);
		_exit(status);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_non_null(f = fopen(path, "r"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*out = xcalloc(1, n + 1);
	assert_int_equal(fread(*out, 1, n, f), (size_t)n);
	fclose(f);
	close(fd);
	unlink(path);
	return WEXITSTATUS(status);
}

/* "NAME=<a vendored shared fixture>", for --source. */
static char *
fixture_source(const char *source, const char *name)
{
	const char	*root = getenv("BREAKER_SOURCE_ROOT");
	char		*p;

	xasprintf(&p, "%s=%s/tests/fixtures/shared/%s", source,
	    root ? root : "../..", name);
	return p;
}

static char *
policy(const char *name)
{
	const char	*root = getenv("BREAKER_SOURCE_ROOT");
	char		*p;

	xasprintf(&p, "%s/tests/unit/policies/%s", root ? root : "../..",
	    name);
	return p;
}

static void
test_json_report(void **state)
{
	char		*out, *p = policy("codex401.json");
	char		*src = fixture_source("engine",
			    "codex-401-missing-bearer.log");
	cJSON		*j, *v, *r;
	int		 rc;

	(void)state;
	rc = replay(&out, "--json", "--no-defaults", "--policy", p,
	    "--examples", "2", "--source", src, (char *)NULL);
	free(src);
	assert_int_equal(rc, 1);
	assert_non_null(j = cJSON_Parse(out));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j,
	    "sources")), 1);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(j, "sources"), 0), "lines")->valuedouble, 19);
	r = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "rules"), 0);
	assert_string_equal(cJSON_GetObjectItem(r, "id")->valuestring,
	    "t.codex.reconnect");
	assert_int_equal(cJSON_GetObjectItem(r, "hits")->valuedouble, 5);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r,
	    "examples")), 2);	/* --examples 2 */
	v = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "verdicts"), 0);
	assert_string_equal(cJSON_GetObjectItem(v, "rule")->valuestring,
	    "t.codex.401");
	assert_string_equal(cJSON_GetObjectItem(v, "severity")->valuestring,
	    "fatal");
	assert_string_equal(cJSON_GetObjectItem(v, "source")->valuestring,
	    "engine");
	assert_int_equal(cJSON_GetObjectItem(v, "line")->valuedouble, 18);
	assert_int_equal(cJSON_GetObjectItem(v, "count")->valuedouble, 6);
	assert_non_null(strstr(cJSON_GetObjectItem(v, "message")->valuestring,
	    "Missing bearer"));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "fatal")));
	cJSON_Delete(j);
	free(out);
	free(p);
}

/* F13 in replay: an example is the whole line sanitised, then cut to 200
 * bytes; a token across byte 200 is redacted, not shown in part. */
static void
test_example_redacted_before_cut(void **state)
{
	char	 path[] = "/tmp/breaker-test-replay-log-XXXXXX";
	char	*out, *src, *line, fill[200];
	size_t	 pre;
	int	 fd;
	FILE	*f;

	(void)state;
	pre = strlen("ERROR: unexpected status 401 Unauthorized: Incorrect "
	    "API key provided, url: https://x/?q=");
	/* the token starts at byte 178: the first 200 bytes hold "ghp_" and
	 * 18 of its 36 characters, short of a key */
	memset(fill, 'a', 177 - pre);
	fill[177 - pre] = '\0';
	xasprintf(&line, "ERROR: unexpected status 401 Unauthorized: Incorrect "
	    "API key provided, url: https://x/?q=%s "
	    "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8\n", fill);
	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(f = fdopen(fd, "w"));
	fputs(line, f);
	fclose(f);
	xasprintf(&src, "engine=%s", path);
	replay(&out, "--json", "--source", src, (char *)NULL);
	assert_non_null(strstr(out, "\"examples\":[{"));
	assert_null(strstr(out, "A1b2C3d4E5f6G7h8"));
	unlink(path);
	free(src);
	free(line);
	free(out);
}

static void
test_exit_codes(void **state)
{
	char	*out, *p = policy("codex401.json");
	char	*src = fixture_source("engine", "copilot.log");

	(void)state;
	assert_int_equal(replay(&out, "--no-defaults", "--policy", p,
	    "--source", src, (char *)NULL), 0);
	free(src);
	assert_non_null(strstr(out, "result: no fatal verdict"));
	free(out);
	assert_int_equal(replay(&out, "--source", "bogus=/dev/null",
	    (char *)NULL), 2);
	free(out);
	assert_int_equal(replay(&out, (char *)NULL), 2);
	free(out);
	assert_int_equal(replay(&out, "--source", "engine", (char *)NULL), 2);
	free(out);
	assert_int_equal(replay(&out, "--policy", "/nonexistent.json",
	    "--source", "engine=/dev/null", (char *)NULL), 2);
	free(out);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_report),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_example_redacted_before_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
