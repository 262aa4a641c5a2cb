/*
 * The usage table: one entry per command, with its synopsis, its summary
 * and each option's help. Read by `breaker --help`, `breaker CMD --help`
 * (stdout, exit 0) and the usage errors (stderr, exit 2).
 */
#include <stdio.h>
#include <string.h>

#include "usage.h"
#include "util.h"

struct usage_opt {
	const char	*flag;		/* "--config FILE" */
	const char	*help;
};

struct usage_cmd {
	const char		*name;
	const char		*synopsis[3];	/* after "breaker " */
	const char		*summary;
	const struct usage_opt	*opts;
};

/* The options cmdopt.c parses, said the same way in every command. */
#define USAGE_CONFIG \
	{ "--config FILE", "configuration file (else BREAKER_CONFIG)" }
#define USAGE_POLICY \
	{ "--policy FILE", "rule file, repeatable" }
#define USAGE_NO_DEFAULTS \
	{ "--no-defaults", "without the embedded default rules" }
#define USAGE_STATE_DIR \
	{ "--state-dir DIR", "state root (else BREAKER_STATE_DIR)" }

static const struct usage_opt start_opts[] = {
	USAGE_CONFIG,
	USAGE_STATE_DIR,
	{ "--foreground", "do not fork: run the daemon here (debugging)" },
	{ NULL, NULL }
};
static const struct usage_opt finish_opts[] = {
	{ "--timeout SEC", "how long to wait for the daemon (default 5)" },
	USAGE_CONFIG,
	USAGE_STATE_DIR,
	{ NULL, NULL }
};
static const struct usage_opt status_opts[] = {
	{ "--json", "one JSON object" },
	USAGE_STATE_DIR,
	{ "--job-dir DIR", "one job's state directory" },
	{ NULL, NULL }
};
static const struct usage_opt watch_opts[] = {
	USAGE_CONFIG,
	USAGE_POLICY,
	USAGE_NO_DEFAULTS,
	USAGE_STATE_DIR,
	{ "--observe", "record verdicts, stop nothing" },
	{ "--tracking-id ID", "the job's RUNNER_TRACKING_ID (to stop it)" },
	{ NULL, NULL }
};
static const struct usage_opt replay_opts[] = {
	{ "--source NAME=FILE", "a file for a source, repeatable; FILE - is standard input" },
	USAGE_POLICY,
	USAGE_CONFIG,
	USAGE_NO_DEFAULTS,
	{ "--examples N", "first lines shown per rule (default 3)" },
	{ "--json", "one JSON object" },
	{ "DIR...", "folders of downloaded runs (gh aw logs, gh run download)" },
	{ NULL, NULL }
};
static const struct usage_opt check_opts[] = {
	{ "--sandbox", "print the seccomp allow-list" },
	USAGE_NO_DEFAULTS,
	USAGE_CONFIG,
	USAGE_POLICY,
	{ "--corpus DIR", "evaluate on labelled cases: a confusion matrix" },
	{ "--json", "with --corpus: one JSON object" },
	{ NULL, NULL }
};
static const struct usage_opt tail_opts[] = {
	{ "--from-start", "read existing files from their head" },
	{ "--poll", "stat polling instead of inotify" },
	{ "--flush-ms MS", "deliver a partial line after MS of quiet" },
	{ "--max-line BYTES", "cut longer lines (counted)" },
	{ NULL, NULL }
};
static const struct usage_opt demo_opts[] = {
	{ "--fast", "do not pace the engine's lines" },
	{ "--api-proxy", "show the api-proxy record as the first sign" },
	{ NULL, NULL }
};
static const struct usage_opt doctor_opts[] = {
	{ "--json", "one JSON object: problems, warnings, checks[]" },
	{ "--fast", "only the cheap checks (the started hook runs this)" },
	{ "--oneline", "one line when something is wrong, else nothing" },
	{ "--runner DIR", "the runner's directory (its .env)" },
	{ "--user NAME", "the runner's user" },
	{ "--unit FILE", "a systemd unit to read instead of the runner's" },
	USAGE_CONFIG,
	{ "--binary FILE", "the breaker binary the hooks run" },
	{ NULL, NULL }
};

