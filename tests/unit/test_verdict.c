/*
 * verdict.c: evidence capping and sanitising, JSON round trip of every
 * field, atomic persistence, loading in seq order with corrupt files
 * skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "verdict.h"
#include "xalloc.h"

static struct verdict *
full_verdict(unsigned seq)
{
	struct verdict	*v = verdict_new();

	v->seq = seq;
	verdict_set(&v->rule_id, "codex-auth-401");
	verdict_set(&v->title, "Codex API key rejected \"401\" \xe2\x9c\x95");
	v->severity = SEVERITY_WARNING;
	verdict_set(&v->source, "engine");
	verdict_set(&v->message, "line1\nline2\ttab \\ backslash");
	v->line_no = (1ULL << 60) + 7;		/* past a double's 2^53 */
	v->count = 6;
	v->first_seen = 1774290908.910;
	v->fired_at = 1774290909.1860001;
	v->observe = 1;
	verdict_add_evidence(v, "ERROR: Reconnecting... 1/5", 26);
	verdict_add_evidence(v, "ERROR: unexpected status 401", 28);
	v->evidence_dropped = 3;
	v->action = VERDICT_STOP;
	v->outcome = VERDICT_OUTCOME_NOT_PERMITTED;
	verdict_set(&v->action_result, "awf (pid 4242) exited after SIGINT");
	verdict_set(&v->stop_target, "awf");
	v->stop_pid = 4242;
	verdict_set(&v->stop_signal, "SIGINT");
	v->stopped_at = 1774290909.5;
	v->stop_exit = 130 << 8;
	verdict_set(&v->api_result, NULL);
	return v;
}

static void
assert_str_or_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void
assert_verdict_equal(const struct verdict *a, const struct verdict *b)
{
	size_t	i;

	assert_int_equal(a->seq, b->seq);
	assert_str_or_null(a->rule_id, b->rule_id);
	assert_str_or_null(a->title, b->title);
	assert_int_equal(a->severity, b->severity);
	assert_str_or_null(a->source, b->source);
	assert_str_or_null(a->message, b->message);
	assert_true(a->line_no == b->line_no);
	assert_true(a->count == b->count);
	assert_true(a->first_seen == b->first_seen);	/* exact */
	assert_true(a->fired_at == b->fired_at);
	assert_int_equal(a->observe, b->observe);
	assert_int_equal(a->nevidence, b->nevidence);
	for (i = 0; i < a->nevidence; i++)
		assert_string_equal(a->evidence[i], b->evidence[i]);
	assert_true(a->evidence_dropped == b->evidence_dropped);
	assert_int_equal(a->action, b->action);
	assert_int_equal(a->outcome, b->outcome);
	assert_str_or_null(a->action_result, b->action_result);
	assert_str_or_null(a->stop_target, b->stop_target);
	assert_int_equal(a->stop_pid, b->stop_pid);
	assert_str_or_null(a->stop_signal, b->stop_signal);
	assert_true(a->stopped_at == b->stopped_at);
	assert_int_equal(a->stop_exit, b->stop_exit);
	assert_str_or_null(a->api_result, b->api_result);
}

static void
test_new_defaults(void **state)
{
	struct verdict	*v = verdict_new();

	(void)state;
	assert_int_equal(v->nevidence, 0);
	assert_int_equal(v->stop_exit, -1);
	assert_null(v->rule_id);
	verdict_set(&v->rule_id, "a");
	verdict_set(&v->rule_id, "b");	/* replaces, no leak */
	assert_string_equal(v->rule_id, "b");
	verdict_set(&v->rule_id, NULL);
	assert_null(v->rule_id);
	verdict_free(v);
	verdict_free(NULL);
}

