/*
 * Every command's usage in one table (usage.c): `breaker --help`, each
 * `breaker CMD --help` and each usage error print from it, and
 * tests/integration/test_manpage.sh holds breaker(1) to it, so the three
 * cannot drift apart.
 */
#ifndef BREAKER_USAGE_H
#define BREAKER_USAGE_H

#include <stdio.h>

/* `breaker --help` (stdout) or after a bad global option (stderr). */
void	usage_commands(FILE *);
/* A command's usage and options on stdout, for CMD --help: returns 0. */
int	usage_help(const char *cmd);
/* A command's synopsis on stderr, after a usage error: returns 2. */
int	usage_error(const char *cmd);
/* The one-line summary of a command; NULL if there is no such command. */
const char *usage_summary(const char *cmd);

#endif
