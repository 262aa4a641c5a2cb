/*
 * After start-up the daemon drops what it does not need and confines itself
 * with a libseccomp allow-list (one static table in sandbox.c) whose default
 * is to kill the process. No execve after start.
 */
#ifndef BREAKER_SANDBOX_H
#define BREAKER_SANDBOX_H

#include <stdio.h>

enum sandbox_mode {
	SANDBOX_OFF = 0,
	SANDBOX_ENFORCE,	/* default: a forbidden call kills the process */
	SANDBOX_LOG,		/* violations are logged by the kernel, allowed */
	SANDBOX_REQUIRE,	/* as ENFORCE, and never run unconfined: a
				   sandbox that cannot be entered ends the
				   daemon (the job runs on, unwatched) */
};

/* "off", "enforce", "require", "log" -> mode; -1 if unknown. */
int	sandbox_mode_parse(const char *);
/*
 * Drop privileges not needed, set no_new_privs, load the filter. 0, or -1
 * with the reason in sandbox_failure().
 */
int	sandbox_enter(enum sandbox_mode);
/* Why the last sandbox_enter failed, in a few words ("" if it did not). */
const char *sandbox_failure(void);
/* The words status and the report use: "enforcing", "logging", "off". */
const char *sandbox_mode_name(enum sandbox_mode);
/* Print the allow-list for review (breaker check --sandbox). */
void	sandbox_print(FILE *);

#endif
