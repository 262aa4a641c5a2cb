/*
 * The one sample runner: a rule's `samples` (lines on which it must fire,
 * look-alikes on which it must stay silent) fed through a fresh pipeline.
 * `breaker check` and the unit tests both call it, so what a rule author
 * sees and what the tests hold the default rules to cannot drift apart.
 *
 * The clock: each sample line comes one second after the one before it
 * (the first at 1 s), unless the line carries its own time (a squid
 * timestamp, a JSON "timestamp"), which then wins. So a `count 5 in "2s"`
 * rule cannot fire on five plain lines: they span four seconds.
 */
#ifndef BREAKER_SAMPLES_H
#define BREAKER_SAMPLES_H

#include <stddef.h>
#include <stdio.h>

struct policy;

/*
 * Run every sample of rule `idx`. Each sample that misbehaves is printed on
 * `out` as "where: path.samples.fire[k]: rule ID did not fire" (or "fired
 * before the last line", or "silent[k]: ... fired on line N"). Adds the
 * number of samples run to *nsamples; returns the number that misbehaved.
 */
size_t	samples_check(const struct policy *, size_t idx, FILE *out,
	    size_t *nsamples);

#endif
