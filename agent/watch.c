/*
 * The live driver: tailer -> pipeline (wall-clock time) -> verdicts, each
 * numbered and persisted before it is acted on. Only the first fatal
 * verdict of a job stops the engine; every verdict is recorded, so the
 * annotations show every cause while the engine gets exactly one ladder.
 *
 * Between verdicts and actions stands the ownership gate (owner.h): the
 * pipeline is pure and shared with replay, but acting on a job needs proof
 * that the job wrote the line. A fatal verdict without it becomes a
 * warning that stops nothing and says why.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "cmd.h"
#include "cmdopt.h"
#include "github.h"
#include "job.h"
#include "lines.h"
#include "log.h"
#include "owner.h"
#include "pipeline.h"
#include "policy.h"
#include "proc.h"
#include "proc_stop.h"
#include "sandbox.h"
#include "sanitise.h"
#include "tail.h"
#include "usage.h"
#include "util.h"
#include "verdict.h"
#include "watch.h"
#include "xalloc.h"


enum stop_state {
	STOP_NONE = 0,
	STOP_RUNNING,
	STOP_DONE,
};

struct watch_source {
	struct watch		*w;
	size_t			 idx;
	struct tail_file	*tf[POLICY_MAX_PATHS];	/* per alternative */
	struct tail_file	*line_tf;	/* the one whose line is fed */
	size_t			 ntf;
};

struct watch {
	struct event_base	*base;
	const struct policy	*policy;
	struct watch_opts	 opts;
	struct tail		*tail;
	struct pipeline		*pipe;
	struct watch_source	*src;
	size_t			 nsrc;
	struct verdict_list	 verdicts;
	unsigned		 seq;

	enum stop_state		 stop_state;
	struct owner		*owner;		/* whose lines, found ahead */
	struct proc_ready	*ready;		/* the engine, found ahead */
	struct proc_stop	*stopping;
	struct verdict		*stop_verdict;

	struct github		*gh;
	struct verdict		*gh_verdict;	/* the one the cancel is for */
	int			 gh_cancelled;
	int			 publishing;	/* check run under way */
};

static double
now_epoch(void)
{
	return job_now();
}

static void
notify(struct watch *w, struct verdict *v, int final)
{
	if (w->opts.on_verdict != NULL)
		w->opts.on_verdict(v, final, w->opts.arg);
}

/*
 * Write the record; a failure (a full disk) is logged by verdict_write and
 * marks the verdict unsaved, so `finish` still gets it from memory and says
 * the file could not be written. Acting goes on: stopping the engine
 * matters more than the record of it.
 */
static void
record(struct watch *w, struct verdict *v, int durable)
{
	if (w->opts.state_dir == NULL)
		return;
	v->unsaved = 0;
	if (verdict_write(v, w->opts.state_dir, durable) == -1)
		v->unsaved = 1;
}

static void
persist(struct watch *w, struct verdict *v)
{
	record(w, v, 1);
}

static void
copy_stop(struct verdict *to, const struct verdict *from)
{
	char	*res;

	verdict_set(&to->stop_target, from->stop_target);
	verdict_set(&to->stop_signal, from->stop_signal);
	to->stop_pid = from->stop_pid;
	to->stopped_at = from->stopped_at;
	to->stop_exit = from->stop_exit;
	to->outcome = from->outcome;
	if (from->stop_pid > 0 || from->action_result == NULL)
		xasprintf(&res, "the engine was already stopped for verdict %u",
		    from->seq);
	else
		xasprintf(&res, "one stop per job, see verdict %u: %s",
		    from->seq, from->action_result);
	verdict_set(&to->action_result, res);
	free(res);
}

static void
watch_github_done(int ok, const char *result, void *arg)
{
	struct watch	*w = arg;
	struct verdict	*v = w->gh_verdict;

	/* Add the API's outcome to the record; a failure never blocks
	 * anything else. */
	if (v == NULL)
		return;
	verdict_set(&v->api_result, result != NULL ? result :
	    (ok ? "ok" : "failed"));
	log_info("github: verdict %u: %s", v->seq, v->api_result);
	persist(w, v);
}

/* Fail-open: a configuration `breaker check` refuses in a build without
 * the GitHub client still watches the job, its GitHub actions off. */
