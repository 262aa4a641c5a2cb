/*
 * lines.c: splitting byte chunks into lines, whatever the chunk boundaries,
 * with CRLF, over-long lines, flushing and resets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lines.h"

#define MAXOUT 64

/*
 * GCC at -O3 clones reference() for a caller's constant input and then
 * warns, falsely, of an over-read in a branch that input never reaches.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define NOT_SPECIALISED	__attribute__((noinline, noclone))
#else
#define NOT_SPECIALISED
#endif

struct out {
	int	 n;
	char	*line[MAXOUT];
	size_t	 len[MAXOUT];
	int	 flags[MAXOUT];
};

static void
collect(const char *line, size_t len, int flags, void *arg)
{
	struct out	*o = arg;

	assert_true(o->n < MAXOUT);
	o->line[o->n] = malloc(len + 1);
	memcpy(o->line[o->n], line, len);
	o->line[o->n][len] = '\0';
	o->len[o->n] = len;
	o->flags[o->n] = flags;
	o->n++;
}

static void
out_free(struct out *o)
{
	for (int i = 0; i < o->n; i++)
		free(o->line[i]);
	memset(o, 0, sizeof *o);
}

static void
feed(struct lines *l, const char *s, struct out *o)
{
	lines_feed(l, s, strlen(s), collect, o);
}

/*
 * The reference: split on LF, drop one CR before it, cut at max. Written
 * the obvious way, on the whole input at once.
 */
static size_t NOT_SPECIALISED
reference(const char *in, size_t n, size_t max, struct out *o)
{
	size_t	start = 0, i, len, skipped = 0;

	for (i = 0; i < n; i++) {
		if (in[i] != '\n')
			continue;
		len = i - start;
		if (len > 0 && in[i - 1] == '\r')
			len--;
		collect(in + start, len > max ? max : len,
		    len > max ? LINES_TRUNCATED : 0, o);
		skipped += len > max ? len - max : 0;
		start = i + 1;
	}
	/* An unended line is cut as soon as it cannot be a CRLF line. */
	if (n - start > max + 1) {
		collect(in + start, max, LINES_TRUNCATED, o);
		skipped += n - start - max;
	}
	return skipped;	/* content bytes not delivered; a CRLF is not content */
}

static void
assert_same(const struct out *a, const struct out *b)
{
	assert_int_equal(a->n, b->n);
	for (int i = 0; i < a->n; i++) {
		assert_int_equal(a->len[i], b->len[i]);
		assert_memory_equal(a->line[i], b->line[i], a->len[i]);
		assert_int_equal(a->flags[i], b->flags[i]);
	}
}

static void
test_basic(void **state)
{
	struct lines	*l = lines_new(0);
	struct out	 o = { 0 };

	feed(l, "one\ntwo\n\nthree", &o);
	assert_int_equal(o.n, 3);
	assert_string_equal(o.line[0], "one");
	assert_string_equal(o.line[1], "two");
	assert_string_equal(o.line[2], "");
	assert_int_equal(lines_pending(l), 5);
	feed(l, "\n", &o);
	assert_int_equal(o.n, 4);
	assert_string_equal(o.line[3], "three");
	assert_int_equal(o.flags[3], 0);
	assert_int_equal(lines_pending(l), 0);
	out_free(&o);
	lines_free(l);
}

/*
 * Every way of cutting each input into three chunks gives exactly the
 * reference's lines: nothing lost, nothing repeated, whatever the reads.
 */
static void
test_exhaustive_splits(void **state)
{
	static const char *inputs[] = {
		"a\nbb\nccc\n",
		"\n\n\n",
		"x\r\ny\r\n\r\n",
		"abc\r\ndefgh\nij\r",
		"abcdefghij\nk\nlmnopqrstu\r\nv\n",
		"abcd\r\nabcde\nabc\r\r\n\rab\n",
		"no newline at all",
		"abcdefgh\r\nabcdef\r\r\nx\n",	/* long CRLF lines */
		"abcdefg\r\r\rhij\r\nk\r",
	};
	size_t	maxes[] = { 4, 5, 64 };

	for (size_t k = 0; k < sizeof inputs / sizeof *inputs; k++)
	for (size_t m = 0; m < sizeof maxes / sizeof *maxes; m++) {
		const char	*in = inputs[k];
		size_t		 n = strlen(in);
		struct out	 ref = { 0 };
		size_t		 skipped;

		skipped = reference(in, n, maxes[m], &ref);
		for (size_t i = 0; i <= n; i++)
		for (size_t j = i; j <= n; j++) {
			struct lines		*l = lines_new(maxes[m]);
			struct out		 o = { 0 };
			struct lines_stats	 st;

			lines_feed(l, in, i, collect, &o);
			lines_feed(l, in + i, j - i, collect, &o);
			lines_feed(l, in + j, n - j, collect, &o);
			assert_same(&o, &ref);
			lines_get_stats(l, &st);
			assert_int_equal(st.skipped_bytes, skipped);
			out_free(&o);
			lines_free(l);
		}
		out_free(&ref);
	}
}

