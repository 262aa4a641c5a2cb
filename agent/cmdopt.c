/*
 * The options the commands share (cmdopt.h): one meaning for --config,
 * --policy, --no-defaults and --state-dir, and one place that turns them
 * into a policy, so `breaker check` validates exactly what `watch`,
 * `replay` and the daemon load.
 */
#include <stdlib.h>
#include <string.h>

#include "cmdopt.h"
#include "policy.h"
#include "xalloc.h"

/* The variable's value, or NULL when it is unset or empty. */
static const char *
cmdopt_env(const char *name)
{
	const char	*v = getenv(name);

	return (v != NULL && *v != '\0') ? v : NULL;
}

void
cmdopt_init(struct cmdopt *po)
{
	memset(po, 0, sizeof *po);
}

void
cmdopt_clear(struct cmdopt *po)
{
	free(po->rules);
	po->rules = NULL;
	po->nrules = 0;
}

int
cmdopt_option(struct cmdopt *po, int ch, const char *arg)
{
	switch (ch) {
	case 'c':
		po->config = arg;
		return 1;
	case 'p':
		po->rules = xreallocarray(po->rules, po->nrules + 1,
		    sizeof *po->rules);
		po->rules[po->nrules++] = arg;
		return 1;
	case 'n':
		po->no_defaults = 1;
		return 1;
	case 's':
		po->state_dir = arg;
		return 1;
	}
	return 0;
}

const char *
cmdopt_config(const struct cmdopt *po)
{
	if (po->config != NULL)
		return *po->config != '\0' ? po->config : NULL;
	return cmdopt_env("BREAKER_CONFIG");
}

const char *
cmdopt_state_dir(const struct cmdopt *po)
{
	return po->state_dir != NULL ? po->state_dir :
	    cmdopt_env("BREAKER_STATE_DIR");
}

struct policy *
cmdopt_policy(const struct cmdopt *po, char **errors)
{
	struct policy_load_args	la;

	memset(&la, 0, sizeof la);
	la.config = cmdopt_config(po);
	la.rule_files = po->rules;
	la.nrule_files = po->nrules;
	la.no_defaults = po->no_defaults;
	return policy_load(&la, errors);
}
