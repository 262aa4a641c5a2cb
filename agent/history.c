/*
 * Replay over history: folders of downloaded runs through replay.c's
 * driver, one report line per run and the totals an operator asks for
 * before enforcing — runs that would have been cut (by rule), runs that
 * succeeded yet would have been cut (false-stop suspects), and the runner
 * time the cuts would have saved.
 *
 * A run folder is searched (bounded depth and count) for each source's
 * file by its name in the policy (agent-stdio.log, access.log, …; the
 * longest matching path suffix wins), for the runner's step logs (*.txt
 * whose lines open with the runner's timestamp) and for the metadata gh
 * and gh-aw save beside them (aw_info.json: the engine; run_summary.json
 * or run.json: the conclusion). The agent step's log, when present, is
 * read as the engine source instead of agent-stdio.log: it carries the
 * same lines with the runner's time on each, which replay.c strips and
 * uses, so the first certain sign has a time.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/queue.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "annotate.h"
#include "file.h"
#include "history.h"
#include "lines.h"
#include "policy.h"
#include "sanitise.h"
#include "replay.h"
#include "util.h"
#include "verdict.h"
#include "xalloc.h"

#define MAX_DEPTH	6	/* artifact folders nest a few levels */
#define MAX_FILES	4096	/* entries looked at per run folder */
#define META_MAX	(1024 * 1024)
#define TAIL_PROBE	(64 * 1024)

struct steplog {
	char	*path;
	char	*dir;		/* its job's folder */
	double	 first, last;	/* runner stamps */
};

struct hrun {
	char		*dir;
	char		**src;		/* per policy source, or NULL */
	size_t		 nsrc;
	struct steplog	*steps;
	size_t		 nsteps;
	int		 engine_step;	/* index into steps, -1 */
	char		*combined;	/* a `gh run view --log` file, or NULL */
	int		 combined_fd;	/* its engine step's lines, or -1 */
	char		*combined_src;	/* /proc/self/fd/N of that */
	double		 combined_end;	/* its agent job's last stamp */
	size_t		 seen;		/* entries walked */
	char		*engine;	/* aw_info.json engine_id */
	char		*conclusion;	/* "success", "failure", … or NULL */
	/* results */
	int		 error;
	uint64_t	 lines;
	size_t		 nverdicts;
	char		*rule;		/* first stopping rule, or NULL */
	double		 sign;		/* its time, 0 unknown */
	double		 job_end;	/* 0 unknown */
	double		 saved;		/* seconds, -1 unknown */
};

static const char *
base(const char *p)
{
	const char	*s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* Path components two paths share from their ends. */
static size_t
suffix_score(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), n = 0;

	while (la > 0 && lb > 0 && a[la - 1] == b[lb - 1]) {
		la--;
		lb--;
		if (a[la] == '/')
			n++;
	}
	if ((la == 0 || a[la - 1] == '/') && (lb == 0 || b[lb - 1] == '/'))
		n++;
	return n;
}

static const char *
json_str(const cJSON *o, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring[0] != '\0' ?
	    v->valuestring : NULL;
}

/* aw_info.json: the engine; run_summary.json (gh aw logs) or run.json
 * (`gh run view --json conclusion,…`): the conclusion, top level or
 * under "run". */
static void
read_meta(struct hrun *h, const char *path, const char *name)
{
	cJSON		*root;
	const char	*s;
	char		*text;

	/* A larger file is not metadata we know: skipped like bad JSON. */
	if ((text = file_read_small(AT_FDCWD, path, META_MAX, 0,
	    NULL, NULL)) == NULL)
		return;
	root = cJSON_Parse(text);
	free(text);
	if (root == NULL)
		return;
	if (strcmp(name, "aw_info.json") == 0) {
		if (h->engine == NULL && (s = json_str(root, "engine_id")))
			h->engine = sanitise_neutralise(s, strlen(s));
	} else if (h->conclusion == NULL) {
		if ((s = json_str(root, "conclusion")) == NULL)
			s = json_str(cJSON_GetObjectItemCaseSensitive(root,
			    "run"), "conclusion");
		if (s != NULL)
			h->conclusion = sanitise_neutralise(s, strlen(s));
	}
	cJSON_Delete(root);
}

