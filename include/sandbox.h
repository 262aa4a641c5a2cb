/*
 * After start-up the daemon drops what it does not need and confines itself
 * with a libseccomp allow-list (one static table in sandbox.c) whose default
 * is to kill the process. No execve after start.
 */
#ifndef BREAKER_SANDBOX_H
#define BREAKER_SANDBOX_H

#include <stdio.h>

#include "util.h"

enum sandbox_mode {
	SANDBOX_OFF = 0,
	SANDBOX_ENFORCE,	/* default: a forbidden call kills the process */
	SANDBOX_LOG,		/* violations are logged by the kernel, allowed */
	SANDBOX_REQUIRE,	/* as ENFORCE, and never run unconfined: a
				   sandbox that cannot be entered ends the
				   daemon (the job runs on, unwatched) */
};

/* The configuration's words: "enforce", "require", "log", "off" -> mode
 * (the one list: the policy's error shows it); -1 if unknown. */
extern const struct util_enum	sandbox_mode_table[];
extern const size_t		sandbox_mode_ntable;
int	sandbox_mode_parse(const char *);
/*
 * Drop privileges not needed, set no_new_privs, load the filter. The
 * network rows (the GitHub client's) only with `network` and in a build
 * with the client: a daemon no GitHub action is configured for cannot open
 * a socket at all. 0, or -1 with the reason in sandbox_failure().
 */
int	sandbox_enter(enum sandbox_mode, int network);
/* Why the last sandbox_enter failed, in a few words ("" if it did not). */
const char *sandbox_failure(void);
/* The words status and the report use: "enforcing", "logging", "off". */
const char *sandbox_mode_name(enum sandbox_mode);
/* Print the allow-list for review (breaker check --sandbox). */
void	sandbox_print(FILE *);

#endif
