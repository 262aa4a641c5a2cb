/*
 * The one detection pipeline, shared by the live daemon and replay. Per
 * line: count it, take its time, and offer it to the rules of its source;
 * a rule whose predicate holds (and no exception does) records the event
 * in its correlation state, and fires at most once per group per job.
 *
 * The hot path (a line no rule matches) allocates nothing: the event is on
 * the stack, parsing is lazy, the regex match data is shared, and a rule
 * with required literals is skipped unless its source's multi-literal gate
 * (match_gate_scan, one pass over the line for every rule) found one.
 *
 * A line lines.c cut as over-long (LINES_TRUNCATED) is matched on the bytes
 * it kept, since a fatal error early in a huge JSON line is still fatal;
 * but it is counted (pipeline_source_stats' `cut`) and a verdict it fires
 * says so (verdict.line_cut), so no report presents it as a whole line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "lines.h"
#include "log.h"
#include "match.h"
#include "match_gate.h"
#include "pipeline.h"
#include "policy.h"
#include "sanitise.h"
#include "verdict.h"
#include "xalloc.h"

#define VALUE_MAX	256	/* bytes of one value in a message */

struct prule {
	const struct policy_rule	*r;
	struct correlate		*state;
	int				*lit;	/* gate literal ids, or NULL */
	size_t				 nlit;
	uint64_t			 hits;
	uint64_t			 fired;		/* incl. `none` rules */
	uint64_t			 verdicts;
	uint64_t			 capped;	/* over the caps */
	uint64_t			 gave_up;	/* regex hit a limit */
	size_t				*resets;	/* rules this one resets */
	size_t				 nresets;
};

struct psource {
	struct pipeline_source_stats st;
	struct source_context ctx;
	int		 track;		/* follow ctx (not for squid) */
	size_t		*rules;
	size_t		 nrules;
	struct match_gate *gate;	/* NULL: no rule has literals */
	size_t		 ungated;	/* rules that must always run */
};

struct pipeline {
	const struct policy	*policy;
	pipeline_verdict_cb	 cb;
	void			*arg;
	struct prule		*rules;
	size_t			 nrules;
	struct psource		*src;
	size_t			 nsrc;
	struct match_ctx	 ctx;
	double			 clock;		/* last time seen */
	size_t			 line_cut;	/* the line being fed was cut
						   at this length; 0: whole */
	uint64_t		 nverdicts;	/* all rules */
	int			 prefilter;
	pipeline_hit_cb		 hit_cb;
	void			*hit_arg;
};

/* Keep the last `ring` times: enough for the rule's own threshold and for
 * every sequence that counts this rule's events. */
static unsigned
ring_size(const struct policy *p, size_t idx)
{
	const struct policy_rule	*r = policy_rule(p, idx), *o;
	unsigned			 ring = 1;
	size_t				 i;

	if (r->kind == CORRELATE_COUNT)
		ring = r->threshold;
	for (i = 0; i < policy_nrules(p); i++) {
		o = policy_rule(p, i);
		/* a few more than the threshold, so {count} can say how
		 * many came before */
		if (o->kind == CORRELATE_SEQUENCE && o->after_idx == idx &&
		    o->threshold + CORRELATE_EVIDENCE > ring)
			ring = o->threshold + CORRELATE_EVIDENCE;
	}
	return ring;
}

/* Register a rule's literal set with its source's gate, if it has one. */
static void
gate_rule(struct psource *s, struct prule *pr, enum source_format f)
{
	struct match_litset	ls;
	size_t			i;
	int			id;

	if (match_literals(pr->r->match, f, &ls) == -1)
		return;
	if (s->gate == NULL)
		s->gate = match_gate_new();
	pr->lit = xcalloc(ls.n, sizeof *pr->lit);
	for (i = 0; i < ls.n; i++) {
		if ((id = match_gate_add(s->gate, ls.lits[i], ls.lens[i])) ==
		    -1) {
			free(pr->lit);	/* gate full: always run it */
			pr->lit = NULL;
			pr->nlit = 0;
			break;
		}
		pr->lit[pr->nlit++] = id;
		log_debug("pipeline: rule %s gate literal \"%.*s\"", pr->r->id,
		    (int)ls.lens[i], ls.lits[i]);
	}
	match_litset_free(&ls);
}

static int
gate_open(const struct prule *pr, const uint64_t *found)
{
	size_t	i;

	for (i = 0; i < pr->nlit; i++)
		if (found[pr->lit[i] / 64] & (1ULL << (pr->lit[i] % 64)))
			return 1;
	return 0;
}

