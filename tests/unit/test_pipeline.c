/*
 * The pipeline end to end in the library: policy file -> lines -> verdicts,
 * on the real fixtures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lines.h"
#include "log.h"
#include "pipeline.h"
#include "policy.h"
#include "verdict.h"
#include "xalloc.h"

struct got {
	struct verdict_list	list;
	int			n;
};

static void
on_verdict(struct verdict *v, void *arg)
{
	struct got	*g = arg;

	TAILQ_INSERT_TAIL(&g->list, v, entry);
	g->n++;
}

static char *
fixture_path(const char *name)
{
	const char	*root = getenv("BREAKER_SOURCE_ROOT");
	char		*p;

	if (strncmp(name, "shared:", 7) == 0)
		xasprintf(&p, "%s/tests/fixtures/shared/%s",
		    root ? root : "../..", name + 7);
	else
		xasprintf(&p, "%s/tests/unit/%s", root ? root : "../..", name);
	return p;
}

static struct policy *
load(const char *rules, const char *config)
{
	struct policy_load_args	 a;
	struct policy		*p;
	char			*err = NULL, *rp = fixture_path(rules);
	const char		*files[1] = { rp };

	memset(&a, 0, sizeof a);
	a.rule_files = files;
	a.nrule_files = 1;
	a.no_defaults = 1;
	a.config = config;
	p = policy_load(&a, &err);
	if (p == NULL)
		fprintf(stderr, "%s", err);
	assert_non_null(p);
	free(err);
	free(rp);
	return p;
}

/* The embedded default policy (whatever rules it holds now). */
static struct policy *
must_default(void)
{
	struct policy_load_args	 a;
	struct policy		*p;
	char			*err = NULL;

	memset(&a, 0, sizeof a);
	p = policy_load(&a, &err);
	if (p == NULL)
		fprintf(stderr, "%s", err);
	assert_non_null(p);
	return p;
}

/* Feed a whole file, line by line, with the line's own (or synthetic) time. */
static void
feed_file(struct pipeline *pl, size_t src, const char *name)
{
	char	*path = fixture_path(name), *line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;
	FILE	*f;

	assert_non_null(f = fopen(path, "r"));
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		pipeline_feed(pl, src, line, n, 0, -1);
	}
	free(line);
	fclose(f);
	free(path);
}

static void
feed(struct pipeline *pl, size_t src, const char *line, double now)
{
	pipeline_feed(pl, src, line, strlen(line), 0, now);
}

static void
got_init(struct got *g)
{
	TAILQ_INIT(&g->list);
	g->n = 0;
}

static void
codex_fires_on(const char *fixture, uint64_t want_line)
{
	struct policy	*p = load("policies/codex401.json", NULL);
	struct pipeline	*pl;
	struct got	 g;
	struct verdict	*v;

	got_init(&g);
	pl = pipeline_new(p, on_verdict, &g);
	feed_file(pl, policy_source_index(p, "engine"), fixture);
	assert_int_equal(g.n, 1);	/* at most once per job */
	v = TAILQ_FIRST(&g.list);
	assert_string_equal(v->rule_id, "t.codex.401");
	assert_int_equal(v->severity, SEVERITY_FATAL);
	assert_string_equal(v->source, "engine");
	assert_int_equal(v->line_no, want_line);
	/* engine prose is quoted so it cannot pass as breaker's words */
	assert_non_null(strstr(v->message, "401 Unauthorized (\u201cMissing "
	    "bearer or basic authentication in header\u201d)"));
	assert_string_equal(verdict_action_name(v->action), "stop");
	assert_true(v->nevidence >= 2);
	/* the reconnects first, the firing line last */
	assert_non_null(strstr(v->evidence[0], "Reconnecting"));
	assert_non_null(strstr(v->evidence[v->nevidence - 1],
	    "401 Unauthorized"));
	assert_int_equal(v->count, want_line == 18 ? 6 : 7);
	verdict_list_free(&g.list);
	pipeline_free(pl);
	policy_free(p);
}

static void
test_codex_missing_bearer(void **state)
{
	(void)state;
	codex_fires_on("shared:codex-401-missing-bearer.log", 18);
}

static void
test_codex_seed_issue(void **state)
{
	(void)state;
	codex_fires_on("shared:codex-401-seed-issue.log", 7);
}

