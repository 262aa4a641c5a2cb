/*
 * Configuration (where the sources are, the mode, what actions are allowed,
 * how to stop the engine, credentials) and rules (what is fatal) are loaded
 * here from JSON with cJSON and validated strictly: an unknown key, a wrong
 * type, a bad regex or a dangling reference is an error that names the file,
 * line, column and key path. The default rules are compiled into the binary
 * (policy/default.json) and administrators layer their own files on top.
 */
#ifndef BREAKER_POLICY_H
#define BREAKER_POLICY_H

#include <stddef.h>

#include "correlate.h"
#include "source.h"
#include "tail.h"

struct policy;

enum policy_mode {
	POLICY_ENFORCE = 0,
	POLICY_OBSERVE,
};

/*
 * A source is followed at every one of its paths at once: the same log
 * lives in different places across versions and runner layouts (the
 * api-proxy's record moved directory in AWF v0.25.7, and ARC puts it under
 * ${RUNNER_TEMP}), and only the one the job writes delivers lines.
 * `${NAME}` in a configured path is expanded from the environment at load
 * time; an alternative whose variable is unset or empty is dropped.
 */
#define POLICY_MAX_PATHS	8

struct policy_source {
	const char		*name;		/* "engine", "firewall" */
	const char		*path;		/* paths[0], NULL if none left */
	const char *const	*paths;		/* expanded, in order */
	size_t			 npaths;
	enum source_format	 format;
};

struct policy_signal_step {
	int		signo;		/* SIGINT, SIGTERM, SIGKILL */
	unsigned	wait_ms;	/* wait for exit before the next step */
};

#define POLICY_MAX_LADDER	8

struct policy_stop {
	const char *const	*targets;	/* ordered process names */
	size_t			 ntargets;
	struct policy_signal_step ladder[POLICY_MAX_LADDER];
	size_t			 nladder;
	const char		*worker;	/* "Runner.Worker" */
};

/* Credentials and options for the optional GitHub REST actions. */
struct policy_github {
	const char	*api_url;		/* NULL: $GITHUB_API_URL or public */
	const char	*app_id;
	const char	*installation_id;
	const char	*private_key_file;
	const char	*token_file;
	const char	*ca_file;
	int		 cancel_run;		/* action allowed */
	int		 check_run;		/* action allowed */
};

/*
 * Where each job's record goes when `breaker finish` runs (events.c,
 * metrics.c; docs/events.md). NULL: not written.
 */
#define POLICY_JOURNAL_SOCKET	"/run/systemd/journal/socket"
struct policy_fleet {
	const char	*events_file;		/* JSON lines, appended */
	int		 journald;		/* 1: when the socket exists */
	const char	*journald_socket;	/* tests point it elsewhere */
	const char	*metrics_dir;		/* node_exporter textfile dir */
};

/*
 * What to load. `config` NULL: the built-in configuration. Rule files named
 * by the configuration are loaded after the embedded defaults (unless the
 * configuration turns the defaults off), then `rule_files` in order.
 */
struct policy_load_args {
	const char		*config;
	const char *const	*rule_files;
	size_t			 nrule_files;
	int			 no_defaults;	/* skip the embedded rules */
};

/*
 * Returns NULL on any error; then *errors holds every problem found, one per
 * line, each "file:line:col: key.path: message (hint)". Caller frees.
 */
struct policy	*policy_load(const struct policy_load_args *, char **errors);
void		 policy_free(struct policy *);

enum policy_mode policy_mode(const struct policy *);
void		 policy_set_mode(struct policy *, enum policy_mode);
/* NULL when the configuration leaves it to the job (see job.h). */
const char	*policy_state_dir(const struct policy *);
size_t		 policy_nsources(const struct policy *);
const struct policy_source *policy_source(const struct policy *, size_t);
/* Index of a source by name, or -1. */
int		 policy_source_index(const struct policy *, const char *);
/* Replace a source's paths by one (replay --source NAME=FILE, tests). */
void		 policy_set_source_path(struct policy *, size_t, const char *);
size_t		 policy_nrules(const struct policy *);
const struct policy_stop *policy_stop(const struct policy *);
const struct policy_github *policy_github(const struct policy *);
/* 1 when the configuration allows a GitHub action (cancel-run, check-run):
 * the one test of whether breaker may talk to the network at all. */
