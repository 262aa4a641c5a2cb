/*
 * The line assembler under random chunking, flushes and over-long lines.
 *
 * Input: byte 0 picks max_len (1..48, small so truncation is common), bytes
 * 1-4 seed the chunking (chunk sizes, flushes between chunks), the rest is
 * the byte stream. The same stream is also fed one byte at a time to a
 * reference written from lines.h's contract; both must deliver exactly the
 * same lines with the same flags and count the same statistics, whatever
 * the chunking. The reference's own accounting proves no byte is lost and
 * none is delivered twice: every input byte is delivered, counted as
 * skipped, a newline, or a CR dropped before a line end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lines.h"
#include "xalloc.h"

/* Deliveries as a byte record: flags, length, bytes. */
struct tape {
	unsigned char	*b;
	size_t		 len, cap;
	size_t		 bytes;		/* content bytes delivered */
};

static void
tape_put(struct tape *t, const void *p, size_t n)
{
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2 + 64;
		t->b = xreallocarray(t->b, t->cap, 1);
	}
	memcpy(t->b + t->len, p, n);
	t->len += n;
}

static void
tape_line(struct tape *t, const char *s, size_t n, int flags, size_t max)
{
	unsigned char	hdr[5];

	FUZZ_ASSERT(n <= max);
	FUZZ_ASSERT(!((flags & LINES_TRUNCATED) && n != max));
	hdr[0] = (unsigned char)flags;
	memcpy(hdr + 1, &(uint32_t){ (uint32_t)n }, 4);
	tape_put(t, hdr, sizeof hdr);
	tape_put(t, s, n);
	t->bytes += n;
}

struct real {
	struct tape	 tape;
	size_t		 max;
};

static void
real_cb(const char *s, size_t n, int flags, void *arg)
{
	struct real	*r = arg;

	tape_line(&r->tape, s, n, flags, r->max);
}

/* The reference: one byte at a time, unbounded simplicity. */
struct ref {
	size_t			 max;
	char			*buf;		/* max + 2 bytes */
	size_t			 len;
	int			 skipping, continued;
	struct lines_stats	 st;
	uint64_t		 newlines, crs;
	uint64_t		 skipped_crs;	/* CR of a skipped line's CRLF */
	int			 last_cr;	/* last byte skipped was CR */
	struct tape		 tape;
};

static void
ref_deliver(struct ref *r, const char *s, size_t n, int flags)
{
	if (r->continued) {
		r->continued = 0;
		if (n == 0 && !(flags & LINES_TRUNCATED))
			return;
		flags |= LINES_CONTINUATION;
	}
	r->st.lines++;
	tape_line(&r->tape, s, n, flags, r->max);
}

static void
ref_end(struct ref *r, int flags)
{
	size_t	n = r->len;

	if (n > 0 && r->buf[n - 1] == '\r') {
		n--;
		r->crs++;
	}
	r->len = 0;
	if (n > r->max) {
		r->st.truncated++;
		r->st.skipped_bytes += n - r->max;
		ref_deliver(r, r->buf, r->max, flags | LINES_TRUNCATED);
	} else
		ref_deliver(r, r->buf, n, flags);
}

static void
ref_byte(struct ref *r, char c)
{
	if (c == '\n') {
		r->newlines++;
		if (r->skipping) {
			r->skipping = 0;
			r->skipped_crs += r->last_cr;
		} else
			ref_end(r, 0);
		r->last_cr = 0;
		return;
	}
	r->last_cr = c == '\r';
	if (r->skipping) {
		r->st.skipped_bytes++;
		return;
	}
	r->buf[r->len++] = c;
	/* max bytes plus a possible CR fit; one more is an over-long line */
	if (r->len == r->max + 2) {
		r->st.truncated++;
		r->st.skipped_bytes += 2;
		r->len = 0;
		r->skipping = 1;
		ref_deliver(r, r->buf, r->max, LINES_TRUNCATED);
	}
}

static void
ref_flush(struct ref *r)
{
	if (r->len == 0)
		return;
	r->st.unterminated++;
	ref_end(r, LINES_UNTERMINATED);
	r->continued = 1;
}

static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lines		*l;
	struct lines_stats	 st;
	struct real		 real;
	struct ref		 ref;
	const char		*p;
	size_t			 max, n, i, chunk;
	uint32_t		 seed;

	if (size < 5)
		return 0;
	max = 1 + data[0] % 48;
	memcpy(&seed, data + 1, 4);
	seed |= 1;
	p = (const char *)data + 5;
	n = size - 5;

	memset(&real, 0, sizeof real);
	memset(&ref, 0, sizeof ref);
	real.max = ref.max = max;
	ref.buf = xmalloc(max + 2);
	l = lines_new(max);

	for (i = 0; i < n; i += chunk) {
		chunk = 1 + rnd(&seed) % (3 * max + 2);
		if (chunk > n - i)
			chunk = n - i;
		lines_feed(l, p + i, chunk, real_cb, &real);
		for (size_t k = 0; k < chunk; k++)
			ref_byte(&ref, p[i + k]);
		FUZZ_ASSERT(lines_pending(l) <= max + 1);
		if (rnd(&seed) % 8 == 0) {
			lines_flush(l, real_cb, &real);
			ref_flush(&ref);
			FUZZ_ASSERT(lines_pending(l) == 0);
		}
	}
	lines_flush(l, real_cb, &real);
	ref_flush(&ref);

	/* Same lines, same flags, same order, same counts. */
	FUZZ_ASSERT(real.tape.len == ref.tape.len);
	FUZZ_ASSERT(ref.tape.len == 0 ||
	    memcmp(real.tape.b, ref.tape.b, ref.tape.len) == 0);
	lines_get_stats(l, &st);
	FUZZ_ASSERT(st.lines == ref.st.lines);
	FUZZ_ASSERT(st.truncated == ref.st.truncated);
	/*
	 * The CR of an over-long line's CRLF is a line end, not skipped
	 * content, wherever the chunks split it (lines_complete strips it
	 * too); the reference counts it apart.
	 */
	FUZZ_ASSERT(st.skipped_bytes + ref.skipped_crs == ref.st.skipped_bytes);
	FUZZ_ASSERT(st.unterminated == ref.st.unterminated);
	/* Every byte accounted for exactly once. */
	FUZZ_ASSERT(ref.tape.bytes + ref.st.skipped_bytes + ref.newlines +
	    ref.crs == n);

	lines_free(l);
	free(ref.buf);
	free(real.tape.b);
	free(ref.tape.b);
	return 0;
}
