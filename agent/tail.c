/*
 * Following files live, through every way a log file changes on a runner.
 *
 * Events are only wake-ups: every decision is taken by tail_file_check(),
 * which looks at the file as it is now (fstat of the descriptor, stat of the
 * path, the bytes just before our offset). So a lost or coalesced inotify
 * event, a queue overflow or the polling backend all end up in the same,
 * tested code path, and the slow reconcile timer is a complete safety net.
 *
 * Per file we hold: the descriptor we read (kept across renames and
 * deletions until it is drained), possibly the next file found at the path
 * (opened at once, so it cannot be rotated away unseen), an inotify watch on
 * each of those inodes, and a watch on the nearest existing directory of the
 * path, so that creation is seen the moment it happens.
 *
 * The byte stream of a path is treated as one stream across rotations: a
 * line split by a rename is joined, unless bytes were lost in between, in
 * which case the held part is dropped and counted (see docs/tailer.md).
 */
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "file.h"
#include "lines.h"
#include "log.h"
#include "tail.h"
#include "xalloc.h"

#define TAIL_RECONCILE_MS	1000
#define TAIL_RECONCILE_MAX_MS	16000	/* backed off to, while all is quiet */
#define TAIL_POLL_MS		250
#define TAIL_FLUSH_MS		500
#define TAIL_BUDGET		(256 * 1024)
#define TAIL_CHUNK		(64 * 1024)
#define TAIL_MARK		64	/* bytes before the offset we compare */

#define TAIL_DIR_MASK	(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | \
			 IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | \
			 IN_MOVE_SELF | IN_ONLYDIR)
#define TAIL_FILE_MASK	(IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | \
			 IN_DELETE_SELF)

struct tail_file {
	TAILQ_ENTRY(tail_file)	 entry;
	struct tail		*t;
	char			*name;
	char			*path;
	char			*pdir;		/* the path's directory... */
	char			*base;		/* ...and its last component */
	tail_line_cb		 cb;
	void			*arg;

	int			 fd;		/* the file we read */
	dev_t			 dev;
	ino_t			 ino;
	uint64_t		 offset;
	uint64_t		 seen_size;	/* size at the last fstat */
	struct timespec		 seen_mtime;
	struct timespec		 seen_ctime;
	char			 mark[TAIL_MARK];
	size_t			 mark_len;
	int			 at_end;	/* existed at tail_add: first
						   open reads from the end */

	int			 next_fd;	/* a newer file at the path */
	dev_t			 next_dev;
	ino_t			 next_ino;

	/* After a restart at 0: skipping a NUL run, loss not yet known. */
	int			 restart;
	uint64_t		 restart_base;	/* end of what we knew existed */
	uint64_t		 restart_lost;	/* known lost at the restart */
	uint64_t		 nul_run;

	int			 wd_file;
	int			 wd_next;
	int			 wd_dir;
	char			*dir;		/* the directory watched */
	char			*want;		/* the entry of it we wait for */
	int			 dir_is_parent;
	int			 dirty;		/* an event asks for a check */
	int			 warned;	/* open/read failure reported */
	int			 refusing;	/* refusal counted and logged */
	int			 after_hole;	/* NULs next are the hole's */

	struct lines		*lines;
	struct event		*more_ev;	/* budget spent: continue */
	struct event		*flush_ev;	/* partial line timeout */
	struct tail_file_stats	 st;
};

struct tail {
	struct event_base	*base;
	struct tail_options	 opt;
	struct file_cred	 reader;	/* whose permissions we keep */
	int			 polling;
	int			 ifd;
	struct event		*iev;
	struct event		*reconcile_ev;
	unsigned		 reconcile_cur;	/* ms, doubles while quiet */
	int			 activity;	/* since the last reconcile */
	struct event		*poll_ev;
	char			*buf;
	TAILQ_HEAD(, tail_file)	 files;
};

static size_t	tail_file_check(struct tail_file *, size_t);
static void	tail_file_watch_dir(struct tail_file *);
static void	tail_reconcile_wake(struct tail *);

static struct timeval
tail_ms(unsigned ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/* ---- watches ---------------------------------------------------------- */

static int
tail_file_uses(const struct tail_file *f, int wd)
{
	return f->wd_file == wd || f->wd_next == wd || f->wd_dir == wd;
}

/* Remove a watch nobody references any more (callers clear theirs first). */
static void
tail_watch_release(struct tail *t, int wd)
{
	struct tail_file	*f;

	if (wd == -1 || t->ifd == -1)
		return;
	/* inotify gives one watch per inode: others may share it. */
	TAILQ_FOREACH(f, &t->files, entry)
		if (tail_file_uses(f, wd))
			return;
	inotify_rm_watch(t->ifd, wd);
}

static void
tail_poll_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct tail		*t = arg;
	struct tail_file	*f;

	TAILQ_FOREACH(f, &t->files, entry)
		tail_file_check(f, t->opt.read_budget);
}