struct pipeline *
pipeline_new(const struct policy *policy, pipeline_verdict_cb cb, void *arg)
{
	struct pipeline			*pl;
	const struct policy_rule	*r;
	struct psource			*s;
	unsigned			 groups = 1, g;
	size_t				 i;
	const char			*env;

	pl = xcalloc(1, sizeof *pl);
	pl->policy = policy;
	pl->cb = cb;
	pl->arg = arg;
	env = getenv("BREAKER_PREFILTER");
	pl->prefilter = env == NULL || strcmp(env, "0") != 0;
	pl->nsrc = policy_nsources(policy);
	pl->src = xcalloc(pl->nsrc + 1, sizeof *pl->src);
	pl->nrules = policy_nrules(policy);
	pl->rules = xcalloc(pl->nrules + 1, sizeof *pl->rules);
	for (i = 0; i < pl->nrules; i++) {
		r = policy_rule(policy, i);
		pl->rules[i].r = r;
		pl->rules[i].state = correlate_new(ring_size(policy, i), 0, 0);
		correlate_set_name(pl->rules[i].state, r->id);
		s = &pl->src[r->source_idx];
		if (pl->prefilter)
			gate_rule(s, &pl->rules[i],
			    policy_source(policy, r->source_idx)->format);
		if (pl->rules[i].lit == NULL) {
			s->ungated++;
			log_debug("pipeline: rule %s has no literal to gate on; "
			    "it runs on every line", r->id);
		}
		if ((g = match_max_groups(r->match)) > groups)
			groups = g;
		s->rules = xreallocarray(s->rules, s->nrules + 1,
		    sizeof *s->rules);
		s->rules[s->nrules++] = i;
	}
	for (i = 0; i < pl->nsrc; i++) {
		pl->src[i].track = policy_source(policy, i)->format !=
		    SOURCE_SQUID;
		match_gate_seal(pl->src[i].gate);	/* every rule is in */
	}
	for (i = 0; i < pl->nrules; i++) {
		r = pl->rules[i].r;
		if (r->reset_by != NULL) {
			struct prule *by = &pl->rules[r->reset_idx];

			by->resets = xreallocarray(by->resets, by->nresets + 1,
			    sizeof *by->resets);
			by->resets[by->nresets++] = i;
		}
		for (size_t k = 0; k < r->nexcept; k++)
			if ((g = match_max_groups(r->except[k])) > groups)
				groups = g;
	}
	match_ctx_init(&pl->ctx, groups);
	return pl;
}

void
pipeline_free(struct pipeline *pl)
{
	size_t	i;

	if (pl == NULL)
		return;
	for (i = 0; i < pl->nrules; i++) {
		correlate_free(pl->rules[i].state);
		free(pl->rules[i].lit);
		free(pl->rules[i].resets);
	}
	for (i = 0; i < pl->nsrc; i++) {
		free(pl->src[i].rules);
		match_gate_free(pl->src[i].gate);
	}
	free(pl->src);
	free(pl->rules);
	match_ctx_free(&pl->ctx);
	free(pl);
}

/* Breaker's own text (the template, {count}, {rule}…): controls as spaces. */
static void
append_plain(char **out, size_t *len, size_t *cap, const char *s, size_t n)
{
	size_t	i;

	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*out = xreallocarray(*out, *cap, 1);
	}
	for (i = 0; i < n; i++)
		(*out)[(*len)++] = (unsigned char)s[i] < 0x20 ||
		    s[i] == 0x7f ? ' ' : s[i];
	(*out)[*len] = '\0';
}

/*
 * A value the engine wrote: the one sanitising path on the whole value
 * (redacted before it is cut to VALUE_MAX), quoted “…” so it cannot pass
 * as breaker's words.
 */
static void
append_engine(char **out, size_t *len, size_t *cap, const char *s, size_t n)
{
	char	*v = sanitise_value(s, n, VALUE_MAX);

	append_plain(out, len, cap, v, strlen(v));
	free(v);
}

static char *
render(struct pipeline *pl, const struct policy_rule *r,
    struct source_event *ev, uint64_t count)
{
	const char	*t = r->message != NULL ? r->message : r->title, *e;
	const char	*val;
	char		*out, name[128], num[32];
	size_t		 len = 0, cap = 256, n, vlen;

