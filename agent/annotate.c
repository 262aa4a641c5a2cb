/*
 * What the job shows: workflow commands with the runner's exact escaping
 * (the Markdown job summary is summary.c's).
 *
 * Everything that came from the engine or its logs is hostile. Before it is
 * printed it goes through sanitise.c (redacted, then neutralised, on the
 * whole value, then cut), and then it is escaped exactly as the runner
 * unescapes it (ActionCommand.cs): "%" first, then CR, LF, and in property
 * values also ":" and ",". Every line printed here starts with breaker's
 * own "::cmd", so no engine text is ever at the start of a line.
 * See docs/annotations.md for the reasons behind each choice.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotate.h"
#include "sanitise.h"
#include "verdict.h"
#include "xalloc.h"

#define ELLIPSIS	SANITISE_ELLIPSIS

/* ---- escaping: the runner's rules, nothing more, nothing less ---- */

static char *
annotate_escape(const char *s, int property)
{
	char	*out, *o;

	out = o = xmalloc(strlen(s) * 3 + 1);
	for (; *s != '\0'; s++) {
		/* One pass is "%" first: no escape's output is re-escaped. */
		if (*s == '%')
			o = stpcpy(o, "%25");
		else if (*s == '\r')
			o = stpcpy(o, "%0D");
		else if (*s == '\n')
			o = stpcpy(o, "%0A");
		else if (property && *s == ':')
			o = stpcpy(o, "%3A");
		else if (property && *s == ',')
			o = stpcpy(o, "%2C");
		else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

char *
annotate_escape_property(const char *s)
{
	return annotate_escape(s, 1);
}

char *
annotate_escape_data(const char *s)
{
	return annotate_escape(s, 0);
}

/* ---- workflow commands ---- */

static int
type_index(enum severity s)
{
	return s == SEVERITY_FATAL ? 0 : s == SEVERITY_WARNING ? 1 : 2;
}

int
annotate_job_observe(const struct annotate_job *job)
{
	return job != NULL && job->observe;
}

/* Observe mode's would-stop is a notice: a trial must not paint every job
 * red (and the runner counts each type apart). */
static int
command_type(const struct verdict *v, const struct annotate_job *job)
{
	if (v->severity == SEVERITY_FATAL && verdict_observed(v,
	    annotate_job_observe(job)))
		return 2;
	return type_index(v->severity);
}

char *
annotate_job_hint(const struct verdict *v, const struct annotate_job *job)
{
	const char	*h;

	if (job == NULL || job->hint == NULL || v->rule_id == NULL ||
	    (h = job->hint(v->rule_id, job->hint_arg)) == NULL || *h == '\0')
		return NULL;
	return xstrdup(h);
}


/* The verdict's message, and what the job adds to it. */
static char *
annotation_text(const struct verdict *v, const struct annotate_job *job)
{
	char	*hint = annotate_job_hint(v, job), *msg, *out;

	msg = verdict_message(v, annotate_job_observe(job), hint);
	free(hint);
	if (job == NULL || !job->daemon_ended_early)
		return msg;
	xasprintf(&out, "%s\n(breaker's daemon ended before the job did; "
	    "this comes from its saved state.)", msg);
	free(msg);
	return out;
}

/*
 * The one place a command line is formed. `title` and `message` are our
 * text with sanitised pieces in it; newlines in them are ours, escaped.
 */
static void
print_command(FILE *out, const char *type, const char *title,
    const char *message)
{
	char	*t, *m, *bt, *bm, *et, *em;

	xasprintf(&t, "breaker: %s", title);
	m = xstrdup(message);
	sanitise_cut(t, ANNOTATE_MAX_TITLE);
	sanitise_cut(m, ANNOTATE_MAX_MESSAGE);
	bt = sanitise_rebreak(t);
	bm = sanitise_rebreak(m);
	et = annotate_escape_property(bt);
	em = annotate_escape_data(bm);
	fprintf(out, "::%s title=%s::%s\n", type, et, em);
	free(t);
	free(m);
	free(bt);
	free(bm);
	free(et);
	free(em);
}

/*
 * The runner keeps the first 10 annotations of each type per step and
 * drops the rest silently, so when a type overflows we print 9 and make
 * the 10th the fold: it is then the one the job page shows.
 */
void
annotate_print(FILE *out, const struct verdict_list *list,
    const struct annotate_job *job)
{
	static const char	*types[] = { "error", "warning", "notice" };
	const struct verdict	*v;
	size_t			 total[3] = { 0, 0, 0 }, shown[3] = { 0, 0, 0 };
	size_t			 limit, t;
	char			*title, *msg, *fold;

	TAILQ_FOREACH(v, list, entry)
		total[command_type(v, job)]++;
	TAILQ_FOREACH(v, list, entry) {
		t = command_type(v, job);
		limit = total[t] > ANNOTATE_MAX_PER_TYPE ?
		    ANNOTATE_MAX_PER_TYPE - 1 : ANNOTATE_MAX_PER_TYPE;
		if (shown[t] >= limit)
			continue;
		shown[t]++;
		title = verdict_title(v);
		msg = annotation_text(v, job);
		print_command(out, types[t], title, msg);
		free(title);
		free(msg);
	}
	for (t = 0; t < 3; t++) {
		if (total[t] <= shown[t])
			continue;
		xasprintf(&fold, ELLIPSIS " and %zu more breaker verdicts; "
		    "see the job summary", total[t] - shown[t]);
		xasprintf(&title, "%zu more %s verdicts", total[t] - shown[t],
		    types[t]);
		print_command(out, types[t], title, fold);
		free(fold);
		free(title);
	}
	fflush(out);
}

/*
 * A warning is breaker's own sentence, quoting what went wrong (a list of
 * configuration errors, one per line, a path, strerror). Its line breaks
 * are ours: each stays a line break (escaped %0A below) instead of showing
 * as a control picture "␊" in the middle of a sentence; blank lines and a
 * trailing break are dropped. Each line is still sanitised on its own, so
 * any other control character in a quoted value shows as its picture.
 */
static char *
annotate_warning_lines(const char *message)
{
	const char	*s = message != NULL ? message : "", *e;
	char		*out = NULL, *line, *t;

	for (;; s = e + 1) {
		e = s + strcspn(s, "\r\n");
		if (e > s) {
			line = sanitise_text(s, (size_t)(e - s));
			xasprintf(&t, "%s%s%s", out ? out : "", out ? "\n" :
			    "", line);
			free(line);
			free(out);
			out = t;
		}
		if (*e == '\0')
			break;
	}
	return out != NULL ? out : xstrdup("");
}

void
annotate_warning(FILE *out, const char *title, const char *message)
{
	char	*t = sanitise_str(title), *m = annotate_warning_lines(message);

	print_command(out, "warning", t, m);
	free(t);
	free(m);
	fflush(out);
}
