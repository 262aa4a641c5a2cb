/*
 * The proof that a source's lines are this job's (see owner.h).
 *
 * /proc is read the way proc.c reads it: a process may vanish between
 * readdir and any read (ENOENT, ESRCH), or hide its fd table (EACCES: it
 * runs as another user and we lack CAP_SYS_PTRACE). The first is normal;
 * the second makes that process invisible, which is the trade-off
 * docs/hardening.md describes: a writer breaker cannot see cannot veto.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "log.h"
#include "owner.h"
#include "util.h"
#include "xalloc.h"

#define OWNER_CHECK_MS	100	/* identity checks while lines flow, at most */
#define OWNER_RESCAN_MS	1000	/* full scans while lines flow, at most */
#define OWNER_FRESH_MS	2000	/* a proof older than this is rescanned */
#define OWNER_BIRTH_SLACK 2.0	/* s: the file made just before the hook */

enum owner_kind {
	OWNER_NONE = 0,
	OWNER_WRITER,		/* a process of the job writes it */
	OWNER_AWF,		/* the job's own firewall writes it */
};

struct owner_src {
	enum owner_kind	 kind;
	int		 scanned_once;
	dev_t		 dev;		/* the file the proof is about */
	ino_t		 ino;
	pid_t		 pid;		/* the writer, or the job's awf */
	int		 pidfd;		/* its liveness; -1: by /proc */
	int		 fdnum;		/* the writer's descriptor; -1 */
	double		 checked;	/* monotonic s */
	double		 scanned;
	char		 why[OWNER_WHY_MAX];
	char		 said[OWNER_WHY_MAX + 32];	/* last logged */
};

struct owner {
	char			*tracking_id;
	struct proc_find_opts	 find;
	double			 job_started;
	struct owner_src	*src;
	size_t			 nsrc;
	pid_t			*pids;	/* every pid the last scan saw, sorted */
	size_t			 npids;
};

/* What one scan saw of one file. */
struct owner_seen {
	pid_t	job_writer;
	int	job_fd;
	uid_t	job_uid;
	pid_t	host_writer;	/* outside the job, our pid namespace */
	char	host_comm[17];
	pid_t	box_writer;	/* outside the job, another pid namespace */
	uid_t	box_uid;
	pid_t	my_awf;
	pid_t	other_awf;
	size_t	hidden;		/* fd tables we may not read */
};

struct owner *
owner_new(const struct owner_opts *opts, size_t nsources)
{
	struct owner	*o = xcalloc(1, sizeof *o);
	size_t		 i;

	if (opts->tracking_id != NULL && *opts->tracking_id != '\0')
		o->tracking_id = xstrdup(opts->tracking_id);
	o->find = opts->find;	/* its worker name: the policy's, which
				   outlives us */
	o->job_started = opts->job_started;
	o->nsrc = nsources;
	o->src = xcalloc(nsources ? nsources : 1, sizeof *o->src);
	for (i = 0; i < nsources; i++) {
		o->src[i].pidfd = -1;
		o->src[i].fdnum = -1;
		o->src[i].scanned = -1e9;
		o->src[i].checked = -1e9;
	}
	return o;
}

static void
owner_forget(struct owner_src *s)
{
	if (s->pidfd != -1)
		close(s->pidfd);
	s->pidfd = -1;
	s->fdnum = -1;
	s->pid = 0;
	s->kind = OWNER_NONE;
}

void
owner_free(struct owner *o)
{
	size_t	i;

	if (o == NULL)
		return;
	for (i = 0; i < o->nsrc; i++)
		owner_forget(&o->src[i]);
	free(o->src);
	free(o->pids);
	free(o->tracking_id);
	free(o);
}

/* ---- reading /proc -------------------------------------------------- */

int
owner_fdinfo_writable(const char *text)
{
	const char	*p;
	unsigned long	 flags;
	char		*end;

	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL) {
		if (strncmp(p, "flags:", 6) != 0)
			continue;
		errno = 0;
		flags = strtoul(p + 6, &end, 8);
		if (errno != 0 || end == p + 6)
			return -1;
		return (flags & O_ACCMODE) != O_RDONLY;
	}
	return -1;
}

static int
owner_fd_writable(pid_t pid, int fd)
{
	char	path[64], buf[512];

	snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)pid, fd);
	if (file_read_head(AT_FDCWD, path, 0, buf, sizeof buf) <= 0)
		return 0;
	return owner_fdinfo_writable(buf) == 1;
}

