/*
 * The source parsers on real fixture lines and on garbage: squid fields by
 * name, JSON fields by path, times from the lines themselves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "source.h"
#include "xalloc.h"

/* A vendored shared fixture (tests/fixtures/shared), by name. */
static char *
fixture(const char *name)
{
	const char	*root = getenv("BREAKER_SOURCE_ROOT");
	char		*p;

	xasprintf(&p, "%s/tests/fixtures/shared/%s", root ? root : "../..",
	    name);
	return p;
}

static char **
read_lines(const char *path, size_t *n)
{
	char	**v = NULL, *line = NULL;
	size_t	  cap = 0;
	ssize_t	  len;
	FILE	 *f;

	*n = 0;
	assert_non_null(f = fopen(path, "r"));
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		v = xreallocarray(v, *n + 1, sizeof *v);
		v[(*n)++] = xstrdup(line);
	}
	free(line);
	fclose(f);
	return v;
}

static char **
read_fixture(const char *name, size_t *n)
{
	char	*path = fixture(name), **lines;

	lines = read_lines(path, n);
	free(path);
	return lines;
}

static void
free_lines(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/* The text of a field, NUL-terminated in a static buffer ("" if absent). */
static const char *
field(struct source_event *ev, const char *name)
{
	static char		 buf[4][256];
	static int		 k;
	struct source_value	 v;
	char			*b = buf[k++ % 4];

	if (!source_event_field_text(ev, name, &v))
		return "<absent>";
	snprintf(b, 256, "%.*s", (int)v.len, v.s);
	return b;
}

static void
test_formats(void **state)
{
	(void)state;
	assert_int_equal(source_format_parse("text"), SOURCE_TEXT);
	assert_int_equal(source_format_parse("jsonl"), SOURCE_JSONL);
	assert_int_equal(source_format_parse("squid"), SOURCE_SQUID);
	assert_int_equal(source_format_parse("xml"), -1);
	assert_string_equal(source_format_name(SOURCE_SQUID), "squid");
	assert_int_equal(source_squid_field("user_agent"), SQUID_USER_AGENT);
	assert_int_equal(source_squid_field("nope"), -1);
}

static void
test_squid_fixture(void **state)
{
	struct source_event	 ev;
	struct source_value	 v;
	struct source_path	*p;
	const char		*err;
	char			**lines;
	size_t			 n, i;

	(void)state;
	lines = read_fixture("squid-access.log", &n);
	assert_int_equal(n, 12);
	for (i = 0; i < n; i++) {	/* every line parses */
		source_event_init(&ev, SOURCE_SQUID, lines[i],
		    strlen(lines[i]));
		assert_string_not_equal(field(&ev, "time"), "<absent>");
		assert_false(ev.malformed);
		assert_true(source_event_time(&ev) > 1.7e9);
		source_event_clear(&ev);
	}
	source_event_init(&ev, SOURCE_SQUID, lines[2], strlen(lines[2]));
	assert_string_equal(field(&ev, "time"), "1774290909.186");
	assert_string_equal(field(&ev, "client"), "172.30.0.20");
	assert_string_equal(field(&ev, "client_port"), "55890");
	assert_string_equal(field(&ev, "host"), "evil.example.com");
	assert_string_equal(field(&ev, "port"), "443");
	assert_string_equal(field(&ev, "dest"), "-:-");
	assert_string_equal(field(&ev, "version"), "1.1");
	assert_string_equal(field(&ev, "method"), "CONNECT");
	assert_string_equal(field(&ev, "status"), "403");
	assert_string_equal(field(&ev, "result"), "TCP_DENIED");
	assert_string_equal(field(&ev, "hierarchy"), "HIER_NONE");
	assert_string_equal(field(&ev, "url"), "evil.example.com:443");
	assert_string_equal(field(&ev, "user_agent"), "curl/7.81.0");
	assert_true(source_event_time(&ev) == 1774290909.186);
	p = source_path_compile(SOURCE_SQUID, "status", &err);
	assert_non_null(p);
	assert_int_equal(source_event_field(&ev, p, &v), 1);
	assert_int_equal(v.type, SOURCE_V_NUMBER);
	assert_true(v.num == 403);
	source_path_free(p);
	source_event_clear(&ev);
	/* the ::1 health-check row */
	source_event_init(&ev, SOURCE_SQUID, lines[10], strlen(lines[10]));
	assert_string_equal(field(&ev, "client"), "::1");
	assert_string_equal(field(&ev, "client_port"), "52010");
	assert_string_equal(field(&ev, "host"), "-");
	assert_string_equal(field(&ev, "result"), "NONE_NONE");
	assert_string_equal(field(&ev, "url"),
	    "error:transaction-end-before-headers");
	assert_string_equal(field(&ev, "user_agent"), "-");
	source_event_clear(&ev);
	/* a single-label internal host */
	source_event_init(&ev, SOURCE_SQUID, lines[11], strlen(lines[11]));
	assert_string_equal(field(&ev, "host"), "awmgmcpg");
	assert_string_equal(field(&ev, "port"), "8080");
	assert_string_equal(field(&ev, "user_agent"), "node");
	source_event_clear(&ev);
	free_lines(lines, n);
}

static void
test_squid_garbage(void **state)
{
	static const char *bad[] = {
		"", " ", "garbage", "1774290909.186 172.30.0.20:55890",
		"1774290909.186 172.30.0.20:55890 evil.example.com:443 -:- 1.1",
		"not-a-time a b c d e f g h i",
		"\x01\x02\x03\xff\xfe",
	};
	struct source_event	ev;
	size_t			i;
	char			line[512];

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		source_event_init(&ev, SOURCE_SQUID, bad[i], strlen(bad[i]));
		assert_string_equal(field(&ev, "host"), "<absent>");
		assert_true(ev.malformed);
		source_event_clear(&ev);
	}
	/* truncated at every length: never reads past the end */
	snprintf(line, sizeof line, "%s", "1774290909.186 172.30.0.20:55890 "
	    "evil.example.com:443 -:- 1.1 CONNECT 403 TCP_DENIED:HIER_NONE "
	    "evil.example.com:443 \"curl/7.81.0\"");
	for (i = 0; i <= strlen(line); i++) {
		char *copy = xmemdup(line, i ? i : 1);

		source_event_init(&ev, SOURCE_SQUID, copy, i);
		(void)field(&ev, "user_agent");
		(void)source_event_time(&ev);
		source_event_clear(&ev);
		free(copy);
	}
}

