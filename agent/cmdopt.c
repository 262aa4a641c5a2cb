/*
 * What the commands share on their command lines (cmdopt.h): one meaning
 * for --config, --policy and --no-defaults, and one place that turns them
 * into a policy, so `breaker check` validates exactly what `watch`,
 * `replay` and the daemon load.
 */
#include <stdlib.h>
#include <string.h>

#include "cmdopt.h"
#include "policy.h"
#include "xalloc.h"

void
cmdopt_policy_init(struct cmdopt_policy *po)
{
	memset(po, 0, sizeof *po);
}

void
cmdopt_policy_clear(struct cmdopt_policy *po)
{
	free(po->rules);
	cmdopt_policy_init(po);
}

int
cmdopt_policy_option(struct cmdopt_policy *po, int ch, const char *arg)
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
	}
	return 0;
}

const char *
cmdopt_policy_config(const struct cmdopt_policy *po)
{
	if (po->config != NULL)
		return *po->config != '\0' ? po->config : NULL;
	return cmdopt_env("BREAKER_CONFIG");
}

struct policy *
cmdopt_policy_load(const struct cmdopt_policy *po, char **errors)
{
	struct policy_load_args	la;

	memset(&la, 0, sizeof la);
	la.config = cmdopt_policy_config(po);
	la.rule_files = po->rules;
	la.nrule_files = po->nrules;
	la.no_defaults = po->no_defaults;
	return policy_load(&la, errors);
}

const char *
cmdopt_env(const char *name)
{
	const char	*v = getenv(name);

	return (v != NULL && *v != '\0') ? v : NULL;
}
