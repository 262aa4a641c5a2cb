/*
 * The one sanitising path (agent/sanitise.c) against secrets of every kind
 * embedded in random text.
 *
 * The input is a small program. Its first two bytes choose a cut; then
 * every byte is filler text (any byte, with A-Z folded to lower case, so
 * filler can never spell a secret's body) except 0x01, which is followed
 * by three bytes: a secret kind, the text written right before it (a JSON
 * escape, a %XX, a quote, a letter, a digit…) and a seed for its body. A
 * body has an upper-case letter from a set that shares no letter with
 * "REDACTED" at every 4th byte, so any 8 bytes of it seen in the output
 * can only have leaked from that secret.
 *
 * For sanitise_text, sanitise_text_cut (at the chosen cut), sanitise_value
 * and sanitise_markdown:
 *  - no 8-byte window of a secret's body survives (windows at every 4th
 *    byte: a leak of 11 bytes or more is caught), once the backslashes
 *    and zero-width spaces the Markdown form inserts are dropped;
 *  - no "::", no "##[" (not even across the zero-width characters ICU
 *    ignores), no CR, LF, NUL or other C0 control; valid UTF-8;
 *  - every NUL of the input is shown as U+2400 (uncut forms).
 * The one kind that needs a boundary, the bare "sk-", is only preceded by
 * one ("task-…" is prose): see docs/annotations.md.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sanitise.h"
#include "xalloc.h"

#define TEXT_MAX	2048	/* bytes of text built from one input */
#define SECRETS_MAX	16
#define WINDOW		8
#define ZWSP		"\xe2\x80\x8b"
#define NUL_PIC		"\xe2\x90\x80"

enum alphabet { ALNUM, TOK, PAT, UPPERDIGIT, JWT };

static const struct kind {
	const char	*prefix;
	enum alphabet	 alpha;
	size_t		 len;		/* body bytes, plus up to 15 */
	int		 bare;		/* needs a boundary before it */
} kinds[] = {
	{ "sk-ant-api03-",		TOK,	 80, 0 },
	{ "sk-ant-admin01-",		TOK,	 80, 0 },
	{ "sk-ant-oat01-",		TOK,	 80, 0 },
	{ "sk-proj-",			TOK,	 48, 0 },
	{ "sk-svcacct-",		TOK,	 48, 0 },
	{ "sk-admin-",			TOK,	 48, 0 },
	{ "sk-",			ALNUM,	 48, 1 },
	{ "ghp_",			ALNUM,	 36, 0 },
	{ "gho_",			ALNUM,	 36, 0 },
	{ "ghu_",			ALNUM,	 36, 0 },
	{ "ghs_",			ALNUM,	 36, 0 },
	{ "ghr_",			ALNUM,	 36, 0 },
	{ "github_pat_",		PAT,	 82, 0 },
	{ "AIza",			TOK,	 35, 0 },
	{ "ya29.",			TOK,	 60, 0 },
	{ "AKIA",			UPPERDIGIT, 16, 0 },
	{ "ASIA",			UPPERDIGIT, 16, 0 },
	{ "eyJ",			JWT,	 60, 0 },
	{ "Bearer ",			TOK,	 24, 0 },
	{ "Basic ",			ALNUM,	 24, 0 },
	{ "bearer%20",			TOK,	 24, 0 },
	{ "Authorization: Bearer ",	TOK,	 24, 0 },
	{ "Authorization: Basic ",	ALNUM,	 24, 0 },
	{ "x-api-key: ",		TOK,	 24, 0 },
	{ "api_key=",			TOK,	 24, 0 },
	{ "api_key%3D",			TOK,	 24, 0 },
	{ "\"api_key\": \"",		TOK,	 24, 0 },
	{ "\\\"apiKey\\\":\\\"",	TOK,	 24, 0 },
	{ "token=",			TOK,	 24, 0 },
	{ "GITHUB_TOKEN%3A",		TOK,	 24, 0 },
	{ "password=",			TOK,	 24, 0 },
	{ "client_secret=",		TOK,	 24, 0 },
};

/* What is written right before a secret. */
static const char *before[] = {
	" ", "\\n", "\\t", "\\r", "\\\"", "\\u0022", "%3D", "%20", "%3A",
	"%3a", "%22", "=", ":", "\"", "'", "(", "/", "?", "&", ",",
	/* not boundaries: only before a kind that needs none */
	"", "a", "x", "Q", "0", "7", "_", "-", ".",
};
#define BOUNDARIES	20	/* before[0..19] are boundaries */

static const char upper_set[] = "BFGHJKLMNPQSUVWXYZ";	/* not in REDACTED */

struct secret {
	char	body[128];
	size_t	len;
};

struct text {
	char		 buf[TEXT_MAX + 512];
	size_t		 len;
	size_t		 nuls;
	struct secret	 sec[SECRETS_MAX];
	size_t		 nsec;
};

