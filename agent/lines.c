/*
 * Turning byte chunks into complete lines.
 *
 * The buffer holds at most max_len + 1 bytes of one partial line: the extra
 * byte lets a line of exactly max_len bytes keep the CR of its CRLF until the
 * LF arrives. A line that grows beyond that is delivered at once, cut to
 * max_len bytes, and the rest is skipped up to its newline: a writer that
 * never ends a line can cost us neither memory nor the file (Fluent Bit's
 * old default dropped the whole file on one long line).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lines.h"
#include "xalloc.h"

struct lines {
	size_t			 max;
	char			*buf;	/* max + 1 bytes */
	size_t			 len;
	int			 skipping;	/* inside an over-long line */
	int			 skipped_cr;	/* and its last skipped byte
						   was a CR */
	int			 continued;	/* a flushed line is not yet
						   ended by its newline */
	struct lines_stats	 st;
};

struct lines *
lines_new(size_t max_len)
{
	struct lines	*l;

	if (max_len == 0)
		max_len = LINES_DEFAULT_MAX;
	l = xcalloc(1, sizeof *l);
	l->max = max_len;
	l->buf = xmalloc(max_len + 1);
	return l;
}

void
lines_free(struct lines *l)
{
	if (l == NULL)
		return;
	free(l->buf);
	free(l);
}

static void
lines_deliver(struct lines *l, const char *s, size_t n, int flags,
    lines_cb cb, void *arg)
{
	if (l->continued) {
		l->continued = 0;
		/* Only the newline of a flushed line: nothing new to say. */
		if (n == 0 && !(flags & LINES_TRUNCATED))
			return;
		flags |= LINES_CONTINUATION;
	}
	l->st.lines++;
	cb(s, n, flags, arg);
}

/* A whole line (without its LF) is in s[0..n). */
static void
lines_complete(struct lines *l, const char *s, size_t n, lines_cb cb,
    void *arg)
{
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n > l->max) {
		l->st.truncated++;
		l->st.skipped_bytes += n - l->max;
		lines_deliver(l, s, l->max, LINES_TRUNCATED, cb, arg);
		return;
	}
	lines_deliver(l, s, n, 0, cb, arg);
}

/*
 * The held line has overflowed with `extra` more bytes before its end:
 * deliver the head now and skip the rest up to the newline.
 */
static void
lines_overflow(struct lines *l, size_t extra, lines_cb cb, void *arg)
{
	l->st.truncated++;
	l->st.skipped_bytes += l->len - l->max + extra;
	l->len = 0;
	lines_deliver(l, l->buf, l->max, LINES_TRUNCATED, cb, arg);
}

/*
 * Consume bytes of an over-long line; returns how many were used. A CR is
 * counted as skipped content until an LF right after it (perhaps in a later
 * chunk) shows it was the line's CRLF, as lines_complete() sees it.
 */
static size_t
lines_skip(struct lines *l, const char *p, size_t n)
{
	const char	*nl;
	size_t		 k;

	if ((nl = memchr(p, '\n', n)) == NULL) {
		l->st.skipped_bytes += n;
		l->skipped_cr = p[n - 1] == '\r';
		return n;
	}
	k = (size_t)(nl - p);
	l->st.skipped_bytes += k;
	if (k > 0 ? p[k - 1] == '\r' : l->skipped_cr)
		l->st.skipped_bytes--;
	l->skipping = 0;
	l->skipped_cr = 0;
	return k + 1;
}

/* Consume one segment (up to and including a newline); returns its size. */
static size_t
lines_segment(struct lines *l, const char *p, size_t n, lines_cb cb,
    void *arg)
{
	const char	*nl;
	size_t		 seg, room;

	nl = memchr(p, '\n', n);
	seg = nl != NULL ? (size_t)(nl - p) : n;
	if (l->len == 0 && nl != NULL) {
		/* The common case: a whole line inside the chunk, no copy. */
		lines_complete(l, p, seg, cb, arg);
		return seg + 1;
	}
	room = l->max + 1 - l->len;
	if (seg > room) {
		/* seg > room >= 0: p[seg - 1] is among the skipped bytes */
		memcpy(l->buf + l->len, p, room);
		l->len += room;
		if (nl != NULL)
			lines_overflow(l, seg - room - (p[seg - 1] == '\r'), cb,
			    arg);
		else {
			lines_overflow(l, seg - room, cb, arg);
			l->skipping = 1;
			l->skipped_cr = p[seg - 1] == '\r';
		}
		return nl != NULL ? seg + 1 : n;
	}
	memcpy(l->buf + l->len, p, seg);
	l->len += seg;
	if (nl == NULL)
		return n;
	lines_complete(l, l->buf, l->len, cb, arg);
	l->len = 0;
	return seg + 1;
}

void
lines_feed(struct lines *l, const char *p, size_t n, lines_cb cb, void *arg)
{
	size_t	used;

	while (n > 0) {
		if (l->skipping)
			used = lines_skip(l, p, n);
		else
			used = lines_segment(l, p, n, cb, arg);
		p += used;
		n -= used;
	}
}

void
lines_flush(struct lines *l, lines_cb cb, void *arg)
{
	size_t	n = l->len;

	if (n == 0)
		return;
	/* A CR held for a CRLF that never came is still not content. */
	if (l->buf[n - 1] == '\r')
		n--;
	l->len = 0;
	l->st.unterminated++;
	if (n > l->max) {
		l->st.truncated++;
		l->st.skipped_bytes += n - l->max;
		n = l->max;
		lines_deliver(l, l->buf, n, LINES_TRUNCATED |
		    LINES_UNTERMINATED, cb, arg);
	} else
		lines_deliver(l, l->buf, n, LINES_UNTERMINATED, cb, arg);
	/* Whatever arrives before the next newline completes this line. */
	l->continued = 1;
}

void
lines_reset(struct lines *l)
{
	l->len = 0;
	l->skipping = 0;
	l->skipped_cr = 0;
	l->continued = 0;
}

size_t
lines_pending(const struct lines *l)
{
	return l->len;
}

void
lines_get_stats(const struct lines *l, struct lines_stats *st)
{
	*st = l->st;
}

static int
digits(const char *s, size_t n, int *out)
{
	size_t	i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*out = *out * 10 + (s[i] - '0');
	}
	return 0;
}

size_t
lines_runner_stamp(const char *l, size_t len, double *t)
{
	struct tm	tm;
	int		y, mo, d, h, mi, se, frac;
	size_t		bom = 0;

	/* A downloaded log's first line may carry a UTF-8 byte-order mark. */
	if (len >= 3 && memcmp(l, "\xef\xbb\xbf", 3) == 0) {
		bom = 3;
		l += 3;
		len -= 3;
	}
	if (len < LINES_RUNNER_STAMP_LEN || l[4] != '-' || l[7] != '-' ||
	    l[10] != 'T' || l[13] != ':' || l[16] != ':' || l[19] != '.' ||
	    l[27] != 'Z' || l[28] != ' ')
		return 0;
	if (digits(l, 4, &y) || digits(l + 5, 2, &mo) || digits(l + 8, 2,
	    &d) || digits(l + 11, 2, &h) || digits(l + 14, 2, &mi) ||
	    digits(l + 17, 2, &se) || digits(l + 20, 7, &frac))
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return 0;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*t = (double)timegm(&tm) + frac / 1e7;
	return bom + LINES_RUNNER_STAMP_LEN;
}
