/*
 * Loading the configuration and the rule files. cJSON builds the trees; a
 * small scanner of our own walks the same text once more to learn where
 * each key path starts, because cJSON keeps no positions and an error that
 * does not say where it is wastes an administrator's afternoon.
 *
 * Layering, in order: the embedded default rules (unless turned off), the
 * configuration's `rules`, then the caller's rule files. Each file may add
 * lists, extend earlier lists, disable earlier rules, add rules, and
 * override earlier rules by id.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "file.h"
#include "log.h"
#include "match.h"
#include "policy.h"
#include "sandbox.h"
#include "util.h"
#include "verdict.h"
#include "xalloc.h"

#define EMBEDDED_NAME	"default.json (embedded)"
#define MAX_FILE	(4 * 1024 * 1024)

struct policy {
	enum policy_mode	 mode;
	char			*state_dir;
	int			 defaults;
	struct policy_source	*sources;
	size_t			 nsources;
	unsigned		 actions;
	struct policy_stop	 stop;
	char			**targets;
	struct policy_github	 github;
	struct policy_fleet	 fleet;
	struct tail_options	 tail;
	int			 sandbox;
	char			**rule_files;	/* from the configuration */
	size_t			 nrule_files;

	struct policy_rule	**all;		/* every rule ever defined */
	size_t			 nall;
	struct policy_rule	**rules;	/* active, in order */
	size_t			 nrules;
	struct match_list	**lists;
	size_t			 nlists;
	char			*describe;
	char			**owned;	/* strings the accessors return */
	size_t			 nowned;
};

/* ---- key positions --------------------------------------------------- */

struct posent {
	char	*path;
	size_t	 off;
};

/* One error of one file, printed in the file's order (line, column, then
 * the order the checks found them). */
struct errline {
	int	 line, col;
	size_t	 seq;
	char	*s;
};

struct load {
	struct policy	*p;
	const char	*file;
	const char	*text;
	size_t		 len;
	struct posent	*pos;
	size_t		 npos;
	struct errline	*errs;		/* kept structured until printed */
	int		 nerrors;
	int		*disabled;	/* per p->all, this load */
	int		 quote;		/* its text may be shown in errors */
};

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

