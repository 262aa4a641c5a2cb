/*
 * Predicates of every kind, named captures, and the prefilter's promise:
 * a line the predicate matches always contains one of its literals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "match.h"
#include "match_gate.h"
#include "xalloc.h"

static char			 last_error[512];
static struct match_list	 hosts;
static char			*host_items[] = { "api.openai.com",
				    "*.githubcopilot.com" };

static void
on_error(void *arg, const char *path, const char *msg, const char *hint)
{
	(void)arg;
	snprintf(last_error, sizeof last_error, "%s: %s%s%s", path, msg,
	    hint ? " | " : "", hint ? hint : "");
}

static struct match_list *
on_list(void *arg, const char *name, const char *path)
{
	(void)arg;
	(void)path;
	return strcmp(name, "hosts") == 0 ? &hosts : NULL;
}

static struct match_pred *
compile(enum source_format f, const char *json)
{
	struct match_env	 env = { f, on_error, on_list, NULL };
	struct match_pred	*p;
	cJSON			*j = cJSON_Parse(json);

	assert_non_null(j);
	last_error[0] = '\0';
	p = match_compile(j, "m", &env);
	cJSON_Delete(j);
	return p;
}

static int
eval(enum source_format f, struct match_pred *p, const char *line,
    struct match_ctx *ctx)
{
	struct source_event	ev;
	int			r;

	source_event_init(&ev, f, line, strlen(line));
	ctx->ncap = 0;
	r = match_eval(p, &ev, ctx);
	source_event_clear(&ev);
	return r;
}

static int
one(enum source_format f, const char *json, const char *line)
{
	struct match_pred	*p = compile(f, json);
	struct match_ctx	 ctx;
	int			 r;

	if (p == NULL)
		fail_msg("does not compile: %s: %s", json, last_error);
	match_ctx_init(&ctx, match_max_groups(p));
	r = eval(f, p, line, &ctx);
	match_ctx_free(&ctx);
	match_free(p);
	return r;
}

static void
test_regex_and_captures(void **state)
{
	struct match_pred	*p;
	struct match_ctx	 ctx;
	struct source_event	 ev;
	const char		*s, *line = "ERROR: unexpected status 401 "
	    "Unauthorized: Missing bearer, url: x";
	size_t			 len;

	(void)state;
	p = compile(SOURCE_TEXT, "{\"regex\": \"^ERROR: unexpected status "
	    "(?<status>\\\\d+) [A-Za-z]+: (?<reason>[^,]*)\"}");
	assert_non_null(p);
	match_ctx_init(&ctx, match_max_groups(p));
	assert_true(eval(SOURCE_TEXT, p, line, &ctx));
	assert_int_equal(ctx.ncap, 2);
	source_event_init(&ev, SOURCE_TEXT, line, strlen(line));
	assert_true(match_lookup(&ctx, &ev, "reason", &s, &len));
	assert_int_equal(len, strlen("Missing bearer"));
	assert_memory_equal(s, "Missing bearer", len);
	assert_true(match_lookup(&ctx, &ev, "status", &s, &len));
	assert_memory_equal(s, "401", 3);
	assert_false(match_lookup(&ctx, &ev, "nope", &s, &len));
	assert_true(match_has_capture(p, "reason"));
	assert_false(match_has_capture(p, "nope"));
	assert_false(eval(SOURCE_TEXT, p, "ERROR codex_core::tools::router: "
	    "unexpected status 401", &ctx));
	/* invalid UTF-8 and NUL bytes are just bytes */
	assert_false(eval(SOURCE_TEXT, p, "\xff\xfe\xfd", &ctx));
	match_ctx_free(&ctx);
	match_free(p);
}

