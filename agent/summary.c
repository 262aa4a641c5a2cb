/*
 * The Markdown job summary: the same verdicts as the annotations
 * (annotate.c), told at length for the step summary file. Engine text goes
 * through sanitise_markdown (redacted, neutralised, autolinks broken)
 * before it is placed; see docs/annotations.md.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "annotate.h"
#include "file.h"
#include "log.h"
#include "sanitise.h"
#include "summary.h"
#include "verdict.h"
#include "xalloc.h"

#define ELLIPSIS	SANITISE_ELLIPSIS
#define SUMMARY_ROWS	100	/* table rows; each is < 1 KiB */

static char *
md_inline(const char *s)
{
	return sanitise_markdown(s, ANNOTATE_MAX_MESSAGE);
}

static char *
md_cell(const char *s)
{
	return sanitise_markdown(s, ANNOTATE_MAX_TITLE);
}

static void
fmt_dur(char *buf, size_t size, double s)
{
	if (s < 0)
		s = 0;
	if (s < 10)
		snprintf(buf, size, "%.2f s", s);
	else if (s < 120)
		snprintf(buf, size, "%.1f s", s);
	else
		snprintf(buf, size, "%d min %02d s", (int)(s / 60),
		    (int)s % 60);
}

/* "+41.2 s (12:00:41Z)", or only the clock when the job start is unknown. */
static void
fmt_when(char *buf, size_t size, double t, const struct annotate_job *job)
{
	char		 d[32], clock[16] = "?";
	struct tm	 tm;
	time_t		 sec = (time_t)t;

	if (t > 0 && gmtime_r(&sec, &tm) != NULL)
		strftime(clock, sizeof clock, "%H:%M:%SZ", &tm);
	if (job != NULL && job->job_started > 0 && t > 0) {
		fmt_dur(d, sizeof d, t - job->job_started);
		snprintf(buf, size, "+%s (%s)", d, clock);
	} else
		snprintf(buf, size, "%s", clock);
}

/* The fence must be longer than any backtick run in the lines it holds. */
static size_t
fence_len(const struct verdict *v)
{
	size_t	i, longest = 0, cur;
	const char *p;

	for (i = 0; i < v->nevidence; i++) {
		cur = 0;
		for (p = v->evidence[i]; *p != '\0'; p++) {
			cur = *p == '`' ? cur + 1 : 0;
			if (cur > longest)
				longest = cur;
		}
	}
	return longest < 3 ? 3 : longest + 1;
}

static void
md_evidence(FILE *f, const struct verdict *v)
{
	size_t	 i, flen = fence_len(v);
	char	*line;

	if (v->nevidence == 0)
		return;
	fprintf(f, "\nEvidence (%zu line%s", v->nevidence,
	    v->nevidence == 1 ? "" : "s");
	if (v->evidence_dropped > 0)
		fprintf(f, "; %llu more not kept",
		    (unsigned long long)v->evidence_dropped);
	fprintf(f, "):\n\n");
	for (i = 0; i < flen; i++)
		fputc('`', f);
	fprintf(f, "text\n");
	for (i = 0; i < v->nevidence; i++) {
		line = sanitise_str(v->evidence[i]);
		fprintf(f, "%s\n", line);
		free(line);
	}
	for (i = 0; i < flen; i++)
		fputc('`', f);
	fputc('\n', f);
}

static void
md_stop(FILE *f, const struct verdict *v, const struct annotate_job *job)
{
	enum verdict_report	 r = verdict_report(v, annotate_job_observe(job));
	char			 d[32], *stop, *res, *plain;

	res = v->action_result != NULL ? md_inline(v->action_result) : NULL;
	stop = verdict_describe_stop(v);
	switch (r) {
	case VERDICT_REPORT_OBSERVED:
		fprintf(f, "- **Action:** none (observe mode); breaker would "
		    "have stopped the engine.\n");
		break;
	case VERDICT_REPORT_RECORDED:
	case VERDICT_REPORT_NONE:
		fprintf(f, "- **Action:** recorded only%s%s.\n",
		    res != NULL ? ": " : "", res != NULL ? res : "");
		break;
	case VERDICT_REPORT_FAILED:
		fprintf(f, "- **Action:** breaker could not stop the engine: "
		    "%s.\n", res != NULL ? res : "no engine process was found");
		break;
	case VERDICT_REPORT_STOPPED:
	case VERDICT_REPORT_TRIED:
		plain = stop;
		stop = md_inline(plain);
		free(plain);
		fprintf(f, "- **%s:** %s.\n", r == VERDICT_REPORT_STOPPED ?
		    "Stopped" : "Signalled, not seen to exit", stop);
		if (res != NULL)
			fprintf(f, "- **Outcome:** %s\n", res);
		if (v->stopped_at > 0 && v->first_seen > 0) {
			fmt_dur(d, sizeof d, v->stopped_at - v->first_seen);
			fprintf(f, "- **First sign to cut:** %s\n", d);
		}
		if (v->stopped_at > 0 && job != NULL && job->job_started > 0) {
			fmt_dur(d, sizeof d, v->stopped_at - job->job_started);
			fprintf(f, "- **Job start to cut:** %s\n", d);
		}
		break;
	}
	free(stop);
	free(res);
}

