/*
 * Rule files: named lists (and extensions of earlier ones), `disable`, and
 * rules, each with its predicates (match.c compiles them), correlation,
 * message template, hint, actions, conditions on other rules and samples.
 * References to other rules are resolved by policy.c once every file is in.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "match.h"
#include "policy_int.h"
#include "verdict.h"
#include "xalloc.h"

/* ---- lists ----------------------------------------------------------- */


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
	pj_error(arg, path, msg, hint);
}

static struct match_list *
env_list(void *arg, const char *name, const char *path)
{
	struct load		*ld = arg;
	struct match_list	*l = list_get(ld->p, name);

	if (l->ref_file == NULL) {
		l->ref_file = pj_locate(ld, path);
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
			pj_error(ld, sub, "must be a non-empty string", NULL);
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
		sub = pj_subpath(key, c->string);
		l = list_find(ld->p, c->string);
		if (!cJSON_IsArray(c))
			pj_error(ld, sub, "must be an array of strings", NULL);
		else if (!extend && l != NULL && l->defined)
			pj_error(ld, sub, "list already defined by an earlier file",
			    "use \"extend_lists\" to add to it");
		else if (extend && (l == NULL || !l->defined))
			pj_error(ld, sub, "unknown list", "\"extend_lists\" "
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

struct policy_rule *
prule_find(struct policy *p, const char *id)
{
	size_t	i;

	for (i = 0; i < p->nall; i++)
		if (strcmp(p->all[i]->id, id) == 0)
			return p->all[i];
	return NULL;
}

static const char *
source_name_at(const struct policy *p, size_t i)
{
	return p->sources[i].name;
}

static const char *
rule_id_at(const struct policy *p, size_t i)
{
	return p->all[i]->id;
}

/* "did you mean ...? sources: a b c" for a source `name` that is none. */
static void
prule_source_hint(const struct policy *p, const char *name, char *buf,
    size_t sz)
{
	size_t	i;

	pj_did_you_mean(p, name, p->nsources, source_name_at, "", buf, sz);
	snprintf(buf + strlen(buf), sz - strlen(buf), "%ssources:",
	    buf[0] != '\0' ? " " : "");
	for (i = 0; i < p->nsources && strlen(buf) + 1 < sz; i++)
		snprintf(buf + strlen(buf), sz - strlen(buf), " %s",
		    p->sources[i].name);
}

/* Why `id` names no rule: "did you mean ...?" (the rules known so far),
 * else `otherwise`. */
void
prule_unknown_hint(const struct policy *p, const char *id,
    const char *otherwise, char *buf, size_t sz)
{
	pj_did_you_mean(p, id, p->nall, rule_id_at, otherwise, buf, sz);
}

static void
rules_disable(struct load *ld, const cJSON *arr)
{
	struct policy_rule	*r;
	const cJSON		*c;
	char			*sub, hint[256];
	size_t			 i = 0;

	cJSON_ArrayForEach(c, arr) {
		xasprintf(&sub, "disable[%zu]", i++);
		if (!cJSON_IsString(c))
			pj_error(ld, sub, "must be a rule id", NULL);
		else if ((r = prule_find(ld->p, c->valuestring)) == NULL) {
			prule_unknown_hint(ld->p, c->valuestring, "only rules "
			    "of earlier files can be disabled", hint,
			    sizeof hint);
			pj_errorf(ld, sub, hint, "unknown rule \"%s\"",
			    c->valuestring);
		} else
			r->disabled = 1;
		free(sub);
	}
}

void
prule_lists_free(struct policy *p)
{
	size_t	i, j;

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

void
prule_free(struct policy_rule *r)
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

/* What a template names besides captures and fields (pipeline.c). */
static const char *const template_builtins[] = {
	"count", "window", "rule", "source",
};

/* At most this many names are offered for "did you mean". */
#define RULE_NAMES_MAX	128

/* The fields this rule's predicates read: its match and its excepts. */
static size_t
rule_fields(const struct policy_rule *r, const char **out, size_t max)
{
	size_t	n, i;

	n = match_fields(r->match, out, max);
	for (i = 0; i < r->nexcept; i++)
		n += match_fields(r->except[i], out + n, max - n);
	return n;
}

/* `a` and `b` name the same JSON value, or one lies under the other. */
static int
path_related(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;

	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '.') &&
	    (b[n] == '\0' || b[n] == '.');
}

/*
 * A name a template, group_by or distinct field can use on this rule: a
 * capture of its match; on a squid source a squid field; otherwise a
 * field its predicates read (or one under or above it) or one its source
 * declares (policy_config.c). Any other name would print "?" forever: on
 * a jsonl source it is most often a misspelt capture.
 */
static int
name_known(struct policy *p, const struct policy_rule *r, const char *name)
{
	const char	*fields[RULE_NAMES_MAX];
	size_t		 i, n;

	if (match_has_capture(r->match, name))
		return 1;
	if (p->sources[r->source_idx].format == SOURCE_SQUID)
		return source_squid_field(name) != -1;
	n = rule_fields(r, fields, nitems(fields));
	for (i = 0; i < n; i++)
		if (path_related(name, fields[i]))
			return 1;
	return pconf_field_declared(p, r->source_idx, name);
}

static void
name_error(struct load *ld, const struct policy_rule *r, const char *path,
    const char *name, int builtins)
{
	const struct policy_source	*src = &ld->p->sources[r->source_idx];
	const struct pconf_fields	*decl = &ld->p->fields[r->source_idx];
	const char			*known[RULE_NAMES_MAX], *close;
	char				 hint[768], caps[256] = "";
	size_t				 n, i;

	n = match_captures(r->match, known, nitems(known));
	if (src->format == SOURCE_SQUID)
		for (i = 0; i < SQUID_NFIELDS && n < nitems(known); i++)
			known[n++] = source_squid_field_name((int)i);
	else {
		n += rule_fields(r, known + n, nitems(known) - n);
		for (i = 0; i < decl->n && n < nitems(known); i++)
			known[n++] = decl->names[i];
	}
	for (i = 0; builtins && i < nitems(template_builtins) &&
	    n < nitems(known); i++)
		known[n++] = template_builtins[i];
	close = match_suggest(name, known, n);
	match_capture_names(r->match, caps, sizeof caps);
	snprintf(hint, sizeof hint, "%s%s%s%s%s%s%s", close ? "did you mean \"" :
	    "", close ? close : "", close ? "\"? " : "", *caps ? "captures: " :
	    "", caps, *caps ? "; else " : "", src->format == SOURCE_SQUID ?
	    "a squid field" : "a field the rule's predicates read or its "
	    "source declares in \"fields\"");
	pj_errorf(ld, path, hint, "unknown capture or field \"%s\"", name);
}

/* Every {name} of a template (pipeline.c renders it; {{ and }} are
 * literal braces). */
static void
prule_check_template(struct load *ld, const struct policy_rule *r,
    const char *text, const char *path)
{
	const char	*s = text, *e;
	char		 name[128];
	size_t		 n, i;

	while ((s = strchr(s, '{')) != NULL) {
		if (s[1] == '{') {
			s += 2;
			continue;
		}
		if ((e = strchr(s, '}')) == NULL) {
			pj_error(ld, path, "unclosed \"{\" in message",
			    "write {{ for a literal brace");
			return;
		}
		n = e - s - 1;
		if (n == 0 || n >= sizeof name) {
			pj_error(ld, path, "empty or over-long {name}", NULL);
			return;
		}
		memcpy(name, s + 1, n);
		name[n] = '\0';
		for (i = 0; i < nitems(template_builtins); i++)
			if (strcmp(name, template_builtins[i]) == 0)
				break;
		if (i == nitems(template_builtins) &&
		    !name_known(ld->p, r, name))
			name_error(ld, r, path, name, 1);
		s = e + 1;
	}
}

/* A rule's severity: a verdict's (verdict.c's table) or "none"; -2 after
 * an error. */
static int
rule_severity(struct load *ld, const cJSON *o, const char *path)
{
	struct util_enum	*t;
	size_t			 n = severity_ntable + 1;
	int			 sev = -2;

	t = xreallocarray(NULL, n, sizeof *t);
	memcpy(t, severity_table, severity_ntable * sizeof *t);
	t[n - 1] = (struct util_enum){ "none", POLICY_SEVERITY_NONE };
	switch (pj_get_enum(ld, o, path, "severity", t, n, "severity", &sev)) {
	case 0:
		pj_enum_required(ld, path, "severity", t, n);
		/* FALLTHROUGH */
	case -1:
		sev = -2;
		break;
	}
	free(t);
	return sev;
}

const struct util_enum prule_kind_table[] = {
	{ "count", CORRELATE_COUNT }, { "distinct", CORRELATE_DISTINCT },
	{ "sequence", CORRELATE_SEQUENCE },
};
const size_t prule_kind_ntable = nitems(prule_kind_table);

static void
rule_correlate(struct load *ld, struct policy_rule *r, const cJSON *c,
    const char *path)
{
	static const char *const keys[] = { "kind", "threshold", "window",
	    "group_by", "field", "after", "reset_by" };
	const cJSON	*t, *w, *g, *f, *a, *rb;
	char		*sp = pj_subpath(path, "correlate"), *sub;
	int		 kind;

	pj_check_keys(ld, c, sp, keys, nitems(keys));
	rb = pj_get_typed(ld, c, sp, "reset_by", pj_is_string, "a rule id");
	t = cJSON_GetObjectItemCaseSensitive(c, "threshold");
	w = pj_get_typed(ld, c, sp, "window", pj_is_string, "a duration");
	g = pj_get_typed(ld, c, sp, "group_by", pj_is_string, "a capture or field");
	f = pj_get_typed(ld, c, sp, "field", pj_is_string, "a capture or field");
	a = pj_get_typed(ld, c, sp, "after", pj_is_string, "a rule id");
	switch (pj_get_enum(ld, c, sp, "kind", prule_kind_table,
	    prule_kind_ntable, "kind", &kind)) {
	case 0:
		pj_enum_required(ld, sp, "kind", prule_kind_table,
		    prule_kind_ntable);
		/* FALLTHROUGH */
	case -1:
		free(sp);
		return;
	}
	r->kind = kind;
	r->threshold = 1;
	if (t != NULL) {
		sub = pj_subpath(sp, "threshold");
		if (!cJSON_IsNumber(t) || t->valuedouble != floor(t->valuedouble)
		    || t->valuedouble < 1 ||
		    t->valuedouble > CORRELATE_MAX_THRESHOLD)
			pj_error(ld, sub, "must be an integer from 1 to 1024", NULL);
		else
			r->threshold = (unsigned)t->valuedouble;
		free(sub);
	}
	if (w == NULL) {
		if (cJSON_GetObjectItemCaseSensitive(c, "window") == NULL)
			pj_error(ld, sp, "\"window\" is required",
			    "e.g. \"window\": \"10m\"");
	} else if ((r->window = policy_parse_duration(w->valuestring)) <= 0 ||
	    r->window > 7 * 86400) {
		sub = pj_subpath(sp, "window");
		pj_error(ld, sub, "bad duration",
		    "e.g. \"250ms\", \"7.5s\", \"10m\", \"1h\" (at most 7 days)");
		free(sub);
	} else
		r->window_text = xstrdup(w->valuestring);
	if (g != NULL) {
		r->group_by = xstrdup(g->valuestring);
		if (!name_known(ld->p, r, r->group_by)) {
			sub = pj_subpath(sp, "group_by");
			name_error(ld, r, sub, r->group_by, 0);
			free(sub);
		}
	}
	if (r->kind == CORRELATE_DISTINCT) {
		if (f == NULL)
			pj_error(ld, sp, "\"field\" is required for distinct",
			    "the capture or field whose values are counted");
		else if (!name_known(ld->p, r, f->valuestring)) {
			sub = pj_subpath(sp, "field");
			name_error(ld, r, sub, f->valuestring, 0);
			free(sub);
		}
		if (f != NULL)
			r->field = xstrdup(f->valuestring);
	} else if (cJSON_GetObjectItemCaseSensitive(c, "field") != NULL) {
		sub = pj_subpath(sp, "field");
		pj_error(ld, sub, "only a distinct correlation has a field", NULL);
		free(sub);
	}
	if (r->kind == CORRELATE_SEQUENCE) {
		if (a == NULL)
			pj_error(ld, sp, "\"after\" is required for sequence",
			    "the id of the rule whose events come first");
		else {
			r->after = xstrdup(a->valuestring);
			sub = pj_subpath(sp, "after");
			r->after_where = pj_locate(ld, sub);
			free(sub);
		}
	} else if (cJSON_GetObjectItemCaseSensitive(c, "after") != NULL) {
		sub = pj_subpath(sp, "after");
		pj_error(ld, sub, "only a sequence correlation has \"after\"", NULL);
		free(sub);
	}
	if (rb != NULL) {
		sub = pj_subpath(sp, "reset_by");
		if (r->kind == CORRELATE_SEQUENCE)
			pj_error(ld, sub, "a sequence cannot be reset",
			    "reset the rule it follows instead");
		else {
			r->reset_by = xstrdup(rb->valuestring);
			r->reset_where = pj_locate(ld, sub);
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
	char		*sp = pj_subpath(path, "samples"), *sub;
	size_t		 k, i;

	pj_check_keys(ld, s, sp, keys, nitems(keys));
	for (k = 0; k < 2; k++) {
		if ((arr = pj_get_typed(ld, s, sp, keys[k], pj_is_array,
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
					pj_error(ld, sub, "must hold only lines",
					    "a string, or {\"source\": NAME, "
					    "\"line\": TEXT} for a line of "
					    "another source");
			} else if (!cJSON_IsString(it))
				pj_error(ld, sub, "must be a line or a non-empty "
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
	char		*sub = pj_subpath(path, "hint");
	const char	*c;

	for (c = h; *c != '\0' && (unsigned char)*c >= 0x20 && *c != 0x7f;
	    c++)
		;
	if (*h == '\0' || *c != '\0' || strlen(h) > POLICY_HINT_MAX)
		pj_errorf(ld, sub, "one short line telling the workflow's author "
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

	if ((arr = pj_get_typed(ld, o, path, key, pj_is_array,
	    "an array of rule ids")) == NULL)
		return;
	*refs = xcalloc(cJSON_GetArraySize(arr) + 1, sizeof **refs);
	cJSON_ArrayForEach(c, arr) {
		xasprintf(&sub, "%s.%s[%zu]", path, key, i++);
		if (!cJSON_IsString(c)) {
			pj_error(ld, sub, "must be a rule id", NULL);
			free(sub);
			continue;
		}
		(*refs)[*n].id = xstrdup(c->valuestring);
		(*refs)[*n].where = pj_locate(ld, sub);
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

	*override = 0;
	if (!cJSON_IsObject(o)) {
		pj_error(ld, path, "a rule must be an object", NULL);
		return NULL;
	}
	pj_check_keys(ld, o, path, rule_keys, nitems(rule_keys));
	r = xcalloc(1, sizeof *r);
	r->file = xstrdup(ld->file);
	r->path = xstrdup(path);
	r->where = pj_locate(ld, path);
	if ((c = pj_get_typed(ld, o, path, "id", pj_is_string, "a string")) != NULL) {
		if (!valid_id(c->valuestring)) {
			sub = pj_subpath(path, "id");
			pj_error(ld, sub, "bad rule id", "lower-case letters, "
			    "digits, '.', '_', '-'; e.g. \"codex.auth.401\"");
			free(sub);
		}
		r->id = xstrdup(c->valuestring);
	} else if (cJSON_GetObjectItemCaseSensitive(o, "id") == NULL)
		pj_error(ld, path, "\"id\" is required", NULL);
	if ((c = pj_get_typed(ld, o, path, "title", pj_is_string, "a string")))
		r->title = xstrdup(c->valuestring);
	else if (cJSON_GetObjectItemCaseSensitive(o, "title") == NULL)
		pj_error(ld, path, "\"title\" is required",
		    "the annotation's title");
	r->source = xstrdup("engine");
	if ((c = pj_get_typed(ld, o, path, "source", pj_is_string, "a source name"))) {
		free(r->source);
		r->source = xstrdup(c->valuestring);
	}
	si = policy_source_index(ld->p, r->source);
	if (si == -1) {
		sub = pj_subpath(path, "source");
		prule_source_hint(ld->p, r->source, hint, sizeof hint);
		pj_errorf(ld, sub, hint, "unknown source \"%s\"", r->source);
		free(sub);
		si = 0;
	}
	r->source_idx = si;
	r->severity = rule_severity(ld, o, path);
	memset(&env, 0, sizeof env);
	env.format = ld->p->sources[r->source_idx].format;
	env.error = env_error;
	env.list = env_list;
	env.arg = ld;
	sub = pj_subpath(path, "match");
	if ((c = cJSON_GetObjectItemCaseSensitive(o, "match")) == NULL)
		pj_error(ld, path, "\"match\" is required",
		    "e.g. \"match\": {\"regex\": \"^ERROR: \"}");
	else
		r->match = match_compile(c, sub, &env);
	free(sub);
	if ((c = pj_get_typed(ld, o, path, "except", pj_is_array,
	    "an array of predicates")))
		rule_except(ld, r, c, path, &env);
	if ((c = pj_get_typed(ld, o, path, "correlate", pj_is_object, "an object")))
		rule_correlate(ld, r, c, path);
	if ((c = pj_get_typed(ld, o, path, "message", pj_is_string, "a string"))) {
		r->message = xstrdup(c->valuestring);
		sub = pj_subpath(path, "message");
		prule_check_template(ld, r, r->message, sub);
		free(sub);
	} else if (r->title != NULL &&
	    cJSON_GetObjectItemCaseSensitive(o, "message") == NULL) {
		/* without a message, the title is the template */
		sub = pj_subpath(path, "title");
		prule_check_template(ld, r, r->title, sub);
		free(sub);
	}
	if ((c = pj_get_typed(ld, o, path, "hint", pj_is_string, "a string")))
		rule_hint(ld, r, c->valuestring, path);
	if (r->severity == SEVERITY_FATAL)
		r->actions = POLICY_ACTION_STOP;
	if ((c = pj_get_typed(ld, o, path, "actions", pj_is_array,
	    "an array of actions"))) {
		sub = pj_subpath(path, "actions");
		pconf_actions(ld, c, sub, &r->actions);
		free(sub);
	}
	if ((c = pj_get_typed(ld, o, path, "observe", pj_is_bool, "true or false")))
		r->observe = cJSON_IsTrue(c);
	if ((c = pj_get_typed(ld, o, path, "samples", pj_is_object, "an object")))
		rule_samples(ld, r, c, path);
	if ((c = pj_get_typed(ld, o, path, "override", pj_is_bool, "true or false")))
		*override = cJSON_IsTrue(c);
	rule_refs(ld, o, path, "if_fired", &r->if_fired, &r->nif_fired);
	rule_refs(ld, o, path, "unless_fired", &r->unless_fired,
	    &r->nunless_fired);
	if (ld->nerrors != n0 || r->id == NULL) {
		prule_free(r);
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
		old = prule_find(p, r->id);
		xasprintf(&id, "%s.id", sub);
		if (old != NULL && !override)
			pj_errorf(ld, id, "add \"override\": true to replace it, or "
			    "pick another id", "duplicate rule id \"%s\" "
			    "(first defined at %s)", r->id, old->where);
		else if (old == NULL && override)
			pj_errorf(ld, id, "\"override\" replaces a rule of an "
			    "earlier file", "no rule \"%s\" to override",
			    r->id);
		else if (old != NULL) {
			for (k = 0; p->all[k] != old; k++)
				;
			prule_free(old);
			p->all[k] = r;
			r = NULL;
		} else {
			p->all = xreallocarray(p->all, p->nall + 1,
			    sizeof *p->all);
			p->all[p->nall++] = r;
			r = NULL;
		}
		prule_free(r);
		free(id);
		free(sub);
	}
}

void
prule_parse(struct load *ld, const cJSON *root)
{
	static const char *const keys[] = { "version", "lists",
	    "extend_lists", "disable", "rules" };
	const cJSON	*c;

	pj_check_keys(ld, root, "", keys, nitems(keys));
	pj_check_version(ld, root);
	if ((c = pj_get_typed(ld, root, "", "lists", pj_is_object,
	    "an object: name -> array of strings")))
		rules_lists(ld, c, 0);
	if ((c = pj_get_typed(ld, root, "", "extend_lists", pj_is_object,
	    "an object: name -> array of strings")))
		rules_lists(ld, c, 1);
	if ((c = pj_get_typed(ld, root, "", "disable", pj_is_array,
	    "an array of rule ids")))
		rules_disable(ld, c);
	if ((c = pj_get_typed(ld, root, "", "rules", pj_is_array,
	    "an array of rules")))
		rules_add(ld, c);
}
