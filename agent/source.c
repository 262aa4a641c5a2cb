/*
 * Source formats and their parsers. Lines are hostile: any byte sequence,
 * any length, truncated anywhere. Nothing here reads past `len` (lines are
 * not NUL-terminated) and a line that does not parse simply has no fields.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "source.h"
#include "util.h"
#include "xalloc.h"

const struct util_enum source_format_table[] = {
	{ "text", SOURCE_TEXT }, { "jsonl", SOURCE_JSONL },
	{ "squid", SOURCE_SQUID },
};
const size_t source_format_ntable = nitems(source_format_table);

static const char *const squid_names[SQUID_NFIELDS] = {
	"time", "client", "client_port", "host", "port", "dest", "version",
	"method", "status", "result", "hierarchy", "url", "user_agent",
};

int
source_format_parse(const char *s)
{
	int	f;

	return util_enum_value(source_format_table, source_format_ntable, s,
	    &f) == 0 ? f : -1;
}

const char *
source_format_name(enum source_format f)
{
	const char	*s = util_enum_name(source_format_table,
	    source_format_ntable, (int)f);

	return s != NULL ? s : "?";
}

int
source_squid_field(const char *name)
{
	int	i;

	for (i = 0; i < SQUID_NFIELDS; i++)
		if (strcmp(name, squid_names[i]) == 0)
			return i;
	return -1;
}

const char *
source_squid_field_name(int i)
{
	if (i < 0 || i >= SQUID_NFIELDS)
		return "?";
	return squid_names[i];
}

struct source_path *
source_path_compile(enum source_format f, const char *text, const char **err)
{
	struct source_path	*p;
	const char		*s, *dot;

	*err = NULL;
	if (*text == '\0') {
		*err = "empty field path";
		return NULL;
	}
	p = xcalloc(1, sizeof *p);
	p->text = xstrdup(text);
	p->squid = -1;
	if (f == SOURCE_SQUID) {
		if ((p->squid = source_squid_field(text)) == -1) {
			*err = "unknown squid field";
			source_path_free(p);
			return NULL;
		}
		return p;
	}
	for (s = text;; s = dot + 1) {
		dot = strchr(s, '.');
		if ((dot ? (size_t)(dot - s) : strlen(s)) == 0) {
			*err = "empty segment in field path";
			source_path_free(p);
			return NULL;
		}
		p->seg = xreallocarray(p->seg, p->nseg + 1, sizeof *p->seg);
		p->seg[p->nseg++] = dot ? xstrndup(s, dot - s) : xstrdup(s);
		if (dot == NULL)
			break;
	}
	return p;
}

void
source_path_free(struct source_path *p)
{
	size_t	i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nseg; i++)
		free(p->seg[i]);
	free(p->seg);
	free(p->text);
	free(p);
}

void
source_event_init(struct source_event *ev, enum source_format f,
    const char *line, size_t len)
{
	ev->line = line;
	ev->len = len;
	ev->format = f;
	ev->parsed = 0;
	ev->json = NULL;
	ev->squid_ok = 0;
	ev->malformed = 0;
	ev->nnum = 0;
}

void
source_event_clear(struct source_event *ev)
{
	if (ev->json != NULL)
		cJSON_Delete(ev->json);
	ev->json = NULL;
	ev->parsed = 0;
}

/* Split at the last ':' (host:port, ip:port; "::1:52010" -> "::1"). */
static void
split_port(const char *s, size_t len, const char **a, size_t *alen,
    const char **b, size_t *blen)
{
	size_t	i;

	*a = s;
	*alen = len;
	*b = s + len;
	*blen = 0;
	for (i = len; i > 0; i--)
		if (s[i - 1] == ':') {
			*alen = i - 1;
			*b = s + i;
			*blen = len - i;
			return;
		}
}

/*
 * firewall_detailed: %ts.%03tu %>a:%>p %{Host}>h %<a:%<p %rv %rm %>Hs
 * %Ss:%Sh %ru "%{User-Agent}>h" -- nine space-separated tokens and a quoted
 * user agent that may contain spaces (and may be missing on a cut line).
 */
