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

#include "source.h"
#include "tail.h"

struct policy;

enum policy_mode {
	POLICY_ENFORCE = 0,
	POLICY_OBSERVE,
};

struct policy_source {
	const char		*name;		/* "engine", "firewall" */
	const char		*path;
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
/* Replace a source's path (replay --source NAME=FILE, tests). */
void		 policy_set_source_path(struct policy *, size_t, const char *);
size_t		 policy_nrules(const struct policy *);
const struct policy_stop *policy_stop(const struct policy *);
const struct policy_github *policy_github(const struct policy *);
void		 policy_tail_options(const struct policy *,
		    struct tail_options *);
/* One line for humans: "embedded default (31 rules) + /etc/breaker/x.json". */
const char	*policy_describe(const struct policy *);

/* The embedded default rule file, as compiled in. */
extern const char	policy_default_json[];
extern const size_t	policy_default_json_len;

#endif
