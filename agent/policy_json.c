/*
 * A strict JSON reader with positions. cJSON builds the tree but keeps no
 * positions, so a small scanner of our own walks the same text once more
 * to learn where each key path starts ("rules[3].match.regex" -> offset):
 * an error that does not say where it is wastes an administrator's
 * afternoon. On top of it: typed member access, unknown-key checks with a
 * "did you mean", duplicate keys, and the error list, kept structured
 * (line, column, order found) until it is printed in the file's order.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "match.h"
#include "policy_int.h"
#include "xalloc.h"

/* ---- key positions --------------------------------------------------- */

struct scan {
	const char	*s;
	size_t		 len, i;
	char		 path[1024];
	struct load	*ld;
	int		 depth;
};

static void	scan_value(struct scan *);

static void
pos_add(struct load *ld, const char *path, size_t off)
{
	/* Grown by doubling: a 40,000-entry list must not copy it 600 times. */
	if (ld->npos >= 64 && (ld->npos & (ld->npos - 1)) == 0)
		ld->pos = xreallocarray(ld->pos, ld->npos * 2,
		    sizeof *ld->pos);
	else if (ld->npos == 0)
		ld->pos = xreallocarray(NULL, 64, sizeof *ld->pos);
	ld->pos[ld->npos].path = xstrdup(path);
	ld->pos[ld->npos].off = off;
	ld->npos++;
}

static void
scan_ws(struct scan *sc)
{
	while (sc->i < sc->len && isspace((unsigned char)sc->s[sc->i]))
		sc->i++;
}

/* Four hex digits at sc->i as a number (cJSON has checked them). */
static unsigned long
scan_hex4(struct scan *sc)
{
	unsigned long	v = 0;
	int		k;
	char		c;

	for (k = 0; k < 4 && sc->i < sc->len; k++) {
		c = sc->s[sc->i++];
		v = v * 16 + (unsigned long)(isdigit((unsigned char)c) ? c - '0' :
		    (tolower((unsigned char)c) - 'a' + 10) & 0xf);
	}
	return v;
}