static void
test_codex_lone_reconnect_silent(void **state)
{
	struct policy	*p = load("policies/codex401.json", NULL);
	struct pipeline	*pl;
	struct got	 g;
	struct pipeline_rule_stats st;

	(void)state;
	got_init(&g);
	pl = pipeline_new(p, on_verdict, &g);
	feed(pl, 0, "ERROR: Reconnecting... 1/5", 100);
	feed(pl, 0, "thinking", 101);
	feed(pl, 0, "codex", 102);
	feed(pl, 0, "Hello! How can I help?", 103);
	feed(pl, 0, "tokens used: 1,234", 104);
	assert_int_equal(g.n, 0);
	pipeline_rule_stats(pl, 0, &st);
	assert_string_equal(st.id, "t.codex.reconnect");
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.verdicts, 0);	/* severity none */
	assert_int_equal(pipeline_source_stats(pl, 0).lines, 5);
	pipeline_free(pl);
	policy_free(p);
}

static void
test_codex_401_without_reconnect_silent(void **state)
{
	struct policy	*p = load("policies/codex401.json", NULL);
	struct pipeline	*pl;
	struct got	 g;

	(void)state;
	got_init(&g);
	pl = pipeline_new(p, on_verdict, &g);
	feed(pl, 0, "ERROR: unexpected status 401 Unauthorized: x, url: y",
	    100);
	assert_int_equal(g.n, 0);
	/* a reconnect long before, outside the 10 minute window */
	feed(pl, 0, "ERROR: Reconnecting... 1/5", 200);
	feed(pl, 0, "ERROR: unexpected status 401 Unauthorized: x, url: y",
	    200 + 601);
	assert_int_equal(g.n, 0);
	feed(pl, 0, "ERROR: Reconnecting... 1/5", 900);
	feed(pl, 0, "ERROR: unexpected status 401 Unauthorized: x, url: y",
	    901);
	assert_int_equal(g.n, 1);
	verdict_list_free(&g.list);
	pipeline_free(pl);
	policy_free(p);
}

static struct verdict *
nth(struct got *g, int n)
{
	struct verdict	*v;

	TAILQ_FOREACH(v, &g->list, entry)
		if (n-- == 0)
			return v;
	return NULL;
}

static void
test_squid_rules(void **state)
{
	struct policy	*p = load("policies/mixed.json", NULL);
	struct pipeline	*pl;
	struct got	 g;
	struct verdict	*v;
	size_t		 fw = policy_source_index(p, "firewall");
	static const char denied[] = "1776446205.%03d 172.30.0.20:41240 "
	    "%s:443 -:- 1.1 CONNECT 403 TCP_DENIED:HIER_NONE %s:443 \"x\"";
	char		 line[512];

	(void)state;
	got_init(&g);
	pl = pipeline_new(p, on_verdict, &g);
	/* the fixture: one provider (api.openai.com) is tunnelled, not
	 * denied; chatgpt.com (telemetry) and awmgmcpg are excepted */
	feed_file(pl, fw, "shared:squid-access.log");
	assert_int_equal(pipeline_source_stats(pl, fw).lines, 12);
	assert_int_equal(g.n, 0);
	/* a provider denial fires once per host */
	snprintf(line, sizeof line, denied, 1, "api.openai.com",
	    "api.openai.com");
	feed(pl, fw, line, -1);
	feed(pl, fw, line, -1);
	assert_int_equal(g.n, 1);
	v = nth(&g, 0);
	assert_string_equal(v->rule_id, "t.fw.provider-denied");
	assert_string_equal(v->message, "blocked api.openai.com:443 for "
	    "172.30.0.20");
	assert_true(v->fired_at == 1776446205.001);	/* the line's own time */
	snprintf(line, sizeof line, denied, 2, "x.githubcopilot.com",
	    "x.githubcopilot.com");
	feed(pl, fw, line, -1);
	assert_int_equal(g.n, 3);	/* another group; and a 3rd distinct */
	v = nth(&g, 1);
	assert_string_equal(v->rule_id, "t.fw.provider-denied");
	v = nth(&g, 2);
	assert_string_equal(v->rule_id, "t.fw.many-denied");
	assert_int_equal(v->severity, SEVERITY_WARNING);
	assert_string_equal(verdict_action_name(v->action), "record");
	assert_string_equal(v->message, "3 distinct hosts denied to "
	    "172.30.0.20 within 10m");
	verdict_list_free(&g.list);
	pipeline_free(pl);
	policy_free(p);
}

