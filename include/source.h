/*
 * A source's format and its parser: `text` (the line as is), `jsonl` (one
 * JSON value per line, fields by dotted path; a non-JSON line in the same
 * file is still matched as text), `squid` (the firewall's firewall_detailed
 * access-log fields by name).
 */
#ifndef BREAKER_SOURCE_H
#define BREAKER_SOURCE_H

#include <stddef.h>

enum source_format {
	SOURCE_TEXT = 0,
	SOURCE_JSONL,
	SOURCE_SQUID,
};

/* "text", "jsonl", "squid" <-> enum; -1 for an unknown name. */
int		 source_format_parse(const char *);
const char	*source_format_name(enum source_format);

#endif