static void
test_severity(void **state)
{
	(void)state;
	assert_string_equal(severity_name(SEVERITY_FATAL), "fatal");
	assert_string_equal(severity_name(SEVERITY_WARNING), "warning");
	assert_string_equal(severity_name(SEVERITY_NOTICE), "notice");
	assert_string_equal(severity_name((enum severity)42), "unknown");
	assert_int_equal(severity_parse("fatal"), SEVERITY_FATAL);
	assert_int_equal(severity_parse("error"), SEVERITY_FATAL);
	assert_int_equal(severity_parse("warning"), SEVERITY_WARNING);
	assert_int_equal(severity_parse("notice"), SEVERITY_NOTICE);
	assert_int_equal(severity_parse("Fatal"), -1);
	assert_int_equal(severity_parse(""), -1);
	assert_int_equal(severity_parse(NULL), -1);
}

static void
test_evidence_sanitised(void **state)
{
	struct verdict	*v = verdict_new();
	const char	*hostile = "::add-mask::x key=sk-abcdefghijklmnopqrstu"
	    "vwxyz0123456789 ##[error]y\r\n";

	(void)state;
	verdict_add_evidence(v, hostile, strlen(hostile));
	assert_int_equal(v->nevidence, 1);
	assert_null(strstr(v->evidence[0], "::"));
	assert_null(strstr(v->evidence[0], "##["));
	assert_null(strstr(v->evidence[0], "sk-abc"));
	assert_non_null(strstr(v->evidence[0], "[REDACTED]"));
	assert_null(strpbrk(v->evidence[0], "\r\n"));
	verdict_free(v);
}

static void
test_evidence_caps(void **state)
{
	struct verdict	*v = verdict_new();
	char		*big, line[32];
	size_t		 i;

	(void)state;
	/* a 1 MB line is kept as 1024 bytes, cut on a character boundary */
	big = xmalloc(1 << 20);
	for (i = 0; i < (1 << 20); i += 2)
		memcpy(big + i, "\xc3\xa9", 2);		/* é */
	verdict_add_evidence(v, big, 1 << 20);
	free(big);
	assert_true(strlen(v->evidence[0]) <= VERDICT_MAX_EVIDENCE_LEN);
	assert_true(strlen(v->evidence[0]) > VERDICT_MAX_EVIDENCE_LEN - 8);
	/* ends with the cut mark, after a whole é */
	assert_non_null(strstr(v->evidence[0], "\xc3\xa9\xe2\x80\xa6"));
	assert_int_equal(strlen(strstr(v->evidence[0], "\xe2\x80\xa6")), 3);

	/* 25 lines: the first and the 9 latest are kept, 15 dropped */
	for (i = 2; i <= 25; i++) {
		snprintf(line, sizeof line, "line %zu", i);
		verdict_add_evidence(v, line, strlen(line));
	}
	assert_int_equal(v->nevidence, VERDICT_MAX_EVIDENCE);
	assert_int_equal(v->evidence_dropped, 15);
	assert_non_null(strstr(v->evidence[0], "\xc3\xa9"));
	assert_string_equal(v->evidence[1], "line 17");
	assert_string_equal(v->evidence[9], "line 25");
	verdict_free(v);
}

static void
test_json_roundtrip(void **state)
{
	struct verdict	*a, *b, *c;
	cJSON		*o, *p;
	char		*t1, *t2;

	(void)state;
	a = full_verdict(3);
	o = verdict_to_json(a);
	t1 = cJSON_Print(o);
	p = cJSON_Parse(t1);
	assert_non_null(p);
	b = verdict_from_json(p);
	assert_non_null(b);
	assert_verdict_equal(a, b);
	/* and the second serialisation is byte for byte the first */
	{
		cJSON *q = verdict_to_json(b);

		t2 = cJSON_Print(q);
		assert_string_equal(t1, t2);
		cJSON_Delete(q);
	}
	/* a default verdict too: NULL strings stay NULL */
	c = verdict_new();
	c->seq = 1;
	verdict_set(&c->rule_id, "r");
	cJSON_Delete(o);
	o = verdict_to_json(c);
	verdict_free(b);
	b = verdict_from_json(o);
	assert_non_null(b);
	assert_verdict_equal(c, b);
	cJSON_Delete(o);
	cJSON_Delete(p);
	cJSON_free(t1);
	cJSON_free(t2);
	verdict_free(a);
	verdict_free(b);
	verdict_free(c);
}

