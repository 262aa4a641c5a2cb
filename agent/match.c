/*
 * Predicates, compiled once at load time and evaluated per event. Regexes
 * are PCRE2 with JIT (a pattern that cannot be JIT-compiled still works,
 * interpreted); the match data is one block per pipeline, reused for every
 * line, so matching never allocates.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <pcre2.h>

#include "log.h"
#include "match.h"
#include "util.h"
#include "xalloc.h"

enum pred_kind {
	P_REGEX,
	P_EQUALS,
	P_IN,
	P_IN_LIST,
	P_EXISTS,
	P_LT,
	P_LTE,
	P_GT,
	P_GTE,
	P_ALL,
	P_ANY,
	P_NOT,
};

enum scalar_type { S_STRING, S_NUMBER, S_BOOL };

struct scalar {
	enum scalar_type	 type;
	char			*s;
	size_t			 len;
	double			 num;
};

struct named_group {
	char		*name;
	unsigned	 num;
};

struct match_pred {
	enum pred_kind		 kind;
	struct source_path	*field;		/* NULL: the whole line */
	pcre2_code		*re;
	int			 jit;
	unsigned		 ngroups;	/* capture groups + 1 */
	struct named_group	*named;
	size_t			 nnamed;
	char			**alts;		/* literals, one per alternative */
	size_t			 *altlens;
	size_t			  nalts;
	struct scalar		*vals;		/* equals (1), in (n) */
	size_t			 nvals;
	struct match_list	*list;
	int			 exists;
	double			 num;
	struct match_pred	**kids;
	size_t			 nkids;
};

static const char *const op_keys[] = {
	"regex", "equals", "in", "in_list", "exists", "lt", "lte", "gt", "gte",
	"all", "any", "not",
};
static const enum pred_kind op_kinds[] = {
	P_REGEX, P_EQUALS, P_IN, P_IN_LIST, P_EXISTS, P_LT, P_LTE, P_GT, P_GTE,
	P_ALL, P_ANY, P_NOT,
};
#define NOPS (nitems(op_keys))

int
match_list_contains(const struct match_list *l, const char *s, size_t len)
{
	size_t	 i, n;
	const char *it;

	for (i = 0; i < l->nitems; i++) {
		it = l->items[i];
		n = strlen(it);
		if (n > 2 && it[0] == '*' && it[1] == '.') {
			/* "*.example.com": any subdomain, the dot included */
			if (len > n - 1 && strncasecmp(s + len - (n - 1),
			    it + 1, n - 1) == 0)
				return 1;
		} else if (n == len && strncasecmp(s, it, n) == 0)
			return 1;
	}
	return 0;
}

static void
perr(const struct match_env *env, const char *path, const char *key,
    const char *msg, const char *hint)
{
	char	*p;

	if (key != NULL)
		xasprintf(&p, "%s.%s", path, key);
	else
		p = xstrdup(path);
	env->error(env->arg, p, msg, hint);
	free(p);
}

/* Edit distance, for "did you mean" hints on misspelt keys. */
static size_t
distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j, prev, cur, tmp;
	size_t	row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			cur = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < cur)
				cur = row[j] + 1;
			if (row[j - 1] + 1 < cur)
				cur = row[j - 1] + 1;
			row[j] = cur;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *
match_suggest(const char *key, const char *const *known, size_t n)
{
	size_t	i, d, best = 3;
	const char *s = NULL;

	for (i = 0; i < n; i++)
		if ((d = distance(key, known[i])) < best) {
			best = d;
			s = known[i];
		}
	return s;
}

static void
unknown_key(const struct match_env *env, const char *path, const char *key)
{
	static const char *const all[] = {
		"field", "regex", "equals", "in", "in_list", "exists", "lt",
		"lte", "gt", "gte", "all", "any", "not",
	};
	const char	*s;
	char		*hint;

	if ((s = match_suggest(key, all, nitems(all))) != NULL)
		xasprintf(&hint, "did you mean \"%s\"?", s);
	else
		hint = xstrdup("a predicate has one of regex, equals, in, "
		    "in_list, exists, lt, lte, gt, gte, all, any, not");
	perr(env, path, key, "unknown key", hint);
	free(hint);
}

