/*
 * Turning byte chunks into complete lines. A partial last line is held until
 * its newline arrives (or until the caller flushes it); CRLF loses its CR;
 * a line longer than the limit is delivered as its first `max_len` bytes with
 * LINES_TRUNCATED set, and the rest is skipped up to the next newline.
 * No line is ever delivered twice and no byte is ever lost silently: after a
 * flush, the bytes that complete the line arrive as a LINES_CONTINUATION
 * line (none at all if only the newline was missing).
 */
#ifndef BREAKER_LINES_H
#define BREAKER_LINES_H

#include <stddef.h>
#include <stdint.h>

#define LINES_DEFAULT_MAX	(64 * 1024)

#define LINES_TRUNCATED		0x1	/* only the first max_len bytes */
#define LINES_UNTERMINATED	0x2	/* flushed without its newline */
#define LINES_CONTINUATION	0x4	/* the rest of a line flushed earlier */

struct lines;

/* `line` is not NUL-terminated and is valid only during the call. */
typedef void (*lines_cb)(const char *line, size_t len, int flags, void *arg);

struct lines	*lines_new(size_t max_len);
void		 lines_free(struct lines *);
void		 lines_feed(struct lines *, const char *, size_t, lines_cb,
		    void *);
/* Deliver a held partial line now (writer stopped mid-line, or EOF). */
void		 lines_flush(struct lines *, lines_cb, void *);
/* Forget any held partial line (the file was truncated or replaced). */
void		 lines_reset(struct lines *);
size_t		 lines_pending(const struct lines *);

struct lines_stats {
	uint64_t	lines;		/* lines delivered */
	uint64_t	truncated;	/* over-long lines cut */
	uint64_t	skipped_bytes;	/* bytes dropped from over-long lines */
	uint64_t	unterminated;	/* partial lines flushed */
};
void		 lines_get_stats(const struct lines *, struct lines_stats *);

/*
 * The Actions runner's prefix on every line of a downloaded step log:
 * `2026-12-04T22:10:40.8301234Z ` (UTC, exactly seven fractional digits,
 * one space), after a UTF-8 byte-order mark if there is one. Returns
 * its length (with the mark) and sets *t to its epoch seconds, or 0
 * when the line does not open with one. Seven digits tell it from an
 * engine's own ISO stamps (codex's tracing writes six), which stay.
 */
#define LINES_RUNNER_STAMP_LEN	29
size_t		 lines_runner_stamp(const char *, size_t, double *t);

#endif
