/*
 * The "breaker" check run: the run's head_sha, this job among the
 * attempt's jobs (page by page, so the check run can link to it), then the
 * check run created with the first 50 annotations and updated with 50 more
 * per request (GitHub's cap). A state machine over struct gh_check: each
 * answer says what github.c does next (gh_check_answer); github.c sends
 * the requests (gh_check_request) and finishes the op.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "github_int.h"
#include "log.h"
#include "sanitise.h"
#include "verdict.h"
#include "xalloc.h"

#define GH_JOBS_PER_PAGE	100
#define GH_JOBS_MAX_PAGES	10
#define GH_SUMMARY_MAX		60000	/* GitHub's cap is 65535 */
#define GH_TEXT_MAX		4000

/* Cut `s` to at most `max` bytes without splitting a UTF-8 sequence. */
static char *
gh_cut(const char *s, size_t max)
{
	size_t	len = strlen(s);

	if (len <= max)
		return xstrdup(s);
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return xstrndup(s, max);
}

static void
gh_add_cut(cJSON *obj, const char *key, const char *s, size_t max)
{
	char	*v = gh_cut(s ? s : "", max);

	cJSON_AddStringToObject(obj, key, v);
	free(v);
}

static const char *
gh_level(enum severity sev)
{
	switch (sev) {
	case SEVERITY_FATAL:
		return "failure";
	case SEVERITY_WARNING:
		return "warning";
	default:
		return "notice";
	}
}

/* A verdict as a check-run annotation; it names no file, so ".github". */
static cJSON *
gh_annotation(const struct verdict *v)
{
	cJSON	*a = cJSON_CreateObject();
	char	*title, *msg, *details = NULL, *p;
	size_t	 i, len = 0;

	cJSON_AddStringToObject(a, "path", ".github");
	cJSON_AddNumberToObject(a, "start_line", 1);
	cJSON_AddNumberToObject(a, "end_line", 1);
	cJSON_AddStringToObject(a, "annotation_level", gh_level(v->severity));
	xasprintf(&title, "%s: %s", v->rule_id ? v->rule_id : "rule",
	    v->title ? v->title : "");
	gh_add_cut(a, "title", title, 255);
	free(title);
	/* The one sanitising path: the message holds engine captures. */
	msg = sanitise_str(v->message ? v->message : v->title);
	gh_add_cut(a, "message", msg, GH_TEXT_MAX);
	free(msg);
	for (i = 0; i < v->nevidence; i++)
		len += strlen(v->evidence[i]) + 1;
	if (len > 0) {
		details = p = xmalloc(len + 1);
		for (i = 0; i < v->nevidence; i++)
			p += sprintf(p, "%s\n", v->evidence[i]);
		gh_add_cut(a, "raw_details", details, GH_SUMMARY_MAX);
		free(details);
	}
	return a;
}