static const struct usage_cmd usage_cmds[] = {
	{ "start", { "start [--config FILE] [--state-dir DIR] [--foreground]" },
	  "start the per-job daemon (the job-started hook runs this)",
	  start_opts },
	{ "finish", { "finish [--timeout SEC] [--config FILE] "
	    "[--state-dir DIR]" },
	  "stop the daemon, print annotations, write the job summary",
	  finish_opts },
	{ "status", { "status [--json] [--state-dir DIR | --job-dir DIR]" },
	  "show what the running daemon watches and has found", status_opts },
	{ "watch", { "watch [--config FILE] [--policy FILE]... [--no-defaults] "
	    "[--state-dir DIR] [--observe] [--tracking-id ID]" },
	  "run the pipeline in the foreground on the configured sources",
	  watch_opts },
	{ "replay", { "replay --source NAME=FILE... [--policy FILE]... "
	    "[--config FILE] [--no-defaults] [--examples N] [--json]",
	    "replay [--policy FILE]... [--config FILE] [--no-defaults] "
	    "[--json] DIR..." },
	  "run the pipeline offline over files or folders of runs, and report",
	  replay_opts },
	{ "check", { "check [--sandbox] [--no-defaults] [--config FILE] "
	    "[--policy FILE]... [FILE...]",
	    "check --corpus DIR [--json] [--no-defaults] [--config FILE] "
	    "[--policy FILE]..." },
	  "validate configuration and rule files; evaluate on labelled runs",
	  check_opts },
	{ "tail", { "tail [--from-start] [--poll] [--flush-ms MS] "
	    "[--max-line BYTES] FILE..." },
	  "print lines exactly as the tailer delivers them", tail_opts },
	{ "demo", { "demo [--fast] [--api-proxy]" },
	  "a simulated job hit by the gh-aw #26929 failure, cut short",
	  demo_opts },
	{ "doctor", { "doctor [--json] [--fast] [--oneline] [--runner DIR] "
	    "[--user NAME]", "      [--unit FILE] [--config FILE] "
	    "[--binary FILE]" },
	  "check this runner for what makes breaker silently do nothing",
	  doctor_opts },
};

static const struct usage_cmd *
usage_find(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(usage_cmds); i++)
		if (strcmp(usage_cmds[i].name, name) == 0)
			return &usage_cmds[i];
	return NULL;
}

static void
usage_synopsis(FILE *out, const struct usage_cmd *c)
{
	size_t	i;

	for (i = 0; i < nitems(c->synopsis) && c->synopsis[i] != NULL; i++)
		fprintf(out, "%s breaker %s\n", i == 0 ? "usage:" : "      ",
		    c->synopsis[i]);
}

void
usage_commands(FILE *out)
{
	size_t	i;

	fprintf(out, "usage: breaker [-v] [--log-json] COMMAND [ARGS]\n\n");
	fprintf(out, "Stops AI-agent jobs whose engine failed for good, and "
	    "says why.\n\ncommands:\n");
	for (i = 0; i < nitems(usage_cmds); i++)
		fprintf(out, "  %-8s %s\n", usage_cmds[i].name,
		    usage_cmds[i].summary);
	fprintf(out, "\nRun 'breaker COMMAND --help' for a command's "
	    "options. See breaker(1).\n");
}

int
usage_help(const char *cmd)
{
	const struct usage_cmd	*c = usage_find(cmd);
	const struct usage_opt	*o;

	if (c == NULL)
		return 2;
	usage_synopsis(stdout, c);
	printf("\n%s\n", c->summary);
	if (c->opts[0].flag != NULL)
		printf("\noptions:\n");
	for (o = c->opts; o->flag != NULL; o++)
		printf("  %-20s %s\n", o->flag, o->help);
	return 0;
}

int
usage_error(const char *cmd)
{
	const struct usage_cmd	*c = usage_find(cmd);

	if (c != NULL) {
		usage_synopsis(stderr, c);
		fprintf(stderr, "Run 'breaker %s --help' for the options.\n",
		    cmd);
	}
	return 2;
}

const char *
usage_summary(const char *cmd)
{
	const struct usage_cmd	*c = usage_find(cmd);

	return c != NULL ? c->summary : NULL;
}
