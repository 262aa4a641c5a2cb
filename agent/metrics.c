/*
 * The node_exporter textfile: counters accumulated across a runner's jobs.
 * Each series is kept as its exposition key (`name{label="v",…}`) and a
 * value; the previous file is the state, so nothing else persists.
 */
#include <sys/file.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "file.h"
#include "job.h"
#include "log.h"
#include "metrics.h"
#include "util.h"
#include "verdict.h"
#include "xalloc.h"

#define FILE_MAX	(1024 * 1024)

static const struct family {
	const char	*name;
	const char	*type;
	const char	*help;
} families[] = {
	{ "breaker_jobs_total", "counter", "Jobs breaker watched to the end." },
	{ "breaker_verdicts_total", "counter",
	    "Verdicts, by rule, severity and what happened to the engine." },
	{ "breaker_stops_total", "counter", "Jobs whose engine breaker "
	    "stopped or would have stopped, by outcome." },
	{ "breaker_seconds_saved_total", "counter", "Seconds of job time "
	    "saved: observed (observe mode) or estimated (enforce mode)." },
	{ "breaker_sources_unreadable_total", "counter",
	    "Sources a job's daemon could not read." },
	{ "breaker_jobs_by_sandbox_total", "counter",
	    "Jobs by the daemon's sandbox state." },
	{ "breaker_daemon_ended_early_total", "counter",
	    "Jobs whose daemon was gone before finish." },
	{ "breaker_last_job_timestamp_seconds", "gauge",
	    "When the last job finished." },
};
#define NFAMILIES	(nitems(families))

struct series {
	char	*key;
	double	 value;
};

struct set {
	struct series	*s;
	size_t		 n;
	int		 full;
};

static const struct family *
family_of(const char *key)
{
	size_t	i, n = strcspn(key, "{ ");

	for (i = 0; i < NFAMILIES; i++)
		if (strlen(families[i].name) == n &&
		    strncmp(families[i].name, key, n) == 0)
			return &families[i];
	return NULL;
}

static struct series *
find(struct set *set, const char *key)
{
	size_t	i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->s[i].key, key) == 0)
			return &set->s[i];
	if (set->n >= METRICS_MAX_SERIES) {
		set->full = 1;
		return NULL;
	}
	set->s = xreallocarray(set->s, set->n + 1, sizeof *set->s);
	set->s[set->n].key = xstrdup(key);
	set->s[set->n].value = 0;
	return &set->s[set->n++];
}

/* Label values: backslash, double quote and newline escaped. */
static void
label(char **key, const char *name, const char *value)
{
	char	*old = *key, *esc, *p;
	size_t	 n = strlen(old);

	esc = p = xmalloc(2 * strlen(value ? value : "") + 1);
	for (; value != NULL && *value != '\0'; value++) {
		if (*value == '\\' || *value == '"')
			*p++ = '\\';
		if (*value == '\n') {
			*p++ = '\\';
			*p++ = 'n';
			continue;
		}
		*p++ = *value;
	}
	*p = '\0';
	/* `name{a="x"}` + `,b="y"` -> `name{a="x",b="y"}` */
	old[n - 1] = '\0';
	xasprintf(key, "%s%s%s=\"%s\"}", old, old[n - 2] == '{' ? "" : ",",
	    name, esc);
	free(old);
	free(esc);
}

static void
add(struct set *set, const char *key, double v, int gauge)
{
	struct series	*s;

	if ((s = find(set, key)) != NULL)
		s->value = gauge ? v : s->value + v;
}

/* The previous file: our own output, one `key value` per line. */
static void
load(struct set *set, const char *path)
{
	char	*buf, *line, *next, *sp, *end;
	double	 v;

	/* Never through a link planted in the textfile directory. */
	if ((buf = file_read_small(AT_FDCWD, path, FILE_MAX, 0, NULL,
	    NULL)) == NULL) {
		if (errno != ENOENT)
			log_warnx("metrics: %s: %s; the counters start again",
			    path, file_why(errno));
		return;
	}
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '#' || (sp = strrchr(line, ' ')) == NULL)
			continue;
		*sp = '\0';
		v = strtod(sp + 1, &end);
		if (end == sp + 1 || *end != '\0' || family_of(line) == NULL)
			continue;	/* not ours: dropped */
		add(set, line, v, 1);
	}
	free(buf);
}

