/*
 * The configuration: where the sources are, the mode, which actions are
 * allowed, how to stop the engine, the tailer, GitHub credentials, the
 * fleet's records and the sandbox. Defaults first (pconf_defaults), then
 * what the configuration file says (pconf_parse).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "policy_int.h"
#include "proc.h"
#include "sandbox.h"
#include "util.h"
#include "xalloc.h"

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

/* The signals a ladder may send, written with or without "SIG". */
const struct util_enum pconf_signal_table[] = {
	{ "SIGINT", SIGINT }, { "SIGTERM", SIGTERM }, { "SIGKILL", SIGKILL },
	{ "SIGHUP", SIGHUP }, { "SIGQUIT", SIGQUIT }, { "SIGUSR1", SIGUSR1 },
	{ "SIGUSR2", SIGUSR2 },
};
const size_t pconf_signal_ntable = nitems(pconf_signal_table);

static int
parse_signal(const char *s)
{
	char	name[32];
	int	signo;

	snprintf(name, sizeof name, "%s%s", strncmp(s, "SIG", 3) == 0 ? "" :
	    "SIG", s);
	return util_enum_value(pconf_signal_table, pconf_signal_ntable, name,
	    &signo) == 0 ? signo : -1;
}

const struct util_enum pconf_mode_table[] = {
	{ "enforce", POLICY_ENFORCE }, { "observe", POLICY_OBSERVE },
};
const size_t pconf_mode_ntable = nitems(pconf_mode_table);

const struct util_enum pconf_action_table[] = {
	{ "stop", POLICY_ACTION_STOP },
	{ "cancel-run", POLICY_ACTION_CANCEL_RUN },
	{ "check-run", POLICY_ACTION_CHECK_RUN },
};
const size_t pconf_action_ntable = nitems(pconf_action_table);

const struct util_enum pconf_backend_table[] = {
	{ "auto", TAIL_BACKEND_AUTO }, { "inotify", TAIL_BACKEND_INOTIFY },
	{ "poll", TAIL_BACKEND_POLL },
};
const size_t pconf_backend_ntable = nitems(pconf_backend_table);

/* events.journald: "auto" (when the journal's socket exists) or "off". */
const struct util_enum pconf_journald_table[] = {
	{ "auto", 1 }, { "off", 0 },
};
const size_t pconf_journald_ntable = nitems(pconf_journald_table);

/* ---- the configuration ---------------------------------------------- */

/* The policy keeps `s` (an accessor hands it out) and frees it with itself. */
static char *
owned_by(struct policy *p, char *s)
{
	p->owned = xreallocarray(p->owned, p->nowned + 1, sizeof *p->owned);
	p->owned[p->nowned++] = s;
	return s;
}