/* Skip a string, copying its (roughly unescaped) text into buf. */
static void
scan_string(struct scan *sc, char *buf, size_t bufsz)
{
	size_t	n = 0;
	char	c;

	sc->i++;	/* opening quote */
	while (sc->i < sc->len && sc->s[sc->i] != '"') {
		c = sc->s[sc->i++];
		if (c == '\\' && sc->i < sc->len)
			c = sc->s[sc->i++];
		if (buf != NULL && n + 1 < bufsz)
			buf[n++] = c;
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
err_line(const char *raw)
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
err_at(struct load *ld, size_t off, const char *path, const char *msg,
    const char *hint)
{
	struct errline	*e;
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
	e->s = err_line(raw);
	free(raw);
}

static void
err(struct load *ld, const char *path, const char *msg, const char *hint)
{
	err_at(ld, path_offset(ld, path), path, msg, hint);
}

static void
errf(struct load *ld, const char *path, const char *hint, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
errf(struct load *ld, const char *path, const char *hint, const char *fmt,
    ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	err(ld, path, msg, hint);
	free(msg);
}

static int
pos_cmp(const void *a, const void *b)
{
	const struct posent	*x = *(const struct posent *const *)a;
	const struct posent	*y = *(const struct posent *const *)b;
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
check_duplicates(struct load *ld)
{
	const struct posent	**v;
	size_t			  i;

	if (ld->npos < 2)
		return;
	v = xreallocarray(NULL, ld->npos, sizeof *v);
	for (i = 0; i < ld->npos; i++)
		v[i] = &ld->pos[i];
	qsort(v, ld->npos, sizeof *v, pos_cmp);
	for (i = 1; i < ld->npos; i++)
		if (strcmp(v[i]->path, v[i - 1]->path) == 0)
			err_at(ld, v[i]->off, v[i]->path, "duplicate key",
			    "each key may appear only once in an object");
	free(v);
}

/* ---- reading and parsing a file ------------------------------------- */

/*
 * An admin-named file: a link is followed, but a FIFO or device is never
 * read (it could hang the started hook). Its text is quoted in an error
 * only when anyone on the machine may read it: a root-only file named by
 * mistake (/etc/shadow) must not end up in the job's log.
 */
static char *
read_file(const char *path, size_t *len, int *quote, char **why)
{
	struct stat	 st;
	char		*buf;

	*why = NULL;
	if ((buf = file_read_small(AT_FDCWD, path, MAX_FILE, FILE_FOLLOW, len,
	    &st)) == NULL) {
		*why = xstrdup(errno == EFBIG ? "larger than 4 MiB" :
		    file_why(errno));
		return NULL;
	}
	*quote = (st.st_mode & S_IROTH) != 0;
	return buf;
}

static cJSON *
parse_text(struct load *ld)
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
			err_at(ld, off, NULL, "not valid JSON", "text after the "
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
		err_at(ld, off, NULL, "not valid JSON", hint);
		return NULL;
	}
	memset(&sc, 0, sizeof sc);
	sc.s = ld->text;
	sc.len = ld->len;
	sc.ld = ld;
	scan_value(&sc);
	check_duplicates(ld);
	if (!cJSON_IsObject(j)) {
		err(ld, "", "the top level must be an object",
		    "{\"version\": 1, ...}");
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static void
load_reset(struct load *ld)
{
	size_t	i;

	for (i = 0; i < ld->npos; i++)
		free(ld->pos[i].path);
	free(ld->pos);
	ld->pos = NULL;
	ld->npos = 0;
}

/* ---- generic key checking ------------------------------------------ */

static int
check_keys(struct load *ld, const cJSON *obj, const char *path,
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
		err(ld, sub, "unknown key", hint);
		free(hint);
		free(sub);
		bad = 1;
	}
	return bad ? -1 : 0;
}

static char *
subpath(const char *path, const char *key)
{
	char	*s;

	xasprintf(&s, "%s%s%s", path, *path ? "." : "", key);
	return s;
}

/* Fetch a member of an expected type; NULL (and an error) if mistyped. */
static const cJSON *
get_typed(struct load *ld, const cJSON *obj, const char *path, const char *key,
    int (*is)(const cJSON *), const char *what)
{
	const cJSON	*c;
	char		*sub;

	if ((c = cJSON_GetObjectItemCaseSensitive(obj, key)) == NULL)
		return NULL;
	if (!is(c)) {
		sub = subpath(path, key);
		errf(ld, sub, NULL, "must be %s", what);
		free(sub);
		return NULL;
	}
	return c;
}

static int
is_string(const cJSON *c)
{
	return cJSON_IsString(c);
}

static int
is_bool(const cJSON *c)
{
	return cJSON_IsBool(c);
}

static int
is_array(const cJSON *c)
{
	return cJSON_IsArray(c);
}

static int
is_object(const cJSON *c)
{
	return cJSON_IsObject(c);
}

static int
is_string_or_null(const cJSON *c)
{
	return cJSON_IsString(c) || cJSON_IsNull(c);
}

static void
check_version(struct load *ld, const cJSON *root)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(root, "version");

	if (v == NULL)
		err(ld, "", "\"version\" is required", "add \"version\": 1");
	else if (!cJSON_IsNumber(v) || v->valuedouble != 1)
		err(ld, "version", "unsupported version",
		    "this breaker reads version 1");
}

/* ---- durations, sizes, signals -------------------------------------- */

double
policy_parse_duration(const char *s)
{
	char	*end;
	double	 d;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	d = strtod(s, &end);
	if (!isfinite(d) || d < 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		return d / 1000;
	if (strcmp(end, "s") == 0)
		return d;
	if (strcmp(end, "m") == 0)
		return d * 60;
	if (strcmp(end, "h") == 0)
		return d * 3600;
	return -1;
}

long long
policy_parse_size(const char *s)
{
	char		*end;
	long long	 n;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || n < 0)
		return -1;
	if (*end == '\0' || strcmp(end, "B") == 0)
		return n;
	if (strcmp(end, "KiB") == 0 && n < (1LL << 40))
		return n << 10;
	if (strcmp(end, "MiB") == 0 && n < (1LL << 30))
		return n << 20;
	if (strcmp(end, "GiB") == 0 && n < (1LL << 20))
		return n << 30;
	return -1;
}

static int
parse_signal(const char *s)
{
	static const struct {
		const char	*name;
		int		 signo;
	} sigs[] = {
		{ "INT", SIGINT }, { "TERM", SIGTERM }, { "KILL", SIGKILL },
		{ "HUP", SIGHUP }, { "QUIT", SIGQUIT }, { "USR1", SIGUSR1 },
		{ "USR2", SIGUSR2 },
	};
	size_t	i;

	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < nitems(sigs); i++)
		if (strcmp(s, sigs[i].name) == 0)
			return sigs[i].signo;
	return -1;
}

/* ---- the configuration ---------------------------------------------- */

static const char *const default_targets[] = {
	"awf", "codex", "claude", "copilot", "gemini", "pi",
};

static char *
own(struct policy *p, char *s)
{
	p->owned = xreallocarray(p->owned, p->nowned + 1, sizeof *p->owned);
	p->owned[p->nowned++] = s;
	return s;
}

/* Add a source, or replace the one of that name; `paths` are copied. */
static void
set_source(struct policy *p, const char *name, char *const *paths,
    size_t npaths, enum source_format f)
{
	char	**arr;
	size_t	  i, j;

	for (i = 0; i < p->nsources; i++)
		if (strcmp(p->sources[i].name, name) == 0)
			break;
	if (i == p->nsources) {
		p->sources = xreallocarray(p->sources, p->nsources + 1,
		    sizeof *p->sources);
		p->sources[p->nsources++].name = own(p, xstrdup(name));
	}
	arr = xcalloc(npaths + 1, sizeof *arr);
	own(p, (char *)arr);
	for (j = 0; j < npaths; j++)
		arr[j] = own(p, xstrdup(paths[j]));
	p->sources[i].paths = (const char *const *)arr;
	p->sources[i].npaths = npaths;
	p->sources[i].path = npaths > 0 ? arr[0] : NULL;
	p->sources[i].format = f;
}

/*
 * Expand `${NAME}` from the environment: 1 and *out (caller frees); 0 when
 * a variable is unset or empty, so this alternative does not exist on this
 * runner (RUNNER_TEMP outside a job); -1 and *why when malformed.
 */
static int
expand_path(const char *in, char **out, const char **why)
{
	const char	*p, *end, *val;
	char		*buf, name[128];
	size_t		 len = 0, cap = strlen(in) + 1, n, i;

	buf = xmalloc(cap);
	for (p = in; *p != '\0'; p++) {
		val = NULL;
		n = 1;
		if (p[0] == '$' && p[1] == '{') {
			if ((end = strchr(p + 2, '}')) == NULL) {
				*why = "\"${\" without a closing \"}\"";
				goto bad;
			}
			n = end - (p + 2);
			if (n == 0 || n >= sizeof name ||
			    !(isalpha((unsigned char)p[2]) || p[2] == '_')) {
				*why = "bad variable name in ${...}";
				goto bad;
			}
			for (i = 0; i < n; i++)
				if (!isalnum((unsigned char)p[2 + i]) &&
				    p[2 + i] != '_') {
					*why = "bad variable name in ${...}";
					goto bad;
				}
			memcpy(name, p + 2, n);
			name[n] = '\0';
			if ((val = getenv(name)) == NULL || *val == '\0') {
				log_debug("path %s: $%s is not set: skipped",
				    in, name);
				free(buf);
				return 0;
			}
			p = end;
			n = strlen(val);
		} else
			val = p;
		while (len + n + 1 > cap)
			buf = xreallocarray(buf, cap *= 2, 1);
		memcpy(buf + len, val, n);
		len += n;
	}
	buf[len] = '\0';
	*out = buf;
	return 1;
bad:
	free(buf);
	return -1;
}

/*
 * Set a source from its path alternatives, expanded; an alternative that
 * does not exist here is dropped. -1 (with the failing index and reason)
 * when one is malformed.
 */
static int
set_source_expanded(struct policy *p, const char *name,
    const char *const *paths, size_t npaths, enum source_format f,
    size_t *bad, const char **why)
{
	char	*exp[POLICY_MAX_PATHS] = { NULL };
	size_t	 i, n = 0;
	int	 rc = 0;

	for (i = 0; i < npaths && i < POLICY_MAX_PATHS; i++) {
		switch (expand_path(paths[i], &exp[n], why)) {
		case 1:
			n++;
			break;
		case -1:
			*bad = i;
			rc = -1;
			goto out;
		}
	}
	set_source(p, name, exp, n, f);
out:
	while (n > 0)
		free(exp[--n]);
	return rc;
}

static const char *const engine_paths[] = { "/tmp/gh-aw/agent-stdio.log" };
static const char *const firewall_paths[] = {
	"/tmp/gh-aw/sandbox/firewall/logs/access.log",
};
/*
 * The firewall api-proxy's record of every provider answer (AWF >= v0.27.27
 * writes it always): today's place, the sibling directory AWF used before
 * v0.25.7, and under ARC/DinD the runner's temporary directory.
 */
static const char *const api_proxy_paths[] = {
	"/tmp/gh-aw/sandbox/firewall/logs/api-proxy-logs/token-tracker-audit.jsonl",
	"/tmp/gh-aw/sandbox/firewall/api-proxy-logs/token-tracker-audit.jsonl",
	("${RUNNER_TEMP}/gh-aw/sandbox/firewall/logs/api-proxy-logs/"
	    "token-tracker-audit.jsonl"),
};

static void
config_defaults(struct policy *p)
{
	const char	*why;
	size_t		 i, bad;

	p->mode = POLICY_ENFORCE;
	p->defaults = 1;
	p->actions = POLICY_ACTION_STOP;
	p->sandbox = SANDBOX_ENFORCE;
	set_source_expanded(p, "engine", engine_paths, 1, SOURCE_JSONL,
	    &bad, &why);
	set_source_expanded(p, "firewall", firewall_paths, 1, SOURCE_SQUID,
	    &bad, &why);
	set_source_expanded(p, "api-proxy", api_proxy_paths,
	    nitems(api_proxy_paths), SOURCE_JSONL,
	    &bad, &why);
	p->targets = xcalloc(nitems(default_targets),
	    sizeof *p->targets);
	for (i = 0; i < nitems(default_targets); i++)
		p->targets[i] = xstrdup(default_targets[i]);
	p->stop.ntargets = i;
	p->stop.targets = (const char *const *)p->targets;
	p->stop.ladder[0] = (struct policy_signal_step){ SIGINT, 7500 };
	p->stop.ladder[1] = (struct policy_signal_step){ SIGTERM, 2500 };
	p->stop.ladder[2] = (struct policy_signal_step){ SIGKILL, 0 };
	p->stop.nladder = 3;
	p->stop.worker = own(p, xstrdup("Runner.Worker"));
	p->fleet.journald = 1;
	p->fleet.journald_socket = POLICY_JOURNAL_SOCKET;
}

static unsigned
parse_action(const char *s)
{
	if (strcmp(s, "stop") == 0)
		return POLICY_ACTION_STOP;
	if (strcmp(s, "cancel-run") == 0)
		return POLICY_ACTION_CANCEL_RUN;
	if (strcmp(s, "check-run") == 0)
		return POLICY_ACTION_CHECK_RUN;
	return 0;
}

static int
parse_actions(struct load *ld, const cJSON *arr, const char *path,
    unsigned *out)
{
	const cJSON	*c;
	char		*sub;
	int		 i = 0, bad = 0;
	unsigned	 a;

	*out = 0;
	cJSON_ArrayForEach(c, arr) {
		xasprintf(&sub, "%s[%d]", path, i++);
		if (!cJSON_IsString(c) || (a = parse_action(c->valuestring)) ==
		    0) {
			err(ld, sub, "unknown action",
			    "one of \"stop\", \"cancel-run\", \"check-run\"");
			bad = 1;
		} else
			*out |= a;
		free(sub);
	}
	return bad ? -1 : 0;
}

/* A source's `path`: one string, or an array of ordered alternatives. */
static void
config_source_paths(struct load *ld, const char *sp, const char *name,
    const cJSON *path, enum source_format f)
{
	const char	*paths[POLICY_MAX_PATHS], *why;
	const cJSON	*c;
	char		*sub;
	size_t		 n = 0, bad;

	if (cJSON_IsString(path))
		paths[n++] = path->valuestring;
	else {
		if (!cJSON_IsArray(path) || cJSON_GetArraySize(path) < 1 ||
		    cJSON_GetArraySize(path) > POLICY_MAX_PATHS) {
			sub = subpath(sp, "path");
			err(ld, sub, "must be a string or an array of 1 to 8 "
			    "strings", "[\"/tmp/x.log\", \"${RUNNER_TEMP}/x.log\"]");
			free(sub);
			return;
		}
		cJSON_ArrayForEach(c, path) {
			if (!cJSON_IsString(c)) {
				xasprintf(&sub, "%s.path[%zu]", sp, n);
				err(ld, sub, "must be a string", NULL);
				free(sub);
				return;
			}
			paths[n++] = c->valuestring;
		}
	}
	if (set_source_expanded(ld->p, name, paths, n, f, &bad, &why) == -1) {
		if (cJSON_IsString(path))
			sub = subpath(sp, "path");
		else
			xasprintf(&sub, "%s.path[%zu]", sp, bad);
		err(ld, sub, why, "e.g. \"${RUNNER_TEMP}/gh-aw/x.log\"");
		free(sub);
	}
}

static void
config_sources(struct load *ld, const cJSON *srcs)
{
	static const char *const keys[] = { "path", "format" };
	const cJSON	*s, *path, *fmt;
	char		*sp, *sub;
	int		 f;

	cJSON_ArrayForEach(s, srcs) {
		sp = subpath("sources", s->string);
		if (!cJSON_IsObject(s)) {
			err(ld, sp, "must be an object",
			    "{\"path\": \"/x.log\", \"format\": \"text\"}");
			free(sp);
			continue;
		}
		check_keys(ld, s, sp, keys, 2);
		path = cJSON_GetObjectItemCaseSensitive(s, "path");
		fmt = get_typed(ld, s, sp, "format", is_string, "a string");
		f = SOURCE_TEXT;
		if (fmt != NULL && (f = source_format_parse(fmt->valuestring)) ==
		    -1) {
			sub = subpath(sp, "format");
			err(ld, sub, "unknown format",
			    "one of \"text\", \"jsonl\", \"squid\"");
			free(sub);
		}
		if (path == NULL)
			err(ld, sp, "\"path\" is required", NULL);
		else if (f != -1)
			config_source_paths(ld, sp, s->string, path, f);
		free(sp);
	}
}

static void
config_stop(struct load *ld, const cJSON *stop)
{
	static const char *const keys[] = { "targets", "ladder", "worker" };
	static const char *const skeys[] = { "signal", "wait" };
	struct policy	*p = ld->p;
	const cJSON	*t, *c, *sig, *wait;
	char		*sub;
	size_t		 n = 0, i;
	double		 d;
	int		 signo;

	check_keys(ld, stop, "stop", keys, 3);
	if ((t = get_typed(ld, stop, "stop", "targets", is_array,
	    "an array of process names")) != NULL) {
		cJSON_ArrayForEach(c, t) {
			xasprintf(&sub, "stop.targets[%zu]", n++);
			if (!cJSON_IsString(c) || *c->valuestring == '\0')
				err(ld, sub, "must be a process name", NULL);
			free(sub);
		}
		if (n == 0)
			err(ld, "stop.targets", "must not be empty", NULL);
		else {
			for (i = 0; i < p->stop.ntargets; i++)
				free(p->targets[i]);
			free(p->targets);
			p->targets = xcalloc(n, sizeof *p->targets);
			i = 0;
			cJSON_ArrayForEach(c, t)
				p->targets[i++] = xstrdup(cJSON_IsString(c) ?
				    c->valuestring : "");
			p->stop.targets = (const char *const *)p->targets;
			p->stop.ntargets = n;
		}
	}
	if ((t = get_typed(ld, stop, "stop", "ladder", is_array,
	    "an array of {\"signal\", \"wait\"}")) != NULL) {
		n = cJSON_GetArraySize(t);
		if (n == 0 || n > POLICY_MAX_LADDER)
			err(ld, "stop.ladder", "must have 1 to 8 steps", NULL);
		else
			p->stop.nladder = n;
		i = 0;
		cJSON_ArrayForEach(c, t) {
			xasprintf(&sub, "stop.ladder[%zu]", i);
			if (!cJSON_IsObject(c)) {
				err(ld, sub, "must be an object",
				    "{\"signal\": \"SIGINT\", \"wait\": \"7.5s\"}");
				free(sub);
				i++;
				continue;
			}
			check_keys(ld, c, sub, skeys, 2);
			sig = get_typed(ld, c, sub, "signal", is_string,
			    "a signal name");
			wait = get_typed(ld, c, sub, "wait", is_string,
			    "a duration");
			signo = sig ? parse_signal(sig->valuestring) : -1;
			if (sig == NULL && cJSON_GetObjectItem(c, "signal") ==
			    NULL)
				err(ld, sub, "\"signal\" is required", NULL);
			else if (sig != NULL && signo == -1)
				errf(ld, sub, "SIGINT, SIGTERM, SIGKILL, SIGHUP,"
				    " SIGQUIT, SIGUSR1, SIGUSR2",
				    "unknown signal \"%s\"", sig->valuestring);
			d = wait ? policy_parse_duration(wait->valuestring) : 0;
			if (d < 0 || d > 3600)
				err(ld, sub, "bad wait", "a duration such as "
				    "\"7.5s\" (at most 1h)");
			if (i < POLICY_MAX_LADDER && signo != -1 && d >= 0) {
				p->stop.ladder[i].signo = signo;
				p->stop.ladder[i].wait_ms = (unsigned)(d * 1000);
			}
			free(sub);
			i++;
		}
	}
	if ((t = get_typed(ld, stop, "stop", "worker", is_string,
	    "a process name")) != NULL)
		p->stop.worker = own(p, xstrdup(t->valuestring));
}

static void
config_tail(struct load *ld, const cJSON *tail)
{
	static const char *const keys[] = { "max_line", "backend",
	    "reconcile" };
	struct policy	*p = ld->p;
	const cJSON	*c;
	long long	 n;
	double		 d;

	check_keys(ld, tail, "tail", keys, 3);
	if ((c = get_typed(ld, tail, "tail", "max_line", is_string,
	    "a size such as \"64KiB\"")) != NULL) {
		n = policy_parse_size(c->valuestring);
		if (n < 256 || n > 64LL * 1024 * 1024)
			err(ld, "tail.max_line", "bad size",
			    "between \"256\" and \"64MiB\", e.g. \"64KiB\"");
		else
			p->tail.max_line = n;
	}
	if ((c = get_typed(ld, tail, "tail", "backend", is_string,
	    "a string")) != NULL) {
		if (strcmp(c->valuestring, "auto") == 0)
			p->tail.backend = TAIL_BACKEND_AUTO;
		else if (strcmp(c->valuestring, "inotify") == 0)
			p->tail.backend = TAIL_BACKEND_INOTIFY;
		else if (strcmp(c->valuestring, "poll") == 0)
			p->tail.backend = TAIL_BACKEND_POLL;
		else
			err(ld, "tail.backend", "unknown backend",
			    "one of \"auto\", \"inotify\", \"poll\"");
	}
	if ((c = get_typed(ld, tail, "tail", "reconcile", is_string,
	    "a duration")) != NULL) {
		d = policy_parse_duration(c->valuestring);
		if (d < 1 || d > 3600)
			err(ld, "tail.reconcile", "bad duration",
			    "at least \"1s\", at most \"1h\"");
		else
			p->tail.reconcile_ms = (unsigned)(d * 1000);
	}
}

static void
config_github(struct load *ld, const cJSON *gh)
{
	static const char *const keys[] = { "api_url", "app_id",
	    "installation_id", "private_key_file", "token_file", "ca_file" };
	struct policy	*p = ld->p;
	const char	**dst[] = { &p->github.api_url, &p->github.app_id,
	    &p->github.installation_id, &p->github.private_key_file,
	    &p->github.token_file, &p->github.ca_file };
	const cJSON	*c;
	size_t		 i;

	check_keys(ld, gh, "github", keys, 6);
	for (i = 0; i < 6; i++)
		if ((c = get_typed(ld, gh, "github", keys[i], is_string_or_null,
		    "a string or null")) != NULL && cJSON_IsString(c))
			*dst[i] = own(p, xstrdup(c->valuestring));
}

/* An absolute path, or null for "not written". */
static void
fleet_path(struct load *ld, const cJSON *o, const char *obj, const char *key,
    const char **dst)
{
	const cJSON	*c;
	char		*sub;

	if ((c = get_typed(ld, o, obj, key, is_string_or_null,
	    "an absolute path or null")) == NULL || !cJSON_IsString(c))
		return;
	if (c->valuestring[0] != '/') {
		xasprintf(&sub, "%s.%s", obj, key);
		err(ld, sub, "must be an absolute path",
		    "hooks run with the workspace as their directory");
		free(sub);
		return;
	}
	*dst = own(ld->p, xstrdup(c->valuestring));
}

static void
config_events(struct load *ld, const cJSON *ev)
{
	static const char *const keys[] = { "file", "journald",
	    "journald_socket" };
	struct policy	*p = ld->p;
	const cJSON	*c;

	check_keys(ld, ev, "events", keys, 3);
	fleet_path(ld, ev, "events", "file", &p->fleet.events_file);
	fleet_path(ld, ev, "events", "journald_socket",
	    &p->fleet.journald_socket);
	if ((c = get_typed(ld, ev, "events", "journald", is_string,
	    "a string")) != NULL) {
		if (strcmp(c->valuestring, "auto") == 0)
			p->fleet.journald = 1;
		else if (strcmp(c->valuestring, "off") == 0)
			p->fleet.journald = 0;
		else
			err(ld, "events.journald", "unknown value",
			    "\"auto\" (when the journal's socket exists) or "
			    "\"off\"");
	}
}

static void
config_metrics(struct load *ld, const cJSON *m)
{
	static const char *const keys[] = { "textfile_dir" };

	check_keys(ld, m, "metrics", keys, 1);
	fleet_path(ld, m, "metrics", "textfile_dir", &ld->p->fleet.metrics_dir);
}

static void
config_rules(struct load *ld, const cJSON *rules)
{
	struct policy	*p = ld->p;
	const cJSON	*c;
	char		*sub;
	size_t		 i = 0;

	cJSON_ArrayForEach(c, rules) {
		if (!cJSON_IsString(c)) {
			xasprintf(&sub, "rules[%zu]", i);
			err(ld, sub, "must be a path to a rule file", NULL);
			free(sub);
		} else {
			p->rule_files = xreallocarray(p->rule_files,
			    p->nrule_files + 1, sizeof *p->rule_files);
			p->rule_files[p->nrule_files++] =
			    xstrdup(c->valuestring);
		}
		i++;
	}
}

static void
config_parse(struct load *ld, const cJSON *root)
{
	static const char *const keys[] = { "version", "mode", "state_dir",
	    "defaults", "rules", "sources", "actions", "stop", "tail",
	    "github", "sandbox", "events", "metrics" };
	struct policy	*p = ld->p;
	const cJSON	*c;
	int		 m;

	check_keys(ld, root, "", keys, nitems(keys));
	check_version(ld, root);
	if ((c = get_typed(ld, root, "", "mode", is_string, "a string"))) {
		if (strcmp(c->valuestring, "enforce") == 0)
			p->mode = POLICY_ENFORCE;
		else if (strcmp(c->valuestring, "observe") == 0)
			p->mode = POLICY_OBSERVE;
		else
			err(ld, "mode", "unknown mode",
			    "\"enforce\" or \"observe\"");
	}
	if ((c = get_typed(ld, root, "", "state_dir", is_string, "a path")))
		p->state_dir = xstrdup(c->valuestring);
	if ((c = get_typed(ld, root, "", "defaults", is_bool, "true or false")))
		p->defaults = cJSON_IsTrue(c);
	if ((c = get_typed(ld, root, "", "rules", is_array,
	    "an array of paths")))
		config_rules(ld, c);
	if ((c = get_typed(ld, root, "", "sources", is_object,
	    "an object: name -> {path, format}")))
		config_sources(ld, c);
	if ((c = get_typed(ld, root, "", "actions", is_array,
	    "an array of actions")))
		parse_actions(ld, c, "actions", &p->actions);
	if ((c = get_typed(ld, root, "", "stop", is_object, "an object")))
		config_stop(ld, c);
	if ((c = get_typed(ld, root, "", "tail", is_object, "an object")))
		config_tail(ld, c);
	if ((c = get_typed(ld, root, "", "github", is_object, "an object")))
		config_github(ld, c);
	if ((c = get_typed(ld, root, "", "events", is_object, "an object")))
		config_events(ld, c);
	if ((c = get_typed(ld, root, "", "metrics", is_object, "an object")))
		config_metrics(ld, c);
	if ((c = get_typed(ld, root, "", "sandbox", is_string, "a string"))) {
		if ((m = sandbox_mode_parse(c->valuestring)) == -1)
			err(ld, "sandbox", "unknown sandbox mode",
			    "\"enforce\", \"require\", \"log\" or \"off\"");
		else
			p->sandbox = m;
	}
	p->github.cancel_run = (p->actions & POLICY_ACTION_CANCEL_RUN) != 0;
	p->github.check_run = (p->actions & POLICY_ACTION_CHECK_RUN) != 0;
}

/* ---- rule files ------------------------------------------------------ */

static char *
where(struct load *ld, const char *path)
{
	char	*s;
	int	 l, c;

	offset_linecol(ld->text, ld->len, path_offset(ld, path), &l, &c);
	xasprintf(&s, "%s:%d:%d", ld->file, l, c);
	return s;
}

static struct match_list *
list_find(struct policy *p, const char *name)
{
	size_t	i;

	for (i = 0; i < p->nlists; i++)
		if (strcmp(p->lists[i]->name, name) == 0)
			return p->lists[i];
	return NULL;
}

static struct match_list *
list_get(struct policy *p, const char *name)
{
	struct match_list	*l;

	if ((l = list_find(p, name)) != NULL)
		return l;
	l = xcalloc(1, sizeof *l);
	l->name = xstrdup(name);
	p->lists = xreallocarray(p->lists, p->nlists + 1, sizeof *p->lists);
	p->lists[p->nlists++] = l;
	return l;
}

static void
env_error(void *arg, const char *path, const char *msg, const char *hint)
{
	err(arg, path, msg, hint);
}

static struct match_list *
env_list(void *arg, const char *name, const char *path)
{
	struct load		*ld = arg;
	struct match_list	*l = list_get(ld->p, name);

	if (l->ref_file == NULL) {
		l->ref_file = where(ld, path);
		l->ref_path = xstrdup(path);
	}
	return l;
}

static void
list_append(struct load *ld, struct match_list *l, const cJSON *arr,
    const char *path)
{
	const cJSON	*c;
	char		*sub;
	size_t		 i = 0;

	cJSON_ArrayForEach(c, arr) {
		if (!cJSON_IsString(c) || *c->valuestring == '\0') {
			xasprintf(&sub, "%s[%zu]", path, i);
			err(ld, sub, "must be a non-empty string", NULL);
			free(sub);
		} else {
			l->items = xreallocarray(l->items, l->nitems + 1,
			    sizeof *l->items);
			l->items[l->nitems++] = xstrdup(c->valuestring);
		}
		i++;
	}
}

static void
rules_lists(struct load *ld, const cJSON *lists, int extend)
{
	const char		*key = extend ? "extend_lists" : "lists";
	struct match_list	*l;
	const cJSON		*c;
	char			*sub;

	cJSON_ArrayForEach(c, lists) {
		sub = subpath(key, c->string);
		l = list_find(ld->p, c->string);
		if (!cJSON_IsArray(c))
			err(ld, sub, "must be an array of strings", NULL);
		else if (!extend && l != NULL && l->defined)
			err(ld, sub, "list already defined by an earlier file",
			    "use \"extend_lists\" to add to it");
		else if (extend && (l == NULL || !l->defined))
			err(ld, sub, "unknown list", "\"extend_lists\" "
			    "extends a list defined earlier; define a new one "
			    "with \"lists\"");
		else {
			if (l == NULL)
				l = list_get(ld->p, c->string);
			l->defined = 1;
			list_append(ld, l, c, sub);
		}
		free(sub);
	}
}

static struct policy_rule *
rule_find(struct policy *p, const char *id)
{
	size_t	i;

	for (i = 0; i < p->nall; i++)
		if (strcmp(p->all[i]->id, id) == 0)
			return p->all[i];
	return NULL;
}

static void
rules_disable(struct load *ld, const cJSON *arr)
{
	struct policy_rule	*r;
	const cJSON		*c;
	char			*sub;
	size_t			 i = 0;

	cJSON_ArrayForEach(c, arr) {
		xasprintf(&sub, "disable[%zu]", i++);
		if (!cJSON_IsString(c))
			err(ld, sub, "must be a rule id", NULL);
		else if ((r = rule_find(ld->p, c->valuestring)) == NULL)
			errf(ld, sub, "only rules of earlier files can be "
			    "disabled", "unknown rule \"%s\"", c->valuestring);
		else
			r->disabled = 1;
		free(sub);
	}
}

static int
valid_id(const char *s)
{
	if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s))
		return 0;
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    *s != '.' && *s != '_' && *s != '-')
			return 0;
	return 1;
}

