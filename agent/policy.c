/*
 * Loading the configuration and the rule files, and the accessors. The
 * JSON reader with positions is policy_json.c, the configuration's keys
 * policy_config.c, the rule files' keys policy_rule.c (policy_int.h).
 *
 * Layering, in order: the embedded default rules (unless turned off), the
 * configuration's `rules`, then the caller's rule files. Each file may add
 * lists, extend earlier lists, disable earlier rules, add rules, and
 * override earlier rules by id.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "file.h"
#include "match.h"
#include "policy_int.h"
#include "xalloc.h"

#define EMBEDDED_NAME	"default.json (embedded)"
#define MAX_FILE	(4 * 1024 * 1024)

enum file_kind { FILE_CONFIG, FILE_RULES };

/* ---- reading a file -------------------------------------------------- */

/*
 * An admin-named file: a link is followed, but a FIFO or device is never
 * read (it could hang the started hook). Its text is quoted in an error
 * only when anyone on the machine may read it: a root-only file named by
 * mistake (/etc/shadow) must not end up in the job's log.
 */
static char *
read_policy_file(const char *path, size_t *len, int *quote, char **why)
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

static void
load_text(struct policy *p, const char *name, const char *text, size_t len,
    enum file_kind kind, int quote, struct pj_report *eb)
{
	struct load	 ld;
	cJSON		*root;

	memset(&ld, 0, sizeof ld);
	ld.p = p;
	ld.file = name;
	ld.text = text;
	ld.len = len;
	ld.quote = quote;
	if ((root = pj_parse(&ld)) != NULL) {
		if (kind == FILE_CONFIG)
			pconf_parse(&ld, root);
		else
			prule_parse(&ld, root);
		cJSON_Delete(root);
	}
	pj_report_file(eb, &ld);
	pj_positions_free(&ld);
}

static void
load_path(struct policy *p, const char *path, enum file_kind kind,
    struct pj_report *eb)
{
	char	*text, *why;
	size_t	 len;
	int	 quote;

	if ((text = read_policy_file(path, &len, &quote, &why)) == NULL) {
		pj_report_addf(eb, "%s:0:0: cannot read: %s (check the path and "
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
static const char *
defined_list_at(const struct policy *p, size_t i)
{
	return p->lists[i]->defined ? p->lists[i]->name : NULL;
}

/* Why a referenced list is none: a defined one close to it, or where to
 * define it. */
static const char *
list_why(const struct policy *p, const char *name, char *buf, size_t sz)
{
	pj_did_you_mean(p, name, p->nlists, defined_list_at,
	    "define it under \"lists\"", buf, sz);
	return buf;
}

/* Why a referenced rule id is not an active rule, for the error. */
static const char *
ref_why(struct policy *p, const char *id, char *buf, size_t sz)
{
	if (prule_find(p, id) != NULL)
		return "it was disabled";
	prule_unknown_hint(p, id, "the id of an earlier or later rule", buf,
	    sz);
	return buf;
}

static void
resolve_refs(struct policy *p, struct policy_rule *r,
    struct policy_rule_ref *refs, size_t n, struct pj_report *eb)
{
	char	hint[256];
	size_t	i;
	int	k;

	for (i = 0; i < n; i++) {
		k = policy_rule_index(p, refs[i].id);
		refs[i].idx = k == -1 ? POLICY_RULE_NONE : (size_t)k;
		if (strcmp(refs[i].id, r->id) == 0)
			pj_report_addf(eb, "%s: %s: a rule cannot depend on itself "
			    "(\"%s\")\n", refs[i].where, refs[i].path,
			    refs[i].id);
		else if (k == -1 && prule_find(p, refs[i].id) == NULL)
			pj_report_addf(eb, "%s: %s: unknown rule \"%s\" (%s)\n",
			    refs[i].where, refs[i].path, refs[i].id,
			    ref_why(p, refs[i].id, hint, sizeof hint));
	}
}

/* Resolve references across files, and build the active rule list. */
static void
finalize(struct policy *p, struct pj_report *eb)
{
	struct policy_rule	*r;
	char			 hint[256];
	size_t			 i;
	int			 k;

	for (i = 0; i < p->nlists; i++)
		if (!p->lists[i]->defined)
			pj_report_addf(eb, "%s: %s: unknown list \"%s\" (%s)\n",
			    p->lists[i]->ref_file, p->lists[i]->ref_path,
			    p->lists[i]->name, list_why(p, p->lists[i]->name,
			    hint, sizeof hint));
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
			pj_report_addf(eb, "%s: %s.correlate.after: %s \"%s\" (%s)\n",
			    r->after_where, r->path, k == -1 ? "unknown rule" :
			    "a rule cannot follow itself", r->after,
			    ref_why(p, r->after, hint, sizeof hint));
		else
			r->after_idx = k;
	}
	for (i = 0; i < p->nrules; i++) {
		r = p->rules[i];
		if (r->reset_by == NULL)
			continue;
		k = policy_rule_index(p, r->reset_by);
		if (k == -1 || strcmp(r->reset_by, r->id) == 0)
			pj_report_addf(eb, "%s: %s.correlate.reset_by: %s \"%s\" "
			    "(%s)\n", r->reset_where, r->path, k == -1 ?
			    "unknown rule" : "a rule cannot reset itself",
			    r->reset_by, ref_why(p, r->reset_by, hint,
			    sizeof hint));
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
	struct pj_report	 eb;
	size_t		 i;
	char		*path;
	int		 defaults;

	memset(&eb, 0, sizeof eb);
	p = xcalloc(1, sizeof *p);
	pconf_defaults(p);
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
	size_t	i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nall; i++)
		prule_free(p->all[i]);
	free(p->all);
	free(p->rules);
	prule_lists_free(p);
	for (i = 0; i < p->stop.ntargets; i++)
		free(p->targets[i]);
	free(p->targets);
	for (i = 0; i < p->nrule_files; i++)
		free(p->rule_files[i]);
	free(p->rule_files);
	for (i = 0; i < p->nowned; i++)
		free(p->owned[i]);
	free(p->owned);
	pconf_fields_free(p);
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
	const char	*one = path;

	if (i < p->nsources)
		pconf_set_source(p, p->sources[i].name, &one, 1,
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

int
policy_github_actions(const struct policy *p)
{
	return p->github.cancel_run || p->github.check_run;
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
