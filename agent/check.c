/*
 * `breaker check`: validate configuration and rule files the way the daemon
 * will load them, print every problem with its file, line, column and key
 * path, then run each rule's samples through the one sample runner
 * (samples.c). This is how a rule author tests a rule: the samples say on
 * which lines it must fire and on which it must stay silent.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "cmdopt.h"
#include "corpus.h"
#include "file.h"
#include "github.h"
#include "log.h"
#include "policy.h"
#include "samples.h"
#include "sandbox.h"
#include "usage.h"
#include "util.h"

/* A configuration names sources, modes...; a rule file has rule objects. */
static int
is_config(const char *path)
{
	static const char *const keys[] = { "mode", "state_dir", "defaults",
	    "sources", "actions", "stop", "tail", "github", "sandbox" };
	cJSON	*j, *rules;
	char	*buf;
	size_t	 i;
	int	 yes = 0;

	/* An admin-named file: a link is followed; a FIFO never hangs us. */
	if ((buf = file_read_small(AT_FDCWD, path, 4 * 1024 * 1024,
	    FILE_FOLLOW, NULL, NULL)) == NULL)
		return 0;
	j = cJSON_Parse(buf);
	free(buf);
	if (j == NULL)
		return 0;
	for (i = 0; i < nitems(keys); i++)
		if (cJSON_GetObjectItemCaseSensitive(j, keys[i]) != NULL)
			yes = 1;
	rules = cJSON_GetObjectItemCaseSensitive(j, "rules");
	if (cJSON_IsArray(rules) && cJSON_GetArraySize(rules) > 0 &&
	    cJSON_IsString(cJSON_GetArrayItem(rules, 0)))
		yes = 1;
	cJSON_Delete(j);
	return yes;
}

/*
 * A build without the GitHub client cannot do what a configuration that
 * allows GitHub actions asks: an error here, where the admin is looking
 * (at job start it is only a warning, and the job is watched without them).
 */
static int
check_github(const struct policy *p, const char *config, FILE *out)
{
	if (BREAKER_GITHUB || !policy_github_actions(p))
		return 0;
	fprintf(out, "%s: actions: \"cancel-run\" and \"check-run\" need "
	    "the GitHub client, but %s; remove them, or install a breaker "
	    "built with it\n", config ? config : "configuration",
	    GITHUB_NOT_BUILT);
	return 1;
}

static void
usage(void)
{
	usage_error("check");
}

int
cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sandbox",	 no_argument,		NULL, 's' },
		CMDOPT_POLICY_LONGOPTS,
		{ "corpus",	 required_argument,	NULL, 'C' },
		{ "json",	 no_argument,		NULL, 'j' },
		CMDOPT_END_LONGOPTS
	};
	struct cmdopt		 po;
	struct policy		*p;
	char			*errors = NULL;
	const char		*corpus = NULL;
	size_t			 i;
	size_t			 nsamples = 0;
	int			 ch, sandbox = 0, bad = 0, json = 0, isconf;
	int			 unbuilt;
	int			 rc;
	FILE			*out;

	cmdopt_init(&po);
	while ((ch = getopt_long(argc, argv, CMDOPT_POLICY_LETTERS "sC:jh",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sandbox = 1;
			break;
		case 'C':
			corpus = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			cmdopt_clear(&po);
			return usage_help("check");
		default:
			if (cmdopt_option(&po, ch, optarg))
				break;
			usage();
			cmdopt_clear(&po);
			return 2;
		}
	}
	if (json && corpus == NULL) {
		fprintf(stderr, "breaker check: --json goes with --corpus\n");
		cmdopt_clear(&po);
		return 2;
	}
	/* A FILE is a --config or a --policy, by what it holds. */
	for (i = optind; i < (size_t)argc; i++) {
		isconf = is_config(argv[i]);
		if (isconf && po.config != NULL) {
			fprintf(stderr, "breaker check: %s and %s are both "
			    "configurations; check one at a time\n",
			    po.config, argv[i]);
			cmdopt_clear(&po);
			return 2;
		}
		cmdopt_option(&po, isconf ? 'c' : 'p', argv[i]);
	}
	p = cmdopt_policy(&po, &errors);
	cmdopt_clear(&po);
	if (p == NULL) {
		printf("%s", errors ? errors : "the policy is not valid\n");
		free(errors);
		return 2;
	}
	/* with --json, stdout holds the corpus report alone */
	out = json ? stderr : stdout;
	unbuilt = check_github(p, cmdopt_config(&po), out);
	for (i = 0; i < policy_nrules(p); i++)
		if (samples_check(p, i, out, &nsamples) > 0)
			bad = 1;
	fprintf(out, "%s: %s; %zu rules, %zu samples %s\n",
	    bad || unbuilt ? "FAILED" : "ok", policy_describe(p),
	    policy_nrules(p), nsamples, bad ? "checked, some misbehave" :
	    "behave as written");
	if (sandbox)
		sandbox_print(out);
	rc = bad || unbuilt ? 2 : 0;
	if (corpus != NULL) {
		if (!json)
			printf("\n");
		fflush(out);
		if ((i = corpus_evaluate(p, corpus, json)) > (size_t)rc)
			rc = (int)i;
	}
	policy_free(p);
	return rc;
}
