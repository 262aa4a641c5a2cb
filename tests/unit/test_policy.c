/*
 * Loading, layering and strict validation of configuration and rule files:
 * every error names file:line:col: key.path.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy.h"
#include "proc.h"
#include "sandbox.h"
#include "verdict.h"
#include "xalloc.h"

/* White-box: the enum tables the configuration and rules are read with. */
#include "../../agent/policy_int.h"

static char	*tmpfiles[512];
static int	 ntmp;

static const char *
tmp(const char *name, const char *content)
{
	char	*p;
	FILE	*f;

	xasprintf(&p, "/tmp/breaker-test-policy-%d-%s", (int)getpid(), name);
	assert_non_null(f = fopen(p, "w"));
	fputs(content, f);
	fclose(f);
	tmpfiles[ntmp++] = p;
	return p;
}

static int
cleanup(void **state)
{
	(void)state;
	while (ntmp > 0) {
		unlink(tmpfiles[--ntmp]);
		free(tmpfiles[ntmp]);
	}
	return 0;
}

/* Load; on failure return the errors (caller frees), else NULL. */
static char *
try_load(const char *config, int defaults, const char **files, size_t n,
    struct policy **out)
{
	struct policy_load_args	 a;
	char			*err = NULL;

	memset(&a, 0, sizeof a);
	a.config = config;
	a.rule_files = files;
	a.nrule_files = n;
	a.no_defaults = !defaults;
	*out = policy_load(&a, &err);
	if (*out != NULL)
		assert_null(err);
	else
		assert_non_null(err);
	return err;
}

static struct policy *
must_load(const char *config, int defaults, const char **files, size_t n)
{
	struct policy	*p;
	char		*err = try_load(config, defaults, files, n, &p);

	if (err != NULL)
		fprintf(stderr, "%s", err);
	assert_null(err);
	return p;
}

/* The errors of one rule file loaded alone. */
static char *
errors_of(const char *text)
{
	struct policy	*p;
	const char	*f = tmp("e.json", text);
	char		*err = try_load(NULL, 0, &f, 1, &p);

	if (p != NULL)
		fail_msg("loaded without error: %s", text);
	return err;
}

static void
expect_error(const char *text, const char *want)
{
	char	*err = errors_of(text);

	if (getenv("SHOW_ERRORS") && strstr(err, want) == NULL) {
		fprintf(stderr, "WANT %s\nGOT  %s", want, err);
		free(err);
		return;
	}
	if (strstr(err, want) == NULL)
		fail_msg("want \"%s\" in:\n%s", want, err);
	free(err);
}

/* The stop defaults are proc.c's, defined once: the policy hands on
 * exactly what proc_default_stop() gives, and proc.h's Worker name. */
static void
assert_default_stop_is_procs(const struct policy_stop *st)
{
	struct policy_stop	def;
	size_t			i;

	proc_default_stop(&def);
	assert_int_equal(st->ntargets, def.ntargets);
	for (i = 0; i < def.ntargets; i++)
		assert_string_equal(st->targets[i], def.targets[i]);
	assert_int_equal(st->nladder, def.nladder);
	for (i = 0; i < def.nladder; i++) {
		assert_int_equal(st->ladder[i].signo, def.ladder[i].signo);
		assert_int_equal(st->ladder[i].wait_ms, def.ladder[i].wait_ms);
	}
	assert_string_equal(st->worker, PROC_WORKER_NAME);
}

static void
test_builtin_defaults(void **state)
{
	struct policy			*p;
	const struct policy_stop	*st;
	const struct policy_source	*s;
	struct tail_options		 to;

	(void)state;
	p = must_load(NULL, 1, NULL, 0);
	assert_int_equal(policy_mode(p), POLICY_ENFORCE);
	assert_null(policy_state_dir(p));
	assert_int_equal(policy_nsources(p), 3);
	s = policy_source(p, policy_source_index(p, "engine"));
	assert_string_equal(s->path, "/tmp/gh-aw/agent-stdio.log");
	assert_int_equal(s->format, SOURCE_JSONL);
	s = policy_source(p, policy_source_index(p, "firewall"));
	assert_string_equal(s->path,
	    "/tmp/gh-aw/sandbox/firewall/logs/access.log");
	assert_int_equal(s->format, SOURCE_SQUID);
	s = policy_source(p, policy_source_index(p, "api-proxy"));
	assert_int_equal(s->format, SOURCE_JSONL);
	assert_true(s->npaths >= 2);
	assert_string_equal(s->path, "/tmp/gh-aw/sandbox/firewall/logs/"
	    "api-proxy-logs/token-tracker-audit.jsonl");
	assert_string_equal(s->paths[1], "/tmp/gh-aw/sandbox/firewall/"
	    "api-proxy-logs/token-tracker-audit.jsonl");
	assert_int_equal(policy_source_index(p, "nope"), -1);
	st = policy_stop(p);
	assert_int_equal(st->ntargets, 6);
	assert_string_equal(st->targets[0], "awf");
	assert_string_equal(st->targets[5], "pi");
	assert_int_equal(st->nladder, 3);
	assert_int_equal(st->ladder[0].signo, SIGINT);
	assert_int_equal(st->ladder[0].wait_ms, 7500);
	assert_int_equal(st->ladder[1].signo, SIGTERM);
	assert_int_equal(st->ladder[1].wait_ms, 2500);
	assert_int_equal(st->ladder[2].signo, SIGKILL);
	assert_string_equal(st->worker, "Runner.Worker");
	assert_default_stop_is_procs(st);
	assert_int_equal(policy_actions(p), POLICY_ACTION_STOP);
	assert_int_equal(policy_sandbox(p), SANDBOX_ENFORCE);
	assert_false(policy_github(p)->cancel_run);
	policy_tail_options(p, &to);
	assert_int_equal(to.max_line, 0);
	assert_non_null(strstr(policy_describe(p), "embedded default"));
	/* the embedded rules load and are there */
	assert_true(policy_nrules(p) > 0);
	policy_set_mode(p, POLICY_OBSERVE);
	assert_int_equal(policy_mode(p), POLICY_OBSERVE);
	policy_set_source_path(p, 0, "/x/y.log");
	assert_string_equal(policy_source(p, 0)->path, "/x/y.log");
	policy_free(p);
}