void
pconf_set_source(struct policy *p, const char *name, const char *const *paths,
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
		p->fields = xreallocarray(p->fields, p->nsources + 1,
		    sizeof *p->fields);
		memset(&p->fields[p->nsources], 0, sizeof *p->fields);
		p->sources[p->nsources++].name = owned_by(p, xstrdup(name));
	}
	arr = xcalloc(npaths + 1, sizeof *arr);
	owned_by(p, (char *)arr);
	for (j = 0; j < npaths; j++)
		arr[j] = owned_by(p, xstrdup(paths[j]));
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
				goto fail;
			}
			n = end - (p + 2);
			if (n == 0 || n >= sizeof name ||
			    !(isalpha((unsigned char)p[2]) || p[2] == '_')) {
				*why = "bad variable name in ${...}";
				goto fail;
			}
			for (i = 0; i < n; i++)
				if (!isalnum((unsigned char)p[2 + i]) &&
				    p[2 + i] != '_') {
					*why = "bad variable name in ${...}";
					goto fail;
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
fail:
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
	char		*exp[POLICY_MAX_PATHS] = { NULL };
	const char	*view[POLICY_MAX_PATHS] = { NULL };
	size_t		 i, n = 0;
	int		 rc = 0;

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
	for (i = 0; i < n; i++)
		view[i] = exp[i];
	pconf_set_source(p, name, view, n, f);
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

/*
 * The fields the default sources' JSON lines are known to carry, beyond
 * those the default rules' predicates read: engine lines are the engines'
 * JSON events (claude's stream-json, codex's --json, gemini's, AWF's own
 * events), the api-proxy's are its token-tracker records. A configuration
 * adds to them with a source's "fields".
 */
static const char *const engine_fields[] = {
	"type", "subtype", "is_error", "result", "error", "errors",
	"error_status", "api_error_status", "api_error_type", "event",
	"message", "msg", "provider", "model", "status", "code", "attempt",
	"max_retries", "retry_delay_ms", "item", "usage", "session_id",
	"duration_ms", "num_turns", "total_cost_usd", "stop_reason",
	"terminal_reason", "timestamp", "level", "role", "content", "url",
};
static const char *const api_proxy_fields[] = {
	"ts", "level", "event", "rid", "provider", "path", "streaming", "ct",
	"ce", "status", "result", "model", "input", "output", "cache_read",
};

static void
fields_add(struct policy *p, size_t i, const char *const *names, size_t n)
{
	struct pconf_fields	*f = &p->fields[i];
	size_t			 k;

	f->names = xreallocarray(f->names, f->n + n, sizeof *f->names);
	for (k = 0; k < n; k++)
		f->names[f->n++] = xstrdup(names[k]);
}

int
pconf_field_declared(const struct policy *p, size_t i, const char *name)
{
	const struct pconf_fields	*f = &p->fields[i];
	size_t				 k, len;

	for (k = 0; k < f->n; k++) {
		len = strlen(f->names[k]);
		if (strncmp(name, f->names[k], len) == 0 &&
		    (name[len] == '\0' || name[len] == '.'))
			return 1;
	}
	return 0;
}

void
pconf_fields_free(struct policy *p)
{
	size_t	i, k;

	for (i = 0; i < p->nsources; i++) {
		for (k = 0; k < p->fields[i].n; k++)
			free(p->fields[i].names[k]);
		free(p->fields[i].names);
	}
	free(p->fields);
}

void
pconf_defaults(struct policy *p)
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
	fields_add(p, (size_t)policy_source_index(p, "engine"), engine_fields,
	    nitems(engine_fields));
	fields_add(p, (size_t)policy_source_index(p, "api-proxy"),
	    api_proxy_fields, nitems(api_proxy_fields));
	/* proc.c's defaults, the one definition; the targets are copied
	 * because a configuration's `stop.targets` frees and replaces them */
	proc_default_stop(&p->stop);
	p->targets = xcalloc(p->stop.ntargets, sizeof *p->targets);
	for (i = 0; i < p->stop.ntargets; i++)
		p->targets[i] = xstrdup(p->stop.targets[i]);
	p->stop.targets = (const char *const *)p->targets;
	p->stop.worker = PROC_WORKER_NAME;
	p->fleet.journald = 1;
	p->fleet.journald_socket = POLICY_JOURNAL_SOCKET;
}

int
pconf_actions(struct load *ld, const cJSON *arr, const char *path,
    unsigned *out)
{
	const cJSON	*c;
	char		*sub;
	int		 i = 0, bad = 0, a;

	*out = 0;
	cJSON_ArrayForEach(c, arr) {
		xasprintf(&sub, "%s[%d]", path, i++);
		if (!cJSON_IsString(c) || util_enum_value(pconf_action_table,
		    pconf_action_ntable, c->valuestring, &a) == -1) {
			pj_enum_error(ld, sub, "action", cJSON_IsString(c) ?
			    c->valuestring : NULL, pconf_action_table,
			    pconf_action_ntable);
			bad = 1;
		} else
			*out |= (unsigned)a;
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
			sub = pj_subpath(sp, "path");
			pj_error(ld, sub, "must be a string or an array of 1 to 8 "
			    "strings", "[\"/tmp/x.log\", \"${RUNNER_TEMP}/x.log\"]");
			free(sub);
			return;
		}
		cJSON_ArrayForEach(c, path) {
			if (!cJSON_IsString(c)) {
				xasprintf(&sub, "%s.path[%zu]", sp, n);
				pj_error(ld, sub, "must be a string", NULL);
				free(sub);
				return;
			}
			paths[n++] = c->valuestring;
		}
	}
	if (set_source_expanded(ld->p, name, paths, n, f, &bad, &why) == -1) {
		if (cJSON_IsString(path))
			sub = pj_subpath(sp, "path");
		else
			xasprintf(&sub, "%s.path[%zu]", sp, bad);
		pj_error(ld, sub, why, "e.g. \"${RUNNER_TEMP}/gh-aw/x.log\"");
		free(sub);
	}
}

/* A source's "fields": what its lines are known to carry (jsonl, text). */
static void
config_source_fields(struct load *ld, const char *sp, const char *name,
    const cJSON *fields, int f)
{
	const cJSON	*c;
	const char	*why;
	char		*sub;
	size_t		 i = 0;
	struct source_path *compiled;
	int		 si = policy_source_index(ld->p, name);

	cJSON_ArrayForEach(c, fields) {
		xasprintf(&sub, "%s.fields[%zu]", sp, i++);
		if (f == SOURCE_SQUID)
			pj_error(ld, sub, "a squid source's fields are fixed",
			    "remove \"fields\"");
		else if (!cJSON_IsString(c) || (compiled = source_path_compile(
		    SOURCE_JSONL, c->valuestring, &why)) == NULL)
			pj_error(ld, sub, "must be a field path",
			    "e.g. \"error.message\"");
		else {
			source_path_free(compiled);
			if (si != -1)
				fields_add(ld->p, (size_t)si,
				    (const char *const *)&c->valuestring, 1);
		}
		free(sub);
	}
}