int		 policy_github_actions(const struct policy *);
const struct policy_fleet *policy_fleet(const struct policy *);
void		 policy_tail_options(const struct policy *,
		    struct tail_options *);
/* One line for humans: "embedded default (31 rules) + /etc/breaker/x.json". */
const char	*policy_describe(const struct policy *);

/* The configured sandbox mode (enum sandbox_mode from sandbox.h). */
int		 policy_sandbox(const struct policy *);

/* Actions, as a bit set: allowed by the configuration, asked by a rule. */
#define POLICY_ACTION_STOP		0x1
#define POLICY_ACTION_CANCEL_RUN	0x2
#define POLICY_ACTION_CHECK_RUN		0x4
unsigned	 policy_actions(const struct policy *);

/* A rule's severity: enum severity (verdict.h), or this for `none`. */
#define POLICY_SEVERITY_NONE	(-1)

struct match_pred;
struct cJSON;

/* A reference to another rule by id; `idx` is POLICY_RULE_NONE when that
 * rule was disabled (it then never fires). */
#define POLICY_RULE_NONE	((size_t)-1)
struct policy_rule_ref {
	char		*id;
	size_t		 idx;
	char		*where;		/* "file:line:col" of the reference */
	char		*path;		/* "rules[3].unless_fired[0]" */
};

/* A loaded rule, as the pipeline and `breaker check` see it. */
struct policy_rule {
	char			 *id;
	char			 *title;
	char			 *message;	/* template; NULL: the title */
	char			 *hint;		/* for the author, or NULL */
	char			 *source;
	size_t			  source_idx;
	int			  severity;	/* SEVERITY_* or _NONE */
	struct match_pred	 *match;
	struct match_pred	**except;
	size_t			  nexcept;
	enum correlate_kind	  kind;
	unsigned		  threshold;
	double			  window;	/* seconds */
	char			 *window_text;	/* as written, "10m" */
	char			 *group_by;	/* capture or field, or NULL */
	char			 *field;	/* distinct: capture or field */
	char			 *after;	/* sequence: rule id */
	size_t			  after_idx;
	char			 *reset_by;	/* count, distinct: rule id */
	size_t			  reset_idx;
	char			 *reset_where;	/* "file:line:col" of it */
	unsigned		  actions;	/* POLICY_ACTION_*, as asked */
	int			  observe;
	struct cJSON		 *samples;	/* kept for `breaker check` */
	char			 *file;		/* where it was defined */
	char			 *path;		/* "rules[3]" in that file */
	char			 *where;	/* "file:line:col" of the rule */
	char			 *after_where;	/* "file:line:col" of `after` */
	/*
	 * Conditions on other rules having fired earlier in this job (a
	 * `none` rule fires on its first counted event): the rule's events
	 * count only if one of `if_fired` has fired (when any are named)
	 * and none of `unless_fired` has. How the pipeline learns a fact of
	 * the job, e.g. that the api-proxy carries inference.
	 */
	struct policy_rule_ref	 *if_fired;
	size_t			  nif_fired;
	struct policy_rule_ref	 *unless_fired;
	size_t			  nunless_fired;
	int			  disabled;	/* by a later file's `disable` */
};
/* Active rules (disabled ones are gone), in load order. */
const struct policy_rule *policy_rule(const struct policy *, size_t);
/*
 * The hint of the active rule `id` of the policy `arg`, or NULL (the
 * signature of annotate_job's hint callback).
 */
#define POLICY_HINT_MAX	300
const char	*policy_rule_hint(const char *id, const void *arg);
/* Index of an active rule by id, or -1. */
int		 policy_rule_index(const struct policy *, const char *);
/* Is a rule's action both asked for and allowed by the configuration? */
int		 policy_rule_allows(const struct policy *,
		    const struct policy_rule *, unsigned action);

/* Durations ("250ms", "7.5s", "10m", "1h") and sizes ("64KiB"); -1 bad. */
double		 policy_parse_duration(const char *);
long long	 policy_parse_size(const char *);

/* The embedded default rule file, as compiled in. */
extern const char	policy_default_json[];
extern const size_t	policy_default_json_len;

#endif
