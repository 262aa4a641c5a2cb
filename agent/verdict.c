/*
 * A fired rule as a structured record, and its life on disk.
 *
 * A verdict is persisted before any action runs and rewritten when the
 * action's outcome is known, so `breaker finish` can report from disk alone
 * even when the daemon crashed. Every write goes to a temporary file in the
 * state directory, is fsynced, renamed over the final name and the directory
 * fsynced: a reader sees the old record or the new one, never half of one.
 *
 * Evidence lines are engine text, hostile by assumption: only a redacted,
 * neutralised, capped copy is ever kept, so nothing downstream (JSON on
 * disk, the annotation, the job summary, the log) can hold a secret or a
 * workflow command that came from the engine.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "file.h"
#include "log.h"
#include "proc_stop.h"
#include "sanitise.h"
#include "util.h"
#include "verdict.h"
#include "xalloc.h"

#define VERDICT_FORMAT		1		/* "version" in the JSON */
#define VERDICT_FILE_MAX	(4 << 20)	/* larger files are corrupt */
#define VERDICT_U53		9007199254740992.0 /* 2^53: exact in a double */

const struct util_enum severity_table[] = {
	{ "fatal", SEVERITY_FATAL }, { "warning", SEVERITY_WARNING },
	{ "notice", SEVERITY_NOTICE },
};
const size_t severity_ntable = nitems(severity_table);

static const char *action_names[] = {
	[VERDICT_NONE] = "none",
	[VERDICT_RECORD] = "record",
	[VERDICT_STOP] = "stop",
	[VERDICT_WOULD_STOP] = "would-stop",
};

static const char *outcome_names[] = {
	[VERDICT_OUTCOME_NONE] = "none",
	[VERDICT_OUTCOME_RECORDED] = "recorded",
	[VERDICT_OUTCOME_OBSERVE] = "observe",
	[VERDICT_OUTCOME_STOPPED] = "stopped",
	[VERDICT_OUTCOME_NOT_FOUND] = "not-found",
	[VERDICT_OUTCOME_NOT_PERMITTED] = "not-permitted",
	[VERDICT_OUTCOME_FAILED] = "failed",
};