static void
config_sources(struct load *ld, const cJSON *srcs)
{
	static const char *const keys[] = { "path", "format", "fields" };
	const cJSON	*s, *path, *fields;
	char		*sp;
	int		 f;

	cJSON_ArrayForEach(s, srcs) {
		sp = pj_subpath("sources", s->string);
		if (!cJSON_IsObject(s)) {
			pj_error(ld, sp, "must be an object",
			    "{\"path\": \"/x.log\", \"format\": \"text\"}");
			free(sp);
			continue;
		}
		pj_check_keys(ld, s, sp, keys, nitems(keys));
		path = cJSON_GetObjectItemCaseSensitive(s, "path");
		f = SOURCE_TEXT;
		if (pj_get_enum(ld, s, sp, "format", source_format_table,
		    source_format_ntable, "format", &f) == -1)
			f = -1;
		if (path == NULL)
			pj_error(ld, sp, "\"path\" is required", NULL);
		else if (f != -1)
			config_source_paths(ld, sp, s->string, path, f);
		if ((fields = pj_get_typed(ld, s, sp, "fields", pj_is_array,
		    "an array of field paths")) != NULL)
			config_source_fields(ld, sp, s->string, fields, f);
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

	pj_check_keys(ld, stop, "stop", keys, nitems(keys));
	if ((t = pj_get_typed(ld, stop, "stop", "targets", pj_is_array,
	    "an array of process names")) != NULL) {
		cJSON_ArrayForEach(c, t) {
			xasprintf(&sub, "stop.targets[%zu]", n++);
			if (!cJSON_IsString(c) || *c->valuestring == '\0')
				pj_error(ld, sub, "must be a process name", NULL);
			free(sub);
		}
		if (n == 0)
			pj_error(ld, "stop.targets", "must not be empty", NULL);
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
	if ((t = pj_get_typed(ld, stop, "stop", "ladder", pj_is_array,
	    "an array of {\"signal\", \"wait\"}")) != NULL) {
		n = cJSON_GetArraySize(t);
		if (n == 0 || n > POLICY_MAX_LADDER)
			pj_error(ld, "stop.ladder", "must have 1 to 8 steps", NULL);
		else
			p->stop.nladder = n;
		i = 0;
		cJSON_ArrayForEach(c, t) {
			xasprintf(&sub, "stop.ladder[%zu]", i);
			if (!cJSON_IsObject(c)) {
				pj_error(ld, sub, "must be an object",
				    "{\"signal\": \"SIGINT\", \"wait\": \"7.5s\"}");
				free(sub);
				i++;
				continue;
			}
			pj_check_keys(ld, c, sub, skeys, nitems(skeys));
			sig = pj_get_typed(ld, c, sub, "signal", pj_is_string,
			    "a signal name");
			wait = pj_get_typed(ld, c, sub, "wait", pj_is_string,
			    "a duration");
			signo = sig ? parse_signal(sig->valuestring) : -1;
			if (sig == NULL && cJSON_GetObjectItem(c, "signal") ==
			    NULL)
				pj_error(ld, sub, "\"signal\" is required", NULL);
			else if (sig != NULL && signo == -1)
				pj_enum_error(ld, sub, "signal",
				    sig->valuestring, pconf_signal_table,
				    pconf_signal_ntable);
			d = wait ? policy_parse_duration(wait->valuestring) : 0;
			if (d < 0 || d > 3600)
				pj_error(ld, sub, "bad wait", "a duration such as "
				    "\"7.5s\" (at most 1h)");
			if (i < POLICY_MAX_LADDER && signo != -1 && d >= 0) {
				p->stop.ladder[i].signo = signo;
				p->stop.ladder[i].wait_ms = (unsigned)(d * 1000);
			}
			free(sub);
			i++;
		}
	}
	if ((t = pj_get_typed(ld, stop, "stop", "worker", pj_is_string,
	    "a process name")) != NULL)
		p->stop.worker = owned_by(p, xstrdup(t->valuestring));
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
	int		 b;

	pj_check_keys(ld, tail, "tail", keys, nitems(keys));
	if ((c = pj_get_typed(ld, tail, "tail", "max_line", pj_is_string,
	    "a size such as \"64KiB\"")) != NULL) {
		n = policy_parse_size(c->valuestring);
		if (n < 256 || n > 64LL * 1024 * 1024)
			pj_error(ld, "tail.max_line", "bad size",
			    "between \"256\" and \"64MiB\", e.g. \"64KiB\"");
		else
			p->tail.max_line = n;
	}
	if (pj_get_enum(ld, tail, "tail", "backend", pconf_backend_table,
	    pconf_backend_ntable, "backend", &b) == 1)
		p->tail.backend = b;
	if ((c = pj_get_typed(ld, tail, "tail", "reconcile", pj_is_string,
	    "a duration")) != NULL) {
		d = policy_parse_duration(c->valuestring);
		if (d < 1 || d > 3600)
			pj_error(ld, "tail.reconcile", "bad duration",
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

	_Static_assert(nitems(keys) == nitems(dst), "a key for each field");
	pj_check_keys(ld, gh, "github", keys, nitems(keys));
	for (i = 0; i < nitems(keys); i++)
		if ((c = pj_get_typed(ld, gh, "github", keys[i], pj_is_string_or_null,
		    "a string or null")) != NULL && cJSON_IsString(c))
			*dst[i] = owned_by(p, xstrdup(c->valuestring));
}

/* An absolute path, or null for "not written". */
static void
fleet_path(struct load *ld, const cJSON *o, const char *obj, const char *key,
    const char **dst)
{
	const cJSON	*c;
	char		*sub;

	if ((c = pj_get_typed(ld, o, obj, key, pj_is_string_or_null,
	    "an absolute path or null")) == NULL || !cJSON_IsString(c))
		return;
	if (c->valuestring[0] != '/') {
		xasprintf(&sub, "%s.%s", obj, key);
		pj_error(ld, sub, "must be an absolute path",
		    "hooks run with the workspace as their directory");
		free(sub);
		return;
	}
	*dst = owned_by(ld->p, xstrdup(c->valuestring));
}

static void
config_events(struct load *ld, const cJSON *ev)
{
	static const char *const keys[] = { "file", "journald",
	    "journald_socket" };
	struct policy	*p = ld->p;
	int		 j;

	pj_check_keys(ld, ev, "events", keys, nitems(keys));
	fleet_path(ld, ev, "events", "file", &p->fleet.events_file);
	fleet_path(ld, ev, "events", "journald_socket",
	    &p->fleet.journald_socket);
	if (pj_get_enum(ld, ev, "events", "journald", pconf_journald_table,
	    pconf_journald_ntable, "value", &j) == 1)
		p->fleet.journald = j;
}

static void
config_metrics(struct load *ld, const cJSON *m)
{
	static const char *const keys[] = { "textfile_dir" };

	pj_check_keys(ld, m, "metrics", keys, nitems(keys));
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
			pj_error(ld, sub, "must be a path to a rule file", NULL);
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

void
pconf_parse(struct load *ld, const cJSON *root)
{
	static const char *const keys[] = { "version", "mode", "state_dir",
	    "defaults", "rules", "sources", "actions", "stop", "tail",
	    "github", "sandbox", "events", "metrics" };
	struct policy	*p = ld->p;
	const cJSON	*c;
	int		 m;

	pj_check_keys(ld, root, "", keys, nitems(keys));
	pj_check_version(ld, root);
	if (pj_get_enum(ld, root, "", "mode", pconf_mode_table,
	    pconf_mode_ntable, "mode", &m) == 1)
		p->mode = m;
	if ((c = pj_get_typed(ld, root, "", "state_dir", pj_is_string, "a path")))
		p->state_dir = xstrdup(c->valuestring);
	if ((c = pj_get_typed(ld, root, "", "defaults", pj_is_bool, "true or false")))
		p->defaults = cJSON_IsTrue(c);
	if ((c = pj_get_typed(ld, root, "", "rules", pj_is_array,
	    "an array of paths")))
		config_rules(ld, c);
	if ((c = pj_get_typed(ld, root, "", "sources", pj_is_object,
	    "an object: name -> {path, format}")))
		config_sources(ld, c);
	if ((c = pj_get_typed(ld, root, "", "actions", pj_is_array,
	    "an array of actions")))
		pconf_actions(ld, c, "actions", &p->actions);
	if ((c = pj_get_typed(ld, root, "", "stop", pj_is_object, "an object")))
		config_stop(ld, c);
	if ((c = pj_get_typed(ld, root, "", "tail", pj_is_object, "an object")))
		config_tail(ld, c);
	if ((c = pj_get_typed(ld, root, "", "github", pj_is_object, "an object")))
		config_github(ld, c);
	if ((c = pj_get_typed(ld, root, "", "events", pj_is_object, "an object")))
		config_events(ld, c);
	if ((c = pj_get_typed(ld, root, "", "metrics", pj_is_object, "an object")))
		config_metrics(ld, c);
	if (pj_get_enum(ld, root, "", "sandbox", sandbox_mode_table,
	    sandbox_mode_ntable, "sandbox mode", &m) == 1)
		p->sandbox = m;
	p->github.cancel_run = (p->actions & POLICY_ACTION_CANCEL_RUN) != 0;
	p->github.check_run = (p->actions & POLICY_ACTION_CHECK_RUN) != 0;
}