	out = xmalloc(cap);
	out[0] = '\0';
	while (*t != '\0') {
		if (*t == '{' && t[1] == '{')
			e = t + 1;
		else if (*t == '}' && t[1] == '}')
			e = t + 1;
		else if (*t == '{' && (e = strchr(t, '}')) != NULL &&
		    (n = e - t - 1) < sizeof name) {
			memcpy(name, t + 1, n);
			name[n] = '\0';
			val = NULL;
			vlen = 0;
			if (strcmp(name, "count") == 0) {
				snprintf(num, sizeof num, "%llu",
				    (unsigned long long)count);
				val = num;
			} else if (strcmp(name, "window") == 0)
				val = r->window_text ? r->window_text : "";
			else if (strcmp(name, "rule") == 0)
				val = r->id;
			else if (strcmp(name, "source") == 0)
				val = r->source;
			else if (match_lookup(&pl->ctx, ev, name, &val, &vlen)) {
				append_engine(&out, &len, &cap, val, vlen);
				t = e + 1;
				continue;
			} else
				val = "?";
			append_plain(&out, &len, &cap, val, strlen(val));
			t = e + 1;
			continue;
		} else
			e = t;
		append_plain(&out, &len, &cap, e, 1);
		t = e + 1;
	}
	return out;
}

/* The group's newest `room` evidence lines, oldest first. */
static void
add_evidence(struct verdict *v, const struct correlate_group *g, size_t room)
{
	const char	*lines[CORRELATE_EVIDENCE];
	size_t		 lens[CORRELATE_EVIDENCE], n, i;

	n = correlate_evidence(g, lines, lens, CORRELATE_EVIDENCE);
	for (i = n > room ? n - room : 0; i < n; i++)
		verdict_add_evidence(v, lines[i], lens[i]);
}

static size_t
evidence_count(const struct correlate_group *g)
{
	const char	*lines[CORRELATE_EVIDENCE];
	size_t		 lens[CORRELATE_EVIDENCE];

	return correlate_evidence(g, lines, lens, CORRELATE_EVIDENCE);
}

/* Past a cap a firing is counted, and said once per rule, never kept. */
static int
over_cap(struct pipeline *pl, struct prule *pr)
{
	if (pr->verdicts < PIPELINE_MAX_RULE_VERDICTS &&
	    pl->nverdicts < PIPELINE_MAX_VERDICTS)
		return 0;
	if (pr->capped++ == 0)
		log_warnx("rule %s: verdict cap reached (%d per rule, %d per "
		    "job); further firings are counted, not kept", pr->r->id,
		    PIPELINE_MAX_RULE_VERDICTS, PIPELINE_MAX_VERDICTS);
	return 1;
}

static void
fire(struct pipeline *pl, struct prule *pr, struct source_event *ev,
    struct correlate_group *g, const struct correlate_group *after,
    uint64_t line_no, uint64_t count, double first, double now)
{
	const struct policy_rule	*r = pr->r;
	const struct policy_source	*src;
	struct verdict			*v;
	char				*msg;
	size_t				 own;

	correlate_set_fired(g);
	pr->fired++;
	if (r->severity == POLICY_SEVERITY_NONE)
		return;		/* counted, never a verdict */
	if (over_cap(pl, pr))
		return;
	pr->verdicts++;
	pl->nverdicts++;
	src = policy_source(pl->policy, r->source_idx);
	v = verdict_new();
	verdict_set(&v->rule_id, r->id);
	verdict_set(&v->title, r->title);
	v->severity = r->severity;
	verdict_set(&v->source, src->name);
	msg = render(pl, r, ev, count);
	verdict_set(&v->message, msg);
	free(msg);
	v->line_no = line_no;
	v->count = count;
	v->first_seen = first;
	v->fired_at = now;
	v->observe = r->observe;
	v->line_cut = pl->line_cut;
	/* the firing line is the group's newest: never crowd it out */
	own = evidence_count(g);
	if (after != NULL && own < VERDICT_MAX_EVIDENCE)
		add_evidence(v, after, VERDICT_MAX_EVIDENCE - own);
	add_evidence(v, g, VERDICT_MAX_EVIDENCE);
	v->action = policy_rule_allows(pl->policy, r, POLICY_ACTION_STOP) ?
	    VERDICT_STOP : VERDICT_RECORD;
	/* nothing done yet; the live driver records what is (watch.c) */
	v->outcome = v->observe ? VERDICT_OUTCOME_OBSERVE :
	    VERDICT_OUTCOME_RECORDED;
	pl->cb(v, pl->arg);
}

