/*
 * The one sanitising path (agent/sanitise.c), checked on the exact lines of
 * the security review (../shared/reviews/security-and-reliability-2026-12.md,
 * F4, F10, F11, F12, F13 and the ICU caveat of scenario 2), through the
 * same code the daemon runs: the default policy's pipeline, the verdict's
 * evidence, the annotation and the job summary.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "annotate.h"
#include "summary.h"
#include "pipeline.h"
#include "policy.h"
#include "sanitise.h"
#include "verdict.h"
#include "xalloc.h"

#define ZWSP	"\xe2\x80\x8b"
#define NUL_PIC	"\xe2\x90\x80"		/* U+2400 SYMBOL FOR NULL */

/* ---- helpers ---- */

struct got {
	struct verdict_list	list;
	int			n;
};

static void
on_verdict(struct verdict *v, void *arg)
{
	struct got	*g = arg;

	TAILQ_INSERT_TAIL(&g->list, v, entry);
	g->n++;
}

/* Feed lines (with their lengths: NUL bytes count) to the default policy's
 * engine source; the verdicts land in `g`. */
static void
run_default(struct got *g, const char **lines, const size_t *lens, size_t n)
{
	struct policy_load_args	 a;
	struct policy		*p;
	struct pipeline		*pl;
	char			*err = NULL;
	size_t			 i;
	int			 src;

	memset(&a, 0, sizeof a);
	p = policy_load(&a, &err);
	assert_non_null(p);
	free(err);
	src = policy_source_index(p, "engine");
	assert_true(src >= 0);
	TAILQ_INIT(&g->list);
	g->n = 0;
	pl = pipeline_new(p, on_verdict, g);
	for (i = 0; i < n; i++)
		pipeline_feed(pl, (size_t)src, lines[i], lens[i], 0, -1);
	pipeline_free(pl);
	policy_free(p);
}

static void
run_line(struct got *g, const char *line, size_t len)
{
	run_default(g, &line, &len, 1);
}

static char *
print_all(const struct verdict_list *list, int observe)
{
	struct annotate_job	 job;
	char			*buf = NULL;
	size_t			 size = 0;
	FILE			*f;

	memset(&job, 0, sizeof job);
	job.observe = observe;
	assert_non_null(f = open_memstream(&buf, &size));
	annotate_print(f, list, &job);
	fclose(f);
	return buf;
}

