/*
 * breaker: stops AI-agent jobs on self-hosted GitHub Actions runners when
 * their engine has failed in a way that can never recover.
 *
 * This file only parses the global options and dispatches to a subcommand;
 * each subcommand lives in the module that owns its concern.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "cmd.h"
#include "log.h"

struct subcommand {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*usage;
	const char	*help;
};

static const struct subcommand subcommands[] = {
	{ "start", cmd_start, "start [--config FILE]",
	  "start the per-job daemon (the job-started hook runs this)" },
	{ "finish", cmd_finish, "finish [--timeout SEC]",
	  "stop the daemon, print annotations, write the job summary" },
	{ "status", cmd_status, "status [--json]",
	  "show what the running daemon watches and has found" },
	{ "watch", cmd_watch, "watch [--config FILE] [--policy FILE]...",
	  "run the pipeline in the foreground on the configured sources" },
	{ "replay", cmd_replay,
	  "replay --source NAME=FILE... [--policy FILE]... [--json]",
	  "run the pipeline offline over whole files and report" },
	{ "check", cmd_check, "check [--sandbox] [--policy FILE]... [FILE...] | check --corpus DIR [--json]",
	  "validate configuration and rule files" },
	{ "tail", cmd_tail, "tail [--from-start] FILE...",
	  "print lines exactly as the tailer delivers them" },
	{ "demo", cmd_demo, "demo [--fast]",
	  "a simulated job hit by the gh-aw #26929 failure, cut short" },
	{ "doctor", cmd_doctor, "doctor [--json] [--runner DIR] [--user NAME]",
	  "check the runner's setup for what stops breaker silently" },
};

static void
usage(FILE *out)
{
	size_t	i;

	fprintf(out, "usage: breaker [-v] [--log-json] COMMAND [ARGS]\n\n");
	fprintf(out, "Stops AI-agent jobs whose engine failed for good, and "
	    "says why.\n\ncommands:\n");
	for (i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		fprintf(out, "  %-60s\n      %s\n", subcommands[i].usage,
		    subcommands[i].help);
	fprintf(out, "\nRun 'breaker COMMAND --help' for a command's "
	    "options. See breaker(1).\n");
}

static const struct subcommand *
find_subcommand(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(subcommands[i].name, name) == 0)
			return &subcommands[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, 'V' },
		{ "verbose",	no_argument,	NULL, 'v' },
		{ "log-json",	no_argument,	NULL, 'j' },
		{ NULL,		0,		NULL, 0 }
	};
	const struct subcommand	*sc;
	int			 ch, level = LOG_LEVEL_INFO, json = 0;

	caps_raise_permitted();
	log_init("breaker", level);
	/* '+': stop at the first non-option, the subcommand's name. */
	while ((ch = getopt_long(argc, argv, "+hVvj", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("breaker %s\n", BREAKER_VERSION);
			return 0;
		case 'v':
			level = LOG_LEVEL_DEBUG;
			break;
		case 'j':
			json = 1;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return 2;
	}
	if ((sc = find_subcommand(argv[0])) == NULL) {
		fprintf(stderr, "breaker: unknown command '%s'\n", argv[0]);
		usage(stderr);
		return 2;
	}
	log_set_level(level);
	log_set_json(json);
	optind = 0;	/* reset getopt for the subcommand's own parsing */
	return sc->fn(argc, argv);
}