static void
test_jsonl_rules(void **state)
{
	struct policy	*p = load("policies/mixed.json", NULL);
	struct pipeline	*pl;
	struct got	 g;
	struct verdict	*v;

	(void)state;
	got_init(&g);
	pl = pipeline_new(p, on_verdict, &g);
	feed_file(pl, 0, "shared:codex-events.jsonl");
	assert_int_equal(g.n, 2);	/* one per group: the two causes */
	v = nth(&g, 0);
	assert_string_equal(v->rule_id, "t.codex.turn-failed");
	assert_int_equal(v->line_no, 3);
	assert_string_equal(v->message, "turn failed: \u201cIncorrect API "
	    "key\u201d / \u201cunexpected status 401 Unauthorized: Incorrect "
	    "API key provided: fake****\u201d");
	assert_string_equal(verdict_action_name(v->action), "record");	/* actions: [] */
	v = nth(&g, 1);
	assert_int_equal(v->line_no, 5);
	assert_non_null(strstr(v->message, "Quota exceeded"));
	verdict_list_free(&g.list);
	pipeline_free(pl);
	policy_free(p);
}

static void
test_hostile_template(void **state)
{
	struct policy	*p = load("policies/mixed.json", NULL);
	struct pipeline	*pl;
	struct got	 g;
	struct verdict	*v;
	char		 big[2000];

	(void)state;
	got_init(&g);
	pl = pipeline_new(p, on_verdict, &g);
	feed(pl, 0, "ECHO ::error::pwned\r%0A{v} \x1b[31m Bearer "
	    "sk-abcdefghijklmnopqrstuvwxyz0123456789", 1);
	assert_int_equal(g.n, 1);
	v = nth(&g, 0);
	assert_int_equal(v->severity, SEVERITY_NOTICE);
	assert_true(v->observe);
	/* {{ is a literal brace; a value never expands again */
	assert_non_null(strstr(v->message, "{literal} got: "));
	assert_non_null(strstr(v->message, "{v}"));
	assert_null(strchr(v->message, '\r'));
	assert_null(strchr(v->message, '\x1b'));
	assert_null(strstr(v->message, "abcdefghijklmnopqrstuvwxyz0123456789"));
	verdict_list_free(&g.list);
	pipeline_free(pl);
	policy_free(p);
	/* a huge value is capped */
	p = load("policies/mixed.json", NULL);
	got_init(&g);
	pl = pipeline_new(p, on_verdict, &g);
	memset(big, 'A', sizeof big - 1);
	memcpy(big, "ECHO ", 5);
	big[sizeof big - 1] = '\0';
	feed(pl, 0, big, 1);
	v = nth(&g, 0);
	assert_true(strlen(v->message) < 400);
	verdict_list_free(&g.list);
	pipeline_free(pl);
	policy_free(p);
}

static void
test_count_window_slides(void **state)
{
	struct policy	*p = load("policies/mixed.json", NULL);
	struct pipeline	*pl;
	struct got	 g;
	struct verdict	*v;

	(void)state;
	got_init(&g);
	pl = pipeline_new(p, on_verdict, &g);
	/* 3 within 10 s fires; spread out it never does */
	feed(pl, 0, "BURST", 0);
	feed(pl, 0, "BURST", 6);
	feed(pl, 0, "BURST", 12);	/* 0 slid out */
	feed(pl, 0, "BURST", 30);
	feed(pl, 0, "BURST", 41);
	assert_int_equal(g.n, 0);
	feed(pl, 0, "BURST", 45);
	feed(pl, 0, "BURST", 50);	/* 41, 45, 50 */
	assert_int_equal(g.n, 1);
	v = nth(&g, 0);
	assert_int_equal(v->count, 3);
	assert_true(v->first_seen == 41);
	assert_true(v->fired_at == 50);
	assert_int_equal(v->line_no, 7);
	assert_string_equal(verdict_action_name(v->action), "stop");
	assert_int_equal(v->nevidence, 6);
	/* once per job */
	feed(pl, 0, "BURST", 51);
	feed(pl, 0, "BURST", 52);
	feed(pl, 0, "BURST", 53);
	assert_int_equal(g.n, 1);
	verdict_list_free(&g.list);
	pipeline_free(pl);
	policy_free(p);
}