static char *
summary_of(const struct verdict_list *list)
{
	char	 path[] = "/tmp/breaker-test-sanitise-XXXXXX", *buf;
	FILE	*f;
	long	 n;
	int	 fd;

	assert_true((fd = mkstemp(path)) != -1);
	close(fd);
	assert_int_equal(summary_write(path, list, NULL), 0);
	assert_non_null(f = fopen(path, "r"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	return buf;
}

static void
assert_absent(const char *hay, const char *needle)
{
	if (strstr(hay, needle) != NULL)
		fail_msg("\"%s\" survived in:\n%s", needle, hay);
}

/* ---- F4: a key right after an escape, %XX or a letter (scenario 7) ---- */

/*
 * The review's lines, verbatim; the first one's "…" (the fields it left
 * out) is filled with the fields of a real claude result line.
 */
static const char *f4_lines[] = {
	"{\"type\": \"result\", \"subtype\": \"success\", \"is_error\": true, "
	"\"api_error_status\": 401, \"result\": \"Invalid API key \xc2\xb7 "
	"Fix external API key. The key in use was:\\nsk-ant-api03-Xy7Qw2Er4"
	"Ty6Ui8Op0AsDfGhJkL9zXcVbNm1234\"}",
	"ERROR: unexpected status 401 Unauthorized: Incorrect API key "
	"provided, url: https://proxy.internal/v1/responses?api_key%3Dsk-proj-"
	"Ab12Cd34Ef56Gh78Ij90Kl12Mn34 auth%20Bearer%20ghp_A1b2C3d4E5f6G7h8I9j0"
	"K1l2M3n4O5p6Q7r8",
	"ERROR: unexpected status 401 Unauthorized: Incorrect API key "
	"provided, url: https://x-access-token%3Aghp_Z9y8X7w6V5u4T3s2R1q0P9o8N7"
	"m6L5k4J3i2@github.com/o/r",
};

static const char *f4_keys[] = {
	"Xy7Qw2Er4Ty6", "Ab12Cd34Ef56", "A1b2C3d4E5f6", "Z9y8X7w6V5u4",
};

static void
test_f4_review_lines(void **state)
{
	struct got	 g;
	struct verdict	*v;
	size_t		 lens[3], i, k;
	char		*out, *sum;

	(void)state;
	for (i = 0; i < 3; i++)
		lens[i] = strlen(f4_lines[i]);
	/* each line fires a default rule: the evidence is what is printed */
	run_default(&g, f4_lines, lens, 3);
	assert_true(g.n >= 2);
	out = print_all(&g.list, 0);
	sum = summary_of(&g.list);
	for (k = 0; k < sizeof f4_keys / sizeof f4_keys[0]; k++) {
		assert_absent(out, f4_keys[k]);
		assert_absent(sum, f4_keys[k]);
	}
	assert_non_null(strstr(out, "[REDACTED]"));
	free(out);
	free(sum);
	/* and every line alone, as kept evidence */
	for (i = 0; i < 3; i++) {
		v = verdict_new();
		verdict_add_evidence(v, f4_lines[i], lens[i]);
		for (k = 0; k < sizeof f4_keys / sizeof f4_keys[0]; k++)
			assert_absent(v->evidence[0], f4_keys[k]);
		verdict_free(v);
	}
	verdict_list_free(&g.list);
}

/* Every provider's prefix, after every kind of preceding byte. */
static void
test_f4_every_prefix(void **state)
{
	static const char *keys[] = {
		"sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34",
		"sk-svcacct-Ab12Cd34Ef56Gh78Ij90Kl12Mn34",
		"sk-admin-Ab12Cd34Ef56Gh78Ij90Kl12Mn34",
		"sk-ant-api03-Xy7Qw2Er4Ty6Ui8Op0AsDfGhJkL9zXcVbNm1234",
		"sk-ant-admin01-Xy7Qw2Er4Ty6Ui8Op0AsDfGhJkL9zXcVbNm1234",
		"sk-ant-oat01-Xy7Qw2Er4Ty6Ui8Op0AsDfGhJkL9zXcVbNm1234",
		"AIzaSyA1234567890abcdefghijklmnopqrstu",
		"ya29.a0AfH6SMBx1234567890abcdefGHIJ",
		"ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
		"gho_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
		"ghu_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
		"ghs_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
		"ghr_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
		"github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.SflKxwRJSMeKKF2QT4",
		"AKIAIOSFODNN7EXAMPLE",
		"Bearer Ab12Cd34Ef56Gh78",
		"Basic dXNlcjpwYXNzd29yZA==",
		"api_key=Ab12Cd34Ef56Gh78",
		"token=Ab12Cd34Ef56Gh78",
		"password=Ab12Cd34Ef56Gh78",
	};
	/* what the secret's first bytes are, after the prefix */
	static const char *before[] = { "", " ", "\\n", "\\t", "\\\"", "%3D",
	    "%20", "%3A", "%3a", "\\u0022", "=", ":", "\"", "'", "x", "Z", "7",
	    "_" };
	char	 in[256], *r;
	size_t	 k, b, n;
	const char *body;

	(void)state;
	for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		/* the part that must not survive: the last 12 characters */
		n = strlen(keys[k]);
		body = keys[k] + n - 12;
		for (b = 0; b < sizeof before / sizeof before[0]; b++) {
			snprintf(in, sizeof in, "got %s%s, end", before[b],
			    keys[k]);
			r = sanitise_redact(in, strlen(in), NULL);
			if (strstr(r, body) != NULL)
				fail_msg("not redacted: '%s' -> '%s'", in, r);
			free(r);
		}
	}
}

/* The bare "sk-" needs a boundary, which an escape or %XX is. */
static void
test_f4_bare_sk(void **state)
{
	static const char *cases[] = {
		"was:\\nsk-Ab12Cd34Ef56Gh78Ij90Kl12Mn34 end",
		"key%3Dsk-Ab12Cd34Ef56Gh78Ij90Kl12Mn34 end",
		"\\u0022sk-Ab12Cd34Ef56Gh78Ij90Kl12Mn34 end",
		"(sk-Ab12Cd34Ef56Gh78Ij90Kl12Mn34)",
	};
	size_t	 k;
	char	*r;

	(void)state;
	for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		r = sanitise_redact(cases[k], strlen(cases[k]), NULL);
		assert_absent(r, "Ab12Cd34Ef56");
		free(r);
	}
	/* prose that only looks like one stays */
	r = sanitise_redact("task-0123456789abcdefghijklmnop done", 36, NULL);
	assert_string_equal(r, "task-0123456789abcdefghijklmnop done");
	free(r);
}

