/*
 * tail.c: each way a followed file can change, on a real event loop, in a
 * private temporary directory. Waits are bounded loops that stop as soon
 * as the expected lines are in; no test asserts a duration.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "file.h"
#include "lines.h"
#include "log.h"
#include "tail.h"

#define MAXL 4096

struct got {
	int	 total;		/* all lines, even beyond MAXL */
	int	 first_b;	/* index of file b's first line, or -1 */
	int	 n;
	char	*line[MAXL];
	int	 flags[MAXL];
	int	 who[MAXL];
};

/* When `trigger_at` lines are in, `trigger` runs (once), from the loop. */
static int	  trigger_at = -1;
static void	(*trigger)(void *);

struct ctx {
	char			 dir[64];
	struct event_base	*base;
	struct tail		*tail;
	struct got		 got;
};

static void
on_line(struct tail_file *f, const char *line, size_t len, int flags,
    void *arg)
{
	struct ctx	*c = arg;
	struct got	*g = &c->got;

	if (tail_file_name(f)[0] == 'b' && g->first_b == -1)
		g->first_b = g->total;
	g->total++;
	if (g->total == trigger_at && trigger != NULL)
		trigger(c);
	if (g->n >= MAXL)
		return;
	g->line[g->n] = strndup(line, len);
	g->flags[g->n] = flags;
	g->who[g->n] = tail_file_name(f)[0];
	g->n++;
}