/*
 * Does `pid` hold (dev, ino) open for writing? 1 and *fdp, 0 no, -1 when
 * its fd table is hidden from us.
 */
static int
owner_holds(pid_t pid, dev_t dev, ino_t ino, int *fdp)
{
	char		 path[64];
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	const char	*errstr;
	int		 found = 0, fd;

	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return errno == EACCES || errno == EPERM ? -1 : 0;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		/* Follows the magic link to the open file itself. */
		if (fstatat(dirfd(d), de->d_name, &st, 0) == -1 ||
		    st.st_dev != dev || st.st_ino != ino)
			continue;
		fd = (int)parse_num(de->d_name, 0, INT_MAX, &errstr);
		if (errstr == NULL && owner_fd_writable(pid, fd)) {
			*fdp = fd;
			found = 1;
		}
	}
	closedir(d);
	return found;
}

/* Same pid namespace as ours? 1 yes, 0 no, -1 unknown. */
static int
owner_same_pidns(pid_t pid)
{
	char	path[64], mine[64], theirs[64];
	ssize_t	a, b;

	a = readlink("/proc/self/ns/pid", mine, sizeof mine - 1);
	snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)pid);
	b = readlink(path, theirs, sizeof theirs - 1);
	if (a <= 0 || b <= 0)
		return -1;
	return a == b && memcmp(mine, theirs, (size_t)a) == 0;
}

static uid_t
owner_uid_of(pid_t pid)
{
	char		path[64];
	struct stat	st;

	snprintf(path, sizeof path, "/proc/%d", (int)pid);
	return stat(path, &st) == 0 ? st.st_uid : (uid_t)-1;
}

static void
owner_see(const struct proc_info *p, const struct stat *file,
    struct owner_seen *seen)
{
	int	fd = -1, held;

	if ((held = owner_holds(p->pid, file->st_dev, file->st_ino, &fd)) == -1)
		seen->hidden++;
	if (held != 1)
		return;
	if (p->job) {
		if (seen->job_writer == 0) {
			seen->job_writer = p->pid;
			seen->job_fd = fd;
			seen->job_uid = owner_uid_of(p->pid);
		}
	} else if (owner_same_pidns(p->pid) == 0) {
		if (seen->box_writer == 0) {
			seen->box_writer = p->pid;
			seen->box_uid = owner_uid_of(p->pid);
		}
	} else if (seen->host_writer == 0) {
		seen->host_writer = p->pid;
		snprintf(seen->host_comm, sizeof seen->host_comm, "%s",
		    p->comm);
	}
}

/*
 * The awfs, mine and others'. Only when no process of the job writes the
 * file: matching names needs every process's argv, which the common case
 * (the job's tee writes it) does without.
 */
static void
owner_find_awf(struct owner *o, struct owner_seen *seen)
{
	struct proc_info	*v;
	ssize_t			 n, i;

	if ((n = proc_list(o->tracking_id, &o->find, "awf", &v)) == -1)
		return;
	for (i = 0; i < n; i++) {
		if (v[i].name[0] == '\0')
			continue;
		if (v[i].job && seen->my_awf == 0)
			seen->my_awf = v[i].pid;
		else if (!v[i].job && seen->other_awf == 0)
			seen->other_awf = v[i].pid;
	}
	free(v);
}

