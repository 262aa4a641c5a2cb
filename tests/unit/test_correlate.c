/*
 * Sliding windows over synthetic times, distinct values, bounded memory
 * (eviction counted), the fired-once flag and evidence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "correlate.h"

static void
test_count_slides(void **state)
{
	struct correlate	*c = correlate_new(3, 0, 0);
	struct correlate_group	*g = correlate_group(c, "", 0);
	double			 first = -1;

	(void)state;
	/* threshold 3 within 10 s: events at 0, 5, 11, 14 */
	correlate_record(c, g, 0, "a", 1, NULL, 0);
	correlate_record(c, g, 5, "b", 1, NULL, 0);
	assert_int_equal(correlate_count(g, 5, 10, NULL), 2);
	correlate_record(c, g, 11, "c", 1, NULL, 0);
	/* the event at 0 slid out of (1, 11] */
	assert_int_equal(correlate_count(g, 11, 10, &first), 2);
	assert_true(first == 5);
	correlate_record(c, g, 14, "d", 1, NULL, 0);
	assert_int_equal(correlate_count(g, 14, 10, &first), 3);
	assert_true(first == 5);
	/* time passes without events: the window empties */
	assert_int_equal(correlate_count(g, 100, 10, NULL), 0);
	/* exactly at the window's edge still counts */
	assert_int_equal(correlate_count(g, 15, 10, NULL), 3);
	assert_int_equal(correlate_count(NULL, 15, 10, NULL), 0);
	correlate_free(c);
}

static void
test_ring_bounded(void **state)
{
	struct correlate	*c = correlate_new(4, 0, 0);
	struct correlate_group	*g = correlate_group(c, "", 0);
	int			 i;

	(void)state;
	for (i = 0; i < 100000; i++)
		correlate_record(c, g, i * 0.001, "x", 1, NULL, 0);
	/* only the ring's 4 newest are kept, and they are the newest */
	assert_int_equal(correlate_count(g, 99.999, 0.0035, NULL), 4);
	assert_int_equal(correlate_count(g, 99.999, 1000, NULL), 4);
	correlate_free(c);
}

static void
test_distinct(void **state)
{
	struct correlate	*c = correlate_new(1, 0, 0);
	struct correlate_group	*g = correlate_group(c, "", 0);

	(void)state;
	correlate_record(c, g, 0, NULL, 0, "a.com", 5);
	correlate_record(c, g, 1, NULL, 0, "b.com", 5);
	correlate_record(c, g, 2, NULL, 0, "a.com", 5);
	assert_int_equal(correlate_distinct(c, g, 2, 60, NULL), 2);
	correlate_record(c, g, 50, NULL, 0, "c.com", 5);
	assert_int_equal(correlate_distinct(c, g, 50, 60, NULL), 3);
	/* b.com (last seen at 1) slides out; a.com was refreshed at 2 */
	assert_int_equal(correlate_distinct(c, g, 61.5, 60, NULL), 2);
	assert_int_equal(correlate_distinct(c, g, 200, 60, NULL), 0);
	correlate_free(c);
}

static void
test_caps(void **state)
{
	struct correlate_stats	 st;
	struct correlate	*c = correlate_new(1, 8, 4);
	struct correlate_group	*g, *first;
	char			 key[16];
	int			 i;

	(void)state;
	first = correlate_group(c, "k0", 2);
	correlate_set_fired(first);
	for (i = 1; i < 20; i++) {
		snprintf(key, sizeof key, "k%d", i);
		g = correlate_group(c, key, strlen(key));
		correlate_record(c, g, i, "l", 1, NULL, 0);
	}
	correlate_get_stats(c, &st);
	assert_int_equal(st.groups, 8);
	assert_int_equal(st.evicted_groups, 12);
	/* the least recent unfired groups went; the fired one stays */
	assert_non_null(correlate_find(c, "k0", 2));
	assert_null(correlate_find(c, "k1", 2));
	assert_non_null(correlate_find(c, "k19", 3));
	g = correlate_group(c, "v", 1);
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof key, "v%d", i);
		correlate_record(c, g, i, NULL, 0, key, strlen(key));
	}
	assert_int_equal(correlate_distinct(c, g, 9, 100, NULL), 4);
	correlate_get_stats(c, &st);
	assert_int_equal(st.evicted_values, 6);
	correlate_free(c);
}

static void
test_groups_fired_evidence(void **state)
{
	struct correlate	*c = correlate_new(2, 0, 0);
	struct correlate_group	*a = correlate_group(c, "a", 1);
	struct correlate_group	*b = correlate_group(c, "b", 1);
	const char		*lines[CORRELATE_EVIDENCE];
	size_t			 lens[CORRELATE_EVIDENCE], n;
	char			 l[8];
	int			 i;

	(void)state;
	assert_ptr_equal(correlate_group(c, "a", 1), a);
	assert_ptr_not_equal(a, b);
	assert_false(correlate_fired(a));
	correlate_set_fired(a);
	assert_true(correlate_fired(a));
	assert_false(correlate_fired(b));
	for (i = 0; i < CORRELATE_EVIDENCE + 3; i++) {
		snprintf(l, sizeof l, "line%d", i);
		correlate_record(c, b, i, l, strlen(l), NULL, 0);
	}
	n = correlate_evidence(b, lines, lens, CORRELATE_EVIDENCE);
	assert_int_equal(n, CORRELATE_EVIDENCE);
	assert_memory_equal(lines[0], "line3", 5);	/* oldest kept first */
	assert_memory_equal(lines[n - 1], "line8", 5);
	assert_int_equal(correlate_evidence(a, lines, lens, 10), 0);
	correlate_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_slides),
		cmocka_unit_test(test_ring_bounded),
		cmocka_unit_test(test_distinct),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_groups_fired_evidence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