static void
squid_split(struct source_event *ev)
{
	const char	*tok[10], *p = ev->line, *end = ev->line + ev->len;
	size_t		 toklen[10], n = 0, i;

	while (n < 9 && p < end) {
		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		tok[n] = p;
		while (p < end && *p != ' ')
			p++;
		toklen[n] = p - tok[n];
		n++;
	}
	while (p < end && *p == ' ')
		p++;
	if (n < 9 || toklen[0] == 0 || !isdigit((unsigned char)tok[0][0])) {
		ev->malformed = 1;
		return;
	}
	ev->sq[SQUID_TIME] = tok[0];
	ev->sqlen[SQUID_TIME] = toklen[0];
	split_port(tok[1], toklen[1], &ev->sq[SQUID_CLIENT],
	    &ev->sqlen[SQUID_CLIENT], &ev->sq[SQUID_CLIENT_PORT],
	    &ev->sqlen[SQUID_CLIENT_PORT]);
	split_port(tok[2], toklen[2], &ev->sq[SQUID_HOST],
	    &ev->sqlen[SQUID_HOST], &ev->sq[SQUID_PORT], &ev->sqlen[SQUID_PORT]);
	ev->sq[SQUID_DEST] = tok[3];
	ev->sqlen[SQUID_DEST] = toklen[3];
	ev->sq[SQUID_VERSION] = tok[4];
	ev->sqlen[SQUID_VERSION] = toklen[4];
	ev->sq[SQUID_METHOD] = tok[5];
	ev->sqlen[SQUID_METHOD] = toklen[5];
	ev->sq[SQUID_STATUS] = tok[6];
	ev->sqlen[SQUID_STATUS] = toklen[6];
	ev->sq[SQUID_RESULT] = tok[7];
	ev->sqlen[SQUID_RESULT] = toklen[7];
	ev->sq[SQUID_HIERARCHY] = tok[7] + toklen[7];
	ev->sqlen[SQUID_HIERARCHY] = 0;
	for (i = 0; i < toklen[7]; i++)
		if (tok[7][i] == ':') {
			ev->sqlen[SQUID_RESULT] = i;
			ev->sq[SQUID_HIERARCHY] = tok[7] + i + 1;
			ev->sqlen[SQUID_HIERARCHY] = toklen[7] - i - 1;
			break;
		}
	ev->sq[SQUID_URL] = tok[8];
	ev->sqlen[SQUID_URL] = toklen[8];
	/* The user agent: inside its quotes; a cut line keeps what it has. */
	if (p < end && *p == '"')
		p++;
	ev->sq[SQUID_USER_AGENT] = p;
	ev->sqlen[SQUID_USER_AGENT] = end - p;
	if (end > p && end[-1] == '"')
		ev->sqlen[SQUID_USER_AGENT]--;
	ev->squid_ok = 1;
}

static void
json_parse(struct source_event *ev)
{
	const char	*p = ev->line, *end = ev->line + ev->len;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= end || *p != '{') {
		ev->malformed = 1;
		return;
	}
	ev->json = cJSON_ParseWithLength(p, end - p);
	if (ev->json != NULL && !cJSON_IsObject(ev->json)) {
		cJSON_Delete(ev->json);
		ev->json = NULL;
	}
	if (ev->json == NULL)
		ev->malformed = 1;
}

static void
event_parse(struct source_event *ev)
{
	if (ev->parsed)
		return;
	ev->parsed = 1;
	if (ev->format == SOURCE_SQUID)
		squid_split(ev);
	else if (ev->format == SOURCE_JSONL)
		json_parse(ev);
}

/* Parse a bounded decimal number; 1 when the whole text is one. */
static int
parse_number(const char *s, size_t len, double *out)
{
	char	 buf[64], *end;

	if (len == 0 || len >= sizeof buf)
		return 0;
	if (!isdigit((unsigned char)s[0]) && s[0] != '-' && s[0] != '+' &&
	    s[0] != '.')
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	*out = strtod(buf, &end);
	return *end == '\0';
}