static void
gh_summary_add(char **buf, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
gh_summary_add(char **buf, size_t *len, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;
	int	 n;

	va_start(ap, fmt);
	n = xvasprintf(&line, fmt, ap);
	va_end(ap);
	*buf = xreallocarray(*buf, 1, *len + (size_t)n + 1);
	memcpy(*buf + *len, line, (size_t)n + 1);
	*len += (size_t)n;
	free(line);
}

/* Title, Markdown summary and conclusion of the check run. */
static void
gh_check_texts(struct gh_check *c, const struct verdict_list *vl)
{
	const struct verdict	*v, *stopped = NULL;
	char			*sum = NULL, *cut, *id, *msg, *res;
	size_t			 len = 0;
	int			 n = 0, fatal = 0;

	TAILQ_FOREACH(v, vl, entry) {
		n++;
		if (v->severity == SEVERITY_FATAL && !v->observe) {
			fatal++;
			if (stopped == NULL)
				stopped = v;
		}
	}
	if (stopped != NULL)
		xasprintf(&c->title, "breaker stopped the engine: %s",
		    stopped->title ? stopped->title : stopped->rule_id);
	else
		xasprintf(&c->title, "breaker: %d finding%s", n,
		    n == 1 ? "" : "s");
	c->conclusion = n == 0 ? "success" : fatal ? "failure" : "neutral";
	gh_summary_add(&sum, &len, "breaker recorded %d verdict%s in this "
	    "job.\n\n", n, n == 1 ? "" : "s");
	TAILQ_FOREACH(v, vl, entry) {
		/* Markdown: the one sanitising path, autolinks broken. */
		id = sanitise_markdown(v->rule_id ? v->rule_id : "rule",
		    GH_TEXT_MAX);
		msg = sanitise_markdown(v->message ? v->message :
		    (v->title ? v->title : ""), GH_TEXT_MAX);
		gh_summary_add(&sum, &len, "- **%s** (%s%s): %s\n", id,
		    severity_name(v->severity), v->observe ? ", observe" : "",
		    msg);
		free(id);
		free(msg);
		if (v->action != VERDICT_NONE) {
			res = sanitise_markdown(v->action_result ?
			    v->action_result : "", GH_TEXT_MAX);
			gh_summary_add(&sum, &len, "  - action: %s%s%s\n",
			    verdict_action_name(v->action),
			    *res != '\0' ? ": " : "", res);
			free(res);
		}
		if (len > GH_SUMMARY_MAX)
			break;
	}
	cut = gh_cut(sum, GH_SUMMARY_MAX);
	free(sum);
	c->summary = cut;
}

static char *
gh_check_body(struct gh_check *c, int create)
{
	cJSON	*doc = cJSON_CreateObject(), *out, *anns;
	char	*body, *id;
	int	 i, final;

	c->batch = c->nann - c->next_ann;
	if (c->batch > GH_ANN_PER_REQUEST)
		c->batch = GH_ANN_PER_REQUEST;
	final = c->next_ann + c->batch >= c->nann;
	if (create) {
		cJSON_AddStringToObject(doc, "name", "breaker");
		cJSON_AddStringToObject(doc, "head_sha", c->head_sha);
		if (c->job_id > 0) {
			xasprintf(&id, "%lld", c->job_id);
			cJSON_AddStringToObject(doc, "external_id", id);
			free(id);
		}
		if (c->job_url != NULL)
			cJSON_AddStringToObject(doc, "details_url",
			    c->job_url);
	}
	cJSON_AddStringToObject(doc, "status", final ? "completed" :
	    "in_progress");
	if (final)
		cJSON_AddStringToObject(doc, "conclusion", c->conclusion);
	out = cJSON_AddObjectToObject(doc, "output");
	cJSON_AddStringToObject(out, "title", c->title);
	cJSON_AddStringToObject(out, "summary", c->summary);
	anns = cJSON_AddArrayToObject(out, "annotations");
	for (i = 0; i < c->batch; i++)
		cJSON_AddItemToArray(anns, cJSON_Duplicate(
		    cJSON_GetArrayItem(c->annotations, c->next_ann + i), 1));
	body = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (body == NULL)
		fatalx("github: cannot print JSON");
	return body;
}

static int
gh_str_eq(const cJSON *obj, const char *key, const char *want)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return want != NULL && cJSON_IsString(v) &&
	    strcmp(v->valuestring, want) == 0;
}

/*
 * One page of the attempt's jobs: this job is the one our runner runs
 * (or, with no runner name, the one named after the job key); a job in
 * progress beats an earlier one of the same runner. Returns 1 when the
 * search is over.
 */
static int
gh_check_jobs(const struct github *gh, struct gh_check *c, cJSON *doc)
{
	cJSON		*jobs, *job, *id, *url, *total;
	int		 n = 0, match, running;

	jobs = cJSON_GetObjectItemCaseSensitive(doc, "jobs");
	cJSON_ArrayForEach(job, jobs) {
		n++;
		match = gh->runner_name != NULL ?
		    gh_str_eq(job, "runner_name", gh->runner_name) :
		    gh_str_eq(job, "name", gh->job_key);
		id = cJSON_GetObjectItemCaseSensitive(job, "id");
		if (!match || !cJSON_IsNumber(id))
			continue;
		running = gh_str_eq(job, "status", "in_progress");
		if (c->job_running && !running)
			continue;
		c->job_id = (long long)id->valuedouble;
		c->job_running = running;
		url = cJSON_GetObjectItemCaseSensitive(job, "html_url");
		free(c->job_url);
		c->job_url = cJSON_IsString(url) ?
		    xstrdup(url->valuestring) : NULL;
	}
	total = cJSON_GetObjectItemCaseSensitive(doc, "total_count");
	return c->job_running || n < GH_JOBS_PER_PAGE ||
	    c->jobs_page >= GH_JOBS_MAX_PAGES || (cJSON_IsNumber(total) &&
	    c->jobs_page * GH_JOBS_PER_PAGE >= total->valueint);
}