/* The action and outcome are enums in memory and the same words as ever in
 * the JSON: every value goes out as its word and comes back as itself. */
static void
test_action_outcome_json(void **state)
{
	static const char	*actions[] = { "none", "record", "stop",
	    "would-stop" };
	static const char	*outcomes[] = { "none", "recorded", "observe",
	    "stopped", "not-found", "not-permitted", "failed" };
	struct verdict		*a, *b;
	cJSON			*o;
	size_t			 i, j;

	(void)state;
	for (i = 0; i < sizeof actions / sizeof actions[0]; i++) {
		for (j = 0; j < sizeof outcomes / sizeof outcomes[0]; j++) {
			a = full_verdict(1);
			a->action = (enum verdict_action)i;
			a->outcome = (enum verdict_outcome)j;
			o = verdict_to_json(a);
			assert_string_equal(cJSON_GetStringValue(
			    cJSON_GetObjectItem(o, "action")), actions[i]);
			assert_string_equal(cJSON_GetStringValue(
			    cJSON_GetObjectItem(o, "outcome")), outcomes[j]);
			b = verdict_from_json(o);
			assert_non_null(b);
			assert_verdict_equal(a, b);
			cJSON_Delete(o);
			verdict_free(a);
			verdict_free(b);
		}
		assert_int_equal(verdict_action_parse(actions[i]), (int)i);
	}
	assert_int_equal(verdict_action_parse("halt"), -1);
	assert_int_equal(verdict_outcome_parse("stopped-ish"), -1);
}

static enum verdict_outcome
legacy_load(const char *json)
{
	cJSON			*o = cJSON_Parse(json);
	struct verdict		*v;
	enum verdict_outcome	 out;

	assert_non_null(o);
	v = verdict_from_json(o);
	assert_non_null(v);
	out = v->outcome;
	verdict_free(v);
	cJSON_Delete(o);
	return out;
}

/* A file written before "outcome" existed still loads, with the outcome
 * its readers used to work out from the other fields. */
static void
test_outcome_legacy(void **state)
{
	(void)state;
	assert_int_equal(legacy_load("{\"seq\":1,\"rule_id\":\"r\","
	    "\"severity\":\"fatal\",\"action\":\"stop\",\"stop_pid\":42,"
	    "\"stopped_at\":1774290909.5}"), VERDICT_OUTCOME_STOPPED);
	assert_int_equal(legacy_load("{\"seq\":1,\"rule_id\":\"r\","
	    "\"severity\":\"fatal\",\"action\":\"stop\",\"stop_pid\":7,"
	    "\"action_result\":\"cannot signal awf (pid 7): permission "
	    "denied\"}"), VERDICT_OUTCOME_NOT_PERMITTED);
	assert_int_equal(legacy_load("{\"seq\":1,\"rule_id\":\"r\","
	    "\"severity\":\"fatal\",\"action\":\"stop\",\"stop_pid\":7}"),
	    VERDICT_OUTCOME_FAILED);
	assert_int_equal(legacy_load("{\"seq\":1,\"rule_id\":\"r\","
	    "\"severity\":\"fatal\",\"action\":\"stop\"}"),
	    VERDICT_OUTCOME_NOT_FOUND);
	assert_int_equal(legacy_load("{\"seq\":1,\"rule_id\":\"r\","
	    "\"severity\":\"fatal\",\"action\":\"would-stop\"}"),
	    VERDICT_OUTCOME_OBSERVE);
	assert_int_equal(legacy_load("{\"seq\":1,\"rule_id\":\"r\","
	    "\"severity\":\"warning\",\"action\":\"record\"}"),
	    VERDICT_OUTCOME_RECORDED);
	assert_int_equal(legacy_load("{\"seq\":1,\"rule_id\":\"r\","
	    "\"severity\":\"warning\",\"action\":null}"),
	    VERDICT_OUTCOME_NONE);
	/* a recorded outcome wins over the words */
	assert_int_equal(legacy_load("{\"seq\":1,\"rule_id\":\"r\","
	    "\"severity\":\"fatal\",\"action\":\"stop\",\"stop_pid\":7,"
	    "\"outcome\":\"failed\",\"action_result\":\"permission "
	    "denied\"}"), VERDICT_OUTCOME_FAILED);
}

