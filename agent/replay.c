/*
 * `breaker replay`: the detection pipeline run offline over whole files,
 * with the same code the daemon runs live, and a report in the spirit of
 * fail2ban-regex: lines read, hits per rule, each rule's first matching
 * lines, and the verdicts in the order they would have fired. Files are read
 * in large chunks and split by lines.c, exactly as the tailer does.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lines.h"
#include "log.h"
#include "pipeline.h"
#include "policy.h"
#include "replay.h"
#include "sanitise.h"
#include "util.h"
#include "verdict.h"
#include "xalloc.h"

#define CHUNK		(1024 * 1024)
#define EXAMPLE_LEN	200

struct example {
	uint64_t	 line_no;
	char		*text;		/* redacted, neutralised, capped */
};

struct rrule {
	struct example	*ex;
	size_t		 nex;
};

struct rsource {
	const char	*name;
	const char	*path;
	size_t		 idx;		/* policy source index */
	uint64_t	 bytes;
	struct lines_stats st;
	uint64_t	 stamped;	/* lines that had the runner's prefix */
	int		 read_error;
};

struct replay {
	const struct policy	*policy;
	struct pipeline		*pl;
	struct rsource		*src;
	size_t			 nsrc;
	struct rrule		*rules;
	size_t			 nrules;
	size_t			 max_examples;
	struct verdict_list	 verdicts;
	unsigned		 seq;
	size_t			 cur;		/* source being read */
	int			 fatal;
	double			 elapsed;	/* reading, seconds */
	double			 first_time;	/* earliest runner stamp, 0 */
	double			 last_time;	/* latest line time, 0 */
};

static void
on_verdict(struct verdict *v, void *arg)
{
	struct replay	*r = arg;

	v->seq = ++r->seq;
	if (v->severity == SEVERITY_FATAL)
		r->fatal = 1;
	TAILQ_INSERT_TAIL(&r->verdicts, v, entry);
}

/* The one sanitising path: the whole line, then the cut. */
static char *
clean(const char *s, size_t len)
{
	return sanitise_text_cut(s, len, EXAMPLE_LEN);
}

static void
on_hit(size_t rule, const char *line, size_t len, uint64_t line_no,
    void *arg)
{
	struct replay	*r = arg;
	struct rrule	*rr = &r->rules[rule];

	if (rr->nex >= r->max_examples)
		return;
	rr->ex = xreallocarray(rr->ex, rr->nex + 1, sizeof *rr->ex);
	rr->ex[rr->nex].line_no = line_no;
	rr->ex[rr->nex].text = clean(line, len);
	rr->nex++;
}

/*
 * A downloaded step log carries the runner's time on every line: strip it,
 * so rules anchored at the line's start match, and use it as the line's
 * time, so a replay of history knows when each sign came.
 */
static void
on_line(const char *line, size_t len, int flags, void *arg)
{
	struct replay	*r = arg;
	struct rsource	*s = &r->src[r->cur];
	double		 t = -1;
	size_t		 skip;

	if ((flags & LINES_CONTINUATION) == 0 &&
	    (skip = lines_runner_stamp(line, len, &t)) > 0) {
		line += skip;
		len -= skip;
		s->stamped++;
		if (r->first_time == 0 || t < r->first_time)
			r->first_time = t;
	}
	pipeline_feed(r->pl, s->idx, line, len, flags, t);
	t = pipeline_clock(r->pl);
	if (t > r->last_time)
		r->last_time = t;
}

