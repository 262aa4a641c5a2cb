/*
 * Sliding windows with bounded memory. Each group keeps a ring of its last
 * `ring` event times: a threshold of N within a window holds exactly when
 * the N-th most recent time is inside the window, so N slots are all a
 * count ever needs, whatever the event rate. Distinct values keep their
 * last-seen time and expire individually.
 */
#include <sys/queue.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "log.h"
#include "xalloc.h"

#define NBUCKETS	256

struct value {
	char		*s;
	size_t		 len;
	double		 last;
};

struct correlate_group {
	char			*key;
	size_t			 keylen;
	double			*times;		/* ring of recent times */
	unsigned		 ring;		/* slots in times */
	unsigned		 ntimes;	/* filled, <= ring */
	unsigned		 head;		/* next slot */
	struct value		*vals;
	unsigned		 nvals;
	char			*ev[CORRELATE_EVIDENCE];
	size_t			 evlen[CORRELATE_EVIDENCE];
	unsigned		 nev, evhead;
	int			 fired;
	TAILQ_ENTRY(correlate_group) lru;
	struct correlate_group	*next;		/* hash chain */
};
TAILQ_HEAD(group_list, correlate_group);

struct correlate {
	char			*name;		/* for the logs: the rule */
	unsigned		 ring;
	unsigned		 max_groups;
	unsigned		 max_values;
	struct group_list	 lru;		/* most recent first */
	struct correlate_group	*bucket[NBUCKETS];
	unsigned		 ngroups;
	uint64_t		 evicted_groups;
	uint64_t		 evicted_values;
};

static unsigned
hash(const char *s, size_t len)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h % NBUCKETS;
}

struct correlate *
correlate_new(unsigned ring, unsigned max_groups, unsigned max_values)
{
	struct correlate	*c;

	c = xcalloc(1, sizeof *c);
	c->ring = ring ? ring : 1;
	c->max_groups = max_groups ? max_groups : CORRELATE_MAX_GROUPS;
	c->max_values = max_values ? max_values : CORRELATE_MAX_VALUES;
	TAILQ_INIT(&c->lru);
	c->name = xstrdup("(unnamed)");
	return c;
}

void
correlate_set_name(struct correlate *c, const char *name)
{
	free(c->name);
	c->name = xstrdup(name);
}

static void
group_free(struct correlate_group *g)
{
	unsigned	i;

	for (i = 0; i < g->nvals; i++)
		free(g->vals[i].s);
	free(g->vals);
	for (i = 0; i < CORRELATE_EVIDENCE; i++)
		free(g->ev[i]);
	free(g->times);
	free(g->key);
	free(g);
}

void
correlate_free(struct correlate *c)
{
	struct correlate_group	*g;

	if (c == NULL)
		return;
	while ((g = TAILQ_FIRST(&c->lru)) != NULL) {
		TAILQ_REMOVE(&c->lru, g, lru);
		group_free(g);
	}
	free(c->name);
	free(c);
}

struct correlate_group *
correlate_find(struct correlate *c, const char *key, size_t len)
{
	struct correlate_group	*g;

	for (g = c->bucket[hash(key, len)]; g != NULL; g = g->next)
		if (g->keylen == len && memcmp(g->key, key, len) == 0)
			return g;
	return NULL;
}

static void
evict_one(struct correlate *c)
{
	struct correlate_group	*g, **pp;
	int			 n = 0;

	/* the least recently seen group that has not fired: a fired one
	 * evicted would forget it fired and could fire again */
	TAILQ_FOREACH_REVERSE(g, &c->lru, group_list, lru)
		if (!g->fired || ++n > 64)
			break;
	if (g == NULL || g->fired)
		g = TAILQ_LAST(&c->lru, group_list);
	TAILQ_REMOVE(&c->lru, g, lru);
	/* g is in its bucket's chain (the analyzer loses it at TAILQ_REMOVE) */
	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
	for (pp = &c->bucket[hash(g->key, g->keylen)]; *pp != g;
	    pp = &(*pp)->next)
		;
	*pp = g->next;
	c->ngroups--;
	if (c->evicted_groups++ == 0)
		log_warnx("rule %s: more than %u groups; evicting the least "
		    "recently seen", c->name, c->max_groups);
	group_free(g);
}

struct correlate_group *
correlate_group(struct correlate *c, const char *key, size_t len)
{
	struct correlate_group	*g;
	unsigned		 b;

	if ((g = correlate_find(c, key, len)) != NULL) {
		if (g != TAILQ_FIRST(&c->lru)) {
			TAILQ_REMOVE(&c->lru, g, lru);
			TAILQ_INSERT_HEAD(&c->lru, g, lru);
		}
		return g;
	}
	if (c->ngroups >= c->max_groups)
		evict_one(c);
	g = xcalloc(1, sizeof *g);
	g->key = xmalloc(len + 1);
	memcpy(g->key, key, len);
	g->key[len] = '\0';
	g->keylen = len;
	g->times = xcalloc(c->ring, sizeof *g->times);
	g->ring = c->ring;
	b = hash(key, len);
	g->next = c->bucket[b];
	c->bucket[b] = g;
	TAILQ_INSERT_HEAD(&c->lru, g, lru);
	c->ngroups++;
	return g;
}