static uint32_t
next_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static char
body_char(enum alphabet a, size_t k, uint32_t *x)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	uint32_t	r = next_rand(x);

	if (a == JWT && (k == 24 || k == 44))
		return '.';
	if (k % 4 == 0)
		return upper_set[r % (sizeof upper_set - 1)];
	if (k % 4 == 1)		/* a digit: the bare sk- needs one */
		return "0123456789"[r % 10];
	switch (a) {
	case TOK:
		return r % 8 == 0 ? "-_"[r / 8 % 2] : alnum[r / 8 % 62];
	case PAT:
		return r % 8 == 0 ? '_' : alnum[r / 8 % 62];
	case UPPERDIGIT:
		return alnum[26 + r / 8 % 36];
	case JWT:
		return r % 8 == 0 ? "-_"[r / 8 % 2] : alnum[r / 8 % 62];
	default:
		return alnum[r / 8 % 62];
	}
}

static void
add_bytes(struct text *t, const char *s, size_t n)
{
	memcpy(t->buf + t->len, s, n);
	t->len += n;
}

static void
add_secret(struct text *t, uint8_t kind, uint8_t pre, uint8_t seed)
{
	const struct kind	*k = &kinds[kind % (sizeof kinds /
				    sizeof kinds[0])];
	struct secret		*s = &t->sec[t->nsec++];
	const char		*b;
	uint32_t		 x = 0x9e3779b9u ^ (uint32_t)seed << 8 ^ kind;
	size_t			 i;

	b = k->bare ? before[pre % BOUNDARIES] :
	    before[pre % (sizeof before / sizeof before[0])];
	add_bytes(t, b, strlen(b));
	add_bytes(t, k->prefix, strlen(k->prefix));
	s->len = k->len + seed % 16;
	for (i = 0; i < s->len; i++)
		s->body[i] = body_char(k->alpha, i, &x);
	add_bytes(t, s->body, s->len);
}

static void
build(struct text *t, const uint8_t *d, size_t n)
{
	size_t	i = 0;
	uint8_t	c;

	t->len = t->nuls = t->nsec = 0;
	while (i < n && t->len < TEXT_MAX) {
		c = d[i++];
		if (c == 0x01 && i + 3 <= n && t->nsec < SECRETS_MAX) {
			add_secret(t, d[i], d[i + 1], d[i + 2]);
			i += 3;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c == '\0')
			t->nuls++;
		t->buf[t->len++] = (char)c;
	}
	t->buf[t->len] = '\0';	/* the Markdown form takes a C string */
}

/* The output without the backslashes and zero-width spaces Markdown adds. */
static char *
canonical(const char *s)
{
	char	*out = xmalloc(strlen(s) + 1), *o = out;

	while (*s != '\0') {
		if (*s == '\\')
			s++;
		else if (strncmp(s, ZWSP, 3) == 0)
			s += 3;
		else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

static void
check_no_secret(const struct text *t, const char *out)
{
	char	*c = canonical(out);
	size_t	 i, k, n = strlen(c);

	for (i = 0; i < t->nsec; i++)
		for (k = 0; k + WINDOW <= t->sec[i].len; k += 4)
			FUZZ_ASSERT(memmem(c, n, t->sec[i].body + k,
			    WINDOW) == NULL);
	free(c);
}

/* "##[" with the zero-width characters ICU's search skips taken out. */
static int
legacy_form(const char *s)
{
	static const char *ign[] = { ZWSP, "\xc2\xad", "\xe2\x81\xa0",
	    "\xe2\x80\x8c", "\xe2\x80\x8d", "\xef\xbb\xbf", "\xcd\x8f" };
	char	*out = xmalloc(strlen(s) + 1), *o = out;
	size_t	 k;
	int	 found, skipped;

	while (*s != '\0') {
		skipped = 0;
		for (k = 0; k < sizeof ign / sizeof ign[0]; k++)
			if (strncmp(s, ign[k], strlen(ign[k])) == 0) {
				s += strlen(ign[k]);
				skipped = 1;
				break;
			}
		if (!skipped)
			*o++ = *s++;
	}
	*o = '\0';
	found = strstr(out, "##[") != NULL;
	free(out);
	return found;
}

static size_t
count(const char *s, const char *needle)
{
	size_t	n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static void
check_inert(const char *s)
{
	size_t	n = strlen(s);

	FUZZ_ASSERT(!fuzz_contains(s, n, "::"));
	FUZZ_ASSERT(!legacy_form(s));
	FUZZ_ASSERT(fuzz_no_controls(s, n));
	FUZZ_ASSERT(strchr(s, '\t') == NULL);
	FUZZ_ASSERT(fuzz_valid_utf8((const unsigned char *)s, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct text	 t;
	size_t			 cut;
	char			*s;

	if (size < 2)
		return 0;
	cut = ((size_t)data[0] | (size_t)data[1] << 8) % 1024 + 1;
	build(&t, data + 2, size - 2);

	s = sanitise_text(t.buf, t.len);
	check_inert(s);
	check_no_secret(&t, s);
	FUZZ_ASSERT(count(s, NUL_PIC) >= t.nuls);
	free(s);

	s = sanitise_text_cut(t.buf, t.len, cut);
	check_inert(s);
	check_no_secret(&t, s);
	FUZZ_ASSERT(strlen(s) <= cut);
	free(s);

	s = sanitise_value(t.buf, t.len, cut);
	check_inert(s);
	check_no_secret(&t, s);
	free(s);

	s = sanitise_markdown(t.buf, 0);
	check_inert(s);
	check_no_secret(&t, s);
	free(s);
	return 0;
}
