/*
 * Finding the job's processes in /proc: the job by its tracking id, the
 * engine among them, an engine found ahead of need, a stopped engine's
 * descendants, and one process's identity. Stopping them is proc_stop.c's.
 *
 * /proc is a moving target: a process may vanish between readdir and every
 * read (ESRCH, ENOENT), or keep its environ from us (EACCES when it runs as
 * another user). Each of those is normal and only makes that process
 * invisible or "unreadable"; nothing here fails on it.
 *
 * A pidfd names one process for good (see proc_stop.c for why the stop
 * needs that). pidfd_open goes through syscall(2) rather than glibc's
 * wrapper: that arrived in glibc 2.36, and the official runner image
 * (Ubuntu 22.04) has 2.35. The kernel interface is the same.
 */
#include <sys/types.h>
#include <sys/syscall.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "policy.h"
#include "proc.h"
#include "util.h"
#include "xalloc.h"

#define PROC_ROOT		"/proc"
#define PROC_CMDLINE_MAX	4096
#define PROC_ENVIRON_MAX	(4 * 1024 * 1024)
#define PROC_ARGV_MAX		16
#define PROC_SUBTREE_MAX	4096	/* descendants walked to, at most */
#define TRACKING_VAR		"RUNNER_TRACKING_ID="

/*
 * No bare `node`: on a runner it is as likely a test suite as an engine, and
 * every engine CLI that node runs shows its name in argv[1] (`node
 * /usr/local/bin/claude`), which matches that name.
 */
static const char *const proc_default_targets[] = {
	"awf", "codex", "claude", "copilot", "gemini", "pi",
};

static int	proc_no_pidfd;
static int	proc_no_children;

enum proc_env {
	ENV_OTHER = 0,		/* readable, not this job's (or no id asked) */
	ENV_MATCH,
	ENV_UNREADABLE,
};

struct proc_ent {
	pid_t		 pid;
	pid_t		 ppid;
	unsigned long long start;	/* with pid: one process, ever */
	char		 state;
	char		 comm[17];
	char		*cmdline;
	const char	*argv[PROC_ARGV_MAX];
	int		 argc;
	enum proc_env	 env;
	int		 job;
	int		 inherited;
	int		 decoy;		/* the job's id, not under its Worker */
};

struct proc_snap {
	struct proc_ent	*v;
	size_t		 n;
};

/* ---- reading /proc ---------------------------------------------------- */

/*
 * Read a whole /proc file (they report size 0, so read until EOF) into a
 * NUL-terminated buffer of at most `max` bytes. NULL with errno set.
 */