static char *
event_numtext(struct source_event *ev, double d)
{
	char	*b = ev->numbuf[ev->nnum++ % 4];

	/* range first: converting inf or 1e300 to long long is undefined */
	if (d > -1e15 && d < 1e15 && d == (double)(long long)d)
		snprintf(b, sizeof ev->numbuf[0], "%lld", (long long)d);
	else
		snprintf(b, sizeof ev->numbuf[0], "%.17g", d);
	return b;
}

static const cJSON *
json_walk(const cJSON *j, const struct source_path *p)
{
	size_t	 i;
	char	*end;
	long	 idx;

	for (i = 0; i < p->nseg && j != NULL; i++) {
		if (cJSON_IsObject(j))
			j = cJSON_GetObjectItemCaseSensitive(j, p->seg[i]);
		else if (cJSON_IsArray(j)) {
			idx = strtol(p->seg[i], &end, 10);
			if (*end != '\0' || idx < 0)
				return NULL;
			j = cJSON_GetArrayItem(j, (int)idx);
		} else
			return NULL;
	}
	return j;
}

static int
json_value(struct source_event *ev, const cJSON *j, struct source_value *v)
{
	v->isnum = 0;
	if (cJSON_IsString(j)) {
		v->type = SOURCE_V_STRING;
		v->s = j->valuestring;
		v->len = strlen(j->valuestring);
		v->isnum = parse_number(v->s, v->len, &v->num);
	} else if (cJSON_IsNumber(j)) {
		v->type = SOURCE_V_NUMBER;
		v->num = j->valuedouble;
		v->isnum = 1;
		v->s = event_numtext(ev, v->num);
		v->len = strlen(v->s);
	} else if (cJSON_IsBool(j)) {
		v->type = SOURCE_V_BOOL;
		v->num = cJSON_IsTrue(j);
		v->s = cJSON_IsTrue(j) ? "true" : "false";
		v->len = strlen(v->s);
	} else if (cJSON_IsNull(j)) {
		v->type = SOURCE_V_NULL;
		v->s = "null";
		v->len = 4;
	} else {
		v->type = SOURCE_V_OTHER;
		v->s = "";
		v->len = 0;
	}
	return 1;
}

int
source_event_field(struct source_event *ev, const struct source_path *p,
    struct source_value *v)
{
	const cJSON	*j;

	v->type = SOURCE_V_ABSENT;
	v->s = "";
	v->len = 0;
	v->isnum = 0;
	event_parse(ev);
	if (ev->format == SOURCE_SQUID) {
		if (!ev->squid_ok || p->squid < 0)
			return 0;
		v->type = SOURCE_V_STRING;
		v->s = ev->sq[p->squid];
		v->len = ev->sqlen[p->squid];
		v->isnum = parse_number(v->s, v->len, &v->num);
		if (v->isnum && (p->squid == SQUID_TIME ||
		    p->squid == SQUID_STATUS || p->squid == SQUID_PORT ||
		    p->squid == SQUID_CLIENT_PORT))
			v->type = SOURCE_V_NUMBER;
		return 1;
	}
	if (ev->format != SOURCE_JSONL || ev->json == NULL || p->nseg == 0)
		return 0;
	if ((j = json_walk(ev->json, p)) == NULL)
		return 0;
	return json_value(ev, j, v);
}

static int
digits(const char *s, size_t n, int *out)
{
	size_t	i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		*out = *out * 10 + (s[i] - '0');
	}
	return 1;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static long