static char *
series(const char *name, const char *runner)
{
	char	*key;

	xasprintf(&key, "%s{}", name);
	label(&key, "runner", runner);
	return key;
}

static void
count_job(struct set *set, const struct events_job *ej, const char *runner)
{
	const struct verdict	*v, *stop = events_first_stop(ej);
	const char		*basis;
	double			 saved = events_saved(ej, &basis);
	char			*k;

	k = series("breaker_jobs_total", runner);
	add(set, k, 1, 0);
	free(k);
	TAILQ_FOREACH(v, ej->verdicts, entry) {
		k = series("breaker_verdicts_total", runner);
		label(&k, "rule", v->rule_id);
		label(&k, "severity", severity_name(v->severity));
		label(&k, "outcome", events_outcome(v));
		add(set, k, 1, 0);
		free(k);
	}
	if (stop != NULL) {
		k = series("breaker_stops_total", runner);
		label(&k, "outcome", events_outcome(stop));
		add(set, k, 1, 0);
		free(k);
	}
	if (basis != NULL) {
		k = series("breaker_seconds_saved_total", runner);
		label(&k, "basis", basis);
		add(set, k, saved, 0);
		free(k);
	}
	k = series("breaker_sources_unreadable_total", runner);
	add(set, k, ej->health.sources_unreadable, 0);
	free(k);
	k = series("breaker_jobs_by_sandbox_total", runner);
	label(&k, "sandbox", ej->health.sandbox[0] ? ej->health.sandbox :
	    "unknown");
	add(set, k, 1, 0);
	free(k);
	k = series("breaker_daemon_ended_early_total", runner);
	add(set, k, ej->daemon_ended_early ? 1 : 0, 0);
	free(k);
	k = series("breaker_last_job_timestamp_seconds", runner);
	add(set, k, ej->finished, 1);
	free(k);
}

static int
cmp_series(const void *a, const void *b)
{
	return strcmp(((const struct series *)a)->key,
	    ((const struct series *)b)->key);
}

static int
store(struct set *set, const char *path, const char *tmp)
{
	const struct family	*f, *last = NULL;
	FILE			*fp;
	size_t			 i;
	int			 fd;

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0644)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		log_warn("metrics: %s", tmp);
		if (fd != -1)
			close(fd);
		return -1;
	}
	qsort(set->s, set->n, sizeof *set->s, cmp_series);
	for (i = 0; i < set->n; i++) {
		if ((f = family_of(set->s[i].key)) != last)
			fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", f->name,
			    f->help, f->name, f->type);
		last = f;
		fprintf(fp, "%s %.17g\n", set->s[i].key, set->s[i].value);
	}
	if (fflush(fp) != 0 || fsync(fileno(fp)) == -1) {
		log_warn("metrics: %s", tmp);
		fclose(fp);
		unlink(tmp);
		return -1;
	}
	fclose(fp);
	if (rename(tmp, path) == -1) {
		log_warn("metrics: rename to %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* File-name-safe runner name: the file is per runner. */
static char *
safe_name(const char *s)
{
	char	*r = xstrdup(s != NULL && *s != '\0' ? s : "unknown"), *p;

	for (p = r; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			*p = '_';
	return r;
}

int
metrics_update(const char *dir, const struct events_job *ej)
{
	struct set	 set;
	const char	*runner = ej->job->runner_name;
	char		*name, *path, *tmp, *lock;
	size_t		 i;
	int		 lfd, rc;

	memset(&set, 0, sizeof set);
	name = safe_name(runner);
	/* The temporary and lock names do not end in .prom: the collector
	 * reads only *.prom files. */
	xasprintf(&path, "%s/breaker-%s.prom", dir, name);
	xasprintf(&tmp, "%s/.breaker-%s.prom.%d", dir, name, (int)getpid());
	xasprintf(&lock, "%s/.breaker-%s.lock", dir, name);
	if ((lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1 || flock(lfd, LOCK_EX) == -1)
		log_warn("metrics: %s (going on unlocked)", lock);
	load(&set, path);
	count_job(&set, ej, runner != NULL ? runner : "unknown");
	if (set.full)
		log_warnx("metrics: %s holds %d series; new ones dropped", path,
		    METRICS_MAX_SERIES);
	rc = store(&set, path, tmp);
	if (lfd != -1)
		close(lfd);
	for (i = 0; i < set.n; i++)
		free(set.s[i].key);
	free(set.s);
	free(name);
	free(path);
	free(tmp);
	free(lock);
	return rc;
}
