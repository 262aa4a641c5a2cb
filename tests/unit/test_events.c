/*
 * events.c and metrics.c: the records (outcome as data, warning levels,
 * time saved and its basis, redaction), the JSON lines file, the journald
 * datagrams read back from a fake journal socket, the metrics textfile
 * accumulated across jobs, and the configuration keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "events.h"
#include "job.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "verdict.h"
#include "xalloc.h"

#define T0	1796422240.0
#define SECRET	"sk-proj-AbCdEf0123456789AbCdEf0123456789"

struct fixture {
	char			 dir[64];
	struct job		 job;
	struct verdict_list	 list;
	struct events_job	 ej;
};

static struct verdict *
add_verdict(struct fixture *f, const char *rule, const char *action,
    const char *outcome, const char *result, int pid, double stopped)
{
	struct verdict	*v = verdict_new();

	v->seq = TAILQ_EMPTY(&f->list) ? 1 : TAILQ_LAST(&f->list,
	    verdict_list)->seq + 1;
	v->rule_id = xstrdup(rule);
	v->title = xstrdup("Codex: the provider rejected the credentials");
	v->severity = SEVERITY_FATAL;
	v->source = xstrdup("engine");
	v->message = xstrdup("codex gave up: Incorrect API key provided: "
	    SECRET);
	v->line_no = 18;
	v->count = 6;
	v->first_seen = T0 + 10;
	v->fired_at = T0 + 12;
	verdict_set(&v->title, "Codex: rejected ##[error]forged");
	v->action = verdict_action_parse(action);
	v->outcome = verdict_outcome_parse(outcome);
	if (result != NULL)
		verdict_set(&v->action_result, result);
	v->stop_pid = pid;
	if (pid > 0) {
		verdict_set(&v->stop_target, "awf");
		verdict_set(&v->stop_signal, "SIGINT");
	}
	v->stopped_at = stopped;
	TAILQ_INSERT_TAIL(&f->list, v, entry);
	return v;
}

static int
setup(void **state)
{
	struct fixture	*f = xcalloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/breaker-events-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->job.repository = "octo-org/moderator";
	f->job.run_id = "24000000001";
	f->job.run_attempt = "1";
	f->job.job_key = "agent";
	f->job.runner_name = "vm-runner-01";
	f->job.dir = f->dir;
	TAILQ_INIT(&f->list);
	f->ej.job = &f->job;
	f->ej.verdicts = &f->list;
	f->ej.started = T0;
	f->ej.finished = T0 + 100;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	verdict_list_free(&f->list);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static const char *
str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static double
num(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* What happened to the engine is data, not only a sentence. */
static void
test_outcome(void **state)
{
	struct fixture	*f = *state;
	struct verdict	*v;

	v = add_verdict(f, "a", "stop", "stopped", "awf exited after SIGINT",
	    42, T0 + 13);
	assert_string_equal(events_outcome(v), "stopped");
	v = add_verdict(f, "b", "stop", "not-permitted", "cannot signal awf "
	    "(pid 7): permission denied (breaker runs as uid 1001)", 7, 0);
	assert_string_equal(events_outcome(v), "not-permitted");
	assert_true(events_is_warning(events_outcome(v)));
	v = add_verdict(f, "c", "stop", "not-found", "none of the job's 2 "
	    "processes is an engine", 0, 0);
	assert_string_equal(events_outcome(v), "not-found");
	v = add_verdict(f, "d", "would-stop", "observe", NULL, 0, 0);
	assert_string_equal(events_outcome(v), "observe");
	assert_false(events_is_warning("observe"));
	v = add_verdict(f, "e", "record", "recorded", NULL, 0, 0);
	assert_string_equal(events_outcome(v), "recorded");
	assert_false(events_is_warning("stopped"));
}

/* Observe mode: the job's end minus the would-stop time, exactly. Enforce:
 * an estimate up to the step timeout, labelled so. */
