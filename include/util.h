/*
 * Small helpers every module needs, after OpenSSH's misc.c: one clock, one
 * array length, one number parser. One copy each, so a fix lands everywhere.
 */
#ifndef BREAKER_UTIL_H
#define BREAKER_UTIL_H

#include <sys/time.h>
#include <stddef.h>

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

/*
 * A string enum's words as {name, value}: one table per enum is the one
 * source of its parser, its names, and the list an error shows ("expected
 * one of: ..."), so a new entry can never be missing from any of them.
 */
struct util_enum {
	const char	*name;
	int		 value;
};
/* 0 and *value when `name` is in the table, else -1 (NULL: -1). */
int		util_enum_value(const struct util_enum *, size_t n,
		    const char *name, int *value);
/* The first name of `value`, or NULL. */
const char	*util_enum_name(const struct util_enum *, size_t n, int value);
/* Every name, quoted, in table order, into buf: "\"a\", \"b\"". Returns
 * the length it needs, as snprintf does (>= bufsz: cut). */
size_t		util_enum_list(const struct util_enum *, size_t n, char *buf,
		    size_t bufsz);

#endif