static char *
md_section(const struct verdict *v, const struct annotate_job *job)
{
	char	*buf = NULL, *id, *title, *msg, *api, *hint, when[64];
	size_t	 size = 0;
	FILE	*f;

	if ((f = open_memstream(&buf, &size)) == NULL)
		fatal("open_memstream");
	id = md_cell(v->rule_id);
	title = md_cell(v->title != NULL ? v->title : "");
	fprintf(f, "\n#### %u. %s — %s\n\n", v->seq, id, title);
	if (v->message != NULL) {
		msg = md_inline(v->message);
		fprintf(f, "%s\n\n", msg);
		free(msg);
	}
	if ((hint = annotate_job_hint(v, job)) != NULL) {
		msg = md_inline(hint);
		fprintf(f, "- **What to do:** %s\n", msg);
		free(msg);
		free(hint);
	}
	fmt_when(when, sizeof when, v->first_seen, job);
	fprintf(f, "- **Counted:** %llu event%s, first at %s\n",
	    (unsigned long long)v->count, v->count == 1 ? "" : "s", when);
	md_stop(f, v, job);
	if (v->api_result != NULL) {
		api = md_inline(v->api_result);
		fprintf(f, "- **GitHub API:** %s\n", api);
		free(api);
	}
	md_evidence(f, v);
	fclose(f);
	free(id);
	free(title);
	return buf;
}

static void
md_table(FILE *f, const struct verdict_list *list,
    const struct annotate_job *job)
{
	const struct verdict	*v;
	char			*id, *title, *src, when[64];
	size_t			 rows = 0;

	fprintf(f, "\n| # | rule | severity | source | when |\n"
	    "|---:|---|---|---|---|\n");
	TAILQ_FOREACH(v, list, entry) {
		if (rows++ == SUMMARY_ROWS) {
			fprintf(f, "| " ELLIPSIS " | and more | | | |\n");
			break;
		}
		id = md_cell(v->rule_id);
		title = md_cell(v->title != NULL ? v->title : "");
		src = md_cell(v->source != NULL ? v->source : "?");
		fmt_when(when, sizeof when, v->fired_at, job);
		fprintf(f, "| %u | **%s** %s | %s | %s line %llu%s | %s |\n",
		    v->seq, id, title, severity_name(v->severity), src,
		    (unsigned long long)v->line_no, v->line_cut > 0 ?
		    " (cut)" : "", when);
		free(id);
		free(title);
		free(src);
	}
}

/* The first verdict that stopped (or would have stopped) the engine. */
static const struct verdict *
first_cut(const struct verdict_list *list)
{
	const struct verdict	*v;

	TAILQ_FOREACH(v, list, entry)
		if (v->severity == SEVERITY_FATAL)
			return v;
	return NULL;
}