static void
refs_free(struct policy_rule_ref *refs, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(refs[i].id);
		free(refs[i].where);
		free(refs[i].path);
	}
	free(refs);
}

static void
rule_free(struct policy_rule *r)
{
	size_t	i;

	if (r == NULL)
		return;
	free(r->id);
	free(r->title);
	free(r->message);
	free(r->hint);
	free(r->source);
	match_free(r->match);
	for (i = 0; i < r->nexcept; i++)
		match_free(r->except[i]);
	free(r->except);
	free(r->window_text);
	free(r->group_by);
	free(r->field);
	free(r->after);
	cJSON_Delete(r->samples);
	free(r->file);
	free(r->path);
	free(r->where);
	free(r->after_where);
	free(r->reset_by);
	free(r->reset_where);
	refs_free(r->if_fired, r->nif_fired);
	refs_free(r->unless_fired, r->nunless_fired);
	free(r);
}

static int
is_builtin(const char *name)
{
	return strcmp(name, "count") == 0 || strcmp(name, "window") == 0 ||
	    strcmp(name, "rule") == 0 || strcmp(name, "source") == 0;
}

/* A name a template, group_by or distinct field can use on this rule. */
static int
name_known(struct policy *p, const struct policy_rule *r, const char *name)
{
	enum source_format	f = p->sources[r->source_idx].format;

	if (match_has_capture(r->match, name))
		return 1;
	if (f == SOURCE_SQUID)
		return source_squid_field(name) != -1;
	/* a text line is like a jsonl line that is never JSON: fields are
	 * valid names that are always absent, so rules stay portable */
	return f != SOURCE_SQUID && *name != '\0' && name[0] != '.' &&
	    name[strlen(name) - 1] != '.' && strstr(name, "..") == NULL;
}

