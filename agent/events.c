/*
 * One structured record per verdict and one per job, schema
 * "breaker.event/1" (docs/events.md): built once as JSON, then written as
 * JSON lines and as journald fields, so the two never disagree.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "annotate.h"
#include "events.h"
#include "file.h"
#include "job.h"
#include "log.h"
#include "policy.h"
#include "sanitise.h"
#include "util.h"
#include "verdict.h"
#include "xalloc.h"

#define HEALTH_MAX	512
#define JOURNAL_VALUE_MAX 4096	/* a field's bytes; longer ones are cut */

int
events_health_save(struct job *job, const char *sandbox, unsigned unreadable)
{
	char	buf[HEALTH_MAX];
	int	n;

	n = snprintf(buf, sizeof buf, "{\"sandbox\":\"%s\","
	    "\"sources_unreadable\":%u}\n", sandbox, unreadable);
	if (n < 0 || (size_t)n >= sizeof buf || job_open_dir(job) == -1 ||
	    file_write_atomic(job->dirfd, EVENTS_HEALTH_FILE, buf, (size_t)n,
	    0) == -1) {
		log_warn("%s/%s", job->dir, EVENTS_HEALTH_FILE);
		return -1;
	}
	return 0;
}

void
events_health_load(struct job *job, struct events_health *h)
{
	const cJSON	*c;
	cJSON		*root;
	char		*buf;

	memset(h, 0, sizeof *h);
	if (job_open_dir(job) == -1 || (buf = file_read_small(job->dirfd,
	    EVENTS_HEALTH_FILE, HEALTH_MAX, FILE_OWNED, NULL, NULL)) == NULL)
		return;
	root = cJSON_Parse(buf);
	free(buf);
	if (root == NULL)
		return;
	c = cJSON_GetObjectItemCaseSensitive(root, "sandbox");
	if (cJSON_IsString(c))
		snprintf(h->sandbox, sizeof h->sandbox, "%s", c->valuestring);
	c = cJSON_GetObjectItemCaseSensitive(root, "sources_unreadable");
	if (cJSON_IsNumber(c) && c->valuedouble >= 0)
		h->sources_unreadable = (unsigned)c->valuedouble;
	cJSON_Delete(root);
}

