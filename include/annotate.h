/*
 * What the job shows: workflow commands (::error title=…::message) with the
 * runner's exact escaping, and the Markdown job summary. Engine and log text
 * is hostile: it is redacted (API keys, tokens) and neutralised (it can never
 * form a workflow command, not even the legacy ##[cmd] form) before any of it
 * is printed.
 */
#ifndef BREAKER_ANNOTATE_H
#define BREAKER_ANNOTATE_H

#include <stddef.h>
#include <stdio.h>

struct verdict_list;

#define ANNOTATE_MAX_PER_TYPE	10	/* the runner keeps 10 per type per step */
#define ANNOTATE_MAX_MESSAGE	4000	/* the runner cuts at 4,096 */

/* Runner escaping: property values (% CR LF : ,) and message data (% CR LF). */
char	*annotate_escape_property(const char *);
char	*annotate_escape_data(const char *);
/* Replace secrets (sk-…, ghp_…, github_pat_…, Bearer …) with a marker. */
char	*annotate_redact(const char *, size_t);
/* Make text inert as workflow-command input: "::" and "##[" broken, CR/LF. */
char	*annotate_neutralise(const char *, size_t);

/* Facts about the job for the summary's time line. */
struct annotate_job {
	double		 job_started;	/* epoch s, 0 if unknown */
	double		 finished;	/* epoch s when finish ran */
	int		 observe;	/* observe mode */
	int		 daemon_ended_early; /* daemon gone before finish */
	const char	*policy;	/* policy_describe() */
	const char	*note;		/* extra line (e.g. config warning) */
};

/*
 * Print the verdicts as workflow commands to `out`: at most 10 per type,
 * the overflow folded into one summary annotation of that type.
 */
void	annotate_print(FILE *out, const struct verdict_list *,
	    const struct annotate_job *);
/* Print one warning annotation (configuration problem etc.). */
void	annotate_warning(FILE *out, const char *title, const char *message);
/* Append the Markdown job summary to `path`; -1 on error (logged). */
int	annotate_summary(const char *path, const struct verdict_list *,
	    const struct annotate_job *);

#endif