static void
expect_rejected(const char *json)
{
	cJSON		*o = cJSON_Parse(json);
	struct verdict	*v;

	assert_non_null(o);
	v = verdict_from_json(o);
	if (v != NULL)
		fail_msg("accepted: %s", json);
	cJSON_Delete(o);
}

static void
test_json_rejects(void **state)
{
	(void)state;
	expect_rejected("{\"severity\":\"fatal\",\"seq\":1}");
	expect_rejected("{\"rule_id\":\"r\",\"severity\":\"bad\",\"seq\":1}");
	expect_rejected("{\"rule_id\":\"r\",\"severity\":\"fatal\",\"seq\":0}");
	expect_rejected("{\"rule_id\":\"r\",\"severity\":\"fatal\"}");
	expect_rejected("{\"rule_id\":5,\"severity\":\"fatal\",\"seq\":1}");
	expect_rejected("{\"rule_id\":\"r\",\"severity\":\"fatal\",\"seq\":1,"
	    "\"evidence\":[1]}");
	expect_rejected("{\"rule_id\":\"r\",\"severity\":\"fatal\",\"seq\":1,"
	    "\"line_no\":-1}");
	expect_rejected("{\"rule_id\":\"r\",\"severity\":\"fatal\",\"seq\":1,"
	    "\"stop_pid\":1.5}");
	expect_rejected("{\"rule_id\":\"r\",\"severity\":\"fatal\",\"seq\":1,"
	    "\"observe\":\"yes\"}");
	expect_rejected("{\"rule_id\":\"r\",\"severity\":\"fatal\",\"seq\":1,"
	    "\"action\":\"halt\"}");
	expect_rejected("{\"rule_id\":\"r\",\"severity\":\"fatal\",\"seq\":1,"
	    "\"outcome\":\"mostly\"}");
	expect_rejected("[]");
}

