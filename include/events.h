/*
 * The fleet's record of a job: one structured event per verdict and one
 * per job, schema "breaker.event/1" (docs/events.md), written by
 * `breaker finish` — the one place that has every verdict, the job's
 * identity and its end — as JSON lines appended to the configured file
 * (for Fluent Bit, Vector, the cluster's log agent) and to journald
 * through its native datagram protocol (fields journalctl can filter on:
 * BREAKER_RULE=, GITHUB_REPOSITORY=, …), then into the metrics textfile
 * (metrics.c). Failures to stop and an unconfined daemon are warnings
 * (PRIORITY=4), never info. Nothing here can fail the job: every problem
 * is logged and skipped.
 */
#ifndef BREAKER_EVENTS_H
#define BREAKER_EVENTS_H

#include <stddef.h>

struct cJSON;
struct job;
struct policy;
struct verdict;
struct verdict_list;

#define EVENTS_SCHEMA		"breaker.event/1"
#define EVENTS_HEALTH_FILE	"health.json"
/*
 * The enforce-mode estimate of time saved: the agent step would have run
 * until gh-aw's default timeout at the latest (FIELD-NOTES §2). Labelled
 * an estimate wherever it is shown.
 */
#define EVENTS_STEP_TIMEOUT	(20 * 60)

/* What the daemon knew of its own health, saved for finish. */
struct events_health {
	char		 sandbox[16];	/* enforce, log, off, unconfined, "" */
	unsigned	 sources_unreadable;
};
int	events_health_save(struct job *, const char *sandbox,
	    unsigned sources_unreadable);
void	events_health_load(struct job *, struct events_health *);

/* What finish knows about the job. */
struct events_job {
	struct job			*job;	/* its dir is opened to read health.json */
	const struct verdict_list	*verdicts;
	double				 started;	/* epoch s, 0 unknown */
	double				 finished;
	int				 observe;
	int				 daemon_ended_early;
	struct events_health		 health;
};

/*
 * What happened to the engine, as data: "stopped", "not-found",
 * "not-permitted", "failed" (a stop that did not end it), "observe",
 * "recorded" (no stop asked), "none".
 */
const char	*events_outcome(const struct verdict *);
/* The first verdict that stopped, or would have stopped, the engine. */
const struct verdict *events_first_stop(const struct events_job *);
/* A failure to stop or an unconfined daemon: a warning, not info. */
int		 events_is_warning(const char *outcome);
/*
 * Seconds the job's end lay past the first stopping verdict: exact in
 * observe mode ("observed"); in enforce mode an estimate bounded by the
 * step timeout ("estimated"); -1 and basis NULL when there is none.
 */
double		 events_saved(const struct events_job *, const char **basis);

/* The records, schema EVENTS_SCHEMA: an array of objects, verdicts then
 * the job. */
struct cJSON	*events_records(const struct events_job *);
/* Append `records` as JSON lines to `path`; -1 on error (logged). */
int		 events_write_file(const char *path, const struct cJSON *);
/* Send each record to journald at `socket_path`; -1 on error (logged). */
int		 events_journal(const char *socket_path, const struct cJSON *);

/*
 * All of the above as the configuration asks (metrics.c, which reads
 * these records' outcomes, is called by finish beside this).
 */
void		 events_finish(const struct policy *, struct events_job *);

#endif
