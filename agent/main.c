/*
 * breaker: stops AI-agent jobs on self-hosted GitHub Actions runners when
 * their engine has failed in a way that can never recover.
 *
 * This file only parses the global options and dispatches to a subcommand:
 * cmd_*.c for the commands that drive other modules (start, finish,
 * status, replay, tail), the owning module for the rest.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "caps.h"
#include "cmd.h"
#include "log.h"
#include "usage.h"
#include "util.h"
#include "xalloc.h"

struct subcommand {
	const char	*name;
	int		(*fn)(int, char **);
};

/* The order of `breaker --help`; the words are usage.c's. */
static const struct subcommand subcommands[] = {
	{ "start", cmd_start },
	{ "finish", cmd_finish },
	{ "status", cmd_status },
	{ "watch", cmd_watch },
	{ "replay", cmd_replay },
	{ "check", cmd_check },
	{ "tail", cmd_tail },
	{ "demo", cmd_demo },
	{ "doctor", cmd_doctor },
};

static const struct subcommand *
find_subcommand(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(subcommands); i++)
		if (strcmp(subcommands[i].name, name) == 0)
			return &subcommands[i];
	return NULL;
}

/* `breaker CMD ... --help` or `-h` before any "--": the command's help. */
static int
wants_help(int argc, char **argv)
{
	int	i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

/*
 * cJSON allocates through xmalloc, so running out of memory inside a JSON
 * call ends the process with a logged fatal like every other allocation,
 * instead of a NULL that each caller would handle its own way (the review
 * found four). cJSON_Parse still returns NULL for text that is not JSON;
 * with these hooks a NULL from cJSON_Create* or cJSON_Print can only mean
 * a bug, and the callers' checks stay for the library's other users (the
 * tests and fuzzers link it without this main). Never asked for 0 bytes
 * (xmalloc refuses them), but one byte costs nothing.
 */
static void *
json_alloc(size_t size)
{
	return xmalloc(size > 0 ? size : 1);
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
	cJSON_Hooks		 hooks = { json_alloc, free };

	cJSON_InitHooks(&hooks);
	caps_raise_permitted();
	log_init("breaker", level);
	/* '+': stop at the first non-option, the subcommand's name. */
	while ((ch = getopt_long(argc, argv, "+hVvj", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage_commands(stdout);
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
			usage_commands(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage_commands(stderr);
		return 2;
	}
	if ((sc = find_subcommand(argv[0])) == NULL) {
		fprintf(stderr, "breaker: unknown command '%s'\n", argv[0]);
		usage_commands(stderr);
		return 2;
	}
	if (wants_help(argc, argv))
		return usage_help(sc->name);
	log_set_level(level);
	log_set_json(json);
	optind = 0;	/* reset getopt for the subcommand's own parsing */
	return sc->fn(argc, argv);
}