/*
 * Escapes and options whose meaning the literal scan below does not model
 * (\x41, \Q…\E, (?i), (?x), (*UTF), …): a pattern with any of them gets
 * no literal, so the prefilter can never reject a line the regex matches.
 */
static int
literal_safe(const char *re)
{
	const char	*s;

	for (s = re; *s != '\0'; s++) {
		if (*s == '\\') {
			if (s[1] == '\0' || strchr(".()[]{}*+?|^$\\/-dDsSwWbB",
			    s[1]) == NULL)
				return 0;
			s++;
		} else if (*s == '(' && ((s[1] == '?' && s[2] != ':' &&
		    s[2] != '<' && s[2] != '=' && s[2] != '!') || s[1] == '*'))
			return 0;
		else if (*s == '[' && (s[1] == ']' || (s[1] == '^' &&
		    s[2] == ']')))
			return 0;
	}
	return 1;
}

/* Index of the ']' that closes the class opened at s[i] (or n). */
static size_t
skip_class(const char *s, size_t i, size_t n)
{
	i++;
	if (i < n && s[i] == '^')
		i++;
	if (i < n && s[i] == ']')	/* a leading ']' is literal */
		i++;
	for (; i < n && s[i] != ']'; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		else if (s[i] == '[' && i + 1 < n && s[i + 1] == ':')
			while (i + 1 < n && !(s[i] == ':' && s[i + 1] == ']'))
				i++;
	}
	return i;
}

/* A small literal set under construction (the prefilter's). */
struct lset {
	char	*s[32];
	size_t	 n[32];
	size_t	 count;
};

static void
lset_clear(struct lset *l)
{
	size_t	i;

	for (i = 0; i < l->count; i++)
		free(l->s[i]);
	l->count = 0;
}

static int
lset_add(struct lset *l, const char *s, size_t n)
{
	if (l->count >= 32)
		return -1;
	l->s[l->count] = xmemdup(s, n);
	l->n[l->count++] = n;
	return 0;
}

/* The shortest of n lengths; SIZE_MAX for none. */
static size_t
lens_min(const size_t *lens, size_t n)
{
	size_t	i, m = (size_t)-1;

	for (i = 0; i < n; i++)
		if (lens[i] < m)
			m = lens[i];
	return m;
}

static size_t
lset_min(const struct lset *l)
{
	return lens_min(l->n, l->count);
}

/* Keep the better of two sets in `best`: fewer entries, then longer. */
static void
lset_keep_better(struct lset *best, struct lset *cand)
{
	if (cand->count > 0 && (best->count == 0 ||
	    cand->count < best->count || (cand->count == best->count &&
	    lset_min(cand) > lset_min(best)))) {
		lset_clear(best);
		*best = *cand;
		cand->count = 0;
	} else
		lset_clear(cand);
}

static int	span_literals(const char *, size_t, struct lset *, int);

/* Where a group's content starts after its "(", or 0 for a lookaround. */
static size_t
group_prefix(const char *s, size_t i, size_t n)
{
	if (i + 1 >= n || s[i + 1] != '?')
		return 1;
	if (i + 2 < n && s[i + 2] == ':')
		return 3;
	if (i + 2 < n && s[i + 2] == '<' && i + 3 < n && s[i + 3] != '=' &&
	    s[i + 3] != '!') {
		size_t	k = i + 3;

		while (k < n && s[k] != '>')
			k++;
		return k < n ? k - i + 1 : 0;
	}
	return 0;
}

/*
 * A literal set for a sequence (no top-level '|'): the best of its longest
 * literal run and of the sets of its non-optional groups. Every match of
 * the sequence contains at least one text of the set.
 */