/* First and last runner stamps of a step log; 0 when it has none. */
static int
probe_steplog(const char *path, double *first, double *last)
{
	char		 buf[TAIL_PROBE + 1];
	struct stat	 sb;
	ssize_t		 n;
	char		*p, *nl;
	double		 t;
	int		 fd;

	if ((fd = file_open_read(AT_FDCWD, path, 0, NULL)) == -1)
		return 0;
	if ((n = read(fd, buf, 64)) <= 0 ||
	    lines_runner_stamp(buf, n, first) == 0 || fstat(fd, &sb) == -1) {
		close(fd);
		return 0;
	}
	*last = *first;
	n = pread(fd, buf, TAIL_PROBE, sb.st_size > TAIL_PROBE ?
	    sb.st_size - TAIL_PROBE : 0);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	for (p = buf; p < buf + n; p = nl + 1) {
		if ((nl = memchr(p, '\n', buf + n - p)) == NULL)
			nl = buf + n;
		if (lines_runner_stamp(p, nl - p, &t) > 0 && t > *last)
			*last = t;
	}
	return 1;
}

/*
 * `gh run view ID --log` prints a whole run as `JOB<TAB>STEP<TAB>` and the
 * step log's line. Splits one such line; 0 when it is not one.
 */
static int
split_combined(char *line, char **job, char **step, char **rest)
{
	char	*t1, *t2;
	double	 t;

	if ((t1 = strchr(line, '\t')) == NULL ||
	    (t2 = strchr(t1 + 1, '\t')) == NULL ||
	    lines_runner_stamp(t2 + 1, strlen(t2 + 1), &t) == 0)
		return 0;
	*t1 = *t2 = '\0';
	*job = line;
	*step = t1 + 1;
	*rest = t2 + 1;
	return 1;
}

static int
is_combined(const char *path)
{
	char	 buf[4096], *nl, *job, *step, *rest;

	if (file_read_head(AT_FDCWD, path, 0, buf, sizeof buf) <= 0)
		return 0;
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	return split_combined(buf, &job, &step, &rest);
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t	n = strlen(s), k = strlen(suf);

	return n > k && strcmp(s + n - k, suf) == 0;
}

static void
consider_file(struct hrun *h, const struct policy *p, const char *path,
    const char *name, size_t *best)
{
	struct steplog	 sl;
	size_t		 k, score, len = strlen(name);
	const char	*sp;

	if (strcmp(name, "aw_info.json") == 0 ||
	    strcmp(name, "run_summary.json") == 0 ||
	    strcmp(name, "run.json") == 0) {
		read_meta(h, path, name);
		return;
	}
	for (k = 0; k < h->nsrc; k++) {
		sp = policy_source(p, k)->path;
		if (strcmp(base(sp), name) != 0)
			continue;
		score = suffix_score(sp, path);
		if (h->src[k] == NULL || score > best[k]) {
			free(h->src[k]);
			h->src[k] = xstrdup(path);
			best[k] = score;
		}
		return;
	}
	if (has_suffix(name, ".txt") &&
	    probe_steplog(path, &sl.first, &sl.last)) {
		sl.path = xstrdup(path);
		sl.dir = xstrndup(path, strlen(path) - len);
		h->steps = xreallocarray(h->steps, h->nsteps + 1,
		    sizeof *h->steps);
		h->steps[h->nsteps++] = sl;
	} else if (h->combined == NULL && (has_suffix(name, ".txt") ||
	    has_suffix(name, ".log")) && is_combined(path))
		h->combined = xstrdup(path);
}

static void
walk(struct hrun *h, const struct policy *p, const char *dir, int depth,
    size_t *best)
{
	struct stat	 sb;
	char		**names, *path;
	size_t		 n, i;

	if (depth > MAX_DEPTH || h->seen >= MAX_FILES)
		return;
	names = file_list_dir(dir, MAX_FILES, &n);
	for (i = 0; i < n && h->seen < MAX_FILES; i++, h->seen++) {
		xasprintf(&path, "%s/%s", dir, names[i]);
		if (lstat(path, &sb) == 0) {
			if (S_ISDIR(sb.st_mode))
				walk(h, p, path, depth + 1, best);
			else if (S_ISREG(sb.st_mode))
				consider_file(h, p, path, names[i], best);
		}
		free(path);
	}
	file_list_free(names, n);
}

