/*
 * The one sample runner (samples.h): each sample through a fresh pipeline
 * that holds the whole effective policy, on one clock.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "pipeline.h"
#include "policy.h"
#include "samples.h"
#include "verdict.h"

/* The time between two sample lines that carry no time of their own. */
#define SAMPLES_STEP	1.0

static void
on_verdict(struct verdict *v, void *arg)
{
	(void)arg;
	verdict_free(v);
}

/* How often the rule has "fired": verdicts, or hits for severity none. */
static uint64_t
fired(struct pipeline *pl, size_t idx, int sev)
{
	struct pipeline_rule_stats	st;

	pipeline_rule_stats(pl, idx, &st);
	return sev == POLICY_SEVERITY_NONE ? st.hits : st.verdicts;
}

/* One sample line: its text and its source (the rule's own, or the one a
 * {"source", "line"} item names). */
static const char *
sample_line(const struct policy *p, const cJSON *l, size_t *src)
{
	const cJSON	*s;

	if (cJSON_IsString(l))
		return l->valuestring;
	s = cJSON_GetObjectItemCaseSensitive(l, "source");
	if (cJSON_IsString(s) && policy_source_index(p, s->valuestring) >= 0)
		*src = (size_t)policy_source_index(p, s->valuestring);
	s = cJSON_GetObjectItemCaseSensitive(l, "line");
	return cJSON_IsString(s) ? s->valuestring : NULL;
}

/*
 * Feed one sample (a line, or lines in order) to a fresh pipeline. Returns
 * the 1-based line on which the rule first fired, 0 if it never did.
 */
static size_t
run_sample(const struct policy *p, size_t idx, const cJSON *sample)
{
	const struct policy_rule	*r = policy_rule(p, idx);
	struct pipeline			*pl;
	const cJSON			*l;
	size_t				 n = 0, at = 0, src;
	const char			*s;

	pl = pipeline_new(p, on_verdict, NULL);
	for (l = cJSON_IsArray(sample) ? sample->child : sample; l != NULL;
	    l = cJSON_IsArray(sample) ? l->next : NULL) {
		n++;
		src = r->source_idx;
		if ((s = sample_line(p, l, &src)) == NULL)
			continue;
		/* a step of the clock; a line's own time overrides it */
		pipeline_tick(pl, pipeline_clock(pl) + SAMPLES_STEP);
		pipeline_feed(pl, src, s, strlen(s), 0, -1);
		if (at == 0 && fired(pl, idx, r->severity))
			at = n;
	}
	pipeline_free(pl);
	return at;
}

size_t
samples_check(const struct policy *p, size_t idx, FILE *out,
    size_t *nsamples)
{
	const struct policy_rule	*r = policy_rule(p, idx);
	const cJSON			*it;
	size_t				 k, at, last, bad = 0;

	if (r->samples == NULL)
		return 0;
	k = 0;
	cJSON_ArrayForEach(it,
	    cJSON_GetObjectItemCaseSensitive(r->samples, "fire")) {
		(*nsamples)++;
		last = cJSON_IsArray(it) ? (size_t)cJSON_GetArraySize(it) : 1;
		if ((at = run_sample(p, idx, it)) != last) {
			fprintf(out, "%s: %s.samples.fire[%zu]: rule %s %s\n",
			    r->where, r->path, k, r->id, at == 0 ?
			    "did not fire" : "fired before the last line");
			bad++;
		}
		k++;
	}
	k = 0;
	cJSON_ArrayForEach(it,
	    cJSON_GetObjectItemCaseSensitive(r->samples, "silent")) {
		(*nsamples)++;
		if ((at = run_sample(p, idx, it)) != 0) {
			fprintf(out, "%s: %s.samples.silent[%zu]: rule %s fired "
			    "on line %zu of the sample\n", r->where, r->path,
			    k, r->id, at);
			bad++;
		}
		k++;
	}
	return bad;
}
