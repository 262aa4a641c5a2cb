/*
 * A multi-literal gate: one pass over a line finds which literals occur.
 * Literals are added, then the gate is sealed (its index built once); a
 * scan never changes the gate. Used by pipeline.c as the rules' prefilter.
 */
#ifndef BREAKER_MATCH_GATE_H
#define BREAKER_MATCH_GATE_H

#include <stddef.h>
#include <stdint.h>

#define MATCH_GATE_MAX		256
#define MATCH_GATE_WORDS	(MATCH_GATE_MAX / 64)

struct match_gate;

struct match_gate *match_gate_new(void);
void		 match_gate_free(struct match_gate *);
/* The literal's id (the same for the same text), or -1 when the gate is
 * full, the literal is shorter than 2 bytes or the gate is sealed. */
int		 match_gate_add(struct match_gate *, const char *, size_t);
/* Build the index: no literal can be added after. NULL is fine. */
void		 match_gate_seal(struct match_gate *);
/*
 * Set bit `id` of found[MATCH_GATE_WORDS] for each literal present; 1 if
 * any is. An unsealed gate reports every literal present (fail-open).
 */
int		 match_gate_scan(const struct match_gate *, const char *, size_t,
		    uint64_t *found);

#endif
