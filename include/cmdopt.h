/*
 * What the commands share on their command lines: the environment's
 * defaults for options.
 */
#ifndef BREAKER_CMDOPT_H
#define BREAKER_CMDOPT_H

/* The variable's value, or NULL when it is unset or empty. */
const char	*cmdopt_env(const char *name);

#endif
