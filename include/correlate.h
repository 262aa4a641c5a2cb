/*
 * Per-rule state over time: recent event times (true sliding windows),
 * distinct values, the fired-once flag and a few evidence lines, kept per
 * group-by value. Memory is bounded: at most CORRELATE_MAX_GROUPS groups per
 * rule and CORRELATE_MAX_VALUES distinct values per group; the least recently
 * used is evicted first, and every eviction is counted.
 */
#ifndef BREAKER_CORRELATE_H
#define BREAKER_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#define CORRELATE_MAX_GROUPS	1024
#define CORRELATE_MAX_VALUES	1024
#define CORRELATE_MAX_THRESHOLD	1024
#define CORRELATE_EVIDENCE	6	/* lines kept per group */
#define CORRELATE_EVIDENCE_LEN	1024	/* bytes kept per line */

enum correlate_kind {
	CORRELATE_NONE = 0,	/* fire on the first event */
	CORRELATE_COUNT,
	CORRELATE_DISTINCT,
	CORRELATE_SEQUENCE,
};

struct correlate;
struct correlate_group;

/* `ring`: how many recent event times to keep per group (>= 1). */
struct correlate	*correlate_new(unsigned ring, unsigned max_groups,
			    unsigned max_values);
void			 correlate_free(struct correlate *);
/* The rule's id, for the logs (a copy is kept). */
void			 correlate_set_name(struct correlate *, const char *);

/* Find a group by key, creating it (and evicting the LRU one) if needed. */
struct correlate_group	*correlate_group(struct correlate *, const char *,
			    size_t);
/* Find without creating; NULL if absent. */
struct correlate_group	*correlate_find(struct correlate *, const char *,
			    size_t);

/* Record one event in a group: its time, its line, its distinct value. */
void		 correlate_record(struct correlate *, struct correlate_group *,
		    double now, const char *line, size_t len,
		    const char *value, size_t vlen);
/* Events within (now - window, now]... precisely: time >= now - window. */
unsigned	 correlate_count(const struct correlate_group *, double now,
		    double window, double *first);
/* Distinct values seen at time >= now - window (expired ones dropped). */
unsigned	 correlate_distinct(struct correlate *, struct correlate_group *,
		    double now, double window, double *first);
/* Forget the group's events (times, values, evidence) but not that it
 * fired: what it counts has stopped being true (a `reset_by` rule). */
void		 correlate_reset(struct correlate_group *);
int		 correlate_fired(const struct correlate_group *);
void		 correlate_set_fired(struct correlate_group *);
/* The group's last evidence lines, oldest first; returns how many. */
size_t		 correlate_evidence(const struct correlate_group *,
		    const char **, size_t *, size_t max);

struct correlate_stats {
	uint64_t	groups;		/* live groups */
	uint64_t	evicted_groups;
	uint64_t	evicted_values;
};
void		 correlate_get_stats(const struct correlate *,
		    struct correlate_stats *);

#endif