/* One escape after its backslash, as cJSON decodes it, into out (UTF-8). */
static size_t
scan_escape(struct scan *sc, char *out)
{
	unsigned long	cp, lo;
	char		c = sc->s[sc->i++];

	switch (c) {
	case 'b': *out = '\b'; return 1;
	case 'f': *out = '\f'; return 1;
	case 'n': *out = '\n'; return 1;
	case 'r': *out = '\r'; return 1;
	case 't': *out = '\t'; return 1;
	case 'u': break;
	default: *out = c; return 1;		/* \" \\ \/ */
	}
	cp = scan_hex4(sc);
	if (cp >= 0xd800 && cp < 0xdc00 && sc->i + 1 < sc->len &&
	    sc->s[sc->i] == '\\' && sc->s[sc->i + 1] == 'u') {
		sc->i += 2;
		lo = scan_hex4(sc);
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Skip a string, copying its text into buf decoded as cJSON decodes it:
 * an escaped key ("a\u0062") must have the path cJSON gives it ("ab"), or
 * its errors lose their position and a duplicate written two ways is
 * missed. Like cJSON's C string, a key ends at a \u0000.
 */
static void
scan_string(struct scan *sc, char *buf, size_t bufsz)
{
	size_t	n = 0, k;
	char	c[4];
	int	ended = 0;

	sc->i++;	/* opening quote */
	while (sc->i < sc->len && sc->s[sc->i] != '"') {
		c[0] = sc->s[sc->i++];
		k = 1;
		if (c[0] == '\\' && sc->i < sc->len)
			k = scan_escape(sc, c);
		if (k == 1 && c[0] == '\0')
			ended = 1;
		if (buf != NULL && !ended && n + k < bufsz) {
			memcpy(buf + n, c, k);
			n += k;
		}
	}
	sc->i++;
	if (buf != NULL)
		buf[n] = '\0';
}

/* After a member or element: back at the parent's path; 1 if a ',' follows. */
static int
scan_separator(struct scan *sc, size_t plen)
{
	sc->path[plen] = '\0';
	scan_ws(sc);
	if (sc->i < sc->len && sc->s[sc->i] == ',') {
		sc->i++;
		return 1;
	}
	return 0;
}

/* Past the closing bracket of an object or array. */
static void
scan_close(struct scan *sc, size_t plen)
{
	sc->path[plen] = '\0';
	if (sc->i < sc->len)
		sc->i++;
}

static void
scan_object(struct scan *sc)
{
	char	key[256];
	size_t	plen = strlen(sc->path), koff;

	sc->i++;
	for (;;) {
		scan_ws(sc);
		if (sc->i >= sc->len || sc->s[sc->i] == '}')
			break;
		if (sc->s[sc->i] != '"')
			break;
		koff = sc->i;
		scan_string(sc, key, sizeof key);
		snprintf(sc->path + plen, sizeof sc->path - plen, "%s%s",
		    plen ? "." : "", key);
		pos_add(sc->ld, sc->path, koff);
		scan_ws(sc);
		if (sc->i < sc->len && sc->s[sc->i] == ':')
			sc->i++;
		scan_value(sc);
		if (!scan_separator(sc, plen))
			break;
	}
	scan_close(sc, plen);
}

static void
scan_array(struct scan *sc)
{
	size_t	plen = strlen(sc->path), n = 0;

	sc->i++;
	for (;;) {
		scan_ws(sc);
		if (sc->i >= sc->len || sc->s[sc->i] == ']')
			break;
		snprintf(sc->path + plen, sizeof sc->path - plen, "[%zu]", n++);
		pos_add(sc->ld, sc->path, sc->i);
		scan_value(sc);
		if (!scan_separator(sc, plen))
			break;
	}
	scan_close(sc, plen);
}

static void
scan_value(struct scan *sc)
{
	scan_ws(sc);
	if (sc->i >= sc->len || sc->depth > 64)
		return;
	sc->depth++;
	if (sc->s[sc->i] == '{')
		scan_object(sc);
	else if (sc->s[sc->i] == '[')
		scan_array(sc);
	else if (sc->s[sc->i] == '"')
		scan_string(sc, NULL, 0);
	else
		while (sc->i < sc->len && strchr(",}] \t\r\n", sc->s[sc->i]) ==
		    NULL)
			sc->i++;
	sc->depth--;
}

static void
offset_linecol(const char *text, size_t len, size_t off, int *line, int *col)
{
	size_t	i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

/* The position of a path, or of its nearest recorded ancestor. */
static size_t
path_offset(struct load *ld, const char *path)
{
	char	 buf[1024], *cut;
	size_t	 i;

	snprintf(buf, sizeof buf, "%s", path);
	for (;;) {
		for (i = 0; i < ld->npos; i++)
			if (strcmp(ld->pos[i].path, buf) == 0)
				return ld->pos[i].off;
		cut = strrchr(buf, '.');
		if (strrchr(buf, '[') > cut)
			cut = strrchr(buf, '[');
		if (cut == NULL)
			break;
		*cut = '\0';
	}
	for (i = 0; i < ld->len && isspace((unsigned char)ld->text[i]); i++)
		;
	return i;
}

/*
 * One error as one line: a JSON key (or a value quoted in a message) can
 * hold any character, and a newline in it must not forge another error
 * line. Controls are written as \xNN; the line ends in one newline.
 */
static char *
error_line(const char *raw)
{
	char	*out = xmalloc(strlen(raw) * 4 + 2), *o = out;

	for (; *raw != '\0'; raw++) {
		unsigned char c = (unsigned char)*raw;

		if (c < 0x20 || c == 0x7f)
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = (char)c;
	}
	*o++ = '\n';
	*o = '\0';
	return out;
}

static void
error_at(struct load *ld, size_t off, const char *path, const char *msg,
    const char *hint)
{
	struct pj_msg	*e;
	char		*raw;
	int		 haspath = path != NULL && *path != '\0';

	ld->errs = xreallocarray(ld->errs, (size_t)ld->nerrors + 1,
	    sizeof *ld->errs);
	e = &ld->errs[ld->nerrors];
	offset_linecol(ld->text, ld->len, off, &e->line, &e->col);
	e->seq = (size_t)ld->nerrors++;
	xasprintf(&raw, "%s:%d:%d: %s%s%s%s%s%s", ld->file, e->line, e->col,
	    haspath ? path : "", haspath ? ": " : "", msg, hint ? " (" : "",
	    hint ? hint : "", hint ? ")" : "");
	e->s = error_line(raw);
	free(raw);
}

void
pj_error(struct load *ld, const char *path, const char *msg, const char *hint)
{
	error_at(ld, path_offset(ld, path), path, msg, hint);
}


void
pj_errorf(struct load *ld, const char *path, const char *hint, const char *fmt,
    ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	pj_error(ld, path, msg, hint);
	free(msg);
}

static int
pos_cmp(const void *a, const void *b)
{
	const struct pj_pos	*x = *(const struct pj_pos *const *)a;
	const struct pj_pos	*y = *(const struct pj_pos *const *)b;
	int			 c = strcmp(x->path, y->path);

	if (c != 0)
		return c;
	return x->off < y->off ? -1 : x->off > y->off;
}

/*
 * Every duplicate key is an error: cJSON would silently keep the first.
 * Sorted, not compared pairwise: a 40,000-entry list is loaded inside the
 * job-started hook, and the pairwise check took seconds there.
 */
static void
pj_find_duplicates(struct load *ld)
{
	const struct pj_pos	**v;
	size_t			  i;

	if (ld->npos < 2)
		return;
	v = xreallocarray(NULL, ld->npos, sizeof *v);
	for (i = 0; i < ld->npos; i++)
		v[i] = &ld->pos[i];
	qsort(v, ld->npos, sizeof *v, pos_cmp);
	for (i = 1; i < ld->npos; i++)
		if (strcmp(v[i]->path, v[i - 1]->path) == 0)
			error_at(ld, v[i]->off, v[i]->path, "duplicate key",
			    "each key may appear only once in an object");
	free(v);
}

/* ---- parsing a file ------------------------------------------------- */

cJSON *
pj_parse(struct load *ld)
{
	struct scan	 sc;
	cJSON		*j;
	const char	*end = NULL;
	char		 near[40], hint[128];
	size_t		 off, i, n, start;

	j = cJSON_ParseWithLengthOpts(ld->text, ld->len, &end, 0);
	if (j != NULL) {
		/* cJSON stops after the first value: the rest must be blank */
		off = end != NULL ? (size_t)(end - ld->text) : ld->len;
		while (off < ld->len && isspace((unsigned char)ld->text[off]))
			off++;
		if (off < ld->len) {
			cJSON_Delete(j);
			j = NULL;
			error_at(ld, off, NULL, "not valid JSON", "text after the "
			    "end of the top-level object");
			return NULL;
		}
	}
	if (j == NULL) {
		end = cJSON_GetErrorPtr();
		off = end != NULL && end >= ld->text &&
		    end <= ld->text + ld->len ? (size_t)(end - ld->text) :
		    0;
		/* show what comes just before the point cJSON gave up */
		start = off > 24 ? off - 24 : 0;
		for (i = start; i > 0 && ld->text[i - 1] != '\n' &&
		    off - i < 24; i--)
			;
		for (n = 0; i + n <= off && i + n < ld->len &&
		    n + 1 < sizeof near; n++)
			near[n] = isprint((unsigned char)ld->text[i + n]) ?
			    ld->text[i + n] : ' ';
		near[n] = '\0';
		if (ld->quote)
			snprintf(hint, sizeof hint, "%s \"%s\"", off >=
			    ld->len ? "the file ends early, after" :
			    "stopped at the end of", near);
		else
			snprintf(hint, sizeof hint, "%s (its text is not "
			    "shown: the file is not readable by everyone)",
			    off >= ld->len ? "the file ends early" :
			    "stopped there");
		error_at(ld, off, NULL, "not valid JSON", hint);
		return NULL;
	}
	memset(&sc, 0, sizeof sc);
	sc.s = ld->text;
	sc.len = ld->len;
	sc.ld = ld;
	scan_value(&sc);
	pj_find_duplicates(ld);
	if (!cJSON_IsObject(j)) {
		pj_error(ld, "", "the top level must be an object",
		    "{\"version\": 1, ...}");
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

void
pj_positions_free(struct load *ld)
{
	size_t	i;

	for (i = 0; i < ld->npos; i++)
		free(ld->pos[i].path);
	free(ld->pos);
	ld->pos = NULL;
	ld->npos = 0;
}

/* ---- generic key checking ------------------------------------------ */

void
pj_did_you_mean(const struct policy *p, const char *name, size_t n,
    const char *(*at)(const struct policy *, size_t), const char *otherwise,
    char *buf, size_t sz)
{
	const char	**names, *s;
	size_t		  i, k = 0;

	names = xcalloc(n + 1, sizeof *names);
	for (i = 0; i < n; i++)
		if ((names[k] = at(p, i)) != NULL)
			k++;
	if ((s = match_suggest(name, names, k)) != NULL)
		snprintf(buf, sz, "did you mean \"%s\"?", s);
	else
		snprintf(buf, sz, "%s", otherwise);
	free(names);
}

int
pj_check_keys(struct load *ld, const cJSON *obj, const char *path,
    const char *const *known, size_t n)
{
	const cJSON	*c;
	const char	*s;
	char		*sub, *hint;
	size_t		 i;
	int		 bad = 0;

	cJSON_ArrayForEach(c, obj) {
		for (i = 0; i < n; i++)
			if (strcmp(c->string, known[i]) == 0)
				break;
		if (i < n)
			continue;
		xasprintf(&sub, "%s%s%s", path, *path ? "." : "", c->string);
		if ((s = match_suggest(c->string, known, n)) != NULL)
			xasprintf(&hint, "did you mean \"%s\"?", s);
		else {
			hint = xstrdup("known keys:");
			for (i = 0; i < n; i++) {
				char *h;
				xasprintf(&h, "%s %s", hint, known[i]);
				free(hint);
				hint = h;
			}
		}
		pj_error(ld, sub, "unknown key", hint);
		free(hint);
		free(sub);
		bad = 1;
	}
	return bad ? -1 : 0;
}

char *
pj_subpath(const char *path, const char *key)
{
	char	*s;

	xasprintf(&s, "%s%s%s", path, *path ? "." : "", key);
	return s;
}

/* Fetch a member of an expected type; NULL (and an error) if mistyped. */
const cJSON *
pj_get_typed(struct load *ld, const cJSON *obj, const char *path, const char *key,
    int (*is)(const cJSON *), const char *what)
{
	const cJSON	*c;
	char		*sub;

	if ((c = cJSON_GetObjectItemCaseSensitive(obj, key)) == NULL)
		return NULL;
	if (!is(c)) {
		sub = pj_subpath(path, key);
		pj_errorf(ld, sub, NULL, "must be %s", what);
		free(sub);
		return NULL;
	}
	return c;
}

int
pj_is_string(const cJSON *c)
{
	return cJSON_IsString(c);
}

int
pj_is_bool(const cJSON *c)
{
	return cJSON_IsBool(c);
}

int
pj_is_array(const cJSON *c)
{
	return cJSON_IsArray(c);
}

int
pj_is_object(const cJSON *c)
{
	return cJSON_IsObject(c);
}

int
pj_is_string_or_null(const cJSON *c)
{
	return cJSON_IsString(c) || cJSON_IsNull(c);
}

void
pj_enum_error(struct load *ld, const char *path, const char *what,
    const char *value, const struct util_enum *t, size_t n)
{
	const char	*names[32], *close = NULL;
	char		 list[512], *hint;
	size_t		 i;

	for (i = 0; i < n && i < nitems(names); i++)
		names[i] = t[i].name;
	if (value != NULL)
		close = match_suggest(value, names, i);
	util_enum_list(t, n, list, sizeof list);
	xasprintf(&hint, "%s%s%sexpected one of: %s", close ? "did you mean \"" :
	    "", close ? close : "", close ? "\"? " : "", list);
	if (value != NULL)
		pj_errorf(ld, path, hint, "unknown %s \"%s\"", what, value);
	else
		pj_errorf(ld, path, hint, "unknown %s", what);
	free(hint);
}

void
pj_enum_required(struct load *ld, const char *path, const char *key,
    const struct util_enum *t, size_t n)
{
	char	list[512];

	util_enum_list(t, n, list, sizeof list);
	pj_errorf(ld, path, NULL, "\"%s\" is required (expected one of: %s)",
	    key, list);
}

int
pj_get_enum(struct load *ld, const cJSON *obj, const char *path,
    const char *key, const struct util_enum *t, size_t n, const char *what,
    int *value)
{
	const cJSON	*c;
	char		*sub;

	if ((c = cJSON_GetObjectItemCaseSensitive(obj, key)) == NULL)
		return 0;
	if (cJSON_IsString(c) &&
	    util_enum_value(t, n, c->valuestring, value) == 0)
		return 1;
	sub = pj_subpath(path, key);
	pj_enum_error(ld, sub, what, cJSON_IsString(c) ? c->valuestring : NULL,
	    t, n);
	free(sub);
	return -1;
}

void
pj_check_version(struct load *ld, const cJSON *root)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(root, "version");

	if (v == NULL)
		pj_error(ld, "", "\"version\" is required", "add \"version\": 1");
	else if (!cJSON_IsNumber(v) || v->valuedouble != 1)
		pj_error(ld, "version", "unsupported version",
		    "this breaker reads version 1");
}

char *
pj_locate(struct load *ld, const char *path)
{
	char	*s;
	int	 l, c;

	offset_linecol(ld->text, ld->len, path_offset(ld, path), &l, &c);
	xasprintf(&s, "%s:%d:%d", ld->file, l, c);
	return s;
}

/* ---- the error list -------------------------------------------------- */

static void
report_add(struct pj_report *eb, const char *s, size_t len, int n)
{
	eb->s = xreallocarray(eb->s, eb->len + len + 1, 1);
	memcpy(eb->s + eb->len, s, len);
	eb->len += len;
	eb->s[eb->len] = '\0';
	eb->n += n;
}

void
pj_report_addf(struct pj_report *eb, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = xvasprintf(&s, fmt, ap);
	va_end(ap);
	report_add(eb, s, n, 1);
	free(s);
}

static int
error_cmp(const void *a, const void *b)
{
	const struct pj_msg	*x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
errors_free(struct load *ld)
{
	int	i;

	for (i = 0; i < ld->nerrors; i++)
		free(ld->errs[i].s);
	free(ld->errs);
	ld->errs = NULL;
	ld->nerrors = 0;
}

/* One file's errors in the order of the file, not of the checks. */
void
pj_report_file(struct pj_report *eb, struct load *ld)
{
	size_t	i, n = (size_t)ld->nerrors;

	if (n > 0)
		qsort(ld->errs, n, sizeof *ld->errs, error_cmp);
	for (i = 0; i < n; i++)
		report_add(eb, ld->errs[i].s, strlen(ld->errs[i].s), 1);
	errors_free(ld);
}
