/*
 * `breaker check`: validate configuration and rule files the way the daemon
 * will load them, print every problem with its file, line, column and key
 * path, then run each rule's samples through a fresh pipeline. This is how
 * a rule author tests a rule: the samples say on which lines it must fire
 * and on which it must stay silent.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "corpus.h"
#include "file.h"
#include "log.h"
#include "pipeline.h"
#include "policy.h"
#include "sandbox.h"
#include "usage.h"
#include "util.h"
#include "verdict.h"
#include "xalloc.h"

struct sample_run {
	int	fired;		/* verdicts of the rule under test */
};

static void
on_verdict(struct verdict *v, void *arg)
{
	(void)arg;
	verdict_free(v);
}

/* How often the rule has "fired": verdicts, or hits for severity none. */
static uint64_t
fired(struct pipeline *pl, size_t idx, int sev)
{
	struct pipeline_rule_stats	st;

	pipeline_rule_stats(pl, idx, &st);
	return sev == POLICY_SEVERITY_NONE ? st.hits : st.verdicts;
}

/* One sample line: its text and its source (the rule's own, or the one a
 * {"source", "line"} item names). */
static const char *
sample_line(const struct policy *p, const cJSON *l, size_t *src)
{
	const cJSON	*s;

	if (cJSON_IsString(l))
		return l->valuestring;
	s = cJSON_GetObjectItemCaseSensitive(l, "source");
	if (cJSON_IsString(s) && policy_source_index(p, s->valuestring) >= 0)
		*src = (size_t)policy_source_index(p, s->valuestring);
	s = cJSON_GetObjectItemCaseSensitive(l, "line");
	return cJSON_IsString(s) ? s->valuestring : NULL;
}

/*
 * Feed one sample (a line, or lines in order) to a fresh pipeline. Returns
 * the 1-based line on which the rule first fired, 0 if it never did.
 */
static size_t
run_sample(const struct policy *p, size_t idx, const cJSON *sample)
{
	const struct policy_rule	*r = policy_rule(p, idx);
	struct pipeline			*pl;
	const cJSON			*l;
	size_t				 n = 0, at = 0, src;
	const char			*s;

	pl = pipeline_new(p, on_verdict, NULL);
	if (cJSON_IsString(sample)) {
		s = sample->valuestring;
		pipeline_feed(pl, r->source_idx, s, strlen(s), 0, -1);
		at = fired(pl, idx, r->severity) ? 1 : 0;
	} else
		cJSON_ArrayForEach(l, sample) {
			n++;
			src = r->source_idx;
			if ((s = sample_line(p, l, &src)) == NULL)
				continue;
			pipeline_feed(pl, src, s, strlen(s), 0, -1);
			if (at == 0 && fired(pl, idx, r->severity))
				at = n;
		}
	pipeline_free(pl);
	return at;
}

static int
check_rule_samples(const struct policy *p, size_t idx, int *nsamples,
    FILE *out)
{
	const struct policy_rule	*r = policy_rule(p, idx);
	const cJSON			*arr, *it;
	size_t				 k, at, last;
	int				 bad = 0;

	if (r->samples == NULL)
		return 0;
	arr = cJSON_GetObjectItemCaseSensitive(r->samples, "fire");
	k = 0;
	cJSON_ArrayForEach(it, arr) {
		(*nsamples)++;
		last = cJSON_IsArray(it) ? (size_t)cJSON_GetArraySize(it) : 1;
		at = run_sample(p, idx, it);
		if (at != last) {
			fprintf(out, "%s: %s.samples.fire[%zu]: rule %s %s\n",
			    r->where, r->path, k, r->id, at == 0 ?
			    "did not fire" : "fired before the last line");
			bad = 1;
		}
		k++;
	}
	arr = cJSON_GetObjectItemCaseSensitive(r->samples, "silent");
	k = 0;
	cJSON_ArrayForEach(it, arr) {
		(*nsamples)++;
		if ((at = run_sample(p, idx, it)) != 0) {
			fprintf(out, "%s: %s.samples.silent[%zu]: rule %s fired on "
			    "line %zu of the sample\n", r->where, r->path, k,
			    r->id, at);
			bad = 1;
		}
		k++;
	}
	return bad;
}