static void
name_error(struct load *ld, const struct policy_rule *r, const char *path,
    const char *name)
{
	char	hint[512] = "";
	size_t	n;

	match_capture_names(r->match, hint, sizeof hint);
	n = strlen(hint);
	snprintf(hint + n, sizeof hint - n, "%s%s", n ? "; " : "",
	    ld->p->sources[r->source_idx].format == SOURCE_TEXT ?
	    "a text source has no fields: add a named capture (?<name>...)" :
	    "a named capture (?<name>...) or a field");
	errf(ld, path, hint, "unknown capture or field \"%s\"", name);
}

static void
check_template(struct load *ld, const struct policy_rule *r, const char *path)
{
	const char	*s = r->message, *e;
	char		 name[128];
	size_t		 n;

	while ((s = strchr(s, '{')) != NULL) {
		if (s[1] == '{') {
			s += 2;
			continue;
		}
		if ((e = strchr(s, '}')) == NULL) {
			err(ld, path, "unclosed \"{\" in message",
			    "write {{ for a literal brace");
			return;
		}
		n = e - s - 1;
		if (n == 0 || n >= sizeof name) {
			err(ld, path, "empty or over-long {name}", NULL);
			return;
		}
		memcpy(name, s + 1, n);
		name[n] = '\0';
		if (!is_builtin(name) && !name_known(ld->p, r, name))
			name_error(ld, r, path, name);
		s = e + 1;
	}
}

