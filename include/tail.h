/*
 * Following files live (inotify on the file and on directories up to the
 * nearest existing ancestor, a stat-polling fallback, and a slow reconcile
 * timer as a safety net), through every way a file changes on a runner:
 * late creation, rename rotation, copytruncate, deletion and re-creation,
 * symlink retargeting, partial and over-long lines.
 */
#ifndef BREAKER_TAIL_H
#define BREAKER_TAIL_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct file_cred;
struct tail;
struct tail_file;

enum tail_backend {
	TAIL_BACKEND_AUTO = 0,	/* inotify, falling back to polling */
	TAIL_BACKEND_INOTIFY,	/* as AUTO: polling beats losing lines */
	TAIL_BACKEND_POLL,	/* network filesystems, or no inotify */
};

struct tail_options {
	size_t		 max_line;	  /* 0: LINES_DEFAULT_MAX */
	enum tail_backend backend;
	unsigned	 reconcile_ms;	  /* 0: default (1000); at least 1000;
					     backs off to 16 s while quiet */
	unsigned	 poll_ms;	  /* poll backend interval, 0: default */
	unsigned	 partial_flush_ms; /* 0: default (500) */
	size_t		 read_budget;	  /* bytes per file per wakeup, 0: default */
	/*
	 * Whose read permission to respect (copied): a file, or a directory
	 * on its way, this user could not read is refused even when we
	 * could (root, CAP_DAC_READ_SEARCH). NULL: this process's real
	 * uid, gid and groups, i.e. the user who ran the hook.
	 */
	const struct file_cred *reader;
};

/*
 * Called once per complete line; `flags` are LINES_* from lines.h. The line
 * is not NUL-terminated and is valid only during the call.
 */
typedef void (*tail_line_cb)(struct tail_file *, const char *line, size_t len,
    int flags, void *arg);

struct tail	*tail_new(struct event_base *, const struct tail_options *);
void		 tail_free(struct tail *);
/*
 * Follow `path` under the name `name`. A file that exists now is read from
 * its current end unless `from_start`; a file that appears later is read
 * from its head. Returns NULL (with a warning logged) only on bad arguments.
 * The last component of `path` is never followed if it is a symbolic link
 * (docs/hardening.md): such a file is refused, counted and logged.
 */
struct tail_file *tail_add(struct tail *, const char *name, const char *path,
		    int from_start, tail_line_cb, void *arg);
const char	*tail_file_name(const struct tail_file *);
const char	*tail_file_path(const struct tail_file *);
/*
 * The descriptor the lines are read from now (-1: none open), for a
 * caller that must know which file they came from (owner.c); not to read.
 */
int		 tail_file_fd(const struct tail_file *);

struct tail_file_stats {
	int		open;		/* currently has the file open */
	uint64_t	offset;		/* read offset in the current file */
	uint64_t	lines;
	uint64_t	bytes;
	uint64_t	rotations;
	uint64_t	truncations;
	uint64_t	lost_bytes;	/* could not be read (truncated away),
					   including dropped partial lines */
	uint64_t	lost_lines;	/* partial lines dropped by a loss */
	uint64_t	long_lines;
	uint64_t	skipped_bytes;
	uint64_t	nul_bytes;	/* NUL run after truncation, skipped */
	uint64_t	read_errors;
	uint64_t	pending;	/* not read yet: the open file beyond
					   offset, and a newer file waiting at
					   the path (fstat, when asked) */
	uint64_t	refused;	/* a link, not a regular file, or not
					   readable by the reader: not opened */
	uint64_t	hole_bytes;	/* sparse holes skipped (SEEK_DATA) */
};
void		 tail_file_get_stats(const struct tail_file *,
		    struct tail_file_stats *);
/*
 * Read everything available now on every file and deliver any held partial
 * line (flagged LINES_UNTERMINATED): used before shutdown.
 */
void		 tail_drain(struct tail *);
/* The backend in use now (INOTIFY, or POLL after a fallback). */
enum tail_backend tail_backend(const struct tail *);

#endif