static void
record_value(struct correlate *c, struct correlate_group *g, double now,
    const char *v, size_t vlen)
{
	unsigned	i, oldest = 0;

	for (i = 0; i < g->nvals; i++)
		if (g->vals[i].len == vlen && memcmp(g->vals[i].s, v, vlen) == 0) {
			g->vals[i].last = now;
			return;
		}
	if (g->nvals >= c->max_values) {
		for (i = 1; i < g->nvals; i++)
			if (g->vals[i].last < g->vals[oldest].last)
				oldest = i;
		free(g->vals[oldest].s);
		g->vals[oldest] = g->vals[--g->nvals];
		if (c->evicted_values++ == 0)
			log_warnx("rule %s: more than %u distinct values in "
			    "one group; evicting the oldest", c->name,
			    c->max_values);
	}
	if (g->nvals % 16 == 0)
		g->vals = xreallocarray(g->vals, g->nvals + 16,
		    sizeof *g->vals);
	g->vals[g->nvals].s = xmemdup(v, vlen ? vlen : 1);
	g->vals[g->nvals].len = vlen;
	g->vals[g->nvals].last = now;
	g->nvals++;
}

void
correlate_record(struct correlate *c, struct correlate_group *g, double now,
    const char *line, size_t len, const char *value, size_t vlen)
{
	g->times[g->head] = now;
	g->head = (g->head + 1) % c->ring;
	if (g->ntimes < c->ring)
		g->ntimes++;
	if (line != NULL) {
		if (len > CORRELATE_EVIDENCE_LEN)
			len = CORRELATE_EVIDENCE_LEN;
		free(g->ev[g->evhead]);
		g->ev[g->evhead] = xmemdup(line, len ? len : 1);
		g->evlen[g->evhead] = len;
		g->evhead = (g->evhead + 1) % CORRELATE_EVIDENCE;
		if (g->nev < CORRELATE_EVIDENCE)
			g->nev++;
	}
	if (value != NULL)
		record_value(c, g, now, value, vlen);
}

unsigned
correlate_count(const struct correlate_group *g, double now, double window,
    double *first)
{
	unsigned	i, n = 0, slot;
	double		t;

	if (g == NULL)
		return 0;
	for (i = 0; i < g->ntimes; i++) {
		slot = (g->head + 2 * g->ring - 1 - i) % g->ring;
		t = g->times[slot];
		if (t < now - window)
			continue;
		n++;
		if (first != NULL && (n == 1 || t < *first))
			*first = t;
	}
	return n;
}

unsigned
correlate_distinct(struct correlate *c, struct correlate_group *g, double now,
    double window, double *first)
{
	unsigned	i = 0;
	int		any = 0;

	while (i < g->nvals) {
		if (g->vals[i].last < now - window) {
			free(g->vals[i].s);
			g->vals[i] = g->vals[--g->nvals];
			continue;
		}
		if (first != NULL && (!any || g->vals[i].last < *first))
			*first = g->vals[i].last;
		any = 1;
		i++;
	}
	(void)c;
	return g->nvals;
}

void
correlate_reset(struct correlate_group *g)
{
	unsigned	i;

	g->ntimes = g->head = 0;
	for (i = 0; i < g->nvals; i++)
		free(g->vals[i].s);
	g->nvals = 0;
	for (i = 0; i < CORRELATE_EVIDENCE; i++) {
		free(g->ev[i]);
		g->ev[i] = NULL;
	}
	g->nev = g->evhead = 0;
}

int
correlate_fired(const struct correlate_group *g)
{
	return g != NULL && g->fired;
}

void
correlate_set_fired(struct correlate_group *g)
{
	g->fired = 1;
}

size_t
correlate_evidence(const struct correlate_group *g, const char **lines,
    size_t *lens, size_t max)
{
	size_t		n = 0;
	unsigned	i, slot;

	if (g == NULL)
		return 0;
	for (i = 0; i < g->nev && n < max; i++) {
		slot = (g->evhead + CORRELATE_EVIDENCE - g->nev + i) %
		    CORRELATE_EVIDENCE;
		lines[n] = g->ev[slot];
		lens[n] = g->evlen[slot];
		n++;
	}
	return n;
}

void
correlate_get_stats(const struct correlate *c, struct correlate_stats *st)
{
	st->groups = c->ngroups;
	st->evicted_groups = c->evicted_groups;
	st->evicted_values = c->evicted_values;
}