static int
parse_severity(const char *s)
{
	if (strcmp(s, "none") == 0)
		return POLICY_SEVERITY_NONE;
	if (strcmp(s, "fatal") == 0)
		return SEVERITY_FATAL;
	if (strcmp(s, "warning") == 0)
		return SEVERITY_WARNING;
	if (strcmp(s, "notice") == 0)
		return SEVERITY_NOTICE;
	return -2;
}

static void
rule_correlate(struct load *ld, struct policy_rule *r, const cJSON *c,
    const char *path)
{
	static const char *const keys[] = { "kind", "threshold", "window",
	    "group_by", "field", "after", "reset_by" };
	const cJSON	*k, *t, *w, *g, *f, *a, *rb;
	char		*sp = subpath(path, "correlate"), *sub;

	check_keys(ld, c, sp, keys, 7);
	rb = get_typed(ld, c, sp, "reset_by", is_string, "a rule id");
	k = get_typed(ld, c, sp, "kind", is_string, "a string");
	t = cJSON_GetObjectItemCaseSensitive(c, "threshold");
	w = get_typed(ld, c, sp, "window", is_string, "a duration");
	g = get_typed(ld, c, sp, "group_by", is_string, "a capture or field");
	f = get_typed(ld, c, sp, "field", is_string, "a capture or field");
	a = get_typed(ld, c, sp, "after", is_string, "a rule id");
	if (k == NULL || (strcmp(k->valuestring, "count") != 0 &&
	    strcmp(k->valuestring, "distinct") != 0 &&
	    strcmp(k->valuestring, "sequence") != 0)) {
		sub = subpath(sp, "kind");
		err(ld, k ? sub : sp, k ? "unknown kind" : "\"kind\" is "
		    "required", "\"count\", \"distinct\" or \"sequence\"");
		free(sub);
		free(sp);
		return;
	}
	r->kind = strcmp(k->valuestring, "count") == 0 ? CORRELATE_COUNT :
	    strcmp(k->valuestring, "distinct") == 0 ? CORRELATE_DISTINCT :
	    CORRELATE_SEQUENCE;
	r->threshold = 1;
	if (t != NULL) {
		sub = subpath(sp, "threshold");
		if (!cJSON_IsNumber(t) || t->valuedouble != floor(t->valuedouble)
		    || t->valuedouble < 1 ||
		    t->valuedouble > CORRELATE_MAX_THRESHOLD)
			err(ld, sub, "must be an integer from 1 to 1024", NULL);
		else
			r->threshold = (unsigned)t->valuedouble;
		free(sub);
	}
	if (w == NULL) {
		if (cJSON_GetObjectItemCaseSensitive(c, "window") == NULL)
			err(ld, sp, "\"window\" is required",
			    "e.g. \"window\": \"10m\"");
	} else if ((r->window = policy_parse_duration(w->valuestring)) <= 0 ||
	    r->window > 7 * 86400) {
		sub = subpath(sp, "window");
		err(ld, sub, "bad duration",
		    "e.g. \"250ms\", \"7.5s\", \"10m\", \"1h\" (at most 7 days)");
		free(sub);
	} else
		r->window_text = xstrdup(w->valuestring);
	if (g != NULL) {
		r->group_by = xstrdup(g->valuestring);
		if (!name_known(ld->p, r, r->group_by)) {
			sub = subpath(sp, "group_by");
			name_error(ld, r, sub, r->group_by);
			free(sub);
		}
	}
	if (r->kind == CORRELATE_DISTINCT) {
		if (f == NULL)
			err(ld, sp, "\"field\" is required for distinct",
			    "the capture or field whose values are counted");
		else if (!name_known(ld->p, r, f->valuestring)) {
			sub = subpath(sp, "field");
			name_error(ld, r, sub, f->valuestring);
			free(sub);
		}
		if (f != NULL)
			r->field = xstrdup(f->valuestring);
	} else if (cJSON_GetObjectItemCaseSensitive(c, "field") != NULL) {
		sub = subpath(sp, "field");
		err(ld, sub, "only a distinct correlation has a field", NULL);
		free(sub);
	}
	if (r->kind == CORRELATE_SEQUENCE) {
		if (a == NULL)
			err(ld, sp, "\"after\" is required for sequence",
			    "the id of the rule whose events come first");
		else {
			r->after = xstrdup(a->valuestring);
			sub = subpath(sp, "after");
			r->after_where = where(ld, sub);
			free(sub);
		}
	} else if (cJSON_GetObjectItemCaseSensitive(c, "after") != NULL) {
		sub = subpath(sp, "after");
		err(ld, sub, "only a sequence correlation has \"after\"", NULL);
		free(sub);
	}
	if (rb != NULL) {
		sub = subpath(sp, "reset_by");
		if (r->kind == CORRELATE_SEQUENCE)
			err(ld, sub, "a sequence cannot be reset",
			    "reset the rule it follows instead");
		else {
			r->reset_by = xstrdup(rb->valuestring);
			r->reset_where = where(ld, sub);
		}
		free(sub);
	}
	free(sp);
}

