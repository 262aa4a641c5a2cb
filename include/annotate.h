/*
 * What the job shows: workflow commands (::error title=…::message) with the
 * runner's exact escaping, and the Markdown job summary. Engine and log text
 * is hostile: it goes through sanitise.h (redacted, neutralised, then cut)
 * before any of it is printed.
 */
#ifndef BREAKER_ANNOTATE_H
#define BREAKER_ANNOTATE_H

#include <stddef.h>
#include <stdio.h>

struct verdict;
struct verdict_list;

#define ANNOTATE_MAX_PER_TYPE	10	/* the runner keeps 10 per type per step */
#define ANNOTATE_MAX_MESSAGE	4000	/* the runner cuts at 4,096 */

/* Runner escaping: property values (% CR LF : ,) and message data (% CR LF). */
char	*annotate_escape_property(const char *);
char	*annotate_escape_data(const char *);

/* Facts about the job for the summary's time line. */
struct annotate_job {
	double		 job_started;	/* epoch s, 0 if unknown */
	double		 finished;	/* epoch s when finish ran */
	int		 observe;	/* observe mode */
	int		 daemon_ended_early; /* daemon gone before finish */
	const char	*policy;	/* policy_describe() */
	const char	*note;		/* extra line (e.g. config warning) */
	double		 saved;		/* seconds the cut saved, 0 unknown */
	const char	*saved_basis;	/* how `saved` was estimated, or NULL */	/* A rule's hint for the workflow's author ("what to do"), or NULL;
	 * policy_rule_hint through a callback, so annotate.c needs no
	 * policy. */
	const char	*(*hint)(const char *rule_id, const void *arg);
	const void	*hint_arg;
};

#define ANNOTATE_MAX_TITLE	200		/* bytes of a title property */

/*
 * Print the verdicts as workflow commands to `out`: at most 10 per type
 * (the runner keeps only the first 10 of each type per step), so when a
 * type overflows 9 are printed and the 10th folds the rest: "… and N more
 * breaker verdicts; see the job summary". Observe mode says "would have
 * stopped the engine". See docs/annotations.md.
 */
void	annotate_print(FILE *out, const struct verdict_list *,
	    const struct annotate_job *);
/*
 * Print one warning annotation (configuration problem etc.). The message's
 * line breaks are breaker's own: they stay line breaks, blank lines and a
 * trailing break dropped; each line is sanitised.
 */
void	annotate_warning(FILE *out, const char *title, const char *message);
/* The job ran in observe mode (job may be NULL). */
int	annotate_job_observe(const struct annotate_job *);
/* The rule's hint for the workflow's author, a copy, or NULL. */
char	*annotate_job_hint(const struct verdict *, const struct annotate_job *);

#endif
