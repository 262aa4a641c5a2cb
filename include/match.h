/*
 * Compiled predicates: PCRE2 regexes (JIT, one compiled pattern per regex,
 * match data shared and reused), field comparisons, named lists, and their
 * combinations. Compiling reports problems through a callback that knows
 * the key path; matching never allocates.
 */
#ifndef BREAKER_MATCH_H
#define BREAKER_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

struct cJSON;
struct match_pred;

/* A named list of strings; "*.example.com" matches any subdomain. */
struct match_list {
	char		 *name;
	char		**items;
	size_t		  nitems;
	int		  defined;	/* by a `lists` key (else only used) */
	char		 *ref_file;	/* first use, for the error */
	char		 *ref_path;
};
int	match_list_contains(const struct match_list *, const char *, size_t);

/* What the compiler needs from its caller. */
struct match_env {
	enum source_format	 format;
	/* report an error at a key path ("rules[3].match.regex") */
	void			(*error)(void *, const char *path,
				    const char *msg, const char *hint);
	/* find or create a list by name (creation marks the first use) */
	struct match_list	*(*list)(void *, const char *name,
				    const char *path);
	void			*arg;
};

/* The closest of `known` to a misspelt key, or NULL. */
const char	*match_suggest(const char *, const char *const *, size_t);

/* NULL after reporting through env->error. */
struct match_pred *match_compile(const struct cJSON *, const char *path,
		    const struct match_env *);
void		 match_free(struct match_pred *);
/* Does some regex of this predicate define this named capture? */
int		 match_has_capture(const struct match_pred *, const char *);
/*
 * Up to `max` names of the named captures (outside a `not`, whose captures
 * never hold) / of the fields the predicate reads, as written: they stay
 * the predicate's. Returns how many were stored.
 */
size_t		 match_captures(const struct match_pred *, const char **,
		    size_t max);
size_t		 match_fields(const struct match_pred *, const char **,
		    size_t max);
/* Append the named captures' names, comma-separated, to a hint. */
void		 match_capture_names(const struct match_pred *, char *, size_t);
/* Largest ovector any regex of this predicate needs (pairs). */
unsigned	 match_max_groups(const struct match_pred *);
/*
 * The prefilter. A literal set is texts of which every line the predicate
 * matches contains at least one (derived from regexes, split at top-level
 * alternatives, and from string comparisons on squid and plain JSON
 * fields); -1 when the predicate admits no such set. The pipeline feeds
 * them to a gate (match_gate.h).
 */
struct match_litset {
	char		**lits;
	size_t		 *lens;
	size_t		  n;
};
int		 match_literals(const struct match_pred *, enum source_format,
		    struct match_litset *);
void		 match_litset_free(struct match_litset *);

#define MATCH_MAX_CAPTURES	16

struct match_capture {
	const char	*name;
	const char	*s;
	size_t		 len;
};

/*
 * PCRE2's match limit for each regex run (its default is 10 million). A
 * catastrophic pattern on a line built to defeat it (the review's bait:
 * 64 KiB of `_ApiError: "code": 403 ` repeated) gives up after this many
 * steps: about 1.7 ms instead of 170 ms per line. Measured: every rule's
 * samples and every fixture give the same verdicts at 1,000 steps; genuine
 * 20 KiB provider errors match within 10,000; only lines made of repeated
 * near-matches need more. So the limit is 10x the most any realistic line
 * needed, and 100x below the default. A run that gives up counts as no
 * match for its rule (counted in gave_up, logged once per rule).
 */
#define MATCH_LIMIT		100000

/* Per-pipeline scratch: the reused match data and the captures found. */
struct match_ctx {
	void			*md;	/* pcre2_match_data */
	void			*mc;	/* pcre2_match_context: the limits */
	struct match_capture	 cap[MATCH_MAX_CAPTURES];
	size_t			 ncap;
	uint64_t		 gave_up;	/* regex runs that hit a PCRE2
						   limit (counted as no match) */
};

void		 match_ctx_init(struct match_ctx *, unsigned max_groups);
void		 match_ctx_free(struct match_ctx *);
/* 1 when the event satisfies the predicate; captures are appended. */
int		 match_eval(const struct match_pred *, struct source_event *,
		    struct match_ctx *);
/* A capture's value by name, else a field's (by path text), else NULL. */
int		 match_lookup(struct match_ctx *, struct source_event *,
		    const char *name, const char **s, size_t *len);

#endif