static void
github_warn_unbuilt(const struct policy *policy)
{
	if (!BREAKER_GITHUB && policy_github_actions(policy))
		log_warnx("github: the configuration allows GitHub actions, "
		    "but %s: they are off", GITHUB_NOT_BUILT);
}

/* The REST client, made on first use; NULL without credentials or job. */
static struct github *
watch_github_client(struct watch *w)
{
	struct github_job	gj;

	if (w->gh != NULL)
		return w->gh;
	memset(&gj, 0, sizeof gj);
	gj.repository = w->opts.repository;
	gj.run_id = w->opts.run_id;
	gj.run_attempt = w->opts.run_attempt;
	gj.job_key = w->opts.job_key;
	gj.runner_name = w->opts.runner_name;
	if (gj.repository == NULL || gj.run_id == NULL)
		return NULL;
	w->gh = github_new(w->base, policy_github(w->policy), &gj);
	return w->gh;
}

static void
watch_github_act(struct watch *w, struct verdict *v)
{
	const struct policy_github	*pg = policy_github(w->policy);
	const struct policy_rule	*r;
	int				 idx;

	if (pg == NULL || !pg->cancel_run || w->gh_cancelled)
		return;
	/* Both must agree: the configuration allows it, the rule asks. */
	if ((idx = policy_rule_index(w->policy, v->rule_id)) == -1 ||
	    (r = policy_rule(w->policy, idx)) == NULL ||
	    !policy_rule_allows(w->policy, r, POLICY_ACTION_CANCEL_RUN))
		return;
	if (watch_github_client(w) == NULL)
		return;
	w->gh_cancelled = 1;
	w->gh_verdict = v;
	github_cancel_run(w->gh, watch_github_done, w);
}

static void
published(int ok, const char *result, void *arg)
{
	struct watch	*w = arg;

	w->publishing = 0;
	log_info("github: check run: %s", result != NULL ? result :
	    (ok ? "ok" : "failed"));
}

/*
 * The check run is the job's report, not an action on it: published once,
 * when the job finishes, with every verdict, whenever the configuration
 * allows "check-run" and there is something to say.
 */
int
watch_publish(struct watch *w)
{
	const struct policy_github	*pg = policy_github(w->policy);

	if (pg == NULL || !pg->check_run || TAILQ_EMPTY(&w->verdicts) ||
	    w->publishing || watch_github_client(w) == NULL)
		return 0;
	w->publishing = 1;
	github_check_run(w->gh, &w->verdicts, published, w);
	return w->publishing;
}

/* What came of the stop, from proc_stop.c's result fields, not its sentence. */
static enum verdict_outcome
stop_outcome(const struct proc_stop_result *r)
{
	if (!r->found)
		return VERDICT_OUTCOME_NOT_FOUND;
	if (r->exited)
		return VERDICT_OUTCOME_STOPPED;
	return r->error == EPERM ? VERDICT_OUTCOME_NOT_PERMITTED :
	    VERDICT_OUTCOME_FAILED;
}

static void
stop_done(const struct proc_stop_result *r, void *arg)
{
	struct watch	*w = arg;
	struct verdict	*v = w->stop_verdict;
	char		*res;

	w->stopping = NULL;
	w->stop_state = STOP_DONE;
	/* The target's name is its comm, which the engine chooses: engine
	 * text, sanitised before it is kept, logged or shown anywhere. */
	if (r->found) {
		res = sanitise_str(r->target);
		verdict_set(&v->stop_target, res);
		free(res);
		v->stop_pid = r->pid;
		verdict_set(&v->stop_signal, r->last_signal ?
		    proc_stop_signame(r->last_signal) : NULL);
		v->stopped_at = r->exited ? r->exited_at : 0;
		v->stop_exit = r->status;
	}
	v->outcome = stop_outcome(r);
	res = sanitise_str(r->message != NULL ? r->message :
	    (r->found ? "stop attempted" : "no engine process was found"));
	verdict_set(&v->action_result, res);
	free(res);
	log_info("verdict %u: %s", v->seq, v->action_result);
	persist(w, v);
	notify(w, v, 1);
	/* Fatal verdicts that came while the ladder ran share its outcome. */
	for (v = TAILQ_NEXT(v, entry); v != NULL; v = TAILQ_NEXT(v, entry)) {
		if (v->action != VERDICT_STOP)
			continue;
		copy_stop(v, w->stop_verdict);
		persist(w, v);
	}
}

