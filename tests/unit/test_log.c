/*
 * log.c: one message is one line, written once; a message can never forge a
 * second line (text or JSON); levels filter; warnings are counted; errno is
 * appended by log_warn and preserved for the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

struct logcap {
	int	fd;
	char	buf[8192];
};

/* Point the log at a fresh temporary file. */
static int
setup(void **state)
{
	static struct logcap	c;
	char			path[] = "/tmp/breaker-test-log-XXXXXX";

	c.fd = mkstemp(path);
	if (c.fd == -1)
		return -1;
	unlink(path);
	log_init("breaker-test", LOG_LEVEL_INFO);
	log_set_json(0);
	log_to_fd(c.fd);
	*state = &c;
	return 0;
}

static int
teardown(void **state)
{
	struct logcap *c = *state;

	log_to_fd(STDERR_FILENO);
	log_set_json(0);
	close(c->fd);
	return 0;
}

/* Everything logged so far, NUL-terminated. */
static const char *
captured(struct logcap *c)
{
	ssize_t	n = pread(c->fd, c->buf, sizeof c->buf - 1, 0);

	assert_true(n >= 0);
	c->buf[n] = '\0';
	return c->buf;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

static void
test_one_line_per_message(void **state)
{
	struct logcap	*c = *state;
	const char	*out;

	log_info("first %d", 1);
	log_warnx("second");
	out = captured(c);
	assert_int_equal(count_lines(out), 2);
	assert_non_null(strstr(out, "breaker-test["));
	assert_non_null(strstr(out, "info: first 1\n"));
	assert_non_null(strstr(out, "warning: second\n"));
}

static void
test_newline_cannot_forge_a_line(void **state)
{
	struct logcap	*c = *state;
	const char	*out;

	log_info("engine said: a\nfatal: forged\rline");
	out = captured(c);
	assert_int_equal(count_lines(out), 1);
	assert_null(strstr(out, "\nfatal: forged"));
	assert_null(strchr(out, '\r'));
	assert_non_null(strstr(out, "a fatal: forged line"));
}

static void
test_json_escapes_controls_and_quotes(void **state)
{
	struct logcap	*c = *state;
	const char	*out;

	log_set_json(1);
	log_info("q\"b\\s\tt\x01");
	out = captured(c);
	assert_int_equal(count_lines(out), 1);
	assert_non_null(strstr(out, "\"level\":\"info\""));
	assert_non_null(strstr(out, "\"proc\":\"breaker-test\""));
	assert_non_null(strstr(out, "q\\\"b\\\\s\\u0009t\\u0001"));
	assert_null(strchr(out, '\t'));
}

static void
test_level_filters(void **state)
{
	struct logcap	*c = *state;

	log_set_level(LOG_LEVEL_WARN);
	log_info("hidden");
	log_debug("hidden too");
	assert_string_equal(captured(c), "");
	log_set_level(LOG_LEVEL_DEBUG);
	log_debug("shown");
	assert_non_null(strstr(captured(c), "debug: shown\n"));
	log_set_level(LOG_LEVEL_INFO);
	assert_int_equal(log_get_level(), LOG_LEVEL_INFO);
}

static void
test_warnings_counted(void **state)
{
	unsigned long	before = log_count_warnings();

	(void)state;
	log_warnx("one");
	log_warn("two");
	log_info("not a warning");
	assert_int_equal(log_count_warnings() - before, 2);
}

static void
test_warn_appends_errno_and_keeps_it(void **state)
{
	struct logcap	*c = *state;

	errno = ENOENT;
	log_warn("open %s", "x");
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(captured(c), "warning: open x: "));
	assert_non_null(strstr(c->buf, strerror(ENOENT)));
}

static void
test_long_message_stays_one_line(void **state)
{
	struct logcap	*c = *state;
	char		*big = malloc(20000);
	const char	*out;
	size_t		 len;

	assert_non_null(big);
	memset(big, 'x', 19999);
	big[19999] = '\0';
	log_info("%s", big);
	free(big);
	out = captured(c);
	len = strlen(out);
	assert_int_equal(count_lines(out), 1);
	assert_true(len > 1000 && len < 4096);
	assert_int_equal(out[len - 1], '\n');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_line_per_message,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_newline_cannot_forge_a_line,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_json_escapes_controls_and_quotes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_filters,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_warnings_counted,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_warn_appends_errno_and_keeps_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_message_stays_one_line,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
