/*
 * The one way breaker opens, reads and writes files: see file.h and
 * docs/hardening.md ("File access"). Everything here judges what was
 * actually opened (fstat of the descriptor, ".." of a held directory),
 * never a path looked at before or after the open.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "xalloc.h"

#define FILE_MAX_DEPTH	256	/* ancestors looked at, at most */
#define FILE_MAX_LINKS	40	/* as the kernel's MAXSYMLINKS */

const char *
file_why(int err)
{
	switch (err) {
	case ELOOP:
		return "it is a symbolic link (never followed there)";
	case EISDIR:
		return "it is a directory";
	case EINVAL:
		return "it is not a regular file";
	case EFBIG:
		return "it is larger than the limit";
	case EPERM:
		return "refused: it belongs to another user";
	default:
		return strerror(err);
	}
}

static int
file_refuse(int fd, int err)
{
	close(fd);
	errno = err;
	return -1;
}

/*
 * The one way a file is opened here: EINTR retried, then refused unless it
 * is a regular file (a FIFO, device or directory planted under the name).
 * O_NONBLOCK is in `oflags`, so a FIFO cannot hang the open.
 */
static int
file_open_regular(int dirfd, const char *path, int oflags, mode_t mode,
    struct stat *st)
{
	int	fd;

	do
		fd = openat(dirfd, path, oflags, mode);
	while (fd == -1 && errno == EINTR);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1)
		return file_refuse(fd, errno);
	if (!S_ISREG(st->st_mode))
		return file_refuse(fd, S_ISDIR(st->st_mode) ? EISDIR : EINVAL);
	return fd;
}

int
file_open_read(int dirfd, const char *path, int flags, struct stat *stp)
{
	struct stat	st;
	int		fd, oflags;

	oflags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
	if (!(flags & FILE_FOLLOW))
		oflags |= O_NOFOLLOW;
	if ((fd = file_open_regular(dirfd, path, oflags, 0, &st)) == -1)
		return -1;
	if ((flags & FILE_OWNED) && st.st_uid != geteuid() && st.st_uid != 0)
		return file_refuse(fd, EPERM);
	if (stp != NULL)
		*stp = st;
	return fd;
}

ssize_t
file_read_all(int fd, void *buf, size_t len)
{
	size_t	got = 0;
	ssize_t	n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

char *
file_read_small(int dirfd, const char *path, size_t max, int flags,
    size_t *lenp, struct stat *stp)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	int		 fd, saved;

	if ((fd = file_open_read(dirfd, path, flags, &st)) == -1)
		return NULL;
	if ((uint64_t)st.st_size > max) {
		file_refuse(fd, EFBIG);
		return NULL;
	}
	/* What is there when we look: a file still growing is cut there. */
	buf = xmalloc((size_t)st.st_size + 1);
	if ((n = file_read_all(fd, buf, (size_t)st.st_size)) == -1) {
		saved = errno;
		free(buf);
		file_refuse(fd, saved);
		return NULL;
	}
	close(fd);
	buf[n] = '\0';
	if (lenp != NULL)
		*lenp = (size_t)n;
	if (stp != NULL)
		*stp = st;
	return buf;
}

ssize_t
file_read_head(int dirfd, const char *path, int flags, char *buf, size_t size)
{
	ssize_t	n;
	int	fd, saved;

	if (size == 0 || (fd = file_open_read(dirfd, path, flags, NULL)) == -1)
		return -1;
	n = file_read_all(fd, buf, size - 1);
	saved = errno;
	close(fd);
	if (n == -1) {
		errno = saved;
		return -1;
	}
	buf[n] = '\0';
	return n;
}

int
file_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
file_append(int dirfd, const char *path, const void *buf, size_t len)
{
	struct stat	st;
	int		fd, rv, saved;

	if ((fd = file_open_regular(dirfd, path, O_WRONLY | O_APPEND |
	    O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644,
	    &st)) == -1)
		return -1;
	rv = file_write_all(fd, buf, len);
	saved = errno;
	if (close(fd) == -1 && rv == 0)
		return -1;
	errno = saved;
	return rv;
}

