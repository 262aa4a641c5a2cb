/*
 * The /proc text parsers. An engine writes part of what breaker reads
 * there: its comm (prctl PR_SET_NAME, any 15 bytes, ')' and spaces
 * included) and its argv (any bytes), so the parsers that decide which
 * process is the engine take hostile input.
 *
 * The input is three parts separated by 0xFF bytes: a stat line, a cmdline
 * (NUL-separated words) and an environ. Invariants: the stat parse gives a
 * NUL-terminated comm of at most 16 bytes, taken from between the first '('
 * and the last ')'; a classification is one of the names or none; the
 * environ test agrees with an obvious reference.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proc.h"
#include "xalloc.h"

#define ID	"fuzz-job-1"

static const char *const names[] = { "awf", "codex", "claude", "copilot",
    "gemini", "node" };

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Part `k` of the input as a fresh buffer with a NUL after it. */
static char *
part(const uint8_t *data, size_t size, int k, size_t *lenp)
{
	const uint8_t	*p = data, *end = data + size, *sep;
	char		*out;

	for (; k > 0 && p != NULL; k--) {
		sep = memchr(p, 0xff, (size_t)(end - p));
		p = sep != NULL ? sep + 1 : NULL;
	}
	if (p == NULL)
		p = end;
	sep = memchr(p, 0xff, (size_t)(end - p));
	*lenp = (size_t)((sep != NULL ? sep : end) - p);
	out = xmalloc(*lenp + 1);
	memcpy(out, p, *lenp);
	out[*lenp] = '\0';
	return out;
}

/* Each NUL-ended entry compared whole; a last unended one too. */
static int
environ_reference(const char *env, size_t len)
{
	const char	*want = "RUNNER_TRACKING_ID=" ID;
	char		*copy = xmalloc(len + 1);
	size_t		 i;
	int		 found = 0;

	memcpy(copy, env, len);
	copy[len] = '\0';
	for (i = 0; i < len; i += strlen(copy + i) + 1)
		found |= strcmp(copy + i, want) == 0;
	free(copy);
	return found;
}

static void
check_comm(const char *stat, const char *comm)
{
	const char	*open_p = strchr(stat, '('), *close_p = strrchr(stat,
			    ')');
	size_t		 n = strlen(comm);

	FUZZ_ASSERT(n <= 16);
	FUZZ_ASSERT(open_p != NULL && close_p != NULL && close_p > open_p);
	FUZZ_ASSERT(n <= (size_t)(close_p - open_p - 1));
	FUZZ_ASSERT(memcmp(open_p + 1, comm, n) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*stat, *cmdline, *env, comm[17];
	size_t	 slen, clen, elen;
	int	 k;

	stat = part(data, size, 0, &slen);
	cmdline = part(data, size, 1, &clen);
	env = part(data, size, 2, &elen);
	memset(comm, 'x', sizeof(comm));
	k = proc_classify(stat, cmdline, clen, names,
	    sizeof(names) / sizeof(names[0]), comm);
	FUZZ_ASSERT(k >= -2 && k < (int)(sizeof(names) / sizeof(names[0])));
	FUZZ_ASSERT(memchr(comm, '\0', sizeof(comm)) != NULL);
	if (k != -2)
		check_comm(stat, comm);
	FUZZ_ASSERT(proc_environ_has(env, elen, ID) ==
	    environ_reference(env, elen));
	free(stat);
	free(cmdline);
	free(env);
	return 0;
}