static void
test_config_file(void **state)
{
	struct policy			*p;
	const struct policy_stop	*st;
	struct tail_options		 to;
	const char			*rules;
	char				 conf[1024];

	(void)state;
	rules = tmp("r.json", "{\"version\": 1, \"rules\": [{\"id\": \"a.b\", "
	    "\"title\": \"A\", \"source\": \"mine\", \"severity\": "
	    "\"warning\", \"match\": {\"regex\": \"boom\"}}]}");
	snprintf(conf, sizeof conf, "{\"version\": 1, \"mode\": \"observe\", "
	    "\"state_dir\": \"/var/lib/x\", \"defaults\": false, "
	    "\"rules\": [\"%s\"], \"sources\": {\"mine\": {\"path\": "
	    "\"/tmp/m.log\"}, \"engine\": {\"path\": \"/tmp/e.log\", "
	    "\"format\": \"text\"}}, \"actions\": [\"stop\", \"cancel-run\"], "
	    "\"stop\": {\"targets\": [\"codex\"], \"ladder\": [{\"signal\": "
	    "\"SIGTERM\", \"wait\": \"250ms\"}, {\"signal\": \"KILL\"}], "
	    "\"worker\": \"W\"}, \"tail\": {\"max_line\": \"1MiB\", "
	    "\"backend\": \"poll\", \"reconcile\": \"2s\"}, \"github\": "
	    "{\"app_id\": \"1\", \"token_file\": null}, \"sandbox\": \"log\"}",
	    rules);
	p = must_load(tmp("c.json", conf), 1, NULL, 0);
	assert_int_equal(policy_mode(p), POLICY_OBSERVE);
	assert_string_equal(policy_state_dir(p), "/var/lib/x");
	assert_int_equal(policy_nsources(p), 4);
	assert_string_equal(policy_source(p, policy_source_index(p,
	    "engine"))->path, "/tmp/e.log");
	assert_int_equal(policy_source(p, policy_source_index(p,
	    "engine"))->format, SOURCE_TEXT);
	assert_int_equal(policy_source(p, policy_source_index(p,
	    "mine"))->format, SOURCE_TEXT);
	assert_int_equal(policy_nrules(p), 1);	/* defaults: false */
	assert_string_equal(policy_rule(p, 0)->id, "a.b");
	assert_int_equal(policy_rule(p, 0)->severity, SEVERITY_WARNING);
	assert_int_equal(policy_actions(p), POLICY_ACTION_STOP |
	    POLICY_ACTION_CANCEL_RUN);
	assert_true(policy_github(p)->cancel_run);
	assert_false(policy_github(p)->check_run);
	assert_string_equal(policy_github(p)->app_id, "1");
	assert_null(policy_github(p)->token_file);
	st = policy_stop(p);
	assert_int_equal(st->ntargets, 1);
	assert_string_equal(st->targets[0], "codex");
	assert_int_equal(st->nladder, 2);
	assert_int_equal(st->ladder[0].signo, SIGTERM);
	assert_int_equal(st->ladder[0].wait_ms, 250);
	assert_int_equal(st->ladder[1].signo, SIGKILL);
	assert_string_equal(st->worker, "W");
	policy_tail_options(p, &to);
	assert_int_equal(to.max_line, 1024 * 1024);
	assert_int_equal(to.backend, TAIL_BACKEND_POLL);
	assert_int_equal(to.reconcile_ms, 2000);
	assert_int_equal(policy_sandbox(p), SANDBOX_LOG);
	policy_free(p);
	/* "require": enforce, and never run unconfined (issue 16). */
	p = must_load(tmp("r.json", "{\"version\": 1, \"sandbox\": "
	    "\"require\"}"), 1, NULL, 0);
	assert_int_equal(policy_sandbox(p), SANDBOX_REQUIRE);
	policy_free(p);
}

/*
 * A source's path may be ordered alternatives, each with ${NAME} expanded
 * from the environment; an alternative whose variable is unset or empty is
 * dropped, as the default api-proxy source's ${RUNNER_TEMP} place is
 * outside a job.
 */