static void
test_field_predicates(void **state)
{
	static const char	*sq = "1776446205.456 172.30.0.20:41240 "
	    "api.openai.com:443 -:- 1.1 CONNECT 403 TCP_DENIED:HIER_NONE "
	    "api.openai.com:443 \"codex_exec/0.121.0\"";
	static const char	*js = "{\"type\":\"result\",\"is_error\":true,"
	    "\"api_error_status\":429,\"result\":\"API Error: 429\","
	    "\"usage\":{\"n\":2.5}}";

	(void)state;
	assert_true(one(SOURCE_SQUID, "{\"field\": \"result\", \"equals\": "
	    "\"TCP_DENIED\"}", sq));
	assert_false(one(SOURCE_SQUID, "{\"field\": \"result\", \"equals\": "
	    "\"TCP_TUNNEL\"}", sq));
	assert_true(one(SOURCE_SQUID, "{\"field\": \"status\", \"equals\": "
	    "403}", sq));
	assert_true(one(SOURCE_SQUID, "{\"field\": \"status\", \"gte\": 400}",
	    sq));
	assert_false(one(SOURCE_SQUID, "{\"field\": \"status\", \"lt\": 403}",
	    sq));
	assert_true(one(SOURCE_SQUID, "{\"field\": \"status\", \"lte\": 403}",
	    sq));
	assert_false(one(SOURCE_SQUID, "{\"field\": \"status\", \"gt\": 403}",
	    sq));
	assert_true(one(SOURCE_SQUID, "{\"field\": \"host\", \"in\": "
	    "[\"x.com\", \"api.openai.com\"]}", sq));
	assert_true(one(SOURCE_SQUID, "{\"field\": \"host\", \"in_list\": "
	    "\"hosts\"}", sq));
	assert_true(one(SOURCE_SQUID, "{\"field\": \"user_agent\", "
	    "\"regex\": \"^codex_exec/\"}", sq));
	assert_true(one(SOURCE_SQUID, "{\"field\": \"dest\", \"exists\": "
	    "true}", sq));
	assert_true(one(SOURCE_JSONL, "{\"field\": \"is_error\", \"equals\": "
	    "true}", js));
	assert_false(one(SOURCE_JSONL, "{\"field\": \"is_error\", \"equals\": "
	    "false}", js));
	assert_true(one(SOURCE_JSONL, "{\"field\": \"api_error_status\", "
	    "\"in\": [403, 429]}", js));
	assert_true(one(SOURCE_JSONL, "{\"field\": \"usage.n\", \"gt\": 2}",
	    js));
	assert_true(one(SOURCE_JSONL, "{\"field\": \"usage.n\", \"lt\": 3}",
	    js));
	assert_false(one(SOURCE_JSONL, "{\"field\": \"type\", \"lt\": 3}", js));
	assert_true(one(SOURCE_JSONL, "{\"field\": \"api_error_status\", "
	    "\"regex\": \"^4\\\\d\\\\d$\"}", js));
	assert_true(one(SOURCE_JSONL, "{\"field\": \"nope\", \"exists\": "
	    "false}", js));
	assert_false(one(SOURCE_JSONL, "{\"field\": \"type\", \"exists\": "
	    "false}", js));
	/* a line that is not JSON has no fields; a plain regex still sees it */
	assert_true(one(SOURCE_JSONL, "{\"field\": \"type\", \"exists\": "
	    "false}", "plain text"));
	assert_false(one(SOURCE_JSONL, "{\"field\": \"type\", \"equals\": "
	    "\"x\"}", "plain text"));
	assert_true(one(SOURCE_JSONL, "{\"regex\": \"^plain\"}", "plain text"));
	/* a text source: fields are always absent, never an error */
	assert_true(one(SOURCE_TEXT, "{\"field\": \"type\", \"exists\": "
	    "false}", "{\"type\": 1}"));
	assert_false(one(SOURCE_TEXT, "{\"field\": \"type\", \"equals\": "
	    "1}", "{\"type\": 1}"));
	assert_true(one(SOURCE_JSONL, "{\"regex\": \"\\\"is_error\\\":true\"}",
	    js));
}

static void
test_lists(void **state)
{
	(void)state;
	assert_true(match_list_contains(&hosts, "api.openai.com", 14));
	assert_true(match_list_contains(&hosts, "API.OpenAI.com", 14));
	assert_true(match_list_contains(&hosts, "x.githubcopilot.com", 19));
	assert_true(match_list_contains(&hosts, "a.b.githubcopilot.com", 21));
	assert_false(match_list_contains(&hosts, "githubcopilot.com", 17));
	assert_false(match_list_contains(&hosts, "xgithubcopilot.com", 18));
	assert_false(match_list_contains(&hosts, "api.openai.com.evil", 19));
	assert_false(match_list_contains(&hosts, "openai.com", 10));
}