static int
name_index(const char **names, size_t n, const char *s)
{
	size_t	i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

const char *
verdict_action_name(enum verdict_action a)
{
	return (size_t)a < nitems(action_names) ? action_names[a] : "none";
}

int
verdict_action_parse(const char *s)
{
	return name_index(action_names, nitems(action_names), s);
}

const char *
verdict_outcome_name(enum verdict_outcome o)
{
	return (size_t)o < nitems(outcome_names) ? outcome_names[o] : "none";
}

int
verdict_outcome_parse(const char *s)
{
	return name_index(outcome_names, nitems(outcome_names), s);
}

int
verdict_outcome_is_failure(enum verdict_outcome o)
{
	return o == VERDICT_OUTCOME_NOT_FOUND ||
	    o == VERDICT_OUTCOME_NOT_PERMITTED || o == VERDICT_OUTCOME_FAILED;
}

/*
 * A file written before "outcome" existed: the outcome as the readers of
 * those files guessed it, from the action, the stop fields and the words.
 */
static enum verdict_outcome
legacy_outcome(const struct verdict *v)
{
	if (v->observe || v->action == VERDICT_WOULD_STOP)
		return VERDICT_OUTCOME_OBSERVE;
	if (v->action != VERDICT_STOP)
		return v->action == VERDICT_NONE ? VERDICT_OUTCOME_NONE :
		    VERDICT_OUTCOME_RECORDED;
	if (v->stopped_at > 0)
		return VERDICT_OUTCOME_STOPPED;
	if (v->action_result != NULL &&
	    strstr(v->action_result, "permission denied") != NULL)
		return VERDICT_OUTCOME_NOT_PERMITTED;
	return v->stop_pid > 0 ? VERDICT_OUTCOME_FAILED :
	    VERDICT_OUTCOME_NOT_FOUND;
}

struct verdict *
verdict_new(void)
{
	struct verdict	*v;

	v = xcalloc(1, sizeof *v);
	v->stop_exit = -1;
	return v;
}

void
verdict_free(struct verdict *v)
{
	size_t	i;

	if (v == NULL)
		return;
	free(v->rule_id);
	free(v->title);
	free(v->source);
	free(v->message);
	for (i = 0; i < v->nevidence; i++)
		free(v->evidence[i]);
	free(v->action_result);
	free(v->stop_target);
	free(v->stop_signal);
	free(v->api_result);
	free(v);
}

void
verdict_list_free(struct verdict_list *list)
{
	struct verdict	*v;

	while ((v = TAILQ_FIRST(list)) != NULL) {
		TAILQ_REMOVE(list, v, entry);
		verdict_free(v);
	}
}

void
verdict_set(char **field, const char *value)
{
	free(*field);
	*field = value != NULL ? xstrdup(value) : NULL;
}

const char *
severity_name(enum severity s)
{
	const char	*name = util_enum_name(severity_table, severity_ntable,
	    (int)s);

	return name != NULL ? name : "unknown";
}

int
severity_parse(const char *name)
{
	int	s;

	if (util_enum_value(severity_table, severity_ntable, name, &s) == 0)
		return s;
	/* "error" is what the runner calls it; accept it as an alias. */
	if (name != NULL && strcmp(name, "error") == 0)
		return SEVERITY_FATAL;
	return -1;
}

/* Cut `s` in place to at most `max` bytes, on a UTF-8 boundary, marked. */
/*
 * Keep the first line (the first sign of trouble) and the most recent
 * ones (what finally fired): when full, the second-oldest line goes.
 */
void
verdict_add_evidence(struct verdict *v, const char *line, size_t len)
{
	char	*clean;

	if (line == NULL)
		return;
	/* The whole line, then the cut: a cut never splits a secret. */
	clean = sanitise_text_cut(line, len, VERDICT_MAX_EVIDENCE_LEN);

	if (v->nevidence == VERDICT_MAX_EVIDENCE) {
		free(v->evidence[1]);
		memmove(&v->evidence[1], &v->evidence[2],
		    (VERDICT_MAX_EVIDENCE - 2) * sizeof v->evidence[0]);
		v->nevidence--;
		v->evidence_dropped++;
	}
	v->evidence[v->nevidence++] = clean;
}

/* JSON numbers are doubles: integers past 2^53 travel as strings. */
static void
json_add_u64(cJSON *o, const char *key, uint64_t n)
{
	char	buf[32];

	if ((double)n < VERDICT_U53)
		cJSON_AddNumberToObject(o, key, (double)n);
	else {
		snprintf(buf, sizeof buf, "%" PRIu64, n);
		cJSON_AddStringToObject(o, key, buf);
	}
}

cJSON *
verdict_to_json(const struct verdict *v)
{
	cJSON	*o, *ev;
	size_t	 i;

	o = cJSON_CreateObject();
	if (o == NULL)
		fatalx("verdict_to_json: out of memory");
	cJSON_AddNumberToObject(o, "version", VERDICT_FORMAT);
	cJSON_AddNumberToObject(o, "seq", v->seq);
	json_add_str_or_null(o, "rule_id", v->rule_id);
	json_add_str_or_null(o, "title", v->title);
	cJSON_AddStringToObject(o, "severity", severity_name(v->severity));
	json_add_str_or_null(o, "source", v->source);
	json_add_str_or_null(o, "message", v->message);
	json_add_u64(o, "line_no", v->line_no);
	json_add_u64(o, "count", v->count);
	if (v->line_cut > 0)
		json_add_u64(o, "line_cut", v->line_cut);
	cJSON_AddNumberToObject(o, "first_seen", v->first_seen);
	cJSON_AddNumberToObject(o, "fired_at", v->fired_at);
	cJSON_AddBoolToObject(o, "observe", v->observe != 0);
	ev = cJSON_AddArrayToObject(o, "evidence");
	for (i = 0; i < v->nevidence; i++)
		cJSON_AddItemToArray(ev, cJSON_CreateString(v->evidence[i]));
	json_add_u64(o, "evidence_dropped", v->evidence_dropped);
	cJSON_AddStringToObject(o, "action", verdict_action_name(v->action));
	cJSON_AddStringToObject(o, "outcome",
	    verdict_outcome_name(v->outcome));
	json_add_str_or_null(o, "action_result", v->action_result);
	json_add_str_or_null(o, "stop_target", v->stop_target);
	cJSON_AddNumberToObject(o, "stop_pid", v->stop_pid);
	json_add_str_or_null(o, "stop_signal", v->stop_signal);
	cJSON_AddNumberToObject(o, "stopped_at", v->stopped_at);
	cJSON_AddNumberToObject(o, "stop_exit", v->stop_exit);
	json_add_str_or_null(o, "api_result", v->api_result);
	if (v->unsaved)
		cJSON_AddBoolToObject(o, "unsaved", 1);
	return o;
}

/* Optional string: absent or null is NULL; another type is an error. */
static int
json_get_str(const cJSON *o, const char *key, char **out)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (it == NULL || cJSON_IsNull(it))
		return 0;
	if (!cJSON_IsString(it))
		return -1;
	verdict_set(out, it->valuestring);
	return 0;
}