static int
seq_literals(const char *s, size_t n, struct lset *out, int depth_left)
{
	struct lset	 cand;
	char		 run[256];
	size_t		 i, len = 0, start = 0, pre = 0, inner;
	int		 depth = 0;
	char		 c;

	memset(out, 0, sizeof *out);
	for (i = 0; i <= n; i++) {
		c = i < n ? s[i] : '\0';
		if (depth == 0 && c == '\\' && i + 1 < n &&
		    strchr(".()[]{}*+?|^$\\/-", s[i + 1]) != NULL) {
			if (len < sizeof run)
				run[len++] = s[i + 1];
			i++;
			continue;
		}
		if (depth == 0 && c != '\0' &&
		    strchr(".*+?{}^$\\()[]|", c) == NULL) {
			if (len < sizeof run)
				run[len++] = c;
			continue;
		}
		/* a quantifier makes the previous character optional */
		if (depth == 0 && (c == '*' || c == '?' || c == '{') &&
		    len > 0)
			len--;
		if (depth == 0 && len >= 3) {
			memset(&cand, 0, sizeof cand);
			lset_add(&cand, run, len);
			lset_keep_better(out, &cand);
		}
		len = 0;
		if (c == '[')
			i = skip_class(s, i, n);
		else if (c == '\\' && i + 1 < n)
			i++;
		else if (c == '(') {
			if (depth++ == 0) {
				start = i;
				pre = group_prefix(s, i, n);
			}
		} else if (c == ')' && depth > 0 && --depth == 0) {
			inner = start + pre;
			/* a group counts if it is there in every match */
			if (pre > 0 && depth_left > 0 && (i + 1 >= n ||
			    strchr("?*{", s[i + 1]) == NULL) &&
			    span_literals(s + inner, i - inner, &cand,
			    depth_left - 1) == 0)
				lset_keep_better(out, &cand);
		} else if (c == '{' && depth == 0)
			while (i + 1 < n && s[i + 1] != '}')
				i++;
	}
	return out->count > 0 ? 0 : -1;
}

/* Split at top-level '|': the union of each alternative's set. */
static int
span_literals(const char *s, size_t n, struct lset *out, int depth_left)
{
	struct lset	 alt;
	size_t		 i, start = 0, k;
	int		 depth = 0;

	memset(out, 0, sizeof *out);
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] == '\\') {
			i++;
			continue;
		}
		if (i < n && s[i] == '[') {
			i = skip_class(s, i, n);
			continue;
		}
		if (i < n && s[i] == '(')
			depth++;
		else if (i < n && s[i] == ')' && depth > 0)
			depth--;
		if (i < n && (s[i] != '|' || depth > 0))
			continue;
		if (seq_literals(s + start, i - start, &alt, depth_left) == -1)
			goto fail;
		for (k = 0; k < alt.count; k++)
			if (lset_add(out, alt.s[k], alt.n[k]) == -1) {
				lset_clear(&alt);
				goto fail;
			}
		lset_clear(&alt);
		start = i + 1;
	}
	return 0;
fail:
	lset_clear(out);
	return -1;
}

static void
add_alt(struct match_pred *p, const char *s, size_t n)
{
	p->alts = xreallocarray(p->alts, p->nalts + 1, sizeof *p->alts);
	p->altlens = xreallocarray(p->altlens, p->nalts + 1,
	    sizeof *p->altlens);
	p->alts[p->nalts] = xmemdup(s, n);
	p->altlens[p->nalts] = n;
	p->nalts++;
}

static void
free_alts(struct match_pred *p)
{
	size_t	i;

	for (i = 0; i < p->nalts; i++)
		free(p->alts[i]);
	free(p->alts);
	free(p->altlens);
	p->alts = NULL;
	p->altlens = NULL;
	p->nalts = 0;
}

static void
extract_literals(struct match_pred *p, const char *re)
{
	struct lset	set;
	size_t		i;

	if (!literal_safe(re) || span_literals(re, strlen(re), &set, 4) == -1)
		return;
	for (i = 0; i < set.count; i++)
		add_alt(p, set.s[i], set.n[i]);
	lset_clear(&set);
}