static void
md_headline(FILE *f, const struct verdict_list *list,
    const struct annotate_job *job, size_t n)
{
	const struct verdict	*cut = first_cut(list);
	char			*title, d[32];
	double			 at;

	if (cut == NULL) {
		fprintf(f, "### breaker: %zu verdict%s, nothing stopped\n", n,
		    n == 1 ? "" : "s");
		return;
	}
	title = md_cell(cut->title != NULL ? cut->title : cut->rule_id);
	switch (verdict_report(cut, annotate_job_observe(job))) {
	case VERDICT_REPORT_OBSERVED:
		fprintf(f, "### breaker would have stopped the engine "
		    "(observe mode): %s\n", title);
		break;
	case VERDICT_REPORT_STOPPED:
		fprintf(f, "### breaker stopped the engine: %s\n", title);
		break;
	case VERDICT_REPORT_TRIED:
		fprintf(f, "### breaker signalled the engine: %s\n", title);
		break;
	case VERDICT_REPORT_FAILED:
		fprintf(f, "### breaker could not stop the engine: %s\n",
		    title);
		break;
	default:
		fprintf(f, "### breaker recorded a fatal failure: %s\n", title);
		break;
	}
	free(title);
	at = cut->stopped_at > 0 ? cut->stopped_at : cut->fired_at;
	fprintf(f, "\n");
	if (job != NULL && job->job_started > 0 && at > 0) {
		fmt_dur(d, sizeof d, at - job->job_started);
		fprintf(f, "%s after the job started", d);
	}
	if (cut->first_seen > 0 && at > 0) {
		fmt_dur(d, sizeof d, at - cut->first_seen);
		fprintf(f, "%s%s after the first sign", job != NULL &&
		    job->job_started > 0 ? "; " : "", d);
	}
	fprintf(f, ".");
	if (job != NULL && job->saved > 0) {
		fmt_dur(d, sizeof d, job->saved);
		fprintf(f, " Time saved: about %s%s%s%s.", d,
		    job->saved_basis ? " (" : "",
		    job->saved_basis ? job->saved_basis : "",
		    job->saved_basis ? ")" : "");
	}
	fprintf(f, "\n");
}

/* Sentences about the run itself; `sep` goes before each but the first. */
static void
md_notes(FILE *f, const struct annotate_job *job, int lead)
{
	const char	*sep = lead ? " " : "";
	char		*note, *pol;

	if (job == NULL)
		return;
	if (job->daemon_ended_early) {
		fprintf(f, "%sThe breaker daemon ended before the job did; this "
		    "report comes from its saved state.", sep);
		sep = " ";
	}
	if (job->note != NULL) {
		note = md_inline(job->note);
		fprintf(f, "%s%s", sep, note);
		free(note);
		sep = " ";
	}
	if (job->policy != NULL) {
		pol = md_inline(job->policy);
		fprintf(f, "%sPolicy: %s.", sep, pol);
		free(pol);
	}
}

/* Render the whole summary into memory, within SUMMARY_MAX. */
static char *
md_render(const struct verdict_list *list, const struct annotate_job *job)
{
	const struct verdict	*v;
	char			*buf = NULL, *sec;
	size_t			 size = 0, n = 0, omitted = 0, used;
	FILE			*f;

	if ((f = open_memstream(&buf, &size)) == NULL)
		fatal("open_memstream");
	TAILQ_FOREACH(v, list, entry)
		n++;
	if (n == 0) {
		/* A quiet job: one line, so it is clear breaker watched. */
		fprintf(f, "**breaker**: no failure detected.");
		md_notes(f, job, 1);
		fprintf(f, "\n");
		fclose(f);
		return buf;
	}
	md_headline(f, list, job, n);
	if (job != NULL && (job->daemon_ended_early || job->note != NULL ||
	    job->policy != NULL)) {
		fprintf(f, "\n");
		md_notes(f, job, 0);
		fprintf(f, "\n");
	}
	md_table(f, list, job);
	TAILQ_FOREACH(v, list, entry) {
		sec = md_section(v, job);
		fflush(f);
		used = size;
		/* Keep room for the closing note; never cut a code block. */
		if (omitted > 0 || used + strlen(sec) + 1024 >
		    SUMMARY_MAX)
			omitted++;
		else
			fputs(sec, f);
		free(sec);
	}
	if (omitted > 0)
		fprintf(f, "\n_The details of %zu more verdict%s were left out "
		    "to keep this summary under %d KiB (GitHub drops a step "
		    "summary over 1 MiB); they are in breaker's state "
		    "directory._\n", omitted, omitted == 1 ? "" : "s",
		    SUMMARY_MAX / 1024);
	fclose(f);
	return buf;
}

static int
append_file(const char *path, const char *text)
{
	return file_append(AT_FDCWD, path, text, strlen(text));
}

int
summary_write(const char *path, const struct verdict_list *list,
    const struct annotate_job *job)
{
	char	*md;
	int	 rv = 0;

	if (path == NULL || *path == '\0') {
		log_debug("no step summary file; summary not written");
		return 0;
	}
	md = md_render(list, job);
	if (append_file(path, md) == -1) {
		log_warn("job summary %s", path);
		rv = -1;
	}
	free(md);
	return rv;
}