enum gh_check_next
gh_check_answer(struct gh_op *op, const struct gh_req *req, char *why,
    size_t size)
{
	struct gh_check		*c = &op->check;
	cJSON			*doc, *v;
	enum gh_check_next	 next = GH_CHECK_NEXT;

	doc = cJSON_Parse(req->resp ? req->resp : "");
	switch (op->step) {
	case GH_STEP_RUN:
		v = cJSON_GetObjectItemCaseSensitive(doc, "head_sha");
		if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
			snprintf(why, size, "check-run failed: the run has no "
			    "head_sha");
			next = GH_CHECK_FAILED;
			break;
		}
		c->head_sha = xstrdup(v->valuestring);
		op->step = GH_STEP_JOBS;
		c->jobs_page = 1;
		break;
	case GH_STEP_JOBS:
		if (!gh_check_jobs(op->gh, c, doc)) {
			c->jobs_page++;
			break;
		}
		if (c->job_id == 0)
			log_warnx("github: this job was not found among the "
			    "run's jobs; the check run will not link to it");
		op->step = GH_STEP_CREATE;
		break;
	case GH_STEP_CREATE:
	case GH_STEP_UPDATE:
		v = cJSON_GetObjectItemCaseSensitive(doc, "id");
		if (op->step == GH_STEP_CREATE && !cJSON_IsNumber(v)) {
			snprintf(why, size, "check-run failed: no id in the "
			    "answer");
			next = GH_CHECK_FAILED;
			break;
		}
		if (op->step == GH_STEP_CREATE)
			c->check_id = (long long)v->valuedouble;
		c->next_ann += c->batch;
		if (c->next_ann < c->nann) {
			op->step = GH_STEP_UPDATE;
			break;
		}
		snprintf(why, size, "check-run: published \"breaker\" (id "
		    "%lld, %s) with %d annotation%s in %d request%s",
		    c->check_id, c->conclusion, c->nann,
		    c->nann == 1 ? "" : "s", op->step == GH_STEP_CREATE ? 1 :
		    1 + (c->nann - 1) / GH_ANN_PER_REQUEST,
		    c->nann > GH_ANN_PER_REQUEST ? "s" : "");
		next = GH_CHECK_DONE;
		break;
	default:
		snprintf(why, size, "check-run failed: no such step");
		next = GH_CHECK_FAILED;
		break;
	}
	cJSON_Delete(doc);
	return next;
}

/* The request of the op's current step; the body is the caller's. */
const char *
gh_check_request(struct gh_op *op, char **path, char **body)
{
	struct github	*gh = op->gh;

	*body = NULL;
	switch (op->step) {
	case GH_STEP_RUN:
		xasprintf(path, "/repos/%s/actions/runs/%s", gh->repository,
		    gh->run_id);
		return "GET";
	case GH_STEP_JOBS:
		xasprintf(path, "/repos/%s/actions/runs/%s/attempts/%s/jobs"
		    "?per_page=%d&page=%d", gh->repository, gh->run_id,
		    gh->run_attempt, GH_JOBS_PER_PAGE, op->check.jobs_page);
		return "GET";
	case GH_STEP_CREATE:
		xasprintf(path, "/repos/%s/check-runs", gh->repository);
		*body = gh_check_body(&op->check, 1);
		return "POST";
	default:
		xasprintf(path, "/repos/%s/check-runs/%lld", gh->repository,
		    op->check.check_id);
		*body = gh_check_body(&op->check, 0);
		return "PATCH";
	}
}

/* Everything the check run will say, built once from the verdicts. */
void
gh_check_prepare(struct gh_op *op, const struct verdict_list *vl)
{
	struct gh_check		*c = &op->check;
	const struct verdict	*v;

	op->step = GH_STEP_RUN;
	c->annotations = cJSON_CreateArray();
	TAILQ_FOREACH(v, vl, entry) {
		cJSON_AddItemToArray(c->annotations, gh_annotation(v));
		c->nann++;
	}
	gh_check_texts(c, vl);
}

void
gh_check_clear(struct gh_op *op)
{
	struct gh_check	*c = &op->check;

	free(c->head_sha);
	free(c->job_url);
	cJSON_Delete(c->annotations);
	free(c->title);
	free(c->summary);
	memset(c, 0, sizeof *c);
}