static void
test_combinations(void **state)
{
	struct match_pred	*p;
	struct match_ctx	 ctx;

	(void)state;
	assert_true(one(SOURCE_TEXT, "{\"all\": [{\"regex\": \"a\"}, "
	    "{\"regex\": \"b\"}]}", "ab"));
	assert_false(one(SOURCE_TEXT, "{\"all\": [{\"regex\": \"a\"}, "
	    "{\"regex\": \"c\"}]}", "ab"));
	assert_true(one(SOURCE_TEXT, "{\"any\": [{\"regex\": \"x\"}, "
	    "{\"regex\": \"b\"}]}", "ab"));
	assert_true(one(SOURCE_TEXT, "{\"not\": {\"regex\": \"x\"}}", "ab"));
	assert_false(one(SOURCE_TEXT, "{\"not\": {\"regex\": \"a\"}}", "ab"));
	/* captures of a failed branch, or under `not`, do not leak out */
	p = compile(SOURCE_TEXT, "{\"any\": [{\"all\": [{\"regex\": "
	    "\"(?<x>a)\"}, {\"regex\": \"zzz\"}]}, {\"not\": {\"regex\": "
	    "\"(?<y>b)q\"}}]}");
	assert_non_null(p);
	match_ctx_init(&ctx, match_max_groups(p));
	assert_true(eval(SOURCE_TEXT, p, "ab", &ctx));
	assert_int_equal(ctx.ncap, 0);
	match_ctx_free(&ctx);
	match_free(p);
}

static void
expect_compile_error(enum source_format f, const char *json, const char *want)
{
	struct match_pred	*p = compile(f, json);

	assert_null(p);
	if (strstr(last_error, want) == NULL)
		fail_msg("want \"%s\", got \"%s\"", want, last_error);
}

static void
test_compile_errors(void **state)
{
	(void)state;
	expect_compile_error(SOURCE_TEXT, "{\"regx\": \"a\"}",
	    "m.regx: unknown key | did you mean \"regex\"?");
	expect_compile_error(SOURCE_TEXT, "{\"regex\": \"(a\"}",
	    "m.regex: regex does not compile");
	expect_compile_error(SOURCE_TEXT, "{\"regex\": 3}",
	    "m.regex: must be a string");
	expect_compile_error(SOURCE_TEXT, "{}", "m: no operator");
	expect_compile_error(SOURCE_TEXT, "[]", "m: must be an object");
	expect_compile_error(SOURCE_TEXT, "{\"field\": \"a..b\", \"equals\": "
	    "1}", "m.field: empty segment in field path");
	expect_compile_error(SOURCE_SQUID, "{\"field\": \"hots\", \"equals\": "
	    "1}", "m.field: unknown squid field");
	expect_compile_error(SOURCE_JSONL, "{\"equals\": 1}",
	    "m: this predicate needs a \"field\"");
	expect_compile_error(SOURCE_JSONL, "{\"field\": \"a\", \"equals\": "
	    "[1]}", "m.equals: must be a string, number or bool");
	expect_compile_error(SOURCE_JSONL, "{\"field\": \"a\", \"in\": []}",
	    "m.in: must be a non-empty array");
	expect_compile_error(SOURCE_JSONL, "{\"field\": \"a\", \"lt\": \"3\"}",
	    "m.lt: must be a number");
	expect_compile_error(SOURCE_JSONL, "{\"field\": \"a\", \"exists\": 1}",
	    "m.exists: must be true or false");
	expect_compile_error(SOURCE_TEXT, "{\"all\": []}",
	    "m.all: must be a non-empty array");
	expect_compile_error(SOURCE_TEXT, "{\"any\": [{\"regex\": \"(\"}]}",
	    "m.any[0].regex: regex does not compile");
	expect_compile_error(SOURCE_TEXT, "{\"not\": {\"bogus\": 1}}",
	    "m.not.bogus: unknown key");
}

/* Does the line contain one of the predicate's literals? */
static int
gate_passes(const struct match_litset *ls, const char *line)
{
	size_t	i;

	for (i = 0; i < ls->n; i++)
		if (memmem(line, strlen(line), ls->lits[i], ls->lens[i]))
			return 1;
	return 0;
}

