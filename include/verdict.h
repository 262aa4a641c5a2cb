/*
 * A fired rule as a structured record. It is persisted to the state directory
 * (atomically: temporary file, fsync, rename) before any action runs, and
 * rewritten when the action's outcome is known, so a crash loses nothing and
 * `breaker finish` can report from disk alone.
 */
#ifndef BREAKER_VERDICT_H
#define BREAKER_VERDICT_H

#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct cJSON;

enum severity {
	SEVERITY_NOTICE = 0,
	SEVERITY_WARNING,
	SEVERITY_FATAL,
};

/*
 * What was done about a verdict. An enum in memory; the words ("none",
 * "record", "stop", "would-stop") exist only in the JSON, where
 * verdict_to_json and verdict_from_json turn one into the other.
 */
enum verdict_action {
	VERDICT_NONE = 0,	/* nothing asked (yet) */
	VERDICT_RECORD,		/* recorded only */
	VERDICT_STOP,		/* the engine is to be stopped */
	VERDICT_WOULD_STOP,	/* observe mode: it would have been */
};

/*
 * What came of it, decided where the stop's result is known (watch.c,
 * from proc_stop.c's result) and kept as data: the events, metrics and reports
 * read it instead of guessing from the sentence in action_result.
 * Persisted as "outcome"; a file without it gets one derived on load.
 */
enum verdict_outcome {
	VERDICT_OUTCOME_NONE = 0,	/* "none": no action asked */
	VERDICT_OUTCOME_RECORDED,	/* "recorded": warning, notice… */
	VERDICT_OUTCOME_OBSERVE,	/* "observe": would have stopped */
	VERDICT_OUTCOME_STOPPED,	/* "stopped": the target exited */
	VERDICT_OUTCOME_NOT_FOUND,	/* "not-found": no target */
	VERDICT_OUTCOME_NOT_PERMITTED,	/* "not-permitted": EPERM */
	VERDICT_OUTCOME_FAILED,		/* "failed": not seen to exit */
};

#define VERDICT_MAX_EVIDENCE	10	/* evidence lines kept per verdict */
#define VERDICT_MAX_EVIDENCE_LEN 1024	/* bytes kept per evidence line */

struct verdict {
	unsigned	 seq;		/* 1, 2, … within the job */
	char		*rule_id;
	char		*title;
	enum severity	 severity;
	char		*source;	/* source name, e.g. "engine" */
	char		*message;	/* rendered message template */
	uint64_t	 line_no;	/* line of the firing event in source */
	/* The firing line was over-long, cut by lines.c at this many bytes
	 * and matched on them; 0: a whole line. In the JSON ("line_cut")
	 * only when set. */
	uint64_t	 line_cut;
	uint64_t	 count;		/* events the correlation counted */
	double		 first_seen;	/* epoch seconds of first counted event */
	double		 fired_at;	/* epoch seconds the rule fired */
	int		 observe;	/* observe mode: nothing was done */

	/* evidence: sanitised (never raw) lines, oldest first */
	char		*evidence[VERDICT_MAX_EVIDENCE];
	size_t		 nevidence;
	uint64_t	 evidence_dropped;

	enum verdict_action	 action;	/* what was done */
	enum verdict_outcome	 outcome;	/* what came of it */
	/* outcome, in words, e.g. "awf (pid 4242) exited after SIGINT" */
	char		*action_result;
	char		*stop_target;	/* "awf" or NULL */
	int		 stop_pid;	/* 0 when none */
	char		*stop_signal;	/* last signal sent, "SIGINT" … */
	double		 stopped_at;	/* epoch seconds the target exited, 0 */
	int		 stop_exit;	/* target's wait status, -1 unknown */
	char		*api_result;	/* GitHub API outcome, or NULL */
	/*
	 * The last write of this record failed (a full disk): the daemon
	 * still holds it and hands it to `finish` over the control socket,
	 * whose report says the file could not be written. In the JSON only
	 * when set ("unsaved": true), which a file never is.
	 */
	int		 unsaved;