/* A sample line: a string (the rule's own source), or a line of another
 * source, {"source": NAME, "line": TEXT}, for rules that depend on it. */
static int
sample_line_ok(const struct policy *p, const cJSON *l)
{
	const cJSON	*src, *line;

	if (cJSON_IsString(l))
		return 1;
	src = cJSON_GetObjectItemCaseSensitive(l, "source");
	line = cJSON_GetObjectItemCaseSensitive(l, "line");
	return cJSON_IsObject(l) && cJSON_GetArraySize(l) == 2 &&
	    cJSON_IsString(src) && cJSON_IsString(line) &&
	    policy_source_index(p, src->valuestring) != -1;
}

static void
rule_samples(struct load *ld, struct policy_rule *r, const cJSON *s,
    const char *path)
{
	static const char *const keys[] = { "fire", "silent" };
	const cJSON	*arr, *it, *l;
	char		*sp = subpath(path, "samples"), *sub;
	size_t		 k, i;

	check_keys(ld, s, sp, keys, 2);
	for (k = 0; k < 2; k++) {
		if ((arr = get_typed(ld, s, sp, keys[k], is_array,
		    "an array of lines or of arrays of lines")) == NULL)
			continue;
		i = 0;
		cJSON_ArrayForEach(it, arr) {
			xasprintf(&sub, "%s.%s[%zu]", sp, keys[k], i++);
			if (cJSON_IsArray(it) && cJSON_GetArraySize(it) > 0) {
				cJSON_ArrayForEach(l, it)
					if (!sample_line_ok(ld->p, l))
						break;
				if (l != NULL)
					err(ld, sub, "must hold only lines",
					    "a string, or {\"source\": NAME, "
					    "\"line\": TEXT} for a line of "
					    "another source");
			} else if (!cJSON_IsString(it))
				err(ld, sub, "must be a line or a non-empty "
				    "array of lines", NULL);
			free(sub);
		}
	}
	r->samples = cJSON_Duplicate(s, 1);
	free(sp);
}

static void
rule_except(struct load *ld, struct policy_rule *r, const cJSON *arr,
    const char *path, const struct match_env *env)
{
	const cJSON	*c;
	char		*sub;
	size_t		 i = 0;

	r->except = xcalloc(cJSON_GetArraySize(arr) + 1, sizeof *r->except);
	cJSON_ArrayForEach(c, arr) {
		xasprintf(&sub, "%s.except[%zu]", path, i++);
		if ((r->except[r->nexcept] = match_compile(c, sub, env)) != NULL)
			r->nexcept++;
		free(sub);
	}
}

/*
 * What the workflow's author should do, in one short line of the
 * annotation: no newline or control character (it would break the line),
 * at most POLICY_HINT_MAX bytes (the title and message share 4 KiB).
 */
static void
rule_hint(struct load *ld, struct policy_rule *r, const char *h,
    const char *path)
{
	char		*sub = subpath(path, "hint");
	const char	*c;

	for (c = h; *c != '\0' && (unsigned char)*c >= 0x20 && *c != 0x7f;
	    c++)
		;
	if (*h == '\0' || *c != '\0' || strlen(h) > POLICY_HINT_MAX)
		errf(ld, sub, "one short line telling the workflow's author "
		    "what to do", "must be 1 to %d bytes, without a newline or "
		    "control character", POLICY_HINT_MAX);
	else
		r->hint = xstrdup(h);
	free(sub);
}

static const char *const rule_keys[] = { "id", "title", "source", "severity",
    "match", "except", "correlate", "message", "actions", "observe",
    "samples", "override", "if_fired", "unless_fired", "hint" };

/* `if_fired` / `unless_fired`: rule ids, resolved once every file is in. */
static void
rule_refs(struct load *ld, const cJSON *o, const char *path, const char *key,
    struct policy_rule_ref **refs, size_t *n)
{
	const cJSON	*arr, *c;
	char		*sub;
	size_t		 i = 0;

	if ((arr = get_typed(ld, o, path, key, is_array,
	    "an array of rule ids")) == NULL)
		return;
	*refs = xcalloc(cJSON_GetArraySize(arr) + 1, sizeof **refs);
	cJSON_ArrayForEach(c, arr) {
		xasprintf(&sub, "%s.%s[%zu]", path, key, i++);
		if (!cJSON_IsString(c)) {
			err(ld, sub, "must be a rule id", NULL);
			free(sub);
			continue;
		}
		(*refs)[*n].id = xstrdup(c->valuestring);
		(*refs)[*n].where = where(ld, sub);
		(*refs)[*n].path = sub;
		(*n)++;
	}
}

static struct policy_rule *
rule_parse(struct load *ld, const cJSON *o, const char *path, int *override)
{
	struct policy_rule	*r;
	struct match_env	 env;
	const cJSON		*c;
	char			*sub, hint[256];
	int			 n0 = ld->nerrors, si;
	size_t			 i;

	*override = 0;
	if (!cJSON_IsObject(o)) {
		err(ld, path, "a rule must be an object", NULL);
		return NULL;
	}
	check_keys(ld, o, path, rule_keys, sizeof rule_keys /
	    sizeof rule_keys[0]);
	r = xcalloc(1, sizeof *r);
	r->file = xstrdup(ld->file);
	r->path = xstrdup(path);
	r->where = where(ld, path);
	if ((c = get_typed(ld, o, path, "id", is_string, "a string")) != NULL) {
		if (!valid_id(c->valuestring)) {
			sub = subpath(path, "id");
			err(ld, sub, "bad rule id", "lower-case letters, "
			    "digits, '.', '_', '-'; e.g. \"codex.auth.401\"");
			free(sub);
		}
		r->id = xstrdup(c->valuestring);
	} else if (cJSON_GetObjectItemCaseSensitive(o, "id") == NULL)
		err(ld, path, "\"id\" is required", NULL);
	if ((c = get_typed(ld, o, path, "title", is_string, "a string")))
		r->title = xstrdup(c->valuestring);
	else if (cJSON_GetObjectItemCaseSensitive(o, "title") == NULL)
		err(ld, path, "\"title\" is required",
		    "the annotation's title");
	r->source = xstrdup("engine");
	if ((c = get_typed(ld, o, path, "source", is_string, "a source name"))) {
		free(r->source);
		r->source = xstrdup(c->valuestring);
	}
	si = policy_source_index(ld->p, r->source);
	if (si == -1) {
		sub = subpath(path, "source");
		snprintf(hint, sizeof hint, "sources:");
		for (i = 0; i < ld->p->nsources; i++)
			snprintf(hint + strlen(hint), sizeof hint -
			    strlen(hint), " %s", ld->p->sources[i].name);
		errf(ld, sub, hint, "unknown source \"%s\"", r->source);
		free(sub);
		si = 0;
	}
	r->source_idx = si;
	r->severity = -2;
	if ((c = get_typed(ld, o, path, "severity", is_string, "a string")) &&
	    (r->severity = parse_severity(c->valuestring)) == -2) {
		sub = subpath(path, "severity");
		err(ld, sub, "unknown severity",
		    "\"fatal\", \"warning\", \"notice\" or \"none\"");
		free(sub);
	} else if (c == NULL &&
	    cJSON_GetObjectItemCaseSensitive(o, "severity") == NULL)
		err(ld, path, "\"severity\" is required",
		    "\"fatal\", \"warning\", \"notice\" or \"none\"");
	memset(&env, 0, sizeof env);
	env.format = ld->p->sources[r->source_idx].format;
	env.error = env_error;
	env.list = env_list;
	env.arg = ld;
	sub = subpath(path, "match");
	if ((c = cJSON_GetObjectItemCaseSensitive(o, "match")) == NULL)
		err(ld, path, "\"match\" is required",
		    "e.g. \"match\": {\"regex\": \"^ERROR: \"}");
	else
		r->match = match_compile(c, sub, &env);
	free(sub);
	if ((c = get_typed(ld, o, path, "except", is_array,
	    "an array of predicates")))
		rule_except(ld, r, c, path, &env);
	if ((c = get_typed(ld, o, path, "correlate", is_object, "an object")))
		rule_correlate(ld, r, c, path);
	if ((c = get_typed(ld, o, path, "message", is_string, "a string"))) {
		r->message = xstrdup(c->valuestring);
		sub = subpath(path, "message");
		check_template(ld, r, sub);
		free(sub);
	}
	if ((c = get_typed(ld, o, path, "hint", is_string, "a string")))
		rule_hint(ld, r, c->valuestring, path);
	if (r->severity == SEVERITY_FATAL)
		r->actions = POLICY_ACTION_STOP;
	if ((c = get_typed(ld, o, path, "actions", is_array,
	    "an array of actions"))) {
		sub = subpath(path, "actions");
		parse_actions(ld, c, sub, &r->actions);
		free(sub);
	}
	if ((c = get_typed(ld, o, path, "observe", is_bool, "true or false")))
		r->observe = cJSON_IsTrue(c);
	if ((c = get_typed(ld, o, path, "samples", is_object, "an object")))
		rule_samples(ld, r, c, path);
	if ((c = get_typed(ld, o, path, "override", is_bool, "true or false")))
		*override = cJSON_IsTrue(c);
	rule_refs(ld, o, path, "if_fired", &r->if_fired, &r->nif_fired);
	rule_refs(ld, o, path, "unless_fired", &r->unless_fired,
	    &r->nunless_fired);
	if (ld->nerrors != n0 || r->id == NULL) {
		rule_free(r);
		return NULL;
	}
	return r;
}

