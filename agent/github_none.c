/*
 * The GitHub client in a build without it (meson -Dgithub=disabled): no
 * OpenSSL, no libcurl, no network system calls in the sandbox. A
 * configuration that allows GitHub actions is refused by `breaker check`
 * and doctor; a job still runs watched, its actions off (fail-open).
 * These are the entry points watch.c calls.
 */
#include <stdio.h>

#include "github.h"
#include "log.h"

struct github *
github_new(struct event_base *base, const struct policy_github *pg,
    const struct github_job *job)
{
	if (pg != NULL)
		log_warnx("github: %s; GitHub actions are off", GITHUB_NOT_BUILT);
	return NULL;
}

/* No struct github exists in this build: the rest is never reached.
 * (The signatures are github.h's, hence no const for cppcheck.) */
void
github_free(struct github *gh)	/* cppcheck-suppress constParameter */
{
	if (gh != NULL)
		fatalx("github: %s", GITHUB_NOT_BUILT);
}

void
github_cancel_run(struct github *gh, github_done_cb cb, void *arg)
{
	fatalx("github: %s", GITHUB_NOT_BUILT);
}

void
github_check_run(struct github *gh, const struct verdict_list *vl,
    github_done_cb cb, void *arg)
{
	fatalx("github: %s", GITHUB_NOT_BUILT);
}
