/*
 * The Markdown job summary (summary.c): every verdict of the job, what was
 * done and when, for the runner's step summary file.
 */
#ifndef BREAKER_SUMMARY_H
#define BREAKER_SUMMARY_H

struct annotate_job;
struct verdict_list;

#define SUMMARY_MAX	(256 * 1024)	/* the runner drops > 1 MiB */

/*
 * Append the Markdown job summary to `path` (one write, at most
 * SUMMARY_MAX bytes; a quiet job gets one line). A NULL or empty path is
 * not an error (no step summary outside a job): 0. -1 on error (logged).
 */
int	summary_write(const char *path, const struct verdict_list *,
	    const struct annotate_job *);

#endif