/*
 * Just before the first signal: the record names the target and the
 * signal, so a daemon killed mid-ladder leaves a true report ("sent SIGINT
 * to codex (pid N)") instead of one that reads as "nothing was found".
 * Written whole but without fsync (see on_verdict); stop_done replaces
 * the result with the ladder's outcome.
 */
static void
before_signal(const char *target, pid_t pid, int signo, void *arg)
{
	struct watch	*w = arg;
	struct verdict	*v = w->stop_verdict;
	char		*res;

	if (v == NULL)
		return;
	verdict_set(&v->stop_target, target);
	v->stop_pid = pid;
	verdict_set(&v->stop_signal, proc_stop_signame(signo));
	/* until stop_done knows better: signalled, not seen to exit */
	v->outcome = VERDICT_OUTCOME_FAILED;
	xasprintf(&res, "breaker sent %s to %s (pid %d); the daemon ended "
	    "before the stop ladder finished", proc_stop_signame(signo), target,
	    (int)pid);
	verdict_set(&v->action_result, res);
	free(res);
	record(w, v, 0);
}

/* Whom to stop and how: the job, the configured targets and ladder. */
static void
stop_args(struct watch *w, struct proc_stop_args *a)
{
	memset(a, 0, sizeof *a);
	a->tracking_id = w->opts.tracking_id;
	a->stop = w->opts.stop != NULL ? w->opts.stop : policy_stop(w->policy);
	a->find.ancestry = w->opts.ancestry;
	a->find.worker_pid = w->opts.worker;
	a->ready = w->ready;
	a->before_signal = before_signal;
	a->arg = w;
}

static void
start_stop(struct watch *w, struct verdict *v)
{
	struct proc_stop_args	a;

	stop_args(w, &a);
	w->stop_state = STOP_RUNNING;
	w->stop_verdict = v;
	if (a.tracking_id == NULL) {
		/* Without the job's tracking id nothing can be told apart
		 * from the rest of the machine: record, never guess. */
		w->stop_state = STOP_DONE;
		v->outcome = VERDICT_OUTCOME_NOT_FOUND;
		verdict_set(&v->action_result, "no RUNNER_TRACKING_ID: the "
		    "job's processes cannot be identified");
		persist(w, v);
		notify(w, v, 1);
		return;
	}
	w->stopping = proc_stop_start(w->base, &a, stop_done, w);
}

/*
 * A fatal verdict acts on the job only for a line the job wrote: without
 * that proof it becomes a warning, and says why.
 */
static void
attribute(struct watch *w, struct verdict *v)
{
	char	 why[OWNER_WHY_MAX], *res;
	int	 idx;

	if (v->severity != SEVERITY_FATAL)
		return;
	idx = v->source != NULL ? policy_source_index(w->policy, v->source) :
	    -1;
	if (idx < 0 || (size_t)idx >= w->nsrc)
		snprintf(why, sizeof why, "its source is unknown");
	else if (owner_check(w->owner, (size_t)idx, v->source,
	    w->src[idx].line_tf != NULL ? tail_file_fd(w->src[idx].line_tf) :
	    -1, why, sizeof why))
		return;
	v->severity = SEVERITY_WARNING;
	v->action = VERDICT_RECORD;
	xasprintf(&res, "the line could not be attributed to this job: %s; "
	    "the fatal verdict became a warning and nothing was stopped", why);
	verdict_set(&v->action_result, res);
	log_warnx("verdict %u: %s", v->seq, res);
	free(res);
}

/* What the verdict asks for, in the light of the mode and earlier stops. */
static void
decide(struct watch *w, struct verdict *v)
{
	int	observe = policy_mode(w->policy) == POLICY_OBSERVE || v->observe;
	int	wants_stop;

	attribute(w, v);
	/* The pipeline names the rule's permitted action; a fatal rule with
	 * none named stops (the policy's default for fatal rules). */
	wants_stop = v->severity == SEVERITY_FATAL &&
	    (v->action == VERDICT_NONE || v->action == VERDICT_STOP);
	if (!wants_stop) {
		if (v->action == VERDICT_NONE || v->action == VERDICT_STOP)
			v->action = VERDICT_RECORD;
		v->outcome = v->observe ? VERDICT_OUTCOME_OBSERVE :
		    VERDICT_OUTCOME_RECORDED;
		return;
	}
	if (observe) {
		v->observe = 1;
		v->action = VERDICT_WOULD_STOP;
		v->outcome = VERDICT_OUTCOME_OBSERVE;
		verdict_set(&v->action_result, "observe mode: the engine was "
		    "left running");
		return;
	}
	v->action = VERDICT_STOP;
	/* nothing found yet; stop_done records what came of it */
	v->outcome = VERDICT_OUTCOME_NOT_FOUND;
	if (w->stop_state != STOP_NONE)
		copy_stop(v, w->stop_verdict);
}

