/*
 * `breaker check --corpus DIR`: a labelled corpus of logs through the
 * policy, as a confusion matrix. Each case is a directory holding
 * case.json ({"id", "engine", "label": "fatal"|"warning"|"ok", "class",
 * "provenance", "reason"}) and one file per source, named after it
 * (`engine.log`, `firewall.log`: the part before the first dot is the
 * source's name). Every case is replayed by replay.c, the same driver as
 * `breaker replay`, and its verdicts reduced to an outcome: "stop" (a
 * fatal verdict whose action is stop), "warn" (any other verdict) or "ok"
 * (none), compared with the label (fatal -> stop, warning -> warn,
 * ok -> ok).
 */
#ifndef BREAKER_CORPUS_H
#define BREAKER_CORPUS_H

struct policy;

/*
 * Evaluate every case under `dir` (a directory holding case.json is one
 * case; others are searched, a few levels deep) and print the report, as
 * JSON when `json`. Returns 0 when no case was a false stop or a missed
 * fatal, 1 when one was, 2 when the corpus could not be read at all.
 */
int	corpus_evaluate(const struct policy *, const char *dir, int json);

#endif