static int
compile_regex(struct match_pred *p, const char *re, const char *path,
    const struct match_env *env)
{
	PCRE2_UCHAR	 msg[256];
	char		 hint[320];
	const char	*knob;
	PCRE2_SPTR	 table;
	uint32_t	 count, size, i, cap;
	int		 err;
	PCRE2_SIZE	 off;

	p->re = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
	    PCRE2_MATCH_INVALID_UTF | PCRE2_UTF, &err, &off, NULL);
	if (p->re == NULL) {
		pcre2_get_error_message(err, msg, sizeof msg);
		snprintf(hint, sizeof hint, "at offset %zu of the pattern: %s",
		    (size_t)off, (char *)msg);
		perr(env, path, "regex", "regex does not compile", hint);
		return -1;
	}
	/* BREAKER_PCRE2_JIT=0: interpret (valgrind cannot follow JIT code,
	 * whose vector loads read past the subject's end, harmlessly) */
	knob = getenv("BREAKER_PCRE2_JIT");
	if (knob == NULL || strcmp(knob, "0") != 0)
		p->jit = pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE) == 0;
	pcre2_pattern_info(p->re, PCRE2_INFO_CAPTURECOUNT, &cap);
	p->ngroups = cap + 1;
	pcre2_pattern_info(p->re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(p->re, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(p->re, PCRE2_INFO_NAMETABLE, &table);
	if (count > 0)
		p->named = xcalloc(count, sizeof *p->named);
	for (i = 0; i < count; i++) {
		p->named[i].num = (table[size * i] << 8) | table[size * i + 1];
		p->named[i].name = xstrdup((const char *)table + size * i + 2);
	}
	p->nnamed = count;
	extract_literals(p, re);
	return 0;
}

static int
compile_scalar(struct scalar *v, const cJSON *j)
{
	if (cJSON_IsString(j)) {
		v->type = S_STRING;
		v->s = xstrdup(j->valuestring);
		v->len = strlen(v->s);
	} else if (cJSON_IsNumber(j)) {
		v->type = S_NUMBER;
		v->num = j->valuedouble;
	} else if (cJSON_IsBool(j)) {
		v->type = S_BOOL;
		v->num = cJSON_IsTrue(j);
	} else
		return -1;
	return 0;
}

static int
compile_kids(struct match_pred *p, const cJSON *arr, const char *path,
    const char *key, const struct match_env *env)
{
	const cJSON	*c;
	char		*sub;
	int		 i = 0, bad = 0;

	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0) {
		perr(env, path, key, "must be a non-empty array of predicates",
		    NULL);
		return -1;
	}
	p->kids = xcalloc(cJSON_GetArraySize(arr), sizeof *p->kids);
	cJSON_ArrayForEach(c, arr) {
		xasprintf(&sub, "%s.%s[%d]", path, key, i++);
		if ((p->kids[p->nkids] = match_compile(c, sub, env)) == NULL)
			bad = 1;
		else
			p->nkids++;
		free(sub);
	}
	return bad ? -1 : 0;
}

