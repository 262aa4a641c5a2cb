/*
 * Small helpers every module needs, after OpenSSH's misc.c: one clock, one
 * array length, one number parser. One copy each, so a fix lands everywhere.
 */
#ifndef BREAKER_UTIL_H
#define BREAKER_UTIL_H

#include <sys/time.h>

/* The number of elements of an array (not of a pointer). */
#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Seconds on CLOCK_MONOTONIC: for deadlines and durations, never dates. */
double		mono_now(void);
/* Seconds since the epoch (CLOCK_REALTIME), for records and reports. */
double		wall_now(void);
/* Milliseconds as a timeval, for libevent timers. */
struct timeval	ms_tv(unsigned long ms);

/*
 * A whole decimal number in [min, max], after OpenBSD's strtonum(3): the
 * whole string must be the number. On error returns 0 and sets *errstr to
 * "invalid", "too small" or "too large"; on success *errstr is NULL.
 */
long long	parse_num(const char *s, long long min, long long max,
		    const char **errstr);

/* o[key] = s, or JSON null when s is NULL (records keep every key). */
struct cJSON;
void		json_add_str_or_null(struct cJSON *o, const char *key,
		    const char *s);

#endif