static int
owner_pid_cmp(const void *a, const void *b)
{
	pid_t	x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

/* Remember who the scan saw, to tell later whether anyone new started. */
static void
owner_pids_keep(struct owner *o, const struct proc_info *v, size_t n)
{
	size_t	i;

	o->pids = xreallocarray(o->pids, n ? n : 1, sizeof *o->pids);
	for (i = 0; i < n; i++)
		o->pids[i] = v[i].pid;
	o->npids = n;
	qsort(o->pids, n, sizeof *o->pids, owner_pid_cmp);
}

/*
 * Did a process start since the last scan? A proof says "no one else
 * writes the file", and a writer that started since (another job's `tee -a`
 * on gh-aw's shared path) would make it false. Listing /proc's pids costs
 * far less than a scan of every fd table, so a verdict about to act pays
 * for the full scan only when someone new is there.
 */
static int
owner_pids_changed(const struct owner *o)
{
	DIR		*d;
	struct dirent	*de;
	pid_t		 pid;
	int		 changed = 0;
	const char	*errstr;

	if ((d = opendir("/proc")) == NULL)
		return 1;
	while (!changed && (de = readdir(d)) != NULL) {
		pid = (pid_t)parse_num(de->d_name, 1, INT_MAX, &errstr);
		if (errstr != NULL || pid == getpid())
			continue;
		changed = bsearch(&pid, o->pids, o->npids, sizeof *o->pids,
		    owner_pid_cmp) == NULL;
	}
	closedir(d);
	return changed;
}

/* Every visible process's fd table, against the file. -1: no /proc. */
static int
owner_look(struct owner *o, const struct stat *file, struct owner_seen *seen)
{
	struct proc_info	*v;
	ssize_t			 n, i;

	memset(seen, 0, sizeof *seen);
	if ((n = proc_list(o->tracking_id, &o->find, NULL, &v)) == -1)
		return -1;
	owner_pids_keep(o, v, (size_t)n);
	for (i = 0; i < n; i++) {
		/* kernel threads hold no files */
		if (v[i].pid == getpid() || v[i].pid == 2 || v[i].ppid == 2)
			continue;
		owner_see(&v[i], file, seen);
	}
	free(v);
	if (seen->job_writer == 0 && seen->host_writer == 0)
		owner_find_awf(o, seen);
	return 0;
}

/* ---- deciding ------------------------------------------------------- */

static int
owner_born_after(const struct owner *o, int fd)
{
	struct statx	stx;

	if (o->job_started <= 0 || statx(fd, "", AT_EMPTY_PATH, STATX_BTIME,
	    &stx) == -1 || !(stx.stx_mask & STATX_BTIME))
		return 0;
	return (double)stx.stx_btime.tv_sec + stx.stx_btime.tv_nsec / 1e9 >=
	    o->job_started - OWNER_BIRTH_SLACK;
}

static int
owner_uid_ok(const struct owner *o, uid_t file_uid, uid_t writer_uid)
{
	return file_uid == 0 || file_uid == writer_uid ||
	    file_uid == geteuid() || (o->find.worker_pid > 0 &&
	    file_uid == owner_uid_of(o->find.worker_pid));
}

static void
owner_none(struct owner_src *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
owner_none(struct owner_src *s, const char *fmt, ...)
{
	va_list	ap;

	owner_forget(s);
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof s->why, fmt, ap);
	va_end(ap);
}

static void
owner_prove(struct owner_src *s, enum owner_kind kind, pid_t pid, int fdnum)
{
	owner_forget(s);
	s->kind = kind;
	s->pid = pid;
	s->fdnum = fdnum;
	s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	s->why[0] = '\0';
}

/* No process of the job writes the file: is it the job's firewall's? */
static void
owner_decide_awf(struct owner *o, struct owner_src *s, int fd,
    const struct stat *st, const struct owner_seen *seen)
{
	const char	*hidden = seen->hidden > 0 ? " (the open files of "
			    "some processes are hidden from breaker)" : "";

	if (seen->my_awf == 0) {
		owner_none(s, "no process of this job has the file open for "
		    "writing%s, and this job runs no awf whose firewall could "
		    "have written it", hidden);
		return;
	}
	if (seen->other_awf != 0) {
		owner_none(s, "no process of this job writes it, and another "
		    "awf (pid %d), not of this job, runs on this machine: the "
		    "firewall's files are shared", (int)seen->other_awf);
		return;
	}
	if (seen->box_writer == 0 && !owner_born_after(o, fd)) {
		owner_none(s, "no process of this job writes it, no container "
		    "holds it, and it was not created after this job started");
		return;
	}
	if (!owner_uid_ok(o, st->st_uid, seen->box_writer != 0 ?
	    seen->box_uid : (uid_t)-1)) {
		owner_none(s, "the file belongs to uid %u, neither root nor "
		    "this job's user", (unsigned)st->st_uid);
		return;
	}
	owner_prove(s, OWNER_AWF, seen->my_awf, -1);
}

static void
owner_scan(struct owner *o, struct owner_src *s, int fd)
{
	struct owner_seen	seen;
	struct stat		st;

	s->scanned = mono_now();
	s->scanned_once = 1;
	if (o->tracking_id == NULL) {
		owner_none(s, "no RUNNER_TRACKING_ID: the job's processes "
		    "cannot be identified");
		return;
	}
	if (fd == -1 || fstat(fd, &st) == -1) {
		owner_none(s, "the file is not open");
		return;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (st.st_mode & S_IWOTH) {
		owner_none(s, "the file is world-writable (mode %04o): any "
		    "user of the machine can write to it",
		    (unsigned)(st.st_mode & 07777));
		return;
	}
	if (owner_look(o, &st, &seen) == -1) {
		owner_none(s, "cannot read /proc: %s", strerror(errno));
		return;
	}
	if (seen.host_writer != 0) {
		owner_none(s, "%s (pid %d), which is not a process of this "
		    "job, also has the file open for writing", seen.host_comm,
		    (int)seen.host_writer);
		return;
	}
	if (seen.job_writer == 0) {
		owner_decide_awf(o, s, fd, &st, &seen);
		return;
	}
	if (!owner_uid_ok(o, st.st_uid, seen.job_uid)) {
		owner_none(s, "the file belongs to uid %u, neither root nor "
		    "this job's user", (unsigned)st.st_uid);
		return;
	}
	owner_prove(s, OWNER_WRITER, seen.job_writer, seen.job_fd);
}

/* ---- keeping it found ----------------------------------------------- */

static int
owner_alive(const struct owner_src *s)
{
	struct pollfd	pfd = { .fd = s->pidfd, .events = POLLIN };
	char		path[64];

	if (s->pidfd != -1)
		return poll(&pfd, 1, 0) == 0;
	snprintf(path, sizeof path, "/proc/%d", (int)s->pid);
	return access(path, F_OK) == 0;
}

/* The proof still stands, without a scan: a few system calls. */
static int
owner_still(const struct owner_src *s, int fd, double now)
{
	struct stat	st, held;
	char		path[64];

	if (s->kind == OWNER_NONE || now - s->scanned > OWNER_FRESH_MS / 1e3 ||
	    fd == -1 || fstat(fd, &st) == -1 || st.st_dev != s->dev ||
	    st.st_ino != s->ino || (st.st_mode & S_IWOTH) || !owner_alive(s))
		return 0;
	if (s->kind != OWNER_WRITER)
		return 1;
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)s->pid, s->fdnum);
	return stat(path, &held) == 0 && held.st_dev == s->dev &&
	    held.st_ino == s->ino;
}