static int
compile_op(struct match_pred *p, const cJSON *v, const char *path,
    const struct match_env *env)
{
	const char	*key = op_keys[0];
	const cJSON	*c;
	char		*sub;
	size_t		 i;

	for (i = 0; i < NOPS; i++)
		if (op_kinds[i] == p->kind)
			key = op_keys[i];
	switch (p->kind) {
	case P_REGEX:
		if (!cJSON_IsString(v)) {
			perr(env, path, key, "must be a string", NULL);
			return -1;
		}
		return compile_regex(p, v->valuestring, path, env);
	case P_EQUALS:
		p->vals = xcalloc(1, sizeof *p->vals);
		if (compile_scalar(p->vals, v) == -1) {
			perr(env, path, key, "must be a string, number or bool",
			    NULL);
			return -1;
		}
		p->nvals = 1;
		return 0;
	case P_IN:
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) {
			perr(env, path, key, "must be a non-empty array", NULL);
			return -1;
		}
		p->vals = xcalloc(cJSON_GetArraySize(v), sizeof *p->vals);
		cJSON_ArrayForEach(c, v) {
			if (compile_scalar(&p->vals[p->nvals], c) == -1) {
				xasprintf(&sub, "%s.in[%zu]", path, p->nvals);
				perr(env, sub, NULL,
				    "must be a string, number or bool", NULL);
				free(sub);
				return -1;
			}
			p->nvals++;
		}
		return 0;
	case P_IN_LIST:
		if (!cJSON_IsString(v)) {
			perr(env, path, key, "must be a list name", NULL);
			return -1;
		}
		xasprintf(&sub, "%s.%s", path, key);
		p->list = env->list(env->arg, v->valuestring, sub);
		free(sub);
		return 0;
	case P_EXISTS:
		if (!cJSON_IsBool(v)) {
			perr(env, path, key, "must be true or false", NULL);
			return -1;
		}
		p->exists = cJSON_IsTrue(v);
		return 0;
	case P_LT:
	case P_LTE:
	case P_GT:
	case P_GTE:
		if (!cJSON_IsNumber(v)) {
			perr(env, path, key, "must be a number", NULL);
			return -1;
		}
		p->num = v->valuedouble;
		return 0;
	case P_ALL:
	case P_ANY:
		return compile_kids(p, v, path, key, env);
	case P_NOT:
		xasprintf(&sub, "%s.not", path);
		p->kids = xcalloc(1, sizeof *p->kids);
		p->kids[0] = match_compile(v, sub, env);
		free(sub);
		if (p->kids[0] == NULL)
			return -1;
		p->nkids = 1;
		return 0;
	}
	return -1;
}

static int
compile_field(struct match_pred *p, const cJSON *field, const char *path,
    const struct match_env *env)
{
	const char	*err;
	char		 hint[128];

	if (field == NULL) {
		if (p->kind == P_REGEX || p->kind == P_ALL ||
		    p->kind == P_ANY || p->kind == P_NOT)
			return 0;
		perr(env, path, NULL, "this predicate needs a \"field\"",
		    "name the field to compare, e.g. \"field\": \"status\"");
		return -1;
	}
	if (p->kind == P_ALL || p->kind == P_ANY || p->kind == P_NOT) {
		perr(env, path, "field", "not allowed with all/any/not", NULL);
		return -1;
	}
	if (!cJSON_IsString(field)) {
		perr(env, path, "field", "must be a string", NULL);
		return -1;
	}
	p->field = source_path_compile(env->format, field->valuestring, &err);
	if (p->field == NULL) {
		if (env->format == SOURCE_SQUID)
			snprintf(hint, sizeof hint, "squid fields: time, client, "
			    "client_port, host, port, dest, version, method, "
			    "status, result, hierarchy, url, user_agent");
		else if (env->format == SOURCE_TEXT)
			snprintf(hint, sizeof hint, "use a plain regex, or make "
			    "the source \"jsonl\" or \"squid\"");
		else
			snprintf(hint, sizeof hint, "a dotted path such as "
			    "\"error.message\"");
		perr(env, path, "field", err, hint);
		return -1;
	}
	return 0;
}

struct match_pred *
match_compile(const cJSON *j, const char *path, const struct match_env *env)
{
	struct match_pred	*p;
	const cJSON		*c, *op = NULL, *field = NULL;
	size_t			 i;
	int			 bad = 0, nops = 0;

	if (!cJSON_IsObject(j)) {
		perr(env, path, NULL, "must be an object",
		    "e.g. {\"regex\": \"^ERROR: \"}");
		return NULL;
	}
	p = xcalloc(1, sizeof *p);
	cJSON_ArrayForEach(c, j) {
		if (strcmp(c->string, "field") == 0) {
			field = c;
			continue;
		}
		for (i = 0; i < NOPS; i++)
			if (strcmp(c->string, op_keys[i]) == 0)
				break;
		if (i == NOPS) {
			unknown_key(env, path, c->string);
			bad = 1;
			continue;
		}
		if (nops++ == 0) {
			op = c;
			p->kind = op_kinds[i];
		}
	}
	if (bad)
		goto fail;
	if (nops != 1) {
		perr(env, path, NULL, nops == 0 ? "no operator" :
		    "more than one operator", "use exactly one of regex, "
		    "equals, in, in_list, exists, lt, lte, gt, gte, all, any, "
		    "not (combine with \"all\")");
		goto fail;
	}
	if (compile_field(p, field, path, env) == -1 ||
	    compile_op(p, op, path, env) == -1)
		goto fail;
	return p;
fail:
	match_free(p);
	return NULL;
}