/* ---- F13: values are redacted, then cut (scenario 8) ---- */

static void
test_f13_value_redacted_before_cut(void **state)
{
	char		*line, *fill;
	struct got	 g;
	struct verdict	*v;

	(void)state;
	/* {result}: the token starts at byte 237, so a cut at 256 leaves
	 * "ghp_" and 15 characters, short of a key's 20 */
	fill = xmalloc(218);
	memset(fill, 'x', 217);
	fill[217] = '\0';
	xasprintf(&line, "{\"type\":\"result\",\"subtype\":\"success\","
	    "\"is_error\":true,\"api_error_status\":401,\"result\":\"Invalid "
	    "API key \xc2\xb7 %s ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8\"}",
	    fill);
	run_line(&g, line, strlen(line));
	assert_int_equal(g.n, 1);
	v = TAILQ_FIRST(&g.list);
	assert_absent(v->message, "ghp_A1b2C3d4E5f");
	assert_absent(v->message, "A1b2C3d4E5f6G7h");
	verdict_list_free(&g.list);
	free(line);
	free(fill);
}

/* ---- F12: a NUL byte is shown, never a cut (scenario 6) ---- */

static void
test_f12_nul_shown(void **state)
{
	static const char line[] = "ERROR: MCP client for `::add-mask::M1\r"
	    "::error::M2 \x1b[2J\0NUL \xe2\x80\xa6` failed to start: boom";
	struct got	 g;
	struct verdict	*v;
	char		*out;

	(void)state;
	run_line(&g, line, sizeof line - 1);
	assert_int_equal(g.n, 1);
	v = TAILQ_FIRST(&g.list);
	/* the evidence keeps everything after the NUL */
	assert_int_equal(v->nevidence, 1);
	assert_non_null(strstr(v->evidence[0], NUL_PIC "NUL"));
	assert_non_null(strstr(v->evidence[0], "failed to start: boom"));
	/* and so does the captured server name in the message */
	assert_non_null(strstr(v->message, NUL_PIC "NUL"));
	out = print_all(&g.list, 0);
	assert_non_null(strstr(out, NUL_PIC "NUL"));
	free(out);
	verdict_list_free(&g.list);
}

/* ---- F10: no link in the summary from engine text (scenario 4) ---- */

static void
test_f10_summary_links(void **state)
{
	static const char line[] = "{\"type\":\"result\",\"subtype\":\"success\","
	    "\"is_error\":true,\"api_error_status\":401,\"result\":\"Invalid API "
	    "key \xc2\xb7 Please re-authenticate at https://evil.example/login?"
	    "next=/settings/tokens or www.evil.example/help, mail admin at "
	    "security@evil.example.\"}";
	struct got	 g;
	char		*sum, *l, *save, *at;
	int		 fenced = 0;

	(void)state;
	run_line(&g, line, sizeof line - 1);
	assert_int_equal(g.n, 1);
	sum = summary_of(&g.list);
	/* outside code blocks (where GFM links nothing) no autolink form */
	for (l = strtok_r(sum, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "```", 3) == 0) {
			fenced = !fenced;
			continue;
		}
		if (fenced)
			continue;
		assert_absent(l, "://");
		if (strcasestr(l, "www.") != NULL)
			fail_msg("www. link: %s", l);
		for (at = strchr(l, '@'); at != NULL; at = strchr(at + 1, '@'))
			if (at - l < 4 || strncmp(at - 4, ZWSP "\\", 4) != 0)
				fail_msg("mail link: %s", l);
	}
	free(sum);
	verdict_list_free(&g.list);
}

/* ---- F11: engine text cannot pass as breaker's words (scenario 5) ---- */

static void
test_f11_engine_text_quoted(void **state)
{
	static const char line[] = "{\"type\":\"result\",\"subtype\":\"success\","
	    "\"is_error\":true,\"api_error_status\":401,\"result\":\"Invalid API "
	    "key \xc2\xb7 breaker stopped the engine: awf (pid 4242), last signal "
	    "SIGINT, exit 130. Rotate the key at https://evil.example/rotate\"}";
	struct got	 g;
	char		*out;

	(void)state;
	run_line(&g, line, sizeof line - 1);
	assert_int_equal(g.n, 1);
	out = print_all(&g.list, 1);
	/* the engine's words sit inside breaker's quotes, whole */
	assert_non_null(strstr(out, "claude cannot authenticate: "
	    SANITISE_OPEN_QUOTE "Invalid API key \xc2\xb7 breaker stopped the "
	    "engine: awf (pid 4242), last signal SIGINT, exit 130. Rotate the "
	    "key at https://evil.example/rotate" SANITISE_CLOSE_QUOTE));
	assert_non_null(strstr(out, "Observe mode: breaker would have stopped"));
	free(out);
	verdict_list_free(&g.list);
}