static void
rules_add(struct load *ld, const cJSON *arr)
{
	struct policy		*p = ld->p;
	struct policy_rule	*r, *old;
	const cJSON		*c;
	char			*sub, *id;
	size_t			 i = 0, k;
	int			 override;

	cJSON_ArrayForEach(c, arr) {
		xasprintf(&sub, "rules[%zu]", i++);
		r = rule_parse(ld, c, sub, &override);
		if (r == NULL) {
			free(sub);
			continue;
		}
		old = rule_find(p, r->id);
		xasprintf(&id, "%s.id", sub);
		if (old != NULL && !override)
			errf(ld, id, "add \"override\": true to replace it, or "
			    "pick another id", "duplicate rule id \"%s\" "
			    "(first defined at %s)", r->id, old->where);
		else if (old == NULL && override)
			errf(ld, id, "\"override\" replaces a rule of an "
			    "earlier file", "no rule \"%s\" to override",
			    r->id);
		else if (old != NULL) {
			for (k = 0; p->all[k] != old; k++)
				;
			rule_free(old);
			p->all[k] = r;
			r = NULL;
		} else {
			p->all = xreallocarray(p->all, p->nall + 1,
			    sizeof *p->all);
			p->all[p->nall++] = r;
			r = NULL;
		}
		rule_free(r);
		free(id);
		free(sub);
	}
}

static void
rules_parse(struct load *ld, const cJSON *root)
{
	static const char *const keys[] = { "version", "lists",
	    "extend_lists", "disable", "rules" };
	const cJSON	*c;

	check_keys(ld, root, "", keys, 5);
	check_version(ld, root);
	if ((c = get_typed(ld, root, "", "lists", is_object,
	    "an object: name -> array of strings")))
		rules_lists(ld, c, 0);
	if ((c = get_typed(ld, root, "", "extend_lists", is_object,
	    "an object: name -> array of strings")))
		rules_lists(ld, c, 1);
	if ((c = get_typed(ld, root, "", "disable", is_array,
	    "an array of rule ids")))
		rules_disable(ld, c);
	if ((c = get_typed(ld, root, "", "rules", is_array,
	    "an array of rules")))
		rules_add(ld, c);
}

/* ---- loading --------------------------------------------------------- */

struct errbuf {
	char	*s;
	size_t	 len;
	int	 n;
};

static void
errbuf_add(struct errbuf *eb, const char *s, size_t len, int n)
{
	eb->s = xreallocarray(eb->s, eb->len + len + 1, 1);
	memcpy(eb->s + eb->len, s, len);
	eb->len += len;
	eb->s[eb->len] = '\0';
	eb->n += n;
}