static void
on_verdict(struct verdict *v, void *arg)
{
	struct watch	*w = arg;
	int		 first_stop;

	v->seq = ++w->seq;
	if (v->fired_at <= 0)
		v->fired_at = now_epoch();
	TAILQ_INSERT_TAIL(&w->verdicts, v, entry);
	decide(w, v);
	first_stop = v->action == VERDICT_STOP &&
	    w->stop_state == STOP_NONE;
	log_info("verdict %u: %s (%s) on %s line %llu: %s", v->seq,
	    v->rule_id, severity_name(v->severity), v->source ? v->source : "?",
	    (unsigned long long)v->line_no, verdict_action_name(v->action));
	if (!first_stop) {
		persist(w, v);
		notify(w, v, 1);
		/* An earlier verdict stopped the engine; this one's rule may
		 * still ask for more (cancel-run). */
		if (v->severity == SEVERITY_FATAL && !v->observe &&
		    policy_mode(w->policy) != POLICY_OBSERVE)
			watch_github_act(w, v);
		return;
	}
	/*
	 * Recorded before acting, so the daemon's death loses nothing: by
	 * before_signal, with the target, once it is known and before its
	 * first signal (nothing is done before that). Made durable (fsync)
	 * only once the first signal is out, since the two fsyncs cost more
	 * than the whole budget from line to signal.
	 */
	notify(w, v, 0);
	start_stop(w, v);
	if (w->stop_state == STOP_RUNNING)	/* else start_stop recorded it */
		persist(w, v);
	if (v->severity == SEVERITY_FATAL)
		watch_github_act(w, v);
}

static void
on_line(struct tail_file *tf, const char *line, size_t len, int flags,
    void *arg)
{
	struct watch_source	*s = arg;

	/* A source may have several places: the gate asks about this one. */
	s->line_tf = tf;
	pipeline_feed(s->w->pipe, s->idx, line, len, flags, now_epoch());
	/*
	 * Lines mean the job is running: keep its engine found, and the
	 * proof of whose lines these are, so that a fatal line signals at
	 * once instead of scanning /proc first. After the feed, so a rescan
	 * never delays this line's verdict; cheap when nothing is due (see
	 * proc_ready_refresh, owner_refresh).
	 */
	owner_refresh(s->w->owner, s->idx, tail_file_name(tf),
	    tail_file_fd(tf));
	if (s->w->stop_state == STOP_NONE)
		proc_ready_refresh(s->w->ready);
}

/*
 * Every alternative place of a source at once: only the one this job's
 * tools write delivers lines, and each is read from its end if it exists
 * now, so a log left by an earlier job never fires.
 */
static void
watch_follow(struct watch *w, struct watch_source *s,
    const struct policy_source *ps)
{
	struct tail_file	*tf;
	size_t			 j;

	if (ps->npaths == 0)
		log_warnx("source %s: no path left to follow (its variables "
		    "are not set)", ps->name);
	for (j = 0; j < ps->npaths && j < POLICY_MAX_PATHS; j++) {
		if ((tf = tail_add(w->tail, ps->name, ps->paths[j], 0,
		    on_line, s)) == NULL)
			log_warnx("source %s: cannot follow %s", ps->name,
			    ps->paths[j]);
		else
			s->tf[s->ntf++] = tf;
	}
}

/* The alternative that shows this source: the one that delivered lines
 * (the job's tools write it), else one open now, else the first. */
static struct tail_file *
watch_source_shown(const struct watch_source *s)
{
	struct tail_file_stats	 st;
	struct tail_file	*open = NULL;
	size_t			 j;

	for (j = 0; j < s->ntf; j++) {
		tail_file_get_stats(s->tf[j], &st);
		if (st.lines > 0)
			return s->tf[j];
		if (st.open && open == NULL)
			open = s->tf[j];
	}
	return open != NULL ? open : s->ntf > 0 ? s->tf[0] : NULL;
}