static void
test_source_paths(void **state)
{
	struct policy			*p;
	const struct policy_source	*s;
	char				*err;

	(void)state;
	unsetenv("RUNNER_TEMP");
	p = must_load(NULL, 1, NULL, 0);
	s = policy_source(p, policy_source_index(p, "api-proxy"));
	assert_int_equal(s->npaths, 2);
	policy_free(p);
	setenv("RUNNER_TEMP", "/home/runner/_work/_temp", 1);
	p = must_load(NULL, 1, NULL, 0);
	s = policy_source(p, policy_source_index(p, "api-proxy"));
	assert_int_equal(s->npaths, 3);
	assert_string_equal(s->paths[2], "/home/runner/_work/_temp/gh-aw/"
	    "sandbox/firewall/logs/api-proxy-logs/token-tracker-audit.jsonl");
	policy_free(p);
	setenv("RUNNER_TEMP", "", 1);	/* empty is unset */
	p = must_load(NULL, 1, NULL, 0);
	assert_int_equal(policy_source(p, policy_source_index(p,
	    "api-proxy"))->npaths, 2);
	policy_free(p);
	unsetenv("RUNNER_TEMP");

	unsetenv("BREAKER_TEST_DIR");
	p = must_load(tmp("c.json", "{\"version\": 1, \"sources\": {\"x\": "
	    "{\"path\": [\"${BREAKER_TEST_DIR}/a.log\", \"/b/${HOME}x.log\"], "
	    "\"format\": \"jsonl\"}}}"), 1, NULL, 0);
	s = policy_source(p, policy_source_index(p, "x"));
	assert_int_equal(s->npaths, 1);
	assert_true(strncmp(s->path, "/b/", 3) == 0);
	assert_non_null(strstr(s->path, "x.log"));
	assert_null(strstr(s->path, "${"));
	policy_free(p);
	setenv("BREAKER_TEST_DIR", "/d", 1);
	p = must_load(tmp("c.json", "{\"version\": 1, \"sources\": {\"x\": "
	    "{\"path\": [\"${BREAKER_TEST_DIR}/a.log\", \"/b.log\"]}}}"), 1,
	    NULL, 0);
	s = policy_source(p, policy_source_index(p, "x"));
	assert_int_equal(s->npaths, 2);
	assert_string_equal(s->paths[0], "/d/a.log");
	assert_string_equal(s->paths[1], "/b.log");
	policy_free(p);
	unsetenv("BREAKER_TEST_DIR");

	err = try_load(tmp("c.json", "{\"version\": 1, \"sources\": {\n"
	    "\"a\": {\"path\": []},\n"
	    "\"b\": {\"path\": [\"/ok\", \"${NOPE\"]},\n"
	    "\"c\": {\"path\": \"/x/${1BAD}\"},\n"
	    "\"d\": {\"path\": [\"/ok\", 7]},\n"
	    "\"e\": {\"path\": 7}}}"), 1, NULL, 0, &p);
	assert_null(p);
	if (getenv("SHOW_ERRORS"))
		fprintf(stderr, "%s", err);
	assert_non_null(strstr(err, "c.json:2:7: sources.a.path: must be a "
	    "string or an array of 1 to 8 strings"));
	assert_non_null(strstr(err, "sources.b.path[1]: \"${\" without a "
	    "closing \"}\""));
	assert_non_null(strstr(err, "sources.c.path: bad variable name"));
	assert_non_null(strstr(err, "sources.d.path[1]: must be a string"));
	assert_non_null(strstr(err, "sources.e.path: must be a string or an "
	    "array"));
	free(err);
}

/* reset_by names a rule, never itself, and only on count and distinct. */
static void
test_reset_by_errors(void **state)
{
	(void)state;
	expect_error("{\"version\": 1, \"rules\": [{\"id\": \"a\", \"title\": "
	    "\"A\", \"severity\": \"fatal\", \"match\": {\"regex\": \"x\"}, "
	    "\"correlate\": {\"kind\": \"count\", \"window\": \"1m\", "
	    "\"reset_by\": \"nope\"}}]}",
	    "rules[0].correlate.reset_by: unknown rule \"nope\"");
	expect_error("{\"version\": 1, \"rules\": [{\"id\": \"a\", \"title\": "
	    "\"A\", \"severity\": \"fatal\", \"match\": {\"regex\": \"x\"}, "
	    "\"correlate\": {\"kind\": \"count\", \"window\": \"1m\", "
	    "\"reset_by\": \"a\"}}]}",
	    "a rule cannot reset itself");
	expect_error("{\"version\": 1, \"rules\": [{\"id\": \"a\", \"title\": "
	    "\"A\", \"severity\": \"none\", \"match\": {\"regex\": \"x\"}},"
	    "{\"id\": \"b\", \"title\": \"B\", \"severity\": \"fatal\", "
	    "\"match\": {\"regex\": \"y\"}, \"correlate\": {\"kind\": "
	    "\"sequence\", \"after\": \"a\", \"window\": \"1m\", "
	    "\"reset_by\": \"a\"}}]}",
	    "rules[1].correlate.reset_by: a sequence cannot be reset");
}

static void
test_durations_sizes(void **state)
{
	(void)state;
	assert_true(policy_parse_duration("250ms") == 0.25);
	assert_true(policy_parse_duration("7.5s") == 7.5);
	assert_true(policy_parse_duration("10m") == 600);
	assert_true(policy_parse_duration("1h") == 3600);
	assert_true(policy_parse_duration("10") < 0);
	assert_true(policy_parse_duration("-1s") < 0);
	assert_true(policy_parse_duration("s") < 0);
	assert_true(policy_parse_duration("1d") < 0);
	assert_int_equal(policy_parse_size("512"), 512);
	assert_int_equal(policy_parse_size("64KiB"), 65536);
	assert_int_equal(policy_parse_size("1MiB"), 1048576);
	assert_true(policy_parse_size("1MB") < 0);
	assert_true(policy_parse_size("x") < 0);
}

