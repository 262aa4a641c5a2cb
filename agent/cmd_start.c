/*
 * `breaker start`, run by the job-started hook: load the policy, resolve
 * the job's state directory and start the daemon (daemon.c), then say on
 * the hook's stdout what it watches, or why it does not. Fail-open: it
 * exits 0 whatever happens, since a failed started hook fails the job.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotate.h"
#include "cmd.h"
#include "cmdopt.h"
#include "daemon.h"
#include "job.h"
#include "log.h"
#include "policy.h"
#include "usage.h"
#include "util.h"
#include "xalloc.h"

#define START_RUNNING_TIMEOUT	0.5	/* s: does a daemon already answer? */

/* Print the daemon's warnings; return its final line ("ok…"/"error…"). */
static const char *
start_said(char *text)
{
	const char	*last = "error: no answer from the daemon";
	char		*line, *save;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "warn: ", 6) == 0)
			annotate_warning(stdout, "breaker cannot follow a log",
			    line + 6);
		else
			last = line;
	}
	return last;
}

static void
start_warn(const char *what, const char *detail)
{
	char	*msg;
	int	 len;

	/*
	 * The detail may be an error list ending in a line break: the closing
	 * sentence goes on a line of its own, never after a stray ". ".
	 */
	len = detail ? (int)strlen(detail) : 0;
	while (len > 0 && (detail[len - 1] == '\n' || detail[len - 1] == ' '))
		len--;
	xasprintf(&msg, "%s%s%.*s\nbreaker is not watching this job; the job "
	    "runs as usual.", what, detail ? ": " : "", len, detail ? detail : "");
	annotate_warning(stdout, "breaker is not watching this job", msg);
	free(msg);
}

/* The daemon runs, but unconfined: said where the job's people look. */
static void
start_sandbox_warn(const char *why)
{
	char	*msg;

	xasprintf(&msg, "The breaker daemon could not enter its sandbox (%s) "
	    "and runs unconfined. Set \"sandbox\": \"require\" in the "
	    "configuration to refuse that.", why);
	annotate_warning(stdout, "the daemon runs without its sandbox", msg);
	free(msg);
}

/* A daemon of this very job still answers: do not start a second one. */
static int
start_already_running(const struct job *job)
{
	char	*reply = NULL;
	int	 rc;

	rc = daemon_status(job->dir, START_RUNNING_TIMEOUT, &reply);
	free(reply);
	return rc == 0;
}

/* The daemon's last word at readiness, said on the hook's stdout. */
static void
start_report(const struct policy *policy, const struct job *job, char *said)
{
	const char	*last = start_said(said), *unconfined;

	if (strncmp(last, "ok", 2) != 0) {
		start_warn("the daemon did not start", last +
		    (strncmp(last, "error: ", 7) == 0 ? 7 : 0));
		return;
	}
	unconfined = strstr(last, " unconfined: ");
	printf("breaker: watching %zu sources with %s (%zu rules), state in "
	    "%s%s\n", policy_nsources(policy), policy_describe(policy),
	    policy_nrules(policy), job->dir, unconfined != NULL ? "; the "
	    "sandbox did not load" : "");
	if (unconfined != NULL)
		start_sandbox_warn(unconfined + 13);
}

int
cmd_start(int argc, char **argv)
{
	static const struct option longopts[] = {
		CMDOPT_CONFIG_LONGOPT,
		CMDOPT_STATE_LONGOPT,
		{ "foreground",	no_argument,	   NULL, 'f' },
		CMDOPT_END_LONGOPTS
	};
	struct cmdopt		 po;
	struct policy		*policy;
	struct job		*job;
	const char		*why;
	char			*errors = NULL, *said = NULL;
	double			 t0 = mono_now();
	int			 ch, fg = 0;

	cmdopt_init(&po);
	while ((ch = getopt_long(argc, argv, CMDOPT_CONFIG_LETTERS
	    CMDOPT_STATE_LETTERS "fh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			fg = 1;
			break;
		default:
			if (!cmdopt_option(&po, ch, optarg))
				return usage_error("start");
		}
	}
	policy = cmdopt_policy(&po, &errors);
	cmdopt_clear(&po);
	if (policy == NULL) {
		start_warn("configuration problem", errors);
		free(errors);
		return 0;
	}
	free(errors);
	log_debug("policy loaded in %.1f ms", (mono_now() - t0) * 1000);
	job = job_from_env();
	job->started = job_now();
	if (job_resolve_dir(job, cmdopt_state_dir(&po),
	    policy_state_dir(policy), &why) == -1 || job_make_dir(job) == -1)
		start_warn("cannot use the state directory", why ? why :
		    job_problem(job));
	else if (start_already_running(job))
		printf("breaker: already watching this job (state in %s)\n",
		    job->dir);
	else if (daemon_start(policy, job, fg, &said) == -1)
		start_warn("cannot start the daemon", strerror(errno));
	else if (said != NULL) {
		log_debug("daemon ready %.1f ms after start",
		    (mono_now() - t0) * 1000);
		start_report(policy, job, said);
	}
	fflush(stdout);
	free(said);
	policy_free(policy);
	job_free(job);
	log_debug("start returns after %.1f ms", (mono_now() - t0) * 1000);
	return 0;
}