static int
json_get_u64(const cJSON *o, const char *key, uint64_t *out)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(o, key);
	char		*end;

	if (it == NULL)
		return 0;
	if (cJSON_IsNumber(it)) {
		if (!(it->valuedouble >= 0 && it->valuedouble < VERDICT_U53) ||
		    it->valuedouble != floor(it->valuedouble))
			return -1;
		*out = (uint64_t)it->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(it) || it->valuestring[0] < '0' ||
	    it->valuestring[0] > '9')
		return -1;
	errno = 0;
	*out = strtoull(it->valuestring, &end, 10);
	return (errno != 0 || *end != '\0') ? -1 : 0;
}

static int
json_get_double(const cJSON *o, const char *key, double *out)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (it == NULL)
		return 0;
	if (!cJSON_IsNumber(it))
		return -1;
	*out = it->valuedouble;
	return 0;
}

static int
json_get_int(const cJSON *o, const char *key, int *out)
{
	double	d = *out;

	if (json_get_double(o, key, &d) == -1 || d != floor(d) ||
	    d < -2147483648.0 || d > 2147483647.0)
		return -1;
	*out = (int)d;
	return 0;
}

static int
verdict_evidence_from_json(struct verdict *v, const cJSON *o)
{
	const cJSON	*ev = cJSON_GetObjectItemCaseSensitive(o, "evidence");
	const cJSON	*it;

	if (ev == NULL || cJSON_IsNull(ev))
		return 0;
	if (!cJSON_IsArray(ev))
		return -1;
	cJSON_ArrayForEach(it, ev) {
		if (!cJSON_IsString(it))
			return -1;
		if (v->nevidence == VERDICT_MAX_EVIDENCE) {
			v->evidence_dropped++;
			continue;
		}
		/* An edited file is engine text too: the same one path. */
		v->evidence[v->nevidence++] = sanitise_text_cut(
		    it->valuestring, strlen(it->valuestring),
		    VERDICT_MAX_EVIDENCE_LEN);
	}
	return 0;
}

