/*
 * `breaker check --corpus DIR`: replay every labelled case through the
 * policy (replay.c, the driver `breaker replay` uses) and compare the
 * outcome with the label, per engine and per failure class. What
 * fail2ban-regex does for one pattern and one log, for a whole folder of
 * labelled runs: the share of doomed runs caught, and the healthy runs
 * that would have been stopped.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "corpus.h"
#include "file.h"
#include "policy.h"
#include "replay.h"
#include "sanitise.h"
#include "verdict.h"
#include "xalloc.h"

#define CASE_JSON_MAX	(1024 * 1024)
#define MAX_DEPTH	4
#define MSG_MAX		160

enum outcome { OUT_STOP = 0, OUT_WARN, OUT_OK, NOUT };
enum label { LABEL_FATAL = 0, LABEL_WARNING, LABEL_OK, NLABEL };

static const char *const outcome_names[NOUT] = { "stop", "warn", "ok" };
static const char *const label_names[NLABEL] = { "fatal", "warning", "ok" };

struct ccase {
	char		*dir;
	char		*id;
	char		*engine;
	char		*klass;
	char		*reason;
	int		 label;
	int		 outcome;
	char		*verdicts;	/* "rule (severity), …" */
	char		*stop_rule;	/* the first stopping verdict */
	char		*stop_msg;
	char		*skipped;	/* files of sources the policy lacks */
	size_t		 nskipped;
	char		*error;		/* the case could not be judged */
	int		 unread;	/* no file of a source the policy has */
};

/* One row of a confusion matrix: label x outcome counts for a key. */
struct row {
	char		*key;
	unsigned	 m[NLABEL][NOUT];
	unsigned	 n;
};

struct corpus {
	const struct policy	*policy;
	struct ccase		*cases;
	size_t			 ncases;
};

