/*
 * The policy module's private header: what its four files share, never
 * seen outside them (the public API is include/policy.h).
 *
 *   policy.c         loading, layering the files, cross-file references,
 *                    the accessors
 *   policy_json.c    pj_*: a strict JSON reader with positions (the key
 *                    path of every member, so an error says file:line:col),
 *                    typed member access, unknown-key checks, and the
 *                    error list, kept structured until it is printed
 *   policy_config.c  pconf_*: the configuration (sources, actions, stop,
 *                    tail, github, events, metrics, sandbox, mode)
 *   policy_rule.c    prule_*: rule files (lists, disable, rules with their
 *                    correlation, templates and samples)
 *
 * Naming: a function one policy file exports to another carries its
 * file's prefix (pj_, pconf_, prule_); a name starting with policy_ is
 * public API; everything else is static to its file.
 */
#ifndef BREAKER_POLICY_INT_H
#define BREAKER_POLICY_INT_H

#include <stddef.h>

#include "policy.h"
#include "util.h"

struct cJSON;
struct match_list;

/*
 * The fields a jsonl or text source's lines are known to carry: what a
 * rule's template, group_by or distinct may name besides its captures and
 * the fields its own predicates read (a squid source's fields are fixed).
 */
struct pconf_fields {
	char	**names;
	size_t	  n;
};

struct policy {
	enum policy_mode	 mode;
	char			*state_dir;
	int			 defaults;
	struct policy_source	*sources;
	struct pconf_fields	*fields;	/* per source */
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

/* Where a key path starts in the text. */
struct pj_pos {
	char	*path;
	size_t	 off;
};

/* One error of one file, printed in the file's order (line, column, then
 * the order the checks found them). */
struct pj_msg {
	int	 line, col;
	size_t	 seq;
	char	*s;
};

/* One file being loaded into a policy. */
struct load {
	struct policy	*p;
	const char	*file;
	const char	*text;
	size_t		 len;
	struct pj_pos	*pos;
	size_t		 npos;
	struct pj_msg	*errs;		/* kept structured until printed */
	int		 nerrors;
	int		 quote;		/* its text may be shown in errors */
};

/* Every file's errors, printed: one line each, "file:line:col: ...". */
struct pj_report {
	char	*s;
	size_t	 len;
	int	 n;
};

/* ---- policy_json.c ---- */

/* The top-level object of ld->text, its key positions recorded; NULL
 * after an error. */
struct cJSON	*pj_parse(struct load *);
/* Forget the key positions (the text is the caller's). */
void		 pj_positions_free(struct load *);
/* An error at a key path (or its nearest ancestor that has a position). */
void		 pj_error(struct load *, const char *path, const char *msg,
		    const char *hint);
void		 pj_errorf(struct load *, const char *path, const char *hint,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* "file:line:col" of a key path; caller frees. */
char		*pj_locate(struct load *, const char *path);
/* Every member not in `known` is an error (with "did you mean"); -1. */
int		 pj_check_keys(struct load *, const struct cJSON *,
		    const char *path, const char *const *known, size_t n);
/*
 * Into buf: "did you mean \"x\"?" when one of the n names at(p, i) (NULL:
 * left out) is one or two edits from `name`, else `otherwise`.
 */
void		 pj_did_you_mean(const struct policy *, const char *name,
		    size_t n, const char *(*at)(const struct policy *, size_t),
		    const char *otherwise, char *buf, size_t sz);
/* "path.key" (or "key" at the top); caller frees. */
char		*pj_subpath(const char *path, const char *key);
/* A member of an expected type; NULL (and an error if mistyped). */
const struct cJSON *pj_get_typed(struct load *, const struct cJSON *,
		    const char *path, const char *key,
		    int (*is)(const struct cJSON *), const char *what);
int		 pj_is_string(const struct cJSON *);
int		 pj_is_bool(const struct cJSON *);
int		 pj_is_array(const struct cJSON *);
int		 pj_is_object(const struct cJSON *);
int		 pj_is_string_or_null(const struct cJSON *);
/*
 * A string member naming one entry of an enum's table: 1 and *value; 0
 * when absent; -1 after an error (mistyped, or a value not in the table:
 * the hint lists the table, and says "did you mean" when one is close).
 */
int		 pj_get_enum(struct load *, const struct cJSON *,
		    const char *path, const char *key,
		    const struct util_enum *, size_t n, const char *what,
		    int *value);
/* The error for `value` (NULL: not a string) not in the table: "unknown
 * `what` \"value\"", at `path`. */
void		 pj_enum_error(struct load *, const char *path,
		    const char *what, const char *value,
		    const struct util_enum *, size_t n);
/* `key`, one of the table's names, is missing from the object at `path`. */
void		 pj_enum_required(struct load *, const char *path,
		    const char *key, const struct util_enum *, size_t n);
/* "version": 1, required. */
void		 pj_check_version(struct load *, const struct cJSON *root);

/* A file's errors into the report, in the file's order, and freed. */
void		 pj_report_file(struct pj_report *, struct load *);
void		 pj_report_addf(struct pj_report *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* ---- policy_config.c ---- */

/* The configuration's string enums (the tests list them in errors). */
extern const struct util_enum	pconf_mode_table[], pconf_action_table[],
				pconf_backend_table[], pconf_journald_table[],
				pconf_signal_table[];
extern const size_t		pconf_mode_ntable, pconf_action_ntable,
				pconf_backend_ntable, pconf_journald_ntable,
				pconf_signal_ntable;

void		 pconf_defaults(struct policy *);
void		 pconf_parse(struct load *, const struct cJSON *root);
/* Add a source, or replace the one of that name; `paths` are copied. */
void		 pconf_set_source(struct policy *, const char *name,
		    const char *const *paths, size_t npaths, enum source_format);
/* Does source `i` declare `name`, or a field it lies under ("error"
 * covers "error.message")? */
int		 pconf_field_declared(const struct policy *, size_t i,
		    const char *name);
void		 pconf_fields_free(struct policy *);
/* An array of action names as POLICY_ACTION_* bits; -1 after errors. */
int		 pconf_actions(struct load *, const struct cJSON *arr,
		    const char *path, unsigned *out);

/* ---- policy_rule.c ---- */

extern const struct util_enum	prule_kind_table[];
extern const size_t		prule_kind_ntable;

void		 prule_parse(struct load *, const struct cJSON *root);
struct policy_rule *prule_find(struct policy *, const char *id);
void		 prule_unknown_hint(const struct policy *, const char *id,
		    const char *otherwise, char *buf, size_t sz);
void		 prule_free(struct policy_rule *);
void		 prule_lists_free(struct policy *);

#endif