static int
is(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

/* Recorded where the stop's result was known (watch.c), never guessed. */
const char *
events_outcome(const struct verdict *v)
{
	return verdict_outcome_name(v->outcome);
}

int
events_is_warning(const char *outcome)
{
	int	o = verdict_outcome_parse(outcome);

	return o != -1 && verdict_outcome_is_failure((enum verdict_outcome)o);
}

const struct verdict *
events_first_stop(const struct events_job *ej)
{
	const struct verdict	*v;

	TAILQ_FOREACH(v, ej->verdicts, entry)
		if (v->action == VERDICT_STOP || v->action == VERDICT_WOULD_STOP)
			return v;
	return NULL;
}

double
events_saved(const struct events_job *ej, const char **basis)
{
	const struct verdict	*v = events_first_stop(ej);
	double			 s;

	*basis = NULL;
	if (v == NULL || v->fired_at <= 0)
		return -1;
	if (v->outcome == VERDICT_OUTCOME_OBSERVE) {
		if (ej->finished < v->fired_at)
			return -1;
		*basis = "observed";
		return ej->finished - v->fired_at;
	}
	if (v->outcome != VERDICT_OUTCOME_STOPPED || ej->started <= 0)
		return -1;
	s = ej->started + EVENTS_STEP_TIMEOUT - v->stopped_at;
	if (s <= 0)
		return -1;
	*basis = "estimated";
	return s;
}

/*
 * Engine text: redacted (keys and tokens never leave the runner) and
 * neutralised (an events file pointed at a job log, or a shipper that
 * prints it there, must never carry a workflow command).
 */
static void
add_redacted(cJSON *o, const char *key, const char *s)
{
	char	*r;

	if (s == NULL) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	r = sanitise_text(s, strlen(s));
	cJSON_AddStringToObject(o, key, r);
	free(r);
}

static void
add_time(cJSON *o, const char *key, double t)
{
	if (t > 0)
		cJSON_AddNumberToObject(o, key, (double)(int64_t)(t * 1000) /
		    1000);
	else
		cJSON_AddNullToObject(o, key);
}

/* Seconds to the millisecond: more digits would be noise. */
static void
add_secs(cJSON *o, const char *key, double s)
{
	if (s >= 0)
		cJSON_AddNumberToObject(o, key, (double)(int64_t)(s * 1000 +
		    0.5) / 1000);
	else
		cJSON_AddNullToObject(o, key);
}

static void
iso(double t, char *buf, size_t sz)
{
	struct tm	tm;
	time_t		s = (time_t)t;
	size_t		n;
	int		ms = (int)((t - (double)s) * 1000);

	gmtime_r(&s, &tm);
	n = strftime(buf, sz, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sz - n, ".%03dZ", ms < 0 ? 0 : ms > 999 ? 999 : ms);
}

static cJSON *
header(const struct events_job *ej, const char *type, double t,
    const char *level)
{
	const struct job	*j = ej->job;
	cJSON			*o = cJSON_CreateObject();
	char			 ts[40];

	iso(t, ts, sizeof ts);
	cJSON_AddStringToObject(o, "schema", EVENTS_SCHEMA);
	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddStringToObject(o, "time", ts);
	cJSON_AddStringToObject(o, "level", level);
	cJSON_AddStringToObject(o, "breaker_version", BREAKER_VERSION);
	json_add_str_or_null(o, "repository", j->repository);
	json_add_str_or_null(o, "run_id", j->run_id);
	json_add_str_or_null(o, "run_attempt", j->run_attempt);
	json_add_str_or_null(o, "job", j->job_key);
	json_add_str_or_null(o, "runner", j->runner_name);
	cJSON_AddStringToObject(o, "mode", ej->observe ? "observe" : "enforce");
	return o;
}

static cJSON *
events_verdict_record(const struct events_job *ej, const struct verdict *v)
{
	const char	*out = events_outcome(v);
	cJSON		*o;

	o = header(ej, "verdict", v->fired_at > 0 ? v->fired_at : ej->finished,
	    events_is_warning(out) ? "warning" : "info");
	cJSON_AddNumberToObject(o, "seq", v->seq);
	json_add_str_or_null(o, "rule", v->rule_id);
	cJSON_AddStringToObject(o, "severity", severity_name(v->severity));
	add_redacted(o, "title", v->title);
	add_redacted(o, "message", v->message);
	json_add_str_or_null(o, "source", v->source);
	cJSON_AddNumberToObject(o, "line", v->line_no);
	cJSON_AddNumberToObject(o, "count", v->count);
	add_time(o, "first_seen", v->first_seen);
	add_time(o, "fired_at", v->fired_at);
	json_add_str_or_null(o, "action", verdict_action_name(v->action));
	cJSON_AddStringToObject(o, "outcome", out);
	add_redacted(o, "outcome_detail", v->action_result);
	json_add_str_or_null(o, "target", v->stop_target);
	if (v->stop_pid > 0)
		cJSON_AddNumberToObject(o, "pid", v->stop_pid);
	else
		cJSON_AddNullToObject(o, "pid");
	json_add_str_or_null(o, "signal", v->stop_signal);
	add_time(o, "stopped_at", v->stopped_at);
	add_secs(o, "stop_seconds", v->stopped_at > 0 && v->fired_at > 0 ?
	    v->stopped_at - v->fired_at : -1);
	return o;
}

static int
unconfined(const struct events_health *h)
{
	return is(h->sandbox, "off") || is(h->sandbox, "unconfined");
}

static cJSON *
events_job_record(const struct events_job *ej)
{
	const struct verdict	*v, *stop = events_first_stop(ej);
	const char		*basis, *out = stop ? events_outcome(stop) :
	    "none";
	double			 saved = events_saved(ej, &basis);
	unsigned		 n = 0, fatal = 0;
	int			 warn;
	cJSON			*o;

	TAILQ_FOREACH(v, ej->verdicts, entry) {
		n++;
		fatal += v->severity == SEVERITY_FATAL;
	}
	warn = events_is_warning(out) || unconfined(&ej->health) ||
	    ej->health.sources_unreadable > 0 || ej->daemon_ended_early;
	o = header(ej, "job", ej->finished, warn ? "warning" : "info");
	add_time(o, "started", ej->started);
	add_time(o, "finished", ej->finished);
	add_secs(o, "duration_seconds", ej->started > 0 ? ej->finished -
	    ej->started : -1);
	cJSON_AddNumberToObject(o, "verdicts", n);
	cJSON_AddNumberToObject(o, "fatal", fatal);
	json_add_str_or_null(o, "rule", stop ? stop->rule_id : NULL);
	cJSON_AddStringToObject(o, "outcome", out);
	add_time(o, "fired_at", stop ? stop->fired_at : 0);
	add_secs(o, "saved_seconds", saved);
	json_add_str_or_null(o, "saved_basis", basis);
	json_add_str_or_null(o, "sandbox", ej->health.sandbox[0] ? ej->health.sandbox :
	    NULL);
	cJSON_AddNumberToObject(o, "sources_unreadable",
	    ej->health.sources_unreadable);
	cJSON_AddBoolToObject(o, "daemon_ended_early",
	    ej->daemon_ended_early);
	return o;
}

cJSON *
events_records(const struct events_job *ej)
{
	const struct verdict	*v;
	cJSON			*a = cJSON_CreateArray();

	TAILQ_FOREACH(v, ej->verdicts, entry)
		cJSON_AddItemToArray(a, events_verdict_record(ej, v));
	cJSON_AddItemToArray(a, events_job_record(ej));
	return a;
}

int
events_write_file(const char *path, const cJSON *records)
{
	const cJSON	*r;
	char		*line, *buf = NULL;
	size_t		 len = 0, n;
	int		 fd, rc = 0;

	cJSON_ArrayForEach(r, records) {
		line = cJSON_PrintUnformatted(r);
		n = strlen(line);
		buf = xreallocarray(buf, len + n + 2, 1);
		memcpy(buf + len, line, n);
		buf[len + n] = '\n';
		len += n + 1;
		free(line);
	}
	if (len == 0)
		return 0;
	/* One append of whole lines: a shipper tailing the file never
	 * reads half a record, and two runners sharing it never interleave
	 * inside one. */
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0640)) == -1) {
		log_warn("events file %s", path);
		free(buf);
		return -1;
	}
	if (write(fd, buf, len) != (ssize_t)len) {
		log_warn("events file %s: short write", path);
		rc = -1;
	}
	if (close(fd) == -1)
		rc = -1;
	free(buf);
	return rc;
}

