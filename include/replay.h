/*
 * The offline driver: whole files through the one pipeline, with the time
 * taken from the lines. `breaker replay` prints its report; `breaker check
 * --corpus` (corpus.c) runs one replay per labelled case and compares its
 * verdicts with the label. Both go through this code, so a case is judged
 * exactly as `breaker replay` would judge its files.
 */
#ifndef BREAKER_REPLAY_H
#define BREAKER_REPLAY_H

#include <stddef.h>
#include <stdint.h>

struct policy;
struct replay;
struct verdict;
struct verdict_list;

/* `policy` is borrowed; keep up to `max_examples` first lines per rule. */
struct replay	*replay_new(const struct policy *, size_t max_examples);
void		 replay_free(struct replay *);
/* The path that means standard input; one source at most may use it. */
#define REPLAY_STDIN	"-"
/*
 * Give source `name` the file `path` (borrowed). -1 when the policy has no
 * such source (nothing printed: the caller decides whether that is an
 * error or a counted skip).
 */
int		 replay_add_source(struct replay *, const char *name,
		    const char *path);
/*
 * Read every file to its end. Sources are read in the policy's order
 * (the built-in configuration: engine, then firewall), whatever order they
 * were added in, as in a job: AWF's start-up lines in the engine log come
 * before any traffic reaches the firewall. -1 when a file could not be
 * read (said on stderr); the verdicts so far stay available.
 */
int		 replay_run(struct replay *);
/* The verdicts, in the order they fired. */
const struct verdict_list *replay_verdicts(const struct replay *);
/*
 * A verdict that would have stopped the engine: fatal, not observe, action
 * "stop". The one definition of a "cut" for corpus.c and history.c.
 */
int		 replay_verdict_stops(const struct verdict *);
/* The first such verdict, or NULL. */
const struct verdict *replay_first_stop(const struct replay *);
/*
 * The earliest runner timestamp stripped from a line (lines.h,
 * lines_runner_stamp) and the latest line time seen; 0 when none.
 */
void		 replay_times(const struct replay *, double *first,
		    double *last);
/* Lines and bytes read over all sources. */
uint64_t	 replay_lines(const struct replay *);
uint64_t	 replay_bytes(const struct replay *);
/* Print the report of a run (text, or JSON with `json`); 1 if a fatal
 * verdict would have stopped the engine. */
int		 replay_report(struct replay *, int json);

#endif