static void
test_saved(void **state)
{
	struct fixture	*f = *state;
	const char	*basis;

	add_verdict(f, "a", "would-stop", "observe", NULL, 0, 0);
	assert_true(events_saved(&f->ej, &basis) == 88.0);
	assert_string_equal(basis, "observed");
	verdict_list_free(&f->list);
	add_verdict(f, "a", "stop", "stopped", "ok", 42, T0 + 13);
	assert_true(events_saved(&f->ej, &basis) ==
	    EVENTS_STEP_TIMEOUT - 13.0);
	assert_string_equal(basis, "estimated");
	verdict_list_free(&f->list);
	add_verdict(f, "a", "stop", "not-permitted", "permission denied", 7, 0);
	assert_true(events_saved(&f->ej, &basis) < 0);
	assert_null(basis);
}

/* One JSON line per verdict and one for the job; the key is redacted; a
 * failure to stop is a warning. Appends. */
static void
test_file(void **state)
{
	struct fixture	*f = *state;
	cJSON		*recs, *r;
	char		 path[128], line[8192];
	FILE		*fp;
	int		 n = 0;

	add_verdict(f, "codex.auth.unauthorized", "stop", "not-permitted",
	    "cannot signal awf (pid 7): permission denied", 7, 0);
	snprintf(f->ej.health.sandbox, sizeof f->ej.health.sandbox,
	    "enforce");
	snprintf(path, sizeof path, "%s/events.jsonl", f->dir);
	recs = events_records(&f->ej);
	assert_int_equal(events_write_file(path, recs), 0);
	assert_int_equal(events_write_file(path, recs), 0);
	cJSON_Delete(recs);
	assert_non_null(fp = fopen(path, "r"));
	while (fgets(line, sizeof line, fp) != NULL) {
		assert_null(strstr(line, SECRET));
		assert_null(strstr(line, "##[error]"));	/* neutralised */
		assert_non_null(r = cJSON_Parse(line));
		assert_string_equal(str(r, "schema"), EVENTS_SCHEMA);
		assert_string_equal(str(r, "repository"), "octo-org/moderator");
		assert_string_equal(str(r, "run_id"), "24000000001");
		assert_string_equal(str(r, "runner"), "vm-runner-01");
		assert_string_equal(str(r, "breaker_version"), BREAKER_VERSION);
		assert_string_equal(str(r, "outcome"), "not-permitted");
		assert_string_equal(str(r, "level"), "warning");
		if (n % 2 == 0) {
			assert_string_equal(str(r, "type"), "verdict");
			assert_string_equal(str(r, "rule"),
			    "codex.auth.unauthorized");
			assert_string_equal(str(r, "severity"), "fatal");
			assert_true(num(r, "pid") == 7);
		} else {
			assert_string_equal(str(r, "type"), "job");
			assert_true(num(r, "verdicts") == 1);
			assert_true(num(r, "duration_seconds") == 100);
			assert_string_equal(str(r, "sandbox"), "enforce");
		}
		cJSON_Delete(r);
		n++;
	}
	fclose(fp);
	assert_int_equal(n, 4);
}

/* A quiet job with a confined daemon is info; an unconfined one warns. */
static void
test_levels(void **state)
{
	struct fixture	*f = *state;
	cJSON		*recs;

	snprintf(f->ej.health.sandbox, sizeof f->ej.health.sandbox, "enforce");
	recs = events_records(&f->ej);
	assert_string_equal(str(cJSON_GetArrayItem(recs, 0), "level"), "info");
	assert_string_equal(str(cJSON_GetArrayItem(recs, 0), "outcome"),
	    "none");
	cJSON_Delete(recs);
	snprintf(f->ej.health.sandbox, sizeof f->ej.health.sandbox,
	    "unconfined");
	recs = events_records(&f->ej);
	assert_string_equal(str(cJSON_GetArrayItem(recs, 0), "level"),
	    "warning");
	cJSON_Delete(recs);
}

/* Read one journald datagram back: KEY=value lines, or KEY\n<le64>value\n. */
static char *
field(const char *dg, size_t len, const char *key)
{
	const char	*p = dg, *end = dg + len, *eq, *nl;
	size_t		 kl = strlen(key);
	uint64_t	 vl;
	int		 i;

	while (p < end) {
		nl = memchr(p, '\n', end - p);
		eq = memchr(p, '=', end - p);
		if (nl == NULL)
			return NULL;
		if (eq != NULL && eq < nl) {
			if ((size_t)(eq - p) == kl && memcmp(p, key, kl) == 0)
				return xstrndup(eq + 1, nl - eq - 1);
			p = nl + 1;
			continue;
		}
		for (i = 7, vl = 0; i >= 0; i--)
			vl = vl << 8 | (unsigned char)nl[1 + i];
		if ((size_t)(nl - p) == kl && memcmp(p, key, kl) == 0)
			return xstrndup(nl + 9, vl);
		p = nl + 9 + vl + 1;
	}
	return NULL;
}