void
match_free(struct match_pred *p)
{
	size_t	i;

	if (p == NULL)
		return;
	if (p->re != NULL)
		pcre2_code_free(p->re);
	for (i = 0; i < p->nnamed; i++)
		free(p->named[i].name);
	free(p->named);
	for (i = 0; i < p->nvals; i++)
		free(p->vals[i].s);
	free(p->vals);
	for (i = 0; i < p->nkids; i++)
		match_free(p->kids[i]);
	free(p->kids);
	source_path_free(p->field);
	free_alts(p);
	free(p);
}

unsigned
match_max_groups(const struct match_pred *p)
{
	unsigned	m = p->ngroups, k;
	size_t		i;

	for (i = 0; i < p->nkids; i++)
		if ((k = match_max_groups(p->kids[i])) > m)
			m = k;
	return m ? m : 1;
}

/* Text a JSON encoder never escapes, so it appears in the raw line as is. */
static int
json_plain(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr(" _.,:;=+-",
		    s[i]) == NULL)
			return 0;
	return 1;
}

static int
lit_add(struct match_litset *ls, const char *s, size_t n,
    enum source_format f)
{
	if (n < 3 || (f == SOURCE_JSONL && !json_plain(s, n)))
		return -1;
	ls->lits = xreallocarray(ls->lits, ls->n + 1, sizeof *ls->lits);
	ls->lens = xreallocarray(ls->lens, ls->n + 1, sizeof *ls->lens);
	ls->lits[ls->n] = xmemdup(s, n);
	ls->lens[ls->n] = n;
	ls->n++;
	return 0;
}

void
match_litset_free(struct match_litset *ls)
{
	size_t	i;

	for (i = 0; i < ls->n; i++)
		free(ls->lits[i]);
	free(ls->lits);
	free(ls->lens);
	memset(ls, 0, sizeof *ls);
}

static size_t
litset_min(const struct match_litset *ls)
{
	return lens_min(ls->lens, ls->n);
}

/* Is `b` a better gate than `a`: fewer alternatives, then longer ones. */
static int
litset_better(const struct match_litset *b, const struct match_litset *a)
{
	if (a->n == 0)
		return 1;
	/* A literal shorter than the gate's q-gram (4 bytes) shrinks the
	 * gate's stride to 1 for every line of the source: any number of
	 * longer literals is cheaper. */
	if ((litset_min(b) >= 4) != (litset_min(a) >= 4))
		return litset_min(b) >= 4;
	if (b->n != a->n)
		return b->n < a->n;
	return litset_min(b) > litset_min(a);
}

int
match_literals(const struct match_pred *p, enum source_format f,
    struct match_litset *ls)
{
	struct match_litset	 kid, best;
	size_t			 i;