/*
 * No inotify (not compiled in, not permitted, or out of watches): stat
 * every file on a timer instead. Slower to notice, never wrong.
 */
static void
tail_use_poll(struct tail *t, const char *why)
{
	struct tail_file	*f;
	struct timeval		 tv = tail_ms(t->opt.poll_ms);

	if (t->polling)
		return;
	log_warnx("tail: %s: falling back to polling every %u ms", why,
	    t->opt.poll_ms);
	t->polling = 1;
	if (t->iev != NULL)
		event_del(t->iev);	/* freed by tail_free: we may be in it */
	if (t->ifd != -1)
		close(t->ifd);
	t->ifd = -1;
	TAILQ_FOREACH(f, &t->files, entry)
		f->wd_file = f->wd_next = f->wd_dir = -1;
	if (t->reconcile_ev != NULL)
		event_del(t->reconcile_ev);
	t->poll_ev = event_new(t->base, -1, EV_PERSIST, tail_poll_cb, t);
	event_add(t->poll_ev, &tv);
}

static int
tail_watch_add(struct tail *t, const char *path, uint32_t mask)
{
	int	wd;

	if (t->ifd == -1)
		return -1;
	if ((wd = inotify_add_watch(t->ifd, path, mask)) != -1)
		return wd;
	if (errno == ENOSPC)
		tail_use_poll(t, "inotify watch limit reached "
		    "(fs.inotify.max_user_watches)");
	return -1;
}

/* Watch the inode we hold open, whatever its path has become since. */
static int
tail_watch_fd(struct tail *t, int fd)
{
	char	proc[64];

	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	return tail_watch_add(t, proc, TAIL_FILE_MASK);
}

/* ---- opening and identity --------------------------------------------- */

/* Something is at the path that we will not read: counted once a time. */
static void
tail_file_refuse(struct tail_file *f, const char *why)
{
	if (!f->refusing) {
		f->st.refused++;
		log_warnx("tail: %s: refusing %s: %s (will look again)",
		    f->name, f->path, why);
	}
	f->refusing = 1;
}

static void
tail_file_open_failed(struct tail_file *f)
{
	if (!f->warned)
		log_warn("tail: %s: cannot open %s (will retry)", f->name,
		    f->path);
	f->warned = 1;
	f->st.read_errors++;
}

/*
 * May we read this file with rights the job's user may not have? Yes if
 * that user could read it too (the file, and every directory actually
 * traversed). Otherwise only a third account's file where that account
 * put it (Squid's log, read with CAP_DAC_READ_SEARCH): not root's, not
 * reached through any symbolic link, one hard link. So no link the job
 * makes, and no root file it moves into place, lends it our privilege.
 */
static int
tail_file_permitted(const struct tail_file *f, int dfd,
    const struct stat *st, int linked)
{
	const struct file_cred	*r = &f->t->reader;

	if (file_cred_may_read(r, st) && file_cred_may_reach(r, dfd))
		return 1;
	return !linked && st->st_nlink == 1 && st->st_uid != 0 &&
	    st->st_uid != r->uid;
}

/*
 * The caller's errno tells why not: ENOENT while the file does not exist.
 * The file is opened from its directory's descriptor (file_open_read: no
 * link as the last component, regular files only, O_NONBLOCK so a FIFO
 * cannot hang the loop), and judged by tail_file_permitted().
 */
static int
tail_file_open(struct tail_file *f, struct stat *st)
{
	int	dfd, fd, saved, linked = 0;

	/* Links in the directories: only root's or the reader's own. */
	if ((dfd = file_open_dir(f->pdir, f->t->reader.uid, &linked)) == -1) {
		if (errno == EPERM || errno == ELOOP) {
			saved = errno;
			tail_file_refuse(f, saved == EPERM ? "a directory on "
			    "its path is a symbolic link of another user" :
			    file_why(saved));
			errno = saved;
		} else if (errno != ENOENT && errno != ENOTDIR) {
			saved = errno;
			tail_file_open_failed(f);
			errno = saved;
		}
		return -1;
	}
	if ((fd = file_open_read(dfd, f->base, 0, st)) == -1) {
		saved = errno;
		if (saved == ELOOP || saved == EISDIR || saved == EINVAL)
			tail_file_refuse(f, file_why(saved));
		else if (saved != ENOENT && saved != ENOTDIR)
			tail_file_open_failed(f);
		close(dfd);
		errno = saved;
		return -1;
	}
	if (!tail_file_permitted(f, dfd, st, linked)) {
		tail_file_refuse(f, "the user who runs the job could not "
		    "read it");
		close(fd);
		close(dfd);
		errno = EACCES;
		return -1;
	}
	close(dfd);
	f->warned = 0;
	f->refusing = 0;
	return fd;
}

/* Remember the last bytes read, to recognise this content later. */
static void
tail_file_mark(struct tail_file *f, const char *p, size_t n)
{
	size_t	keep;

	if (n >= TAIL_MARK) {
		memcpy(f->mark, p + n - TAIL_MARK, TAIL_MARK);
		f->mark_len = TAIL_MARK;
		return;
	}
	keep = f->mark_len < TAIL_MARK - n ? f->mark_len : TAIL_MARK - n;
	memmove(f->mark, f->mark + f->mark_len - keep, keep);
	memcpy(f->mark + keep, p, n);
	f->mark_len = keep + n;
}

