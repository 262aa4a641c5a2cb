/*
 * The one sanitising path: redact, then neutralise, on whole values, and
 * only then cut. See include/sanitise.h and docs/annotations.md.
 *
 * Redaction looks for three shapes:
 *   - keys with a provider prefix (sk-ant-, sk-proj-, ghp_, AIza, AKIA…);
 *     distinctive prefixes count wherever they start, even glued to a
 *     word, because an escape (the "n" of a JSON "\n") or URL encoding
 *     (the "D" of "%3D") often sits right before them;
 *   - scheme tokens (Bearer …, Basic …) and JWTs (eyJ….….…);
 *   - assignments and headers: api_key=, token:, "password": "…",
 *     Authorization: Basic …, with =, :, %3D, %3A and plain, escaped or
 *     URL-encoded quotes.
 * The one prefix that needs a boundary is the bare "sk-" (task-…,
 * disk-…): a boundary is "not a key character of the same class", and
 * a JSON escape (\n, \t, \uXXXX) or a %XX before it counts as one.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sanitise.h"
#include "util.h"
#include "xalloc.h"

#define REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD */
#define FULLWIDTH_HASH	"\xef\xbc\x83"	/* U+FF03 ＃ */

/* ---- a growing buffer, NUL-terminated at every step ---- */