static char *
read_small(const char *path, char **why)
{
	FILE	*f;
	char	*buf;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL) {
		*why = xstrdup(strerror(errno));
		return NULL;
	}
	buf = xmalloc(CASE_JSON_MAX + 1);
	n = fread(buf, 1, CASE_JSON_MAX, f);
	buf[n] = '\0';
	if (!feof(f)) {
		*why = xstrdup("larger than 1 MiB");
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static char *
str_or(const cJSON *o, const char *key, const char *dflt)
{
	const cJSON	*c = cJSON_GetObjectItemCaseSensitive(o, key);

	return xstrdup(cJSON_IsString(c) && *c->valuestring != '\0' ?
	    c->valuestring : dflt);
}

static int
parse_label(const char *s)
{
	int	i;

	for (i = 0; i < NLABEL; i++)
		if (strcmp(s, label_names[i]) == 0)
			return i;
	return -1;
}

static void
append(char **s, const char *sep, const char *more)
{
	char	*t;

	if (*s == NULL) {
		*s = xstrdup(more);
		return;
	}
	xasprintf(&t, "%s%s%s", *s, sep, more);
	free(*s);
	*s = t;
}

/* Hostile text (the logs are anyone's) kept short and printable. */
static char *
clean(const char *s)
{
	return sanitise_text_cut(s, strlen(s), MSG_MAX);
}

static int
skip_name(const char *name)
{
	return name[0] == '.' || strcmp(name, "case.json") == 0 ||
	    strncmp(name, "README", 6) == 0 ||
	    (strlen(name) > 3 && strcmp(name + strlen(name) - 3, ".md") == 0);
}

static int
is_dir(const char *path)
{
	struct stat	sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The outcome a job would have seen: stopped, warned, or nothing. */
static void
judge(struct ccase *c, const struct verdict_list *vl)
{
	const struct verdict	*v;
	char			 one[512];

	c->outcome = OUT_OK;
	TAILQ_FOREACH(v, vl, entry) {
		snprintf(one, sizeof one, "%s (%s)", v->rule_id,
		    severity_name(v->severity));
		append(&c->verdicts, ", ", one);
		if (replay_verdict_stops(v)) {
			if (c->outcome != OUT_STOP) {
				c->stop_rule = xstrdup(v->rule_id);
				c->stop_msg = clean(v->message ? v->message :
				    "");
			}
			c->outcome = OUT_STOP;
		} else if (c->outcome == OUT_OK)
			c->outcome = OUT_WARN;
	}
}

/* Replay one case's files; a file for a source the policy lacks is a
 * counted skip, never an error (a corpus may hold more than a policy
 * reads). */
static void
run_case(struct corpus *co, struct ccase *c)
{
	struct replay	*r;
	char		**names, **paths, *name;
	size_t		 n, i, nread = 0;

	names = file_list_dir(c->dir, SIZE_MAX, &n);
	paths = xcalloc(n + 1, sizeof *paths);
	r = replay_new(co->policy, 0);
	for (i = 0; i < n; i++) {
		if (skip_name(names[i]))
			continue;
		xasprintf(&paths[i], "%s/%s", c->dir, names[i]);
		if (is_dir(paths[i]))
			continue;
		name = xstrndup(names[i], strcspn(names[i], "."));
		if (replay_add_source(r, name, paths[i]) == -1) {
			append(&c->skipped, ", ", names[i]);
			c->nskipped++;
		} else
			nread++;
		free(name);
	}
	/* Nothing this policy reads: no outcome to compare (a corpus may
	 * hold cases for sources another configuration has). */
	c->unread = nread == 0;
	if (c->unread)
		;
	else if (replay_run(r) == -1)
		c->error = xstrdup("a file could not be read");
	else
		judge(c, replay_verdicts(r));
	replay_free(r);
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	file_list_free(names, n);
}

static void
load_case(struct corpus *co, const char *dir)
{
	struct ccase	*c;
	cJSON		*j;
	char		*path, *text, *why = NULL, *label, *base;

	co->cases = xreallocarray(co->cases, co->ncases + 1, sizeof *co->cases);
	c = &co->cases[co->ncases++];
	memset(c, 0, sizeof *c);
	c->dir = xstrdup(dir);
	base = strrchr(dir, '/');
	c->outcome = OUT_OK;
	xasprintf(&path, "%s/case.json", dir);
	text = read_small(path, &why);
	free(path);
	j = text ? cJSON_Parse(text) : NULL;
	free(text);
	c->id = str_or(j, "id", base ? base + 1 : dir);
	c->engine = str_or(j, "engine", "any");
	c->klass = str_or(j, "class", "-");
	c->reason = str_or(j, "reason", "");
	label = str_or(j, "label", "");
	if ((c->label = parse_label(label)) == -1)
		xasprintf(&c->error, "case.json: %s", why ? why : j == NULL ?
		    "not valid JSON" : "\"label\" must be \"fatal\", "
		    "\"warning\" or \"ok\"");
	free(label);
	free(why);
	cJSON_Delete(j);
	if (c->error == NULL)
		run_case(co, c);
}

static void
walk(struct corpus *co, const char *dir, int depth)
{
	char	**names, *path;
	size_t	 n, i;

	xasprintf(&path, "%s/case.json", dir);
	if (access(path, F_OK) == 0) {
		free(path);
		load_case(co, dir);
		return;
	}
	free(path);
	if (depth >= MAX_DEPTH || (names = file_list_dir(dir, SIZE_MAX, &n)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (names[i][0] == '.')
			continue;
		xasprintf(&path, "%s/%s", dir, names[i]);
		if (is_dir(path))
			walk(co, path, depth + 1);
		free(path);
	}
	file_list_free(names, n);
}

static struct row *
row_get(struct row **rows, size_t *n, const char *key)
{
	size_t	i;

	for (i = 0; i < *n; i++)
		if (strcmp((*rows)[i].key, key) == 0)
			return &(*rows)[i];
	*rows = xreallocarray(*rows, *n + 1, sizeof **rows);
	memset(&(*rows)[*n], 0, sizeof **rows);
	(*rows)[*n].key = xstrdup(key);
	return &(*rows)[(*n)++];
}

static int
cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->key,
	    ((const struct row *)b)->key);
}

/* Rows per engine or per class, sorted, plus a total row last. */
static struct row *
tabulate(const struct corpus *co, int by_class, size_t *n)
{
	struct row	*rows = NULL, *r, all;
	size_t		 i;

	*n = 0;
	memset(&all, 0, sizeof all);
	for (i = 0; i < co->ncases; i++) {
		const struct ccase *c = &co->cases[i];

		if (c->error != NULL || c->unread)
			continue;
		r = row_get(&rows, n, by_class ? c->klass : c->engine);
		r->m[c->label][c->outcome]++;
		r->n++;
		all.m[c->label][c->outcome]++;
		all.n++;
	}
	if (*n > 0)
		qsort(rows, *n, sizeof *rows, cmp_row);
	rows = xreallocarray(rows, *n + 1, sizeof *rows);
	all.key = xstrdup("all");
	rows[(*n)++] = all;
	return rows;
}

static void
rows_free(struct row *rows, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(rows[i].key);
	free(rows);
}

static int
judged(const struct ccase *c)
{
	return c->error == NULL && !c->unread;
}

static int
false_stop(const struct ccase *c)
{
	return judged(c) && c->outcome == OUT_STOP &&
	    c->label != LABEL_FATAL;
}

static int
missed_fatal(const struct ccase *c)
{
	return judged(c) && c->label == LABEL_FATAL &&
	    c->outcome != OUT_STOP;
}

static void
print_matrix(const struct corpus *co, int by_class)
{
	struct row	*rows;
	size_t		 n, i;
	int		 l;

	rows = tabulate(co, by_class, &n);
	printf("\nby %-28s %5s |", by_class ? "class" : "engine", "cases");
	for (l = 0; l < NLABEL; l++)
		printf(" %8s:%5s%5s%5s |", label_names[l], "stop", "warn", "ok");
	printf("\n");
	for (i = 0; i < n; i++) {
		printf("  %-29s %5u |", rows[i].key, rows[i].n);
		for (l = 0; l < NLABEL; l++)
			printf(" %9s%5u%5u%5u |", "", rows[i].m[l][OUT_STOP],
			    rows[i].m[l][OUT_WARN], rows[i].m[l][OUT_OK]);
		printf("\n");
	}
	rows_free(rows, n);
}

static void
print_case(const struct ccase *c)
{
	printf("  %s (%s, %s): label %s, outcome %s", c->id, c->engine,
	    c->klass, label_names[c->label], outcome_names[c->outcome]);
	if (c->stop_rule != NULL)
		printf(" by %s: %s", c->stop_rule, c->stop_msg);
	else if (c->verdicts != NULL)
		printf(" [%s]", c->verdicts);
	printf("\n      %s\n", c->reason);
}

static void
report_text(const struct corpus *co, const char *dir, unsigned nfs,
    unsigned nmiss, unsigned nerr)
{
	unsigned	fatal = 0, caught = 0, healthy = 0, spared = 0, skipped = 0;
	size_t		i;
	int		any;

	for (i = 0; i < co->ncases; i++) {
		const struct ccase *c = &co->cases[i];

		skipped += c->nskipped > 0;
		if (!judged(c))
			continue;
		if (c->label == LABEL_FATAL) {
			fatal++;
			caught += c->outcome == OUT_STOP;
		} else {
			healthy++;
			spared += c->outcome != OUT_STOP;
		}
	}
	printf("corpus %s: %zu cases; policy: %s\n", dir, co->ncases,
	    policy_describe(co->policy));
	if (skipped > 0)
		printf("  %u case%s had files for sources the policy does not "
		    "have (skipped source, not read)\n", skipped,
		    skipped == 1 ? "" : "s");
	print_matrix(co, 0);
	print_matrix(co, 1);
	for (any = 0, i = 0; i < co->ncases; i++)
		if (missed_fatal(&co->cases[i])) {
			if (!any++)
				printf("\nmissed fatal (labelled fatal, not "
				    "stopped):\n");
			print_case(&co->cases[i]);
		}
	for (any = 0, i = 0; i < co->ncases; i++)
		if (false_stop(&co->cases[i])) {
			if (!any++)
				printf("\nfalse stops (stopped, not labelled "
				    "fatal):\n");
			print_case(&co->cases[i]);
		}
	for (any = 0, i = 0; i < co->ncases; i++) {
		const struct ccase *c = &co->cases[i];

		if (!judged(c) || missed_fatal(c) || false_stop(c) ||
		    (int)c->outcome == c->label)
			continue;
		if (!any++)
			printf("\nother mismatches (warning vs ok; not "
			    "failures):\n");
		print_case(c);
	}
	for (any = 0, i = 0; i < co->ncases; i++)
		if (co->cases[i].error != NULL) {
			if (!any++)
				printf("\ncases that could not be judged:\n");
			printf("  %s: %s\n", co->cases[i].dir,
			    co->cases[i].error);
		}
	for (any = 0, i = 0; i < co->ncases; i++)
		if (co->cases[i].nskipped > 0) {
			if (!any++)
				printf("\nskipped sources (files of sources the "
				    "policy does not have):\n");
			printf("  %s: %s%s\n", co->cases[i].id,
			    co->cases[i].skipped, co->cases[i].unread ?
			    " (nothing else: the case is not judged)" : "");
		}
	printf("\nfatal cases stopped: %u of %u; other cases not stopped: %u "
	    "of %u\n", caught, fatal, spared, healthy);
	printf("result: %s: %u false stop%s, %u missed fatal%s",
	    (nfs + nmiss + nerr) > 0 ? "FAILED" : "ok", nfs, nfs == 1 ? "" : "s",
	    nmiss, nmiss == 1 ? "" : "s");
	if (nerr > 0)
		printf(", %u case%s not judged", nerr, nerr == 1 ? "" : "s");
	printf("\n");
}

static cJSON *
json_matrix(const struct corpus *co, int by_class)
{
	struct row	*rows;
	cJSON		*o = cJSON_CreateObject(), *r, *l;
	size_t		 n, i;
	int		 k, m;

	rows = tabulate(co, by_class, &n);
	for (i = 0; i < n; i++) {
		r = cJSON_AddObjectToObject(o, rows[i].key);
		cJSON_AddNumberToObject(r, "cases", rows[i].n);
		for (k = 0; k < NLABEL; k++) {
			l = cJSON_AddObjectToObject(r, label_names[k]);
			for (m = 0; m < NOUT; m++)
				cJSON_AddNumberToObject(l, outcome_names[m],
				    rows[i].m[k][m]);
		}
	}
	rows_free(rows, n);
	return o;
}

static void
report_json(const struct corpus *co, const char *dir, unsigned nfs,
    unsigned nmiss, unsigned nerr)
{
	cJSON	*root = cJSON_CreateObject(), *a, *o;
	char	*s;
	size_t	 i;

	cJSON_AddStringToObject(root, "corpus", dir);
	cJSON_AddStringToObject(root, "policy", policy_describe(co->policy));
	a = cJSON_AddArrayToObject(root, "cases");
	for (i = 0; i < co->ncases; i++) {
		const struct ccase *c = &co->cases[i];

		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", c->id);
		cJSON_AddStringToObject(o, "dir", c->dir);
		cJSON_AddStringToObject(o, "engine", c->engine);
		cJSON_AddStringToObject(o, "class", c->klass);
		if (c->error != NULL)
			cJSON_AddStringToObject(o, "error", c->error);
		else if (c->unread)
			cJSON_AddStringToObject(o, "outcome", "not-judged");
		else {
			cJSON_AddStringToObject(o, "label",
			    label_names[c->label]);
			cJSON_AddStringToObject(o, "outcome",
			    outcome_names[c->outcome]);
			cJSON_AddBoolToObject(o, "false_stop", false_stop(c));
			cJSON_AddBoolToObject(o, "missed_fatal",
			    missed_fatal(c));
		}
		cJSON_AddStringToObject(o, "verdicts", c->verdicts ?
		    c->verdicts : "");
		if (c->stop_rule != NULL) {
			cJSON_AddStringToObject(o, "stopped_by", c->stop_rule);
			cJSON_AddStringToObject(o, "message", c->stop_msg);
		}
		cJSON_AddStringToObject(o, "skipped_sources", c->skipped ?
		    c->skipped : "");
		cJSON_AddItemToArray(a, o);
	}
	cJSON_AddItemToObject(root, "by_engine", json_matrix(co, 0));
	cJSON_AddItemToObject(root, "by_class", json_matrix(co, 1));
	cJSON_AddNumberToObject(root, "false_stops", nfs);
	cJSON_AddNumberToObject(root, "missed_fatal", nmiss);
	cJSON_AddNumberToObject(root, "not_judged", nerr);
	cJSON_AddBoolToObject(root, "ok", nfs + nmiss + nerr == 0);
	s = cJSON_PrintUnformatted(root);
	printf("%s\n", s);
	free(s);
	cJSON_Delete(root);
}

static void
corpus_free(struct corpus *co)
{
	size_t	i;

	for (i = 0; i < co->ncases; i++) {
		struct ccase *c = &co->cases[i];

		free(c->dir);
		free(c->id);
		free(c->engine);
		free(c->klass);
		free(c->reason);
		free(c->verdicts);
		free(c->stop_rule);
		free(c->stop_msg);
		free(c->skipped);
		free(c->error);
	}
	free(co->cases);
}

int
corpus_evaluate(const struct policy *p, const char *dir, int json)
{
	struct corpus	co;
	unsigned	nfs = 0, nmiss = 0, nerr = 0, nunread = 0;
	size_t		i;

	if (!is_dir(dir)) {
		fprintf(stderr, "breaker check: --corpus %s: not a directory\n",
		    dir);
		return 2;
	}
	memset(&co, 0, sizeof co);
	co.policy = p;
	walk(&co, dir, 0);
	if (co.ncases == 0) {
		fprintf(stderr, "breaker check: --corpus %s: no case (a "
		    "directory with a case.json) found\n", dir);
		corpus_free(&co);
		return 2;
	}
	for (i = 0; i < co.ncases; i++) {
		nfs += false_stop(&co.cases[i]);
		nmiss += missed_fatal(&co.cases[i]);
		nerr += co.cases[i].error != NULL;
		nunread += co.cases[i].unread;
	}
	if (nunread == co.ncases) {
		fprintf(stderr, "breaker check: --corpus %s: no case holds a "
		    "file of a source the policy has (%s)\n", dir,
		    policy_describe(p));
		corpus_free(&co);
		return 2;
	}
	if (json)
		report_json(&co, dir, nfs, nmiss, nerr);
	else
		report_text(&co, dir, nfs, nmiss, nerr);
	corpus_free(&co);
	return nfs + nmiss + nerr > 0 ? 1 : 0;
}