struct watch *
watch_new(struct event_base *base, const struct policy *policy,
    const struct watch_opts *opts)
{
	struct watch		*w = xcalloc(1, sizeof *w);
	struct tail_options	 to;
	const struct policy_source *ps;
	struct proc_stop_args	 sa;
	struct owner_opts	 oo;
	size_t			 i;

	w->base = base;
	w->policy = policy;
	w->opts = *opts;
	TAILQ_INIT(&w->verdicts);
	stop_args(w, &sa);
	w->ready = proc_ready_new(sa.tracking_id, sa.stop, &sa.find);
	memset(&oo, 0, sizeof oo);
	oo.tracking_id = opts->tracking_id;
	oo.find = sa.find;
	oo.job_started = opts->job_started > 0 ? opts->job_started :
	    now_epoch();
	w->owner = owner_new(&oo, policy_nsources(policy));
	w->pipe = pipeline_new(policy, on_verdict, w);
	memset(&to, 0, sizeof to);
	policy_tail_options(policy, &to);
	w->tail = tail_new(base, &to);
	w->nsrc = policy_nsources(policy);
	w->src = xcalloc(w->nsrc ? w->nsrc : 1, sizeof *w->src);
	for (i = 0; i < w->nsrc; i++) {
		ps = policy_source(policy, i);
		w->src[i].w = w;
		w->src[i].idx = i;
		watch_follow(w, &w->src[i], ps);
	}
	github_warn_unbuilt(policy);
	return w;
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	if (w->stopping != NULL)
		proc_stop_cancel(w->stopping);
	proc_ready_free(w->ready);
	owner_free(w->owner);
	if (w->gh != NULL)
		github_free(w->gh);
	tail_free(w->tail);
	pipeline_free(w->pipe);
	verdict_list_free(&w->verdicts);
	free(w->src);
	free(w);
}

void
watch_flush(struct watch *w)
{
	tail_drain(w->tail);
	watch_settle(w);
}

void
watch_settle(struct watch *w)
{
	struct verdict	*v;

	pipeline_tick(w->pipe, now_epoch());
	TAILQ_FOREACH(v, &w->verdicts, entry)
		persist(w, v);
}

uint64_t
watch_backlog(const struct watch *w)
{
	struct tail_file_stats	 st;
	uint64_t		 behind = 0;
	size_t			 i, j;

	for (i = 0; i < w->nsrc; i++)
		for (j = 0; j < w->src[i].ntf; j++) {
			tail_file_get_stats(w->src[i].tf[j], &st);
			behind += st.pending;
		}
	return behind;
}

int
watch_stopping(const struct watch *w)
{
	return w->stop_state == STOP_RUNNING;
}

int
watch_busy(const struct watch *w)
{
	return watch_stopping(w) || w->publishing;
}

const struct verdict_list *
watch_verdicts(const struct watch *w)
{
	return &w->verdicts;
}

size_t
watch_nverdicts(const struct watch *w)
{
	return w->seq;
}