/* "run_id" -> GITHUB_RUN_ID, "rule" -> BREAKER_RULE: a name journalctl
 * matches (upper case, digits, underscore). */
static void
journal_name(const char *key, char *buf, size_t sz)
{
	static const struct { const char *key, *name; } known[] = {
		{ "repository", "GITHUB_REPOSITORY" },
		{ "run_id", "GITHUB_RUN_ID" },
		{ "run_attempt", "GITHUB_RUN_ATTEMPT" },
		{ "job", "GITHUB_JOB" },
		{ "runner", "RUNNER_NAME" },
	};
	size_t	i, n;

	for (i = 0; i < nitems(known); i++)
		if (strcmp(key, known[i].key) == 0) {
			snprintf(buf, sz, "%s", known[i].name);
			return;
		}
	n = (size_t)snprintf(buf, sz, "BREAKER_");
	for (; *key != '\0' && n + 1 < sz; key++)
		buf[n++] = isalnum((unsigned char)*key) ?
		    toupper((unsigned char)*key) : '_';
	buf[n] = '\0';
}

/* KEY=value\n, or journald's binary form when the value has a newline. */
static void
journal_field(FILE *f, const char *name, const char *val)
{
	size_t		vl = strlen(val);
	uint64_t	le;
	int		i;

	if (vl > JOURNAL_VALUE_MAX)
		vl = JOURNAL_VALUE_MAX;
	fputs(name, f);
	if (memchr(val, '\n', vl) == NULL)
		fputc('=', f);
	else {
		fputc('\n', f);
		for (i = 0, le = vl; i < 8; i++, le >>= 8)
			fputc((int)(le & 0xff), f);
	}
	fwrite(val, 1, vl, f);
	fputc('\n', f);
}