	memset(ls, 0, sizeof *ls);
	switch (p->kind) {
	case P_REGEX:
		if (p->nalts == 0 || (p->field != NULL && f == SOURCE_TEXT))
			return -1;
		for (i = 0; i < p->nalts; i++)
			if (lit_add(ls, p->alts[i], p->altlens[i], p->field ?
			    f : SOURCE_TEXT) == -1)
				goto fail;
		return 0;
	case P_EQUALS:
	case P_IN:
		if (f == SOURCE_TEXT)
			return -1;
		for (i = 0; i < p->nvals; i++)
			if (p->vals[i].type != S_STRING ||
			    lit_add(ls, p->vals[i].s, p->vals[i].len, f) == -1)
				goto fail;
		return 0;
	case P_ALL:
		memset(&best, 0, sizeof best);
		for (i = 0; i < p->nkids; i++) {
			if (match_literals(p->kids[i], f, &kid) == -1)
				continue;
			if (litset_better(&kid, &best)) {
				match_litset_free(&best);
				best = kid;
			} else
				match_litset_free(&kid);
		}
		*ls = best;
		return ls->n > 0 ? 0 : -1;
	case P_ANY:
		for (i = 0; i < p->nkids; i++) {
			if (match_literals(p->kids[i], f, &kid) == -1)
				goto fail;
			for (size_t k = 0; k < kid.n; k++)
				lit_add(ls, kid.lits[k], kid.lens[k],
				    SOURCE_TEXT);
			match_litset_free(&kid);
		}
		return 0;
	default:
		return -1;
	}
fail:
	match_litset_free(ls);
	return -1;
}

void
match_ctx_init(struct match_ctx *ctx, unsigned max_groups)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->md = pcre2_match_data_create(max_groups ? max_groups : 1, NULL);
	ctx->mc = pcre2_match_context_create(NULL);
	if (ctx->md == NULL || ctx->mc == NULL)
		fatalx("pcre2_match_data_create");
	/* Every regex of every rule, on every line: at most MATCH_LIMIT
	 * steps (match.h says why this figure). */
	pcre2_set_match_limit(ctx->mc, MATCH_LIMIT);
}

void
match_ctx_free(struct match_ctx *ctx)
{
	if (ctx->md != NULL)
		pcre2_match_data_free(ctx->md);
	if (ctx->mc != NULL)
		pcre2_match_context_free(ctx->mc);
	ctx->md = NULL;
	ctx->mc = NULL;
}

static int
eval_regex(const struct match_pred *p, const char *s, size_t len,
    struct match_ctx *ctx)
{
	PCRE2_SIZE	*ov;
	size_t		 i;
	unsigned	 g;
	int		 rc;

	if (p->jit)
		rc = pcre2_jit_match(p->re, (PCRE2_SPTR)s, len, 0, 0, ctx->md,
		    ctx->mc);
	else
		rc = pcre2_match(p->re, (PCRE2_SPTR)s, len, 0, 0, ctx->md,
		    ctx->mc);
	if (rc < 0) {
		/* e.g. the backtracking limit on a hostile line: the line
		 * does not match; the caller says which rule it was */
		if (rc != PCRE2_ERROR_NOMATCH)
			ctx->gave_up++;
		return 0;
	}
	ov = pcre2_get_ovector_pointer(ctx->md);
	for (i = 0; i < p->nnamed && ctx->ncap < MATCH_MAX_CAPTURES; i++) {
		g = p->named[i].num;
		if (ov[2 * g] == PCRE2_UNSET)
			continue;
		ctx->cap[ctx->ncap].name = p->named[i].name;
		ctx->cap[ctx->ncap].s = s + ov[2 * g];
		ctx->cap[ctx->ncap].len = ov[2 * g + 1] - ov[2 * g];
		ctx->ncap++;
	}
	return 1;
}

/*
 * `f` is match_eval's field value, set whenever the predicate has a field,
 * and every equals/in predicate has one; the analyzer does not know that.
 */