/* reset_by: a success between refusals starts the count again, in its own
 * group only. */
static void
test_count_reset_by(void **state)
{
	struct policy	*p = load("policies/reset.json", NULL);
	struct pipeline	*pl;
	struct got	 g;
	struct verdict	*v;

	(void)state;
	got_init(&g);
	pl = pipeline_new(p, on_verdict, &g);
	feed(pl, 0, "a REFUSED", 1);
	feed(pl, 0, "a REFUSED", 2);
	feed(pl, 0, "a OK", 3);		/* a starts again */
	feed(pl, 0, "a REFUSED", 4);
	feed(pl, 0, "b OK", 5);		/* another group: no effect on a */
	feed(pl, 0, "a REFUSED", 6);
	assert_int_equal(g.n, 0);
	feed(pl, 0, "a REFUSED", 7);
	assert_int_equal(g.n, 1);
	v = nth(&g, 0);
	assert_string_equal(v->rule_id, "t.refused");
	assert_int_equal(v->count, 3);
	assert_true(v->first_seen == 4);
	/* the evidence is the refusals since the answer, nothing older */
	assert_int_equal(v->nevidence, 3);
	assert_non_null(strstr(v->message, "a: 3 refusals"));
	verdict_list_free(&g.list);
	pipeline_free(pl);
	policy_free(p);
}

/* The prefilter never changes what fires. */
static void
test_prefilter_transparent(void **state)
{
	static const char *files[] = { "shared:codex-401-missing-bearer.log",
	    "shared:codex-401-seed-issue.log", "shared:codex-events.jsonl",
	    "shared:codex-other-fatal.log", "shared:copilot.log",
	    "shared:harness.log", "shared:awf-infra.log", "shared:timeouts.log",
	    "shared:squid-access.log" };
	struct pipeline_rule_stats	 a, b;
	struct policy			*p = must_default();
	struct pipeline			*on, *off;
	struct got			 g1, g2;
	size_t				 i, src;

	(void)state;
	got_init(&g1);
	got_init(&g2);
	on = pipeline_new(p, on_verdict, &g1);
	setenv("BREAKER_PREFILTER", "0", 1);
	off = pipeline_new(p, on_verdict, &g2);
	unsetenv("BREAKER_PREFILTER");
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		src = strstr(files[i], "squid") ? 1 : 0;
		feed_file(on, src, files[i]);
		feed_file(off, src, files[i]);
	}
	for (i = 0; i < pipeline_nrules(on); i++) {
		pipeline_rule_stats(on, i, &a);
		pipeline_rule_stats(off, i, &b);
		assert_string_equal(a.id, b.id);
		assert_int_equal(a.hits, b.hits);
		assert_int_equal(a.verdicts, b.verdicts);
	}
	assert_int_equal(g1.n, g2.n);
	verdict_list_free(&g1.list);
	verdict_list_free(&g2.list);
	pipeline_free(on);
	pipeline_free(off);
	policy_free(p);
}

/*
 * A rule grouped by a value from the log makes a verdict per value: past
 * 100 per rule and 1,000 per job they are counted, not kept.
 */
static void
test_verdict_caps(void **state)
{
	struct policy			*p = load("policies/caps.json", NULL);
	struct pipeline_rule_stats	 st;
	struct pipeline			*pl;
	struct got			 g = { .n = 0 };
	char				 line[64];
	int				 rule, k, n;

	(void)state;
	TAILQ_INIT(&g.list);
	pl = pipeline_new(p, on_verdict, &g);
	for (k = 0; k < 150; k++) {
		n = snprintf(line, sizeof line, "r0 %d", k);
		pipeline_feed(pl, 0, line, (size_t)n, 0, 1000.0 + k);
	}
	assert_int_equal(g.n, PIPELINE_MAX_RULE_VERDICTS);
	pipeline_rule_stats(pl, 0, &st);
	assert_int_equal(st.verdicts, 100);
	assert_int_equal(st.capped, 50);
	assert_int_equal(st.hits, 150);

	for (rule = 1; rule < 12; rule++)
		for (k = 0; k < 100; k++) {
			n = snprintf(line, sizeof line, "r%d %d", rule, k);
			pipeline_feed(pl, 0, line, (size_t)n, 0, 2000.0 + k);
		}
	assert_int_equal(g.n, PIPELINE_MAX_VERDICTS);
	pipeline_rule_stats(pl, 9, &st);
	assert_int_equal(st.verdicts, 100);
	pipeline_rule_stats(pl, 10, &st);
	assert_int_equal(st.verdicts, 0);
	assert_int_equal(st.capped, 100);
	pipeline_free(pl);
	verdict_list_free(&g.list);
	policy_free(p);
}