static void
test_jsonl_fixture(void **state)
{
	struct source_event	 ev;
	struct source_value	 v;
	char			**lines;
	size_t			 n;

	(void)state;
	lines = read_fixture("codex-events.jsonl", &n);
	assert_int_equal(n, 5);
	source_event_init(&ev, SOURCE_JSONL, lines[2], strlen(lines[2]));
	assert_string_equal(field(&ev, "type"), "turn.failed");
	assert_string_equal(field(&ev, "error.message"), "unexpected status "
	    "401 Unauthorized: Incorrect API key provided: fake****");
	assert_string_equal(field(&ev, "error.nope"), "<absent>");
	source_event_clear(&ev);
	source_event_init(&ev, SOURCE_JSONL, lines[1], strlen(lines[1]));
	assert_string_equal(field(&ev, "item.type"), "error");
	assert_string_equal(field(&ev, "item"), "");	/* object: no text */
	assert_int_equal(source_event_field_text(&ev, "item", &v), 1);
	assert_int_equal(v.type, SOURCE_V_OTHER);
	source_event_clear(&ev);
	/* spaces after colons, as some writers emit */
	source_event_init(&ev, SOURCE_JSONL, lines[4], strlen(lines[4]));
	assert_string_equal(field(&ev, "error.message"),
	    "Quota exceeded. Check your plan and billing details.");
	source_event_clear(&ev);
	free_lines(lines, n);

	lines = read_fixture("firewall-audit.jsonl", &n);
	source_event_init(&ev, SOURCE_JSONL, lines[0], strlen(lines[0]));
	assert_int_equal(source_event_field_text(&ev, "status", &v), 1);
	assert_int_equal(v.type, SOURCE_V_NUMBER);
	assert_true(v.num == 200);
	assert_string_equal(field(&ev, "status"), "200");
	assert_string_equal(field(&ev, "decision"), "TCP_TUNNEL");
	/* 2026-05-25T09:00:00.000Z */
	assert_true(source_event_time(&ev) == 1779699600.0);
	source_event_clear(&ev);
	free_lines(lines, n);

	/* the api-proxy's record: epoch milliseconds in a leading "ts" */
	{
		static const char *a = "{\"ts\":1796421793189,\"event\":"
		    "\"TRACK_START\",\"status\":401}";
		static const char *b = "{\"tsx\":1796421793189}";

		source_event_init(&ev, SOURCE_JSONL, a, strlen(a));
		assert_true(source_event_time(&ev) == 1796421793.189);
		source_event_clear(&ev);
		source_event_init(&ev, SOURCE_JSONL, b, strlen(b));
		assert_true(source_event_time(&ev) == -1);
		source_event_clear(&ev);
	}
}

