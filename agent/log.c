/*
 * The daemon's own log. Each message is formatted once into a bounded
 * buffer and written with a single write(2), so concurrent writers (the
 * daemon and a `breaker finish` reading the same file) never interleave
 * partial lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 2048

static const char	*log_name = "breaker";
static int		 log_fd = STDERR_FILENO;
static int		 log_level = LOG_LEVEL_INFO;
static int		 log_json;
static unsigned long	 log_warnings;

void
log_init(const char *procname, int level)
{
	log_name = procname;
	log_level = level;
	log_fd = STDERR_FILENO;
}

int
log_to_file(const char *path)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return -1;
	if (log_fd != STDERR_FILENO && log_fd != -1)
		close(log_fd);
	log_fd = fd;
	return 0;
}

void
log_to_fd(int fd)
{
	log_fd = fd;
}

void
log_set_json(int on)
{
	log_json = on;
}

void
log_set_level(int level)
{
	log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

void
log_procname(const char *procname)
{
	log_name = procname;
}

unsigned long
log_count_warnings(void)
{
	return log_warnings;
}

/* Append `s` to `out` as the inside of a JSON string. */
static size_t
log_json_escape(char *out, size_t size, const char *s)
{
	size_t	n = 0;

	for (; *s != '\0' && n + 7 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)snprintf(out + n, size - n, "\\u%04x", c);
		} else
			out[n++] = (char)c;
	}
	out[n] = '\0';
	return n;
}

static void
log_emit(const char *level, const char *msg)
{
	char		 line[LOG_LINE_MAX + 256];
	char		 stamp[40];
	struct timespec	 ts;
	struct tm	 tm;
	int		 n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

	if (log_json) {
		char esc[LOG_LINE_MAX];

		log_json_escape(esc, sizeof esc, msg);
		n = snprintf(line, sizeof line,
		    "{\"ts\":\"%s.%03ldZ\",\"proc\":\"%s\",\"level\":\"%s\","
		    "\"msg\":\"%s\"}\n", stamp, ts.tv_nsec / 1000000, log_name,
		    level, esc);
	} else {
		n = snprintf(line, sizeof line, "%s.%03ldZ %s[%ld] %s: %s\n",
		    stamp, ts.tv_nsec / 1000000, log_name, (long)getpid(),
		    level, msg);
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line) {
		n = sizeof line - 1;
		line[n - 1] = '\n';
	}
	/* A failed log write has nowhere better to be reported. */
	if (write(log_fd, line, (size_t)n) == -1)
		return;
}

/* Checked like printf, so clang's -Wformat=2 accepts the forwarding. */
static void	log_vmsg(int, const char *, int, const char *, va_list)
		    __attribute__((format(printf, 4, 0)));

static void
log_vmsg(int level, const char *name, int with_errno, const char *fmt,
    va_list ap)
{
	char	msg[LOG_LINE_MAX];
	int	saved_errno = errno;
	size_t	len;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (with_errno) {
		len = strlen(msg);
		snprintf(msg + len, sizeof msg - len, ": %s",
		    strerror(saved_errno));
	}
	/* One message is one line: a newline inside would forge another. */
	for (char *p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	log_emit(name, msg);
	errno = saved_errno;
}

/* One body for every entry point; `end` is what follows the message. */
#define LOG_FN(fn, lvl, name, err, end)					\
void									\
fn(const char *fmt, ...)						\
{									\
	va_list	ap;							\
									\
	if ((lvl) == LOG_LEVEL_WARN)					\
		log_warnings++;						\
	va_start(ap, fmt);						\
	log_vmsg(lvl, name, err, fmt, ap);				\
	va_end(ap);							\
	end;								\
}

LOG_FN(log_warn, LOG_LEVEL_WARN, "warning", 1, (void)0)
LOG_FN(log_warnx, LOG_LEVEL_WARN, "warning", 0, (void)0)
LOG_FN(log_info, LOG_LEVEL_INFO, "info", 0, (void)0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, "debug", 0, (void)0)
LOG_FN(fatal, LOG_LEVEL_WARN, "fatal", 1, exit(1))
LOG_FN(fatalx, LOG_LEVEL_WARN, "fatal", 0, exit(1))