/* A configuration names sources, modes...; a rule file has rule objects. */
static int
is_config(const char *path)
{
	static const char *const keys[] = { "mode", "state_dir", "defaults",
	    "sources", "actions", "stop", "tail", "github", "sandbox" };
	cJSON	*j, *rules;
	char	*buf;
	size_t	 i;
	int	 yes = 0;

	/* An admin-named file: a link is followed; a FIFO never hangs us. */
	if ((buf = file_read_small(AT_FDCWD, path, 4 * 1024 * 1024,
	    FILE_FOLLOW, NULL, NULL)) == NULL)
		return 0;
	j = cJSON_Parse(buf);
	free(buf);
	if (j == NULL)
		return 0;
	for (i = 0; i < nitems(keys); i++)
		if (cJSON_GetObjectItemCaseSensitive(j, keys[i]) != NULL)
			yes = 1;
	rules = cJSON_GetObjectItemCaseSensitive(j, "rules");
	if (cJSON_IsArray(rules) && cJSON_GetArraySize(rules) > 0 &&
	    cJSON_IsString(cJSON_GetArrayItem(rules, 0)))
		yes = 1;
	cJSON_Delete(j);
	return yes;
}

static void
usage(void)
{
	usage_error("check");
}

int
cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sandbox",	 no_argument,		NULL, 's' },
		{ "no-defaults", no_argument,		NULL, 'n' },
		{ "config",	 required_argument,	NULL, 'c' },
		{ "policy",	 required_argument,	NULL, 'p' },
		{ "corpus",	 required_argument,	NULL, 'C' },
		{ "json",	 no_argument,		NULL, 'j' },
		{ "help",	 no_argument,		NULL, 'h' },
		{ NULL,		 0,			NULL, 0 }
	};
	struct policy_load_args	 a;
	struct policy		*p;
	const char		**files;
	char			*errors = NULL;
	const char		*env, *corpus = NULL;
	size_t			 i, nfiles = 0;
	int			 ch, sandbox = 0, bad = 0, nsamples = 0, json = 0;
	int			 rc;
	FILE			*out;

	memset(&a, 0, sizeof a);
	files = xcalloc(argc + 1, sizeof *files);
	while ((ch = getopt_long(argc, argv, "snc:p:C:jh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			sandbox = 1;
			break;
		case 'n':
			a.no_defaults = 1;
			break;
		case 'c':
			a.config = optarg;
			break;
		case 'p':
			files[nfiles++] = optarg;
			break;
		case 'C':
			corpus = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			free(files);
			return usage_help("check");
		default:
			usage();
			free(files);
			return 2;
		}
	}
	if (json && corpus == NULL) {
		fprintf(stderr, "breaker check: --json goes with --corpus\n");
		free(files);
		return 2;
	}
	for (i = optind; i < (size_t)argc; i++) {
		if (is_config(argv[i])) {
			if (a.config != NULL) {
				fprintf(stderr, "breaker check: %s and %s are "
				    "both configurations; check one at a "
				    "time\n", a.config, argv[i]);
				free(files);
				return 2;
			}
			a.config = argv[i];
		} else
			files[nfiles++] = argv[i];
	}
	if (a.config == NULL && optind == argc && nfiles == 0 &&
	    (env = getenv("BREAKER_CONFIG")) != NULL && *env != '\0')
		a.config = env;
	a.rule_files = files;
	a.nrule_files = nfiles;
	if ((p = policy_load(&a, &errors)) == NULL) {
		printf("%s", errors ? errors : "the policy is not valid\n");
		free(errors);
		free(files);
		return 2;
	}
	/* with --json, stdout holds the corpus report alone */
	out = json ? stderr : stdout;
	for (i = 0; i < policy_nrules(p); i++)
		bad |= check_rule_samples(p, i, &nsamples, out);
	fprintf(out, "%s: %s; %zu rules, %d samples %s\n", bad ? "FAILED" :
	    "ok", policy_describe(p), policy_nrules(p), nsamples, bad ?
	    "checked, some misbehave" : "behave as written");
	if (sandbox)
		sandbox_print(out);
	rc = bad ? 2 : 0;
	if (corpus != NULL) {
		if (!json)
			printf("\n");
		fflush(out);
		if ((i = corpus_evaluate(p, corpus, json)) > (size_t)rc)
			rc = (int)i;
	}
	policy_free(p);
	free(files);
	return rc;
}
