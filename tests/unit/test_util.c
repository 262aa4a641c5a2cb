/*
 * util.c: the number parser accepts a whole number in range and nothing
 * else; ms_tv splits milliseconds; the clocks move forward; nitems counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static void
expect_num(const char *s, long long min, long long max, long long want)
{
	const char	*errstr = "unset";

	assert_int_equal(parse_num(s, min, max, &errstr), want);
	if (errstr != NULL)
		fail_msg("\"%s\": %s", s, errstr);
}

static void
expect_bad(const char *s, long long min, long long max, const char *why)
{
	const char	*errstr = NULL;

	assert_int_equal(parse_num(s, min, max, &errstr), 0);
	assert_non_null(errstr);
	assert_string_equal(errstr, why);
}

static void
test_parse_num(void **state)
{
	(void)state;
	expect_num("0", 0, 10, 0);
	expect_num("10", 0, 10, 10);
	expect_num("-5", -10, 10, -5);
	expect_num("9223372036854775807", 0, 9223372036854775807LL,
	    9223372036854775807LL);
	expect_bad("", 0, 10, "invalid");
	expect_bad("12x", 0, 100, "invalid");
	expect_bad("3 ", 0, 100, "invalid");
	expect_bad("x", 0, 100, "invalid");
	expect_bad("11", 0, 10, "too large");
	expect_bad("-1", 0, 10, "too small");
	expect_bad("99999999999999999999", 0, 10, "too large");
	expect_bad("-99999999999999999999", 0, 10, "too small");
	expect_bad("5", 10, 0, "invalid");
	expect_bad(NULL, 0, 10, "invalid");
}

static void
test_ms_tv(void **state)
{
	struct timeval	tv;

	(void)state;
	tv = ms_tv(0);
	assert_int_equal(tv.tv_sec, 0);
	assert_int_equal(tv.tv_usec, 0);
	tv = ms_tv(7500);
	assert_int_equal(tv.tv_sec, 7);
	assert_int_equal(tv.tv_usec, 500000);
	tv = ms_tv(999);
	assert_int_equal(tv.tv_sec, 0);
	assert_int_equal(tv.tv_usec, 999000);
}

static void
test_clocks_and_nitems(void **state)
{
	int	a[7];
	double	m0 = mono_now(), m1 = mono_now();

	(void)state;
	(void)a;
	assert_true(m1 >= m0);
	assert_true(m0 > 0);
	/* After 2020-01-01: a real date, not a monotonic uptime. */
	assert_true(wall_now() > 1577836800.0);
	assert_int_equal(nitems(a), 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_num),
		cmocka_unit_test(test_ms_tv),
		cmocka_unit_test(test_clocks_and_nitems),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