static void
tail_file_seen(struct tail_file *f, const struct stat *st)
{
	f->seen_size = (uint64_t)st->st_size;
	f->seen_mtime = st->st_mtim;
	f->seen_ctime = st->st_ctim;
}

/*
 * From offset 0 the file may begin with the run of NUL bytes that a writer
 * without O_APPEND leaves after a truncation; its length tells how far the
 * writer had got, so how much we missed. Decided in tail_file_settle().
 */
static void
tail_file_begin(struct tail_file *f, uint64_t base, uint64_t lost)
{
	f->offset = 0;
	f->mark_len = 0;
	f->restart = 1;
	f->restart_base = base;
	f->restart_lost = lost;
	f->nul_run = 0;
}

/* Make `fd` the file we read, at `offset`. */
static void
tail_file_set(struct tail_file *f, int fd, const struct stat *st,
    uint64_t offset)
{
	char	tmp[TAIL_MARK];
	ssize_t	n;
	size_t	want;

	f->fd = fd;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->after_hole = 0;
	tail_file_seen(f, st);
	if (offset == 0) {
		tail_file_begin(f, 0, 0);
		return;
	}
	f->offset = offset;
	f->restart = 0;
	f->mark_len = 0;
	if (lseek(fd, (off_t)offset, SEEK_SET) == -1)
		log_warn("tail: %s: lseek", f->name);
	want = offset < TAIL_MARK ? (size_t)offset : TAIL_MARK;
	n = pread(fd, tmp, want, (off_t)(offset - want));
	if (n == (ssize_t)want)
		tail_file_mark(f, tmp, want);
}

/* The path has (re)appeared while we hold nothing: read it. */
static void
tail_file_appear(struct tail_file *f)
{
	struct stat	st;
	int		fd;

	if ((fd = tail_file_open(f, &st)) == -1) {
		if (errno == ENOENT)
			f->at_end = 0;	/* whatever comes next is new */
		return;
	}
	/* Only the file that existed when we started is read from its end. */
	if (st.st_dev != f->dev || st.st_ino != f->ino)
		f->at_end = 0;
	tail_file_set(f, fd, &st, f->at_end ? (uint64_t)st.st_size : 0);
	f->at_end = 0;
	f->wd_file = tail_watch_fd(f->t, fd);
	log_debug("tail: %s: following %s from offset %" PRIu64, f->name,
	    f->path, f->offset);
}

/* Is a different file at the path now (rename, re-creation, symlink)? */
static void
tail_file_probe(struct tail_file *f)
{
	struct stat	st;
	int		fd;

	/* lstat: a link put at the path is a new file, and then refused. */
	if (lstat(f->path, &st) == -1) {
		/* Gone: keep draining what we hold; it may come back. */
		return;
	}
	if (st.st_dev == f->dev && st.st_ino == f->ino)
		return;
	if ((fd = tail_file_open(f, &st)) == -1)
		return;
	if (st.st_dev == f->dev && st.st_ino == f->ino) {
		close(fd);	/* it was renamed back between the calls */
		return;
	}
	f->next_fd = fd;
	f->next_dev = st.st_dev;
	f->next_ino = st.st_ino;
	f->wd_next = tail_watch_fd(f->t, fd);
	log_debug("tail: %s: a new file is at %s", f->name, f->path);
}

/*
 * Leave the old file for the new one only once the old one is drained and
 * the writer has started on the new one (or moved past it): an engine that
 * keeps writing into its renamed log until it reopens is still followed,
 * in order.
 */
static int
tail_file_switchable(const struct tail_file *f)
{
	struct stat	st;

	if (f->next_fd == -1 || fstat(f->next_fd, &st) == -1)
		return 0;
	if (st.st_size > 0)
		return 1;
	/* Still empty, but itself replaced already: the writer is past it. */
	if (lstat(f->path, &st) == -1)
		return 0;
	return st.st_dev != f->next_dev || st.st_ino != f->next_ino;
}

static void
tail_file_switch(struct tail_file *f)
{
	struct stat	st;
	int		wd = f->wd_file;

	if (fstat(f->next_fd, &st) == -1)
		memset(&st, 0, sizeof st);
	log_info("tail: %s: %s was rotated or replaced: following the new "
	    "file from its start", f->name, f->path);
	f->wd_file = -1;
	tail_watch_release(f->t, wd);
	close(f->fd);
	f->st.rotations++;
	tail_file_set(f, f->next_fd, &st, 0);
	f->wd_file = f->wd_next;
	f->next_fd = -1;
	f->wd_next = -1;
}

/* ---- truncation --------------------------------------------------------- */