static const char base[] =
    "{\"version\": 1, \"lists\": {\"hosts\": [\"a.com\"]}, \"rules\": [\n"
    "{\"id\": \"r.one\", \"title\": \"One\", \"severity\": \"fatal\", "
    "\"match\": {\"regex\": \"one\"}},\n"
    "{\"id\": \"r.two\", \"title\": \"Two\", \"severity\": \"warning\", "
    "\"match\": {\"regex\": \"two\"}}\n]}\n";

static void
test_layering(void **state)
{
	struct policy	*p;
	const char	*files[2];

	(void)state;
	files[0] = tmp("base.json", base);
	files[1] = tmp("local.json", "{\"version\": 1,\n"
	    " \"extend_lists\": {\"hosts\": [\"b.com\"]},\n"
	    " \"disable\": [\"r.two\"],\n"
	    " \"rules\": [{\"id\": \"r.one\", \"override\": true, \"title\": "
	    "\"One again\", \"severity\": \"notice\", \"match\": {\"regex\": "
	    "\"uno\"}},\n"
	    " {\"id\": \"r.three\", \"title\": \"Three\", \"severity\": "
	    "\"none\", \"source\": \"firewall\", \"match\": {\"field\": "
	    "\"host\", \"in_list\": \"hosts\"}}]}\n");
	p = must_load(NULL, 0, files, 2);
	assert_int_equal(policy_nrules(p), 2);
	/* an override keeps the rule's place */
	assert_string_equal(policy_rule(p, 0)->id, "r.one");
	assert_string_equal(policy_rule(p, 0)->title, "One again");
	assert_int_equal(policy_rule(p, 0)->severity, SEVERITY_NOTICE);
	assert_int_equal(policy_rule(p, 0)->actions, 0);
	assert_string_equal(policy_rule(p, 1)->id, "r.three");
	assert_int_equal(policy_rule(p, 1)->severity, POLICY_SEVERITY_NONE);
	assert_int_equal(policy_rule_index(p, "r.two"), -1);
	assert_int_equal(policy_rule_index(p, "r.three"), 1);
	policy_free(p);
}

static void
expect_layer_error(const char *second, const char *want)
{
	struct policy	*p;
	const char	*files[2];
	char		*err;

	files[0] = tmp("base.json", base);
	files[1] = tmp("second.json", second);
	err = try_load(NULL, 0, files, 2, &p);
	assert_null(p);
	if (getenv("SHOW_ERRORS") && strstr(err, want) == NULL) {
		fprintf(stderr, "WANT %s\nGOT  %s", want, err);
		free(err);
		return;
	}
	if (strstr(err, want) == NULL)
		fail_msg("want \"%s\" in:\n%s", want, err);
	free(err);
}

static void
test_layering_errors(void **state)
{
	(void)state;
	expect_layer_error("{\"version\": 1, \"rules\": [\n  {\"id\": "
	    "\"r.one\", \"title\": \"x\", \"severity\": \"fatal\", \"match\": "
	    "{\"regex\": \"x\"}}]}",
	    "second.json:2:4: rules[0].id: duplicate rule id \"r.one\" "
	    "(first defined at /tmp/");
	expect_layer_error("{\"version\": 1, \"rules\": [\n  {\"id\": "
	    "\"r.nine\", \"override\": true, \"title\": \"x\", \"severity\": "
	    "\"fatal\", \"match\": {\"regex\": \"x\"}}]}",
	    "second.json:2:4: rules[0].id: no rule \"r.nine\" to override");
	expect_layer_error("{\"version\": 1,\n \"disable\": [\"r.nine\"]}",
	    "second.json:2:14: disable[0]: unknown rule \"r.nine\"");
	expect_layer_error("{\"version\": 1,\n \"lists\": {\"hosts\": "
	    "[\"c.com\"]}}", "second.json:2:12: lists.hosts: list already "
	    "defined by an earlier file (use \"extend_lists\" to add to it)");
	expect_layer_error("{\"version\": 1,\n \"extend_lists\": {\"nope\": "
	    "[\"c.com\"]}}", "second.json:2:19: extend_lists.nope: unknown "
	    "list");
	/* a dangling `after`, and a rule following a disabled one */
	expect_layer_error("{\"version\": 1, \"disable\": [\"r.two\"], "
	    "\"rules\": [\n{\"id\": \"s.q\", \"title\": \"q\", \"severity\": "
	    "\"fatal\", \"match\": {\"regex\": \"q\"}, \"correlate\": "
	    "{\"kind\": \"sequence\", \"after\": \"r.two\", \"window\": "
	    "\"1m\"}}]}", "rules[0].correlate.after: unknown rule \"r.two\" "
	    "(it was disabled)");
}

/*
 * A name one or two edits from a known one gets "did you mean": a rule id
 * (disable, if_fired, correlate.after and reset_by), a list, a source.
 */