	TAILQ_ENTRY(verdict) entry;
};
TAILQ_HEAD(verdict_list, verdict);

struct verdict	*verdict_new(void);
void		 verdict_free(struct verdict *);
void		 verdict_list_free(struct verdict_list *);
/*
 * Keep a copy of one evidence line, redacted and neutralised
 * (sanitise_text_cut: the whole line, then the cut) and capped at VERDICT_MAX_EVIDENCE_LEN bytes on a
 * UTF-8 boundary ("…" marks a cut). When full, the first line (the first
 * sign) stays, the second-oldest goes and evidence_dropped counts it.
 */
void		 verdict_add_evidence(struct verdict *, const char *, size_t);
void		 verdict_set(char **field, const char *value);
/* The severities' words, the one list (a rule's `severity` is one of
 * them or "none"); "unknown" for a value not in it. */
extern const struct util_enum	severity_table[];
extern const size_t		severity_ntable;
const char	*severity_name(enum severity);
/* The JSON words: "stop", "not-permitted"…; *_parse gives -1 if unknown. */
const char	*verdict_action_name(enum verdict_action);
int		 verdict_action_parse(const char *);
const char	*verdict_outcome_name(enum verdict_outcome);
int		 verdict_outcome_parse(const char *);
/* not-found, not-permitted, failed: a stop that did not happen */
int		 verdict_outcome_is_failure(enum verdict_outcome);
int		 severity_parse(const char *);	/* -1 if unknown */

struct cJSON	*verdict_to_json(const struct verdict *);
struct verdict	*verdict_from_json(const struct cJSON *);
/* Write <state_dir>/verdict-<seq>.json atomically; -1 on error (logged). */
int		 verdict_persist(const struct verdict *, const char *state_dir);
/*
 * The same, with the fsyncs only when `durable`. Without them the record
 * is still whole and in place (written, then renamed), so it survives the
 * daemon's death, though not the machine's: the live driver writes it that
 * way before its first signal, where two fsyncs would cost milliseconds,
 * and durably right after.
 */
int		 verdict_write(const struct verdict *, const char *state_dir,
		    int durable);
/*
 * Append every verdict file of a state directory to the list, ordered by
 * seq; a corrupt file is logged and skipped. Returns the number loaded,
 * 0 if the directory does not exist, -1 if it cannot be read (logged).
 */
int		 verdict_load_all(const char *state_dir, struct verdict_list *);

/*
 * Queries for the reports (annotate.c, summary.c). `job_observe`: the
 * job ran in observe mode. Every string returned is sanitised, plain text
 * (no workflow command, no secret), and the caller's to free.
 */
int		 verdict_observed(const struct verdict *, int job_observe);
int		 verdict_stopped(const struct verdict *);	/* action stop */

/* How a report tells what came of it (finer than the outcome: a signal
 * sent but not seen to work reads differently from none sent). */
enum verdict_report {
	VERDICT_REPORT_RECORDED,	/* warning/notice, or no stop */
	VERDICT_REPORT_NONE,		/* the rule asked for nothing */
	VERDICT_REPORT_OBSERVED,	/* fatal, observe: would have stopped */
	VERDICT_REPORT_STOPPED,		/* signalled and exited */
	VERDICT_REPORT_TRIED,		/* signalled, not seen to exit */
	VERDICT_REPORT_FAILED,		/* nothing found, or no signal sent */
};
enum verdict_report verdict_report(const struct verdict *, int job_observe);
/* "awf (pid 4242), last signal SIGINT, exit 130" */
char		*verdict_describe_stop(const struct verdict *);
/* The annotation's text: message, hint (or NULL), rule, action, evidence. */
char		*verdict_message(const struct verdict *, int job_observe,
		    const char *hint);
char		*verdict_title(const struct verdict *);	/* title or rule id */

#endif
