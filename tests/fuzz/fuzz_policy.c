/*
 * Configuration and policy loading. policy_load only takes paths, so the
 * input is written to a memfd and named by /proc/self/fd/N.
 *
 * Byte 0 picks how the rest is loaded: 0 a rule file alone (no embedded
 * defaults), 1 a configuration file, 2 a rule file layered on the embedded
 * defaults (disable, overrides, duplicate ids). A rejected input must come
 * with an error text; an accepted one must be usable: every rule is looked
 * at, and a pipeline built from it is fed a few lines of every format.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pipeline.h"
#include "policy.h"
#include "verdict.h"

static struct fuzz_file	 file;

static const char *const sample_lines[] = {
	"ERROR: Reconnecting... 1/5 (unexpected status 401 Unauthorized: "
	    "Incorrect API key provided: sk-abc****)",
	"{\"type\":\"turn.failed\",\"error\":{\"message\":\"Quota exceeded."
	    "\"},\"timestamp\":\"2026-02-27T14:06:41.886Z\"}",
	"1761074374.646 172.30.0.20:39748 api.openai.com:443 -:- 1.1 CONNECT "
	    "403 TCP_DENIED:HIER_NONE api.openai.com:443 \"-\"",
	"{\"type\":\"error\",\"message\":\"::error::x ##[set-output]\"}",
	"",
};

static void
on_verdict(struct verdict *v, void *arg)
{
	(void)arg;
	FUZZ_ASSERT(v->rule_id != NULL && v->message != NULL);
	verdict_free(v);
}

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_file_init(&file, "policy");
	return 0;
}

static void
exercise(struct policy *p)
{
	const struct policy_rule	*r;
	struct pipeline			*pl;
	size_t				 i, s, k;

	FUZZ_ASSERT(policy_describe(p) != NULL);
	for (i = 0; i < policy_nrules(p); i++) {
		r = policy_rule(p, i);
		FUZZ_ASSERT(r != NULL && r->id != NULL && r->title != NULL);
		FUZZ_ASSERT(policy_rule_index(p, r->id) >= 0);
		FUZZ_ASSERT(r->source_idx < policy_nsources(p));
	}
	pl = pipeline_new(p, on_verdict, NULL);
	for (k = 0; k < 2; k++)
		for (s = 0; s < policy_nsources(p); s++)
			for (i = 0; i < sizeof sample_lines /
			    sizeof sample_lines[0]; i++)
				pipeline_feed(pl, s, sample_lines[i],
				    strlen(sample_lines[i]), 0,
				    1761074374.0 + (double)(k * 100 + i));
	pipeline_free(pl);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_load_args	 a;
	struct policy		*p;
	const char		*files[1] = { file.path };
	char			*err = NULL;

	if (size < 1)
		return 0;
	fuzz_file_set(&file, data + 1, size - 1);
	memset(&a, 0, sizeof a);
	switch (data[0] % 3) {
	case 0:
		a.rule_files = files;
		a.nrule_files = 1;
		a.no_defaults = 1;
		break;
	case 1:
		a.config = file.path;
		break;
	default:
		a.rule_files = files;
		a.nrule_files = 1;
		break;
	}
	p = policy_load(&a, &err);
	if (p == NULL) {
		FUZZ_ASSERT(err != NULL && *err != '\0');
		free(err);
		return 0;
	}
	free(err);
	exercise(p);
	policy_free(p);
	return 0;
}
