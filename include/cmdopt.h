/*
 * What the commands share on their command lines. --config FILE, --policy
 * FILE (repeatable) and --no-defaults mean the same in every command that
 * loads a policy: the configuration is --config's (an empty FILE: the
 * built-in one), else $BREAKER_CONFIG's when set and not empty, else the
 * built-in one; rule files are layered after the defaults in the order
 * given; --no-defaults leaves the embedded rules out.
 */
#ifndef BREAKER_CMDOPT_H
#define BREAKER_CMDOPT_H

#include <stddef.h>

struct policy;

struct cmdopt_policy {
	const char	 *config;	/* --config; NULL: not given */
	const char	**rules;	/* --policy, in order */
	size_t		  nrules;
	int		  no_defaults;
};

/* A command's struct option entries, and its optstring's letters. */
#define CMDOPT_CONFIG_LONGOPT \
	{ "config",	 required_argument, NULL, 'c' }
#define CMDOPT_POLICY_LONGOPTS \
	CMDOPT_CONFIG_LONGOPT, \
	{ "policy",	 required_argument, NULL, 'p' }, \
	{ "no-defaults", no_argument,	    NULL, 'n' }
#define CMDOPT_CONFIG_LETTERS	"c:"
#define CMDOPT_POLICY_LETTERS	"c:p:n"

void		 cmdopt_policy_init(struct cmdopt_policy *);
void		 cmdopt_policy_clear(struct cmdopt_policy *);
/* Take option `ch` ('c', 'p' or 'n') with its argument: 1, else 0. */
int		 cmdopt_policy_option(struct cmdopt_policy *, int ch,
		    const char *arg);
/* The configuration file these options name, NULL for the built-in one. */
const char	*cmdopt_policy_config(const struct cmdopt_policy *);
/* The policy they name: policy_load's result and *errors (policy.h). */
struct policy	*cmdopt_policy_load(const struct cmdopt_policy *,
		    char **errors);

/* The variable's value, or NULL when it is unset or empty. */
const char	*cmdopt_env(const char *name);

#endif
