/*
 * Helpers shared by the libFuzzer targets: silence the library's log (a
 * fuzzer prints millions of rejected inputs otherwise), and hand policy_load
 * an in-memory file, since it only takes paths: one memfd, rewritten per
 * input and named by /proc/self/fd/N, so nothing is ever written to disk.
 */
#ifndef BREAKER_FUZZ_H
#define BREAKER_FUZZ_H

#include <sys/mman.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pipeline.h"
#include "policy.h"
#include "verdict.h"

/* A failed invariant must crash so libFuzzer saves the input. */
#define FUZZ_ASSERT(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

struct fuzz_file {
	int	 fd;
	char	 path[64];
};

static inline void
fuzz_quiet(void)
{
	int	fd;

	if ((fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) != -1)
		log_to_fd(fd);
}

static inline void
fuzz_file_init(struct fuzz_file *f, const char *name)
{
	if ((f->fd = memfd_create(name, MFD_CLOEXEC)) == -1) {
		perror("memfd_create");
		abort();
	}
	snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
}

/* Replace the file's whole content. */
static inline void
fuzz_file_set(struct fuzz_file *f, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 w;
	off_t		 off = 0;

	if (ftruncate(f->fd, 0) == -1)
		abort();
	while ((size_t)off < len) {
		if ((w = pwrite(f->fd, p + off, len - off, off)) <= 0)
			abort();
		off += w;
	}
}

/* Is `needle` in s[0..n)? */
static inline int
fuzz_contains(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle)) != NULL;
}

/* Strict UTF-8: shortest form, no surrogates, at most U+10FFFF. */
static inline int
fuzz_valid_utf8(const unsigned char *s, size_t n)
{
	size_t		i = 0, k, len;
	uint32_t	cp, min;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			len = 2; cp = s[i] & 0x1f; min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3; cp = s[i] & 0x0f; min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			len = 4; cp = s[i] & 0x07; min = 0x10000;
		} else
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* No C0 control byte (tab aside) nor DEL. */
static inline int
fuzz_no_controls(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    s[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * A verdict is what reaches the job: its message has no control byte (the
 * renderer blanks them), its evidence is sanitised (no workflow command can
 * form, no control byte) and capped.
 */
static inline void
fuzz_check_verdict(const struct verdict *v)
{
	size_t	i, n;

	FUZZ_ASSERT(v->rule_id != NULL && v->message != NULL);
	FUZZ_ASSERT(fuzz_no_controls(v->message, strlen(v->message)));
	FUZZ_ASSERT(v->nevidence <= VERDICT_MAX_EVIDENCE);
	for (i = 0; i < v->nevidence; i++) {
		n = strlen(v->evidence[i]);
		FUZZ_ASSERT(n <= VERDICT_MAX_EVIDENCE_LEN + 3);
		FUZZ_ASSERT(!fuzz_contains(v->evidence[i], n, "::"));
		FUZZ_ASSERT(!fuzz_contains(v->evidence[i], n, "##["));
		FUZZ_ASSERT(fuzz_no_controls(v->evidence[i], n));
	}
}

/* Call fn on every line of data (split at LF, without it); returns lines. */
static inline size_t
fuzz_each_line(const uint8_t *data, size_t size,
    void (*fn)(const char *, size_t, void *), void *arg)
{
	const char	*p = (const char *)data, *nl;
	size_t		 n = size, len, k = 0;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		len = nl != NULL ? (size_t)(nl - p) : n;
		fn(p, len, arg);
		k++;
		if (nl == NULL)
			break;
		n -= len + 1;
		p = nl + 1;
	}
	return k;
}

struct fuzz_feed {
	struct pipeline	*pl;
	size_t		 src;
	double		 now;
};

static inline void
fuzz_feed_one(const char *line, size_t len, void *arg)
{
	struct fuzz_feed	*f = arg;

	pipeline_feed(f->pl, f->src, line, len, 0, f->now);
}

/* Feed every line of data (split at LF) to one source; returns lines. */
static inline size_t
fuzz_feed_lines(struct pipeline *pl, size_t src, const uint8_t *data,
    size_t size, double now)
{
	struct fuzz_feed	f = { pl, src, now };

	return fuzz_each_line(data, size, fuzz_feed_one, &f);
}

/* The pipeline's verdict callback of the parser targets. */
static inline void
fuzz_take_verdict(struct verdict *v, void *arg)
{
	(void)arg;
	fuzz_check_verdict(v);
	verdict_free(v);
}

/*
 * A target's fixed rule file (no defaults), loaded once at start through a
 * memfd; aborts if it does not load, and returns the index of `source`,
 * which must have `format`.
 */
static inline struct policy *
fuzz_load_rules(const char *name, const char *text, size_t len,
    const char *source, enum source_format format, size_t *idx)
{
	struct policy_load_args	 a;
	struct policy		*p;
	struct fuzz_file	 f;
	const char		*files[1];
	char			*err = NULL;

	fuzz_file_init(&f, name);
	fuzz_file_set(&f, text, len);
	files[0] = f.path;
	memset(&a, 0, sizeof a);
	a.rule_files = files;
	a.nrule_files = 1;
	a.no_defaults = 1;
	if ((p = policy_load(&a, &err)) == NULL) {
		fprintf(stderr, "%s: %s", name, err);
		abort();
	}
	free(err);
	close(f.fd);
	FUZZ_ASSERT(policy_source_index(p, source) >= 0);
	*idx = (size_t)policy_source_index(p, source);
	FUZZ_ASSERT(policy_source(p, *idx)->format == format);
	return p;
}

#endif