/* Required: seq >= 1, rule_id, a known severity. Unknown keys are ignored. */
struct verdict *
verdict_from_json(const cJSON *o)
{
	struct verdict	*v;
	const cJSON	*it;
	uint64_t	 seq = 0;
	char		*sev = NULL, *action = NULL, *outcome = NULL;
	int		 s, a, out, bad = 0;

	if (!cJSON_IsObject(o))
		return NULL;
	v = verdict_new();
	bad |= json_get_u64(o, "seq", &seq);
	bad |= json_get_str(o, "rule_id", &v->rule_id);
	bad |= json_get_str(o, "title", &v->title);
	bad |= json_get_str(o, "severity", &sev);
	bad |= json_get_str(o, "source", &v->source);
	bad |= json_get_str(o, "message", &v->message);
	bad |= json_get_u64(o, "line_no", &v->line_no);
	bad |= json_get_u64(o, "count", &v->count);
	bad |= json_get_u64(o, "line_cut", &v->line_cut);
	bad |= json_get_double(o, "first_seen", &v->first_seen);
	bad |= json_get_double(o, "fired_at", &v->fired_at);
	if ((it = cJSON_GetObjectItemCaseSensitive(o, "observe")) != NULL) {
		if (!cJSON_IsBool(it))
			bad = -1;
		v->observe = cJSON_IsTrue(it);
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(o, "unsaved")) != NULL) {
		if (!cJSON_IsBool(it))
			bad = -1;
		v->unsaved = cJSON_IsTrue(it);
	}
	bad |= verdict_evidence_from_json(v, o);
	bad |= json_get_u64(o, "evidence_dropped", &v->evidence_dropped);
	bad |= json_get_str(o, "action", &action);
	bad |= json_get_str(o, "outcome", &outcome);
	bad |= json_get_str(o, "action_result", &v->action_result);
	bad |= json_get_str(o, "stop_target", &v->stop_target);
	bad |= json_get_int(o, "stop_pid", &v->stop_pid);
	bad |= json_get_str(o, "stop_signal", &v->stop_signal);
	bad |= json_get_double(o, "stopped_at", &v->stopped_at);
	bad |= json_get_int(o, "stop_exit", &v->stop_exit);
	bad |= json_get_str(o, "api_result", &v->api_result);

	s = severity_parse(sev);
	a = action == NULL ? VERDICT_NONE : verdict_action_parse(action);
	out = outcome == NULL ? -2 : verdict_outcome_parse(outcome);
	free(sev);
	free(action);
	free(outcome);
	if (bad || s == -1 || a == -1 || out == -1 || seq < 1 || seq > UINT32_MAX ||
	    v->rule_id == NULL) {
		verdict_free(v);
		return NULL;
	}
	v->severity = (enum severity)s;
	v->seq = (unsigned)seq;
	v->action = (enum verdict_action)a;
	v->outcome = out >= 0 ? (enum verdict_outcome)out : legacy_outcome(v);
	return v;
}

int
verdict_persist(const struct verdict *v, const char *state_dir)
{
	return verdict_write(v, state_dir, 1);
}

/*
 * Through file_write_atomic: a temporary beside the final name, O_EXCL and
 * O_NOFOLLOW (a planted symlink is refused), then renamed over it, so a
 * reader sees a whole record or none.
 */
int
verdict_write(const struct verdict *v, const char *state_dir, int durable)
{
	char	*path = NULL, *text = NULL, *buf = NULL;
	cJSON	*o;
	int	 rv = -1;

	xasprintf(&path, "%s/verdict-%04u.json", state_dir, v->seq);
	o = verdict_to_json(v);
	text = cJSON_Print(o);
	cJSON_Delete(o);
	if (text == NULL) {
		log_warnx("verdict %u: cannot render JSON", v->seq);
		goto out;
	}
	xasprintf(&buf, "%s\n", text);
	if (file_write_atomic(AT_FDCWD, path, buf, strlen(buf), durable) == -1) {
		log_warn("verdict %u: writing %s", v->seq, path);
		goto out;
	}
	rv = 0;
out:
	free(buf);
	free(text);
	free(path);
	return rv;
}

/* "verdict-<digits>.json" exactly; anything else (temp files) is not ours. */
static int
verdict_file_name(const char *name)
{
	const char	*p;

	if (strncmp(name, "verdict-", 8) != 0)
		return 0;
	for (p = name + 8; *p >= '0' && *p <= '9'; p++)
		;
	return p > name + 8 && strcmp(p, ".json") == 0;
}