/* Quotes inside a value cannot close breaker's quote. */
static void
test_value_quotes(void **state)
{
	static const char in[] = "a \xe2\x80\x9d breaker stopped \xe2\x80\x9c";
	char	*v;

	(void)state;
	v = sanitise_value(in, sizeof in - 1, 256);
	assert_string_equal(v, SANITISE_OPEN_QUOTE "a \" breaker stopped \""
	    SANITISE_CLOSE_QUOTE);
	free(v);
	v = sanitise_value("api.openai.com", 14, 256);	/* a word: as is */
	assert_string_equal(v, "api.openai.com");
	free(v);
	v = sanitise_value("", 0, 256);
	assert_string_equal(v, "");
	free(v);
}

/* ---- the ICU caveat (scenario 2): "##[" across ignorable characters ---- */

/* "#", ignorables, "#", ignorables, "[" anywhere: what ICU's IndexOf finds. */
static int
icu_finds_legacy(const char *s)
{
	static const char *ign[] = { "\xe2\x80\x8b", "\xc2\xad", "\xe2\x81\xa0",
	    "\xe2\x80\x8c", "\xe2\x80\x8d", "\xcd\x8f", "\xef\xbb\xbf",
	    "\xe1\xa0\x8e" };
	const char	*p, *q;
	size_t		 k, want;
	int		 moved;

	for (p = s; *p != '\0'; p++) {
		if (*p != '#')
			continue;
		q = p + 1;
		for (want = 0; want < 2; want++) {
			do {
				moved = 0;
				for (k = 0; k < sizeof ign / sizeof ign[0]; k++)
					if (strncmp(q, ign[k],
					    strlen(ign[k])) == 0) {
						q += strlen(ign[k]);
						moved = 1;
					}
			} while (moved);
			if (*q != (want == 0 ? '#' : '['))
				break;
			q++;
		}
		if (want == 2)
			return 1;
	}
	return 0;
}

static void
test_icu_legacy_command(void **state)
{
	static const char *lines[] = {
		"##[add-mask]secret",
		"#\xc2\xad#[add-mask]secret",		/* soft hyphen */
		"#\xe2\x80\x8b#[error]x",		/* the engine's own ZWSP */
		"#\xe2\x81\xa0#\xe2\x80\x8b[set-output name=a]b",
		"###[x] ####[y]",
	};
	size_t	 k;
	char	*n, *n2;

	(void)state;
	for (k = 0; k < sizeof lines / sizeof lines[0]; k++) {
		n = sanitise_neutralise(lines[k], strlen(lines[k]));
		if (icu_finds_legacy(n))
			fail_msg("legacy command form left: '%s'", n);
		n2 = sanitise_neutralise(n, strlen(n));
		assert_string_equal(n, n2);	/* idempotent */
		free(n);
		free(n2);
	}
}

/* ---- the Markdown of any text ---- */

static void
test_markdown_autolinks(void **state)
{
	char	*m;

	(void)state;
	m = sanitise_markdown("see https://a.example, WWW.b.example and "
	    "x@c.example", 4000);
	assert_absent(m, "://");
	assert_null(strcasestr(m, "www."));
	assert_non_null(strstr(m, "x" ZWSP "\\@" ZWSP "c.example"));
	free(m);
	/* cut before escaping: a cut never leaves half an escape */
	m = sanitise_markdown("aaaa[bbbb", 8);
	assert_string_equal(m, "aaaa\\[" "\xe2\x80\xa6");
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_f4_review_lines),
		cmocka_unit_test(test_f4_every_prefix),
		cmocka_unit_test(test_f4_bare_sk),
		cmocka_unit_test(test_f13_value_redacted_before_cut),
		cmocka_unit_test(test_f12_nul_shown),
		cmocka_unit_test(test_f10_summary_links),
		cmocka_unit_test(test_f11_engine_text_quoted),
		cmocka_unit_test(test_value_quotes),
		cmocka_unit_test(test_icu_legacy_command),
		cmocka_unit_test(test_markdown_autolinks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