struct sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void
sbuf_add(struct sbuf *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sbuf_str(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

/* ---- character classes ---- */

static int
is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static int
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
is_tok(unsigned char c)		/* API-key body: base62 plus - and _ */
{
	return is_alnum(c) || c == '-' || c == '_';
}

static int
is_pat(unsigned char c)		/* github_pat_ body */
{
	return is_alnum(c) || c == '_';
}

static int
is_upper_digit(unsigned char c)	/* AWS access key id body */
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

static int
is_dotted(unsigned char c)	/* Google OAuth access token body */
{
	return is_tok(c) || c == '.';
}

static int
is_b64(unsigned char c)		/* RFC 6750 token68 */
{
	return is_tok(c) || c == '.' || c == '~' || c == '+' || c == '/' ||
	    c == '=';
}

static int
is_cred(unsigned char c)	/* a header or assignment value */
{
	return c > ' ' && c != 0x7f && c != '"' && c != '\'' && c != ',' &&
	    c != ';' && c != '<' && c != '>' && c != ')' && c != ']' &&
	    c != '}';
}

static int
is_word(unsigned char c)
{
	return is_alnum(c) || c == '-';
}

static size_t
span(const char *s, size_t len, size_t i, int (*cls)(unsigned char))
{
	size_t	j = i;

	while (j < len && cls((unsigned char)s[j]))
		j++;
	return j - i;
}

static int
has_digit(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (s[i] >= '0' && s[i] <= '9')
			return 1;
	return 0;
}

/* A value that looks like a credential rather than a word of prose. */
static int
keyish(const char *s, size_t n)
{
	return (n >= 8 && has_digit(s, n)) || n >= 16;
}

static int
ci_at(const char *s, size_t len, size_t i, const char *word)
{
	size_t	n = strlen(word);

	return i + n <= len && strncasecmp(s + i, word, n) == 0;
}

/* s[..i) ends with a JSON escape (\n \t \r \b \f \uXXXX) or a %XX. */
static int
escape_before(const char *s, size_t i)
{
	const unsigned char	*u = (const unsigned char *)s;

	if (i >= 2 && u[i - 2] == '\\' && strchr("ntrbf", u[i - 1]) != NULL &&
	    u[i - 1] != '\0')
		return 1;
	if (i >= 3 && u[i - 3] == '%' && is_hex(u[i - 2]) && is_hex(u[i - 1]))
		return 1;
	return i >= 6 && u[i - 6] == '\\' && u[i - 5] == 'u' &&
	    is_hex(u[i - 4]) && is_hex(u[i - 3]) && is_hex(u[i - 2]) &&
	    is_hex(u[i - 1]);
}

/* A boundary: not a key character of the same class, or an escape. */
static int
boundary(const char *s, size_t i, int (*cls)(unsigned char))
{
	return i == 0 || !cls((unsigned char)s[i - 1]) || escape_before(s, i);
}

/* ---- redaction matchers: each gives the match length at i (0: none) and
 * how many of its bytes stay verbatim (a header name, a scheme word) ---- */

struct redact_hit {
	size_t	keep;
	size_t	len;
};

static const struct key_kind {
	const char	*prefix;
	int		(*cls)(unsigned char);
	size_t		 min;		/* body characters at least */
	int		 need_digit;
	int		 anywhere;	/* distinctive: no boundary needed */
} key_kinds[] = {
	/* Anthropic: sk-ant-api03-, sk-ant-admin01-, sk-ant-oat01- */
	{ "sk-ant-",	 is_tok,	 16, 0, 1 },
	/* OpenAI: project, service-account, admin keys */
	{ "sk-proj-",	 is_tok,	 16, 0, 1 },
	{ "sk-svcacct-", is_tok,	 16, 0, 1 },
	{ "sk-admin-",	 is_tok,	 16, 0, 1 },
	/* OpenAI legacy and any other sk- key: "task-…" is prose */
	{ "sk-",	 is_tok,	 20, 1, 0 },
	/* GitHub: personal, OAuth, user-to-server, server, refresh, fine */
	{ "ghp_",	 is_alnum,	 20, 0, 1 },
	{ "gho_",	 is_alnum,	 20, 0, 1 },
	{ "ghu_",	 is_alnum,	 20, 0, 1 },
	{ "ghs_",	 is_alnum,	 20, 0, 1 },
	{ "ghr_",	 is_alnum,	 20, 0, 1 },
	{ "github_pat_", is_pat,	 20, 0, 1 },
	/* Google: API keys, OAuth access tokens */
	{ "AIza",	 is_tok,	 30, 0, 1 },
	{ "ya29.",	 is_dotted,	 20, 0, 1 },
	/* AWS access key ids (long-term, temporary) */
	{ "AKIA",	 is_upper_digit, 16, 0, 1 },
	{ "ASIA",	 is_upper_digit, 16, 0, 1 },
};

static size_t
redact_prefixed(const char *s, size_t len, size_t i)
{
	const struct key_kind	*k;
	size_t			 n, p, body;

	for (n = 0; n < nitems(key_kinds); n++) {
		k = &key_kinds[n];
		if (s[i] != k->prefix[0])
			continue;
		p = strlen(k->prefix);
		if (i + p > len || memcmp(s + i, k->prefix, p) != 0)
			continue;
		if (!k->anywhere && !boundary(s, i, k->cls))
			continue;
		body = span(s, len, i + p, k->cls);
		if (body < k->min)
			continue;
		if (k->need_digit && !has_digit(s + i + p, body))
			continue;
		return p + body;
	}
	return 0;
}

/* eyJ… is base64url of '{"': a JWT or a JSON blob that may hold secrets. */
static size_t
redact_jwt(const char *s, size_t len, size_t i)
{
	size_t	body, j, dots = 0;

	if (i + 3 > len || memcmp(s + i, "eyJ", 3) != 0)
		return 0;
	body = span(s, len, i + 3, is_tok);
	if (body < 10)
		return 0;
	j = i + 3 + body;
	while (j < len && s[j] == '.') {
		j += 1 + span(s, len, j + 1, is_tok);
		dots++;
	}
	if ((dots > 0 && j - i >= 30) || body >= 40)
		return j - i;
	return 0;
}

/* Space between a scheme word and its token: blanks, "+" or "%20". */
static size_t
skip_gap(const char *s, size_t len, size_t j)
{
	for (;;) {
		if (j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '+'))
			j++;
		else if (ci_at(s, len, j, "%20"))
			j += 3;
		else
			return j;
	}
}

/* "Bearer <token>", "Basic <token>": prose ("Bearer authentication
 * failed") has no digit and is short. */
static struct redact_hit
redact_scheme_token(const char *s, size_t len, size_t i)
{
	static const char	*words[] = { "bearer", "basic" };
	struct redact_hit	 h = { 0, 0 };
	size_t			 w, j, tok;

	for (w = 0; w < nitems(words); w++)
		if ((s[i] | 0x20) == words[w][0] && ci_at(s, len, i, words[w]))
			break;
	if (w == nitems(words))
		return h;
	j = skip_gap(s, len, i + strlen(words[w]));
	if (j == i + strlen(words[w]))
		return h;
	tok = span(s, len, j, is_b64);
	if (tok < 8 || (!has_digit(s + j, tok) && tok < 24))
		return h;
	h.keep = j - i;
	h.len = j - i + tok;
	return h;
}

static int
is_scheme(const char *s, size_t n)
{
	static const char *schemes[] = { "bearer", "basic", "token", "digest",
	    "negotiate", "ntlm", "apikey", "key", "hoba", "mutual", "vapid",
	    "dpop", "aws4-hmac-sha256" };
	size_t	k;

	for (k = 0; k < nitems(schemes); k++)
		if (strlen(schemes[k]) == n && strncasecmp(s, schemes[k], n) == 0)
			return 1;
	return 0;
}

/* A quote as written raw, JSON-escaped or URL-encoded: its length. */
static size_t
quote_at(const char *s, size_t len, size_t j)
{
	if (j < len && (s[j] == '"' || s[j] == '\''))
		return 1;
	if (j + 1 < len && s[j] == '\\' && (s[j + 1] == '"' ||
	    s[j + 1] == '\''))
		return 2;
	if (ci_at(s, len, j, "%22") || ci_at(s, len, j, "%27"))
		return 3;
	return 0;
}

/* ":" or "=", raw or URL-encoded: its length. */
static size_t
assign_at(const char *s, size_t len, size_t j)
{
	if (j < len && (s[j] == ':' || s[j] == '='))
		return 1;
	if (ci_at(s, len, j, "%3a") || ci_at(s, len, j, "%3d"))
		return 3;
	return 0;
}

enum value_kind {
	VALUE_AUTH,	/* scheme word stays, the credential goes */
	VALUE_ANY,	/* any value */
	VALUE_KEYISH,	/* a key-like value: 8+ with a digit, or 16+ */
};

/* After a name: quote, blanks, = or :, blanks, quote; 0 if not there. */
static size_t
assignment_value(const char *s, size_t len, size_t j)
{
	size_t	n;

	j += quote_at(s, len, j);
	while (j < len && s[j] == ' ')
		j++;
	if ((n = assign_at(s, len, j)) == 0)
		return 0;
	j += n;
	for (;;) {
		if (j < len && s[j] == ' ')
			j++;
		else if ((n = quote_at(s, len, j)) > 0 || (n =
		    ci_at(s, len, j, "%20") ? 3 : 0) > 0)
			j += n;
		else
			return j;
	}
}

/*
 * `Authorization: Bearer x`, `"x-api-key": "x"`, `api_key%3Dx`,
 * `password=x`: a name (anywhere, so GITHUB_TOKEN= and client_secret=
 * count), then assignment_value(), then the value.
 */
static struct redact_hit
redact_assignment(const char *s, size_t len, size_t i)
{
	static const struct {
		const char	*name;
		enum value_kind	 kind;
	} names[] = {
		{ "proxy-authorization", VALUE_AUTH },
		{ "authorization",	VALUE_AUTH },
		{ "x-goog-api-key",	VALUE_ANY },
		{ "x-api-key",		VALUE_ANY },
		{ "password",		VALUE_ANY },
		{ "passwd",		VALUE_ANY },
		{ "api-key",		VALUE_KEYISH },
		{ "api_key",		VALUE_KEYISH },
		{ "apikey",		VALUE_KEYISH },
		{ "secret",		VALUE_KEYISH },
		{ "token",		VALUE_KEYISH },
		{ "key",		VALUE_KEYISH },
	};
	struct redact_hit	h = { 0, 0 };
	size_t			k, j, w, c;

	/* Names are lower case: compare the first byte before the rest. */
	for (k = 0; k < nitems(names); k++)
		if ((s[i] | 0x20) == names[k].name[0] &&
		    ci_at(s, len, i, names[k].name))
			break;
	if (k == nitems(names))
		return h;
	if ((j = assignment_value(s, len, i + strlen(names[k].name))) == 0)
		return h;
	if (names[k].kind == VALUE_AUTH) {
		w = span(s, len, j, is_word);
		if (w > 0 && is_scheme(s + j, w)) {
			c = skip_gap(s, len, j + w);
			if (c > j + w && (w = span(s, len, c, is_cred)) > 0) {
				h.keep = c - i;
				h.len = c - i + w;
			}
			return h;
		}
	}
	w = span(s, len, j, is_cred);
	if (w == 0 || (names[k].kind != VALUE_ANY && !keyish(s + j, w)))
		return h;
	h.keep = j - i;
	h.len = j - i + w;
	return h;
}

static struct redact_hit
redact_at(const char *s, size_t len, size_t i)
{
	struct redact_hit	h = { 0, 0 };

	/* Every pattern starts with one of these: skip the rest cheaply. */
	if (s[i] == '\0' || strchr("sSgAyeaApPxXtTkKbB", s[i]) == NULL)
		return h;
	if ((h.len = redact_prefixed(s, len, i)) > 0 ||
	    (h.len = redact_jwt(s, len, i)) > 0)
		return h;
	h = redact_assignment(s, len, i);
	if (h.len == 0)
		h = redact_scheme_token(s, len, i);
	return h;
}

/*
 * A match that swallowed a scheme word or a name ("eyJ….Bearer" then
 * " token") is looked at again from this many bytes before its end: the
 * longest kept part, "proxy-authorization: " and a scheme word, fits.
 */
#define REDACT_REWIND	32

char *
sanitise_redact(const char *s, size_t len, size_t *outlen)
{
	struct sbuf		 b = { NULL, 0, 0 };
	struct redact_hit	 h;
	unsigned char		*mark;
	size_t			 i = 0, end, next;

	/* Hits may overlap (a second look, glued keys): mark bytes, then
	 * write each marked run as one marker. */
	mark = xcalloc(len + 1, 1);
	while (i < len) {
		h = redact_at(s, len, i);
		if (h.len == 0) {
			i++;
			continue;
		}
		/* Key characters glued to a match go with it: a key cut short
		 * by another key's class ("ghp_…AIza…-…") leaves no tail. */
		end = i + h.len + span(s, len, i + h.len, is_b64);
		memset(mark + i + h.keep, 1, end - i - h.keep);
		next = end > REDACT_REWIND ? end - REDACT_REWIND : 0;
		i = next > i ? next : i + 1;
	}
	sbuf_add(&b, "", 0);
	for (i = 0; i < len; i = end) {
		for (end = i; end < len && mark[end] == mark[i]; end++)
			;
		if (mark[i])
			sbuf_str(&b, SANITISE_REDACTED);
		else
			sbuf_add(&b, s + i, end - i);
	}
	free(mark);
	if (outlen != NULL)
		*outlen = b.len;
	return b.p;
}

/* ---- neutralisation ---- */

/* Decode one UTF-8 character; 0 if the bytes are not valid UTF-8. */
static size_t
utf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
	size_t		n, k;
	unsigned	min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2, *cp = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, *cp = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, *cp = s[0] & 0x07, min = 0x10000;
	} else
		return 0;
	if (n > len)
		return 0;
	for (k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[k] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

static char *
put_cp(char *o, unsigned cp)
{
	if (cp < 0x80)
		*o++ = (char)cp;
	else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* Characters that could reorder or hide what a reader sees. */
static int
is_spoofing(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||		/* C1 controls */
	    (cp >= 0x202a && cp <= 0x202e) ||		/* bidi embeddings */
	    (cp >= 0x2066 && cp <= 0x2069);		/* bidi isolates */
}

/*
 * Characters ICU's collation ignores (Unicode's default-ignorables and
 * the controls): the runner's culture-sensitive IndexOf("##[") finds
 * "##[" across them. Only the ones breaker lets through matter (C0, C1
 * and bidi controls are replaced anyway).
 */
static size_t
ignorable_at(const char *in, size_t len, size_t j)
{
	const unsigned char	*s = (const unsigned char *)in;
	unsigned		 cp;
	size_t			 n;

	if (j >= len || s[j] < 0x80 || (n = utf8_decode(s + j, len - j,
	    &cp)) == 0)
		return 0;
	if (cp == 0xad || cp == 0x34f || cp == 0x61c || cp == 0x115f ||
	    cp == 0x1160 || cp == 0x17b4 || cp == 0x17b5 || cp == 0x3164 ||
	    cp == 0xfeff || cp == 0xffa0 || (cp >= 0x180b && cp <= 0x180f) ||
	    (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2060 && cp <= 0x206f) ||
	    (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0x1bca0 &&
	    cp <= 0x1bca3) || (cp >= 0x1d173 && cp <= 0x1d17a) ||
	    (cp >= 0xe0000 && cp <= 0xe0fff))
		return n;
	return 0;
}

/* The next byte after j that is not an ignorable character. */
static size_t
skip_ignorable(const char *s, size_t len, size_t j)
{
	size_t	n;

	while ((n = ignorable_at(s, len, j)) > 0)
		j += n;
	return j;
}

/*
 * "#" at i starts "##[" (across ignorables): the second "#" becomes a
 * full-width one. A zero-width space would not do: it is ignorable, and
 * the runner's legacy parser looks for "##[" anywhere in a line.
 */
static int
hash_starts_command(const char *s, size_t len, size_t i)
{
	size_t	j, k;

	j = skip_ignorable(s, len, i + 1);
	if (j >= len || s[j] != '#')
		return 0;
	k = skip_ignorable(s, len, j + 1);
	return k < len && s[k] == '[';
}

/*
 * Copy the ASCII s[i]: "::" gets a zero-width space between its colons
 * (breaker's lines all start with its own "::cmd", so a "::" inside can
 * never be read as one), "##[" a full-width second "#". `wide` carries
 * the position of a "#" to widen.
 */
static char *
break_sequences(char *o, const char *s, size_t len, size_t i, size_t *wide)
{
	if (s[i] == '#' && *wide == i) {
		o = stpcpy(o, FULLWIDTH_HASH);
		*wide = (size_t)-1;
	} else
		*o++ = s[i];
	if (s[i] == ':' && i + 1 < len && s[i + 1] == ':')
		o = stpcpy(o, SANITISE_ZWSP);
	else if (s[i] == '#' && *wide == (size_t)-1 &&
	    hash_starts_command(s, len, i))
		*wide = skip_ignorable(s, len, i + 1);
	return o;
}

char *
sanitise_rebreak(const char *s)
{
	size_t	 len = strlen(s), i, wide = (size_t)-1;
	char	*out, *o;

	/* Worst case: ':' becomes 4 bytes, '#' 3. */
	out = o = xmalloc(len * 4 + 1);
	for (i = 0; i < len; i++)
		o = break_sequences(o, s, len, i, &wide);
	*o = '\0';
	return out;
}

char *
sanitise_neutralise(const char *in, size_t len)
{
	const unsigned char	*s = (const unsigned char *)in;
	char			*out, *o;
	unsigned		 cp;
	size_t			 i = 0, n, wide = (size_t)-1;

	/* Worst case: ':' becomes 4 bytes (':' + U+200B). */
	out = o = xmalloc(len * 4 + 1);
	while (i < len) {
		if (s[i] == '\t')
			*o++ = ' ';
		else if (s[i] < 0x20)
			o = put_cp(o, 0x2400 + s[i]);	/* NUL -> U+2400 */
		else if (s[i] == 0x7f)
			o = put_cp(o, 0x2421);
		else if (s[i] < 0x80)
			o = break_sequences(o, in, len, i, &wide);
		else if ((n = utf8_decode(s + i, len - i, &cp)) == 0)
			o = stpcpy(o, REPLACEMENT);	/* one invalid byte */
		else {
			if (is_spoofing(cp))
				o = stpcpy(o, REPLACEMENT);
			else if (cp == 0x2028 || cp == 0x2029)
				*o++ = ' ';
			else {
				memcpy(o, s + i, n);
				o += n;
			}
			i += n;
			continue;
		}
		i++;
	}
	*o = '\0';
	return out;
}

char *
sanitise_text(const char *s, size_t len)
{
	char	*red, *clean;
	size_t	 n;

	red = sanitise_redact(s, len, &n);
	clean = sanitise_neutralise(red, n);
	free(red);
	return clean;
}

char *
sanitise_str(const char *s)
{
	return s != NULL ? sanitise_text(s, strlen(s)) : xstrdup("");
}

void
sanitise_cut(char *s, size_t max)
{
	size_t	cut;

	if (strlen(s) <= max)
		return;
	cut = max < sizeof SANITISE_ELLIPSIS - 1 ? 0 :
	    max - (sizeof SANITISE_ELLIPSIS - 1);
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	if (max < sizeof SANITISE_ELLIPSIS - 1)
		s[cut] = '\0';
	else
		memcpy(s + cut, SANITISE_ELLIPSIS, sizeof SANITISE_ELLIPSIS);
}

char *
sanitise_text_cut(const char *s, size_t len, size_t max)
{
	char	*out = sanitise_text(s, len);

	if (max > 0)
		sanitise_cut(out, max);
	return out;
}

/* One word of printable ASCII (a host, a port, a model name): it cannot
 * read as a sentence of breaker's, so it needs no quotes. */
static int
is_one_word(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f ||
		    *s == '"' || *s == '\'')
			return 0;
	return 1;
}

char *
sanitise_value(const char *s, size_t len, size_t max)
{
	struct sbuf	 b = { NULL, 0, 0 };
	char		*clean, *p;

	if (len == 0)
		return xstrdup("");
	clean = sanitise_text_cut(s, len, max);
	if (is_one_word(clean))
		return clean;
	sbuf_str(&b, SANITISE_OPEN_QUOTE);
	/* Only breaker's quotes may open or close a quoted value. */
	for (p = clean; *p != '\0'; p++) {
		if (strncmp(p, SANITISE_OPEN_QUOTE, 3) == 0 ||
		    strncmp(p, SANITISE_CLOSE_QUOTE, 3) == 0) {
			sbuf_add(&b, "\"", 1);
			p += 2;
		} else
			sbuf_add(&b, p, 1);
	}
	sbuf_str(&b, SANITISE_CLOSE_QUOTE);
	free(clean);
	return b.p;
}

/*
 * GFM's autolink extension needs no punctuation that can be escaped:
 * "http://", "www." and "user@host" link on their own. A zero-width space
 * after the ":" of "://", inside "www." and on each side of "@" breaks
 * the pattern without changing what a reader sees.
 */
static size_t
autolink_break(const char *p)
{
	if (strncmp(p, "://", 3) == 0)
		return 1;		/* after the ':' */
	if (strncasecmp(p, "www.", 4) == 0)
		return 1;		/* after the first 'w' */
	return 0;
}

char *
sanitise_markdown(const char *s, size_t max)
{
	struct sbuf	 b = { NULL, 0, 0 };
	char		*clean = sanitise_str(s), *p;
	size_t		 brk;

	if (max > 0)
		sanitise_cut(clean, max);
	sbuf_add(&b, "", 0);
	for (p = clean; *p != '\0'; p++) {
		if (*p == '@')
			sbuf_str(&b, SANITISE_ZWSP);
		if (strchr("\\`*_{}[]<>()#+-!|~&@^=$", *p) != NULL)
			sbuf_add(&b, "\\", 1);
		brk = autolink_break(p);
		sbuf_add(&b, p, 1);
		if (brk > 0 || *p == '@')
			sbuf_str(&b, SANITISE_ZWSP);
	}
	free(clean);
	return b.p;
}
