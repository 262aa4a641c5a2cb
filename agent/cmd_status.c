/*
 * `breaker status`: what the running daemon watches and has found, asked
 * over its control socket (daemon.c): one job's daemon inside a job, every
 * daemon under the state root outside one (an administrator's view).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "cmdopt.h"
#include "control.h"
#include "daemon.h"
#include "job.h"
#include "usage.h"
#include "xalloc.h"

#define STATUS_TIMEOUT		2.0	/* s a daemon has to answer */
#define STATUS_MAX_ENTRIES	1024	/* of the state root, at most */

static void
status_print_human(const char *json)
{
	cJSON	*o = cJSON_Parse(json), *a, *it, *p;

	if (o == NULL) {
		fputs(json, stdout);
		return;
	}
#define S(obj, k) (cJSON_GetStringValue(cJSON_GetObjectItem(obj, k)) ? \
	cJSON_GetStringValue(cJSON_GetObjectItem(obj, k)) : "")
#define N(obj, k) cJSON_GetNumberValue(cJSON_GetObjectItem(obj, k))
	printf("daemon pid %.0f, up %.1f s, mode %s, stop %s\npolicy: %s "
	    "(%.0f rules)\nstate: %s\n", N(o, "pid"), N(o, "uptime"),
	    S(o, "mode"), S(o, "stop"), S(o, "policy"), N(o, "rules"),
	    S(o, "state_dir"));
	if (cJSON_GetObjectItem(o, "sandbox") != NULL)
		printf("sandbox: %s%s\n", S(o, "sandbox"),
		    strncmp(S(o, "sandbox"), "not loaded", 10) == 0 ?
		    "; the daemon runs unconfined" : "");
	a = cJSON_GetObjectItem(o, "sources");
	cJSON_ArrayForEach(it, a) {
		printf("source %-10s %s [%s] %s offset %.0f, %.0f lines, "
		    "%.0f refused\n", S(it, "name"), S(it, "path"),
		    S(it, "format"), cJSON_IsTrue(cJSON_GetObjectItem(it,
		    "open")) ? "open" : "not open", N(it, "offset"),
		    N(it, "lines"), N(it, "refused"));
		cJSON_ArrayForEach(p, cJSON_GetObjectItem(it, "paths"))
			if (cJSON_IsString(p) && strcmp(p->valuestring,
			    S(it, "path")) != 0)
				printf("       %-10s also followed: %s\n", "",
				    p->valuestring);
	}
	a = cJSON_GetObjectItem(o, "rule_hits");
	cJSON_ArrayForEach(it, a)
		printf("rule %s: %.0f hits, %.0f verdicts\n", S(it, "id"),
		    N(it, "hits"), N(it, "verdicts"));
	a = cJSON_GetObjectItem(o, "verdicts");
	cJSON_ArrayForEach(it, a)
		printf("verdict %.0f: %s [%s] %s %s\n", N(it, "seq"),
		    S(it, "rule"), S(it, "severity"), S(it, "action"),
		    S(it, "result"));
#undef S
#undef N
	cJSON_Delete(o);
}

/* One daemon's status, printed; 0 when it answered. */
static int
status_one(const char *dir, int json, int heading)
{
	char	*reply = NULL;
	int	 rc = -1;

	if (daemon_status(dir, STATUS_TIMEOUT, &reply) == 0) {
		if (heading && !json)
			printf("== %s\n", dir);
		if (json)
			fputs(reply, stdout);
		else
			status_print_human(reply);
		rc = 0;
	} else if (!heading)
		fprintf(stderr, "breaker status: no daemon answers at %s/%s: "
		    "%s\n", dir, CONTROL_SOCKET, strerror(errno));
	free(reply);
	return rc;
}

/* Outside a job: every daemon under the state root (an admin's view). */
static int
status_all(const char *root, int json)
{
	struct dirent	*de;
	DIR		*d;
	char		*dir;
	int		 n = 0, seen = 0;

	if ((d = opendir(root)) == NULL) {
		fprintf(stderr, "breaker status: %s: %s\n", root,
		    strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) != NULL && seen++ < STATUS_MAX_ENTRIES) {
		if (de->d_name[0] == '.')
			continue;
		xasprintf(&dir, "%s/%s", root, de->d_name);
		if (status_one(dir, json, 1) == 0)
			n++;
		free(dir);
	}
	closedir(d);
	if (n == 0)
		fprintf(stderr, "breaker status: no daemon running under %s\n",
		    root);
	return n > 0 ? 0 : 1;
}

int
cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json",	no_argument,	   NULL, 'j' },
		CMDOPT_STATE_LONGOPT,
		{ "job-dir",	required_argument, NULL, 'd' },
		CMDOPT_END_LONGOPTS
	};
	struct cmdopt	 po;
	struct job	*job = job_from_env();
	const char	*why, *jobdir = NULL;
	int		 ch, json = 0, rc = 1;

	cmdopt_init(&po);
	while ((ch = getopt_long(argc, argv, CMDOPT_STATE_LETTERS "jd:h",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'd':
			jobdir = optarg;
			break;
		default:
			if (cmdopt_option(&po, ch, optarg))
				break;
			job_free(job);
			return usage_error("status");
		}
	}
	/* --dir names the job directory itself: no state root to resolve */
	if (jobdir != NULL)
		rc = status_one(jobdir, json, 0) == 0 ? 0 : 1;
	else if (job_resolve_dir(job, cmdopt_state_dir(&po), NULL,
	    &why) == -1) {
		fprintf(stderr, "breaker status: %s\n", why);
		rc = 1;
	} else if (!job_in_runner(job))
		rc = status_all(job->root, json);
	else
		rc = status_one(job->dir, json, 0) == 0 ? 0 : 1;
	job_free(job);
	return rc;
}