static void
test_literals_sound(void **state)
{
	static const char *pats[] = {
		"^ERROR: unexpected status 401 Unauthorized: (?<r>[^,]*)",
		"^(?:ERROR: )?Reconnecting\\\\.\\\\.\\\\. (?<n>\\\\d+)/5",
		"^(?:Error: )?(?:Invalid API key|API Error: 401 .*auth_error)",
		"Quota exceeded|usage limit",
		"abc?d",
		"ab*cdef",
		"x{2}yzw",
		"[)xyz]qrs",
		"[]abc]defg",
		"(?:abc)?defg",
		"(?:abc){0,1}hij",
		"(abc|def)+ghi",
		"a\\\\.b\\\\.c\\\\.?d",
		"(?i)CaseLess",
		"\\\\x41BCD",
		"foo(?=barbaz)",
	};
	static const char *lines[] = {
		"ERROR: unexpected status 401 Unauthorized: x",
		"Reconnecting... 3/5", "ERROR: Reconnecting... 1/5",
		"Invalid API key", "Error: API Error: 401 x auth_error",
		"Quota exceeded", "You've hit your usage limit.",
		"abd", "abcd", "acdef", "abbbcdef", "xxyzw", "xyzw", ")qrs",
		"yqrs", "]defg", "adefg", "defg", "abcdefg", "hij", "abchij",
		"defghi", "abcdefghi", "a.b.cd", "a.b.c.d", "caseless",
		"CASELESS", "ABCD", "foobarbaz",
	};
	struct match_litset	 ls;
	struct match_pred	*p;
	struct match_ctx	 ctx;
	size_t			 i, k, matched = 0;
	char			 json[256];

	(void)state;
	for (i = 0; i < sizeof pats / sizeof pats[0]; i++) {
		snprintf(json, sizeof json, "{\"regex\": \"%s\"}", pats[i]);
		p = compile(SOURCE_TEXT, json);
		if (p == NULL)
			fail_msg("%s: %s", json, last_error);
		match_ctx_init(&ctx, match_max_groups(p));
		if (match_literals(p, SOURCE_TEXT, &ls) == 0)
			for (k = 0; k < sizeof lines / sizeof lines[0]; k++)
				if (eval(SOURCE_TEXT, p, lines[k], &ctx)) {
					matched++;
					if (!gate_passes(&ls, lines[k]))
						fail_msg("%s matches \"%s\" but "
						    "the gate would skip it",
						    pats[i], lines[k]);
				}
		match_litset_free(&ls);
		match_ctx_free(&ctx);
		match_free(p);
	}
	assert_true(matched > 20);
	/* literals exist where they should */
	p = compile(SOURCE_TEXT, "{\"regex\": \"^(?:Error: )?(?:Invalid API "
	    "key|API Error: 401 .*auth)\"}");
	assert_int_equal(match_literals(p, SOURCE_TEXT, &ls), 0);
	assert_int_equal(ls.n, 2);
	match_litset_free(&ls);
	match_free(p);
	/* of an all's conjuncts, a few long literals beat one short one:
	 * a literal under the gate's q-gram length slows every line */
	p = compile(SOURCE_TEXT, "{\"all\": [{\"regex\": \"(?:Incorrect API "
	    "key|Unauthorized|Forbidden)\"}, {\"regex\": \"^(?:401|403) \"}]}");
	assert_int_equal(match_literals(p, SOURCE_TEXT, &ls), 0);
	assert_int_equal(ls.n, 3);
	match_litset_free(&ls);
	match_free(p);
	p = compile(SOURCE_TEXT, "{\"regex\": \"(?i)abc\"}");
	assert_int_equal(match_literals(p, SOURCE_TEXT, &ls), -1);
	match_free(p);
	p = compile(SOURCE_JSONL, "{\"field\": \"m\", \"regex\": \"a/b/c\"}");
	assert_int_equal(match_literals(p, SOURCE_JSONL, &ls), -1);
	match_free(p);
}

static void
test_gate(void **state)
{
	struct match_gate	*g = match_gate_new();
	uint64_t		 found[MATCH_GATE_WORDS];
	int			 a, b, c;

	(void)state;
	a = match_gate_add(g, "TCP_DENIED", 10);
	b = match_gate_add(g, "Reconnecting", 12);
	c = match_gate_add(g, "Rec", 3);
	assert_int_equal(match_gate_add(g, "TCP_DENIED", 10), a);
	match_gate_seal(g);
	assert_int_equal(match_gate_add(g, "later", 5), -1);
	assert_false(match_gate_scan(g, "nothing here", 12, found));
	assert_true(match_gate_scan(g, "x Reconnecting", 14, found));
	assert_false(found[0] & (1ULL << a));
	assert_true(found[0] & (1ULL << b));
	assert_true(found[0] & (1ULL << c));
	assert_true(match_gate_scan(g, "TCP_DENIED", 10, found));
	assert_true(found[0] & (1ULL << a));
	assert_false(match_gate_scan(g, "TCP_DENIE", 9, found));
	match_gate_free(g);
}