static void
test_journal(void **state)
{
	struct fixture		*f = *state;
	struct sockaddr_un	 sun;
	char			 dg[65536], *v;
	cJSON			*recs;
	ssize_t			 n;
	int			 fd;

	add_verdict(f, "codex.auth.unauthorized", "stop", "not-permitted",
	    "cannot signal awf (pid 7): permission denied", 7, 0);
	verdict_set(&TAILQ_FIRST(&f->list)->message, "line one\nline two");
	f->job.runner_name = "vm\nrunner";
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s/journal", f->dir);
	assert_true((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	recs = events_records(&f->ej);
	assert_int_equal(events_journal(sun.sun_path, recs), 0);
	cJSON_Delete(recs);

	assert_true((n = recv(fd, dg, sizeof dg, MSG_DONTWAIT)) > 0);
	v = field(dg, n, "BREAKER_RULE");
	assert_string_equal(v, "codex.auth.unauthorized");
	free(v);
	v = field(dg, n, "PRIORITY");		/* a failure to stop warns */
	assert_string_equal(v, "4");
	free(v);
	v = field(dg, n, "GITHUB_REPOSITORY");
	assert_string_equal(v, "octo-org/moderator");
	free(v);
	v = field(dg, n, "BREAKER_OUTCOME");
	assert_string_equal(v, "not-permitted");
	free(v);
	v = field(dg, n, "BREAKER_MESSAGE");	/* engine text: neutralised */
	assert_string_equal(v, "line one\xe2\x90\x8aline two");
	free(v);
	v = field(dg, n, "RUNNER_NAME");	/* binary form: a newline */
	assert_string_equal(v, "vm\nrunner");
	free(v);
	v = field(dg, n, "SYSLOG_IDENTIFIER");
	assert_string_equal(v, "breaker");
	free(v);
	assert_true((n = recv(fd, dg, sizeof dg, MSG_DONTWAIT)) > 0);
	v = field(dg, n, "BREAKER_TYPE");
	assert_string_equal(v, "job");
	free(v);
	v = field(dg, n, "GITHUB_RUN_ID");
	assert_string_equal(v, "24000000001");
	free(v);
	assert_true(recv(fd, dg, sizeof dg, MSG_DONTWAIT) == -1);
	close(fd);
	/* no journal listening: an error, logged, never a crash */
	recs = events_records(&f->ej);
	assert_int_equal(events_journal("/nonexistent/journal", recs), -1);
	cJSON_Delete(recs);
}

static double
prom(const char *path, const char *series)
{
	char	 line[1024];
	FILE	*fp = fopen(path, "r");
	size_t	 n = strlen(series);
	double	 v = -1;

	assert_non_null(fp);
	while (fgets(line, sizeof line, fp) != NULL)
		if (strncmp(line, series, n) == 0 && line[n] == ' ')
			v = strtod(line + n + 1, NULL);
	fclose(fp);
	return v;
}

/* Counters add up across jobs; the file is replaced whole. */
static void
test_metrics(void **state)
{
	struct fixture	*f = *state;
	char		 path[128];

	add_verdict(f, "codex.auth.unauthorized", "stop", "stopped", "ok", 42,
	    T0 + 13);
	snprintf(f->ej.health.sandbox, sizeof f->ej.health.sandbox, "enforce");
	assert_int_equal(metrics_update(f->dir, &f->ej), 0);
	verdict_list_free(&f->list);
	add_verdict(f, "codex.auth.unauthorized", "would-stop", "observe",
	    NULL, 0, 0);
	f->ej.observe = 1;
	f->ej.health.sources_unreadable = 1;
	assert_int_equal(metrics_update(f->dir, &f->ej), 0);
	verdict_list_free(&f->list);
	f->ej.health.sources_unreadable = 0;
	assert_int_equal(metrics_update(f->dir, &f->ej), 0);

	snprintf(path, sizeof path, "%s/breaker-vm-runner-01.prom", f->dir);
	assert_true(prom(path, "breaker_jobs_total{runner=\"vm-runner-01\"}")
	    == 3);
	assert_true(prom(path, "breaker_verdicts_total{runner=\"vm-runner-01\","
	    "rule=\"codex.auth.unauthorized\",severity=\"fatal\","
	    "outcome=\"stopped\"}") == 1);
	assert_true(prom(path, "breaker_verdicts_total{runner=\"vm-runner-01\","
	    "rule=\"codex.auth.unauthorized\",severity=\"fatal\","
	    "outcome=\"observe\"}") == 1);
	assert_true(prom(path, "breaker_stops_total{runner=\"vm-runner-01\","
	    "outcome=\"stopped\"}") == 1);
	assert_true(prom(path, "breaker_seconds_saved_total{runner="
	    "\"vm-runner-01\",basis=\"observed\"}") == 88);
	assert_true(prom(path, "breaker_seconds_saved_total{runner="
	    "\"vm-runner-01\",basis=\"estimated\"}") ==
	    EVENTS_STEP_TIMEOUT - 13);
	assert_true(prom(path, "breaker_sources_unreadable_total{runner="
	    "\"vm-runner-01\"}") == 1);
	assert_true(prom(path, "breaker_jobs_by_sandbox_total{runner="
	    "\"vm-runner-01\",sandbox=\"enforce\"}") == 3);
	assert_true(access(path, F_OK) == 0);
}

/*
 * The previous file is read without following a link planted under its
 * name (the textfile directory may be shared): the counters start again
 * instead of adding whatever the link's target says.
 */
static void
test_metrics_link_refused(void **state)
{
	struct fixture	*f = *state;
	char		 path[128], bait[128];
	FILE		*fp;

	snprintf(bait, sizeof bait, "%s/bait", f->dir);
	assert_non_null(fp = fopen(bait, "w"));
	fprintf(fp, "breaker_jobs_total{runner=\"vm-runner-01\"} 1000\n");
	fclose(fp);
	snprintf(path, sizeof path, "%s/breaker-vm-runner-01.prom", f->dir);
	assert_int_equal(symlink(bait, path), 0);
	assert_int_equal(metrics_update(f->dir, &f->ej), 0);
	assert_true(prom(path, "breaker_jobs_total{runner=\"vm-runner-01\"}")
	    == 1);
}

static int
load_config(const char *dir, const char *json, char **errors)
{
	struct policy_load_args	 a;
	struct policy		*p;
	char			 path[128];
	FILE			*fp;

	snprintf(path, sizeof path, "%s/config.json", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs(json, fp);
	fclose(fp);
	memset(&a, 0, sizeof a);
	a.config = path;
	a.no_defaults = 1;
	p = policy_load(&a, errors);
	if (p == NULL)
		return -1;
	assert_string_equal(policy_fleet(p)->events_file, "/var/log/b.jsonl");
	assert_int_equal(policy_fleet(p)->journald, 0);
	policy_free(p);
	return 0;
}

static void
test_config(void **state)
{
	struct fixture	*f = *state;
	char		*errors = NULL;

	assert_int_equal(load_config(f->dir, "{\"version\": 1, \"events\": "
	    "{\"file\": \"/var/log/b.jsonl\", \"journald\": \"off\"}, "
	    "\"metrics\": {\"textfile_dir\": \"/var/lib/node\"}}", &errors), 0);
	free(errors);
	errors = NULL;
	assert_int_equal(load_config(f->dir, "{\"version\": 1, \"events\": "
	    "{\"file\": \"events.jsonl\", \"journald\": \"yes\"}, "
	    "\"metrics\": {\"textfile\": \"/x\"}}", &errors), -1);
	assert_non_null(strstr(errors, "events.file: must be an absolute path"));
	assert_non_null(strstr(errors, "events.journald: unknown value"));
	assert_non_null(strstr(errors, "metrics.textfile: unknown key"));
	free(errors);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outcome, setup, teardown),
		cmocka_unit_test_setup_teardown(test_saved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_link_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
	};

	log_init("test_events", LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
