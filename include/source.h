/*
 * A source's format and its parser: `text` (the line as is), `jsonl` (one
 * JSON value per line, fields by dotted path; a non-JSON line in the same
 * file is still matched as text), `squid` (the firewall's firewall_detailed
 * access-log fields by name).
 *
 * An event is one line seen through its source's parser. Parsing is lazy:
 * a text-only rule never pays for JSON, and squid fields are split (without
 * allocating) only when a rule asks for one.
 */
#ifndef BREAKER_SOURCE_H
#define BREAKER_SOURCE_H

#include <stddef.h>

#include "util.h"

struct cJSON;

enum source_format {
	SOURCE_TEXT = 0,
	SOURCE_JSONL,
	SOURCE_SQUID,
};

/* "text", "jsonl", "squid" <-> enum; -1 for an unknown name. The table is
 * the one list of names (the policy's error lists it). */
extern const struct util_enum	source_format_table[];
extern const size_t		source_format_ntable;
int		 source_format_parse(const char *);
const char	*source_format_name(enum source_format);

/* The squid firewall_detailed fields, in the order they are addressed. */
enum source_squid_field {
	SQUID_TIME = 0,
	SQUID_CLIENT,
	SQUID_CLIENT_PORT,
	SQUID_HOST,
	SQUID_PORT,
	SQUID_DEST,
	SQUID_VERSION,
	SQUID_METHOD,
	SQUID_STATUS,
	SQUID_RESULT,
	SQUID_HIERARCHY,
	SQUID_URL,
	SQUID_USER_AGENT,
	SQUID_NFIELDS,
};
/* Field name -> index, or -1. */
int		 source_squid_field(const char *);
/* Index -> field name, or "?". Only the fuzz target (fuzz_squid.c) calls
 * it, to check that every name maps back to its own index. */
const char	*source_squid_field_name(int);

/* A compiled field path: dotted JSON path, or a squid field index. */
struct source_path {
	char		**seg;		/* jsonl: the path's segments */
	size_t		  nseg;
	int		  squid;	/* squid: field index */
	char		 *text;		/* the path as written */
};
/* NULL and *err set (static string) when the path is not valid. */
struct source_path *source_path_compile(enum source_format, const char *,
		    const char **err);
void		 source_path_free(struct source_path *);

enum source_vtype {
	SOURCE_V_ABSENT = 0,
	SOURCE_V_STRING,
	SOURCE_V_NUMBER,
	SOURCE_V_BOOL,
	SOURCE_V_NULL,
	SOURCE_V_OTHER,		/* object or array */
};

/* A field's value; `s`/`len` is its text (numbers and bools too). */
struct source_value {
	enum source_vtype	 type;
	const char		*s;
	size_t			 len;
	double			 num;	/* NUMBER, or a numeric-looking string */
	int			 isnum;	/* num is meaningful */
};

struct source_event {
	const char		*line;
	size_t			 len;
	enum source_format	 format;
	int			 parsed;	/* fields looked at already */
	struct cJSON		*json;		/* jsonl: the object, or NULL */
	int			 squid_ok;	/* squid: fields split */
	const char		*sq[SQUID_NFIELDS];
	size_t			 sqlen[SQUID_NFIELDS];
	int			 malformed;	/* not JSON / not a squid row */
	char			 numbuf[4][40];	/* text of numeric fields */
	unsigned		 nnum;
};

void		 source_event_init(struct source_event *, enum source_format,
		    const char *, size_t);
/* Release what parsing allocated (the JSON tree). */
void		 source_event_clear(struct source_event *);
/* 1 and *v filled when the field is present, else 0. */
int		 source_event_field(struct source_event *,
		    const struct source_path *, struct source_value *);
/* The same by a path written as text ("error.message", "host"), no
 * allocation: for templates and group_by, which name fields at run time. */
int		 source_event_field_text(struct source_event *, const char *,
		    struct source_value *);
/*
 * The time written in the line, epoch seconds, or -1: squid's first field,
 * a JSON "timestamp" (ISO 8601 or number), or a leading ISO 8601 stamp on a
 * text line ("2026-02-27T14:06:41.886993Z  INFO …").
 */
double		 source_event_time(struct source_event *);
/*
 * Where a line stands in the transcript around it. Codex's human output
 * shows a command's output right after the command's header line
 * (` succeeded in 412ms:`, ` exited 1 in 3.20s:`; an MCP tool's
 * `… success in 5ms:`, a patch's `apply_patch(…) exited 0 in 2ms:`),
 * unindented and cut to its first SOURCE_TOOL_OUTPUT_LINES lines; and it
 * shows the agent's own words (its messages, its reasoning, and the final
 * message again after `tokens used`) after a header line of their own.
 * Those lines are a tool's or the model's words, not codex's: prompt-
 * injected text can print codex's exact fatal line there. A context
 * follows one source's lines in order and says which of them are quoted.
 *
 * Prose ends at the next line that only codex (or the harness and AWF
 * around it) prints: a section header (`exec`, `codex`, `thinking`, `tokens
 * used`, `file update`, `user`, `mcp…`), a tool-output header, a
 * `[…-harness]` line, AWF's `[INFO]`/`[WARN]`/`[ERROR]` lines or codex's
 * banner. Prose is tracked only once codex's banner (`OpenAI Codex v…`)
 * has been seen, so another engine's text is never taken for it.
 */
#define SOURCE_TOOL_OUTPUT_LINES	20	/* codex's MAX_OUTPUT_LINES_… */
struct source_context {
	unsigned	tool_left;	/* lines of tool output still to come */
	int		codex;		/* codex's banner seen */
	int		prose;		/* inside the agent's words */
};
/* 1 when the line is a tool's output or the agent's words, shown by the
 * engine. Updates *c. */
int		 source_context_quoted(struct source_context *, const char *,
		    size_t);
/* Is the line a tool-output header? (exposed for tests) */
int		 source_tool_header(const char *, size_t);

/* Parse "2026-04-24T00:00:00.000Z" (or +hh:mm); -1 if it is not one. */
double		 source_parse_iso8601(const char *, size_t);

#endif
