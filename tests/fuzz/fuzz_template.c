/*
 * Message templates. The input's first line is a rule's message template
 * (placeholders {name}, escapes {{ and }}, unterminated braces, names too
 * long, names of captures, fields, and the built-ins count, window, rule,
 * source); the rest are lines fed to two templated rules, one per source
 * format. The rule file is written with cJSON, so every template reaches
 * the loader as a valid JSON string; the loader may still refuse it (an
 * unknown name), which is fine. Every rendered message must be free of
 * control bytes, and survive the verdict's JSON round trip unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz.h"
#include "pipeline.h"
#include "policy.h"
#include "verdict.h"
#include "xalloc.h"

static struct fuzz_file	 file;

static void
on_verdict(struct verdict *v, void *arg)
{
	struct verdict	*back;
	cJSON		*j;
	char		*text;

	(void)arg;
	fuzz_check_verdict(v);
	/* what is persisted comes back the same (the daemon numbers it) */
	v->seq = 1;
	j = verdict_to_json(v);
	FUZZ_ASSERT(j != NULL);
	text = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	FUZZ_ASSERT(text != NULL);
	j = cJSON_Parse(text);
	free(text);
	FUZZ_ASSERT(j != NULL);
	back = verdict_from_json(j);
	cJSON_Delete(j);
	FUZZ_ASSERT(back != NULL && back->message != NULL);
	FUZZ_ASSERT(strcmp(back->message, v->message) == 0);
	verdict_free(back);
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
	fuzz_file_init(&file, "template-policy");
	return 0;
}

static cJSON *
rule(const char *id, const char *source, const char *regex,
    const char *group_by, const char *tmpl)
{
	cJSON	*r = cJSON_CreateObject(), *m, *c;

	cJSON_AddStringToObject(r, "id", id);
	cJSON_AddStringToObject(r, "title", "t {x}");
	cJSON_AddStringToObject(r, "source", source);
	cJSON_AddStringToObject(r, "severity", "fatal");
	m = cJSON_AddObjectToObject(r, "match");
	cJSON_AddStringToObject(m, "regex", regex);
	c = cJSON_AddObjectToObject(r, "correlate");
	cJSON_AddStringToObject(c, "kind", "count");
	cJSON_AddNumberToObject(c, "threshold", 1);
	cJSON_AddStringToObject(c, "window", "1m");
	cJSON_AddStringToObject(c, "group_by", group_by);
	cJSON_AddStringToObject(r, "message", tmpl);
	return r;
}

static struct policy *
load(const char *tmpl)
{
	struct policy_load_args	 a;
	struct policy		*p;
	const char		*files[1] = { file.path };
	cJSON			*root, *rules;
	char			*text, *err = NULL;

	root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "version", 1);
	rules = cJSON_AddArrayToObject(root, "rules");
	cJSON_AddItemToArray(rules, rule("t.engine", "engine",
	    "^(?<a>[^ ]*) ?(?<b>.*)$", "a", tmpl));
	cJSON_AddItemToArray(rules, rule("t.firewall", "firewall",
	    "(?<verb>[A-Z]+) (?<code>\\d+)", "host", tmpl));
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (text == NULL)
		return NULL;
	fuzz_file_set(&file, text, strlen(text));
	free(text);
	memset(&a, 0, sizeof a);
	a.rule_files = files;
	a.nrule_files = 1;
	a.no_defaults = 1;
	p = policy_load(&a, &err);
	if (p == NULL)
		FUZZ_ASSERT(err != NULL);
	free(err);
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy	*p;
	struct pipeline	*pl;
	const uint8_t	*nl;
	char		*tmpl;
	size_t		 tlen, s;

	nl = memchr(data, '\n', size);
	tlen = nl != NULL ? (size_t)(nl - data) : size;
	if (memchr(data, '\0', tlen) != NULL)
		return 0;	/* a JSON string holds no NUL */
	tmpl = xstrndup((const char *)data, tlen);
	p = load(tmpl);
	free(tmpl);
	if (p == NULL)
		return 0;
	pl = pipeline_new(p, on_verdict, NULL);
	data += tlen;
	size -= tlen;
	for (s = 0; s < policy_nsources(p); s++)
		(void)fuzz_feed_lines(pl, s, data, size, 1761074374.0);
	pipeline_free(pl);
	policy_free(p);
	return 0;
}