static int
tail_ts_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Are the bytes just before our offset still the ones we read there? */
static int
tail_file_mark_ok(struct tail_file *f)
{
	char	tmp[TAIL_MARK];
	ssize_t	n;

	n = pread(f->fd, tmp, f->mark_len, (off_t)(f->offset - f->mark_len));
	return n == (ssize_t)f->mark_len && memcmp(tmp, f->mark,
	    f->mark_len) == 0;
}

/*
 * Has the content we read been replaced in place? Shorter than our offset
 * (copytruncate, `>`), or the bytes just before our offset differ (the file
 * was truncated and rewritten past us, or the inode was reused).
 */
static int
tail_file_rewritten(struct tail_file *f, const struct stat *st)
{
	if ((uint64_t)st->st_size < f->offset)
		return 1;
	if (f->mark_len == 0)
		return 0;
	/* Unchanged since we last looked: spare the idle loop a pread. */
	if ((uint64_t)st->st_size == f->seen_size &&
	    tail_ts_eq(&st->st_mtim, &f->seen_mtime) &&
	    tail_ts_eq(&st->st_ctim, &f->seen_ctime))
		return 0;
	return !tail_file_mark_ok(f);
}

static void
tail_file_restart(struct tail_file *f, const struct stat *st)
{
	uint64_t	known, carry = 0;

	/* Truncated again before the last loss was known: keep that too. */
	if (f->restart) {
		carry = f->restart_lost;
		if (f->nul_run > f->restart_base)
			carry += f->nul_run - f->restart_base;
	}
	/* What we saw existing but had not read yet is gone for sure. */
	known = f->seen_size > f->offset ? f->seen_size : f->offset;
	log_warnx("tail: %s: %s was truncated or rewritten (read offset %"
	    PRIu64 ", size now %lld): reading it again from the start",
	    f->name, f->path, f->offset, (long long)st->st_size);
	f->st.truncations++;
	if (lseek(f->fd, 0, SEEK_SET) == -1)
		log_warn("tail: %s: lseek", f->name);
	tail_file_begin(f, known, known - f->offset + carry);
	tail_file_seen(f, st);
}

static void
tail_file_verify(struct tail_file *f)
{
	struct stat	st;

	if (fstat(f->fd, &st) == -1)
		return;
	if (tail_file_rewritten(f, &st))
		tail_file_restart(f, &st);
	else
		tail_file_seen(f, &st);
}

/*
 * The first byte after a restart has arrived at offset nul_run: now we
 * know what was lost. Nothing lost means the stream simply continues (a
 * held partial line is completed by what follows); otherwise the held
 * part can never be completed and is dropped, and all of it is counted.
 */
static void
tail_file_settle(struct tail_file *f)
{
	uint64_t	lost = f->restart_lost;
	size_t		held;

	f->restart = 0;
	if (f->nul_run > f->restart_base)
		lost += f->nul_run - f->restart_base;
	if (lost == 0)
		return;
	if ((held = lines_pending(f->lines)) > 0) {
		f->st.lost_lines++;
		lost += held;
	}
	lines_reset(f->lines);
	f->st.lost_bytes += lost;
	log_warnx("tail: %s: %" PRIu64 " bytes of %s were lost (truncated "
	    "away before they could be read)", f->name, lost, f->path);
}

/* ---- reading ------------------------------------------------------------ */

/*
 * Said at the 1st, 2nd, 4th, 8th... cut line of a file: an engine that
 * prints nothing but long lines is told of, and cannot flood our log.
 */
static void
tail_file_long_line(struct tail_file *f)
{
	struct lines_stats	ls;

	lines_get_stats(f->lines, &ls);
	if ((ls.truncated & (ls.truncated - 1)) != 0)
		return;
	log_warnx("tail: %s: a line of %s was longer than %zu bytes: its head "
	    "was matched, the rest skipped (%" PRIu64 " such line%s so far)",
	    f->name, f->path, f->t->opt.max_line, ls.truncated,
	    ls.truncated == 1 ? "" : "s");
}

static void
tail_file_line(const char *line, size_t len, int flags, void *arg)
{
	struct tail_file	*f = arg;

	f->st.lines++;
	if (flags & LINES_TRUNCATED)
		tail_file_long_line(f);
	f->cb(f, line, len, flags, f->arg);
}

static void
tail_file_consume(struct tail_file *f, const char *p, size_t n)
{
	size_t	skip = 0;

	f->offset += n;
	f->st.bytes += n;
	tail_file_mark(f, p, n);
	if (f->restart) {
		while (skip < n && p[skip] == '\0')
			skip++;
		f->nul_run += skip;
		f->st.nul_bytes += skip;
		if (skip == n)
			return;
		tail_file_settle(f);
	}
	lines_feed(f->lines, p + skip, n - skip, tail_file_line, f);
}

/*
 * The file was truncated and rewritten while we were reading it: what we
 * just read may be the new content (the NUL run, say) at our old offset.
 * Never deliver it as a continuation of the old one: count it unread and
 * start again from the head.
 */