/* The job folder's own name: "…/workflow-logs/agent/" -> "agent/". */
static int
in_job(const struct steplog *sl, const char *job)
{
	size_t	n = strlen(sl->dir), k = strlen(job);

	return n >= k + 2 && sl->dir[n - k - 2] == '/' &&
	    strncmp(sl->dir + n - k - 1, job, k) == 0;
}

/*
 * The engine step: gh-aw names it "Execute <engine> CLI", in the job
 * `agent` (its threat-detection job runs the engine too, so the agent
 * job's step wins).
 */
static int
pick_engine_step(const struct hrun *h)
{
	size_t	i;
	int	found = -1;

	for (i = 0; i < h->nsteps; i++) {
		if (strcasestr(base(h->steps[i].path), "execute") == NULL)
			continue;
		if (in_job(&h->steps[i], "agent"))
			return (int)i;
		if (found == -1)
			found = (int)i;
	}
	return found;
}

/*
 * The engine step of a `gh run view --log` file, as a step log of its own
 * (the runner's stamp kept, the job and step names cut) in a memfd that
 * replay reads like any file: job `agent`'s "Execute …" step, else the
 * first job's. Its job's last stamp is the job's end.
 */
static void
extract_combined(struct hrun *h)
{
	char	*line = NULL, *job, *step, *rest, *pick = NULL;
	size_t	 cap = 0;
	double	 t;
	FILE	*in, *out;
	int	 fd;

	if ((in = fopen(h->combined, "re")) == NULL)
		return;
	while (getline(&line, &cap, in) > 0 && (pick == NULL ||
	    strcmp(pick, "agent") != 0))
		if (split_combined(line, &job, &step, &rest) &&
		    strcasestr(step, "execute") != NULL) {
			free(pick);
			pick = xstrdup(job);
		}
	if (pick == NULL || (fd = memfd_create("breaker-step",
	    MFD_CLOEXEC)) == -1 || (out = fdopen(fd, "w")) == NULL) {
		free(pick);
		free(line);
		fclose(in);
		return;
	}
	rewind(in);
	while (getline(&line, &cap, in) > 0) {
		if (!split_combined(line, &job, &step, &rest) ||
		    strcmp(job, pick) != 0)
			continue;
		if (lines_runner_stamp(rest, strlen(rest), &t) > 0 &&
		    t > h->combined_end)
			h->combined_end = t;
		if (strcasestr(step, "execute") != NULL)
			fputs(rest, out);
	}
	fflush(out);
	h->combined_fd = dup(fd);
	fclose(out);
	if (h->combined_fd != -1)
		xasprintf(&h->combined_src, "/proc/self/fd/%d",
		    h->combined_fd);
	free(pick);
	free(line);
	fclose(in);
}

static void
scan_run(struct hrun *h, const struct policy *p)
{
	size_t	*best;

	h->nsrc = policy_nsources(p);
	h->src = xcalloc(h->nsrc + 1, sizeof *h->src);
	best = xcalloc(h->nsrc + 1, sizeof *best);
	walk(h, p, h->dir, 0, best);
	free(best);
	h->engine_step = pick_engine_step(h);
	h->combined_fd = -1;
	if (h->engine_step < 0 && h->combined != NULL)
		extract_combined(h);
}

/* The job's end: the last runner stamp of the agent job's step logs (all
 * step logs when the engine step is unknown), else the last line time. */
static double
history_job_end(const struct hrun *h, double last_line)
{
	const char	*jobdir = NULL;
	double		 end = last_line;
	size_t		 i;

	if (h->combined_end > end)
		end = h->combined_end;
	if (h->engine_step >= 0)
		jobdir = h->steps[h->engine_step].dir;
	for (i = 0; i < h->nsteps; i++)
		if ((jobdir == NULL || strcmp(h->steps[i].dir, jobdir) == 0) &&
		    h->steps[i].last > end)
			end = h->steps[i].last;
	return end;
}