static void
test_did_you_mean(void **state)
{
	static const char *rules =
	    "{\"version\": 1, \"lists\": {\"hosts\": [\"a\"]}, \"rules\": [\n"
	    "  {\"id\": \"net.denied\", \"title\": \"A\", \"severity\": "
	    "\"fatal\", \"match\": {\"regex\": \"x\"}},\n"
	    "  {\"id\": \"b\", \"title\": \"B\", \"severity\": \"fatal\", "
	    "\"source\": \"firewal\", \"match\": {\"field\": \"host\", "
	    "\"in_list\": \"host\"}},\n"
	    "  {\"id\": \"c\", \"title\": \"C\", \"severity\": \"fatal\", "
	    "\"match\": {\"regex\": \"y\"}, \"if_fired\": [\"net.denid\"], "
	    "\"correlate\": {\"kind\": \"count\", \"threshold\": 2, "
	    "\"window\": \"1m\", \"reset_by\": \"net.denie\"}}]}";

	(void)state;
	expect_error(rules, "rules[1].source: unknown source \"firewal\" "
	    "(did you mean \"firewall\"? sources: engine firewall api-proxy)");
	expect_error(rules, "rules[1].match.in_list: unknown list \"host\" "
	    "(did you mean \"hosts\"?)");
	expect_error(rules, "rules[2].if_fired[0]: unknown rule \"net.denid\" "
	    "(did you mean \"net.denied\"?)");
	expect_error(rules, "rules[2].correlate.reset_by: unknown rule "
	    "\"net.denie\" (did you mean \"net.denied\"?)");
	expect_layer_error("{\"version\": 1,\n \"disable\": [\"r.oen\"]}",
	    "second.json:2:14: disable[0]: unknown rule \"r.oen\" (did you "
	    "mean \"r.one\"?)");
}

static void
test_validation_errors(void **state)
{
	(void)state;
	expect_error("{\"version\": 1, \"rules\": [\n"
	    "  {\"id\": \"a\", \"title\": \"A\", \"severity\": \"fatal\",\n"
	    "   \"match\": {\"regx\": \"x\"}}]}",
	    "e.json:3:14: rules[0].match.regx: unknown key (did you mean "
	    "\"regex\"?)");
	expect_error("{\"version\": 1, \"rules\": [\n"
	    "  {\"id\": \"a\", \"title\": 7, \"severity\": \"fatal\", "
	    "\"match\": {\"regex\": \"x\"}}]}",
	    "e.json:2:15: rules[0].title: must be a string");
	expect_error("{\"version\": 1, \"rules\": [\n"
	    "  {\"id\": \"a\", \"title\": \"A\", \"severity\": \"fatal\",\n"
	    "   \"match\": {\"regex\": \"(x\"}}]}",
	    "e.json:3:14: rules[0].match.regex: regex does not compile "
	    "(at offset 2 of the pattern: missing closing parenthesis)");
	expect_error("{\"version\": 1, \"rules\": [\n"
	    "  {\"id\": \"a\", \"title\": \"A\", \"severity\": \"fatal\",\n"
	    "   \"source\": \"firewall\", \"match\": {\"field\": \"host\", "
	    "\"in_list\": \"nolist\"}}]}",
	    "e.json:3:53: rules[0].match.in_list: unknown list \"nolist\"");
	expect_error("{\"version\": 1, \"rules\": [\n"
	    "  {\"id\": \"a\", \"title\": \"A\", \"severity\": \"fatal\",\n"
	    "   \"match\": {\"regex\": \"x\"}, \"correlate\": {\"kind\": "
	    "\"sequence\", \"after\": \"zz\", \"window\": \"1m\"}}]}",
	    "e.json:3:63: rules[0].correlate.after: unknown rule \"zz\"");
	expect_error("{\"version\": 1, \"rules\": [\n"
	    "  {\"id\": \"a\", \"title\": \"A\", \"severity\": \"fatal\", "
	    "\"source\": \"nope\", \"match\": {\"regex\": \"x\"}}]}",
	    "e.json:2:50: rules[0].source: unknown source \"nope\" (sources: "
	    "engine firewall api-proxy)");
	expect_error("{\"version\": 1, \"rules\": [\n"
	    "  {\"id\": \"a\", \"title\": \"A\", \"severity\": \"grave\", "
	    "\"match\": {\"regex\": \"x\"}}]}",
	    "e.json:2:29: rules[0].severity: unknown severity");
	expect_error("{\"version\": 1, \"rules\": [\n"
	    "  {\"id\": \"a\", \"title\": \"A\", \"severity\": \"fatal\", "
	    "\"source\": \"firewall\", \"match\": {\"regex\": \"x\"}, "
	    "\"message\": \"{who}\"}]}",
	    "rules[0].message: unknown capture or field \"who\"");
	expect_error("{\"version\": 1, \"rules\": [\n"
	    "  {\"id\": \"a\", \"title\": \"A\", \"severity\": \"fatal\", "
	    "\"match\": {\"regex\": \"x\"}, \"correlate\": {\"kind\": "
	    "\"count\", \"threshold\": 2}}]}",
	    "e.json:2:75: rules[0].correlate: \"window\" is required");
	expect_error("{\"version\": 1, \"rules\": [\n"
	    "  {\"id\": \"a\", \"title\": \"A\", \"severity\": \"fatal\", "
	    "\"match\": {\"regex\": \"x\"}, \"correlate\": {\"kind\": "
	    "\"count\", \"threshold\": 2, \"window\": \"3 days\"}}]}",
	    "rules[0].correlate.window: bad duration");
	expect_error("{\"version\": 1, \"rules\": [\n"
	    "  {\"id\": \"a\", \"title\": \"A\", \"severity\": \"fatal\", "
	    "\"match\": {\"regex\": \"x\", \"equals\": 1}}]}",
	    "rules[0].match: more than one operator");
	expect_error("{\"version\": 1, \"rules\": [\n"
	    "  {\"id\": \"a\", \"title\": \"A\", \"severity\": \"fatal\", "
	    "\"source\": \"firewall\", \"match\": {\"field\": \"x\", "
	    "\"equals\": 1}}]}",
	    "rules[0].match.field: unknown squid field");
	expect_error("{\"version\": 1, \"rules\": [\n"
	    "  {\"title\": \"A\", \"severity\": \"fatal\", \"match\": "
	    "{\"regex\": \"x\"}}]}", "e.json:2:3: rules[0]: \"id\" is "
	    "required");
	expect_error("{\"version\": 1, \"rules\": [\n"
	    "  {\"id\": \"A B\", \"title\": \"A\", \"severity\": \"fatal\", "
	    "\"match\": {\"regex\": \"x\"}}]}", "rules[0].id: bad rule id");
	expect_error("{\"version\": 1, \"rules\": [\n"
	    "  {\"id\": \"a\", \"id\": \"b\", \"title\": \"A\", \"severity\": "
	    "\"fatal\", \"match\": {\"regex\": \"x\"}}]}",
	    "e.json:2:15: rules[0].id: duplicate key");
	expect_error("{\"rules\": []}", "e.json:1:1: \"version\" is required");
	expect_error("{\"version\": 2}", "e.json:1:2: version: unsupported "
	    "version");
	expect_error("{\"version\": 1, \"rules\": [\n  {\"id\": \"a\", }\n]}",
	    "e.json:2:16: not valid JSON");
	expect_error("[1]", "e.json:1:1: the top level must be an object");
	expect_error("{\"version\": 1, \"rulez\": []}", "e.json:1:16: rulez: "
	    "unknown key (did you mean \"rules\"?)");
	expect_error("{\"version\": 1, \"rules\": [{\"id\": \"a\", \"title\": "
	    "\"A\", \"severity\": \"fatal\", \"match\": {\"regex\": \"x\"}, "
	    "\"samples\": {\"fire\": [3]}}]}",
	    "rules[0].samples.fire[0]: must be a line or a non-empty array");
}