static struct ctx *
setup_with(const struct tail_options *o)
{
	struct ctx	*c = calloc(1, sizeof *c);

	snprintf(c->dir, sizeof c->dir, "/tmp/breaker-tail-XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	c->base = event_base_new();
	c->tail = tail_new(c->base, o);
	c->got.first_b = -1;
	return c;
}

static struct ctx *
setup(void)
{
	struct tail_options	o = { 0 };

	o.partial_flush_ms = 60000;	/* tests flush on purpose only */
	return setup_with(&o);
}

static void
teardown(struct ctx *c)
{
	char	cmd[128];

	tail_free(c->tail);
	event_base_free(c->base);
	for (int i = 0; i < c->got.n; i++)
		free(c->got.line[i]);
	snprintf(cmd, sizeof cmd, "rm -rf %s", c->dir);
	assert_int_equal(system(cmd), 0);
	free(c);
}

static char *
path(struct ctx *c, const char *rel)
{
	static char	buf[4][256];
	static int	i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", c->dir, rel);
	return buf[i];
}

static struct tail_file *
add(struct ctx *c, const char *name, const char *rel, int from_start)
{
	struct tail_file	*f;

	f = tail_add(c->tail, name, path(c, rel), from_start, on_line, c);
	assert_non_null(f);
	return f;
}

/* Run the loop for `ms` milliseconds. */
static void
pump(struct ctx *c, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(c->base, &tv);
	event_base_dispatch(c->base);
}

/* Run the loop until `n` lines are in, for at most five seconds. */
static void
wait_lines(struct ctx *c, int n)
{
	for (int i = 0; i < 500 && c->got.n < n; i++)
		pump(c, 10);
	assert_int_equal(c->got.n, n);
	pump(c, 20);			/* and nothing more comes */
	assert_int_equal(c->got.n, n);
}

static void
put(struct ctx *c, const char *rel, const char *s, int flags)
{
	int	fd = open(path(c, rel), O_WRONLY | O_CREAT | flags, 0644);

	assert_true(fd != -1);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

#define append(c, rel, s)	put(c, rel, s, O_APPEND)

static void
expect(struct ctx *c, int i, const char *s, int flags)
{
	assert_true(i < c->got.n);
	assert_string_equal(c->got.line[i], s);
	assert_int_equal(c->got.flags[i], flags);
}

static void
stats(struct tail_file *f, struct tail_file_stats *st)
{
	tail_file_get_stats(f, st);
}

/* Neither the file nor its directories exist yet: read from the head. */
static void
test_late_creation(void **state)
{
	struct ctx		*c = setup();
	struct tail_file_stats	 st;
	struct tail_file	*f = add(c, "a", "x/y/z/log", 0);
	char			 cmd[160];

	pump(c, 20);
	snprintf(cmd, sizeof cmd, "mkdir -p %s", path(c, "x/y/z"));
	assert_int_equal(system(cmd), 0);
	append(c, "x/y/z/log", "one\ntwo\n");
	wait_lines(c, 2);
	expect(c, 0, "one", 0);
	expect(c, 1, "two", 0);
	stats(f, &st);
	assert_int_equal(st.open, 1);
	assert_int_equal(st.offset, 8);
	teardown(c);
}

/*
 * Only the awaited name matters in a watched ancestor; a whole directory
 * tree renamed into place is seen too.
 */
static void
test_ancestor_rename_into_place(void **state)
{
	struct ctx	*c = setup();
	char		 cmd[200];

	add(c, "a", "x/y/log", 0);
	append(c, "noise", "n\n");		/* another entry: ignored */
	assert_int_equal(mkdir(path(c, "other"), 0755), 0);
	pump(c, 20);
	snprintf(cmd, sizeof cmd, "mkdir -p %s", path(c, "x.tmp/y"));
	assert_int_equal(system(cmd), 0);
	append(c, "x.tmp/y/log", "built elsewhere\n");
	assert_int_equal(rename(path(c, "x.tmp"), path(c, "x")), 0);
	wait_lines(c, 1);
	expect(c, 0, "built elsewhere", 0);
	append(c, "x/y/log", "then appended\n");
	wait_lines(c, 2);
	teardown(c);
}

static void
test_existing_from_end(void **state)
{
	struct ctx	*c = setup();

	append(c, "log", "old\n");
	append(c, "log2", "old2\n");
	add(c, "a", "log", 0);
	add(c, "b", "log2", 1);		/* --from-start */
	wait_lines(c, 1);
	expect(c, 0, "old2", 0);
	append(c, "log", "new\n");
	wait_lines(c, 2);
	expect(c, 1, "new", 0);
	teardown(c);
}

/* The old descriptor is drained, then the new file is read from its head. */
static void
test_rename_rotation(void **state)
{
	struct ctx		*c = setup();
	struct tail_file	*f;
	struct tail_file_stats	 st;
	int			 wfd;

	append(c, "log", "");
	f = add(c, "a", "log", 0);
	wfd = open(path(c, "log"), O_WRONLY | O_APPEND);
	assert_int_equal(write(wfd, "a1\nhal", 6), 6);
	assert_int_equal(rename(path(c, "log"), path(c, "log.1")), 0);
	/* The writer has not reopened yet: still writes the renamed file. */
	assert_int_equal(write(wfd, "f\n", 2), 2);
	close(wfd);
	append(c, "log", "b1\n");
	wait_lines(c, 3);
	expect(c, 0, "a1", 0);
	expect(c, 1, "half", 0);	/* split across the rename */
	expect(c, 2, "b1", 0);
	stats(f, &st);
	assert_int_equal(st.rotations, 1);
	assert_int_equal(st.lost_bytes, 0);
	teardown(c);
}

/* A line split by a rename is joined: the stream goes on. */
static void
test_rotation_split_line(void **state)
{
	struct ctx	*c = setup();

	add(c, "a", "log", 0);
	append(c, "log", "hel");
	pump(c, 20);
	assert_int_equal(rename(path(c, "log"), path(c, "log.1")), 0);
	append(c, "log", "lo\n");
	wait_lines(c, 1);
	expect(c, 0, "hello", 0);
	teardown(c);
}

/* copytruncate with an O_APPEND writer: shorter than our offset. */
static void
test_truncate_shrink(void **state)
{
	struct ctx		*c = setup();
	struct tail_file	*f = add(c, "a", "log", 0);
	struct tail_file_stats	 st;

	append(c, "log", "aaaa\nbbbb\n");
	wait_lines(c, 2);
	assert_int_equal(truncate(path(c, "log"), 0), 0);
	append(c, "log", "cc\n");
	wait_lines(c, 3);
	expect(c, 2, "cc", 0);
	stats(f, &st);
	assert_int_equal(st.truncations, 1);
	assert_int_equal(st.lost_bytes, 0);	/* we had read it all */
	teardown(c);
}

/*
 * copytruncate with a writer that does not use O_APPEND (`cmd > log`):
 * its next write leaves a NUL run as long as the file was, which tells
 * exactly how much we had not read.
 */
static void
test_truncate_nul_run(void **state)
{
	struct ctx		*c = setup();
	struct tail_file	*f = add(c, "a", "log", 0);
	struct tail_file_stats	 st;
	int			 wfd;

	wfd = open(path(c, "log"), O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(wfd, "read\npar", 8), 8);
	wait_lines(c, 1);
	/* Written and truncated away before the loop runs again. */
	assert_int_equal(write(wfd, "tial\nunread\n", 12), 12);
	assert_int_equal(ftruncate(wfd, 0), 0);
	assert_int_equal(write(wfd, "after\n", 6), 6);
	close(wfd);
	wait_lines(c, 2);
	expect(c, 1, "after", 0);
	stats(f, &st);
	assert_int_equal(st.truncations, 1);
	assert_int_equal(st.nul_bytes, 20);
	/* "par" (held, dropped) + "tial\nunread\n" (never read) */
	assert_int_equal(st.lost_bytes, 3 + 12);
	assert_int_equal(st.lost_lines, 1);
	teardown(c);
}

/* Rewritten in place past our offset: only the content marker tells. */
static void
test_rewritten_in_place(void **state)
{
	struct ctx		*c = setup();
	struct tail_file	*f = add(c, "a", "log", 0);
	struct tail_file_stats	 st;

	append(c, "log", "abc\n");
	wait_lines(c, 1);
	put(c, "log", "xyz\nlonger\n", O_TRUNC);
	wait_lines(c, 3);
	expect(c, 1, "xyz", 0);
	expect(c, 2, "longer", 0);
	stats(f, &st);
	assert_int_equal(st.truncations, 1);
	teardown(c);
}

static void
test_delete_recreate(void **state)
{
	struct ctx		*c = setup();
	struct tail_file	*f = add(c, "a", "log", 0);
	struct tail_file_stats	 st;

	append(c, "log", "first\n");
	wait_lines(c, 1);
	assert_int_equal(unlink(path(c, "log")), 0);
	pump(c, 20);
	append(c, "log", "second\n");
	wait_lines(c, 2);
	expect(c, 1, "second", 0);
	stats(f, &st);
	assert_int_equal(st.rotations, 1);
	teardown(c);
}

/*
 * F5: a link put at the path (ln -s /etc/shadow agent-stdio.log) is never
 * followed: refused, counted once, logged; a regular file put there later
 * is read.
 */
static void
test_symlink_refused(void **state)
{
	struct ctx		*c = setup();
	struct tail_file	*f;
	struct tail_file_stats	 st;

	assert_int_equal(mkdir(path(c, "t"), 0755), 0);
	append(c, "t/secret", "SECRET 1\n");
	assert_int_equal(symlink(path(c, "t/secret"), path(c, "link")), 0);
	f = add(c, "a", "link", 1);
	append(c, "t/secret", "SECRET 2\n");
	pump(c, 50);
	assert_int_equal(c->got.n, 0);
	stats(f, &st);
	assert_int_equal(st.open, 0);
	assert_int_equal(st.refused, 1);
	/* ln -sfn to another target: still a link, still refused. */
	assert_int_equal(symlink(path(c, "t/other"), path(c, "link.new")), 0);
	assert_int_equal(rename(path(c, "link.new"), path(c, "link")), 0);
	append(c, "t/other", "SECRET 3\n");
	pump(c, 50);
	assert_int_equal(c->got.n, 0);
	/* A regular file in its place is followed from its head. */
	append(c, "plain", "ok\n");
	assert_int_equal(rename(path(c, "plain"), path(c, "link")), 0);
	wait_lines(c, 1);
	expect(c, 0, "ok", 0);
	stats(f, &st);
	assert_int_equal(st.refused, 1);
	teardown(c);
}

/*
 * F5: a root daemon (or one with CAP_DAC_READ_SEARCH) reads only what the
 * job's user could: root's 0600 file, or a readable file under a root
 * directory the user cannot search, is refused. A third account's file in
 * its own place (Squid's 0640 log, uid 13) is read, but not through a
 * symlinked directory. Here the job's user is "nobody".
 */
static void
test_reader_permissions(void **state)
{
	struct file_cred	 nobody = { .uid = 65534, .gid = 65534 };
	struct tail_options	 o = { .partial_flush_ms = 60000 };
	struct ctx		*c;
	struct tail_file	*fs, *fp, *fo, *fq, *fl;
	struct tail_file_stats	 st;

	if (geteuid() != 0)
		skip();		/* files of root and of uid 13 are needed */
	o.reader = &nobody;
	c = setup_with(&o);
	assert_int_equal(chmod(c->dir, 0755), 0);
	put(c, "secret", "ROOT-ONLY-SECRET 1\n", 0);
	assert_int_equal(chmod(path(c, "secret"), 0600), 0);
	assert_int_equal(mkdir(path(c, "priv"), 0700), 0);
	put(c, "priv/log", "ROOT-ONLY-SECRET 2\n", 0);
	assert_int_equal(chmod(path(c, "priv/log"), 0644), 0);
	put(c, "open", "", 0);
	assert_int_equal(chmod(path(c, "open"), 0644), 0);
	assert_int_equal(mkdir(path(c, "squid"), 0750), 0);
	put(c, "squid/access.log", "", 0);
	assert_int_equal(chmod(path(c, "squid/access.log"), 0640), 0);
	assert_int_equal(chown(path(c, "squid/access.log"), 13, 13), 0);
	assert_int_equal(chown(path(c, "squid"), 13, 13), 0);
	assert_int_equal(symlink(path(c, "squid"), path(c, "linkdir")), 0);
	fs = add(c, "s", "secret", 1);
	fp = add(c, "p", "priv/log", 1);
	fo = add(c, "o", "open", 1);
	fq = add(c, "q", "squid/access.log", 1);
	fl = add(c, "l", "linkdir/access.log", 1);
	append(c, "open", "public\n");
	wait_lines(c, 1);
	expect(c, 0, "public", 0);
	stats(fq, &st);
	assert_int_equal(st.open, 1);
	stats(fl, &st);
	assert_int_equal(st.open, 0);
	assert_int_equal(st.refused, 1);
	stats(fs, &st);
	assert_int_equal(st.open, 0);
	assert_int_equal(st.refused, 1);
	stats(fp, &st);
	assert_int_equal(st.open, 0);
	assert_int_equal(st.refused, 1);
	stats(fo, &st);
	assert_int_equal(st.refused, 0);
	/* Made readable to the job's user: read from its head. */
	assert_int_equal(chmod(path(c, "secret"), 0644), 0);
	append(c, "secret", "now public\n");
	wait_lines(c, 3);
	expect(c, 1, "ROOT-ONLY-SECRET 1", 0);
	expect(c, 2, "now public", 0);
	teardown(c);
}

/*
 * Hooks run as root, the engine as another user (uid 1234): root may read
 * everything, but a directory link the engine's user made is not followed
 * (the kernel's protected_symlinks covers sticky /tmp only); root's is.
 */
static void
test_foreign_dir_link(void **state)
{
	struct file_cred	 root = { .uid = 0, .gid = 0 };
	struct tail_options	 o = { .partial_flush_ms = 60000 };
	struct ctx		*c;
	struct tail_file	*ft, *fr;
	struct tail_file_stats	 st;

	if (geteuid() != 0)
		skip();		/* lchown to another user */
	o.reader = &root;
	c = setup_with(&o);
	assert_int_equal(mkdir(path(c, "rootonly"), 0700), 0);
	put(c, "rootonly/agent.log", "", 0600);
	assert_int_equal(symlink(path(c, "rootonly"), path(c, "theirs")), 0);
	assert_int_equal(lchown(path(c, "theirs"), 1234, 1234), 0);
	assert_int_equal(symlink(path(c, "rootonly"), path(c, "ours")), 0);
	ft = add(c, "t", "theirs/agent.log", 0);
	fr = add(c, "r", "ours/agent.log", 0);
	append(c, "rootonly/agent.log", "ROOT-ONLY-SECRET\n");
	wait_lines(c, 1);
	assert_int_equal(c->got.who[0], 'r');
	stats(fr, &st);
	assert_int_equal(st.refused, 0);
	stats(ft, &st);
	assert_int_equal(st.open, 0);
	assert_int_equal(st.refused, 1);
	teardown(c);
}

/* A sparse file: where supported, holes are skipped (SEEK_DATA), unread. */
static int
make_sparse(struct ctx *c, const char *rel, off_t hole, const char *after)
{
	struct stat	st;
	int		fd = open(path(c, rel), O_WRONLY | O_CREAT, 0644);

	assert_true(fd != -1);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(ftruncate(fd, st.st_size + hole), 0);
	assert_int_equal(pwrite(fd, after, strlen(after), st.st_size + hole),
	    (ssize_t)strlen(after));
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	return (uint64_t)st.st_blocks * 512 < (uint64_t)st.st_size / 2;
}

/* F14: `truncate -s 1G` then a line: the line at once, the GiB unread. */
static void
test_sparse_hole(void **state)
{
	struct ctx		*c = setup();
	struct tail_file	*f;
	struct tail_file_stats	 st;
	const off_t		 gib = (off_t)1 << 30, mib64 = (off_t)64 << 20;

	if (!make_sparse(c, "log", gib, "after the hole\n")) {
		teardown(c);
		skip();		/* no holes on this filesystem */
	}
	f = add(c, "a", "log", 1);
	wait_lines(c, 1);
	expect(c, 0, "after the hole", 0);
	stats(f, &st);
	assert_true(st.hole_bytes >= (uint64_t)gib - 65536);
	assert_true(st.bytes < 1024 * 1024);
	/* A hole in the middle ends a held partial line; the next is read. */
	append(c, "log", "held");
	pump(c, 20);
	assert_true(make_sparse(c, "log", mib64, "after the second\n"));
	wait_lines(c, 3);
	expect(c, 1, "held", LINES_UNTERMINATED);
	expect(c, 2, "after the second", 0);
	stats(f, &st);
	assert_true(st.hole_bytes >= (uint64_t)(gib + mib64) - 2 * 65536);
	assert_true(st.bytes < 1024 * 1024);
	teardown(c);
}

static void
test_partial_flush(void **state)
{
	struct tail_options	 o = { .partial_flush_ms = 30 };
	struct ctx		*c = setup_with(&o);
	struct tail_file	*f = add(c, "a", "log", 0);
	struct tail_file_stats	 st;

	append(c, "log", "part");
	wait_lines(c, 1);		/* only by the flush timer */
	expect(c, 0, "part", LINES_UNTERMINATED);
	append(c, "log", "ial\nnext\n");
	wait_lines(c, 3);
	expect(c, 1, "ial", LINES_CONTINUATION);
	expect(c, 2, "next", 0);
	/* Only the newline was late: no empty line. */
	append(c, "log", "x");
	wait_lines(c, 4);
	append(c, "log", "\ny\n");
	wait_lines(c, 5);
	expect(c, 4, "y", 0);
	stats(f, &st);
	assert_int_equal(st.lines, 5);
	teardown(c);
}

static void
test_crlf_and_long(void **state)
{
	struct tail_options	 o = { .max_line = 16 };
	struct ctx		*c = setup_with(&o);
	struct tail_file	*f = add(c, "a", "log", 0);
	struct tail_file_stats	 st;
	char			 big[5001];
	unsigned long		 warned = log_count_warnings();

	append(c, "log", "dos\r\n");
	memset(big, 'x', 5000);
	big[5000] = '\0';
	append(c, "log", big);
	append(c, "log", "\nok\n");
	wait_lines(c, 3);
	expect(c, 0, "dos", 0);
	expect(c, 1, "xxxxxxxxxxxxxxxx", LINES_TRUNCATED);
	expect(c, 2, "ok", 0);
	stats(f, &st);
	assert_int_equal(st.long_lines, 1);
	assert_int_equal(st.skipped_bytes, 5000 - 16);
	assert_int_equal(st.open, 1);		/* the file is never dropped */
	/* The cut is said, then only at the 2nd, 4th... such line. */
	assert_int_equal(log_count_warnings() - warned, 1);
	append(c, "log", big);
	append(c, "log", "\n");
	append(c, "log", big);
	append(c, "log", "\nend\n");
	wait_lines(c, 6);
	expect(c, 5, "end", 0);
	stats(f, &st);
	assert_int_equal(st.long_lines, 3);
	assert_int_equal(log_count_warnings() - warned, 2);
	teardown(c);
}

static void
test_poll_backend(void **state)
{
	struct tail_options	 o = { .backend = TAIL_BACKEND_POLL,
				       .poll_ms = 20 };
	struct ctx		*c = setup_with(&o);

	assert_int_equal(tail_backend(c->tail), TAIL_BACKEND_POLL);
	add(c, "a", "d/log", 0);
	assert_int_equal(mkdir(path(c, "d"), 0755), 0);
	append(c, "d/log", "p1\n");
	wait_lines(c, 1);
	assert_int_equal(rename(path(c, "d/log"), path(c, "d/log.1")), 0);
	append(c, "d/log", "p2\n");
	wait_lines(c, 2);
	expect(c, 1, "p2", 0);
	teardown(c);
}

/* Not a regular file (or unreadable): warned about, retried, no crash. */
static void
test_not_readable(void **state)
{
	struct ctx		*c = setup();
	struct tail_file	*f;
	unsigned long		 warned = log_count_warnings();
	struct tail_file_stats	 st;

	assert_int_equal(mkdir(path(c, "log"), 0755), 0);
	f = add(c, "a", "log", 0);
	pump(c, 20);
	assert_true(log_count_warnings() > warned);
	stats(f, &st);
	assert_int_equal(st.open, 0);
	assert_int_equal(rmdir(path(c, "log")), 0);
	append(c, "log", "now\n");
	wait_lines(c, 1);
	expect(c, 0, "now", 0);
	if (geteuid() != 0) {
		/* Permissions: only meaningful when not root. */
		append(c, "p", "");
		assert_int_equal(chmod(path(c, "p"), 0), 0);
		f = add(c, "b", "p", 0);
		stats(f, &st);
		assert_int_equal(st.open, 0);
		assert_true(st.read_errors > 0);
	}
	teardown(c);
}

/* A small read budget: a burst in one file does not hold up another. */
static void
test_budget_fairness(void **state)
{
	struct tail_options	 o = { .read_budget = 4096 };
	struct ctx		*c = setup_with(&o);
	char			*burst = malloc(200 * 1000 + 1);

	add(c, "a", "busy", 0);
	add(c, "b", "quiet", 0);
	for (int i = 0; i < 40000; i++)
		memcpy(burst + i * 5, "line\n", 5);
	burst[200000] = '\0';
	append(c, "busy", burst);
	append(c, "quiet", "hello\n");
	for (int i = 0; i < 500 && c->got.total < 40001; i++)
		pump(c, 10);
	assert_int_equal(c->got.total, 40001);
	/* The quiet file's line came out long before the burst ended. */
	assert_true(c->got.first_b >= 0 && c->got.first_b < 20000);
	free(burst);
	teardown(c);
}

/* Queue overflow: events are lost, so every file is looked at again. */
/* Something else the loop serves (the control socket): when it got a turn. */
static int	served_at = -1;
static int	served_fd = -1;

static void
on_served(evutil_socket_t fd, short ev, void *arg)
{
	struct ctx	*c = arg;

	if (served_at == -1)
		served_at = c->got.total;
}

static void append_fatal(void *);

/*
 * F8: a backlog of a million lines in one source (the firewall log at full
 * speed) is read one budget per loop pass, so a fatal line in another
 * source, and a ready socket, are served after a bounded number of
 * budgets, not after the backlog. Counted in lines, not in time.
 */
static void
test_backlog_fairness(void **state)
{
	struct tail_options	 o = { .partial_flush_ms = 60000 };
	struct ctx		*c;
	struct event		*ev;
	const int		 nlines = 1000 * 1000, linelen = 9;
	const size_t		 budget = 256 * 1024;
	char			*flood = malloc((size_t)nlines * linelen + 1);
	int			 sv[2], bound;

	o.read_budget = budget;
	c = setup_with(&o);
	for (int i = 0; i < nlines; i++)
		snprintf(flood + (size_t)i * linelen, linelen + 1, "l%07d\n",
		    i);
	put(c, "busy", flood, 0);
	free(flood);
	add(c, "b", "quiet", 0);
	assert_int_equal(pipe(sv), 0);
	served_fd = sv[1];
	ev = event_new(c->base, sv[0], EV_READ, on_served, c);
	event_add(ev, NULL);
	/* The fatal line and the request come while the backlog is read. */
	trigger_at = 100 * 1000;
	trigger = append_fatal;
	add(c, "a", "busy", 1);	/* reads one budget, then defers */
	for (int i = 0; i < 3000 && c->got.total < nlines + 1; i++)
		pump(c, 10);
	trigger = NULL;
	assert_int_equal(c->got.total, nlines + 1);
	/* Within a few budgets (each about budget/linelen lines). */
	bound = trigger_at + 8 * (int)(budget / linelen);
	assert_true(c->got.first_b > trigger_at && c->got.first_b < bound);
	assert_true(served_at > trigger_at && served_at < bound);
	event_free(ev);
	close(sv[0]);
	close(sv[1]);
	teardown(c);
}

static void
append_fatal(void *arg)
{
	struct ctx	*c = arg;

	append(c, "quiet", "FATAL 401\n");
	assert_int_equal(write(served_fd, "status\n", 7), 7);
}

static void
test_overflow(void **state)
{
	struct ctx	*c = setup();
	FILE		*fp;
	int		 max = 16384, fa, fb, i;
	unsigned long	 warned = log_count_warnings();

	if ((fp = fopen("/proc/sys/fs/inotify/max_queued_events", "r"))) {
		if (fscanf(fp, "%d", &max) != 1)
			max = 16384;
		fclose(fp);
	}
	if (max > 200000) {
		teardown(c);
		skip();
	}
	add(c, "a", "a", 0);
	add(c, "b", "b", 0);
	fa = open(path(c, "a"), O_WRONLY | O_CREAT | O_APPEND, 0644);
	fb = open(path(c, "b"), O_WRONLY | O_CREAT | O_APPEND, 0644);
	pump(c, 20);
	/* Alternating files: inotify cannot merge the events. */
	for (i = 0; i < max / 2 + 100; i++) {
		assert_int_equal(write(fa, "a", 1), 1);
		assert_int_equal(write(fb, "b", 1), 1);
	}
	assert_int_equal(write(fa, "\n", 1), 1);
	assert_int_equal(write(fb, "\n", 1), 1);
	close(fa);
	close(fb);
	wait_lines(c, 2);
	assert_true(log_count_warnings() > warned);
	assert_int_equal(strlen(c->got.line[0]), max / 2 + 100);
	teardown(c);
}

static void
test_drain_flushes(void **state)
{
	struct ctx	*c = setup();

	add(c, "a", "log", 0);
	append(c, "log", "whole\nhalf");
	tail_drain(c->tail);
	assert_int_equal(c->got.n, 2);
	expect(c, 0, "whole", 0);
	expect(c, 1, "half", LINES_UNTERMINATED);
	teardown(c);
}

/* Many files, each its own stream, each in order. */
static void
test_many_files(void **state)
{
	struct ctx	*c = setup();
	char		 rel[16], line[32];
	int		 next[26] = { 0 };

	for (int k = 0; k < 26; k++) {
		snprintf(rel, sizeof rel, "%c.log", 'a' + k);
		add(c, rel, rel, 0);
	}
	for (int i = 0; i < 20; i++)
		for (int k = 0; k < 26; k++) {
			snprintf(rel, sizeof rel, "%c.log", 'a' + k);
			snprintf(line, sizeof line, "%d\n", i);
			append(c, rel, line);
		}
	wait_lines(c, 26 * 20);
	for (int i = 0; i < c->got.n; i++) {
		int k = c->got.who[i] - 'a';

		assert_int_equal(atoi(c->got.line[i]), next[k]);
		next[k]++;
	}
	teardown(c);
}

static void
test_bad_arguments(void **state)
{
	struct ctx	*c = setup();

	assert_null(tail_add(c->tail, "x", "", 0, on_line, c));
	assert_null(tail_add(c->tail, "x", "/tmp/", 0, on_line, c));
	assert_null(tail_add(c->tail, "x", "/tmp/x", 0, NULL, c));
	teardown(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_late_creation),
		cmocka_unit_test(test_ancestor_rename_into_place),
		cmocka_unit_test(test_existing_from_end),
		cmocka_unit_test(test_rename_rotation),
		cmocka_unit_test(test_rotation_split_line),
		cmocka_unit_test(test_truncate_shrink),
		cmocka_unit_test(test_truncate_nul_run),
		cmocka_unit_test(test_rewritten_in_place),
		cmocka_unit_test(test_delete_recreate),
		cmocka_unit_test(test_symlink_refused),
		cmocka_unit_test(test_reader_permissions),
		cmocka_unit_test(test_foreign_dir_link),
		cmocka_unit_test(test_sparse_hole),
		cmocka_unit_test(test_partial_flush),
		cmocka_unit_test(test_crlf_and_long),
		cmocka_unit_test(test_poll_backend),
		cmocka_unit_test(test_not_readable),
		cmocka_unit_test(test_budget_fairness),
		cmocka_unit_test(test_backlog_fairness),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_drain_flushes),
		cmocka_unit_test(test_many_files),
		cmocka_unit_test(test_bad_arguments),
	};

	log_init("test_tail", LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