static cJSON *
sources_json(const struct watch *w)
{
	cJSON			*a = cJSON_CreateArray(), *o, *p;
	const struct policy_source *ps;
	struct tail_file_stats	 st;
	struct tail_file	*tf;
	size_t			 i, j;

	for (i = 0; i < w->nsrc; i++) {
		ps = policy_source(w->policy, i);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", ps->name);
		tf = watch_source_shown(&w->src[i]);
		cJSON_AddStringToObject(o, "path", tf != NULL ?
		    tail_file_path(tf) : "");
		if (ps->npaths > 1) {
			p = cJSON_AddArrayToObject(o, "paths");
			for (j = 0; j < ps->npaths; j++)
				cJSON_AddItemToArray(p,
				    cJSON_CreateString(ps->paths[j]));
		}
		cJSON_AddStringToObject(o, "format",
		    source_format_name(ps->format));
		if (tf != NULL) {
			tail_file_get_stats(tf, &st);
			cJSON_AddBoolToObject(o, "open", st.open);
			cJSON_AddNumberToObject(o, "offset", st.offset);
			cJSON_AddNumberToObject(o, "lines", st.lines);
			cJSON_AddNumberToObject(o, "bytes", st.bytes);
			cJSON_AddNumberToObject(o, "rotations", st.rotations);
			cJSON_AddNumberToObject(o, "truncations",
			    st.truncations);
			cJSON_AddNumberToObject(o, "long_lines", st.long_lines);
			cJSON_AddNumberToObject(o, "lost_bytes", st.lost_bytes);
			cJSON_AddNumberToObject(o, "refused", st.refused);
			cJSON_AddNumberToObject(o, "hole_bytes", st.hole_bytes);
		}
		cJSON_AddNumberToObject(o, "pipeline_lines",
		    pipeline_source_stats(w->pipe, i).lines);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *
rules_json(const struct watch *w)
{
	cJSON				*a = cJSON_CreateArray(), *o;
	struct pipeline_rule_stats	 rs;
	size_t				 i, n = pipeline_nrules(w->pipe);

	for (i = 0; i < n; i++) {
		pipeline_rule_stats(w->pipe, i, &rs);
		if (rs.hits == 0 && rs.verdicts == 0 && rs.gave_up == 0 &&
		    rs.evicted == 0)
			continue;	/* status lists what happened */
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", rs.id);
		cJSON_AddStringToObject(o, "source", rs.source ? rs.source : "");
		cJSON_AddNumberToObject(o, "hits", rs.hits);
		cJSON_AddNumberToObject(o, "verdicts", rs.verdicts);
		cJSON_AddNumberToObject(o, "gave_up", rs.gave_up);
		cJSON_AddNumberToObject(o, "evicted", rs.evicted);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *
verdicts_json(const struct watch *w)
{
	cJSON			*a = cJSON_CreateArray(), *o;
	const struct verdict	*v;

	TAILQ_FOREACH(v, &w->verdicts, entry) {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "seq", v->seq);
		cJSON_AddStringToObject(o, "rule", v->rule_id ? v->rule_id : "");
		cJSON_AddStringToObject(o, "severity",
		    severity_name(v->severity));
		cJSON_AddStringToObject(o, "action",
		    verdict_action_name(v->action));
		if (v->action_result != NULL)
			cJSON_AddStringToObject(o, "result", v->action_result);
		cJSON_AddNumberToObject(o, "fired_at", v->fired_at);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

char *
watch_status_json(const struct watch *w, double started)
{
	cJSON	*o = cJSON_CreateObject();
	char	*s;

	cJSON_AddNumberToObject(o, "pid", getpid());
	cJSON_AddStringToObject(o, "mode",
	    policy_mode(w->policy) == POLICY_OBSERVE ? "observe" : "enforce");
	cJSON_AddStringToObject(o, "policy", policy_describe(w->policy));
	cJSON_AddNumberToObject(o, "rules", policy_nrules(w->policy));
	cJSON_AddNumberToObject(o, "uptime", started > 0 ?
	    now_epoch() - started : 0);
	if (w->opts.state_dir != NULL)
		cJSON_AddStringToObject(o, "state_dir", w->opts.state_dir);
	cJSON_AddStringToObject(o, "stop", w->stop_state == STOP_NONE ? "none" :
	    w->stop_state == STOP_RUNNING ? "running" : "done");
	cJSON_AddItemToObject(o, "sources", sources_json(w));
	cJSON_AddItemToObject(o, "rule_hits", rules_json(w));
	cJSON_AddItemToObject(o, "verdicts", verdicts_json(w));
	s = cJSON_Print(o);
	cJSON_Delete(o);
	return s;
}

/* One verdict as a line for humans (breaker watch). */
static void
watch_print_verdict(FILE *out, const struct verdict *v, int final)
{
	if (!final && v->action == VERDICT_STOP) {
		fprintf(out, "verdict %u: %s [%s] %s: stopping the engine\n",
		    v->seq, v->rule_id, severity_name(v->severity),
		    v->source ? v->source : "?");
	} else {
		fprintf(out, "verdict %u: %s [%s] %s: %s%s%s\n", v->seq,
		    v->rule_id, severity_name(v->severity),
		    v->source ? v->source : "?", verdict_action_name(v->action),
		    v->action_result ? ": " : "",
		    v->action_result ? v->action_result : "");
	}
	fflush(out);
}

/* ---- breaker watch: the same driver in the foreground ---- */

struct watch_cli {
	struct event_base	*base;
	struct watch		*w;
};

static void
cli_verdict(const struct verdict *v, int final, void *arg)
{
	watch_print_verdict(stdout, v, final);
}

static void
cli_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct watch_cli	*c = arg;

	log_info("%s: flushing and exiting", strsignal(sig));
	watch_flush(c->w);
	event_base_loopexit(c->base, NULL);
}

static void
watch_usage(void)
{
	usage_error("watch");
}

int
cmd_watch(int argc, char **argv)
{
	static const struct option longopts[] = {
		CMDOPT_POLICY_LONGOPTS,
		CMDOPT_STATE_LONGOPT,
		{ "observe",	 no_argument,	    NULL, 'o' },
		{ "tracking-id", required_argument, NULL, 't' },
		CMDOPT_END_LONGOPTS
	};
	struct cmdopt		 po;
	const char		*why, *tracking = NULL;
	struct watch_opts	 wo;
	struct watch_cli	 c;
	struct policy		*policy;
	struct job		*job;
	struct event		*sigint, *sigterm;
	char			*errors = NULL;
	int			 ch, observe = 0, rc = 0;

	cmdopt_init(&po);
	while ((ch = getopt_long(argc, argv, CMDOPT_POLICY_LETTERS
	    CMDOPT_STATE_LETTERS "ot:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			observe = 1;
			break;
		case 't':
			tracking = optarg;
			break;
		case 'h':
			cmdopt_clear(&po);
			return usage_help("watch");
		default:
			if (cmdopt_option(&po, ch, optarg))
				break;
			watch_usage();
			cmdopt_clear(&po);
			return 2;
		}
	}
	policy = cmdopt_policy(&po, &errors);
	cmdopt_clear(&po);
	if (policy == NULL) {
		fprintf(stderr, "breaker watch: bad policy:\n%s\n",
		    errors ? errors : "(no detail)");
		free(errors);
		return 1;
	}
	if (observe)
		policy_set_mode(policy, POLICY_OBSERVE);
	job = job_from_env();
	if (job_resolve_dir(job, cmdopt_state_dir(&po),
	    policy_state_dir(policy), &why) == -1 || job_make_dir(job) == -1) {
		fprintf(stderr, "breaker watch: %s\n", why ? why :
		    job_problem(job));
		job_free(job);
		policy_free(policy);
		return 1;
	}
	memset(&wo, 0, sizeof wo);
	wo.state_dir = job->dir;
	wo.tracking_id = tracking != NULL ? tracking : job->tracking_id;
	wo.repository = job->repository;
	wo.run_id = job->run_id;
	wo.run_attempt = job->run_attempt;
	wo.job_key = job->job_key;
	wo.runner_name = job->runner_name;
	wo.on_verdict = cli_verdict;
	wo.arg = &c;	/* before watch_new, which copies the options */
	c.base = event_base_new();
	if (c.base == NULL)
		fatalx("event_base_new");
	c.w = watch_new(c.base, policy, &wo);
	sigint = evsignal_new(c.base, SIGINT, cli_signal, &c);
	sigterm = evsignal_new(c.base, SIGTERM, cli_signal, &c);
	evsignal_add(sigint, NULL);
	evsignal_add(sigterm, NULL);
	/* The daemon's sandbox, entered at the same point of start-up. */
	if (sandbox_enter(policy_sandbox(policy),
	    policy_github_actions(policy)) == -1) {
		if (policy_sandbox(policy) == SANDBOX_REQUIRE) {
			fprintf(stderr, "breaker watch: the sandbox is required "
			    "(\"sandbox\": \"require\") and could not be "
			    "entered: %s\n", sandbox_failure());
			rc = 1;
			goto out;
		}
		fprintf(stderr, "breaker watch: the sandbox did not load (%s); "
		    "running unconfined\n", sandbox_failure());
	}
	printf("breaker: watching %zu sources with %s (%zu rules), state in "
	    "%s\n", policy_nsources(policy), policy_describe(policy),
	    policy_nrules(policy), job->dir);
	fflush(stdout);
	event_base_dispatch(c.base);
out:
	event_free(sigint);
	event_free(sigterm);
	watch_free(c.w);
	event_base_free(c.base);
	job_free(job);
	policy_free(policy);
	return rc;
}