static void
test_config_errors(void **state)
{
	struct policy	*p;
	char		*err;

	(void)state;
	err = try_load(tmp("c.json", "{\"version\": 1,\n \"mode\": \"observ\","
	    "\n \"sources\": {\"engine\": {\"path\": \"/x\", \"format\": "
	    "\"xml\"}},\n \"stop\": {\"ladder\": [{\"signal\": \"SIGFOO\"}]},"
	    "\n \"tail\": {\"max_line\": \"1\"}, \"sandbox\": \"x\", "
	    "\"colour\": 1}"), 1, NULL, 0, &p);
	assert_null(p);
	if (getenv("SHOW_ERRORS"))
		fprintf(stderr, "%s", err);
	assert_non_null(strstr(err, "c.json:2:2: mode: unknown mode"));
	assert_non_null(strstr(err, "c.json:3:39: sources.engine.format: "
	    "unknown format"));
	assert_non_null(strstr(err, "c.json:4:22: stop.ladder[0]: unknown "
	    "signal \"SIGFOO\""));
	assert_non_null(strstr(err, "c.json:5:11: tail.max_line: bad size"));
	assert_non_null(strstr(err, "sandbox: unknown sandbox mode"));
	assert_non_null(strstr(err, "colour: unknown key"));
	free(err);
	err = try_load("/nonexistent/breaker.json", 1, NULL, 0, &p);
	assert_null(p);
	assert_non_null(strstr(err, "/nonexistent/breaker.json:0:0: cannot "
	    "read"));
	free(err);
}

/* A rule on a jsonl (engine) source: `text` is its match, then the rest. */
static char *
jsonl_rule(const char *rest)
{
	char	*s;

	xasprintf(&s, "{\"version\": 1, \"rules\": [\n"
	    "  {\"id\": \"a\", \"title\": \"A\", \"severity\": \"fatal\",\n"
	    "   \"match\": {\"all\": [{\"regex\": \"(?<product>\\\\S+) expired\"},"
	    " {\"field\": \"error.message\", \"exists\": true}]},\n"
	    "   %s}]}", rest);
	return s;
}

static void
load_jsonl_rule(const char *rest)
{
	struct policy	*p;
	char		*text = jsonl_rule(rest);
	const char	*f = tmp("t.json", text);

	p = must_load(NULL, 0, &f, 1);
	policy_free(p);
	free(text);
}

static void
expect_jsonl_rule_error(const char *rest, const char *want)
{
	char	*text = jsonl_rule(rest);

	expect_error(text, want);
	free(text);
}

/*
 * A template name on a jsonl source is a capture, a field the rule's
 * predicates read (or one under or above it), a field the source declares,
 * or an error: "{prodcut}" used to load and print "?" in every annotation.
 */