static void
errbuf_addf(struct errbuf *eb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
errbuf_addf(struct errbuf *eb, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = xvasprintf(&s, fmt, ap);
	va_end(ap);
	errbuf_add(eb, s, n, 1);
	free(s);
}

enum file_kind { FILE_CONFIG, FILE_RULES };


static int
errline_cmp(const void *a, const void *b)
{
	const struct errline	*x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One file's errors in the order of the file, not of the checks. */
static void
errors_sorted(struct errbuf *eb, struct load *ld)
{
	size_t	i, n = (size_t)ld->nerrors;

	qsort(ld->errs, n, sizeof *ld->errs, errline_cmp);
	for (i = 0; i < n; i++)
		errbuf_add(eb, ld->errs[i].s, strlen(ld->errs[i].s), 1);
}

static void
errors_free(struct load *ld)
{
	int	i;

	for (i = 0; i < ld->nerrors; i++)
		free(ld->errs[i].s);
	free(ld->errs);
}

static void
load_text(struct policy *p, const char *name, const char *text, size_t len,
    enum file_kind kind, int quote, struct errbuf *eb)
{
	struct load	 ld;
	cJSON		*root;

	memset(&ld, 0, sizeof ld);
	ld.p = p;
	ld.file = name;
	ld.text = text;
	ld.len = len;
	ld.quote = quote;
	if ((root = parse_text(&ld)) != NULL) {
		if (kind == FILE_CONFIG)
			config_parse(&ld, root);
		else
			rules_parse(&ld, root);
		cJSON_Delete(root);
	}
	if (ld.nerrors > 0)
		errors_sorted(eb, &ld);
	errors_free(&ld);
	load_reset(&ld);
}

static void
load_path(struct policy *p, const char *path, enum file_kind kind,
    struct errbuf *eb)
{
	char	*text, *why;
	size_t	 len;
	int	 quote;

	if ((text = read_file(path, &len, &quote, &why)) == NULL) {
		errbuf_addf(eb, "%s:0:0: cannot read: %s (check the path and "
		    "its permissions)\n", path, why);
		free(why);
		return;
	}
	load_text(p, path, text, len, kind, quote, eb);
	free(text);
}

/*
 * A condition names a rule that exists (in any file); a disabled one never
 * fires, so the condition stays valid after an administrator's `disable`.
 */
static void
resolve_refs(struct policy *p, struct policy_rule *r,
    struct policy_rule_ref *refs, size_t n, struct errbuf *eb)
{
	size_t	i;
	int	k;

	for (i = 0; i < n; i++) {
		k = policy_rule_index(p, refs[i].id);
		refs[i].idx = k == -1 ? POLICY_RULE_NONE : (size_t)k;
		if (strcmp(refs[i].id, r->id) == 0)
			errbuf_addf(eb, "%s: %s: a rule cannot depend on itself "
			    "(\"%s\")\n", refs[i].where, refs[i].path,
			    refs[i].id);
		else if (k == -1 && rule_find(p, refs[i].id) == NULL)
			errbuf_addf(eb, "%s: %s: unknown rule \"%s\" (the id "
			    "of an earlier or later rule)\n", refs[i].where,
			    refs[i].path, refs[i].id);
	}
}

/* Resolve references across files, and build the active rule list. */
static void
finalize(struct policy *p, struct errbuf *eb)
{
	struct policy_rule	*r;
	size_t			 i;
	int			 k;

	for (i = 0; i < p->nlists; i++)
		if (!p->lists[i]->defined)
			errbuf_addf(eb, "%s: %s: unknown list \"%s\" (define it "
			    "under \"lists\")\n", p->lists[i]->ref_file,
			    p->lists[i]->ref_path, p->lists[i]->name);
	p->rules = xcalloc(p->nall + 1, sizeof *p->rules);
	for (i = 0; i < p->nall; i++)
		if (!p->all[i]->disabled)
			p->rules[p->nrules++] = p->all[i];
	for (i = 0; i < p->nrules; i++) {
		r = p->rules[i];
		resolve_refs(p, r, r->if_fired, r->nif_fired, eb);
		resolve_refs(p, r, r->unless_fired, r->nunless_fired, eb);
		if (r->kind != CORRELATE_SEQUENCE || r->after == NULL)
			continue;
		k = policy_rule_index(p, r->after);
		if (k == -1 || strcmp(r->after, r->id) == 0)
			errbuf_addf(eb, "%s: %s.correlate.after: %s \"%s\" (%s)\n",
			    r->after_where, r->path, k == -1 ? "unknown rule" :
			    "a rule cannot follow itself", r->after,
			    rule_find(p, r->after) ? "it was disabled" :
			    "the id of an earlier or later rule");
		else
			r->after_idx = k;
	}
	for (i = 0; i < p->nrules; i++) {
		r = p->rules[i];
		if (r->reset_by == NULL)
			continue;
		k = policy_rule_index(p, r->reset_by);
		if (k == -1 || strcmp(r->reset_by, r->id) == 0)
			errbuf_addf(eb, "%s: %s.correlate.reset_by: %s \"%s\" "
			    "(%s)\n", r->reset_where, r->path, k == -1 ?
			    "unknown rule" : "a rule cannot reset itself",
			    r->reset_by, rule_find(p, r->reset_by) ?
			    "it was disabled" : "the id of an earlier or later "
			    "rule");
		else
			r->reset_idx = k;
	}
}

static void
describe(struct policy *p, const struct policy_load_args *a, int defaults,
    const char *config)
{
	char	*s, *t;
	size_t	 i;

	/* Where the rules came from; callers print how many there are. */
	xasprintf(&s, "%s", defaults ? "embedded default policy" :
	    "no default rules");
	if (config != NULL) {
		xasprintf(&t, "%s; config %s", s, config);
		free(s);
		s = t;
	}
	for (i = 0; i < p->nrule_files; i++) {
		xasprintf(&t, "%s + %s", s, p->rule_files[i]);
		free(s);
		s = t;
	}
	for (i = 0; a != NULL && i < a->nrule_files; i++) {
		xasprintf(&t, "%s + %s", s, a->rule_files[i]);
		free(s);
		s = t;
	}
	p->describe = s;
}

/* A relative rule path in a configuration is relative to that file. */
static char *
config_relative(const char *config, const char *path)
{
	const char	*slash;
	char		*s;

	if (path[0] == '/' || config == NULL ||
	    (slash = strrchr(config, '/')) == NULL)
		return xstrdup(path);
	xasprintf(&s, "%.*s/%s", (int)(slash - config), config, path);
	return s;
}

struct policy *
policy_load(const struct policy_load_args *a, char **errors)
{
	struct policy	*p;
	struct errbuf	 eb;
	size_t		 i;
	char		*path;
	int		 defaults;

	memset(&eb, 0, sizeof eb);
	p = xcalloc(1, sizeof *p);
	config_defaults(p);
	if (a != NULL && a->config != NULL)
		load_path(p, a->config, FILE_CONFIG, &eb);
	defaults = p->defaults && (a == NULL || !a->no_defaults);
	if (defaults)
		load_text(p, EMBEDDED_NAME, policy_default_json,
		    policy_default_json_len, FILE_RULES, 1, &eb);
	for (i = 0; i < p->nrule_files; i++) {
		/* only a configuration (a->config) sets nrule_files */
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
		path = config_relative(a->config, p->rule_files[i]);
		load_path(p, path, FILE_RULES, &eb);
		free(path);
	}
	for (i = 0; a != NULL && i < a->nrule_files; i++)
		load_path(p, a->rule_files[i], FILE_RULES, &eb);
	finalize(p, &eb);
	if (eb.n > 0) {
		if (errors != NULL)
			*errors = eb.s;
		else
			free(eb.s);
		policy_free(p);
		return NULL;
	}
	if (errors != NULL)
		*errors = NULL;
	describe(p, a, defaults, a != NULL ? a->config : NULL);
	return p;
}

void
policy_free(struct policy *p)
{
	size_t	i, j;

	if (p == NULL)
		return;
	for (i = 0; i < p->nall; i++)
		rule_free(p->all[i]);
	free(p->all);
	free(p->rules);
	for (i = 0; i < p->nlists; i++) {
		for (j = 0; j < p->lists[i]->nitems; j++)
			free(p->lists[i]->items[j]);
		free(p->lists[i]->items);
		free(p->lists[i]->name);
		free(p->lists[i]->ref_file);
		free(p->lists[i]->ref_path);
		free(p->lists[i]);
	}
	free(p->lists);
	for (i = 0; i < p->stop.ntargets; i++)
		free(p->targets[i]);
	free(p->targets);
	for (i = 0; i < p->nrule_files; i++)
		free(p->rule_files[i]);
	free(p->rule_files);
	for (i = 0; i < p->nowned; i++)
		free(p->owned[i]);
	free(p->owned);
	free(p->sources);
	free(p->state_dir);
	free(p->describe);
	free(p);
}

/* ---- accessors ------------------------------------------------------- */

enum policy_mode
policy_mode(const struct policy *p)
{
	return p->mode;
}

void
policy_set_mode(struct policy *p, enum policy_mode m)
{
	p->mode = m;
}

const char *
policy_state_dir(const struct policy *p)
{
	return p->state_dir;
}

size_t
policy_nsources(const struct policy *p)
{
	return p->nsources;
}

const struct policy_source *
policy_source(const struct policy *p, size_t i)
{
	return i < p->nsources ? &p->sources[i] : NULL;
}

int
policy_source_index(const struct policy *p, const char *name)
{
	size_t	i;

	for (i = 0; i < p->nsources; i++)
		if (strcmp(p->sources[i].name, name) == 0)
			return (int)i;
	return -1;
}

void
policy_set_source_path(struct policy *p, size_t i, const char *path)
{
	char	*one = (char *)path;

	if (i < p->nsources)
		set_source(p, p->sources[i].name, &one, 1,
		    p->sources[i].format);
}

size_t
policy_nrules(const struct policy *p)
{
	return p->nrules;
}

const struct policy_rule *
policy_rule(const struct policy *p, size_t i)
{
	return i < p->nrules ? p->rules[i] : NULL;
}

const char *
policy_rule_hint(const char *id, const void *arg)
{
	const struct policy	*p = arg;
	int			 i;

	if (p == NULL || (i = policy_rule_index(p, id)) == -1)
		return NULL;
	return p->rules[i]->hint;
}

int
policy_rule_index(const struct policy *p, const char *id)
{
	size_t	i;

	for (i = 0; i < p->nrules; i++)
		if (strcmp(p->rules[i]->id, id) == 0)
			return (int)i;
	return -1;
}

int
policy_rule_allows(const struct policy *p, const struct policy_rule *r,
    unsigned action)
{
	return (r->actions & p->actions & action) != 0;
}

const struct policy_stop *
policy_stop(const struct policy *p)
{
	return &p->stop;
}

const struct policy_github *
policy_github(const struct policy *p)
{
	return &p->github;
}

const struct policy_fleet *
policy_fleet(const struct policy *p)
{
	return &p->fleet;
}

void
policy_tail_options(const struct policy *p, struct tail_options *o)
{
	*o = p->tail;
}

const char *
policy_describe(const struct policy *p)
{
	return p->describe != NULL ? p->describe : "?";
}

int
policy_sandbox(const struct policy *p)
{
	return p->sandbox;
}

unsigned
policy_actions(const struct policy *p)
{
	return p->actions;
}