static void
tail_file_reread(struct tail_file *f)
{
	struct stat	st;

	if (fstat(f->fd, &st) == -1)
		memset(&st, 0, sizeof st);
	tail_file_restart(f, &st);
}

/*
 * A hole of a sparse file reads as NUL bytes: skipped without reading it
 * (SEEK_DATA), so `truncate -s 10G` costs nothing and the line after the
 * hole is read at once. After a restart the hole is the NUL run a writer
 * without O_APPEND leaves (counted there, as if read); elsewhere it ends a
 * held partial line, which is delivered as it is.
 */
static void
tail_file_hole(struct tail_file *f, uint64_t n)
{
	static const char	zeros[TAIL_MARK];

	f->offset += n;
	f->st.hole_bytes += n;
	tail_file_mark(f, zeros, n < TAIL_MARK ? (size_t)n : TAIL_MARK);
	if (f->restart) {
		f->nul_run += n;
		f->st.nul_bytes += n;
	} else if (lines_pending(f->lines) > 0) {
		/* Delivered as it is; what follows the hole starts anew. */
		lines_flush(f->lines, tail_file_line, f);
		lines_reset(f->lines);
	}
}

/*
 * 1 when a hole at the offset was skipped (or the file was found rewritten
 * and restarted); -1 when only a hole follows for now: nothing to read
 * until data comes after it (SEEK_DATA finds it then), so a file that ends
 * in a hole is never read. Else 0, and `*lim` is how much data there is
 * before the next hole (UINT64_MAX: no hole ahead), so that a read never
 * runs into one.
 */
static int
tail_file_skip_hole(struct tail_file *f, uint64_t *lim)
{
	struct stat	st;
	off_t		data, hole;

	*lim = UINT64_MAX;
	/* Fully allocated (the usual case): no hole to look for. */
	if (fstat(f->fd, &st) == -1 || (uint64_t)st.st_size <= f->offset ||
	    (uint64_t)st.st_blocks * 512 >= (uint64_t)st.st_size)
		return 0;
	data = lseek(f->fd, (off_t)f->offset, SEEK_DATA);
	if (data == -1 && errno == ENXIO) {
		lseek(f->fd, (off_t)f->offset, SEEK_SET);
		return -1;
	}
	if (data == -1)
		return 0;	/* no SEEK_DATA here: read the zeros */
	if ((uint64_t)data > f->offset) {
		/* As after a read: a truncation may have overtaken us. */
		if (f->mark_len > 0 && !tail_file_mark_ok(f)) {
			tail_file_reread(f);
			return 1;
		}
		tail_file_hole(f, (uint64_t)data - f->offset);
		f->after_hole = 1;
		return 1;	/* SEEK_DATA left the position at `data` */
	}
	hole = lseek(f->fd, (off_t)f->offset, SEEK_HOLE);
	if (hole > (off_t)f->offset && hole < st.st_size)
		*lim = (uint64_t)hole - f->offset;
	lseek(f->fd, (off_t)f->offset, SEEK_SET);
	return 0;
}

/*
 * Data blocks are whole blocks: the NULs that end the one before a hole,
 * and those that begin the one after it, are the hole's, not a line's.
 * Delivers `n` bytes just read, `lim` being the data left before a hole.
 */
static void
tail_file_take(struct tail_file *f, const char *p, size_t n, uint64_t lim)
{
	size_t	lead = 0, z = 0;

	if (f->after_hole) {
		while (lead < n && p[lead] == '\0')
			lead++;
		if (lead > 0)
			tail_file_hole(f, lead);
		f->after_hole = lead == n;
	}
	if ((uint64_t)n == lim)
		while (z < n - lead && p[n - 1 - z] == '\0')
			z++;
	tail_file_consume(f, p + lead, n - lead - z);
	if (z > 0) {
		tail_file_hole(f, z);
		f->after_hole = 1;
	}
}

/*
 * Read until EOF (1) or until the budget is spent (0). Each read is checked
 * against the bytes before it, after the fact: a check made only before
 * reading would miss a truncation that lands in between.
 */
static int
tail_file_read(struct tail_file *f, size_t *budget, size_t *got)
{
	uint64_t lim;
	ssize_t	 n;
	size_t	 want;
	int	 hole;

	while (*budget > 0) {
		if ((hole = tail_file_skip_hole(f, &lim)) == -1)
			return 1;	/* only a hole after us, for now */
		if (hole == 1)
			continue;
		/* The least of the budget, a chunk, and the data left. */
		want = lim < TAIL_CHUNK ? (size_t)lim : TAIL_CHUNK;
		if (*budget < want)
			want = *budget;
		n = read(f->fd, f->t->buf, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			if (!f->warned)
				log_warn("tail: %s: read %s", f->name,
				    f->path);
			f->warned = 1;
			f->st.read_errors++;
			return 1;
		}
		if (n == 0)
			return 1;
		*budget -= (size_t)n;
		if (f->mark_len > 0 && !tail_file_mark_ok(f)) {
			tail_file_reread(f);
			continue;
		}
		*got += (size_t)n;
		tail_file_take(f, f->t->buf, (size_t)n, lim);
	}
	return 0;
}