static void
lookup(struct pipeline *pl, struct source_event *ev, const char *name,
    const char **s, size_t *len)
{
	*s = "";
	*len = 0;
	if (name != NULL && !match_lookup(&pl->ctx, ev, name, s, len)) {
		*s = "";
		*len = 0;
	}
}

/* The group of the `after` rule that this event continues. */
static const struct correlate_group *
after_group(struct pipeline *pl, const struct policy_rule *r,
    struct source_event *ev)
{
	const struct prule	*a = &pl->rules[r->after_idx];
	const char		*k;
	size_t			 klen;

	lookup(pl, ev, a->r->group_by, &k, &klen);
	return correlate_find(a->state, k, klen);
}

/*
 * This event ends what the rules reset by this one count (a success after
 * refusals): clear their group named by their own group_by on this event.
 */
static void
reset_dependents(struct pipeline *pl, const struct prule *pr,
    struct source_event *ev)
{
	struct prule		*d;
	struct correlate_group	*g;
	const char		*k;
	size_t			 klen, i;

	for (i = 0; i < pr->nresets; i++) {
		d = &pl->rules[pr->resets[i]];
		lookup(pl, ev, d->r->group_by, &k, &klen);
		if ((g = correlate_find(d->state, k, klen)) != NULL)
			correlate_reset(g);
	}
}

static void
prule_hit(struct pipeline *pl, struct prule *pr, struct source_event *ev,
    uint64_t line_no, double now)
{
	const struct policy_rule	*r = pr->r;
	const struct correlate_group	*ag = NULL;
	struct correlate_group		*g;
	const char			*k, *val = NULL;
	size_t				 klen, vlen = 0;
	unsigned			 n = 1;
	double				 first = now;

	pr->hits++;
	if (pl->hit_cb != NULL)
		pl->hit_cb(pr - pl->rules, ev->line, ev->len, line_no,
		    pl->hit_arg);
	if (pr->nresets > 0)
		reset_dependents(pl, pr, ev);
	lookup(pl, ev, r->group_by, &k, &klen);
	if (r->kind == CORRELATE_DISTINCT) {
		if (!match_lookup(&pl->ctx, ev, r->field, &val, &vlen))
			return;		/* nothing to count */
	}
	g = correlate_group(pr->state, k, klen);
	correlate_record(pr->state, g, now, ev->line, ev->len, val, vlen);
	if (correlate_fired(g))
		return;
	switch (r->kind) {
	case CORRELATE_NONE:
		break;
	case CORRELATE_COUNT:
		n = correlate_count(g, now, r->window, &first);
		break;
	case CORRELATE_DISTINCT:
		n = correlate_distinct(pr->state, g, now, r->window, &first);
		break;
	case CORRELATE_SEQUENCE:
		ag = after_group(pl, r, ev);
		n = correlate_count(ag, now, r->window, &first);
		if (n < r->threshold)
			return;
		n++;	/* and this event */
		break;
	}
	if (r->kind != CORRELATE_SEQUENCE && n < r->threshold)
		return;
	fire(pl, pr, ev, g, ag, line_no, n, first, now);
}

static int
excepted(struct pipeline *pl, const struct policy_rule *r,
    struct source_event *ev)
{
	size_t	i, saved = pl->ctx.ncap;
	int	yes = 0;

	for (i = 0; i < r->nexcept && !yes; i++)
		yes = match_eval(r->except[i], ev, &pl->ctx);
	pl->ctx.ncap = saved;
	return yes;
}

static int
any_fired(const struct pipeline *pl, const struct policy_rule_ref *refs,
    size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (refs[i].idx != POLICY_RULE_NONE &&
		    pl->rules[refs[i].idx].fired > 0)
			return 1;
	return 0;
}

/* The rule's `if_fired` / `unless_fired` conditions on what this job has
 * already shown (e.g. that the api-proxy carries inference). */
static int
conditions_hold(const struct pipeline *pl, const struct policy_rule *r)
{
	if (r->nif_fired > 0 && !any_fired(pl, r->if_fired, r->nif_fired))
		return 0;
	return !any_fired(pl, r->unless_fired, r->nunless_fired);
}

/*
 * A regex that gives up on a line (PCRE2's match limit, a catastrophic
 * pattern on hostile text) makes the line a no-match for that rule, even
 * when the regex was under a `not` or in an `except`, where a give-up read
 * as "no match" would turn into a match: when in doubt, never stop a job.
 * Counted per rule, and said once, so the policy author learns which
 * pattern to fix.
 */
