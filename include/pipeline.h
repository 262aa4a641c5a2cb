/*
 * The one detection pipeline: line -> event (parse by source format) ->
 * rules (match, except) -> correlations (count, distinct, sequence, sliding
 * windows, group-by) -> verdicts. Both drivers feed it: the live daemon
 * (watch.c, wall-clock time) and `breaker replay` (replay.c, time from the
 * lines themselves). Nothing here does I/O or acts: verdicts go to a callback.
 */
#ifndef BREAKER_PIPELINE_H
#define BREAKER_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

struct policy;
struct pipeline;
struct verdict;

/*
 * Verdicts are bounded, since a rule grouped by a value from the log (an
 * MCP server's name, a host) could otherwise make one per distinct value:
 * at most this many per rule and per job. Later firings are counted in
 * pipeline_rule_stats' `capped` and logged once per rule.
 */
#define PIPELINE_MAX_RULE_VERDICTS	100
#define PIPELINE_MAX_VERDICTS		1000

/* The callee takes ownership of the verdict. */
typedef void (*pipeline_verdict_cb)(struct verdict *, void *arg);

struct pipeline	*pipeline_new(const struct policy *, pipeline_verdict_cb,
		    void *arg);
void		 pipeline_free(struct pipeline *);

/*
 * Feed one complete line of source number `source` (an index into the
 * policy's sources). `flags` are LINES_* from lines.h: a LINES_TRUNCATED
 * line (cut at `len` bytes as over-long) is matched on what it kept, and
 * is counted in the source's `cut` when a rule counts it; a verdict it fires
 * carries `line_cut` = len. `now` is the event
 * time in epoch seconds; pass a negative value to let the pipeline take it
 * from the line (squid timestamps, JSON "timestamp") or, failing that, keep
 * the last time seen (replay's synthetic clock).
 */
void		 pipeline_feed(struct pipeline *, size_t source,
		    const char *line, size_t len, int flags, double now);
/*
 * Called on every event a rule counts (matched, not excepted), before its
 * correlation decides; replay uses it to show each rule's first lines.
 */
typedef void (*pipeline_hit_cb)(size_t rule, const char *line, size_t len,
    uint64_t line_no, void *arg);
void		 pipeline_set_hit_cb(struct pipeline *, pipeline_hit_cb,
		    void *arg);
/*
 * The time the pipeline last saw (a line's own, or the driver's): replay.c
 * reads a run's last time from it; samples.c and the fuzz targets step the
 * clock on from it.
 */
double		 pipeline_clock(const struct pipeline *);
/*
 * Advance the pipeline's clock to `now`. Windows expire lazily, when the
 * next event of a rule arrives, so no timer has to call this while idle.
 */
void		 pipeline_tick(struct pipeline *, double now);

struct pipeline_rule_stats {
	const char	*id;
	const char	*title;
	const char	*source;
	int		 severity;	/* enum severity */
	uint64_t	 hits;		/* events that matched (after except) */
	uint64_t	 verdicts;
	uint64_t	 capped;	/* firings past the verdict caps */
	uint64_t	 gave_up;	/* lines its regex gave up on */
	uint64_t	 evicted;	/* groups and values forgotten at the
					   correlate caps */
};
size_t		 pipeline_nrules(const struct pipeline *);
void		 pipeline_rule_stats(const struct pipeline *, size_t,
		    struct pipeline_rule_stats *);
/* What became of a source's lines; an unknown index reads as all zero. */
struct pipeline_source_stats {
	uint64_t	 lines;		/* lines fed */
	/* shown as a tool's output (source.h, source_context_quoted):
	 * counted, offered to no rule, whatever they say */
	uint64_t	 quoted;
	/* cut as over-long (LINES_TRUNCATED) and still counted by a rule,
	 * on the bytes they kept */
	uint64_t	 cut;
	/* a jsonl/squid parser could not read them (still matched as text) */
	uint64_t	 malformed;
};
struct pipeline_source_stats pipeline_source_stats(const struct pipeline *,
		    size_t source);

#endif
