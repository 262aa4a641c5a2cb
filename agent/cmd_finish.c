/*
 * `breaker finish`, run by the job-completed hook: ask the daemon for its
 * verdicts and to exit (daemon.c), merge what it held in memory with the
 * verdict files, and report: annotations on stdout, the job summary, the
 * fleet's events and metrics. Works from the files alone when the daemon
 * is gone, and always exits 0 (hooks are fail-open).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotate.h"
#include "cmd.h"
#include "cmdopt.h"
#include "daemon.h"
#include "events.h"
#include "job.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "summary.h"
#include "usage.h"
#include "util.h"
#include "verdict.h"
#include "xalloc.h"

/*
 * One list for the report: the files, with each verdict the daemon still
 * held in memory taking the place of its file when that file could not
 * be written (or is missing). A file written after the answer (the stop
 * ladder's outcome, while the daemon lingered) is newer than the answer,
 * so it wins otherwise.
 */
static void
finish_merge(struct verdict_list *files, struct verdict_list *mem)
{
	struct verdict	*m, *f, *next;

	while ((m = TAILQ_FIRST(mem)) != NULL) {
		TAILQ_REMOVE(mem, m, entry);
		TAILQ_FOREACH(f, files, entry)
			if (f->seq >= m->seq)
				break;
		if (f != NULL && f->seq == m->seq && !m->unsaved) {
			verdict_free(m);
			continue;
		}
		if (f != NULL && f->seq == m->seq) {
			next = TAILQ_NEXT(f, entry);
			TAILQ_REMOVE(files, f, entry);
			verdict_free(f);
			f = next;
		}
		if (f != NULL)
			TAILQ_INSERT_BEFORE(f, m, entry);
		else
			TAILQ_INSERT_TAIL(files, m, entry);
	}
}

static size_t
count_unsaved(const struct verdict_list *l)
{
	const struct verdict	*v;
	size_t			 n = 0;

	TAILQ_FOREACH(v, l, entry)
		n += v->unsaved != 0;
	return n;
}

/* Sentences for the summary about what the files do not say. */
static char *
finish_notes(const struct daemon_answer *fs, const struct verdict_list *list)
{
	char			*out = NULL, *t;
	size_t			 unsaved = count_unsaved(list);

	if (fs->note != NULL)
		out = xstrdup(fs->note);
	if (unsaved > 0) {
		xasprintf(&t, "%s%s%zu verdict%s could not be written to "
		    "breaker's state directory (a full disk?); reported from "
		    "the daemon's memory.", out ? out : "", out ? " " : "",
		    unsaved, unsaved == 1 ? "" : "s");
		free(out);
		out = t;
	}
	if (fs->unread > 0) {
		xasprintf(&t, "%s%sbreaker had not read the last %.0f bytes of "
		    "its logs when the job finished (a backlog); any verdict "
		    "they hold is missing from this report.", out ? out : "",
		    out ? " " : "", fs->unread);
		free(out);
		out = t;
	}
	if (fs->sandbox != NULL && strncmp(fs->sandbox, "not loaded", 10) == 0) {
		xasprintf(&t, "%s%sThe breaker daemon ran without its sandbox: "
		    "it was %s.", out ? out : "", out ? " " : "", fs->sandbox);
		free(out);
		out = t;
	}
	return out;
}

static size_t
count_list(const struct verdict_list *l)
{
	const struct verdict	*v;
	size_t			 n = 0;

	TAILQ_FOREACH(v, l, entry)
		n++;
	return n;
}

/*
 * What the summary and the fleet's records share: the job's events
 * (events.c), the time the cut saved and on what basis, the rules' hints.
 */
static void
finish_fleet(struct events_job *ej, struct annotate_job *aj,
    struct job *job, const struct verdict_list *list,
    const struct policy *policy)
{
	const char	*basis;

	memset(ej, 0, sizeof *ej);
	ej->job = job;
	ej->verdicts = list;
	ej->started = aj->job_started;
	ej->finished = aj->finished;
	ej->observe = aj->observe;
	ej->daemon_ended_early = aj->daemon_ended_early;
	aj->saved = events_saved(ej, &basis);
	aj->saved_basis = basis == NULL ? NULL : ej->observe ?
	    "observe mode: the job ran this long past the would-stop point" :
	    "an estimate: up to gh-aw's 20-minute default step timeout";
	if (policy != NULL) {
		aj->hint = policy_rule_hint;
		aj->hint_arg = policy;
	}
}