/* What is read as the engine source: the agent step's log, else the
 * engine step cut out of a whole-run log, else agent-stdio.log. */
static const char *
engine_file(const struct hrun *h, size_t k, int engine_idx)
{
	if (engine_idx < 0 || k != (size_t)engine_idx)
		return h->src[k];
	if (h->engine_step >= 0)
		return h->steps[h->engine_step].path;
	if (h->combined_src != NULL)
		return h->combined_src;
	return h->src[k];
}

static int
readable_run(const struct hrun *h)
{
	size_t	k;

	if (h->engine_step >= 0 || h->combined_src != NULL)
		return 1;
	for (k = 0; k < h->nsrc; k++)
		if (h->src[k] != NULL)
			return 1;
	return 0;
}

static void
history_replay_run(struct hrun *h, const struct policy *p)
{
	const struct verdict	*v;
	struct replay		*r;
	const char		*path;
	double			 first, last;
	size_t			 k;
	int			 e = policy_source_index(p, "engine");

	h->saved = -1;
	r = replay_new(p, 0);
	for (k = 0; k < h->nsrc; k++)
		if ((path = engine_file(h, k, e)) != NULL)
			replay_add_source(r, policy_source(p, k)->name, path);
	if (replay_run(r) == -1)
		h->error = 1;
	h->lines = replay_lines(r);
	TAILQ_FOREACH(v, replay_verdicts(r), entry)
		h->nverdicts++;
	replay_times(r, &first, &last);
	h->job_end = history_job_end(h, last);
	if ((v = replay_first_stop(r)) != NULL) {
		h->rule = xstrdup(v->rule_id);
		/* below 1e8 is replay's synthetic clock: no real time */
		h->sign = v->fired_at >= 1e8 ? v->fired_at : 0;
		if (h->sign > 0 && h->job_end >= h->sign)
			h->saved = h->job_end - h->sign;
	}
	replay_free(r);
}

static void
hrun_free(struct hrun *h)
{
	size_t	i;

	for (i = 0; i < h->nsrc; i++)
		free(h->src[i]);
	free(h->src);
	for (i = 0; i < h->nsteps; i++) {
		free(h->steps[i].path);
		free(h->steps[i].dir);
	}
	free(h->steps);
	if (h->combined_fd != -1)
		close(h->combined_fd);
	free(h->combined);
	free(h->combined_src);
	free(h->dir);
	free(h->engine);
	free(h->conclusion);
	free(h->rule);
}