days_from_civil(int y, int m, int d)
{
	long	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

double
source_parse_iso8601(const char *s, size_t len)
{
	int	Y, M, D, h, m, sec, oh, om;
	double	frac = 0, scale = 0.1, t;
	size_t	i = 19;

	if (len < 19 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
		return -1;
	if (!digits(s, 4, &Y) || !digits(s + 5, 2, &M) ||
	    !digits(s + 8, 2, &D) || !digits(s + 11, 2, &h) ||
	    !digits(s + 14, 2, &m) || !digits(s + 17, 2, &sec))
		return -1;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 ||
	    sec > 60)
		return -1;
	if (i < len && s[i] == '.')
		for (i++; i < len && isdigit((unsigned char)s[i]); i++) {
			frac += (s[i] - '0') * scale;
			scale /= 10;
		}
	t = (double)days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 +
	    sec + frac;
	if (i + 6 <= len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
	    digits(s + i + 1, 2, &oh) && digits(s + i + 4, 2, &om))
		t += (s[i] == '+' ? -1 : 1) * (oh * 3600 + om * 60);
	return t;
}

static double
json_time(const struct source_event *ev)
{
	static const char	 key[] = "\"timestamp\"", ts[] = "{\"ts\":";
	const char		*p, *end = ev->line + ev->len;
	double			 d;
	size_t			 n;

	/* the firewall api-proxy's record opens every line with its epoch
	 * milliseconds, {"ts":1796421793189,… (AWF auditTrack()) */
	if (ev->len > sizeof ts - 1 && memcmp(ev->line, ts, sizeof ts - 1) == 0)
		p = ev->line + sizeof ts - 1;
	/* writers put the time first; a long message need not be searched */
	else if ((p = memmem(ev->line, ev->len < 512 ? ev->len : 512, key,
	    sizeof key - 1)) == NULL)
		return -1;
	else
		p += sizeof key - 1;
	for (; p < end && (*p == ' ' || *p == ':'); p++)
		;
	if (p < end && *p == '"') {
		p++;
		for (n = 0; p + n < end && p[n] != '"'; n++)
			;
		return source_parse_iso8601(p, n);
	}
	for (n = 0; p + n < end && (isdigit((unsigned char)p[n]) ||
	    p[n] == '.'); n++)
		;
	if (!parse_number(p, n, &d))
		return -1;
	return d > 1e11 ? d / 1000 : d;		/* milliseconds */
}

/* "1774290909.186": seconds.milliseconds, parsed by hand (every line). */
static double
squid_time(const char *s, size_t len)
{
	double		 scale = 1;
	uint64_t	 whole = 0, frac = 0;
	size_t		 i = 0, k;

	if (len == 0 || !isdigit((unsigned char)s[0]))
		return -1;
	for (; i < len && i < 12 && isdigit((unsigned char)s[i]); i++)
		whole = whole * 10 + (s[i] - '0');
	if (i < len && s[i] == '.')
		for (i++, k = 0; i < len && isdigit((unsigned char)s[i]); i++)
			if (k++ < 9) {
				frac = frac * 10 + (s[i] - '0');
				scale *= 10;
			}
	if (i < len && s[i] != ' ')
		return -1;
	return (double)whole + (double)frac / scale;
}

double
source_event_time(struct source_event *ev)
{
	if (ev->format == SOURCE_SQUID)
		return squid_time(ev->line, ev->len);
	if (ev->len > 0 && ev->line[0] >= '0' && ev->line[0] <= '9')
		return source_parse_iso8601(ev->line, ev->len);
	if (ev->format == SOURCE_JSONL)
		return json_time(ev);
	return -1;
}

/* Walk a dotted path whose segments are not NUL-terminated. */
static const cJSON *
json_walk_text(const cJSON *j, const char *path)
{
	const char	*s = path, *dot;
	const cJSON	*c;
	size_t		 n;
	long		 idx;
	int		 isidx;

	while (j != NULL) {
		dot = strchr(s, '.');
		n = dot ? (size_t)(dot - s) : strlen(s);
		if (cJSON_IsObject(j)) {
			for (c = j->child; c != NULL; c = c->next)
				if (c->string != NULL &&
				    strncmp(c->string, s, n) == 0 &&
				    c->string[n] == '\0')
					break;
			j = c;
		} else if (cJSON_IsArray(j)) {
			isidx = n > 0 && n < 9;
			for (idx = 0; isidx && (size_t)idx < n; idx++)
				isidx = isdigit((unsigned char)s[idx]);
			if (!isidx)
				return NULL;
			j = cJSON_GetArrayItem(j, (int)strtol(s, NULL, 10));
		} else
			return NULL;
		if (dot == NULL)
			return j;
		s = dot + 1;
	}
	return NULL;
}

int
source_event_field_text(struct source_event *ev, const char *path,
    struct source_value *v)
{
	struct source_path	p;
	const cJSON		*j;

	v->type = SOURCE_V_ABSENT;
	v->s = "";
	v->len = 0;
	v->isnum = 0;
	if (ev->format == SOURCE_SQUID) {
		memset(&p, 0, sizeof p);
		if ((p.squid = source_squid_field(path)) == -1)
			return 0;
		return source_event_field(ev, &p, v);
	}
	if (ev->format != SOURCE_JSONL)
		return 0;
	event_parse(ev);
	if (ev->json == NULL || (j = json_walk_text(ev->json, path)) == NULL)
		return 0;
	return json_value(ev, j, v);
}

/* Does s[0..n) end with `word`, preceded by the line's start or a space? */
static int
ends_with_word(const char *s, size_t n, const char *word)
{
	size_t	w = strlen(word);

	return n >= w && memcmp(s + n - w, word, w) == 0 &&
	    (n == w || s[n - w - 1] == ' ');
}

/* codex's format_duration: "412ms", "3.20s", "1m 05s" (older: "2.3s"). */
static int
is_duration(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || n > 16 || !isdigit((unsigned char)s[0]) ||
	    (s[n - 1] != 's' && s[n - 1] != 'm' && s[n - 1] != 'h'))
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != ' ' && s[i] != 'm' && s[i] != 's' && s[i] != 'h')
			return 0;
	return 1;
}

