/*
 * The one clock, the one ms-to-timeval, the one number parser (util.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "util.h"

double
mono_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double
wall_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct timeval
ms_tv(unsigned long ms)
{
	struct timeval	tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
}

long long
parse_num(const char *s, long long min, long long max, const char **errstr)
{
	long long	 n;
	char		*end;

	*errstr = "invalid";
	if (s == NULL || *s == '\0' || min > max)
		return 0;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*end != '\0')
		return 0;
	if ((n == LLONG_MIN && errno == ERANGE) || n < min) {
		*errstr = "too small";
		return 0;
	}
	if ((n == LLONG_MAX && errno == ERANGE) || n > max) {
		*errstr = "too large";
		return 0;
	}
	*errstr = NULL;
	return n;
}

void
json_add_str_or_null(cJSON *o, const char *key, const char *s)
{
	if (s != NULL)
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
}

int
util_enum_value(const struct util_enum *t, size_t n, const char *name,
    int *value)
{
	size_t	i;

	for (i = 0; name != NULL && i < n; i++)
		if (strcmp(t[i].name, name) == 0) {
			*value = t[i].value;
			return 0;
		}
	return -1;
}

const char *
util_enum_name(const struct util_enum *t, size_t n, int value)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].name;
	return NULL;
}

size_t
util_enum_list(const struct util_enum *t, size_t n, char *buf, size_t bufsz)
{
	size_t	i, len = 0;
	int	w;

	if (bufsz > 0)
		*buf = '\0';
	for (i = 0; i < n; i++) {
		w = snprintf(buf + len, bufsz - len, "%s\"%s\"", i > 0 ? ", " :
		    "", t[i].name);
		if (w < 0 || (size_t)w >= bufsz - len)
			return len + (w < 0 ? 0 : (size_t)w);
		len += (size_t)w;
	}
	return len;
}