static void
tail_file_arm_flush(struct tail_file *f, size_t got)
{
	struct timeval	tv = tail_ms(f->t->opt.partial_flush_ms);

	if (lines_pending(f->lines) == 0)
		event_del(f->flush_ev);
	else if (got > 0)
		event_add(f->flush_ev, &tv);	/* counts from the last byte */
}

/*
 * Bring one file up to date, reading at most `budget` bytes; the rest is
 * left to a zero timeout. Not event_active(): libevent runs an event made
 * active from a callback in the same loop pass, so a backlog would be read
 * to its end before epoll is asked again, and the control socket, the
 * other sources and the timers would all wait (review F8). A timer is
 * only looked at after the next epoll_wait: one budget per file per pass.
 */
static size_t
tail_file_check(struct tail_file *f, size_t budget)
{
	static const struct timeval	now = { 0, 0 };
	size_t				got = 0;

	f->dirty = 0;
	if (f->fd == -1)
		tail_file_appear(f);
	if (f->fd == -1)
		return 0;
	tail_file_verify(f);
	if (f->next_fd == -1)
		tail_file_probe(f);
	for (;;) {
		if (!tail_file_read(f, &budget, &got)) {
			event_add(f->more_ev, &now);
			break;
		}
		if (!tail_file_switchable(f))
			break;
		tail_file_switch(f);
	}
	tail_file_arm_flush(f, got);
	return got;
}

static void
tail_file_more_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct tail_file	*f = arg;

	tail_file_check(f, f->t->opt.read_budget);
}

/* The writer stopped mid-line: deliver the part we hold, once. */
static void
tail_file_flush_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct tail_file	*f = arg;

	/* Bytes may be waiting whose event we have not processed yet. */
	if (tail_file_check(f, f->t->opt.read_budget) > 0)
		return;
	lines_flush(f->lines, tail_file_line, f);
}

/* ---- inotify ------------------------------------------------------------ */

/*
 * The component of `path` right below `dir` ("gh-aw" for /tmp/gh-aw/x/log
 * under /tmp): the only name in that directory whose events matter. A busy
 * ancestor such as /tmp must not cost us a look at every temporary file.
 */
static char *
tail_path_child(const char *path, const char *dir)
{
	const char	*rest = path;
	size_t		 n = strlen(dir);

	if (strcmp(dir, ".") != 0) {
		if (strncmp(path, dir, n) != 0)
			return xstrdup("");
		rest = path + n;
	}
	while (*rest == '/')
		rest++;
	return xstrndup(rest, strcspn(rest, "/"));
}

/*
 * Watch the file's directory or, while that does not exist, its nearest
 * existing ancestor; called again whenever that ancestor changes. After a
 * watch is placed we look again, so that a directory created in between
 * is not missed.
 */
static void
tail_file_watch_dir(struct tail_file *f)
{
	char	*dir = xstrdup(f->path), *slash;
	int	 wd = -1, parent = 1, old;

	while (wd == -1 && f->t->ifd != -1) {
		if ((slash = strrchr(dir, '/')) == NULL) {
			free(dir);
			dir = xstrdup(".");
		} else if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		wd = tail_watch_add(f->t, dir, TAIL_DIR_MASK);
		if (wd == -1 && (strcmp(dir, "/") == 0 ||
		    strcmp(dir, ".") == 0))
			break;
		if (wd == -1)
			parent = 0;
	}
	old = f->wd_dir;
	f->wd_dir = wd;
	if (old != wd)
		tail_watch_release(f->t, old);
	free(f->dir);
	f->dir = dir;
	f->dir_is_parent = parent && wd != -1;
	free(f->want);
	f->want = tail_path_child(f->path, dir);
}

static void
tail_dir_settle(struct tail_file *f)
{
	char	*was = NULL;
	int	 i;

	/* Bounded: each round can only move the watch deeper. */
	for (i = 0; i < 64 && !f->dir_is_parent && f->t->ifd != -1; i++) {
		free(was);
		was = f->dir != NULL ? xstrdup(f->dir) : NULL;
		tail_file_watch_dir(f);
		if (was != NULL && f->dir != NULL && strcmp(was, f->dir) == 0)
			break;
	}
	free(was);
}

static void
tail_inotify_event(struct tail *t, const struct inotify_event *ev)
{
	struct tail_file	*f;

	TAILQ_FOREACH(f, &t->files, entry) {
		if (ev->mask & IN_Q_OVERFLOW) {
			/* Events were lost: trust none, look at all. */
			f->dirty = 1;
			if (!f->dir_is_parent)
				tail_dir_settle(f);
			continue;
		}
		if (!tail_file_uses(f, ev->wd))
			continue;
		if (ev->mask & IN_IGNORED) {
			/* The kernel dropped the watch (inode gone). */
			if (f->wd_file == ev->wd)
				f->wd_file = -1;
			if (f->wd_next == ev->wd)
				f->wd_next = -1;
			if (f->wd_dir == ev->wd) {
				f->wd_dir = -1;
				f->dir_is_parent = 0;
				tail_dir_settle(f);
			}
		} else if (ev->wd == f->wd_dir) {
			if (ev->len > 0 && *f->want != '\0' &&
			    strcmp(ev->name, f->want) != 0)
				continue;	/* another entry of the dir */
			if (!f->dir_is_parent ||
			    (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))) {
				f->dir_is_parent = 0;
				tail_dir_settle(f);
			}
		}
		f->dirty = 1;
	}
}

