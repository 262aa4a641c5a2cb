/*
 * breaker's own logging, after OpenSMTPD's log.h: one line per message, to
 * stderr (foreground) or to a file (the daemon), as text or as JSON lines.
 * Nothing logged here may contain engine text that has not been redacted
 * (see sanitise_redact): log lines end up in runner diagnostics.
 */
#ifndef BREAKER_LOG_H
#define BREAKER_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_WARN = 0,	/* warnings and errors only */
	LOG_LEVEL_INFO = 1,	/* the default */
	LOG_LEVEL_DEBUG = 2,
};

/* Start logging to stderr as `procname` at `level`. */
void	log_init(const char *procname, int level);
/* Log to this file (appended) instead of stderr; -1 on error, errno set. */
int	log_to_file(const char *path);
/* Log to an already open descriptor (the daemon's log after daemonising). */
void	log_to_fd(int fd);
/* Emit JSON lines ({"ts":…,"level":…,"msg":…}) instead of text. */
void	log_set_json(int on);
void	log_set_level(int level);
int	log_get_level(void);
/* Change the name that prefixes each line ("breaker", "breaker-daemon"). */
void	log_procname(const char *procname);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void fatal(const char *, ...)
	__attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void fatalx(const char *, ...)
	__attribute__((format(printf, 1, 2)));

/* Counters of messages by level, for `breaker status` and tests. */
unsigned long	log_count_warnings(void);

#endif
