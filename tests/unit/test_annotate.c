/*
 * annotate.c: escaping checked against an unescaper written here from the
 * runner's own rules (actions/runner ActionCommand.cs TryParseV2,
 * UnescapeProperty, UnescapeData), neutralisation, redaction, the 10-per-
 * type fold, the message cap and the job summary.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "annotate.h"
#include "summary.h"
#include "sanitise.h"
#include "log.h"
#include "verdict.h"
#include "xalloc.h"

/* ---- a model of the runner's parser ---- */

/* string.Replace(from, to) over the whole string, left to right. */
static char *
replace_all(const char *s, const char *from, const char *to)
{
	size_t	 fl = strlen(from), tl = strlen(to);
	char	*out = xmalloc(strlen(s) * (tl > fl ? tl : fl) + 1), *o = out;

	while (*s != '\0') {
		if (strncmp(s, from, fl) == 0) {
			memcpy(o, to, tl);
			o += tl;
			s += fl;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

/* Applies the runner's mapping list in its order, each a full Replace. */
static char *
runner_unescape(const char *s, int property)
{
	static const char *data[][2] = { { "%0D", "\r" }, { "%0A", "\n" },
	    { "%25", "%" } };
	static const char *prop[][2] = { { "%0D", "\r" }, { "%0A", "\n" },
	    { "%3A", ":" }, { "%2C", "," }, { "%25", "%" } };
	const char	*(*map)[2] = property ? prop : data;
	size_t		 n = property ? 5 : 3, i;
	char		*cur = xstrdup(s), *next;

	for (i = 0; i < n; i++) {
		next = replace_all(cur, map[i][0], map[i][1]);
		free(cur);
		cur = next;
	}
	return cur;
}

struct parsed {
	char	name[32];
	char	*title;		/* "title" property, unescaped, or NULL */
	char	*data;		/* unescaped */
};

static void
parsed_free(struct parsed *p)
{
	free(p->title);
	free(p->data);
}

/*
 * TryParseV2: TrimStart; must start with "::"; the first "::" after
 * index 2 ends the command info; name up to the first space; properties
 * split on ',' (empties dropped), each on the first '='; both unescaped.
 */
static int
runner_parse(const char *line, struct parsed *p)
{
	const char	*s = line, *end, *sp, *props, *q, *eq;
	char		*info, *pair;
	size_t		 ilen, plen;

	memset(p, 0, sizeof *p);
	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "::", 2) != 0)
		return 0;
	if ((end = strstr(s + 2, "::")) == NULL)
		return 0;
	ilen = (size_t)(end - (s + 2));
	info = xstrndup(s + 2, ilen);
	sp = strchr(info, ' ');
	plen = sp ? (size_t)(sp - info) : strlen(info);
	if (plen >= sizeof p->name) {
		free(info);
		return 0;
	}
	memcpy(p->name, info, plen);
	p->name[plen] = '\0';
	if (sp != NULL) {
		props = sp + 1;
		while (*props != '\0') {
			q = strchr(props, ',');
			pair = q ? xstrndup(props, (size_t)(q - props)) :
			    xstrdup(props);
			if ((eq = strchr(pair, '=')) != NULL && eq > pair &&
			    eq[1] != '\0' && strncmp(pair, "title=", 6) == 0) {
				free(p->title);
				p->title = runner_unescape(eq + 1, 1);
			}
			free(pair);
			props = q ? q + 1 : props + strlen(props);
		}
	}
	free(info);
	p->data = runner_unescape(end + 2, 0);
	return 1;
}

/* Split output into lines the way the runner reads them: CR, LF, CRLF. */
static size_t
split_lines(char *buf, char **lines, size_t max)
{
	size_t	n = 0;
	char	*p = buf, *start = buf;

	for (; ; p++) {
		if (*p == '\r' || *p == '\n' || *p == '\0') {
			int end = *p == '\0';

			if (p > start || !end) {
				assert_true(n < max);
				lines[n++] = start;
			}
			if (end)
				break;
			if (*p == '\r' && p[1] == '\n')
				*p++ = '\0';
			*p = '\0';
			start = p + 1;
		}
	}
	return n;
}

/* ---- helpers ---- */

static char *
capture_warning(const char *title, const char *msg)
{
	char	*buf = NULL;
	size_t	 size = 0;
	FILE	*f = open_memstream(&buf, &size);

	assert_non_null(f);
	annotate_warning(f, title, msg);
	fclose(f);
	return buf;
}

static char *
capture_print(struct verdict_list *list, const struct annotate_job *job)
{
	char	*buf = NULL;
	size_t	 size = 0;
	FILE	*f = open_memstream(&buf, &size);

	assert_non_null(f);
	annotate_print(f, list, job);
	fclose(f);
	return buf;
}

static struct verdict *
mkverdict(unsigned seq, enum severity sev, const char *msg)
{
	struct verdict	*v = verdict_new();

	v->seq = seq;
	v->severity = sev;
	verdict_set(&v->rule_id, "codex-auth-401");
	verdict_set(&v->title, "Codex API key rejected (401)");
	verdict_set(&v->source, "engine");
	verdict_set(&v->message, msg);
	v->line_no = 7;
	v->count = 6;
	v->first_seen = 1774290900.0;
	v->fired_at = 1774290903.5;
	return v;
}

static void
assert_no_command_forms(const char *s)
{
	assert_null(strstr(s, "::"));
	assert_null(strstr(s, "##["));
	assert_null(strchr(s, '\r'));
	assert_null(strchr(s, '\n'));
}

/*
 * What annotate_warning's message should read as: the input's lines (split
 * at CR or LF, blank ones dropped), each sanitised, joined by line breaks.
 */
static char *
warning_model(const char *msg)
{
	char		*out = xstrdup(""), *line, *t;
	const char	*s = msg, *e;

	for (;; s = e + 1) {
		e = s + strcspn(s, "\r\n");
		if (e > s) {
			line = sanitise_text(s, (size_t)(e - s));
			xasprintf(&t, "%s%s%s", out, *out ? "\n" : "", line);
			free(line);
			free(out);
			out = t;
		}
		if (*e == '\0')
			return out;
	}
}

/* Every line of a warning's data is inert. */
static void
assert_no_command_forms_per_line(const char *s)
{
	char	*copy = xstrdup(s), *line, *save;

	assert_null(strchr(s, '\r'));
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		assert_no_command_forms(line);
	free(copy);
}

/* ---- escaping ---- */

static void
test_escape_property(void **state)
{
	char	*e;

	(void)state;
	e = annotate_escape_property("a%b\rc\nd:e,f");
	assert_string_equal(e, "a%25b%0Dc%0Ad%3Ae%2Cf");
	free(e);
	/* "%" first: an escape already in the text is escaped, not kept. */
	e = annotate_escape_property("%0A%3A%2C%25");
	assert_string_equal(e, "%250A%253A%252C%2525");
	free(e);
	e = annotate_escape_property("");
	assert_string_equal(e, "");
	free(e);
}

static void
test_escape_data(void **state)
{
	char	*e;

	(void)state;
	e = annotate_escape_data("a%b\rc\nd:e,f");
	assert_string_equal(e, "a%25b%0Dc%0Ad:e,f");
	free(e);
	e = annotate_escape_data("100%\r\n");
	assert_string_equal(e, "100%25%0D%0A");
	free(e);
	e = annotate_escape_data("%0D");
	assert_string_equal(e, "%250D");
	free(e);
}

/* escape then the runner's unescape is the identity, on random text */
static void
test_escape_roundtrip_random(void **state)
{
	static const char alphabet[] = "%%%:::,,,\r\n\r\n0ADC25AC3a =#[]";
	char	 buf[64], *e, *u;
	size_t	 i, k, len;

	(void)state;
	srandom(12345);
	for (i = 0; i < 5000; i++) {
		len = (size_t)random() % (sizeof buf - 1);
		for (k = 0; k < len; k++)
			buf[k] = alphabet[random() % (sizeof alphabet - 1)];
		buf[len] = '\0';
		e = annotate_escape_property(buf);
		assert_null(strpbrk(e, "\r\n:,"));
		u = runner_unescape(e, 1);
		assert_string_equal(u, buf);
		free(e);
		free(u);
		e = annotate_escape_data(buf);
		assert_null(strpbrk(e, "\r\n"));
		u = runner_unescape(e, 0);
		assert_string_equal(u, buf);
		free(e);
		free(u);
	}
}

/* ---- neutralisation ---- */

static void
test_neutralise_commands(void **state)
{
	static const char *hostile[] = {
		"::add-mask::hunter2",
		"::stop-commands::tok",
		"  ::error file=a,line=1::pwned",
		"text ##[error]legacy anywhere",
		"##[set-output name=x;]y",
		":::",
		"###[x",
		"a::b::c##[d##[",
		"::",
		"##[",
	};
	size_t	 i;
	char	*n, *n2;

	(void)state;
	for (i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		n = sanitise_neutralise(hostile[i], strlen(hostile[i]));
		assert_no_command_forms(n);
		/* idempotent: stored evidence can be sanitised again */
		n2 = sanitise_neutralise(n, strlen(n));
		assert_string_equal(n, n2);
		free(n);
		free(n2);
	}
	/* the break is a zero-width space, so the text still reads the same */
	n = sanitise_neutralise("a::b", 4);
	assert_string_equal(n, "a:\xe2\x80\x8b:b");
	free(n);
	/* "##[" gets a full-width second "#": the runner's legacy parser
	 * looks anywhere in a line, and ICU ignores a zero-width space */
	n = sanitise_neutralise("##[x", 4);
	assert_string_equal(n, "#\xef\xbc\x83[x");
	free(n);
	/* single colons and hashes are untouched */
	n = sanitise_neutralise("url: http://x/#a [b]", 20);
	assert_string_equal(n, "url: http://x/#a [b]");
	free(n);
}

static void
test_neutralise_controls(void **state)
{
	char	*n;

	(void)state;
	n = sanitise_neutralise("a\rb\nc\td\x1b[31me\x7f", 14);
	/* CR, LF, ESC, DEL become their visible control pictures */
	assert_string_equal(n, "a\xe2\x90\x8d" "b\xe2\x90\x8a" "c d"
	    "\xe2\x90\x9b[31me\xe2\x90\xa1");
	free(n);
	/* NUL inside the buffer is kept visible, not a terminator */
	n = sanitise_neutralise("a\0b", 3);
	assert_string_equal(n, "a\xe2\x90\x80" "b");
	free(n);
	/* invalid UTF-8, C1 controls, bidi overrides: U+FFFD */
	n = sanitise_neutralise("\xff\xc2\x85\xe2\x80\xae" "ok\xc3", 9);
	assert_string_equal(n, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "ok\xef\xbf\xbd");
	free(n);
	/* valid multibyte text survives */
	n = sanitise_neutralise("caf\xc3\xa9 \xe2\x9c\x95 \xf0\x9f\x98\x80",
	    14);
	assert_string_equal(n, "caf\xc3\xa9 \xe2\x9c\x95 \xf0\x9f\x98\x80");
	free(n);
}

/* ---- redaction ---- */

static void
check_redacted(const char *in, const char *secret)
{
	char	*r = sanitise_redact(in, strlen(in), NULL);

	if (strstr(r, secret) != NULL || strstr(r, "[REDACTED]") == NULL)
		fail_msg("not redacted: '%s' -> '%s'", in, r);
	free(r);
}

static void
check_kept(const char *in)
{
	char	*r = sanitise_redact(in, strlen(in), NULL);

	if (strcmp(r, in) != 0)
		fail_msg("over-redacted: '%s' -> '%s'", in, r);
	free(r);
}

static void
test_redact_cases(void **state)
{
	(void)state;
	check_redacted("key sk-abcdefghijklmnopqrstuvwxyz0123456789ABCD end",
	    "abcdefghijklmnop");
	check_redacted("OPENAI_API_KEY=sk-proj-Ab3dEfGhIjKlMnOpQrStUvWx_yz-01",
	    "Ab3dEfGhIjKlMn");
	check_redacted("sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv1234-xyz",
	    "AbCdEfGhIjKlMn");
	check_redacted("token ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
	    "ABCDEFGHIJKLMNOP");
	check_redacted("gho_16C7e42F292c6912E7710c838347Ae178B4a", "16C7e42F");
	check_redacted("ghs_16C7e42F292c6912E7710c838347Ae178B4a", "16C7e42F");
	check_redacted("ghu_16C7e42F292c6912E7710c838347Ae178B4a", "16C7e42F");
	check_redacted("ghr_16C7e42F292c6912E7710c838347Ae178B4a", "16C7e42F");
	check_redacted("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv",
	    "11ABCDEFG0123");
	check_redacted("Authorization: Bearer abc.def-123_ghi", "abc.def");
	check_redacted("curl -H 'authorization: token 0123abcd9876'",
	    "0123abcd9876");
	check_redacted("{\"Authorization\":\"Basic dXNlcjpwYXNzd29yZA==\"}",
	    "dXNlcjpw");
	check_redacted("x-api-key: s3cr3tvalue", "s3cr3tvalue");
	check_redacted("\"x-api-key\": \"abcd\"", "abcd\"");
	check_redacted("X-Goog-Api-Key: whatever", "whatever");
	check_redacted("api_key=zz9988776655", "zz9988776655");
	check_redacted("bearer 0a1b2c3d4e5f6a7b", "0a1b2c3d4e5f");
	check_redacted("key=AIzaSyA-1234567890abcdefghijklmnopqrs", "SyA-1234");
	check_redacted("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ."
	    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", "eyJhbGciOiJIUzI1");
	/* the scheme word stays, so the reader knows what was there */
	{
		char *r = sanitise_redact("Authorization: Bearer xyz12345abc",
		    33, NULL);
		assert_string_equal(r, "Authorization: Bearer [REDACTED]");
		free(r);
	}
}

/* The shortest secrets, packed: the output grows most (ASan checks). */
static void
test_redact_growth(void **state)
{
	static const char *units[] = { "x-api-key:a ", "x-api-key:a",
	    "X-Goog-Api-Key=b\"", "bearer 0123abcd " };
	char	*in, *r;
	size_t	 u, k, n, len, unit;

	(void)state;
	for (u = 0; u < sizeof units / sizeof units[0]; u++) {
		unit = strlen(units[u]);
		for (n = 1; n <= 300; n += 37) {
			len = unit * n;
			in = xmalloc(len + 1);
			for (k = 0; k < n; k++)
				memcpy(in + k * unit, units[u], unit);
			in[len] = '\0';
			r = sanitise_redact(in, len, NULL);
			assert_true(strlen(r) < 2 * len + 11);
			assert_non_null(strstr(r, "[REDACTED]"));
			free(r);
			free(in);
		}
	}
}

static void
test_redact_noncases(void **state)
{
	(void)state;
	check_kept("unexpected status 401 Unauthorized: Missing bearer or "
	    "basic authentication in header, url: http://127.0.0.1:18401/v1/"
	    "responses");
	check_kept("Incorrect API key provided: sk-proj-****************abcd");
	check_kept("disk-usage-monitoring-service-0123456789 ok");
	check_kept("task-0123456789abcdefghijklmnop done");
	check_kept("Bearer authentication failed");
	check_kept("Missing Authorization header");
	check_kept("authorization: failed");
	check_kept("ghp_short");
	check_kept("sk-learn-compatible-estimator-wrapper");
	check_kept("the api-key: missing");
	check_kept("eyJ short");
	check_kept("ERROR: Reconnecting... 1/5");
	check_kept("Quota exceeded. Check your plan and billing details.");
	check_kept("");
}

/* ---- workflow commands end to end ---- */

static void
test_warning_roundtrip(void **state)
{
	const char	*msg = "bad config ::add-mask::x\r\n::error::y, 100% "
	    "##[warning]z key sk-abcdefghijklmnopqrstuvwxyz0123456789";
	char		*out, *lines[8], *want, *wt;
	struct parsed	 p;

	(void)state;
	out = capture_warning("Config: broken, see log", msg);
	assert_int_equal(split_lines(out, lines, 8), 1);
	assert_true(runner_parse(lines[0], &p));
	assert_string_equal(p.name, "warning");
	want = warning_model(msg);
	assert_string_equal(p.data, want);
	assert_null(strstr(p.data, "sk-abc"));
	assert_no_command_forms_per_line(p.data);
	wt = sanitise_text("breaker: Config: broken, see log", 32);
	assert_non_null(p.title);
	assert_string_equal(p.title, wt);
	parsed_free(&p);
	free(want);
	free(wt);
	free(out);
}

/*
 * A configuration error list ends each error with a line break: the
 * warning reads as sentences on their own lines, never with a control
 * picture ("␊") where breaker's own line break was (new-user review 3e).
 */
static void
test_warning_line_breaks(void **state)
{
	char		*out, *lines[8];
	struct parsed	 p;

	(void)state;
	out = capture_warning("breaker is not watching this job",
	    "configuration problem: mode: unknown mode (\"enforce\" or "
	    "\"observe\")\nrules[2].id: duplicate id\r\n\n");
	assert_int_equal(split_lines(out, lines, 8), 1);
	assert_true(runner_parse(lines[0], &p));
	assert_null(strstr(p.data, "\xe2\x90\x8a"));	/* ␊ */
	assert_null(strstr(p.data, "\xe2\x90\x8d"));	/* ␍ */
	assert_string_equal(p.data, "configuration problem: mode: unknown "
	    "mode (\"enforce\" or \"observe\")\nrules[2].id: duplicate id");
	parsed_free(&p);
	free(out);
	/* A control character inside a quoted value still shows. */
	out = capture_warning("t", "source engine (/tmp/a\x1b[2Jb) cannot "
	    "be read");
	assert_int_equal(split_lines(out, lines, 8), 1);
	assert_true(runner_parse(lines[0], &p));
	assert_non_null(strstr(p.data, "/tmp/a\xe2\x90\x9b[2Jb"));	/* ␛ */
	parsed_free(&p);
	free(out);
}

/* Random bytes, biased to the dangerous ones: always one parsable line
 * whose data is exactly the sanitised input. */
static void
test_fuzz_roundtrip(void **state)
{
	static const char bias[] = ":#[%,\r\n\x1b\0\xe2\x80\xae=";
	unsigned char	 buf[700];
	char		*out, *lines[8], *want;
	size_t		 i, k, len;
	struct parsed	 p;

	(void)state;
	srandom(424242);
	for (i = 0; i < 1500; i++) {
		len = (size_t)random() % sizeof buf;
		for (k = 0; k < len; k++)
			buf[k] = random() % 2 ? bias[random() %
			    (sizeof bias - 1)] : (unsigned char)random();
		/* annotate_warning takes a C string: cut at the first NUL */
		buf[len] = '\0';
		len = strlen((char *)buf);
		out = capture_warning((char *)buf, (char *)buf);
		assert_int_equal(split_lines(out, lines, 8), 1);
		assert_true(runner_parse(lines[0], &p));
		assert_string_equal(p.name, "warning");
		assert_non_null(p.title);
		assert_no_command_forms_per_line(p.data);
		assert_null(strstr(p.title, "::"));
		want = warning_model((char *)buf);
		assert_string_equal(p.data, want);
		free(want);
		parsed_free(&p);
		free(out);
	}
}

static void
test_print_hostile_verdict(void **state)
{
	struct verdict_list	 list = TAILQ_HEAD_INITIALIZER(list);
	struct verdict		*v;
	struct annotate_job	 job = { 0 };
	char			*out, *lines[8];
	struct parsed		 p;

	(void)state;
	v = mkverdict(1, SEVERITY_FATAL, "401 from ::stop-commands::abc\n"
	    "::error::pwned ##[error]x Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIi"
	    "OiIxMjM0NTYifQ.SflKxwRJSMeKKF2QT4fw");
	verdict_add_evidence(v, "::add-mask::ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ01"
	    "23456789\r\n", 52);
	v->action = VERDICT_STOP;
	verdict_set(&v->stop_target, "awf");
	verdict_set(&v->stop_signal, "SIGINT");
	v->stop_pid = 4242;
	v->stop_exit = 130 << 8;
	TAILQ_INSERT_TAIL(&list, v, entry);
	out = capture_print(&list, &job);
	assert_int_equal(split_lines(out, lines, 8), 1);
	assert_true(runner_parse(lines[0], &p));
	assert_string_equal(p.name, "error");
	assert_string_equal(p.title, "breaker: Codex API key rejected (401)");
	assert_null(strstr(p.data, "::"));
	assert_null(strstr(p.data, "##["));
	assert_null(strstr(p.data, "ABCDEFGHIJ"));
	assert_null(strstr(p.data, "eyJhbGci"));
	assert_null(strchr(p.data, '\r'));
	assert_non_null(strstr(p.data, "breaker stopped the engine"));
	assert_non_null(strstr(p.data, "breaker stopped the engine: awf "
	    "(pid 4242), last signal SIGINT, exit 130."));
	assert_non_null(strstr(p.data, "codex-auth-401"));
	parsed_free(&p);
	free(out);
	verdict_list_free(&list);
}

static void
test_print_observe(void **state)
{
	struct verdict_list	 list = TAILQ_HEAD_INITIALIZER(list);
	struct annotate_job	 job = { .observe = 1 };
	struct verdict		*v;
	char			*out;

	(void)state;
	v = mkverdict(1, SEVERITY_FATAL, "401");
	TAILQ_INSERT_TAIL(&list, v, entry);
	out = capture_print(&list, &job);
	assert_non_null(strstr(out, "would have stopped the engine"));
	assert_null(strstr(out, "breaker stopped the engine"));
	free(out);
	verdict_list_free(&list);
}

/* Each way a stop can end reads differently, and truthfully. */
static void
test_print_outcomes(void **state)
{
	static const struct {
		const char	*action;
		int		 pid;
		const char	*sig;
		double		 stopped_at;
		const char	*result;
		const char	*want;
	} cases[] = {
		{ "stop", 4242, "SIGTERM", 1774290904.0, NULL, "breaker stopped "
		    "the engine: awf (pid 4242), last signal SIGTERM." },
		{ "stop", 4242, "SIGKILL", 0, "still running after SIGKILL",
		    "breaker tried to stop the engine: awf (pid 4242), last "
		    "signal SIGKILL; still running after SIGKILL." },
		{ "stop", 4242, NULL, 0, "cannot signal awf (pid 4242): "
		    "permission denied", "breaker could not stop the engine: "
		    "cannot signal awf (pid 4242): permission denied." },
		{ "stop", 0, NULL, 0, "no RUNNER_TRACKING_ID", "breaker could "
		    "not stop the engine: no RUNNER_TRACKING_ID." },
		{ "stop", 0, NULL, 0, NULL, "breaker could not stop the engine: "
		    "no engine process was found." },
		{ "record", 0, NULL, 0, NULL, "Recorded only (severity fatal)" },
		{ "would-stop", 0, NULL, 0, NULL, "would have stopped the "
		    "engine" },
	};
	struct verdict_list	 list = TAILQ_HEAD_INITIALIZER(list);
	struct verdict		*v;
	char			*out;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		v = mkverdict(1, SEVERITY_FATAL, "m");
		v->action = verdict_action_parse(cases[i].action);
		verdict_set(&v->action_result, cases[i].result);
		verdict_set(&v->stop_target, "awf");
		verdict_set(&v->stop_signal, cases[i].sig);
		v->stop_pid = cases[i].pid;
		v->stopped_at = cases[i].stopped_at;
		TAILQ_INSERT_TAIL(&list, v, entry);
		out = capture_print(&list, NULL);
		if (strstr(out, cases[i].want) == NULL)
			fail_msg("case %zu: want '%s' in '%s'", i,
			    cases[i].want, out);
		free(out);
		verdict_list_free(&list);
	}
}

static size_t
count_prefix(char **lines, size_t n, const char *prefix)
{
	size_t	i, c = 0;

	for (i = 0; i < n; i++)
		if (strncmp(lines[i], prefix, strlen(prefix)) == 0)
			c++;
	return c;
}

static void
fold_case(size_t per_type, size_t want_shown, size_t want_more)
{
	static const enum severity sev[] = { SEVERITY_FATAL,
	    SEVERITY_WARNING, SEVERITY_NOTICE };
	static const char *cmd[] = { "::error ", "::warning ", "::notice " };
	struct verdict_list	 list = TAILQ_HEAD_INITIALIZER(list);
	struct annotate_job	 job = { 0 };
	char			*out, **lines, want[128];
	size_t			 i, t, n, seq = 1;
	struct parsed		 p;

	for (i = 0; i < per_type; i++)
		for (t = 0; t < 3; t++)
		{
			struct verdict *v = mkverdict(seq++, sev[t], "m");

			TAILQ_INSERT_TAIL(&list, v, entry);
		}
	lines = xcalloc(3 * per_type + 8, sizeof *lines);
	out = capture_print(&list, &job);
	n = split_lines(out, lines, 3 * per_type + 8);
	for (t = 0; t < 3; t++) {
		/* never more than the runner keeps: the fold must be seen */
		assert_int_equal(count_prefix(lines, n, cmd[t]),
		    want_shown + (want_more > 0));
		assert_true(count_prefix(lines, n, cmd[t]) <=
		    ANNOTATE_MAX_PER_TYPE);
	}
	snprintf(want, sizeof want, "\xe2\x80\xa6 and %zu more breaker "
	    "verdicts; see the job summary", want_more);
	for (i = 0; i < n; i++) {
		assert_true(runner_parse(lines[i], &p));
		if (want_more > 0 && strstr(p.data, "more breaker") != NULL)
			assert_string_equal(p.data, want);
		parsed_free(&p);
	}
	if (want_more == 0)
		assert_null(strstr(out, "more breaker verdicts"));
	free(lines);
	free(out);
	verdict_list_free(&list);
}

static void
test_print_fold(void **state)
{
	(void)state;
	fold_case(25, 9, 16);	/* 25 per type: 9 shown + the fold */
	fold_case(10, 10, 0);	/* exactly 10: all shown, no fold */
	fold_case(11, 9, 2);
	fold_case(1, 1, 0);
}

static size_t
utf8_chars(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void
test_print_cap(void **state)
{
	struct verdict_list	 list = TAILQ_HEAD_INITIALIZER(list);
	struct annotate_job	 job = { 0 };
	struct verdict		*v;
	char			*big, *out, *lines[8];
	struct parsed		 p;

	(void)state;
	big = xmalloc(20001);
	memset(big, '%', 10000);	/* escapes to 3 bytes each */
	memset(big + 10000, 'x', 10000);
	big[20000] = '\0';
	v = mkverdict(1, SEVERITY_FATAL, big);
	TAILQ_INSERT_TAIL(&list, v, entry);
	out = capture_print(&list, &job);
	assert_int_equal(split_lines(out, lines, 8), 1);
	assert_true(runner_parse(lines[0], &p));
	/* the runner cuts at 4,096 characters: we stay below, marked */
	assert_true(utf8_chars(p.data) < 4096);
	assert_true(strlen(p.data) <= ANNOTATE_MAX_MESSAGE);
	assert_non_null(strstr(p.data, "\xe2\x80\xa6"));
	parsed_free(&p);
	free(out);
	free(big);
	verdict_list_free(&list);
}

/* ---- job summary ---- */

static char *
tmpfile_path(void)
{
	char	*path;
	int	 fd;

	path = xstrdup("/tmp/test_annotate.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd != -1);
	close(fd);
	return path;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "r");
	char	*buf;
	long	 n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static void
test_summary_content(void **state)
{
	struct verdict_list	 list = TAILQ_HEAD_INITIALIZER(list);
	struct annotate_job	 job = { .job_started = 1774290860.0,
	    .policy = "default (12 rules)", .saved = 540,
	    .saved_basis = "the harness would retry three more times" };
	struct verdict		*v;
	char			*path, *md;

	(void)state;
	v = mkverdict(1, SEVERITY_FATAL, "Codex got 401 Unauthorized");
	verdict_add_evidence(v, "ERROR: Reconnecting... 5/5", 26);
	verdict_add_evidence(v, "evil ```` fence ``` and sk-abcdefghijklmn"
	    "opqrstuvwxyz0123", 56);
	v->action = VERDICT_STOP;
	verdict_set(&v->stop_target, "awf");
	verdict_set(&v->stop_signal, "SIGINT");
	v->stop_pid = 4242;
	v->stop_exit = 130 << 8;
	v->stopped_at = 1774290904.0;
	TAILQ_INSERT_TAIL(&list, v, entry);
	v = mkverdict(2, SEVERITY_WARNING, "mcp | server failed");
	verdict_set(&v->rule_id, "mcp-failed");
	v->action = VERDICT_RECORD;
	TAILQ_INSERT_TAIL(&list, v, entry);

	path = tmpfile_path();
	assert_int_equal(summary_write(path, &list, &job), 0);
	md = slurp(path, NULL);
	assert_non_null(strstr(md, "### breaker stopped the engine: Codex API "
	    "key rejected \\(401\\)"));
	assert_non_null(strstr(md, "| # | rule | severity | source | when |"));
	assert_non_null(strstr(md, "| 1 | **codex\\-auth\\-401** "));
	assert_non_null(strstr(md, "| fatal | engine line 7 | +43.5 s "));
	assert_non_null(strstr(md, "| warning |"));
	assert_non_null(strstr(md, "mcp \\| server failed"));
	assert_non_null(strstr(md, "**Stopped:** awf \\(pid 4242\\), last "
	    "signal SIGINT, exit 130."));
	assert_non_null(strstr(md, "First sign to cut:** 4.00 s"));
	assert_non_null(strstr(md, "Job start to cut:** 44.0 s"));
	assert_non_null(strstr(md, "44.0 s after the job started; 4.00 s "
	    "after the first sign"));
	assert_non_null(strstr(md, "Time saved: about 9 min 00 s (the "
	    "harness would retry three more times)"));
	/* fence longer than the longest backtick run (4) in the evidence */
	assert_non_null(strstr(md, "\n`````text\nERROR: Reconnecting... 5/5\n"));
	assert_non_null(strstr(md, "\n`````\n"));
	assert_null(strstr(md, "sk-abcdef"));
	assert_non_null(strstr(md, "Policy: default \\(12 rules\\)."));
	free(md);
	unlink(path);
	free(path);
	verdict_list_free(&list);
}

static void
test_summary_quiet_and_observe(void **state)
{
	struct verdict_list	 list = TAILQ_HEAD_INITIALIZER(list);
	struct annotate_job	 job = { .policy = "default", .observe = 1 };
	struct verdict		*v;
	char			*path, *md, *nl;

	(void)state;
	path = tmpfile_path();
	assert_int_equal(summary_write(path, &list, &job), 0);
	md = slurp(path, NULL);
	/* a quiet job: exactly one line */
	nl = strchr(md, '\n');
	assert_non_null(nl);
	assert_string_equal(nl + 1, "");
	assert_non_null(strstr(md, "no failure detected"));
	free(md);

	/* appended, never truncated: the step summary is shared */
	v = mkverdict(1, SEVERITY_FATAL, "401");
	TAILQ_INSERT_TAIL(&list, v, entry);
	assert_int_equal(summary_write(path, &list, &job), 0);
	md = slurp(path, NULL);
	assert_non_null(strstr(md, "no failure detected"));
	assert_non_null(strstr(md, "would have stopped the engine"));
	free(md);
	unlink(path);
	free(path);
	verdict_list_free(&list);
	/* no path: nothing to do, not an error */
	assert_int_equal(summary_write(NULL, &list, &job), 0);
	assert_int_equal(summary_write("/nonexistent/dir/x", &list, &job),
	    -1);
}

static void
test_summary_cap(void **state)
{
	struct verdict_list	 list = TAILQ_HEAD_INITIALIZER(list);
	struct annotate_job	 job = { 0 };
	struct verdict		*v;
	char			*path, *md, line[1100];
	size_t			 i, k, len;

	(void)state;
	memset(line, 'e', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	for (i = 1; i <= 300; i++) {
		v = mkverdict((unsigned)i, SEVERITY_FATAL, "m");
		for (k = 0; k < 12; k++)
			verdict_add_evidence(v, line, sizeof line - 1);
		TAILQ_INSERT_TAIL(&list, v, entry);
	}
	path = tmpfile_path();
	assert_int_equal(summary_write(path, &list, &job), 0);
	md = slurp(path, &len);
	assert_true(len <= SUMMARY_MAX);
	assert_true(len > SUMMARY_MAX / 2);
	assert_non_null(strstr(md, "were left out to keep this summary under "
	    "256 KiB"));
	/* every opened fence is closed: an even number of fence lines */
	{
		size_t fences = 0;
		char *p;

		for (p = md; (p = strstr(p, "\n```")) != NULL; p++)
			fences++;
		assert_int_equal(fences % 2, 0);
	}
	free(md);
	unlink(path);
	free(path);
	verdict_list_free(&list);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_property),
		cmocka_unit_test(test_escape_data),
		cmocka_unit_test(test_escape_roundtrip_random),
		cmocka_unit_test(test_neutralise_commands),
		cmocka_unit_test(test_neutralise_controls),
		cmocka_unit_test(test_redact_cases),
		cmocka_unit_test(test_redact_growth),
		cmocka_unit_test(test_redact_noncases),
		cmocka_unit_test(test_warning_roundtrip),
		cmocka_unit_test(test_warning_line_breaks),
		cmocka_unit_test(test_fuzz_roundtrip),
		cmocka_unit_test(test_print_hostile_verdict),
		cmocka_unit_test(test_print_observe),
		cmocka_unit_test(test_print_outcomes),
		cmocka_unit_test(test_print_fold),
		cmocka_unit_test(test_print_cap),
		cmocka_unit_test(test_summary_content),
		cmocka_unit_test(test_summary_quiet_and_observe),
		cmocka_unit_test(test_summary_cap),
	};

	log_init("test_annotate", LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
