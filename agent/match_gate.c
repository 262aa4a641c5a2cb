/*
 * The multi-literal gate (the pipeline's prefilter): one pass over a line
 * finds which of up to MATCH_GATE_MAX literals occur in it, so a rule whose
 * literals are all absent is not evaluated at all. Literals come from
 * match_literals() (match.c); the pipeline keeps one gate per source.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match_gate.h"
#include "xalloc.h"

/*
 * Every literal is at least `minlen` long, so probing the q-gram (q = 4
 * bytes, fewer for very short literals) at only every (minlen - q + 1)-th
 * position still lands inside each occurrence: for each literal the q-grams
 * at offsets 0 … stride - 1 are registered in a hashed bitmap, and a probe
 * that hits is verified at i - k. With the default rules' literals (8 bytes
 * and more) that is one probe every 5 bytes, and 4-grams are specific
 * enough that ordinary text rarely gets past the bitmap.
 */
#define GATE_BUCKETS	1024

struct gate_ent {
	uint32_t	gram;
	uint16_t	id;
	uint16_t	k;	/* offset of the gram in the literal */
};

struct match_gate {
	uint8_t		  bits[65536 / 8];
	char		**lits;
	size_t		 *lens;
	size_t		  n;
	size_t		  q, stride;
	uint32_t	  mask;
	struct gate_ent	 *ents[GATE_BUCKETS];
	size_t		  nents[GATE_BUCKETS];
	int		  sealed;
};

static inline uint32_t
gram_at(const char *s, uint32_t mask)
{
	uint32_t	x;

	memcpy(&x, s, sizeof x);
	return x & mask;
}

static inline uint32_t
gram_hash(uint32_t x)
{
	return (x * 2654435761u) >> 16;
}

struct match_gate *
match_gate_new(void)
{
	return xcalloc(1, sizeof(struct match_gate));
}

void
match_gate_free(struct match_gate *g)
{
	size_t	i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n; i++)
		free(g->lits[i]);
	for (i = 0; i < GATE_BUCKETS; i++)
		free(g->ents[i]);
	free(g->lits);
	free(g->lens);
	free(g);
}

int
match_gate_add(struct match_gate *g, const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < g->n; i++)
		if (g->lens[i] == n && memcmp(g->lits[i], s, n) == 0)
			return (int)i;
	if (g->n >= MATCH_GATE_MAX || n < 2 || g->sealed)
		return -1;
	g->lits = xreallocarray(g->lits, g->n + 1, sizeof *g->lits);
	g->lens = xreallocarray(g->lens, g->n + 1, sizeof *g->lens);
	/* padded so a 4-byte load at any offset stays inside */
	g->lits[g->n] = xcalloc(1, n + 4);
	memcpy(g->lits[g->n], s, n);
	g->lens[g->n] = n;
	return (int)g->n++;
}

void
match_gate_seal(struct match_gate *g)
{
	size_t		id, k, minlen = (size_t)-1, bk;
	uint32_t	x, h;

	if (g == NULL || g->sealed)
		return;
	for (id = 0; id < g->n; id++)
		if (g->lens[id] < minlen)
			minlen = g->lens[id];
	if (g->n == 0)
		minlen = 4;
	g->q = minlen < 4 ? minlen : 4;
	/* cppcheck takes the empty gate's path for the only one */
	/* cppcheck-suppress knownConditionTrueFalse */
	g->mask = g->q == 4 ? 0xffffffffu : (1u << (8 * g->q)) - 1;
	g->stride = minlen - g->q + 1;
	for (id = 0; id < g->n; id++)
		for (k = 0; k < g->stride; k++) {
			x = gram_at(g->lits[id] + k, g->mask);
			h = gram_hash(x);
			g->bits[h >> 3] |= 1 << (h & 7);
			bk = h % GATE_BUCKETS;
			g->ents[bk] = xreallocarray(g->ents[bk],
			    g->nents[bk] + 1, sizeof *g->ents[bk]);
			g->ents[bk][g->nents[bk]++] = (struct gate_ent){
			    x, (uint16_t)id, (uint16_t)k };
		}
	g->sealed = 1;
}

int
match_gate_scan(const struct match_gate *g, const char *line, size_t len,
    uint64_t *found)
{
	const struct gate_ent	*e;
	size_t			 i, j, start, bk;
	uint32_t		 x, h, tail;
	int			 any = 0;
	char			 last[4];

	memset(found, 0, MATCH_GATE_WORDS * sizeof *found);
	if (!g->sealed) {
		/* No index yet: every literal may be there, so every gated
		 * rule runs (slower, never a missed line). */
		for (i = 0; i < g->n; i++)
			found[i / 64] |= 1ULL << (i % 64);
		return g->n > 0;
	}
	if (len < g->q)
		return 0;
	for (i = 0; i + g->q <= len; i += g->stride) {
		if (i + 4 <= len)
			x = gram_at(line + i, g->mask);
		else {		/* near the end: never read past it */
			memset(last, 0, sizeof last);
			memcpy(last, line + i, len - i);
			tail = 0;
			memcpy(&tail, last, sizeof tail);
			x = tail & g->mask;
		}
		h = gram_hash(x);
		if ((g->bits[h >> 3] & (1 << (h & 7))) == 0)
			continue;
		bk = h % GATE_BUCKETS;
		for (j = 0; j < g->nents[bk]; j++) {
			e = &g->ents[bk][j];
			if (e->gram != x || e->k > i)
				continue;
			start = i - e->k;
			if (g->lens[e->id] <= len - start &&
			    memcmp(line + start, g->lits[e->id],
			    g->lens[e->id]) == 0) {
				found[e->id / 64] |= 1ULL << (e->id % 64);
				any = 1;
			}
		}
	}
	return any;
}