static char *
proc_read(pid_t pid, const char *what, size_t max, size_t *lenp)
{
	char	 path[64], *buf;
	size_t	 len = 0, cap = 4096;
	ssize_t	 r;
	int	 fd, saved;

	snprintf(path, sizeof path, PROC_ROOT "/%d/%s", (int)pid, what);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	buf = xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap >= max)
				break;
			cap = cap * 2 > max ? max : cap * 2;
			buf = xreallocarray(buf, cap + 1, 1);
		}
		r = read(fd, buf + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			saved = errno;
			close(fd);
			free(buf);
			errno = saved;
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

/*
 * The stat text: comm may hold spaces and ')' (a process names itself, and
 * the engine is hostile), so it ends at the LAST ')'. After it: state (field
 * 3), ppid (4), fields 5 to 21 skipped in groups of five, starttime (22).
 */
static int
proc_stat_text(struct proc_ent *e, const char *text)
{
	const char	*open_p, *close_p;
	size_t		 n;
	int		 ppid;

	open_p = strchr(text, '(');
	close_p = strrchr(text, ')');
	if (open_p == NULL || close_p == NULL || close_p < open_p ||
	    sscanf(close_p + 1, " %c %d"
	    " %*s %*s %*s %*s %*s" " %*s %*s %*s %*s %*s"
	    " %*s %*s %*s %*s %*s" " %*s %*s"
	    " %llu", &e->state, &ppid, &e->start) != 3) {
		errno = EINVAL;
		return -1;
	}
	n = (size_t)(close_p - open_p - 1);
	if (n >= sizeof e->comm)
		n = sizeof e->comm - 1;
	memcpy(e->comm, open_p + 1, n);
	e->comm[n] = '\0';
	e->ppid = ppid;
	return 0;
}

/* e, from scratch, from the stat file of pid. */
static int
proc_parse_stat(struct proc_ent *e, pid_t pid)
{
	char	*buf;
	int	 rv;

	memset(e, 0, sizeof *e);
	e->pid = pid;
	if ((buf = proc_read(pid, "stat", 4096, NULL)) == NULL)
		return -1;
	rv = proc_stat_text(e, buf);
	free(buf);
	return rv;
}

int
proc_identity(pid_t pid, unsigned long long *start, uid_t *ruid, uid_t *suid)
{
	struct proc_ent	 e;
	char		*buf, *line;
	unsigned	 r, eff, sav;
	int		 rv = -1;

	if (pid <= 0 || proc_parse_stat(&e, pid) == -1)
		return -1;
	if ((buf = proc_read(pid, "status", 16384, NULL)) == NULL)
		return -1;
	if ((line = strstr(buf, "\nUid:")) != NULL &&
	    sscanf(line + 5, "%u %u %u", &r, &eff, &sav) == 3) {
		*start = e.start;
		*ruid = r;
		*suid = sav;
		rv = 0;
	} else
		errno = EINVAL;
	free(buf);
	return rv;
}

/* NUL-separated words of buf[0..len), buf[len] being a NUL too. */
static void
proc_cmdline_split(struct proc_ent *e, char *buf, size_t len)
{
	size_t	i;

	e->cmdline = buf;
	e->argc = 0;
	for (i = 0; i < len && e->argc < PROC_ARGV_MAX; ) {
		e->argv[e->argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
}

static void
proc_parse_cmdline(struct proc_ent *e)
{
	size_t	 len;
	char	*buf;

	e->argc = 0;
	if ((buf = proc_read(e->pid, "cmdline", PROC_CMDLINE_MAX,
	    &len)) != NULL)
		proc_cmdline_split(e, buf, len);
}

int
proc_environ_has(const char *env, size_t len, const char *id)
{
	size_t	vlen = strlen(TRACKING_VAR), ilen = strlen(id), i, n;

	for (i = 0; i < len; i += n + 1) {
		n = strnlen(env + i, len - i);
		if (n == vlen + ilen &&
		    memcmp(env + i, TRACKING_VAR, vlen) == 0 &&
		    memcmp(env + i + vlen, id, ilen) == 0)
			return 1;
	}
	return 0;
}

static void
proc_read_env(struct proc_ent *e, const char *id)
{
	char	*env;
	size_t	 len;

	e->env = ENV_OTHER;
	if ((env = proc_read(e->pid, "environ", PROC_ENVIRON_MAX,
	    &len)) == NULL) {
		if (errno == EACCES || errno == EPERM)
			e->env = ENV_UNREADABLE;
		return;
	}
	/*
	 * Empty: the process is between the two halves of an exec (the
	 * kernel has no environment to show yet), or was started with none.
	 * Either way its parent's answer is the best there is, as for an
	 * unreadable one; a kernel thread has no parent that carries an id.
	 */
	if (len == 0)
		e->env = ENV_UNREADABLE;
	else if (proc_environ_has(env, len, id))
		e->env = ENV_MATCH;
	free(env);
}

static int
proc_ent_cmp(const void *a, const void *b)
{
	const struct proc_ent *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int
proc_numeric(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/*
 * Every process now (threads are not listed in /proc's top level); with an
 * id, each one's environ is checked for it.
 */
static int
proc_snap_take(struct proc_snap *s, const char *id, int all_argv)
{
	DIR		*d;
	struct dirent	*de;
	struct proc_ent	*e;
	size_t		 cap = 0;

	memset(s, 0, sizeof *s);
	if ((d = opendir(PROC_ROOT)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!proc_numeric(de->d_name))
			continue;
		if (s->n == cap) {
			cap = cap ? cap * 2 : 256;
			s->v = xreallocarray(s->v, cap, sizeof *s->v);
		}
		e = &s->v[s->n];
		if (proc_parse_stat(e, (pid_t)strtol(de->d_name, NULL,
		    10)) == -1)
			continue;	/* vanished: normal */
		/*
		 * argv only matters for the job's processes: skip it for the
		 * rest (a scan reads three files per process on the machine).
		 * An ancestor such as the Worker is then known by comm alone.
		 */
		if (id != NULL)
			proc_read_env(e, id);
		if (all_argv || (id != NULL && e->env != ENV_OTHER))
			proc_parse_cmdline(e);
		s->n++;
	}
	closedir(d);
	if (s->n > 1)
		qsort(s->v, s->n, sizeof *s->v, proc_ent_cmp);
	return 0;
}

static void
proc_snap_free(struct proc_snap *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].cmdline);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static struct proc_ent *
proc_snap_get(const struct proc_snap *s, pid_t pid)
{
	struct proc_ent	key;

	if (pid <= 0)
		return NULL;
	key.pid = pid;
	return bsearch(&key, s->v, s->n, sizeof *s->v, proc_ent_cmp);
}

static struct proc_ent *
proc_snap_parent(const struct proc_snap *s, const struct proc_ent *e)
{
	if (e->ppid == e->pid)
		return NULL;
	return proc_snap_get(s, e->ppid);
}

/*
 * One step up e's ancestry: `while ((e = proc_snap_up(s, e, &hops)))` with
 * hops 0 visits the strict ancestors, nearest first. No more steps than the
 * snapshot has processes, in case the pids it read form a cycle.
 */
static const struct proc_ent *
proc_snap_up(const struct proc_snap *s, const struct proc_ent *e,
    size_t *hops)
{
	if ((*hops)++ >= s->n)
		return NULL;
	return proc_snap_parent(s, e);
}

/* ---- names ------------------------------------------------------------ */

static const char *
proc_base(const char *s)
{
	const char	*p = strrchr(s, '/');

	return p != NULL ? p + 1 : s;
}

/* comm is cut at 15 bytes by the kernel: compare that much. */
static int
proc_comm_is(const char *comm, const char *name)
{
	if (strlen(name) > 15)
		return strncmp(comm, name, 15) == 0 && strlen(comm) == 15;
	return strcmp(comm, name) == 0;
}

static int
proc_is_named(const struct proc_ent *e, const char *name)
{
	if (proc_comm_is(e->comm, name))
		return 1;
	return e->argc > 0 && strcmp(proc_base(e->argv[0]), name) == 0;
}

/* The configured Worker name, and always the runner's own. */
static int
proc_is_worker(const struct proc_ent *e, const char *worker)
{
	return proc_is_named(e, worker) || proc_is_named(e, PROC_WORKER_NAME);
}

static const char *
proc_worker_name(const struct proc_find_opts *o)
{
	if (o == NULL || o->worker == NULL || *o->worker == '\0')
		return PROC_WORKER_NAME;
	return o->worker;
}

/* Nearest strict ancestor named `worker`. */
static const struct proc_ent *
proc_snap_worker(const struct proc_snap *s, const struct proc_ent *e,
    const char *worker)
{
	size_t	hops = 0;

	while ((e = proc_snap_up(s, e, &hops)) != NULL)
		if (proc_is_named(e, worker))
			return e;
	return NULL;
}

/* ---- the job ---------------------------------------------------------- */

/*
 * An unreadable process is the job's when the nearest readable ancestor is:
 * that is how a root `awf` under `sudo` stays visible to a non-root breaker.
 */
static int
proc_inherits(const struct proc_snap *s, const struct proc_ent *e)
{
	size_t	hops = 0;

	while ((e = proc_snap_up(s, e, &hops)) != NULL)
		if (e->env != ENV_UNREADABLE)
			return e->env == ENV_MATCH;
	return 0;
}

/* Is `top` a strict ancestor of e? */
static int
proc_under(const struct proc_snap *s, const struct proc_ent *e, pid_t top)
{
	size_t	hops = 0;

	while ((e = proc_snap_up(s, e, &hops)) != NULL)
		if (e->pid == top)
			return 1;
	return 0;
}

/*
 * Does e carry the job's id: in its environ, or, when that is unreadable,
 * through its nearest readable ancestor (e->inherited)? Never breaker
 * itself, nor a zombie.
 */
static int
proc_carries_id(const struct proc_snap *s, struct proc_ent *e)
{
	if (e->pid == getpid() || e->state == 'Z')
		return 0;
	if (e->env == ENV_MATCH)
		return 1;
	e->inherited = e->env == ENV_UNREADABLE && proc_inherits(s, e);
	return e->inherited;
}

/*
 * With the job's own Worker known, the job is what carries its id AND runs
 * under that Worker. The rest that carries the id is marked a decoy: any
 * process of the machine can copy the id into its environment.
 */
static void
proc_mark_own(struct proc_snap *s, pid_t worker)
{
	struct proc_ent	*e;
	size_t		 i;

	for (i = 0; i < s->n; i++) {
		e = &s->v[i];
		if (!proc_carries_id(s, e))
			continue;
		if (proc_under(s, e, worker))
			e->job = 1;
		else
			e->decoy = 1;
	}
}

static void
proc_mark_job(struct proc_snap *s, const struct proc_find_opts *o)
{
	const char	*worker = proc_worker_name(o);
	enum proc_ancestry anc = o != NULL ? o->ancestry : PROC_ANCESTRY_AUTO;
	struct proc_ent	*e;
	size_t		 i;
	int		 any_worker = 0;

	if (o != NULL && o->worker_pid > 0) {
		proc_mark_own(s, o->worker_pid);
		return;
	}
	for (i = 0; i < s->n; i++) {
		e = &s->v[i];
		e->job = proc_carries_id(s, e);
		if (e->job && proc_snap_worker(s, e, worker) != NULL)
			any_worker = 1;
	}
	if (anc == PROC_ANCESTRY_NONE ||
	    (anc == PROC_ANCESTRY_AUTO && !any_worker))
		return;
	for (i = 0; i < s->n; i++)
		if (s->v[i].job &&
		    proc_snap_worker(s, &s->v[i], worker) == NULL) {
			s->v[i].job = 0;
			s->v[i].decoy = 1;
		}
}

static void
proc_fill_info(const struct proc_ent *e, const char *name, int sudo,
    struct proc_info *out)
{
	memset(out, 0, sizeof *out);
	out->pid = e->pid;
	out->ppid = e->ppid;
	out->start = e->start;
	snprintf(out->comm, sizeof out->comm, "%s", e->comm);
	if (name != NULL)
		snprintf(out->name, sizeof out->name, "%s", name);
	out->via_sudo = sudo;
	out->inherited = e->inherited;
}

ssize_t
proc_find_job(const char *tracking_id, const struct proc_find_opts *o,
    struct proc_info **out)
{
	struct proc_snap	s;
	size_t			i, n = 0;

	*out = NULL;
	if (tracking_id == NULL || *tracking_id == '\0')
		return 0;
	if (proc_snap_take(&s, tracking_id, 0) == -1)
		return -1;
	proc_mark_job(&s, o);
	for (i = 0; i < s.n; i++) {
		if (!s.v[i].job)
			continue;
		*out = xreallocarray(*out, n + 1, sizeof **out);
		proc_fill_info(&s.v[i], NULL, 0, &(*out)[n++]);
	}
	proc_snap_free(&s);
	return (ssize_t)n;
}

/* ---- choosing the engine ---------------------------------------------- */

/* sudo options that take a separate value (sudo(8)). */
static int
proc_sudo_optarg(const char *a)
{
	static const char *const with_arg[] = {
		"-u", "-g", "-h", "-p", "-r", "-t", "-C", "-D", "-U", "-T",
		"-R",
		"--user", "--group", "--host", "--prompt", "--role", "--type",
		"--close-from", "--chdir", "--other-user", "--command-timeout",
		"--chroot",
	};
	size_t	i;

	for (i = 0; i < nitems(with_arg); i++)
		if (strcmp(a, with_arg[i]) == 0)
			return 1;
	return 0;
}

/* The command sudo runs: the first word not an option nor VAR=value. */
static const char *
proc_sudo_command(const struct proc_ent *e)
{
	const char	*a, *eq;
	int		 i;

	for (i = 1; i < e->argc; i++) {
		a = e->argv[i];
		if (strcmp(a, "--") == 0)
			return i + 1 < e->argc ? e->argv[i + 1] : NULL;
		if (a[0] == '-') {
			if (proc_sudo_optarg(a))
				i++;
			continue;
		}
		if ((eq = strchr(a, '=')) != NULL && memchr(a, '/',
		    (size_t)(eq - a)) == NULL)
			continue;
		return a;
	}
	return NULL;
}

enum proc_match {
	MATCH_NONE = 0,
	MATCH_DIRECT,
	MATCH_SUDO,
};

static enum proc_match
proc_match(const struct proc_ent *e, const char *name)
{
	const char	*cmd;

	if (proc_is_named(e, "sudo")) {
		if ((cmd = proc_sudo_command(e)) != NULL &&
		    strcmp(proc_base(cmd), name) == 0)
			return MATCH_SUDO;
		return MATCH_NONE;
	}
	if (proc_is_named(e, name))
		return MATCH_DIRECT;
	/* `node /path/to/codex`, `bash /usr/local/bin/awf` */
	if (e->argc > 1 && e->argv[1][0] != '-' &&
	    strcmp(proc_base(e->argv[1]), name) == 0)
		return MATCH_DIRECT;
	return MATCH_NONE;
}

int
proc_classify(const char *stat, char *cmdline, size_t cmdlen,
    const char *const *names, size_t nnames, char comm[17])
{
	struct proc_ent	e;
	size_t		i;

	memset(&e, 0, sizeof e);
	comm[0] = '\0';
	if (proc_stat_text(&e, stat) == -1)
		return -2;
	memcpy(comm, e.comm, sizeof e.comm);
	proc_cmdline_split(&e, cmdline, cmdlen);
	for (i = 0; i < nnames; i++)
		if (proc_match(&e, names[i]) != MATCH_NONE)
			return (int)i;
	return -1;
}

/*
 * Never the runner's own processes, nor the step's entry process (the
 * Worker's child, or a bash started the way the runner starts steps).
 */
static int
proc_excluded(const struct proc_snap *s, const struct proc_ent *e,
    const struct proc_find_opts *o)
{
	const char		*worker = proc_worker_name(o);
	const struct proc_ent	*p;
	int			 i, noprofile = 0, norc = 0;

	if (e->pid == getpid() || proc_is_worker(e, worker) ||
	    proc_is_named(e, "Runner.Listener") ||
	    (o != NULL && o->worker_pid > 0 && (e->pid == o->worker_pid ||
	    e->ppid == o->worker_pid)))
		return 1;
	if ((p = proc_snap_parent(s, e)) != NULL && proc_is_worker(p, worker))
		return 1;
	for (i = 1; i < e->argc; i++) {
		noprofile |= strcmp(e->argv[i], "--noprofile") == 0;
		norc |= strcmp(e->argv[i], "--norc") == 0;
	}
	return noprofile && norc;
}

/*
 * An eligible ancestor also matches `name` the same way: `e` is not the top
 * one (`node /usr/bin/codex` above the native `codex` it starts).
 */
static int
proc_has_matching_ancestor(const struct proc_snap *s,
    const struct proc_ent *e, const char *name, enum proc_match kind,
    const struct proc_find_opts *o)
{
	size_t	hops = 0;

	while ((e = proc_snap_up(s, e, &hops)) != NULL && e->job)
		if (!proc_excluded(s, e, o) && proc_match(e, name) == kind)
			return 1;
	return 0;
}

/*
 * For one name: a direct match beats `sudo … name` (signal awf itself,
 * sudo only relays); among equals the topmost, then the lowest pid.
 */
static struct proc_ent *
proc_pick(const struct proc_snap *s, const char *name,
    const struct proc_find_opts *o, enum proc_match *kindp)
{
	enum proc_match	 kind, want;
	size_t		 i;

	for (want = MATCH_DIRECT; want <= MATCH_SUDO; want++) {
		for (i = 0; i < s->n; i++) {
			if (!s->v[i].job || proc_excluded(s, &s->v[i], o))
				continue;
			kind = proc_match(&s->v[i], name);
			if (kind != want || proc_has_matching_ancestor(s,
			    &s->v[i], name, kind, o))
				continue;
			*kindp = kind;
			return &s->v[i];
		}
	}
	return NULL;
}

/*
 * Processes that carry the job's id and look like an engine but are not
 * under the job's Worker: never signalled, and named in the report.
 */
static void
proc_note_decoys(const struct proc_snap *s, const char *const *names,
    size_t n, struct proc_info *out)
{
	size_t	i, j;

	for (i = 0; i < s->n; i++) {
		if (!s->v[i].decoy)
			continue;
		for (j = 0; j < n; j++) {
			if (names[j] == NULL || *names[j] == '\0' ||
			    proc_match(&s->v[i], names[j]) == MATCH_NONE)
				continue;
			if (out->ndecoys++ == 0) {
				out->decoy = s->v[i].pid;
				snprintf(out->decoy_name,
				    sizeof out->decoy_name, "%s", names[j]);
			}
			break;
		}
	}
}

static int
proc_choose(struct proc_snap *s, const char *const *names, size_t n,
    const struct proc_find_opts *o, struct proc_info *out)
{
	struct proc_ent	*e;
	enum proc_match	 kind = MATCH_NONE;
	size_t		 i;

	if (names == NULL || n == 0) {
		names = proc_default_targets;
		n = nitems(proc_default_targets);
	}
	for (i = 0; i < n; i++) {
		if (names[i] == NULL || *names[i] == '\0')
			continue;
		if ((e = proc_pick(s, names[i], o, &kind)) != NULL) {
			proc_fill_info(e, names[i], kind == MATCH_SUDO, out);
			proc_note_decoys(s, names, n, out);
			return 0;
		}
	}
	proc_note_decoys(s, names, n, out);
	return -1;
}

ssize_t
proc_list(const char *tracking_id, const struct proc_find_opts *o,
    const char *match, struct proc_info **out)
{
	struct proc_snap	s;
	size_t			i, n;
	int			matched;

	*out = NULL;
	if (proc_snap_take(&s, tracking_id, match != NULL) == -1)
		return -1;
	if (tracking_id != NULL && *tracking_id != '\0')
		proc_mark_job(&s, o);
	*out = xcalloc(s.n ? s.n : 1, sizeof **out);
	for (i = 0, n = 0; i < s.n; i++) {
		if (s.v[i].state == 'Z')
			continue;	/* holds nothing, runs nothing */
		matched = match != NULL && !proc_excluded(&s, &s.v[i], o) &&
		    proc_match(&s.v[i], match) != MATCH_NONE;
		proc_fill_info(&s.v[i], matched ? match : NULL, 0, &(*out)[n]);
		(*out)[n++].job = s.v[i].job;
	}
	proc_snap_free(&s);
	return (ssize_t)n;
}

int
proc_find_engine(const char *tracking_id, const char *const *names,
    size_t n, const struct proc_find_opts *o, struct proc_info *out)
{
	struct proc_snap	s;
	int			rv;

	memset(out, 0, sizeof *out);
	if (tracking_id == NULL || *tracking_id == '\0')
		return -1;
	if (proc_snap_take(&s, tracking_id, 0) == -1)
		return -1;
	proc_mark_job(&s, o);
	rv = proc_choose(&s, names, n, o, out);
	proc_snap_free(&s);
	return rv;
}

void
proc_default_stop(struct policy_stop *ps)
{
	memset(ps, 0, sizeof *ps);
	ps->targets = proc_default_targets;
	ps->ntargets = nitems(proc_default_targets);
	ps->ladder[0] = (struct policy_signal_step){ SIGINT, 7500 };
	ps->ladder[1] = (struct policy_signal_step){ SIGTERM, 2500 };
	ps->ladder[2] = (struct policy_signal_step){ SIGKILL, 0 };
	ps->nladder = 3;
}

/* ---- one process --------------------------------------------------------- */

int
proc_lookup(pid_t pid, struct proc_info *out)
{
	struct proc_ent	e;

	if (pid <= 0 || proc_parse_stat(&e, pid) == -1 || e.state == 'Z' ||
	    e.state == 'X')
		return -1;
	proc_fill_info(&e, NULL, 0, out);
	return 0;
}

int
proc_exists(pid_t pid)
{
	struct proc_info	info;

	return proc_lookup(pid, &info) == 0;
}

pid_t
proc_find_worker(pid_t from)
{
	struct proc_ent	e;
	int		hops, named;

	for (hops = 0; hops < 4096 && from > 0; hops++) {
		if (proc_parse_stat(&e, from) == -1)
			return 0;
		proc_parse_cmdline(&e);
		named = proc_is_named(&e, PROC_WORKER_NAME);
		free(e.cmdline);
		if (named)
			return from;
		if (e.ppid == from)
			return 0;
		from = e.ppid;
	}
	return 0;
}

int
proc_pidfd_open(pid_t pid)
{
	if (proc_no_pidfd) {
		errno = ENOSYS;
		return -1;
	}
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int
proc_alive(pid_t pid, int pidfd)
{
	struct pollfd	pfd = { .fd = pidfd, .events = POLLIN };

	if (pidfd == -1)
		return proc_exists(pid);
	return poll(&pfd, 1, 0) == 0;
}

void
proc_test_no_pidfd(int on)
{
	proc_no_pidfd = on;
}

/* ---- the engine found ahead of need ------------------------------------ */

#define PROC_READY_CHECK_MS	100	/* liveness checks, at most */
#define PROC_READY_RESCAN_MS	1000	/* rescans while none or not the best */
#define PROC_READY_BEST_MS	5000	/* rescans while the first-ranked */

struct proc_ready {
	char			*tracking_id;
	const char *const	*targets;	/* the caller's, or default */
	size_t			 ntargets;
	struct proc_find_opts	 find;
	struct proc_info	 info;
	int			 known;		/* info names a live engine */
	size_t			 rank;		/* of info.name in targets */
	int			 pidfd;		/* liveness of info.pid */
	double			 checked;	/* monotonic s of last check */
	double			 scanned;	/* monotonic s of last scan */
};

struct proc_ready *
proc_ready_new(const char *tracking_id, const struct policy_stop *stop,
    const struct proc_find_opts *find)
{
	struct proc_ready	*r;

	if (tracking_id == NULL || *tracking_id == '\0')
		return NULL;
	r = xcalloc(1, sizeof *r);
	r->tracking_id = xstrdup(tracking_id);
	if (stop != NULL && stop->ntargets > 0) {
		r->targets = stop->targets;
		r->ntargets = stop->ntargets;
	} else {
		r->targets = proc_default_targets;
		r->ntargets = nitems(proc_default_targets);
	}
	if (find != NULL)
		r->find = *find;
	r->pidfd = -1;
	r->scanned = -1e9;
	return r;
}

static void
proc_ready_forget(struct proc_ready *r)
{
	if (r->pidfd != -1)
		close(r->pidfd);
	r->pidfd = -1;
	r->known = 0;
}

void
proc_ready_free(struct proc_ready *r)
{
	if (r == NULL)
		return;
	proc_ready_forget(r);
	free(r->tracking_id);
	free(r);
}

static void
proc_ready_scan(struct proc_ready *r, double now)
{
	struct proc_info	info;
	size_t			i;

	r->scanned = now;
	if (proc_find_engine(r->tracking_id, r->targets, r->ntargets,
	    &r->find, &info) == -1)
		return;
	if (r->known && info.pid == r->info.pid && info.start == r->info.start)
		return;
	proc_ready_forget(r);
	r->info = info;
	r->pidfd = proc_pidfd_open(info.pid);
	for (r->rank = 0, i = 0; i < r->ntargets; i++)
		if (strcmp(r->targets[i], info.name) == 0) {
			r->rank = i;
			break;
		}
	r->known = 1;
	log_debug("engine ready: %s (pid %d)", info.name, (int)info.pid);
}

int
proc_ready_refresh(struct proc_ready *r)
{
	double	now = mono_now(), every;

	if (r == NULL)
		return 0;
	if (now - r->checked < PROC_READY_CHECK_MS / 1000.0)
		return r->known;
	r->checked = now;
	if (r->known && !proc_alive(r->info.pid, r->pidfd))
		proc_ready_forget(r);
	every = r->known && r->rank == 0 ? PROC_READY_BEST_MS :
	    PROC_READY_RESCAN_MS;
	if (now - r->scanned >= every / 1000.0)
		proc_ready_scan(r, now);
	return r->known;
}

int
proc_ready_take(struct proc_ready *r, struct proc_info *out)
{
	if (r == NULL || !r->known || !proc_alive(r->info.pid, r->pidfd))
		return -1;
	*out = r->info;
	return 0;
}

/* ---- an engine's descendants ----------------------------------------- */

/*
 * Append the children of every thread of `pid` (the kernel lists a child
 * under the thread that forked it). -1 when this kernel has no children
 * files (CONFIG_PROC_CHILDREN) and the caller must scan instead.
 */
static int
proc_children_of(pid_t pid, pid_t **v, size_t *n, size_t *cap)
{
	char		 path[64], what[64], *buf, *p, *end;
	DIR		*d;
	struct dirent	*de;
	int		 tasks = 0, files = 0;
	long		 c;

	if (proc_no_children)
		return -1;
	snprintf(path, sizeof path, PROC_ROOT "/%d/task", (int)pid);
	if ((d = opendir(path)) == NULL)
		return 0;		/* gone: no children to pin */
	while ((de = readdir(d)) != NULL) {
		if (!proc_numeric(de->d_name))
			continue;
		tasks++;
		snprintf(what, sizeof what, "task/%.20s/children", de->d_name);
		if ((buf = proc_read(pid, what, PROC_CMDLINE_MAX,
		    NULL)) == NULL)
			continue;
		files++;
		for (p = buf; (c = strtol(p, &end, 10)) > 0; p = end) {
			if (*n == *cap) {
				*cap = *cap ? *cap * 2 : 16;
				*v = xreallocarray(*v, *cap, sizeof **v);
			}
			(*v)[(*n)++] = (pid_t)c;
		}
		free(buf);
	}
	closedir(d);
	return tasks > 0 && files == 0 ? -1 : 0;
}

/*
 * By walking the children files down from top: the cost follows the size
 * of the engine's subtree, not of the machine, which keeps it off the path
 * from a fatal line to the first signal.
 */
static int
proc_walk_subtree(pid_t top, proc_subtree_cb fn, void *arg)
{
	pid_t	*v = NULL;
	size_t	 n = 0, cap = 0, i;

	if (proc_children_of(top, &v, &n, &cap) == -1) {
		free(v);
		return -1;
	}
	for (i = 0; i < n && i < PROC_SUBTREE_MAX; i++)
		if (proc_children_of(v[i], &v, &n, &cap) == -1)
			break;	/* that one is exiting: take what we have */
	for (i = 0; i < n && i < PROC_SUBTREE_MAX; i++)
		fn(v[i], 0, arg);
	free(v);
	return 0;
}

/* The same by a whole scan of /proc, where the walk is not possible. */
static void
proc_scan_subtree(pid_t top, proc_subtree_cb fn, void *arg)
{
	struct proc_snap	 s;
	struct proc_ent		*e;
	size_t			 i;

	if (proc_snap_take(&s, NULL, 0) == -1)
		return;
	for (i = 0; i < s.n; i++) {
		e = &s.v[i];
		if (e->state != 'Z' && proc_under(&s, e, top))
			fn(e->pid, e->start, arg);
	}
	proc_snap_free(&s);
}

void
proc_find_subtree(pid_t top, proc_subtree_cb fn, void *arg)
{
	if (proc_walk_subtree(top, fn, arg) == -1)
		proc_scan_subtree(top, fn, arg);
}

void
proc_test_no_children(int on)
{
	proc_no_children = on;
}