/*
 * A scan never changes the gate (it takes it const): before the gate is
 * sealed it reports every literal, so every gated rule runs, and literals
 * can still be added. (The first scan used to seal the gate through a cast
 * that dropped the const.)
 */
static void
test_gate_scan_is_const(void **state)
{
	struct match_gate	*g = match_gate_new();
	uint64_t		 found[MATCH_GATE_WORDS];
	int			 a, b;

	(void)state;
	a = match_gate_add(g, "TCP_DENIED", 10);
	assert_true(match_gate_scan(g, "nothing here", 12, found));
	assert_true(found[0] & (1ULL << a));
	b = match_gate_add(g, "Reconnecting", 12);
	assert_int_equal(b, a + 1);
	match_gate_seal(g);
	match_gate_seal(g);		/* once is enough; twice is harmless */
	assert_true(match_gate_scan(g, "x Reconnecting", 14, found));
	assert_false(found[0] & (1ULL << a));
	assert_true(found[0] & (1ULL << b));
	assert_false(match_gate_scan(g, "nothing here", 12, found));
	match_gate_free(g);
}

/*
 * The review's bait (F14): a catastrophic regex on lines built of repeated
 * near-matches. Every run is bounded by MATCH_LIMIT steps, so the CPU a
 * hostile line costs is bounded by the count of give-ups; with PCRE2's
 * default (10 million) the 40 KiB line below is worked to a match at ~100x
 * the cost of the bound: it must give up instead. Genuine long lines of
 * the same rule still match.
 */
#define BAIT_RE "{\"regex\": \"^Error when talking to Gemini API " \
	".*_ApiError: .*\\\"code\\\": ?403.*\\\"status\\\": " \
	"?\\\"PERMISSION_DENIED\\\"\"}"

static char *
bait_line(const char *fill, size_t nfill, int genuine)
{
	const char	*head = "Error when talking to Gemini API _ApiError: ";
	const char	*code = "{\"error\":{\"code\":403,";
	const char	*tail = "\"status\":\"PERMISSION_DENIED\"}}";
	char		*s, *p;
	size_t		 i, flen = strlen(fill);

	s = p = xmalloc(strlen(head) + 2 * nfill * flen + 128);
	p = stpcpy(p, head);
	for (i = 0; i < nfill; i++)
		p = stpcpy(p, fill);
	p = stpcpy(p, code);
	for (i = 0; i < nfill; i++)
		p = stpcpy(p, fill);
	p = stpcpy(p, genuine ? tail : "PERMISSION_DENIED");
	return s;
}

static void
test_regex_cpu_bounded(void **state)
{
	struct match_pred	*p = compile(SOURCE_TEXT, BAIT_RE);
	struct match_ctx	 ctx;
	char			*line;
	int			 i;

	(void)state;
	assert_non_null(p);
	match_ctx_init(&ctx, match_max_groups(p));
	/* A genuine error with 20 KiB of ordinary text in it matches. */
	line = bait_line(" x", 5000, 1);
	assert_true(eval(SOURCE_TEXT, p, line, &ctx));
	free(line);
	assert_int_equal(ctx.gave_up, 0);
	/* Matches with enough steps (PCRE2's default finds it), not within
	 * MATCH_LIMIT: a give-up, counted, never a verdict. */
	line = bait_line(" _ApiError: \"code\": 4", 950, 1);
	assert_false(eval(SOURCE_TEXT, p, line, &ctx));
	free(line);
	assert_int_equal(ctx.gave_up, 1);
	/* The review's bait: 100 lines, 100 bounded give-ups. */
	line = bait_line("_ApiError: \"code\": 403 ", 1400, 0);
	for (i = 0; i < 100; i++)
		assert_false(eval(SOURCE_TEXT, p, line, &ctx));
	free(line);
	assert_int_equal(ctx.gave_up, 101);
	match_ctx_free(&ctx);
	match_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regex_and_captures),
		cmocka_unit_test(test_field_predicates),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_combinations),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_literals_sound),
		cmocka_unit_test(test_gate),
		cmocka_unit_test(test_gate_scan_is_const),
		cmocka_unit_test(test_regex_cpu_bounded),
	};

	hosts.name = "hosts";
	hosts.items = host_items;
	hosts.nitems = 2;
	hosts.defined = 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