/* Log the proof when it changes: who is believed, or why nobody is. */
static void
owner_say(struct owner_src *s, const char *name)
{
	char	now[OWNER_WHY_MAX + 32];

	if (s->kind == OWNER_WRITER)
		snprintf(now, sizeof now, "written by pid %d of this job",
		    (int)s->pid);
	else if (s->kind == OWNER_AWF)
		snprintf(now, sizeof now, "the firewall of this job's awf "
		    "(pid %d)", (int)s->pid);
	else
		snprintf(now, sizeof now, "not attributed: %s", s->why);
	if (strcmp(now, s->said) == 0)
		return;
	snprintf(s->said, sizeof s->said, "%s", now);
	log_info("source %s: %s", name, now);
}

static int
owner_identity_changed(const struct owner_src *s, int fd)
{
	struct stat	st;

	if (fd == -1 || fstat(fd, &st) == -1)
		return 0;
	return st.st_dev != s->dev || st.st_ino != s->ino;
}

void
owner_refresh(struct owner *o, size_t idx, const char *name, int fd)
{
	struct owner_src	*s;
	double			 now = mono_now();

	if (o == NULL || idx >= o->nsrc)
		return;
	s = &o->src[idx];
	if (now - s->checked < OWNER_CHECK_MS / 1e3)
		return;
	s->checked = now;
	if (!s->scanned_once || now - s->scanned >= OWNER_RESCAN_MS / 1e3 ||
	    owner_identity_changed(s, fd)) {
		owner_scan(o, s, fd);
		owner_say(s, name);
	}
}

int
owner_check(struct owner *o, size_t idx, const char *name, int fd,
    char *why, size_t whylen)
{
	struct owner_src	*s;
	double			 now;

	if (o == NULL || idx >= o->nsrc) {
		snprintf(why, whylen, "the source is unknown");
		return 0;
	}
	s = &o->src[idx];
	now = mono_now();
	/* A flood of another job's fatal lines must not cost a scan each:
	 * a "no" from the last 100 ms about the same file stands. A "yes"
	 * stands only if no process started since it was found. */
	if ((!owner_still(s, fd, now) || owner_pids_changed(o)) &&
	    !(s->scanned_once &&
	    s->kind == OWNER_NONE && now - s->scanned < OWNER_CHECK_MS / 1e3 &&
	    !owner_identity_changed(s, fd))) {
		owner_scan(o, s, fd);
		owner_say(s, name);
	}
	if (s->kind != OWNER_NONE)
		return 1;
	snprintf(why, whylen, "%s", s->why);
	return 0;
}