static void
test_template_names_jsonl(void **state)
{
	struct policy	*p;
	const char	*f;
	char		*err;

	(void)state;
	expect_jsonl_rule_error("\"message\": \"the {prodcut} licence\"",
	    "e.json:4:4: rules[0].message: unknown capture or field "
	    "\"prodcut\" (did you mean \"product\"? captures: {product}; else "
	    "a field the rule's predicates read or its source declares in "
	    "\"fields\")");
	expect_jsonl_rule_error("\"message\": \"{nonesuch}\"",
	    "rules[0].message: unknown capture or field \"nonesuch\"");
	/* no message: the title is the template */
	expect_error("{\"version\": 1, \"rules\": [{\"id\": \"a\", \"title\": "
	    "\"A {reson}\", \"severity\": \"fatal\", \"match\": {\"regex\": "
	    "\"(?<reason>x)\"}}]}", "rules[0].title: unknown capture or field "
	    "\"reson\" (did you mean \"reason\"?");
	expect_jsonl_rule_error("\"correlate\": {\"kind\": \"count\", "
	    "\"window\": \"1m\", \"group_by\": \"produt\"}",
	    "rules[0].correlate.group_by: unknown capture or field \"produt\" "
	    "(did you mean \"product\"?");
	/* captures, fields read (and under and above them), declared fields
	 * (the default engine source's "result"), the four built-ins */
	load_jsonl_rule("\"message\": \"{product} {error.message} "
	    "{error.message.code} {error} {result} {count} {rule} {{x}}\"");
	load_jsonl_rule("\"correlate\": {\"kind\": \"distinct\", \"window\": "
	    "\"1m\", \"field\": \"error.message\", \"group_by\": \"product\"}");

	/* a configuration declares more fields; a squid source has its own */
	f = tmp("fr.json", "{\"version\": 1, \"rules\": [{\"id\": \"a\", "
	    "\"title\": \"A\", \"severity\": \"fatal\", \"source\": \"x\", "
	    "\"match\": {\"regex\": \"x\"}, \"message\": \"{quota.left}\"}]}");
	err = try_load(tmp("fc.json", "{\"version\": 1, \"sources\": {\"x\": "
	    "{\"path\": \"/x\", \"format\": \"jsonl\"}}}"), 0, &f, 1, &p);
	assert_null(p);
	assert_non_null(strstr(err, "unknown capture or field \"quota.left\""));
	free(err);
	p = must_load(tmp("fc.json", "{\"version\": 1, \"sources\": {\"x\": "
	    "{\"path\": \"/x\", \"format\": \"jsonl\", \"fields\": [\"quota\"]}}}"),
	    0, &f, 1);
	policy_free(p);
	err = try_load(tmp("fc.json", "{\"version\": 1, \"sources\": {\"x\": "
	    "{\"path\": \"/x\", \"format\": \"squid\", \"fields\": [\"a\"]},"
	    " \"y\": {\"path\": \"/y\", \"format\": \"jsonl\", \"fields\": "
	    "[\"a..b\"]}}}"), 0, NULL, 0, &p);
	assert_null(p);
	assert_non_null(strstr(err, "sources.x.fields[0]: a squid source's "
	    "fields are fixed"));
	assert_non_null(strstr(err, "sources.y.fields[0]: must be a field "
	    "path"));
	free(err);
}

/* The error for `bogus` at `path` lists exactly the table's names, so a
 * name added to a table can never be missing from the hint. */
static void
expect_enum_error(const char *err, const char *path, const char *what,
    const struct util_enum *t, size_t n, const char *extra)
{
	char	list[512], *want;

	util_enum_list(t, n, list, sizeof list);
	xasprintf(&want, "%s: unknown %s \"bogus\" (expected one of: %s%s)\n",
	    path, what, list, extra);
	if (strstr(err, want) == NULL)
		fail_msg("want \"%s\" in:\n%s", want, err);
	free(want);
}

static void
test_enum_errors_list_the_table(void **state)
{
	struct policy	*p;
	char		*err;

	(void)state;
	err = try_load(tmp("c.json", "{\"version\": 1, \"mode\": \"bogus\", "
	    "\"sandbox\": \"bogus\", \"actions\": [\"bogus\"], "
	    "\"sources\": {\"x\": {\"path\": \"/x\", \"format\": \"bogus\"}}, "
	    "\"stop\": {\"ladder\": [{\"signal\": \"bogus\"}]}, "
	    "\"tail\": {\"backend\": \"bogus\"}, "
	    "\"events\": {\"journald\": \"bogus\"}}"), 1, NULL, 0, &p);
	assert_null(p);
	expect_enum_error(err, "mode", "mode", pconf_mode_table,
	    pconf_mode_ntable, "");
	expect_enum_error(err, "sandbox", "sandbox mode", sandbox_mode_table,
	    sandbox_mode_ntable, "");
	expect_enum_error(err, "actions[0]", "action", pconf_action_table,
	    pconf_action_ntable, "");
	expect_enum_error(err, "sources.x.format", "format",
	    source_format_table, source_format_ntable, "");
	expect_enum_error(err, "stop.ladder[0]", "signal", pconf_signal_table,
	    pconf_signal_ntable, "");
	expect_enum_error(err, "tail.backend", "backend", pconf_backend_table,
	    pconf_backend_ntable, "");
	expect_enum_error(err, "events.journald", "value",
	    pconf_journald_table, pconf_journald_ntable, "");
	free(err);

	err = errors_of("{\"version\": 1, \"rules\": [{\"id\": \"a\", "
	    "\"title\": \"t\", \"severity\": \"bogus\", \"match\": "
	    "{\"regex\": \"x\"}, \"correlate\": {\"kind\": \"bogus\", "
	    "\"window\": \"1m\"}}]}");
	expect_enum_error(err, "rules[0].severity", "severity", severity_table,
	    severity_ntable, ", \"none\"");
	expect_enum_error(err, "rules[0].correlate.kind", "kind",
	    prule_kind_table, prule_kind_ntable, "");
	free(err);

	/* close to one name: say which, and still list them all */
	expect_error("{\"version\": 1, \"rules\": [{\"id\": \"a\", "
	    "\"title\": \"t\", \"severity\": \"fatl\", \"match\": "
	    "{\"regex\": \"x\"}}]}", "rules[0].severity: unknown severity "
	    "\"fatl\" (did you mean \"fatal\"? expected one of: \"fatal\", "
	    "\"warning\", \"notice\", \"none\")");
	expect_error("{\"version\": 1, \"rules\": [{\"id\": \"a\", "
	    "\"title\": \"t\", \"match\": {\"regex\": \"x\"}}]}",
	    "rules[0]: \"severity\" is required (expected one of: \"fatal\", "
	    "\"warning\", \"notice\", \"none\")");
	/* the owners' parsers read the same tables */
	assert_int_equal(sandbox_mode_parse("require"), SANDBOX_REQUIRE);
	assert_int_equal(severity_parse("notice"), SEVERITY_NOTICE);
	assert_int_equal(source_format_parse("squid"), SOURCE_SQUID);
}