static char *
journal_message(const cJSON *r)
{
	const char	*type = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(r, "type"));
	const char	*repo = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(r, "repository"));
	const char	*run = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(r, "run_id"));
	const char	*rule = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(r, "rule"));
	const char	*out = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(r, "outcome"));
	char		*m;

	if (is(type, "verdict"))
		xasprintf(&m, "breaker: %s in %s run %s: %s", rule ? rule : "?",
		    repo ? repo : "?", run ? run : "?", out ? out : "?");
	else
		xasprintf(&m, "breaker: job of %s run %s finished: %s%s%s",
		    repo ? repo : "?", run ? run : "?", out ? out : "?",
		    rule ? " by " : "", rule ? rule : "");
	return m;
}

static char *
journal_datagram(const cJSON *r, size_t *len)
{
	const cJSON	*c;
	char		*buf = NULL, name[64], *val;
	const char	*level = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(r, "level"));
	FILE		*f;

	if ((f = open_memstream(&buf, len)) == NULL)
		fatal("open_memstream");
	val = journal_message(r);
	journal_field(f, "MESSAGE", val);
	free(val);
	/* 4 warning, 6 info: a failure to stop must pass a level filter */
	journal_field(f, "PRIORITY", is(level, "warning") ? "4" : "6");
	journal_field(f, "SYSLOG_IDENTIFIER", "breaker");
	cJSON_ArrayForEach(c, r) {
		if (cJSON_IsNull(c))
			continue;
		journal_name(c->string, name, sizeof name);
		if (cJSON_IsString(c)) {
			journal_field(f, name, c->valuestring);
			continue;
		}
		val = cJSON_PrintUnformatted(c);
		journal_field(f, name, val);
		free(val);
	}
	fclose(f);
	return buf;
}

int
events_journal(const char *path, const cJSON *records)
{
	struct sockaddr_un	 sun;
	const cJSON		*r;
	char			*dg;
	size_t			 len;
	int			 fd, rc = 0;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		log_warnx("journal socket path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("journal socket");
		return -1;
	}
	cJSON_ArrayForEach(r, records) {
		dg = journal_datagram(r, &len);
		if (sendto(fd, dg, len, MSG_NOSIGNAL, (struct sockaddr *)&sun,
		    sizeof sun) == -1) {
			log_warn("journal %s", path);
			rc = -1;
		}
		free(dg);
		if (rc == -1)
			break;
	}
	close(fd);
	return rc;
}

void
events_finish(const struct policy *p, struct events_job *ej)
{
	const struct policy_fleet	*f = policy_fleet(p);
	struct stat			 sb;
	cJSON				*records;

	if (ej->job->dir != NULL)
		events_health_load(ej->job, &ej->health);
	records = events_records(ej);
	if (f->events_file != NULL)
		events_write_file(f->events_file, records);
	/* "auto": only where a journal listens (systemd hosts, not ARC) */
	if (f->journald && f->journald_socket != NULL &&
	    stat(f->journald_socket, &sb) == 0 && S_ISSOCK(sb.st_mode))
		events_journal(f->journald_socket, records);
	cJSON_Delete(records);
}