static int
is_dir(const char *path)
{
	struct stat	sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void
add_run(struct hrun **runs, size_t *n, const char *dir)
{
	*runs = xreallocarray(*runs, *n + 1, sizeof **runs);
	memset(&(*runs)[*n], 0, sizeof **runs);
	(*runs)[*n].dir = xstrdup(dir);
	(*runs)[*n].combined_fd = -1;
	(*n)++;
}

/* `run-<id>` (gh aw logs) or `<id>` (gh run download -D DIR/<id>). */
static int
run_name(const char *name)
{
	if (strncmp(name, "run-", 4) == 0)
		name += 4;
	if (*name == '\0')
		return 0;
	return strspn(name, "0123456789") == strlen(name);
}

/* DIR is a folder of runs when it holds run-named folders, else one run
 * (whose files may sit deeper: gh run download makes one folder per
 * artifact). */
static void
find_runs(const char *dir, struct hrun **runs, size_t *n)
{
	char	**names, *path;
	size_t	  nn, i, before = *n;

	names = file_list_dir(dir, MAX_FILES, &nn);
	for (i = 0; i < nn; i++) {
		if (!run_name(names[i]))
			continue;
		xasprintf(&path, "%s/%s", dir, names[i]);
		if (is_dir(path))
			add_run(runs, n, path);
		free(path);
	}
	file_list_free(names, nn);
	if (*n == before)
		add_run(runs, n, dir);
}

static void
fmt_dur(double s, char *buf, size_t sz)
{
	long	t = (long)(s + 0.5);

	if (s < 0)
		snprintf(buf, sz, "-");
	else if (t >= 3600)
		snprintf(buf, sz, "%ldh %02ldm %02lds", t / 3600,
		    t / 60 % 60, t % 60);
	else if (t >= 60)
		snprintf(buf, sz, "%ldm %02lds", t / 60, t % 60);
	else
		snprintf(buf, sz, "%.1fs", s);
}

static void
fmt_time(double t, char *buf, size_t sz)
{
	struct tm	tm;
	time_t		s = (time_t)t;

	if (t <= 0) {
		snprintf(buf, sz, "-");
		return;
	}
	gmtime_r(&s, &tm);
	strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
false_stop(const struct hrun *h)
{
	return h->rule != NULL && h->conclusion != NULL &&
	    strcmp(h->conclusion, "success") == 0;
}

struct totals {
	size_t	 runs, read, unreadable, cut, suspects, timed, untimed;
	double	 saved;
	cJSON	*by_rule;	/* rule -> count, in first-seen order */
};

static void
tally(struct totals *t, const struct hrun *h)
{
	cJSON	*c;

	t->runs++;
	if (!readable_run(h) || h->error) {
		t->unreadable++;
		return;
	}
	t->read++;
	if (h->rule == NULL)
		return;
	t->cut++;
	t->suspects += false_stop(h);
	if (h->saved >= 0) {
		t->timed++;
		t->saved += h->saved;
	} else
		t->untimed++;
	if ((c = cJSON_GetObjectItemCaseSensitive(t->by_rule, h->rule)))
		cJSON_SetNumberHelper(c, c->valuedouble + 1);
	else
		cJSON_AddNumberToObject(t->by_rule, h->rule, 1);
}

static void
print_run(const struct hrun *h)
{
	char	when[32], saved[32], *dir;

	dir = sanitise_neutralise(h->dir, strlen(h->dir));
	printf("%s  engine %s, %s", dir, h->engine ? h->engine : "?",
	    h->conclusion ? h->conclusion : "conclusion unknown");
	free(dir);
	if (!readable_run(h)) {
		printf(": no log breaker reads was found\n");
		return;
	}
	if (h->error) {
		printf(": a file could not be read\n");
		return;
	}
	printf(", %llu lines", (unsigned long long)h->lines);
	if (h->rule == NULL) {
		printf(": no cut (%zu verdict%s)\n", h->nverdicts,
		    h->nverdicts == 1 ? "" : "s");
		return;
	}
	fmt_time(h->sign, when, sizeof when);
	fmt_dur(h->saved, saved, sizeof saved);
	printf(": would cut by %s at %s, %s before the job's end%s\n",
	    h->rule, when, h->saved >= 0 ? saved : "unknown time",
	    false_stop(h) ? " — FALSE-STOP SUSPECT: the run succeeded" : "");
}

static void
print_totals(const struct totals *t)
{
	const cJSON	*c;
	char		 saved[32];

	fmt_dur(t->saved, saved, sizeof saved);
	printf("\nruns: %zu found, %zu read", t->runs, t->read);
	if (t->unreadable)
		printf(" (%zu without a readable log)", t->unreadable);
	printf("; %zu would have been cut; %zu succeeded but would have been "
	    "cut (false-stop suspects)\n", t->cut, t->suspects);
	for (c = t->by_rule->child; c != NULL; c = c->next)
		printf("  %6d  %s\n", (int)c->valuedouble, c->string);
	printf("runner time saved: %s (%.1f runner-minutes) over %zu cut "
	    "run%s with timestamps", saved, t->saved / 60, t->timed,
	    t->timed == 1 ? "" : "s");
	if (t->untimed)
		printf("; %zu cut run%s without timestamps not counted",
		    t->untimed, t->untimed == 1 ? "" : "s");
	printf("\n");
}

/* Paths come from downloaded artifacts: never a workflow command. */
static void
add_path(cJSON *o, const char *key, const char *path)
{
	char	*s = sanitise_neutralise(path, strlen(path));

	cJSON_AddStringToObject(o, key, s);
	free(s);
}

static cJSON *
run_json(const struct hrun *h, const struct policy *p)
{
	cJSON	*o = cJSON_CreateObject(), *s;
	size_t	 k;
	int	 e = policy_source_index(p, "engine");

	add_path(o, "dir", h->dir);
	json_add_str_or_null(o, "engine", h->engine);
	json_add_str_or_null(o, "conclusion", h->conclusion);
	s = cJSON_AddObjectToObject(o, "files");
	for (k = 0; k < h->nsrc; k++)
		if (e >= 0 && k == (size_t)e && h->engine_step < 0 &&
		    h->combined_src != NULL)
			add_path(s, policy_source(p, k)->name, h->combined);
		else if (engine_file(h, k, e) != NULL)
			add_path(s, policy_source(p, k)->name,
			    engine_file(h, k, e));
	cJSON_AddBoolToObject(o, "read", readable_run(h) && !h->error);
	cJSON_AddNumberToObject(o, "lines", h->lines);
	cJSON_AddNumberToObject(o, "verdicts", h->nverdicts);
	cJSON_AddBoolToObject(o, "cut", h->rule != NULL);
	json_add_str_or_null(o, "rule", h->rule);
	cJSON_AddNumberToObject(o, "sign_time", h->sign);
	cJSON_AddNumberToObject(o, "job_end", h->job_end);
	if (h->saved >= 0)
		cJSON_AddNumberToObject(o, "saved_seconds", h->saved);
	else
		cJSON_AddNullToObject(o, "saved_seconds");
	cJSON_AddBoolToObject(o, "false_stop_suspect", false_stop(h));
	return o;
}

static void
print_json(struct hrun *runs, size_t n, struct totals *t,
    const struct policy *p, double elapsed)
{
	cJSON	*root = cJSON_CreateObject(), *a, *o;
	char	*s;
	size_t	 i;

	cJSON_AddStringToObject(root, "policy", policy_describe(p));
	a = cJSON_AddArrayToObject(root, "runs");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, run_json(&runs[i], p));
	o = cJSON_AddObjectToObject(root, "total");
	cJSON_AddNumberToObject(o, "runs", t->runs);
	cJSON_AddNumberToObject(o, "read", t->read);
	cJSON_AddNumberToObject(o, "unreadable", t->unreadable);
	cJSON_AddNumberToObject(o, "cut", t->cut);
	cJSON_AddNumberToObject(o, "false_stop_suspects", t->suspects);
	cJSON_AddItemReferenceToObject(o, "cut_by_rule", t->by_rule);
	cJSON_AddNumberToObject(o, "saved_seconds", t->saved);
	cJSON_AddNumberToObject(o, "timed_cuts", t->timed);
	cJSON_AddNumberToObject(o, "untimed_cuts", t->untimed);
	cJSON_AddNumberToObject(root, "elapsed", elapsed);
	s = cJSON_PrintUnformatted(root);
	printf("%s\n", s);
	free(s);
	cJSON_Delete(root);
}

int
history_replay(const struct policy *p, char *const *dirs, size_t ndirs,
    const struct history_options *o)
{
	struct hrun	*runs = NULL;
	struct totals	 t;
	size_t		 n = 0, i;
	double		 t0 = mono_now();

	for (i = 0; i < ndirs; i++) {
		if (!is_dir(dirs[i])) {
			fprintf(stderr, "breaker replay: %s: not a folder of "
			    "runs (give a log with --source NAME=FILE)\n",
			    dirs[i]);
			free(runs);
			return 2;
		}
		find_runs(dirs[i], &runs, &n);
	}
	memset(&t, 0, sizeof t);
	t.by_rule = cJSON_CreateObject();
	for (i = 0; i < n; i++) {
		scan_run(&runs[i], p);
		if (readable_run(&runs[i]))
			history_replay_run(&runs[i], p);
		tally(&t, &runs[i]);
		if (!o->json)
			print_run(&runs[i]);
	}
	if (o->json)
		print_json(runs, n, &t, p, mono_now() - t0);
	else
		print_totals(&t);
	for (i = 0; i < n; i++)
		hrun_free(&runs[i]);
	free(runs);
	cJSON_Delete(t.by_rule);
	if (t.read == 0)
		return 2;
	return t.cut > 0 ? 1 : 0;
}
