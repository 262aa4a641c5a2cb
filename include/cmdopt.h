/*
 * The options the commands share, with one meaning each:
 *
 * --config FILE	the configuration; else $BREAKER_CONFIG when set and
 *			not empty; else (or with an empty FILE) the built-in
 *			one.
 * --policy FILE	a rule file layered after the defaults, in order;
 *			repeatable.
 * --no-defaults	without the embedded rules.
 * --state-dir DIR	the state root; else $BREAKER_STATE_DIR when set and
 *			not empty; else the configuration's or the job's
 *			(job.c).
 *
 * A command lists the ones it takes in its struct option table with the
 * macros below, passes what its own switch does not know to
 * cmdopt_option(), and loads its policy with cmdopt_policy().
 */
#ifndef BREAKER_CMDOPT_H
#define BREAKER_CMDOPT_H

#include <stddef.h>

struct policy;

struct cmdopt {
	const char	 *config;	/* --config; NULL: not given */
	const char	**rules;	/* --policy, in order */
	size_t		  nrules;
	int		  no_defaults;
	const char	 *state_dir;	/* --state-dir; NULL: not given */
};

#define CMDOPT_CONFIG_LONGOPT \
	{ "config",	 required_argument, NULL, 'c' }
#define CMDOPT_POLICY_LONGOPTS \
	CMDOPT_CONFIG_LONGOPT, \
	{ "policy",	 required_argument, NULL, 'p' }, \
	{ "no-defaults", no_argument,	    NULL, 'n' }
#define CMDOPT_STATE_LONGOPT \
	{ "state-dir",	 required_argument, NULL, 's' }
/* The end of every table: --help is main.c's, before the command runs. */
#define CMDOPT_END_LONGOPTS \
	{ "help",	 no_argument,	    NULL, 'h' }, \
	{ NULL,		 0,		    NULL, 0 }
/* Their letters, for getopt_long's optstring. */
#define CMDOPT_CONFIG_LETTERS	"c:"
#define CMDOPT_POLICY_LETTERS	"c:p:n"
#define CMDOPT_STATE_LETTERS	"s:"

void		 cmdopt_init(struct cmdopt *);
/* Free the list of --policy files (the rest stays valid). */
void		 cmdopt_clear(struct cmdopt *);
/* Take option `ch` ('c', 'p', 'n' or 's') with its argument: 1, else 0. */
int		 cmdopt_option(struct cmdopt *, int ch, const char *arg);
/* The configuration file they name, NULL for the built-in one. */
const char	*cmdopt_config(const struct cmdopt *);
/* The state root they name, NULL to leave it to job.c. */
const char	*cmdopt_state_dir(const struct cmdopt *);
/* The policy they name: policy_load's result and *errors (policy.h). */
struct policy	*cmdopt_policy(const struct cmdopt *, char **errors);

#endif