static void
test_jsonl_paths_and_garbage(void **state)
{
	static const char	*j = "{\"a\":{\"b\":[10,{\"c\":true}]},"
	    "\"n\":null,\"s\":\"x.y\"}";
	struct source_event	 ev;
	struct source_value	 v;
	struct source_path	*p;
	const char		*err;
	char			*big;
	size_t			 i;

	(void)state;
	source_event_init(&ev, SOURCE_JSONL, j, strlen(j));
	assert_string_equal(field(&ev, "a.b.0"), "10");
	assert_string_equal(field(&ev, "a.b.1.c"), "true");
	assert_string_equal(field(&ev, "a.b.2"), "<absent>");
	assert_string_equal(field(&ev, "a.b.x"), "<absent>");
	assert_string_equal(field(&ev, "n"), "null");
	p = source_path_compile(SOURCE_JSONL, "a.b.1.c", &err);
	assert_int_equal(source_event_field(&ev, p, &v), 1);
	assert_int_equal(v.type, SOURCE_V_BOOL);
	source_path_free(p);
	source_event_clear(&ev);
	assert_null(source_path_compile(SOURCE_JSONL, "a..b", &err));
	/* a text source's fields are valid paths, always absent */
	p = source_path_compile(SOURCE_TEXT, "type", &err);
	assert_non_null(p);
	source_event_init(&ev, SOURCE_TEXT, j, strlen(j));
	assert_int_equal(source_event_field(&ev, p, &v), 0);
	source_event_clear(&ev);
	source_path_free(p);
	assert_null(source_path_compile(SOURCE_SQUID, "nope", &err));
	/* not JSON, truncated JSON, a JSON array: no fields, no crash */
	const char *bad[] = { "ERROR: Reconnecting... 1/5", "{\"a\": 1",
	    "[1,2]", "{", "", "\xff\xfe{" };
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		source_event_init(&ev, SOURCE_JSONL, bad[i], strlen(bad[i]));
		assert_string_equal(field(&ev, "a"), "<absent>");
		assert_true(ev.malformed);
		source_event_clear(&ev);
	}
	/* a 10 MB line of nested brackets and random bytes */
	big = xmalloc(10 * 1024 * 1024);
	for (i = 0; i < 10 * 1024 * 1024; i++)
		big[i] = i < 5 * 1024 * 1024 ? '[' : (char)(i * 7919 % 251);
	big[0] = '{';
	source_event_init(&ev, SOURCE_JSONL, big, 10 * 1024 * 1024);
	assert_string_equal(field(&ev, "a"), "<absent>");
	(void)source_event_time(&ev);
	source_event_clear(&ev);
	source_event_init(&ev, SOURCE_SQUID, big, 10 * 1024 * 1024);
	(void)field(&ev, "host");
	(void)source_event_time(&ev);
	source_event_clear(&ev);
	free(big);
}

static void
test_times(void **state)
{
	struct source_event	ev;
	const char		*l;

	(void)state;
	assert_true(source_parse_iso8601("1970-01-01T00:00:00Z", 20) == 0);
	assert_true(source_parse_iso8601("2026-04-24T00:00:00.500Z", 24) ==
	    1776988800.5);
	assert_true(source_parse_iso8601("2026-04-24T02:00:00+02:00", 25) ==
	    1776988800);
	assert_true(source_parse_iso8601("2026-13-24T00:00:00Z", 20) < 0);
	assert_true(source_parse_iso8601("2026-04-24", 10) < 0);
	l = "2026-02-27T14:06:41.886993Z  INFO session_loop: x";
	source_event_init(&ev, SOURCE_TEXT, l, strlen(l));
	assert_true(source_event_time(&ev) > 1772200000);
	l = "ERROR: Reconnecting... 1/5";
	source_event_init(&ev, SOURCE_TEXT, l, strlen(l));
	assert_true(source_event_time(&ev) < 0);
	l = "{\"timestamp\": 1700000000123, \"x\": 1}";
	source_event_init(&ev, SOURCE_JSONL, l, strlen(l));
	assert_true(source_event_time(&ev) == 1700000000.123);
}

/* codex's tool-output headers, and lines that only look like them. */
static void
test_tool_header(void **state)
{
	static const char *const yes[] = {
		" succeeded in 412ms:",
		"bash -lc 'ls' in /home/runner/work/r/r succeeded in 5ms:",
		" exited 1 in 3.20s:",
		" exited -1 in 1m 05s:",
		"[2025-08-01T10:00:00] bash -lc ls exited 127 in 12ms:",
		"apply_patch(auto_approved=true) exited 0 in 2ms:",
		"tool github.get_issue({\"n\":1}) success in 810ms:",
		"tool github.get_issue({\"n\":1}) failed in 1.02s:",
	};
	static const char *const no[] = {
		"succeeded in 412ms",
		"The build succeeded in CI:",
		"It exited in 3s:",
		" exited x in 3s:",
		" succeeded in soon:",
		"ERROR: unexpected status 401 Unauthorized: x",
		":",
		"",
	};
	struct source_context	c;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (!source_tool_header(yes[i], strlen(yes[i])))
			fail_msg("not a header: %s", yes[i]);
	for (i = 0; i < sizeof no / sizeof no[0]; i++)
		if (source_tool_header(no[i], strlen(no[i])))
			fail_msg("taken for a header: %s", no[i]);
	/* 20 lines after a header are quoted, the 21st is not */
	memset(&c, 0, sizeof c);
	assert_int_equal(source_context_quoted(&c, yes[0], strlen(yes[0])), 0);
	for (i = 0; i < SOURCE_TOOL_OUTPUT_LINES; i++)
		assert_int_equal(source_context_quoted(&c, "x", 1), 1);
	assert_int_equal(source_context_quoted(&c, "x", 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_squid_fixture),
		cmocka_unit_test(test_squid_garbage),
		cmocka_unit_test(test_jsonl_fixture),
		cmocka_unit_test(test_jsonl_paths_and_garbage),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_tool_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
