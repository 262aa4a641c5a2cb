/*
 * The one path engine text takes out of breaker. Whatever leaves breaker
 * and holds text the engine or its logs wrote (the annotation, the job
 * summary, the verdict file, `breaker replay`, the GitHub check run) goes
 * through here, always in this order, on the WHOLE value:
 *
 *   1. redact: credentials become "[REDACTED]", whatever precedes them
 *      (JSON escapes, URL encoding, quotes, letters before a distinctive
 *      provider prefix);
 *   2. neutralise: the text can form no workflow command ("::" and "##["
 *      broken), holds no line break, NUL or terminal escape (C0 controls
 *      become visible pictures; nothing is ever truncated at a NUL);
 *   3. only then cut, on a UTF-8 boundary, marked "…": a cut can shorten
 *      a "[REDACTED]" marker but never leave part of a secret.
 *
 * This module sits below annotate.c and verdict.c and depends on neither.
 * See docs/annotations.md ("Hostile text").
 */
#ifndef BREAKER_SANITISE_H
#define BREAKER_SANITISE_H

#include <stddef.h>

#define SANITISE_REDACTED	"[REDACTED]"
#define SANITISE_ELLIPSIS	"\xe2\x80\xa6"	/* U+2026, marks a cut */
#define SANITISE_ZWSP		"\xe2\x80\x8b"	/* U+200B ZERO WIDTH SPACE */
#define SANITISE_OPEN_QUOTE	"\xe2\x80\x9c"	/* U+201C “ */
#define SANITISE_CLOSE_QUOTE	"\xe2\x80\x9d"	/* U+201D ” */

/*
 * Replace credentials in s[0..len) with SANITISE_REDACTED. Length-aware:
 * NUL bytes are kept (neutralising makes them visible); the result's
 * length is stored in *outlen and the buffer is NUL-terminated as well.
 */
char	*sanitise_redact(const char *, size_t, size_t *outlen);
/*
 * Make s[0..len) inert: "::" and "##[" broken, C0 controls (NUL, CR, LF,
 * ESC…) and DEL as control pictures, tab as a space, C1 controls, bidi
 * overrides and invalid UTF-8 as U+FFFD, U+2028/2029 as a space. The
 * result is valid UTF-8 without NUL, CR or LF. Idempotent.
 */
char	*sanitise_neutralise(const char *, size_t);
/* Redact, then neutralise: the only safe order. */
char	*sanitise_text(const char *, size_t);
/* sanitise_text() of a C string; NULL gives "". */
char	*sanitise_str(const char *);
/* sanitise_text(), then cut to at most `max` bytes (0: no cut). */
char	*sanitise_text_cut(const char *, size_t, size_t max);
/*
 * A value captured from engine text, for a message: sanitised, cut to
 * `max` bytes, and quoted “…” so it cannot pass as breaker's own words
 * (any “ or ” inside becomes "). A single word of printable ASCII (a
 * host, a port, a model) and an empty value are left unquoted.
 */
char	*sanitise_value(const char *, size_t, size_t max);
/*
 * Inline Markdown of any text: sanitised, cut to `max` bytes (before
 * escaping, so no escape is cut in half), active punctuation
 * backslash-escaped, and GFM autolinks ("://", "www.", "@") broken with
 * U+200B so no link can be formed.
 */
char	*sanitise_markdown(const char *, size_t max);
/*
 * Break "::" and "##[" again in breaker's own composed text (sanitised
 * pieces joined by our words and newlines: two safe pieces can meet at
 * "…:" + ":…"). Newlines stay.
 */
char	*sanitise_rebreak(const char *);
/* Cut a C string in place to at most `max` bytes, marked "…". */
void	 sanitise_cut(char *, size_t max);

#endif
