/*
 * `breaker replay`: the command line of the offline driver. Files named
 * with --source go through replay.c; folders of downloaded runs through
 * history.c, which runs each through replay.c. Kept apart from both so the
 * driver depends on neither the command line nor the history reader.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmdopt.h"
#include "history.h"
#include "policy.h"
#include "replay.h"
#include "usage.h"
#include "util.h"
#include "xalloc.h"

static void
usage(void)
{
	usage_error("replay");
}

static int
add_source(struct replay *r, const struct policy *p, const char *arg,
    int *stdin_taken)
{
	const char	*eq = strchr(arg, '=');
	char		*name;
	size_t		 i;
	int		 rc;

	if (eq == NULL || eq == arg || eq[1] == '\0') {
		fprintf(stderr, "breaker replay: --source wants NAME=FILE, "
		    "got \"%s\"\n", arg);
		return -1;
	}
	if (strcmp(eq + 1, REPLAY_STDIN) == 0 && (*stdin_taken)++) {
		fprintf(stderr, "breaker replay: only one source can read "
		    "standard input (\"-\")\n");
		return -1;
	}
	name = xstrndup(arg, eq - arg);
	if ((rc = replay_add_source(r, name, eq + 1)) == -1) {
		fprintf(stderr, "breaker replay: unknown source \"%s\"; the "
		    "policy's sources:", name);
		for (i = 0; i < policy_nsources(p); i++)
			fprintf(stderr, " %s", policy_source(p, i)->name);
		fprintf(stderr, "\n");
	}
	free(name);
	return rc;
}

int
cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "source",	required_argument,	NULL, 's' },
		CMDOPT_POLICY_LONGOPTS,
		{ "examples",	required_argument,	NULL, 'e' },
		{ "json",	no_argument,		NULL, 'j' },
		CMDOPT_END_LONGOPTS
	};
	struct cmdopt		 po;
	struct history_options	 ho;
	struct policy		*policy = NULL;
	struct replay		*r = NULL;
	const char		**srcargs = NULL;
	char			*errors = NULL;
	const char		*errstr;
	size_t			 nsrcargs = 0, i, max_examples = 3;
	int			 ch, json = 0, rc = 0, stdin_taken = 0;

	cmdopt_init(&po);
	while ((ch = getopt_long(argc, argv, CMDOPT_POLICY_LETTERS "s:e:jh",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			srcargs = xreallocarray(srcargs, nsrcargs + 1,
			    sizeof *srcargs);
			srcargs[nsrcargs++] = optarg;
			break;
		case 'e':
			max_examples = (size_t)parse_num(optarg, 0, 1000,
			    &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "breaker replay: --examples "
				    "%s: %s (0 to 1000)\n", optarg, errstr);
				usage();
				rc = 2;
				goto out;
			}
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage_help("replay");
			goto out;
		default:
			if (cmdopt_option(&po, ch, optarg))
				break;
			usage();
			rc = 2;
			goto out;
		}
	}
	if ((optind != argc) == (nsrcargs != 0)) {	/* one or the other */
		usage();
		rc = 2;
		goto out;
	}
	if ((policy = cmdopt_policy(&po, &errors)) == NULL) {
		fprintf(stderr, "breaker replay: the policy is not valid:\n%s",
		    errors ? errors : "");
		rc = 2;
		goto out;
	}
	if (optind != argc) {
		ho.json = json;
		ho.jobs = 1;
		rc = history_replay(policy, argv + optind, argc - optind, &ho);
		goto out;
	}
	r = replay_new(policy, max_examples);
	for (i = 0; i < nsrcargs; i++)
		if (add_source(r, policy, srcargs[i], &stdin_taken) == -1) {
			rc = 2;
			goto out;
		}
	if (replay_run(r) == -1) {
		rc = 2;
		goto out;
	}
	rc = replay_report(r, json) ? 1 : 0;
out:
	free(errors);
	cmdopt_clear(&po);
	free(srcargs);
	replay_free(r);
	policy_free(policy);
	return rc;
}