static void
tail_inotify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tail		*t = arg;
	struct tail_file	*f;
	const struct inotify_event *ev;
	ssize_t			 n;
	char			*p;

	while (t->ifd != -1) {
		n = read(t->ifd, t->buf, TAIL_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (p = t->buf; p < t->buf + n;
		    p += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)(void *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				log_warnx("tail: inotify queue overflowed: "
				    "looking at every file again");
			tail_inotify_event(t, ev);
		}
	}
	/* One check per file however many events it had. */
	TAILQ_FOREACH(f, &t->files, entry) {
		if (!f->dirty)
			continue;	/* noise in a watched ancestor */
		tail_reconcile_wake(t);
		tail_file_check(f, t->opt.read_budget);
	}
}

static void
tail_reconcile_arm(struct tail *t, unsigned ms)
{
	struct timeval	tv = tail_ms(ms);

	t->reconcile_cur = ms;
	event_add(t->reconcile_ev, &tv);
}

/*
 * Something happened: lost events are most likely now (a burst can
 * overflow the queue), so bring the safety net back to its fastest.
 */
static void
tail_reconcile_wake(struct tail *t)
{
	t->activity = 1;
	if (t->reconcile_ev != NULL && t->reconcile_cur > t->opt.reconcile_ms)
		tail_reconcile_arm(t, t->opt.reconcile_ms);
}

/*
 * The safety net for anything events did not tell us. Every wake-up costs
 * CPU, so while nothing at all happens the interval doubles up to a limit:
 * two idle files cost a few wake-ups a minute, not sixty.
 */
static void
tail_reconcile_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tail		*t = arg;
	struct tail_file	*f;
	unsigned		 next;

	TAILQ_FOREACH(f, &t->files, entry) {
		if (t->ifd != -1 && !f->dir_is_parent)
			tail_dir_settle(f);
		if (t->ifd != -1 && f->fd != -1 && f->wd_file == -1)
			f->wd_file = tail_watch_fd(t, f->fd);
		if (tail_file_check(f, t->opt.read_budget) > 0)
			t->activity = 1;
	}
	if (t->polling)
		return;
	next = t->activity ? t->opt.reconcile_ms : t->reconcile_cur * 2;
	if (next > TAIL_RECONCILE_MAX_MS)
		next = TAIL_RECONCILE_MAX_MS;
	if (next < t->opt.reconcile_ms)
		next = t->opt.reconcile_ms;
	t->activity = 0;
	tail_reconcile_arm(t, next);
}

/* ---- the public face ---------------------------------------------------- */

static void
tail_defaults(struct tail_options *o)
{
	if (o->max_line == 0)
		o->max_line = LINES_DEFAULT_MAX;
	if (o->reconcile_ms == 0)
		o->reconcile_ms = TAIL_RECONCILE_MS;
	if (o->reconcile_ms < 1000)
		o->reconcile_ms = 1000;	/* a safety net, not a poller */
	if (o->poll_ms == 0)
		o->poll_ms = TAIL_POLL_MS;
	if (o->partial_flush_ms == 0)
		o->partial_flush_ms = TAIL_FLUSH_MS;
	if (o->read_budget == 0)
		o->read_budget = TAIL_BUDGET;
}

