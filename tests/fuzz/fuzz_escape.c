/*
 * The workflow-command escaper and the neutraliser.
 *
 * Escaping must round-trip through the runner's own unescaping, written
 * here from its rules (actions/runner ActionCommand.cs): for each mapping in
 * order, a global ordinal Replace of the escape by its character; data
 * mappings are %0D, %0A, then %25; property mappings %0D, %0A, %3A, %2C,
 * then %25. "%25" last is what makes "%250A" come back as "%0A".
 *
 * Neutralised (and sanitised) text must never be able to form a command:
 * no "::" anywhere (covers a line starting with "::" after the runner trims
 * it), no legacy "##[" anywhere, no CR or LF, no other C0 control, and valid
 * UTF-8 only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "annotate.h"
#include "sanitise.h"
#include "fuzz.h"
#include "xalloc.h"

struct mapping {
	const char	*esc;
	char		 c;
};

static const struct mapping data_map[] = {
	{ "%0D", '\r' }, { "%0A", '\n' }, { "%25", '%' },
};
static const struct mapping prop_map[] = {
	{ "%0D", '\r' }, { "%0A", '\n' }, { "%3A", ':' }, { "%2C", ',' },
	{ "%25", '%' },
};

/* One C# string.Replace(esc, c): left to right, non-overlapping. */
static char *
replace(const char *s, const struct mapping *m)
{
	char	*out = xmalloc(strlen(s) + 1), *o = out;

	while (*s != '\0') {
		if (strncmp(s, m->esc, 3) == 0) {
			*o++ = m->c;
			s += 3;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

static char *
unescape(const char *s, const struct mapping *map, size_t n)
{
	char	*cur = xstrdup(s), *next;
	size_t	 i;

	for (i = 0; i < n; i++) {
		next = replace(cur, &map[i]);
		free(cur);
		cur = next;
	}
	return cur;
}

static void
check_inert(const char *s)
{
	size_t	n = strlen(s);

	FUZZ_ASSERT(!fuzz_contains(s, n, "::"));
	FUZZ_ASSERT(!fuzz_contains(s, n, "##["));
	FUZZ_ASSERT(fuzz_no_controls(s, n));
	FUZZ_ASSERT(fuzz_valid_utf8((const unsigned char *)s, n));
}

static void
check_escape(const char *in)
{
	char	*e, *u;

	e = annotate_escape_data(in);
	FUZZ_ASSERT(strchr(e, '\r') == NULL && strchr(e, '\n') == NULL);
	u = unescape(e, data_map, sizeof data_map / sizeof data_map[0]);
	FUZZ_ASSERT(strcmp(u, in) == 0);
	free(u);
	free(e);

	e = annotate_escape_property(in);
	FUZZ_ASSERT(strpbrk(e, "\r\n:,") == NULL);
	u = unescape(e, prop_map, sizeof prop_map / sizeof prop_map[0]);
	FUZZ_ASSERT(strcmp(u, in) == 0);
	free(u);
	free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*in, *s, *e;

	/* The escapers take C strings: stop at the first NUL. */
	in = xstrndup((const char *)data, size);
	check_escape(in);

	s = sanitise_neutralise((const char *)data, size);
	check_inert(s);
	/* What is printed is the escaped neutralised text: still inert. */
	e = annotate_escape_data(s);
	check_inert(e);
	free(e);
	free(s);

	s = sanitise_text((const char *)data, size);
	check_inert(s);
	free(s);

	s = sanitise_redact((const char *)data, size, NULL);
	free(s);
	free(in);
	return 0;
}