static int
replay_file(struct replay *r, size_t i, size_t max_line)
{
	struct rsource	*s = &r->src[i];
	struct lines	*l;
	char		*buf;
	ssize_t		 n;
	int		 fd;

	/* "-": standard input (a log piped in from zcat, say) */
	if (strcmp(s->path, REPLAY_STDIN) == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(s->path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "breaker replay: %s: %s\n", s->path,
		    strerror(errno));
		return -1;
	}
	r->cur = i;
	l = lines_new(max_line);
	buf = xmalloc(CHUNK);
	while ((n = read(fd, buf, CHUNK)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		s->bytes += n;
		lines_feed(l, buf, n, on_line, r);
	}
	if (n == -1) {
		s->read_error = errno;
		fprintf(stderr, "breaker replay: %s: %s\n", s->path,
		    strerror(errno));
	}
	lines_flush(l, on_line, r);
	lines_get_stats(l, &s->st);
	lines_free(l);
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	return n == -1 ? -1 : 0;
}

static const char *
sev_name(int sev)
{
	return sev == POLICY_SEVERITY_NONE ? "none" : severity_name(sev);
}

static void
fmt_time(double t, char *buf, size_t sz)
{
	struct tm	tm;
	time_t		s = (time_t)t;

	if (t < 1e8) {		/* synthetic: no timestamps in the lines */
		snprintf(buf, sz, "-");
		return;
	}
	gmtime_r(&s, &tm);
	snprintf(buf, sz, "%04d-%02d-%02dT%02d:%02d:%06.3fZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec + (t - (double)s));
}

static void
report_text(struct replay *r, double elapsed)
{
	struct pipeline_rule_stats	 st;
	struct pipeline_source_stats	 ps;
	struct verdict			*v;
	uint64_t			 lines = 0, bytes = 0;
	size_t				 i, k, silent = 0;
	char				 t[64], *msg;

	printf("policy: %s\n\nsources:\n", policy_describe(r->policy));
	for (i = 0; i < r->nsrc; i++) {
		ps = pipeline_source_stats(r->pl, r->src[i].idx);
		printf("  %-10s %s: %llu lines, %llu bytes",
		    r->src[i].name, r->src[i].path,
		    (unsigned long long)r->src[i].st.lines,
		    (unsigned long long)r->src[i].bytes);
		if (r->src[i].st.truncated)
			printf(", %llu over-long lines cut (%llu of them "
			    "counted by a rule on their first bytes)",
			    (unsigned long long)r->src[i].st.truncated,
			    (unsigned long long)ps.cut);
		if (ps.quoted)
			printf(", %llu shown as a tool's output (offered to no "
			    "rule)", (unsigned long long)ps.quoted);
		if (ps.malformed)
			printf(", %llu not parsable as %s",
			    (unsigned long long)ps.malformed,
			    source_format_name(policy_source(r->policy,
			    r->src[i].idx)->format));
		printf("\n");
		lines += r->src[i].st.lines;
		bytes += r->src[i].bytes;
	}
	printf("\nrules with hits:\n  %8s %8s  %-8s %s\n", "hits", "verdicts",
	    "severity", "rule");
	for (i = 0; i < r->nrules; i++) {
		pipeline_rule_stats(r->pl, i, &st);
		if (st.hits == 0) {
			silent++;
			continue;
		}
		printf("  %8llu %8llu  %-8s %s\n", (unsigned long long)st.hits,
		    (unsigned long long)st.verdicts, sev_name(st.severity),
		    st.id);
	}
	printf("  (%zu rule%s without hits)\n", silent, silent == 1 ? "" : "s");
	for (i = 0; i < r->nrules; i++) {
		pipeline_rule_stats(r->pl, i, &st);
		if (st.gave_up > 0)
			printf("  rule %s: a regex gave up on %llu line%s (PCRE2 "
			    "match limit); they counted as no match\n", st.id,
			    (unsigned long long)st.gave_up,
			    st.gave_up == 1 ? "" : "s");
		if (st.evicted > 0)
			printf("  rule %s: %llu group%s or value%s forgotten at "
			    "the memory caps\n", st.id,
			    (unsigned long long)st.evicted,
			    st.evicted == 1 ? "" : "s",
			    st.evicted == 1 ? "" : "s");
	}
	for (i = 0; i < r->nrules; i++) {
		if (r->rules[i].nex == 0)
			continue;
		pipeline_rule_stats(r->pl, i, &st);
		printf("\n%s, first lines:\n", st.id);
		for (k = 0; k < r->rules[i].nex; k++)
			printf("  %s:%llu: %s\n", st.source,
			    (unsigned long long)r->rules[i].ex[k].line_no,
			    r->rules[i].ex[k].text);
	}
	printf("\nverdicts, in order:\n");
	TAILQ_FOREACH(v, &r->verdicts, entry) {
		fmt_time(v->fired_at, t, sizeof t);
		msg = clean(v->message ? v->message : "", strlen(v->message ?
		    v->message : ""));
		printf("  %u. %-7s %s at %s:%llu (time %s): %s%s", v->seq,
		    severity_name(v->severity), v->rule_id, v->source,
		    (unsigned long long)v->line_no, t, msg,
		    v->observe ? " [observe]" : "");
		if (v->line_cut > 0)
			printf(" [from a line cut at %llu bytes]",
			    (unsigned long long)v->line_cut);
		printf("\n");
		free(msg);
	}
	if (r->seq == 0)
		printf("  none\n");
	printf("\n%llu lines, %.1f MB in %.3f s (%.1f MB/s)\n",
	    (unsigned long long)lines, bytes / 1e6, elapsed,
	    elapsed > 0 ? bytes / 1e6 / elapsed : 0.0);
	printf("result: %s\n", r->fatal ? "a fatal verdict would have "
	    "stopped the engine" : "no fatal verdict");
}

static cJSON *
json_sources(struct replay *r)
{
	struct pipeline_source_stats	 ps;
	cJSON				*a = cJSON_CreateArray(), *o;
	size_t				 i;

	for (i = 0; i < r->nsrc; i++) {
		ps = pipeline_source_stats(r->pl, r->src[i].idx);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", r->src[i].name);
		cJSON_AddStringToObject(o, "path", r->src[i].path);
		cJSON_AddStringToObject(o, "format", source_format_name(
		    policy_source(r->policy, r->src[i].idx)->format));
		cJSON_AddNumberToObject(o, "lines", r->src[i].st.lines);
		cJSON_AddNumberToObject(o, "bytes", r->src[i].bytes);
		cJSON_AddNumberToObject(o, "truncated", r->src[i].st.truncated);
		cJSON_AddNumberToObject(o, "truncated_counted", ps.cut);
		cJSON_AddNumberToObject(o, "unparsable", ps.malformed);
		cJSON_AddNumberToObject(o, "tool_output", ps.quoted);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *
json_rules(struct replay *r)
{
	struct pipeline_rule_stats	 st;
	cJSON				*a = cJSON_CreateArray(), *o, *ex, *e;
	size_t				 i, k;

	for (i = 0; i < r->nrules; i++) {
		pipeline_rule_stats(r->pl, i, &st);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", st.id);
		cJSON_AddStringToObject(o, "source", st.source);
		cJSON_AddStringToObject(o, "severity", sev_name(st.severity));
		cJSON_AddNumberToObject(o, "hits", st.hits);
		cJSON_AddNumberToObject(o, "verdicts", st.verdicts);
		cJSON_AddNumberToObject(o, "gave_up", st.gave_up);
		cJSON_AddNumberToObject(o, "evicted", st.evicted);
		ex = cJSON_AddArrayToObject(o, "examples");
		for (k = 0; k < r->rules[i].nex; k++) {
			e = cJSON_CreateObject();
			cJSON_AddNumberToObject(e, "line",
			    r->rules[i].ex[k].line_no);
			cJSON_AddStringToObject(e, "text",
			    r->rules[i].ex[k].text);
			cJSON_AddItemToArray(ex, e);
		}
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static void
report_json(struct replay *r, double elapsed)
{
	struct verdict	*v;
	cJSON		*root = cJSON_CreateObject(), *a, *o;
	char		*s, *msg;
	uint64_t	 lines = 0, bytes = 0;
	size_t		 i;

	for (i = 0; i < r->nsrc; i++) {
		lines += r->src[i].st.lines;
		bytes += r->src[i].bytes;
	}
	cJSON_AddStringToObject(root, "policy", policy_describe(r->policy));
	cJSON_AddItemToObject(root, "sources", json_sources(r));
	cJSON_AddItemToObject(root, "rules", json_rules(r));
	a = cJSON_AddArrayToObject(root, "verdicts");
	TAILQ_FOREACH(v, &r->verdicts, entry) {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "seq", v->seq);
		cJSON_AddStringToObject(o, "rule", v->rule_id);
		cJSON_AddStringToObject(o, "severity",
		    severity_name(v->severity));
		cJSON_AddStringToObject(o, "source", v->source);
		cJSON_AddNumberToObject(o, "line", v->line_no);
		cJSON_AddNumberToObject(o, "time", v->fired_at);
		cJSON_AddNumberToObject(o, "first_seen", v->first_seen);
		cJSON_AddNumberToObject(o, "count", v->count);
		if (v->line_cut > 0)
			cJSON_AddNumberToObject(o, "line_cut", v->line_cut);
		msg = clean(v->message ? v->message : "",
		    strlen(v->message ? v->message : ""));
		cJSON_AddStringToObject(o, "message", msg);
		free(msg);
		cJSON_AddStringToObject(o, "title", v->title ? v->title : "");
		cJSON_AddBoolToObject(o, "observe", v->observe);
		cJSON_AddStringToObject(o, "action", v->action == VERDICT_NONE ?
		    "record" : verdict_action_name(v->action));
		cJSON_AddItemToArray(a, o);
	}
	cJSON_AddNumberToObject(root, "lines", lines);
	cJSON_AddNumberToObject(root, "bytes", bytes);
	cJSON_AddNumberToObject(root, "elapsed", elapsed);
	cJSON_AddBoolToObject(root, "fatal", r->fatal);
	s = cJSON_PrintUnformatted(root);
	printf("%s\n", s);
	free(s);
	cJSON_Delete(root);
}

struct replay *
replay_new(const struct policy *p, size_t max_examples)
{
	struct replay	*r = xcalloc(1, sizeof *r);

	r->policy = p;
	r->max_examples = max_examples;
	TAILQ_INIT(&r->verdicts);
	r->nrules = policy_nrules(p);
	r->rules = xcalloc(r->nrules + 1, sizeof *r->rules);
	r->pl = pipeline_new(p, on_verdict, r);
	pipeline_set_hit_cb(r->pl, on_hit, r);
	return r;
}

int
replay_add_source(struct replay *r, const char *name, const char *path)
{
	int	idx;

	if ((idx = policy_source_index(r->policy, name)) == -1)
		return -1;
	r->src = xreallocarray(r->src, r->nsrc + 1, sizeof *r->src);
	memset(&r->src[r->nsrc], 0, sizeof r->src[0]);
	r->src[r->nsrc].name = policy_source(r->policy, idx)->name;
	r->src[r->nsrc].path = path;
	r->src[r->nsrc].idx = idx;
	r->nsrc++;
	return 0;
}

int
replay_run(struct replay *r)
{
	struct tail_options	to;
	size_t			i, k, max_line;
	double			t0 = mono_now();
	int			rc = 0;

	policy_tail_options(r->policy, &to);
	max_line = to.max_line ? to.max_line : LINES_DEFAULT_MAX;
	for (k = 0; k < policy_nsources(r->policy); k++)
		for (i = 0; i < r->nsrc; i++)
			if (r->src[i].idx == k &&
			    replay_file(r, i, max_line) == -1)
				rc = -1;
	r->elapsed = mono_now() - t0;
	return rc;
}

const struct verdict_list *
replay_verdicts(const struct replay *r)
{
	return &r->verdicts;
}

int
replay_verdict_stops(const struct verdict *v)
{
	return v->severity == SEVERITY_FATAL && !v->observe &&
	    v->action == VERDICT_STOP;
}

const struct verdict *
replay_first_stop(const struct replay *r)
{
	const struct verdict	*v;

	TAILQ_FOREACH(v, &r->verdicts, entry)
		if (replay_verdict_stops(v))
			return v;
	return NULL;
}

void
replay_times(const struct replay *r, double *first, double *last)
{
	*first = r->first_time;
	*last = r->last_time;
}

uint64_t
replay_lines(const struct replay *r)
{
	uint64_t	n = 0;
	size_t		i;

	for (i = 0; i < r->nsrc; i++)
		n += r->src[i].st.lines;
	return n;
}

uint64_t
replay_bytes(const struct replay *r)
{
	uint64_t	n = 0;
	size_t		i;

	for (i = 0; i < r->nsrc; i++)
		n += r->src[i].bytes;
	return n;
}

void
replay_free(struct replay *r)
{
	size_t	i, k;

	if (r == NULL)
		return;
	for (i = 0; i < r->nrules; i++) {
		for (k = 0; k < r->rules[i].nex; k++)
			free(r->rules[i].ex[k].text);
		free(r->rules[i].ex);
	}
	free(r->rules);
	free(r->src);
	verdict_list_free(&r->verdicts);
	pipeline_free(r->pl);
	free(r);
}

/* The report of a run, as text or JSON; 1 if a fatal verdict would stop. */
int
replay_report(struct replay *r, int json)
{
	if (json)
		report_json(r, r->elapsed);
	else
		report_text(r, r->elapsed);
	return r->fatal;
}