/* The job's report, from the daemon's answer and the verdict files. */
static void
finish_report(const struct policy *policy, struct job *job, double timeout)
{
	struct daemon_answer	 fs;
	struct annotate_job	 aj;
	struct events_job	 ej;
	struct verdict_list	 list;
	char			*note;

	daemon_finish(job, timeout, &fs);
	job_load_started(job);
	TAILQ_INIT(&list);
	if (verdict_load_all(job->dir, &list) == -1)
		log_warnx("some verdict files in %s could not be read",
		    job->dir);
	finish_merge(&list, &fs.mem);
	note = finish_notes(&fs, &list);
	memset(&aj, 0, sizeof aj);
	aj.job_started = job->started;
	aj.finished = job_now();
	aj.observe = policy != NULL && policy_mode(policy) == POLICY_OBSERVE;
	aj.daemon_ended_early = fs.ended_early;
	aj.policy = policy != NULL ? policy_describe(policy) : NULL;
	aj.note = note;
	finish_fleet(&ej, &aj, job, &list, policy);
	annotate_print(stdout, &list, &aj);
	if (policy != NULL)
		events_finish(policy, &ej);
	if (policy != NULL && policy_fleet(policy)->metrics_dir != NULL)
		metrics_update(policy_fleet(policy)->metrics_dir, &ej);
	if (job->step_summary != NULL &&
	    summary_write(job->step_summary, &list, &aj) == -1)
		log_warnx("could not write the job summary");
	printf("breaker: %zu verdict%s%s%s\n", count_list(&list),
	    count_list(&list) == 1 ? "" : "s",
	    fs.ended_early ? "; the daemon ended early" : "",
	    count_unsaved(&list) > 0 ? "; some could not be written to the "
	    "state directory (reported from the daemon's memory)" : "");
	verdict_list_free(&list);
	daemon_answer_clear(&fs);
	job_mark_finished(job);
	free(note);
}

/*
 * --timeout SEC, whole seconds in [1, 600]. The completed hook passes
 * $BREAKER_FINISH_TIMEOUT through as it is: a bad value is said and the
 * default used, since the hook must report, never fail the job.
 */
static double
finish_timeout(const char *arg)
{
	const char	*errstr;
	long long	 n;

	n = parse_num(arg, 1, 600, &errstr);
	if (errstr == NULL)
		return (double)n;
	/* not echoed: a line break in it would start a line of its own */
	fprintf(stderr, "breaker finish: --timeout is %s (whole seconds, "
	    "1 to 600); waiting %d s\n", errstr, (int)DAEMON_FINISH_TIMEOUT);
	return DAEMON_FINISH_TIMEOUT;
}

int
cmd_finish(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "timeout",	required_argument, NULL, 't' },
		CMDOPT_CONFIG_LONGOPT,
		CMDOPT_STATE_LONGOPT,
		CMDOPT_END_LONGOPTS
	};
	struct cmdopt		 po;
	struct policy		*policy;
	struct job		*job;
	const char		*why;
	char			*errors = NULL;
	double			 timeout = DAEMON_FINISH_TIMEOUT;
	int			 ch;

	cmdopt_init(&po);
	while ((ch = getopt_long(argc, argv, CMDOPT_CONFIG_LETTERS
	    CMDOPT_STATE_LETTERS "t:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			timeout = finish_timeout(optarg);
			break;
		default:
			if (!cmdopt_option(&po, ch, optarg))
				return usage_error("finish");
		}
	}
	/* The started hook already warned about a broken configuration. */
	policy = cmdopt_policy(&po, &errors);
	cmdopt_clear(&po);
	free(errors);
	job = job_from_env();
	if (job_resolve_dir(job, cmdopt_state_dir(&po), policy ?
	    policy_state_dir(policy) : NULL, &why) == -1 ||
	    job_open_dir(job) == -1)
		printf("breaker: nothing to report (breaker was not watching "
		    "this job)\n");
	else
		finish_report(policy, job, timeout);
	fflush(stdout);
	job_free(job);
	policy_free(policy);
	return 0;
}
