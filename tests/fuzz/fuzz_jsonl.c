/*
 * The jsonl parser, directly and through the pipeline.
 *
 * Each input line is parsed as an event and asked for dotted paths of every
 * shape (nested objects, array-looking segments, absent, empty) and for its
 * time; then all lines go through a pipeline whose engine rules (the engine
 * source is jsonl by default) use field predicates on nested paths, numeric
 * comparisons, regex captures, exists / not, text regexes that also see
 * non-JSON lines, count and sequence correlations, and templated messages
 * naming fields and captures.
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
" \"rules\":["
"  {\"id\":\"j.retry\",\"title\":\"retry\",\"source\":\"engine\","
"   \"severity\":\"none\","
"   \"match\":{\"any\":[{\"all\":[{\"field\":\"type\",\"equals\":\"error\"},"
"     {\"field\":\"message\",\"regex\":"
"      \"^Reconnecting\\\\.\\\\.\\\\. (?<attempt>\\\\d+)/(?<max>\\\\d+)\"}]},"
"     {\"regex\":\"^(?:ERROR: )?Reconnecting\\\\.\\\\.\\\\. "
"      (?<attempt>\\\\d+)/(?<max>\\\\d+)\"}]}},"
"  {\"id\":\"j.gaveup\",\"title\":\"gave up\",\"source\":\"engine\","
"   \"severity\":\"fatal\","
"   \"match\":{\"all\":[{\"field\":\"type\",\"equals\":\"turn.failed\"},"
"     {\"field\":\"error.message\",\"regex\":\"(?<what>401|Quota)\"}]},"
"   \"correlate\":{\"kind\":\"sequence\",\"after\":\"j.retry\","
"     \"threshold\":1,\"window\":\"30m\"},"
"   \"message\":\"gave up: {what} / {error.message} after {count}\"},"
"  {\"id\":\"j.retry-api\",\"title\":\"api retry\",\"source\":\"engine\","
"   \"severity\":\"warning\","
"   \"match\":{\"all\":[{\"field\":\"subtype\",\"in\":[\"api_retry\",\"x\"]},"
"     {\"field\":\"error_status\",\"gte\":400},"
"     {\"field\":\"attempt\",\"lt\":100},"
"     {\"not\":{\"field\":\"item.text\",\"exists\":true}}]},"
"   \"correlate\":{\"kind\":\"count\",\"threshold\":2,\"window\":\"5m\","
"     \"group_by\":\"error\"},"
"   \"message\":\"{error_status} ({error}) {count} in {window}: {attempt}\"},"
"  {\"id\":\"j.item\",\"title\":\"item\",\"source\":\"engine\","
"   \"severity\":\"notice\","
"   \"match\":{\"field\":\"item.type\",\"equals\":\"error\"},"
"   \"correlate\":{\"kind\":\"distinct\",\"field\":\"item.message\","
"     \"threshold\":2,\"window\":\"1h\"},"
"   \"message\":\"{item.message} {item.id} {rule} {source}\"}"
" ]}";

static const char *const paths[] = {
	"type", "message", "error.message", "item.type", "item.text",
	"a.b.c.d.e.f", "timestamp", "0", "error", "item..x", "",
};

static struct policy	*policy;
static size_t		 eng;

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	policy = fuzz_load_rules("jsonl-policy", policy_text,
	    sizeof policy_text - 1, "engine", SOURCE_JSONL, &eng);
	return 0;
}

static void
parse_fields(const char *line, size_t len, void *arg)
{
	struct source_event	 ev;
	struct source_value	 v;
	struct source_path	*sp;
	const char		*err;
	size_t			 i;

	(void)arg;
	source_event_init(&ev, SOURCE_JSONL, line, len);
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		if (source_event_field_text(&ev, paths[i], &v))
			FUZZ_ASSERT(v.type != SOURCE_V_ABSENT);
		if ((sp = source_path_compile(SOURCE_JSONL, paths[i],
		    &err)) != NULL) {
			(void)source_event_field(&ev, sp, &v);
			source_path_free(sp);
		} else
			FUZZ_ASSERT(err != NULL);
	}
	(void)source_event_time(&ev);
	source_event_clear(&ev);
	(void)source_parse_iso8601(line, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pipeline	*pl;
	size_t		 fed;

	(void)fuzz_each_line(data, size, parse_fields, NULL);
	pl = pipeline_new(policy, fuzz_take_verdict, NULL);
	fed = fuzz_feed_lines(pl, eng, data, size, -1);
	FUZZ_ASSERT(pipeline_source_stats(pl, eng).lines == fed);
	FUZZ_ASSERT(pipeline_source_stats(pl, eng).malformed <= fed);
	pipeline_tick(pl, pipeline_clock(pl) + 7200);
	pipeline_free(pl);
	return 0;
}