static struct verdict *
verdict_load_one(const char *dir, const char *name)
{
	struct verdict	*v = NULL;
	char		*path, *text;
	cJSON		*o;

	xasprintf(&path, "%s/%s", dir, name);
	/* Not a FIFO, link or device planted under a verdict's name. */
	if ((text = file_read_small(AT_FDCWD, path, VERDICT_FILE_MAX,
	    FILE_OWNED, NULL, NULL)) == NULL)
		log_warnx("skipping verdict file %s: %s", path,
		    file_why(errno));
	else if ((o = cJSON_Parse(text)) == NULL)
		log_warnx("skipping verdict file %s: not JSON", path);
	else {
		if ((v = verdict_from_json(o)) == NULL)
			log_warnx("skipping verdict file %s: not a verdict",
			    path);
		cJSON_Delete(o);
	}
	free(text);
	free(path);
	return v;
}

static int
verdict_cmp(const void *a, const void *b)
{
	const struct verdict	*va = *(struct verdict * const *)a;
	const struct verdict	*vb = *(struct verdict * const *)b;

	return (va->seq > vb->seq) - (va->seq < vb->seq);
}

/*
 * Returns the number of verdicts appended to `list`, 0 when the directory
 * does not exist (nothing was ever persisted), -1 when it cannot be read.
 */
int
verdict_load_all(const char *state_dir, struct verdict_list *list)
{
	struct verdict	**all = NULL, *v;
	struct dirent	 *de;
	DIR		 *d;
	size_t		  n = 0, cap = 0, i;

	if ((d = opendir(state_dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		log_warn("verdicts: %s", state_dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!verdict_file_name(de->d_name))
			continue;
		if ((v = verdict_load_one(state_dir, de->d_name)) == NULL)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			all = xreallocarray(all, cap, sizeof *all);
		}
		all[n++] = v;
	}
	closedir(d);
	if (n > 0)
		qsort(all, n, sizeof *all, verdict_cmp);
	for (i = 0; i < n; i++)
		TAILQ_INSERT_TAIL(list, all[i], entry);
	free(all);
	return (int)n;
}

/* ---- queries: what a verdict says, for the annotation and summary ---- */

int
verdict_observed(const struct verdict *v, int job_observe)
{
	return v->observe || job_observe || v->action == VERDICT_WOULD_STOP;
}

int
verdict_stopped(const struct verdict *v)
{
	return v->action == VERDICT_STOP;
}

/* A wait status in words: "exit 130", "killed by SIGKILL". */
static void
describe_status(char *buf, size_t size, int status)
{
	const char	*name;

	if (status == -1)
		snprintf(buf, size, "exit status unknown");
	else if (WIFEXITED(status))
		snprintf(buf, size, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status)) {
		name = sigabbrev_np(WTERMSIG(status));
		if (name != NULL)
			snprintf(buf, size, "killed by SIG%s", name);
		else
			snprintf(buf, size, "killed by signal %d",
			    WTERMSIG(status));
	} else
		snprintf(buf, size, "status %d", status);
}

enum verdict_report
verdict_report(const struct verdict *v, int job_observe)
{
	if (v->severity == SEVERITY_FATAL && verdict_observed(v, job_observe))
		return VERDICT_REPORT_OBSERVED;
	if (!verdict_stopped(v))
		return v->action == VERDICT_NONE ? VERDICT_REPORT_NONE :
		    VERDICT_REPORT_RECORDED;
	/* A target found but never signalled (EPERM…) was not stopped. */
	if (v->stop_pid <= 0 || (v->stop_signal == NULL && v->stopped_at <= 0))
		return VERDICT_REPORT_FAILED;
	return v->stopped_at > 0 || v->stop_exit != -1 ?
	    VERDICT_REPORT_STOPPED : VERDICT_REPORT_TRIED;
}