/* The temporary file: ours alone (O_EXCL), never through a link. */
static int
file_create_tmp(int dirfd, const char *tmp)
{
	int	fd, oflags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC | O_NOCTTY;

	fd = openat(dirfd, tmp, oflags, 0600);
	if (fd == -1 && errno == EEXIST) {
		/* Left by a crashed writer with our pid: not a live one. */
		unlinkat(dirfd, tmp, 0);
		fd = openat(dirfd, tmp, oflags, 0600);
	}
	return fd;
}

static int
file_write_in(int dirfd, const char *name, const void *buf, size_t len,
    int durable)
{
	char	*tmp;
	int	 fd, rv = -1, saved;

	xasprintf(&tmp, ".%s.%ld.tmp", name, (long)getpid());
	if ((fd = file_create_tmp(dirfd, tmp)) == -1)
		goto out;
	if (file_write_all(fd, buf, len) == -1 ||
	    (durable && fsync(fd) == -1)) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail;
	}
	if (close(fd) == -1 || renameat(dirfd, tmp, dirfd, name) == -1)
		goto fail;
	/* The rename itself survives a crash only once the dir is synced. */
	if (durable && fsync(dirfd) == -1)
		goto out;	/* the file is in place; the caller is told */
	rv = 0;
	goto out;
fail:
	saved = errno;
	unlinkat(dirfd, tmp, 0);
	errno = saved;
out:
	free(tmp);
	return rv;
}

int
file_write_atomic(int dirfd, const char *name, const void *buf, size_t len,
    int durable)
{
	const char	*slash = strrchr(name, '/');
	char		*dir;
	int		 dfd, rv, saved;

	if (dirfd != AT_FDCWD && slash == NULL)
		return file_write_in(dirfd, name, buf, len, durable);
	if (slash == NULL)
		dir = xstrdup(".");
	else
		dir = slash == name ? xstrdup("/") :
		    xstrndup(name, (size_t)(slash - name));
	dfd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dfd == -1)
		return -1;
	rv = file_write_in(dfd, slash ? slash + 1 : name, buf, len, durable);
	saved = errno;
	close(dfd);
	errno = saved;
	return rv;
}

struct file_walk {
	uid_t	uid;		/* whose links, besides root's, are followed */
	int	links;		/* followed so far (ELOOP beyond the limit) */
};

static int	file_walk_dir(int, const char *, struct file_walk *);

/* `link` is an O_PATH descriptor of the link itself: owner, then target. */
static int
file_walk_link(int dirfd, int link, const struct stat *st,
    struct file_walk *w)
{
	char	target[PATH_MAX];
	ssize_t	n;

	if (++w->links > FILE_MAX_LINKS) {
		errno = ELOOP;
		return -1;
	}
	if (st->st_uid != 0 && st->st_uid != w->uid) {
		errno = EPERM;
		return -1;
	}
	/* The very link we judged, not whatever has that name now. */
	if ((n = readlinkat(link, "", target, sizeof target - 1)) <= 0) {
		errno = n == 0 ? ENOENT : errno;
		return -1;
	}
	target[n] = '\0';
	return file_walk_dir(dirfd, target, w);
}