static int
rule_matches(struct pipeline *pl, struct prule *pr, struct source_event *ev)
{
	uint64_t	before = pl->ctx.gave_up;
	int		yes;

	pl->ctx.ncap = 0;
	yes = match_eval(pr->r->match, ev, &pl->ctx) &&
	    !excepted(pl, pr->r, ev);
	if (pl->ctx.gave_up == before)
		return yes;
	if (pr->gave_up == 0)
		log_warnx("rule %s: a regex gave up on a line (PCRE2 match "
		    "limit); such lines count as no match for this rule",
		    pr->r->id);
	pr->gave_up += pl->ctx.gave_up - before;
	return 0;
}

void
pipeline_feed(struct pipeline *pl, size_t source, const char *line,
    size_t len, int flags, double now)
{
	struct psource		*s;
	struct prule		*pr;
	struct source_event	 ev;
	uint64_t		 found[MATCH_GATE_WORDS];
	double			 t;
	size_t			 i;
	int			 lazy = 0, counted = 0;

	if (source >= pl->nsrc)
		return;
	s = &pl->src[source];
	s->st.lines++;
	pl->line_cut = flags & LINES_TRUNCATED ? len : 0;
	source_event_init(&ev, policy_source(pl->policy, source)->format,
	    line, len);
	if (now < 0) {
		/* A JSON line's "timestamp" costs a search: look for it only
		 * if a rule counts the line. Other times are at the start. */
		if (ev.format == SOURCE_JSONL && len > 0 && line[0] == '{')
			lazy = 1;
		else if ((t = source_event_time(&ev)) >= 0)
			pl->clock = t;
		now = pl->clock;
	} else
		pl->clock = now;
	if (s->track && source_context_quoted(&s->ctx, line, len)) {
		s->st.quoted++;	/* a tool's output, not the engine's voice */
		goto out;
	}
	if (s->gate != NULL && !match_gate_scan(s->gate, line, len, found) &&
	    s->ungated == 0)
		goto out;	/* the common case: nothing here for anyone */
	for (i = 0; i < s->nrules; i++) {
		pr = &pl->rules[s->rules[i]];
		if (pr->lit != NULL && !gate_open(pr, found))
			continue;
		if (!conditions_hold(pl, pr->r) || !rule_matches(pl, pr, &ev))
			continue;
		if (lazy) {
			lazy = 0;
			if ((t = source_event_time(&ev)) >= 0)
				pl->clock = now = t;
		}
		prule_hit(pl, pr, &ev, s->st.lines, now);
		counted = 1;
	}
	if (counted && pl->line_cut > 0)
		s->st.cut++;
out:
	if (ev.malformed)
		s->st.malformed++;
	pl->line_cut = 0;
	source_event_clear(&ev);
}

void
pipeline_tick(struct pipeline *pl, double now)
{
	/* Windows are evaluated lazily when an event arrives, so expiry
	 * needs no timer work; only the clock advances. */
	if (now >= 0)
		pl->clock = now;
}

size_t
pipeline_nrules(const struct pipeline *pl)
{
	return pl->nrules;
}

void
pipeline_rule_stats(const struct pipeline *pl, size_t i,
    struct pipeline_rule_stats *st)
{
	const struct policy_rule	*r;
	struct correlate_stats		 cs;

	memset(st, 0, sizeof *st);
	if (i >= pl->nrules)
		return;
	r = pl->rules[i].r;
	st->id = r->id;
	st->title = r->title;
	st->source = r->source;
	st->severity = r->severity;
	st->hits = pl->rules[i].hits;
	st->verdicts = pl->rules[i].verdicts;
	st->capped = pl->rules[i].capped;
	st->gave_up = pl->rules[i].gave_up;
	correlate_get_stats(pl->rules[i].state, &cs);
	st->evicted = cs.evicted_groups + cs.evicted_values;
}

struct pipeline_source_stats
pipeline_source_stats(const struct pipeline *pl, size_t source)
{
	struct pipeline_source_stats	none;

	if (source < pl->nsrc)
		return pl->src[source].st;
	memset(&none, 0, sizeof none);
	return none;
}

void
pipeline_set_hit_cb(struct pipeline *pl, pipeline_hit_cb cb, void *arg)
{
	pl->hit_cb = cb;
	pl->hit_arg = arg;
}

double
pipeline_clock(const struct pipeline *pl)
{
	return pl->clock;
}
