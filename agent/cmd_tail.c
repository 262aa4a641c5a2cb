/*
 * `breaker tail`: the tailer on the command line, for debugging and for the
 * tests that drive it (test_tail_cli.sh): each line exactly as tail.c
 * delivers it, per-file counters on SIGUSR1 and at the end. Kept out of
 * tail.c so the tailer knows nothing of getopt, stdout or workflow commands.
 */
#include <sys/random.h>

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cmd.h"
#include "cmdopt.h"
#include "log.h"
#include "tail.h"
#include "usage.h"
#include "util.h"
#include "xalloc.h"

struct cmd_tail {
	struct event_base	*base;
	struct tail		*tail;
	struct tail_file	**files;
	int			 nfiles;
	int			 failed;	/* stdout went away */
};

/* Each line exactly as delivered, at once: tests read it as it comes. */
static void
cmd_tail_line(struct tail_file *f, const char *line, size_t len, int flags,
    void *arg)
{
	struct cmd_tail	*c = arg;

	if (c->failed)
		return;
	if (c->nfiles > 1)
		fprintf(stdout, "%s: ", tail_file_name(f));
	fwrite(line, 1, len, stdout);
	putc('\n', stdout);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		c->failed = 1;
		event_base_loopexit(c->base, NULL);
	}
}

/* One line per file, key=value, the name last (it may hold spaces). */
static void
cmd_tail_stats(struct cmd_tail *c)
{
	struct tail_file_stats	s;
	int			i;

	for (i = 0; i < c->nfiles; i++) {
		tail_file_get_stats(c->files[i], &s);
		fprintf(stderr, "tail-stats open=%d offset=%" PRIu64
		    " lines=%" PRIu64 " bytes=%" PRIu64 " rotations=%" PRIu64
		    " truncations=%" PRIu64 " lost_bytes=%" PRIu64
		    " lost_lines=%" PRIu64 " long_lines=%" PRIu64
		    " skipped_bytes=%" PRIu64 " nul_bytes=%" PRIu64
		    " read_errors=%" PRIu64 " refused=%" PRIu64
		    " hole_bytes=%" PRIu64 " backend=%s name=%s\n", s.open,
		    s.offset, s.lines, s.bytes, s.rotations, s.truncations,
		    s.lost_bytes, s.lost_lines, s.long_lines, s.skipped_bytes,
		    s.nul_bytes, s.read_errors, s.refused, s.hole_bytes,
		    tail_backend(c->tail) == TAIL_BACKEND_POLL ? "poll" :
		    "inotify", tail_file_name(c->files[i]));
	}
	fflush(stderr);
}

static void
cmd_tail_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct cmd_tail	*c = arg;

	if (sig == SIGUSR1) {
		cmd_tail_stats(c);
		return;
	}
	tail_drain(c->tail);
	event_base_loopexit(c->base, NULL);
}

static void
cmd_tail_usage(void)
{
	usage_error("tail");
}

static int
cmd_tail_number(const char *s, unsigned long *out)
{
	const char	*errstr;

	*out = (unsigned long)parse_num(s, 0, INT_MAX, &errstr);
	return errstr == NULL;
}

static int
cmd_tail_options(int argc, char **argv, struct tail_options *o,
    int *from_start)
{
	static const struct option longopts[] = {
		{ "from-start",	no_argument,		NULL, 's' },
		{ "poll",	no_argument,		NULL, 'p' },
		{ "flush-ms",	required_argument,	NULL, 'f' },
		{ "max-line",	required_argument,	NULL, 'm' },
		CMDOPT_END_LONGOPTS
	};
	unsigned long	n;
	int		ch;

	while ((ch = getopt_long(argc, argv, "spf:m:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			*from_start = 1;
			break;
		case 'p':
			o->backend = TAIL_BACKEND_POLL;
			break;
		case 'f':
		case 'm':
			if (!cmd_tail_number(optarg, &n) || n == 0) {
				log_warnx("tail: bad number '%s'", optarg);
				return -1;
			}
			if (ch == 'f')
				o->partial_flush_ms = (unsigned)n;
			else
				o->max_line = n;
			break;
		default:
			return -1;
		}
	}
	return optind;
}

/*
 * Log lines are hostile text. Run inside a workflow step, they would be
 * read by the runner as workflow commands (`::error::`, `::add-mask::`),
 * so the runner's own switch turns command processing off around them,
 * with a token no log line can know in advance; the lines stay exact.
 */
static void
cmd_tail_stop_commands(char *token, size_t size)
{
	const char	*gha = getenv("GITHUB_ACTIONS");
	unsigned char	 rnd[16];
	size_t		 i;

	token[0] = '\0';
	if (gha == NULL || strcmp(gha, "true") != 0)
		return;
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		fatal("tail: getrandom");
	for (i = 0; i < sizeof rnd && 2 * i + 2 < size; i++)
		snprintf(token + 2 * i, 3, "%02x", rnd[i]);
	printf("::stop-commands::%s\n", token);
	fflush(stdout);
}

static int
cmd_tail_run(struct cmd_tail *c)
{
	struct event	*sig[3];
	int		 signos[3] = { SIGINT, SIGTERM, SIGUSR1 }, i;
	char		 token[64];

	signal(SIGPIPE, SIG_IGN);
	cmd_tail_stop_commands(token, sizeof token);
	for (i = 0; i < 3; i++) {
		sig[i] = evsignal_new(c->base, signos[i], cmd_tail_signal, c);
		evsignal_add(sig[i], NULL);
	}
	event_base_dispatch(c->base);
	if (token[0] != '\0' && !c->failed)
		printf("::%s::\n", token);
	fflush(stdout);
	cmd_tail_stats(c);
	for (i = 0; i < 3; i++)
		event_free(sig[i]);
	return c->failed ? 1 : 0;
}

/* Every file is added: say so, and run until a signal. */
static int
cmd_tail_follow(struct cmd_tail *c)
{
	/* Also the moment from which nothing written is missed (tests). */
	log_info("tail: following %d file%s (%s)", c->nfiles,
	    c->nfiles == 1 ? "" : "s", tail_backend(c->tail) ==
	    TAIL_BACKEND_POLL ? "polling" : "inotify");
	return cmd_tail_run(c);
}

int
cmd_tail(int argc, char **argv)
{
	struct tail_options	 o;
	struct cmd_tail		 c;
	int			 i, first, from_start = 0, rc;

	memset(&o, 0, sizeof o);
	memset(&c, 0, sizeof c);
	if ((first = cmd_tail_options(argc, argv, &o, &from_start)) == -1 ||
	    first >= argc) {
		cmd_tail_usage();
		return 2;
	}
	if ((c.base = event_base_new()) == NULL)
		fatalx("tail: event_base_new");
	c.tail = tail_new(c.base, &o);
	c.nfiles = argc - first;
	c.files = xcalloc((size_t)c.nfiles, sizeof *c.files);
	for (i = 0, rc = 0; i < c.nfiles && rc == 0; i++) {
		c.files[i] = tail_add(c.tail, argv[first + i], argv[first + i],
		    from_start, cmd_tail_line, &c);
		if (c.files[i] == NULL)
			rc = 2;
	}
	if (rc == 0)
		rc = cmd_tail_follow(&c);
	tail_free(c.tail);
	free(c.files);
	event_base_free(c.base);
	return rc;
}
