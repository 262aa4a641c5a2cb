/*
 * The squid (firewall_detailed) parser, directly and through the pipeline.
 *
 * Each input line is split into fields by name (source_event_field_text for
 * every field the format knows, plus its time), then fed to a pipeline whose
 * rules use every kind of field predicate on the firewall source: equals,
 * in / in_list (with a wildcard), regex, numeric comparisons, exists, not,
 * and count / distinct correlations grouped by field, with templated
 * messages. Every verdict must reach the job inert (fuzz_check_verdict).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pipeline.h"
#include "policy.h"
#include "source.h"
#include "verdict.h"

static const char policy_text[] =
"{\"version\":1,"
" \"lists\":{\"providers\":[\"api.openai.com\",\"*.githubcopilot.com\"]},"
" \"rules\":["
"  {\"id\":\"f.denied\",\"title\":\"denied\",\"source\":\"firewall\","
"   \"severity\":\"fatal\","
"   \"match\":{\"all\":[{\"field\":\"result\",\"equals\":\"TCP_DENIED\"},"
"     {\"field\":\"host\",\"in_list\":\"providers\"}]},"
"   \"message\":\"blocked {host}:{port} for {client} ({status}) {url}\","
"   \"correlate\":{\"kind\":\"count\",\"threshold\":1,\"window\":\"1m\","
"     \"group_by\":\"host\"}},"
"  {\"id\":\"f.many\",\"title\":\"many\",\"source\":\"firewall\","
"   \"severity\":\"warning\","
"   \"match\":{\"any\":[{\"field\":\"status\",\"gte\":400},"
"     {\"field\":\"method\",\"in\":[\"CONNECT\",\"GET\"]}]},"
"   \"except\":[{\"field\":\"host\",\"regex\":\"^[^.]+$\"},"
"     {\"not\":{\"field\":\"dest\",\"exists\":true}}],"
"   \"correlate\":{\"kind\":\"distinct\",\"field\":\"host\",\"threshold\":3,"
"     \"window\":\"10m\",\"group_by\":\"client\"},"
"   \"message\":\"{count} hosts for {client} in {window}: {user_agent}\"},"
"  {\"id\":\"f.port\",\"title\":\"port\",\"source\":\"firewall\","
"   \"severity\":\"notice\","
"   \"match\":{\"all\":[{\"field\":\"port\",\"lt\":1024},"
"     {\"field\":\"time\",\"gt\":0},"
"     {\"regex\":\"(?<verb>CONNECT|GET|POST) (?<code>\\\\d{3}) \"}]},"
"   \"message\":\"{verb} {code} {version} {hierarchy} {time}\","
"   \"correlate\":{\"kind\":\"count\",\"threshold\":2,\"window\":\"10s\","
"     \"group_by\":\"code\"}}"
" ]}";

static struct policy	*policy;
static size_t		 fw;

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	policy = fuzz_load_rules("squid-policy", policy_text,
	    sizeof policy_text - 1, "firewall", SOURCE_SQUID, &fw);
	return 0;
}

/* Every field by name, and the time, straight from the parser. */
static void
parse_fields(const char *line, size_t len, void *arg)
{
	struct source_event	 ev;
	struct source_value	 v;
	const char		*name;
	int			 i;

	(void)arg;
	source_event_init(&ev, SOURCE_SQUID, line, len);
	for (i = 0; i < SQUID_NFIELDS; i++) {
		name = source_squid_field_name(i);
		FUZZ_ASSERT(name != NULL && source_squid_field(name) == i);
		if (source_event_field_text(&ev, name, &v)) {
			/* a field is a piece of the line itself */
			FUZZ_ASSERT(v.len <= len);
			FUZZ_ASSERT(v.len == 0 || (v.s >= line &&
			    v.s + v.len <= line + len) ||
			    (v.s >= ev.numbuf[0] &&
			    v.s < ev.numbuf[0] + sizeof ev.numbuf));
		}
	}
	(void)source_event_field_text(&ev, "nonexistent", &v);
	(void)source_event_time(&ev);
	source_event_clear(&ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pipeline	*pl;
	size_t		 fed;

	(void)fuzz_each_line(data, size, parse_fields, NULL);
	pl = pipeline_new(policy, fuzz_take_verdict, NULL);
	fed = fuzz_feed_lines(pl, fw, data, size, -1);
	FUZZ_ASSERT(pipeline_source_stats(pl, fw).lines == fed);
	FUZZ_ASSERT(pipeline_source_stats(pl, fw).malformed <= fed);
	pipeline_tick(pl, pipeline_clock(pl) + 3600);
	pipeline_free(pl);
	return 0;
}