/* A broken file never crashes the loader: mutate the default rules. */
static void
test_mutations_never_crash(void **state)
{
	struct policy	*p;
	const char	*f;
	char		*text, *err;
	size_t		 len = policy_default_json_len, i, n;
	unsigned	 seed = 12345;
	int		 k, ok = 0, bad = 0;

	(void)state;
	text = xmalloc(len + 64);
	for (k = 0; k < 150; k++) {
		memcpy(text, policy_default_json, len);
		n = len;
		for (i = 0; i < 1 + (size_t)(k % 4); i++) {
			seed = seed * 1103515245 + 12345;
			switch (seed >> 29) {
			case 0:		/* truncate */
				n = (seed >> 8) % n;
				break;
			case 1:		/* a quote, brace or colon elsewhere */
				text[(seed >> 8) % n] = "\"{}[]:,\\"[seed % 8];
				break;
			default:	/* any byte */
				text[(seed >> 8) % n] = (char)(seed >> 3);
				break;
			}
		}
		text[n] = '\0';
		f = tmp("m.json", text);
		err = try_load(NULL, 0, &f, 1, &p);
		if (p != NULL) {
			ok++;
			policy_free(p);
		} else {
			bad++;
			assert_non_null(strstr(err, "m.json:"));
			free(err);
		}
		unlink(f);
	}
	assert_true(bad > 50);
	free(text);
	(void)ok;
}

/*
 * A key holding a newline cannot forge an error line, and no error is lost
 * to it (review code-2026-12 §2 #4: the forged "5:1: fake" line used to hide
 * the real errors and drop the "zzz" one).
 */
static void
test_error_key_cannot_forge_a_line(void **state)
{
	char	*err, *line, *save = NULL;
	int	 n = 0;

	(void)state;
	err = errors_of("{\"version\": 1, \"x\\n5:1: fake\": 1, "
	    "\"rules\": [], \"zzz\": 2}");
	for (line = strtok_r(err, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		assert_non_null(strstr(line, "e.json:1:"));
		n++;
	}
	assert_int_equal(n, 2);
	free(err);
	err = errors_of("{\"version\": 1, \"x\\n5:1: fake\": 1, "
	    "\"rules\": [], \"zzz\": 2}");
	assert_non_null(strstr(err, "zzz"));
	assert_non_null(strstr(err, "\\x0a5:1: fake"));
	free(err);
}

/* Every repeat of a key is reported, in the file's order. */
/* An escaped key has the path cJSON decodes: its error keeps its place,
 * and the same key written two ways is a duplicate. */
static void
test_error_escaped_keys(void **state)
{
	(void)state;
	expect_error("{\"version\": 1, \"rules\": [],\n  \"zz\\u007a\": 1}",
	    "e.json:2:3: zzz: unknown key");
	expect_error("{\"version\": 1, \"rules\": [],\n"
	    "  \"rul\\u0065s\": [], \"x\\n\\u00e9\\ud83d\\ude00\": 1}",
	    "e.json:2:3: rules: duplicate key");
	expect_error("{\"version\": 1, \"rules\": [],\n"
	    "  \"x\\n\\u00e9\\ud83d\\ude00\": 1}",
	    "e.json:2:3: x\\x0a\xc3\xa9\xf0\x9f\x98\x80: unknown key");
}

static void
test_error_duplicates_all_reported(void **state)
{
	char	*err;
	char	*a, *b;

	(void)state;
	err = errors_of("{\"version\": 1,\n\"rules\": [],\n"
	    "\"version\": 1,\n\"version\": 1}");
	a = strstr(err, "e.json:3:1: version: duplicate key");
	b = strstr(err, "e.json:4:1: version: duplicate key");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_key_cannot_forge_a_line),
		cmocka_unit_test(test_error_duplicates_all_reported),
		cmocka_unit_test_teardown(test_error_escaped_keys, cleanup),
		cmocka_unit_test_teardown(test_builtin_defaults, cleanup),
		cmocka_unit_test_teardown(test_config_file, cleanup),
		cmocka_unit_test_teardown(test_durations_sizes, cleanup),
		cmocka_unit_test_teardown(test_source_paths, cleanup),
		cmocka_unit_test_teardown(test_reset_by_errors, cleanup),
		cmocka_unit_test_teardown(test_layering, cleanup),
		cmocka_unit_test_teardown(test_layering_errors, cleanup),
		cmocka_unit_test_teardown(test_validation_errors, cleanup),
		cmocka_unit_test_teardown(test_did_you_mean, cleanup),
		cmocka_unit_test_teardown(test_config_errors, cleanup),
		cmocka_unit_test_teardown(test_enum_errors_list_the_table,
		    cleanup),
		cmocka_unit_test_teardown(test_template_names_jsonl, cleanup),
		cmocka_unit_test_teardown(test_mutations_never_crash, cleanup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