struct tail *
tail_new(struct event_base *base, const struct tail_options *opt)
{
	struct tail	*t;
	struct timeval	 tv;

	t = xcalloc(1, sizeof *t);
	t->base = base;
	if (opt != NULL)
		t->opt = *opt;
	tail_defaults(&t->opt);
	if (t->opt.reader != NULL)
		t->reader = *t->opt.reader;
	else
		file_cred_self(&t->reader);
	t->opt.reader = NULL;	/* copied: the caller's may go */
	t->buf = xmalloc(TAIL_CHUNK);
	t->ifd = -1;
	TAILQ_INIT(&t->files);
	if (t->opt.backend == TAIL_BACKEND_POLL) {
		t->polling = 1;
		tv = tail_ms(t->opt.poll_ms);
		t->poll_ev = event_new(base, -1, EV_PERSIST, tail_poll_cb, t);
		event_add(t->poll_ev, &tv);
		return t;
	}
	t->reconcile_ev = evtimer_new(base, tail_reconcile_cb, t);
	tail_reconcile_arm(t, t->opt.reconcile_ms);
	if ((t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		tail_use_poll(t, "inotify is unavailable");
		return t;
	}
	t->iev = event_new(base, t->ifd, EV_READ | EV_PERSIST,
	    tail_inotify_cb, t);
	event_add(t->iev, NULL);
	return t;
}

static void
tail_file_free(struct tail_file *f)
{
	if (f->fd != -1)
		close(f->fd);
	if (f->next_fd != -1)
		close(f->next_fd);
	event_free(f->more_ev);
	event_free(f->flush_ev);
	lines_free(f->lines);
	free(f->dir);
	free(f->want);
	free(f->name);
	free(f->path);
	free(f->pdir);
	free(f->base);
	free(f);
}

void
tail_free(struct tail *t)
{
	struct tail_file	*f;

	if (t == NULL)
		return;
	while ((f = TAILQ_FIRST(&t->files)) != NULL) {
		TAILQ_REMOVE(&t->files, f, entry);
		tail_file_free(f);
	}
	if (t->iev != NULL)
		event_free(t->iev);
	if (t->reconcile_ev != NULL)
		event_free(t->reconcile_ev);
	if (t->poll_ev != NULL)
		event_free(t->poll_ev);
	if (t->ifd != -1)
		close(t->ifd);
	free(t->buf);
	free(t);
}

/* "/a/b/log" -> "/a/b", "log"; "log" -> ".", "log"; "/log" -> "/", "log". */
static void
tail_split_path(const char *path, char **dir, char **base)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL) {
		*dir = xstrdup(".");
		*base = xstrdup(path);
		return;
	}
	*dir = slash == path ? xstrdup("/") :
	    xstrndup(path, (size_t)(slash - path));
	*base = xstrdup(slash + 1);
}

static struct tail_file *
tail_file_new(struct tail *t, const char *name, const char *path,
    tail_line_cb cb, void *arg)
{
	struct tail_file	*f;

	f = xcalloc(1, sizeof *f);
	f->t = t;
	f->name = xstrdup(name != NULL ? name : path);
	f->path = xstrdup(path);
	tail_split_path(path, &f->pdir, &f->base);
	f->cb = cb;
	f->arg = arg;
	f->fd = f->next_fd = -1;
	f->wd_file = f->wd_next = f->wd_dir = -1;
	f->lines = lines_new(t->opt.max_line);
	f->more_ev = event_new(t->base, -1, 0, tail_file_more_cb, f);
	f->flush_ev = evtimer_new(t->base, tail_file_flush_cb, f);
	return f;
}

struct tail_file *
tail_add(struct tail *t, const char *name, const char *path, int from_start,
    tail_line_cb cb, void *arg)
{
	struct tail_file	*f;
	struct stat		 st;

	if (t == NULL || path == NULL || *path == '\0' || cb == NULL ||
	    path[strlen(path) - 1] == '/') {
		log_warnx("tail: bad arguments for %s", path ? path : "(null)");
		return NULL;
	}
	f = tail_file_new(t, name, path, cb, arg);
	TAILQ_INSERT_TAIL(&t->files, f, entry);
	/* Watch the directory first: a file created now is not missed. */
	tail_dir_settle(f);
	if (!from_start && lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		f->at_end = 1;
		f->dev = st.st_dev;
		f->ino = st.st_ino;
	}
	tail_file_appear(f);
	if (f->fd == -1 && !f->at_end)
		log_debug("tail: %s: %s does not exist yet; waiting for it",
		    f->name, path);
	if (f->fd != -1)
		tail_file_check(f, t->opt.read_budget);
	return f;
}

const char *
tail_file_name(const struct tail_file *f)
{
	return f->name;
}

const char *
tail_file_path(const struct tail_file *f)
{
	return f->path;
}

int
tail_file_fd(const struct tail_file *f)
{
	return f->fd;
}

void
tail_file_get_stats(const struct tail_file *f, struct tail_file_stats *st)
{
	struct lines_stats	ls;
	struct stat		sb;

	*st = f->st;
	lines_get_stats(f->lines, &ls);
	st->open = f->fd != -1;
	st->offset = f->offset;
	st->long_lines = ls.truncated;
	st->skipped_bytes = ls.skipped_bytes;
	st->pending = 0;
	if (f->fd != -1 && fstat(f->fd, &sb) == 0 &&
	    (uint64_t)sb.st_size > f->offset)
		st->pending = (uint64_t)sb.st_size - f->offset;
	if (f->next_fd != -1 && fstat(f->next_fd, &sb) == 0)
		st->pending += (uint64_t)sb.st_size;
}

void
tail_drain(struct tail *t)
{
	struct tail_file	*f;
	size_t			 budget = SIZE_MAX / 2;

	TAILQ_FOREACH(f, &t->files, entry) {
		tail_file_check(f, budget);
		event_del(f->more_ev);
		lines_flush(f->lines, tail_file_line, f);
		event_del(f->flush_ev);
	}
}

enum tail_backend
tail_backend(const struct tail *t)
{
	return t->polling ? TAIL_BACKEND_POLL : TAIL_BACKEND_INOTIFY;
}