static int
scalar_equals(const struct scalar *v, const struct source_value *f)
{
	switch (v->type) {
	case S_STRING:
		/* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
		return f->len == v->len && memcmp(f->s, v->s, v->len) == 0;
	case S_NUMBER:
		/* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Branch) */
		return f->isnum && f->num == v->num;
	case S_BOOL:
		/* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
		return f->type == SOURCE_V_BOOL && f->num == v->num;
	}
	return 0;
}

int
match_eval(const struct match_pred *p, struct source_event *ev,
    struct match_ctx *ctx)
{
	struct source_value	 v;
	size_t			 i, saved = ctx->ncap;
	int			 present = 0;

	if (p->field != NULL) {
		present = source_event_field(ev, p->field, &v);
		if (p->kind == P_EXISTS)
			return p->exists ? present : !present;
		if (!present || v.type == SOURCE_V_OTHER)
			return 0;
	}
	/* `v` is read only by predicates on a field, and each has one (the
	 * predicate compiler sees to it): the NOLINTs below say so to the
	 * analyzer, which follows a path with p->field NULL into them. */
	switch (p->kind) {
	case P_REGEX:
		if (p->field == NULL)
			return eval_regex(p, ev->line, ev->len, ctx);
		return eval_regex(p, v.s, v.len, ctx);
	case P_EQUALS:
	case P_IN:
		for (i = 0; i < p->nvals; i++)
			if (scalar_equals(&p->vals[i], &v))
				return 1;
		return 0;
	case P_IN_LIST:
		/* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
		return match_list_contains(p->list, v.s, v.len);
	case P_LT:
		/* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Branch) */
		return v.isnum && v.num < p->num;
	case P_LTE:
		/* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Branch) */
		return v.isnum && v.num <= p->num;
	case P_GT:
		/* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Branch) */
		return v.isnum && v.num > p->num;
	case P_GTE:
		/* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Branch) */
		return v.isnum && v.num >= p->num;
	case P_ALL:
		for (i = 0; i < p->nkids; i++)
			if (!match_eval(p->kids[i], ev, ctx)) {
				ctx->ncap = saved;
				return 0;
			}
		return 1;
	case P_ANY:
		for (i = 0; i < p->nkids; i++)
			if (match_eval(p->kids[i], ev, ctx))
				return 1;
		return 0;
	case P_NOT:
		i = !match_eval(p->kids[0], ev, ctx);
		ctx->ncap = saved;
		return (int)i;
	case P_EXISTS:
		return 0;
	}
	return 0;
}

int
match_lookup(struct match_ctx *ctx, struct source_event *ev, const char *name,
    const char **s, size_t *len)
{
	struct source_value	v;
	size_t			i;

	for (i = 0; i < ctx->ncap; i++)
		if (strcmp(ctx->cap[i].name, name) == 0) {
			*s = ctx->cap[i].s;
			*len = ctx->cap[i].len;
			return 1;
		}
	if (source_event_field_text(ev, name, &v) &&
	    v.type != SOURCE_V_OTHER) {
		*s = v.s;
		*len = v.len;
		return 1;
	}
	return 0;
}

int
match_has_capture(const struct match_pred *p, const char *name)
{
	size_t	i;

	if (p == NULL)
		return 0;
	for (i = 0; i < p->nnamed; i++)
		if (strcmp(p->named[i].name, name) == 0)
			return 1;
	for (i = 0; i < p->nkids; i++)
		if (p->kind != P_NOT && match_has_capture(p->kids[i], name))
			return 1;
	return 0;
}

size_t
match_captures(const struct match_pred *p, const char **out, size_t max)
{
	size_t	i, n = 0;

	if (p == NULL)
		return 0;
	for (i = 0; i < p->nnamed && n < max; i++)
		out[n++] = p->named[i].name;
	for (i = 0; i < p->nkids && n < max; i++)
		if (p->kind != P_NOT)
			n += match_captures(p->kids[i], out + n, max - n);
	return n;
}

size_t
match_fields(const struct match_pred *p, const char **out, size_t max)
{
	size_t	i, n = 0;

	if (p == NULL)
		return 0;
	if (p->field != NULL && n < max)
		out[n++] = p->field->text;
	for (i = 0; i < p->nkids && n < max; i++)
		n += match_fields(p->kids[i], out + n, max - n);
	return n;
}

void
match_capture_names(const struct match_pred *p, char *buf, size_t sz)
{
	size_t	i, n;

	if (p == NULL)
		return;
	for (i = 0; i < p->nnamed; i++) {
		n = strlen(buf);
		snprintf(buf + n, sz - n, "%s{%s}", n ? ", " : "",
		    p->named[i].name);
	}
	for (i = 0; i < p->nkids; i++)
		if (p->kind != P_NOT)
			match_capture_names(p->kids[i], buf, sz);
}
