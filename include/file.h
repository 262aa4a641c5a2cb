/*
 * The one way breaker opens, reads and writes files (docs/hardening.md,
 * "File access").
 *
 * Every open is O_CLOEXEC | O_NONBLOCK | O_NOCTTY (a FIFO or a tty planted
 * under a file's name can neither hang us nor become our terminal), takes
 * regular files only (checked with fstat on the descriptor, so a swap after
 * a check is moot), and O_NOFOLLOW unless the caller passes FILE_FOLLOW:
 * only paths an administrator named (the configuration, rule and key files)
 * may be symbolic links; files in directories a job can write never are.
 * Paths may be relative to a directory descriptor held open (openat), so a
 * directory checked once cannot be swapped underneath.
 *
 * Errors: -1 or NULL with errno set; file_why() turns the errno values
 * these functions use into words.
 */
#ifndef BREAKER_FILE_H
#define BREAKER_FILE_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stddef.h>

#define FILE_FOLLOW	0x01	/* the last component may be a symlink */
#define FILE_OWNED	0x02	/* refuse a file not owned by euid or root */

#define FILE_NGROUPS	64

/*
 * Someone whose read permission a privileged reader must respect: the
 * job's user. A root daemon (or one with CAP_DAC_READ_SEARCH) reads only
 * what these credentials could read, so it never lends its privilege to
 * a path the job chose.
 */
struct file_cred {
	uid_t	uid;
	gid_t	gid;
	gid_t	groups[FILE_NGROUPS];
	int	ngroups;
};

/* Open for reading; `st` (optional) gets the descriptor's fstat. */
int	 file_open_read(int dirfd, const char *path, int flags,
	    struct stat *st);
/*
 * The whole file, NUL-terminated, at most `max` bytes (EFBIG beyond).
 * `lenp` and `st` are optional.
 */
char	*file_read_small(int dirfd, const char *path, size_t max, int flags,
	    size_t *lenp, struct stat *st);
/*
 * The first `size` - 1 bytes at most of a file, NUL-terminated in `buf`
 * (opened as file_open_read does): a probe of a log's head, or a /proc
 * file, whose st_size is 0 so file_read_small cannot size it. Bytes read,
 * or -1.
 */
ssize_t	 file_read_head(int dirfd, const char *path, int flags, char *buf,
	    size_t size);
/* read(2) until `len` bytes or EOF, through EINTR; bytes read or -1. */
ssize_t	 file_read_all(int fd, void *buf, size_t len);
/* write(2) all of it, through EINTR and short writes; 0 or -1. */
int	 file_write_all(int fd, const void *buf, size_t len);
/*
 * Replace `name` in `dirfd` atomically: a temporary file created with
 * O_EXCL | O_NOFOLLOW (mode 0600) beside it, then renamed over it. With
 * `durable`, the file and the directory are fsynced first. With dirfd
 * AT_FDCWD, `name` may be a path; its directory is opened for the write.
 */
int	 file_write_atomic(int dirfd, const char *name, const void *buf,
	    size_t len, int durable);
/*
 * Append to `path` (created 0644 if missing): never through a link, never
 * to a FIFO or device (the runner's step-summary file is a regular file).
 */
int	 file_append(int dirfd, const char *path, const void *buf, size_t len);
/*
 * The names in a directory, sorted (reports stay stable), dot-files left
 * out, at most `max` of them; NULL (and *n 0) if it cannot be read. Free
 * with file_list_free().
 */
char	**file_list_dir(const char *dir, size_t max, size_t *n);
void	 file_list_free(char **, size_t n);
/* Words for an errno set by the functions above. */
const char *file_why(int err);

/*
 * Open the directory `path` (O_PATH), resolving it by hand one component
 * at a time: a symbolic link on the way is followed only if it belongs to
 * root or to `uid` (like the kernel's protected_symlinks, but in every
 * directory, not only sticky ones); -1 with EPERM when another user's link
 * is met. *linked tells whether any link was followed. A relative path
 * starts at the working directory.
 */
int	 file_open_dir(const char *path, uid_t uid, int *linked);

/* The real uid, gid and groups of this process. */
void	 file_cred_self(struct file_cred *);
/* Could `c` read the file `st` describes (mode bits, root reads all)? */
int	 file_cred_may_read(const struct file_cred *c, const struct stat *st);
/*
 * Could `c` reach the directory `dirfd` at all: is every directory from
 * it up to / searchable by `c`? Walks up through "..", so it judges the
 * directories actually opened, not a path that may have changed since.
 */
int	 file_cred_may_reach(const struct file_cred *c, int dirfd);
/*
 * Is the directory `dirfd`, and each of its ancestors, safe to keep state
 * in, the way OpenSSH checks ~/.ssh: owned by `owner` or root, and not
 * writable by group or others unless sticky (in a sticky directory no one
 * else can rename or remove what we create). 0, or -1 with a reason in
 * *why (static).
 */
int	 file_dir_trusted(int dirfd, uid_t owner, const char **why);

#endif