char *
verdict_describe_stop(const struct verdict *v)
{
	char	 st[64] = "", *target, *sig, *out;

	target = sanitise_str(v->stop_target != NULL ? v->stop_target :
	    "engine");
	sig = sanitise_str(v->stop_signal != NULL ? v->stop_signal : "none");
	if (v->stop_exit != -1) {
		st[0] = ',';
		st[1] = ' ';
		describe_status(st + 2, sizeof st - 2, v->stop_exit);
	}
	xasprintf(&out, "%s (pid %d), last signal %s%s", target, v->stop_pid,
	    sig, st);
	free(target);
	free(sig);
	return out;
}

/* What was done, as one sentence. */
static void
write_action(FILE *f, const struct verdict *v, int job_observe)
{
	char	*res = v->action_result != NULL ?
	    sanitise_str(v->action_result) : NULL;
	char	*stop = verdict_describe_stop(v), *nots;

	switch (verdict_report(v, job_observe)) {
	case VERDICT_REPORT_OBSERVED:
		fprintf(f, "Observe mode: breaker would have stopped the "
		    "engine; it was left running.");
		break;
	case VERDICT_REPORT_STOPPED:
		fprintf(f, "breaker stopped the engine: %s.", stop);
		/* a look-alike passed over (proc_stop.c) is part of the story */
		if (res != NULL && (nots = strstr(res, PROC_NOT_SIGNALLED)) !=
		    NULL)
			fprintf(f, " N%s.", nots + 1);
		break;
	case VERDICT_REPORT_TRIED:
		fprintf(f, "breaker tried to stop the engine: %s; %s.", stop,
		    res != NULL ? res : "it was not seen to exit");
		break;
	case VERDICT_REPORT_FAILED:
		fprintf(f, "breaker could not stop the engine: %s.",
		    res != NULL ? res : "no engine process was found");
		break;
	case VERDICT_REPORT_NONE:
		fprintf(f, "No action was configured.");
		break;
	case VERDICT_REPORT_RECORDED:
		/* e.g. why a fatal verdict was not the job's (watch.c) */
		fprintf(f, "Recorded only (severity %s); the engine was left "
		    "running%s%s.", severity_name(v->severity),
		    res != NULL ? ": " : "", res != NULL ? res : "");
		break;
	}
	free(stop);
	free(res);
}

char *
verdict_message(const struct verdict *v, int job_observe, const char *hint)
{
	char	*buf = NULL, *head, *id, *src, *ev, *api;
	size_t	 size = 0;
	FILE	*f;

	if ((f = open_memstream(&buf, &size)) == NULL)
		fatal("open_memstream");
	head = sanitise_str(v->message != NULL && *v->message != '\0' ?
	    v->message : v->title != NULL ? v->title : v->rule_id);
	id = sanitise_str(v->rule_id);
	src = sanitise_str(v->source != NULL ? v->source : "?");
	if (hint != NULL && *hint != '\0') {
		fprintf(f, "%s\nWhat to do: ", head);
		free(head);
		head = sanitise_str(hint);
	}
	fprintf(f, "%s\nRule %s (%s) fired on %s line %llu", head, id,
	    severity_name(v->severity), src, (unsigned long long)v->line_no);
	if (v->line_cut > 0)
		fprintf(f, " (from a line cut at %llu bytes)",
		    (unsigned long long)v->line_cut);
	if (v->count > 1)
		fprintf(f, " after %llu events", (unsigned long long)v->count);
	fprintf(f, ".\n");
	write_action(f, v, job_observe);
	if (v->nevidence > 0) {
		/* Evidence is stored sanitised; sanitising again is a no-op
		 * for honest files and a guard against edited ones. */
		ev = sanitise_str(v->evidence[v->nevidence - 1]);
		fprintf(f, "\nEvidence: %s", ev);
		free(ev);
	}
	if (v->api_result != NULL) {
		api = sanitise_str(v->api_result);
		fprintf(f, "\nGitHub API: %s", api);
		free(api);
	}
	fclose(f);
	free(head);
	free(id);
	free(src);
	return buf;
}

char *
verdict_title(const struct verdict *v)
{
	return sanitise_str(v->title != NULL && *v->title != '\0' ?
	    v->title : v->rule_id);
}