int
source_tool_header(const char *s, size_t n)
{
	size_t	in, k, digits_at;

	if (n < 16 || s[n - 1] != ':')
		return 0;
	n--;
	/* the last " in " before the duration */
	for (in = n - 4; in > 0 && memcmp(s + in, " in ", 4) != 0; in--)
		;
	if (in == 0 || !is_duration(s + in + 4, n - in - 4))
		return 0;
	if (ends_with_word(s, in, "succeeded") || ends_with_word(s, in,
	    "success") || ends_with_word(s, in, "failed"))
		return 1;
	/* "exited N", N possibly negative (a signal) */
	for (k = in; k > 0 && isdigit((unsigned char)s[k - 1]); k--)
		;
	digits_at = k;
	if (k > 0 && s[k - 1] == '-')
		k--;
	if (digits_at == in || k < 2 || s[k - 1] != ' ')
		return 0;
	return ends_with_word(s, k - 1, "exited");
}

static int
is_line(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(s, word, n) == 0;
}

static int
starts(const char *s, size_t n, const char *prefix)
{
	return n >= strlen(prefix) && memcmp(s, prefix, strlen(prefix)) == 0;
}

/* A header after which codex prints the agent's words. */
static int
prose_header(const char *s, size_t n)
{
	return is_line(s, n, "codex") || is_line(s, n, "thinking") ||
	    is_line(s, n, "tokens used");
}

/* A line only codex, its harness or AWF prints, which ends the prose. */
static int
prose_end(const char *s, size_t n)
{
	const char	*h;

	if (is_line(s, n, "exec") || is_line(s, n, "user") ||
	    is_line(s, n, "file update") || is_line(s, n, "file update:") ||
	    starts(s, n, "mcp: ") || starts(s, n, "mcp startup: ") ||
	    starts(s, n, "OpenAI Codex v") || starts(s, n, "[INFO] ") ||
	    starts(s, n, "[WARN] ") || starts(s, n, "[ERROR] "))
		return 1;
	return n > 10 && s[0] == '[' && (h = memchr(s, ']', n)) != NULL &&
	    h - s > 9 && memcmp(h - 8, "-harness", 8) == 0;
}

int
source_context_quoted(struct source_context *c, const char *s, size_t n)
{
	if (!c->codex && starts(s, n, "OpenAI Codex v"))
		c->codex = 1;
	/* A header ends any block before it: codex prints nothing between a
	 * block and the next event's header. */
	if (source_tool_header(s, n)) {
		c->tool_left = SOURCE_TOOL_OUTPUT_LINES;
		c->prose = 0;
		return 0;
	}
	if (c->tool_left > 0) {
		c->tool_left--;
		return 1;
	}
	if (!c->codex)
		return 0;
	if (prose_header(s, n)) {
		c->prose = 1;
		return 0;
	}
	if (c->prose && prose_end(s, n))
		c->prose = 0;
	return c->prose;
}
