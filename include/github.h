/*
 * Optional GitHub REST actions over TLS (libevent's HTTP client on OpenSSL):
 * a GitHub App's RS256 JWT exchanged for an installation token, or a token
 * from a file; cancel the run; publish a check run with the verdicts as
 * annotations. Credentials come from the runner's configuration, never from
 * the job, and never reach a log, a verdict or a summary.
 */
#ifndef BREAKER_GITHUB_H
#define BREAKER_GITHUB_H

struct event_base;
struct policy_github;
struct verdict;
struct verdict_list;
struct github;

/* Identity of the job the actions are about. */
struct github_job {
	const char	*repository;	/* "owner/repo" */
	const char	*run_id;
	const char	*run_attempt;
	const char	*job_key;	/* GITHUB_JOB */
	const char	*runner_name;
};

/* NULL (with the reason logged) when no usable credentials are configured. */
struct github	*github_new(struct event_base *, const struct policy_github *,
		    const struct github_job *);
void		 github_free(struct github *);

typedef void (*github_done_cb)(int ok, const char *result, void *arg);

/* POST …/actions/runs/{id}/cancel; 202 and 409 are both success. */
void		 github_cancel_run(struct github *, github_done_cb, void *);
/* Create (or update) the "breaker" check run with these verdicts. */
void		 github_check_run(struct github *, const struct verdict_list *,
		    github_done_cb, void *);

#endif