/*
 * A pattern that backtracks exponentially gives up on a long enough line
 * (PCRE2's match limit) instead of stalling the daemon: the line is a
 * no-match for that rule alone, counted, and said once per rule.
 */
static void
test_regex_gives_up(void **state)
{
	struct policy			*p = load("policies/backtrack.json", NULL);
	struct pipeline_rule_stats	 st;
	struct pipeline			*pl;
	struct got			 g;
	unsigned long			 warned = log_count_warnings();
	char				 line[41];
	size_t				 i;

	(void)state;
	got_init(&g);
	pl = pipeline_new(p, on_verdict, &g);
	memset(line, 'a', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	feed(pl, 0, line, 1);
	feed(pl, 0, line, 2);
	pipeline_rule_stats(pl, 0, &st);
	assert_string_equal(st.id, "t.backtrack.nested");
	assert_int_equal(st.gave_up, 2);
	assert_int_equal(st.hits, 0);
	pipeline_rule_stats(pl, 1, &st);
	assert_int_equal(st.gave_up, 0);
	assert_int_equal(st.hits, 2);		/* the other rule still ran */
	/* a give-up in an except or under a not never makes a rule fire */
	for (i = 2; i <= 3; i++) {
		pipeline_rule_stats(pl, i, &st);
		assert_int_equal(st.gave_up, 2);
		assert_int_equal(st.hits, 0);
		assert_int_equal(st.verdicts, 0);
	}
	assert_int_equal(log_count_warnings() - warned, 3);
	/* a short line is matched in full as before */
	feed(pl, 0, "aab", 3);
	pipeline_rule_stats(pl, 0, &st);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.gave_up, 2);
	verdict_list_free(&g.list);
	pipeline_free(pl);
	policy_free(p);
}

/*
 * A line lines.c cut as over-long (LINES_TRUNCATED) is matched on the bytes
 * it kept, but never passes as a whole line: counted, and its verdict says
 * where it was cut (the review's "flags ignored" point).
 */
static void
test_cut_line_said(void **state)
{
	struct policy	*p = load("policies/mixed.json", NULL);
	struct pipeline	*pl;
	struct got	 g;
	struct verdict	*v;
	char		*msg;
	const char	*line = "ECHO the first bytes of a huge line";

	(void)state;
	got_init(&g);
	pl = pipeline_new(p, on_verdict, &g);
	pipeline_feed(pl, 0, "nothing for any rule", 20, LINES_TRUNCATED, 1);
	pipeline_feed(pl, 0, line, strlen(line), LINES_TRUNCATED, 2);
	assert_int_equal(g.n, 1);
	assert_int_equal(pipeline_source_stats(pl, 0).cut, 1);	/* counted only */
	v = nth(&g, 0);
	assert_int_equal(v->line_cut, strlen(line));
	msg = verdict_message(v, 0, NULL);
	assert_non_null(strstr(msg, "line 2 (from a line cut at 35 bytes)"));
	free(msg);
	verdict_list_free(&g.list);
	pipeline_free(pl);
	policy_free(p);
	/* a whole line: no mark */
	p = load("policies/mixed.json", NULL);
	got_init(&g);
	pl = pipeline_new(p, on_verdict, &g);
	feed(pl, 0, line, 1);
	assert_int_equal(g.n, 1);
	assert_int_equal(pipeline_source_stats(pl, 0).cut, 0);
	assert_int_equal(nth(&g, 0)->line_cut, 0);
	msg = verdict_message(nth(&g, 0), 0, NULL);
	assert_null(strstr(msg, "cut at"));
	free(msg);
	verdict_list_free(&g.list);
	pipeline_free(pl);
	policy_free(p);
}