static void
test_byte_at_a_time(void **state)
{
	const char	*in = "first\r\nsecond line\n\nlast\n";
	struct lines	*l = lines_new(0);
	struct out	 o = { 0 }, ref = { 0 };

	for (size_t i = 0; in[i] != '\0'; i++)
		lines_feed(l, in + i, 1, collect, &o);
	reference(in, strlen(in), LINES_DEFAULT_MAX, &ref);
	assert_same(&o, &ref);
	out_free(&o);
	out_free(&ref);
	lines_free(l);
}

static void
test_crlf(void **state)
{
	struct lines	*l = lines_new(0);
	struct out	 o = { 0 };

	feed(l, "a\r\nb\rc\r\n\r\n", &o);
	assert_int_equal(o.n, 3);
	assert_string_equal(o.line[0], "a");
	assert_string_equal(o.line[1], "b\rc");	/* a lone CR is content */
	assert_string_equal(o.line[2], "");
	/* CR and LF in different chunks. */
	feed(l, "d\r", &o);
	feed(l, "\n", &o);
	assert_int_equal(o.n, 4);
	assert_string_equal(o.line[3], "d");
	out_free(&o);
	lines_free(l);
}

static void
test_long_line(void **state)
{
	struct lines		*l = lines_new(8);
	struct out		 o = { 0 };
	struct lines_stats	 st;

	feed(l, "0123456789abcdefghij\nok\n", &o);
	assert_int_equal(o.n, 2);
	assert_string_equal(o.line[0], "01234567");
	assert_int_equal(o.flags[0], LINES_TRUNCATED);
	assert_string_equal(o.line[1], "ok");
	assert_int_equal(o.flags[1], 0);
	lines_get_stats(l, &st);
	assert_int_equal(st.truncated, 1);
	assert_int_equal(st.skipped_bytes, 12);
	assert_int_equal(st.lines, 2);
	/* Exactly max bytes, with CRLF: not cut. */
	feed(l, "abcdefgh\r\n", &o);
	assert_string_equal(o.line[2], "abcdefgh");
	assert_int_equal(o.flags[2], 0);
	out_free(&o);
	lines_free(l);
}

/* A long line is delivered as soon as it overflows, not at its newline. */
static void
test_long_line_early(void **state)
{
	struct lines		*l = lines_new(4);
	struct out		 o = { 0 };
	struct lines_stats	 st;

	feed(l, "abcdef", &o);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.line[0], "abcd");
	assert_int_equal(lines_pending(l), 0);
	feed(l, "ghi", &o);
	feed(l, "jk\nnext\n", &o);
	assert_int_equal(o.n, 2);
	assert_string_equal(o.line[1], "next");
	lines_get_stats(l, &st);
	assert_int_equal(st.skipped_bytes, 7);	/* "ef" "ghi" "jk" */
	out_free(&o);
	lines_free(l);
}

/* Ten megabytes without a newline cost max_len bytes, not ten megabytes. */
static void
test_huge_line(void **state)
{
	size_t			 n = 10 * 1024 * 1024, i;
	char			*big = malloc(n);
	struct lines		*l = lines_new(0);
	struct out		 o = { 0 };
	struct lines_stats	 st;

	memset(big, 'x', n);
	for (i = 0; i < n; i += 4096)
		lines_feed(l, big + i, 4096, collect, &o);
	feed(l, "\nafter\n", &o);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.len[0], LINES_DEFAULT_MAX);
	assert_int_equal(o.flags[0], LINES_TRUNCATED);
	assert_string_equal(o.line[1], "after");
	lines_get_stats(l, &st);
	assert_int_equal(st.skipped_bytes, n - LINES_DEFAULT_MAX);
	/* And in one piece, through the no-copy path. */
	big[n - 1] = '\n';
	lines_feed(l, big, n, collect, &o);
	assert_int_equal(o.n, 3);
	assert_int_equal(o.len[2], LINES_DEFAULT_MAX);
	assert_int_equal(o.flags[2], LINES_TRUNCATED);
	free(big);
	out_free(&o);
	lines_free(l);
}