/* Resolve `path` from `dirfd` by hand, one component at a time. */
static int
file_walk_dir(int dirfd, const char *path, struct file_walk *w)
{
	struct stat	 st;
	char		*copy = xstrdup(path), *comp, *save = NULL;
	int		 fd, next, saved;

	fd = openat(path[0] == '/' ? AT_FDCWD : dirfd, path[0] == '/' ? "/" :
	    ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (comp = strtok_r(copy, "/", &save); comp != NULL && fd != -1;
	    comp = strtok_r(NULL, "/", &save)) {
		/* O_PATH | O_NOFOLLOW: a link opens as itself. */
		next = openat(fd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		saved = errno;
		if (next != -1 && fstat(next, &st) == -1) {
			saved = errno;
			close(next);
			next = -1;
		} else if (next != -1 && S_ISLNK(st.st_mode)) {
			int lfd = next;

			next = file_walk_link(fd, lfd, &st, w);
			saved = errno;
			close(lfd);
		} else if (next != -1 && !S_ISDIR(st.st_mode)) {
			close(next);
			next = -1;
			saved = ENOTDIR;
		}
		close(fd);
		fd = next;
		errno = saved;
	}
	free(copy);
	return fd;
}

int
file_open_dir(const char *path, uid_t uid, int *linked)
{
	struct file_walk	w = { uid, 0 };
	int			fd;

	fd = file_walk_dir(AT_FDCWD, path, &w);
	*linked = w.links > 0;
	return fd;
}

/* ---- whose files ------------------------------------------------------ */

void
file_cred_self(struct file_cred *c)
{
	int	n;

	memset(c, 0, sizeof *c);
	c->uid = getuid();
	c->gid = getgid();
	n = getgroups(FILE_NGROUPS, c->groups);
	c->ngroups = n > 0 ? n : 0;
}

static int
file_cred_in_group(const struct file_cred *c, gid_t gid)
{
	int	i;

	if (gid == c->gid)
		return 1;
	for (i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return 1;
	return 0;
}

/* The permission class that applies to `c`, as the kernel picks it. */
static int
file_cred_may(const struct file_cred *c, const struct stat *st,
    mode_t usr, mode_t grp, mode_t oth)
{
	if (c->uid == 0)
		return 1;
	if (st->st_uid == c->uid)
		return (st->st_mode & usr) != 0;
	if (file_cred_in_group(c, st->st_gid))
		return (st->st_mode & grp) != 0;
	return (st->st_mode & oth) != 0;
}

int
file_cred_may_read(const struct file_cred *c, const struct stat *st)
{
	return file_cred_may(c, st, S_IRUSR, S_IRGRP, S_IROTH);
}

/*
 * Call `ok` on `dirfd` and each ancestor up to / (at most FILE_MAX_DEPTH);
 * 1 when every one passed.
 */
static int
file_walk_up(int dirfd, int (*ok)(const struct stat *, void *),
    void *arg, const char **why)
{
	struct stat	st, up;
	int		fd, next, depth, rv = 0;

	fd = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (depth = 0; fd != -1 && depth < FILE_MAX_DEPTH; depth++) {
		if (fstat(fd, &st) == -1 || !S_ISDIR(st.st_mode))
			break;
		if (!ok(&st, arg))
			break;
		next = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (next == -1 || fstat(next, &up) == -1) {
			if (next != -1)
				close(next);
			break;
		}
		close(fd);
		fd = next;
		if (up.st_dev == st.st_dev && up.st_ino == st.st_ino) {
			rv = 1;		/* "/" is its own parent */
			break;
		}
	}
	if (fd != -1)
		close(fd);
	if (!rv && why != NULL && *why == NULL)
		*why = "a directory on its path could not be checked";
	return rv;
}

static int
file_searchable(const struct stat *st, void *arg)
{
	return file_cred_may(arg, st, S_IXUSR, S_IXGRP, S_IXOTH);
}

int
file_cred_may_reach(const struct file_cred *c, int dirfd)
{
	struct file_cred	cred = *c;	/* the walk's argument is writable */

	if (c->uid == 0)
		return 1;
	return file_walk_up(dirfd, file_searchable, &cred, NULL);
}

struct file_trust {
	uid_t		 owner;
	const char	*why;
};

static int
file_safe_dir(const struct stat *st, void *arg)
{
	struct file_trust	*t = arg;

	if (st->st_uid != t->owner && st->st_uid != 0) {
		t->why = "it or a directory above it belongs to another user";
		return 0;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX)) {
		t->why = "it or a directory above it is writable by group or "
		    "others (and not sticky)";
		return 0;
	}
	return 1;
}

int
file_dir_trusted(int dirfd, uid_t owner, const char **why)
{
	struct file_trust	t = { owner, NULL };

	*why = NULL;
	if (file_walk_up(dirfd, file_safe_dir, &t, &t.why))
		return 0;
	*why = t.why;
	return -1;
}

static int
file_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
file_list_dir(const char *dir, size_t max, size_t *n)
{
	DIR		*d;
	struct dirent	*e;
	char		**v = NULL;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL && *n < max) {
		if (e->d_name[0] == '.')
			continue;
		v = xreallocarray(v, *n + 1, sizeof *v);
		v[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof *v, file_name_cmp);
	return v;
}

void
file_list_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