/*
 * if_fired / unless_fired: a fact one rule sets (here the api-proxy line in
 * the engine log) decides which of two rules sees a later firewall line.
 */
static void
test_fired_conditions(void **state)
{
	static const char *denied = "1776446210.001 172.30.0.20:41250 "
	    "api.anthropic.com:443 -:- 1.1 CONNECT 403 TCP_DENIED:HIER_NONE "
	    "api.anthropic.com:443 \"claude-cli/2.1\"";
	struct policy	*p = load("policies/facts.json", NULL);
	struct pipeline	*pl;
	struct got	 g;
	struct verdict	*v;
	size_t		 eng = policy_source_index(p, "engine");
	size_t		 fw = policy_source_index(p, "firewall");

	(void)state;
	/* no proxy: the denial is fatal */
	got_init(&g);
	pl = pipeline_new(p, on_verdict, &g);
	feed(pl, fw, denied, -1);
	assert_int_equal(g.n, 1);
	assert_string_equal(TAILQ_FIRST(&g.list)->rule_id, "t.denied.direct");
	pipeline_free(pl);
	verdict_list_free(&g.list);
	/* proxy announced first: only the notice */
	got_init(&g);
	pl = pipeline_new(p, on_verdict, &g);
	feed(pl, eng, "[INFO] API proxy enabled: OpenAI=false, Anthropic=true",
	    -1);
	feed(pl, fw, denied, -1);
	assert_int_equal(g.n, 1);
	v = TAILQ_FIRST(&g.list);
	assert_string_equal(v->rule_id, "t.denied.bypass");
	assert_int_equal(v->severity, SEVERITY_NOTICE);
	pipeline_free(pl);
	verdict_list_free(&g.list);
	policy_free(p);
}

/* A reference to an unknown rule, or to the rule itself, is an error. */
static void
test_fired_conditions_checked(void **state)
{
	static const char *bad[] = {
	    "{\"version\":1,\"rules\":[{\"id\":\"a\",\"title\":\"a\","
	    "\"severity\":\"fatal\",\"match\":{\"regex\":\"x\"},"
	    "\"unless_fired\":[\"nosuch\"]}]}",
	    "{\"version\":1,\"rules\":[{\"id\":\"a\",\"title\":\"a\","
	    "\"severity\":\"fatal\",\"match\":{\"regex\":\"x\"},"
	    "\"if_fired\":[\"a\"]}]}",
	    "{\"version\":1,\"rules\":[{\"id\":\"a\",\"title\":\"a\","
	    "\"severity\":\"fatal\",\"match\":{\"regex\":\"x\"},"
	    "\"if_fired\":\"b\"}]}",
	};
	struct policy_load_args	 a;
	const char		*files[1];
	char			 path[] = "/tmp/breaker-test-facts-XXXXXX";
	char			*err;
	size_t			 i;
	int			 fd;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_true((fd = mkstemp(path)) != -1);
		assert_int_equal(write(fd, bad[i], strlen(bad[i])),
		    (ssize_t)strlen(bad[i]));
		close(fd);
		memset(&a, 0, sizeof a);
		files[0] = path;
		a.rule_files = files;
		a.nrule_files = 1;
		a.no_defaults = 1;
		err = NULL;
		assert_null(policy_load(&a, &err));
		assert_non_null(err);
		assert_non_null(strstr(err, "_fired"));
		free(err);
		unlink(path);
		strcpy(path, "/tmp/breaker-test-facts-XXXXXX");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codex_missing_bearer),
		cmocka_unit_test(test_codex_seed_issue),
		cmocka_unit_test(test_codex_lone_reconnect_silent),
		cmocka_unit_test(test_codex_401_without_reconnect_silent),
		cmocka_unit_test(test_squid_rules),
		cmocka_unit_test(test_jsonl_rules),
		cmocka_unit_test(test_hostile_template),
		cmocka_unit_test(test_count_window_slides),
		cmocka_unit_test(test_count_reset_by),
		cmocka_unit_test(test_prefilter_transparent),
		cmocka_unit_test(test_verdict_caps),
		cmocka_unit_test(test_regex_gives_up),
		cmocka_unit_test(test_cut_line_said),
		cmocka_unit_test(test_fired_conditions),
		cmocka_unit_test(test_fired_conditions_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