static void
test_flush(void **state)
{
	struct lines		*l = lines_new(0);
	struct out		 o = { 0 };
	struct lines_stats	 st;

	lines_flush(l, collect, &o);		/* nothing held: nothing */
	assert_int_equal(o.n, 0);
	feed(l, "abc", &o);
	lines_flush(l, collect, &o);
	lines_flush(l, collect, &o);		/* never twice */
	assert_int_equal(o.n, 1);
	assert_string_equal(o.line[0], "abc");
	assert_int_equal(o.flags[0], LINES_UNTERMINATED);
	/* The rest of that line comes as a continuation, not a repeat. */
	feed(l, "def\nnext\n", &o);
	assert_int_equal(o.n, 3);
	assert_string_equal(o.line[1], "def");
	assert_int_equal(o.flags[1], LINES_CONTINUATION);
	assert_string_equal(o.line[2], "next");
	assert_int_equal(o.flags[2], 0);
	/* Only the newline was missing: no empty line appears. */
	feed(l, "ghi\r", &o);
	lines_flush(l, collect, &o);
	assert_string_equal(o.line[3], "ghi");
	feed(l, "\nlast\n", &o);
	assert_int_equal(o.n, 5);
	assert_string_equal(o.line[4], "last");
	assert_int_equal(o.flags[4], 0);
	lines_get_stats(l, &st);
	assert_int_equal(st.unterminated, 2);
	assert_int_equal(st.lines, 5);
	out_free(&o);
	lines_free(l);
}

static void
test_reset(void **state)
{
	struct lines	*l = lines_new(4);
	struct out	 o = { 0 };

	feed(l, "abc", &o);
	assert_int_equal(lines_pending(l), 3);
	lines_reset(l);
	assert_int_equal(lines_pending(l), 0);
	feed(l, "de\n", &o);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.line[0], "de");
	/* A reset also ends the skipping of an over-long line. */
	feed(l, "abcdefgh", &o);
	lines_reset(l);
	feed(l, "xy\n", &o);
	assert_int_equal(o.n, 3);
	assert_string_equal(o.line[2], "xy");
	/* And forgets a flushed line's continuation. */
	feed(l, "pq", &o);
	lines_flush(l, collect, &o);
	lines_reset(l);
	feed(l, "rs\n", &o);
	assert_int_equal(o.flags[4], 0);
	out_free(&o);
	lines_free(l);
}

/* The runner's step-log prefix is stripped only in its own format. */
static void
test_runner_stamp(void **state)
{
	const char	*l = "2026-12-04T22:10:40.8301234Z ERROR: unexpected";
	double		 t = 0;

	assert_int_equal(lines_runner_stamp(l, strlen(l), &t), 29);
	assert_true(t > 1796422240.82 && t < 1796422240.84);
	assert_string_equal(l + 29, "ERROR: unexpected");
	/* codex's tracing stamp (six digits) and a bare date stay */
	l = "2026-12-04T22:10:40.830123Z  INFO codex_core: x";
	assert_int_equal(lines_runner_stamp(l, strlen(l), &t), 0);
	l = "2026-12-04T22:10:40.8301234Z";
	assert_int_equal(lines_runner_stamp(l, strlen(l), &t), 0);
	l = "2026-13-04T22:10:40.8301234Z x";
	assert_int_equal(lines_runner_stamp(l, strlen(l), &t), 0);
	l = "2026-12-04T22:1a:40.8301234Z x";
	assert_int_equal(lines_runner_stamp(l, strlen(l), &t), 0);
	/* a downloaded log's first line, after a byte-order mark */
	l = "\xef\xbb\xbf" "2026-12-04T22:10:40.8301234Z ERROR: x";
	assert_int_equal(lines_runner_stamp(l, strlen(l), &t), 32);
	assert_string_equal(l + 32, "ERROR: x");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_exhaustive_splits),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_long_line_early),
		cmocka_unit_test(test_huge_line),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_runner_stamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
