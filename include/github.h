/*
 * Optional GitHub REST actions over TLS (libevent's HTTP client on OpenSSL):
 * a GitHub App's RS256 JWT exchanged for an installation token, or a token
 * from a file; cancel the run; publish a check run with the verdicts as
 * annotations. Credentials come from the runner's configuration, never from
 * the job, and never reach a log, a verdict or a summary.
 *
 * Everything is asynchronous on the caller's event_base. Each action's
 * callback runs exactly once, never from inside the call that started the
 * action; github_free() runs the callbacks of unfinished actions with ok = 0.
 * See docs/github.md.
 */
#ifndef BREAKER_GITHUB_H
#define BREAKER_GITHUB_H

#include <stdio.h>

/*
 * 1 when this build has the GitHub client (meson -Dgithub, the default).
 * Without it (-Dgithub=disabled) github_new() always returns NULL, saying
 * why (GITHUB_NOT_BUILT), and the daemon's seccomp table has no socket.
 */
#ifndef BREAKER_GITHUB
#define BREAKER_GITHUB	1
#endif
#define GITHUB_NOT_BUILT	"this breaker was built without the GitHub " \
				"client (meson -Dgithub=disabled)"

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

/* Bounds of one REST request (all of its attempts). */
struct github_limits {
	unsigned	connect_timeout_ms;	/* connect + TLS, idle gaps */
	unsigned	request_timeout_ms;	/* one attempt, end to end */
	unsigned	max_attempts;		/* first attempt included */
	unsigned	max_total_ms;		/* all attempts and waits */
	unsigned	backoff_ms;		/* first wait: 5xx, network */
};

/* NULL (with the reason logged) when no usable credentials are configured. */
struct github	*github_new(struct event_base *, const struct policy_github *,
		    const struct github_job *);
void		 github_free(struct github *);
/* Defaults: 5 s connect, 15 s per attempt, 4 attempts, 30 s, 1 s backoff. */
void		 github_limits_default(struct github_limits *);
void		 github_set_limits(struct github *,
		    const struct github_limits *);

/*
 * `result` is one line for the verdict's api_result and the log: it never
 * holds a token or key. It is only valid during the call.
 */
typedef void (*github_done_cb)(int ok, const char *result, void *arg);

/* POST …/actions/runs/{id}/cancel; 202 and 409 are both success. */
void		 github_cancel_run(struct github *, github_done_cb, void *);
/* Create (or update) the "breaker" check run with these verdicts. */
void		 github_check_run(struct github *, const struct verdict_list *,
		    github_done_cb, void *);

/*
 * For hooks that handle a token themselves: print "::add-mask::<token>"
 * (escaped as the runner parses it) so the job log masks it. breaker itself
 * never hands a token to a hook.
 */
void		 github_mask_line(const char *token, FILE *);

#endif
