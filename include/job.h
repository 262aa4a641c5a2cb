/*
 * The job breaker is attached to: its identity from the runner's environment
 * (run id and attempt, repository, job key, runner name, RUNNER_TRACKING_ID,
 * the step-summary file) and its per-job state directory.
 *
 * State never lives in RUNNER_TEMP or the workspace (the runner wipes both).
 * The root is BREAKER_STATE_DIR, else the configuration's state_dir, else
 * /var/lib/breaker when writable, else $XDG_STATE_HOME/breaker (or
 * ~/.local/state/breaker). Under it each job gets its own directory, keyed
 * by runner name, run id, attempt, job key and tracking id, so consecutive
 * jobs and two runners on one machine never share a file.
 */
#ifndef BREAKER_JOB_H
#define BREAKER_JOB_H

#include <stddef.h>

#define JOB_STATE_DIR_SYSTEM	"/var/lib/breaker"
#define JOB_KEEP_DIRS		64	/* finished job dirs kept per root */
#define JOB_MAX_AGE		(3 * 24 * 3600)	/* older ones always go */

/*
 * Open on purpose, as a record (like struct verdict): the runner's identity,
 * read by the daemon, the reports and doctor. The fields below `started`
 * are the state directory's, and job.c alone sets them: job_resolve_dir
 * (root, dir), job_make_dir/job_open_dir (dirfd, problem). The root cannot
 * be known when the identity is read (it depends on the configuration
 * loaded after), hence two steps rather than one constructor. Callers only
 * read them.
 */
struct job {
	char	*run_id;	/* GITHUB_RUN_ID, or NULL */
	char	*run_attempt;	/* GITHUB_RUN_ATTEMPT */
	char	*repository;	/* GITHUB_REPOSITORY */
	char	*job_key;	/* GITHUB_JOB */
	char	*runner_name;	/* RUNNER_NAME */
	char	*tracking_id;	/* RUNNER_TRACKING_ID */
	char	*step_summary;	/* GITHUB_STEP_SUMMARY */
	char	*workspace;	/* GITHUB_WORKSPACE */
	char	*runner_temp;	/* RUNNER_TEMP */
	double	 started;	/* epoch s the job was first seen (job.json) */

	char	*key;		/* file-name-safe, unique per job */
	char	*root;		/* state root */
	char	*dir;		/* root/key */
	int	 dirfd;		/* dir, held open once checked, or -1 */
	char	*problem;	/* why the state directory was refused */
};

/* Read the identity from the environment. Never NULL. */
struct job	*job_from_env(void);
void		 job_free(struct job *);
/* The job is known to the runner (has a run id or a tracking id). */
int		 job_in_runner(const struct job *);

/*
 * Pick the state root: `override` (BREAKER_STATE_DIR, --state-dir), else
 * `configured` (the configuration's state_dir), else the defaults above.
 * Sets job->root and job->dir; 0, or -1 with a reason in *why (static).
 */
int		 job_resolve_dir(struct job *, const char *override,
		    const char *configured, const char **why);
/*
 * Create root (0700 if new) and the job dir (0700), checked like OpenSSH
 * checks ~/.ssh: the root and every directory above it owned by the euid
 * or root and not writable by group or others unless sticky; the job dir
 * ours, not a link. The job dir is then held open (job->dirfd). Prunes
 * old job dirs. 0, or -1 with the reason in job_problem().
 */
int		 job_make_dir(struct job *);
/* Open (not create) the job dir with the same checks; 0 or -1. */
int		 job_open_dir(struct job *);
void		 job_close_dir(struct job *);
/* Why job_make_dir/job_open_dir refused, or the dir's path. */
const char	*job_problem(const struct job *);
/* The job dir exists (a daemon was started for this job). */
int		 job_dir_exists(const struct job *);
/* root/key/name, allocated. */
char		*job_path(const struct job *, const char *name);
/*
 * The same file through the held descriptor (/proc/self/fd/N/name), for
 * calls that take only a path (bind): the directory checked is the one
 * used, whatever was renamed since. job_path() while none is held.
 */
char		*job_fd_path(const struct job *, const char *name);

/* job.json: identity and start time, written by start, read by finish. */
int		 job_save(struct job *);
int		 job_load_started(struct job *);
/* Mark the job finished so the dir may be pruned by a later job. */
void		 job_mark_finished(struct job *);

/*
 * Remove finished (or stale) job dirs under `root` beyond the newest `keep`
 * and all older than `max_age` seconds, never `except`. Bounded work.
 * Returns the number removed.
 */
int		 job_prune(const char *root, const char *except, size_t keep,
		    double max_age);

/* Epoch seconds (CLOCK_REALTIME) as a double. */
double		 job_now(void);

#endif