static char *
mkstate(void)
{
	char	*dir = xstrdup("/tmp/test_verdict.XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void
rmstate(char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	char		*p;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    strcmp(de->d_name, "..") == 0))
			continue;
		xasprintf(&p, "%s/%s", dir, de->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
	free(dir);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char	*p;
	FILE	*f;

	xasprintf(&p, "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

/* Only final verdict files remain: no temporaries. */
static void
assert_only_verdict_files(const char *dir, size_t want)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	size_t		 n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		assert_null(strstr(de->d_name, "tmp"));
		assert_int_equal(strncmp(de->d_name, "verdict-", 8), 0);
		n++;
	}
	closedir(d);
	assert_int_equal(n, want);
}

static void
test_persist_load(void **state)
{
	struct verdict_list	 list = TAILQ_HEAD_INITIALIZER(list);
	struct verdict		*v[3], *got;
	struct stat		 st;
	char			*dir = mkstate(), *p;
	unsigned		 order[3] = { 3, 1, 2 }, want = 1;
	int			 i;

	(void)state;
	for (i = 0; i < 3; i++) {
		v[i] = full_verdict(order[i]);
		assert_int_equal(verdict_persist(v[i], dir), 0);
	}
	assert_only_verdict_files(dir, 3);
	xasprintf(&p, "%s/verdict-0001.json", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(p);

	/* the outcome rewrites the record in place */
	verdict_set(&v[1]->api_result, "run cancelled (202)");
	assert_int_equal(verdict_persist(v[1], dir), 0);
	assert_only_verdict_files(dir, 3);

	assert_int_equal(verdict_load_all(dir, &list), 3);
	TAILQ_FOREACH(got, &list, entry) {
		assert_int_equal(got->seq, want);
		for (i = 0; i < 3; i++)
			if (v[i]->seq == want)
				assert_verdict_equal(v[i], got);
		want++;
	}
	assert_string_equal(TAILQ_FIRST(&list)->api_result,
	    "run cancelled (202)");
	verdict_list_free(&list);
	for (i = 0; i < 3; i++)
		verdict_free(v[i]);
	rmstate(dir);
}

static void
test_load_skips_corrupt(void **state)
{
	struct verdict_list	 list = TAILQ_HEAD_INITIALIZER(list);
	struct verdict		*v = full_verdict(2);
	char			*dir = mkstate(), *p;
	unsigned long		 warnings = log_count_warnings();

	(void)state;
	assert_int_equal(verdict_persist(v, dir), 0);
	write_file(dir, "verdict-0001.json", "{\"seq\":1,\"rule_id\":");
	write_file(dir, "verdict-0003.json", "{\"seq\":3}");
	write_file(dir, "verdict-0004.json", "");
	write_file(dir, ".verdict-0005.json.77.tmp", "{");	/* not ours */
	write_file(dir, "notes.txt", "hello");
	xasprintf(&p, "%s/verdict-0006.json", dir);
	assert_int_equal(mkdir(p, 0700), 0);	/* not a regular file */
	assert_int_equal(verdict_load_all(dir, &list), 1);
	assert_int_equal(TAILQ_FIRST(&list)->seq, 2);
	assert_verdict_equal(v, TAILQ_FIRST(&list));
	/* each bad verdict file was logged */
	assert_true(log_count_warnings() - warnings >= 4);
	rmdir(p);
	free(p);
	verdict_list_free(&list);
	verdict_free(v);
	rmstate(dir);
}

static void
test_persist_errors(void **state)
{
	struct verdict_list	 list = TAILQ_HEAD_INITIALIZER(list);
	struct verdict		*v = full_verdict(1);

	(void)state;
	assert_int_equal(verdict_persist(v, "/nonexistent/state"), -1);
	/* nothing was ever persisted: no verdicts, no error */
	assert_int_equal(verdict_load_all("/nonexistent/state", &list), 0);
	assert_true(TAILQ_EMPTY(&list));
	verdict_free(v);
}

/* "unsaved" travels to `finish` over the socket; a file never says it. */
static void
test_unsaved_flag(void **state)
{
	struct verdict	*v = verdict_new(), *back;
	cJSON		*o;

	(void)state;
	v->seq = 1;
	verdict_set(&v->rule_id, "r");
	o = verdict_to_json(v);
	assert_null(cJSON_GetObjectItem(o, "unsaved"));
	cJSON_Delete(o);
	v->unsaved = 1;
	o = verdict_to_json(v);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "unsaved")));
	back = verdict_from_json(o);
	assert_non_null(back);
	assert_int_equal(back->unsaved, 1);
	verdict_free(back);
	cJSON_ReplaceItemInObject(o, "unsaved", cJSON_CreateString("yes"));
	assert_null(verdict_from_json(o));
	cJSON_Delete(o);
	verdict_free(v);
}

/* A verdict from a cut line keeps saying so after a save and a load. */
static void
test_line_cut(void **state)
{
	struct verdict	*v = verdict_new(), *back;
	cJSON		*o;

	(void)state;
	v->seq = 1;
	verdict_set(&v->rule_id, "r");
	o = verdict_to_json(v);
	assert_null(cJSON_GetObjectItem(o, "line_cut"));	/* whole */
	cJSON_Delete(o);
	v->line_cut = 65536;
	o = verdict_to_json(v);
	back = verdict_from_json(o);
	assert_non_null(back);
	assert_int_equal(back->line_cut, 65536);
	verdict_free(back);
	cJSON_ReplaceItemInObject(o, "line_cut", cJSON_CreateString("x"));
	assert_null(verdict_from_json(o));
	cJSON_Delete(o);
	verdict_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_defaults),
		cmocka_unit_test(test_unsaved_flag),
		cmocka_unit_test(test_line_cut),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_evidence_sanitised),
		cmocka_unit_test(test_evidence_caps),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_action_outcome_json),
		cmocka_unit_test(test_outcome_legacy),
		cmocka_unit_test(test_json_rejects),
		cmocka_unit_test(test_persist_load),
		cmocka_unit_test(test_load_skips_corrupt),
		cmocka_unit_test(test_persist_errors),
	};

	log_init("test_verdict", LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
