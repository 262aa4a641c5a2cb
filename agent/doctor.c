/*
 * breaker doctor: what breaks breaker silently on a runner, and the fix.
 *
 * Each misconfiguration below makes breaker watch nothing or stop nothing
 * without failing any job, so nobody notices until a real failure burns its
 * ten minutes: the binary without its capabilities (or a runner whose
 * no_new_privs voids them), a state directory the runner's user cannot
 * write, a firewall log it cannot read, hooks missing from the runner's
 * environment, several runners sharing /tmp/gh-aw, a kernel without
 * pidfd_open or seccomp. The administrator runs `breaker doctor` (as root,
 * to see every runner); the started hook runs `breaker doctor --fast
 * --oneline` as the runner's user and prints one line when something is
 * wrong. Nothing here changes the machine: it only reads.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/xattr.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "cmdopt.h"
#include "github.h"
#include "http.h"
#include "job.h"
#include "log.h"
#include "policy.h"
#include "usage.h"
#include "util.h"
#include "xalloc.h"

#define DOCTOR_LISTENER		"Runner.Listener"
#define DOCTOR_MAX_RUNNERS	64
#define DOCTOR_MAX_GROUPS	256
#define DOCTOR_UNIT_GLOB	"/etc/systemd/system/actions.runner.*.service"
#define DOCTOR_FIREWALL_LOG	"/tmp/gh-aw/sandbox/firewall/logs/access.log"
#define DOCTOR_HOOK_STARTED	"ACTIONS_RUNNER_HOOK_JOB_STARTED"
#define DOCTOR_HOOK_COMPLETED	"ACTIONS_RUNNER_HOOK_JOB_COMPLETED"
#define DOCTOR_INOTIFY_LOW	32	/* one instance per running job */
/* What the daemon keeps when started as root (sandbox.c, hardening.md). */
#define DOCTOR_CAPS_TEXT	"cap_dac_read_search,cap_kill,cap_sys_ptrace+p"

enum doctor_status {
	DOCTOR_OK,
	DOCTOR_SKIP,		/* nothing to check here */
	DOCTOR_WARN,		/* degrades breaker, does not disable it */
	DOCTOR_PROBLEM,		/* breaker silently watches or stops nothing */
};

static const char *const doctor_status_names[] = {
	"ok", "skip", "warning", "problem"
};

struct doctor_check {
	char			*id;
	enum doctor_status	 status;
	char			*message;
	char			*fix;		/* NULL when nothing to do */
	struct doctor_check	*next;
};

/* The user the runner (and so breaker) runs as. */
struct doctor_user {
	int	 known;
	uid_t	 uid;
	gid_t	 groups[DOCTOR_MAX_GROUPS];
	int	 ngroups;
	char	 name[64];
};

/* A running Runner.Listener, as /proc shows it. */
struct doctor_runner {
	pid_t		 pid;
	uid_t		 uid;
	int		 nnp;		/* NoNewPrivs: 1 */
	uint64_t	 capbnd;
	char		 dir[PATH_MAX];	/* "" when /proc/PID/exe is hidden */
	int		 env_read;	/* its environ could be read */
	int		 env_started, env_completed;
};

struct doctor {
	int			 fast;
	const char		*config;
	const char		*runner_dir;
	const char		*unit;
	char			*binary;
	struct doctor_user	 user;
	struct doctor_runner	 runners[DOCTOR_MAX_RUNNERS];
	int			 nrunners;
	uint32_t		 file_caps;	/* permitted, low word */
	int			 file_caps_eff;
	int			 self_nnp;
	struct doctor_check	*checks, **tail;
	int			 problems, warnings;
};

static void doctor_add(struct doctor *, const char *, enum doctor_status,
    const char *, const char *, ...) __attribute__((format(printf, 5, 6)));

static void
doctor_add(struct doctor *d, const char *id, enum doctor_status status,
    const char *fix, const char *fmt, ...)
{
	struct doctor_check	*c = xcalloc(1, sizeof *c);
	va_list			 ap;

	c->id = xstrdup(id);
	c->status = status;
	c->fix = fix ? xstrdup(fix) : NULL;
	va_start(ap, fmt);
	xvasprintf(&c->message, fmt, ap);
	va_end(ap);
	*d->tail = c;
	d->tail = &c->next;
	if (status == DOCTOR_PROBLEM)
		d->problems++;
	else if (status == DOCTOR_WARN)
		d->warnings++;
}

/* --- small readers -------------------------------------------------------- */

/* The value of "Key:" in /proc/PID/status, or NULL. */
static char *
status_field(const char *statusfile, const char *key, char *buf, size_t len)
{
	FILE	*f;
	char	 line[256];
	size_t	 klen = strlen(key);
	char	*out = NULL;

	if ((f = fopen(statusfile, "re")) == NULL)
		return NULL;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, key, klen) != 0 || line[klen] != ':')
			continue;
		snprintf(buf, len, "%s", line + klen + 1 +
		    strspn(line + klen + 1, " \t"));
		buf[strcspn(buf, "\n")] = '\0';
		out = buf;
		break;
	}
	fclose(f);
	return out;
}

static int
read_long(const char *path, long *out)
{
	FILE	*f;
	int	 ok;

	if ((f = fopen(path, "re")) == NULL)
		return -1;
	ok = fscanf(f, "%ld", out) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

/* A NUL-separated environment block has NAME=<something non-empty>. */
static int
env_block_has(const char *env, size_t len, const char *name)
{
	size_t	 nlen = strlen(name), i = 0;

	while (i < len) {
		const char *e = env + i;
		size_t	    elen = strnlen(e, len - i);

		if (elen > nlen + 1 && strncmp(e, name, nlen) == 0 &&
		    e[nlen] == '=')
			return 1;
		i += elen + 1;
	}
	return 0;
}

/* --- the runner's user and permissions --------------------------------- */

static int
user_set(struct doctor_user *u, const struct passwd *pw)
{
	u->ngroups = DOCTOR_MAX_GROUPS;
	if (getgrouplist(pw->pw_name, pw->pw_gid, u->groups, &u->ngroups) == -1)
		u->ngroups = 0;
	u->uid = pw->pw_uid;
	snprintf(u->name, sizeof u->name, "%s", pw->pw_name);
	u->known = 1;
	return 0;
}

static int
user_by_uid(struct doctor_user *u, uid_t uid)
{
	struct passwd	*pw;

	if ((pw = getpwuid(uid)) == NULL)
		return -1;
	return user_set(u, pw);
}

static int
user_in_group(const struct doctor_user *u, gid_t g)
{
	int	i;

	for (i = 0; i < u->ngroups; i++)
		if (u->groups[i] == g)
			return 1;
	return 0;
}

/* Would the user get `want` (4 read, 2 write, 1 search/exec) on st? */
static int
perm_allows(const struct doctor_user *u, const struct stat *st, int want)
{
	int	bits;

	if (u->uid == 0)
		return !(want & 1) || S_ISDIR(st->st_mode) ||
		    (st->st_mode & 0111) != 0;
	if (st->st_uid == u->uid)
		bits = (st->st_mode >> 6) & 7;
	else if (user_in_group(u, st->st_gid))
		bits = (st->st_mode >> 3) & 7;
	else
		bits = st->st_mode & 7;
	return (bits & want) == want;
}

/* Every directory above path searchable by the user; else the first that
 * is not, in `bad`. */
static int
parents_searchable(const struct doctor_user *u, const char *path, char *bad,
    size_t len)
{
	char		 p[PATH_MAX], *s;
	struct stat	 st;

	snprintf(p, sizeof p, "%s", path);
	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (stat(p, &st) == 0 && !perm_allows(u, &st, 1)) {
			snprintf(bad, len, "%s", p);
			return 0;
		}
		*s = '/';
	}
	return 1;
}

static const char *
group_name(gid_t g, char *buf, size_t len)
{
	struct group	*gr = getgrgid(g);

	if (gr != NULL)
		snprintf(buf, len, "%s", gr->gr_name);
	else
		snprintf(buf, len, "%u", (unsigned)g);
	return buf;
}

/* --- what is running ------------------------------------------------------ */

static void
runner_read(struct doctor_runner *r, pid_t pid)
{
	char	 path[64], buf[128], exe[PATH_MAX], *env = NULL, *s;
	ssize_t	 n;
	size_t	 len = 0, cap = 0;
	FILE	*f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (status_field(path, "Uid", buf, sizeof buf) != NULL)
		r->uid = (uid_t)strtoul(buf, NULL, 10);
	if (status_field(path, "NoNewPrivs", buf, sizeof buf) != NULL)
		r->nnp = atoi(buf);
	if (status_field(path, "CapBnd", buf, sizeof buf) != NULL)
		r->capbnd = strtoull(buf, NULL, 16);
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	if ((n = readlink(path, exe, sizeof exe - 1)) > 0) {
		exe[n] = '\0';
		/* <runner dir>/bin/Runner.Listener */
		if ((s = strrchr(exe, '/')) != NULL) {
			*s = '\0';
			if ((s = strrchr(exe, '/')) != NULL && s != exe) {
				*s = '\0';
				snprintf(r->dir, sizeof r->dir, "%s", exe);
			}
		}
	}
	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	for (;;) {
		if (len == cap) {
			if (cap >= (1 << 20))
				break;
			cap = cap ? cap * 2 : 4096;
			env = xreallocarray(env, 1, cap);
		}
		if ((n = fread(env + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	r->env_read = !ferror(f);
	fclose(f);
	if (r->env_read) {
		r->env_started = env_block_has(env, len, DOCTOR_HOOK_STARTED);
		r->env_completed = env_block_has(env, len, DOCTOR_HOOK_COMPLETED);
	}
	free(env);
}

/* Every Runner.Listener on the machine (one per configured runner). */
static void
runners_scan(struct doctor *d)
{
	DIR		*dir;
	struct dirent	*de;
	char		 path[300], comm[32];
	FILE		*f;

	if ((dir = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(dir)) != NULL && d->nrunners < DOCTOR_MAX_RUNNERS) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%s/comm", de->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		if (fgets(comm, sizeof comm, f) == NULL)
			comm[0] = '\0';
		fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
		if (strcmp(comm, DOCTOR_LISTENER) != 0)
			continue;
		d->runners[d->nrunners].pid = atoi(de->d_name);
		runner_read(&d->runners[d->nrunners],
		    d->runners[d->nrunners].pid);
		d->nrunners++;
	}
	closedir(dir);
}

/* --- the checks ----------------------------------------------------------- */

static void
read_file_caps(struct doctor *d)
{
	struct vfs_cap_data	cd;
	ssize_t			n;

	memset(&cd, 0, sizeof cd);
	n = getxattr(d->binary, "security.capability", &cd, sizeof cd);
	if (n < (ssize_t)XATTR_CAPS_SZ_1)
		return;
	d->file_caps = cd.data[0].permitted;
	d->file_caps_eff = (cd.magic_etc & VFS_CAP_FLAGS_EFFECTIVE) != 0;
}

static int
has_cap(uint64_t set, int cap)
{
	return (set >> cap) & 1;
}

/* The binary: there, runnable by the runner's user, on a mount that keeps
 * file capabilities. */
static void
check_binary(struct doctor *d)
{
	struct stat	st;
	struct statvfs	sv;
	char		g[64], *fix;

	if (stat(d->binary, &st) == -1) {
		doctor_add(d, "binary", DOCTOR_PROBLEM, "install breaker "
		    "(the package, or set BREAKER_BIN in the runner's .env)",
		    "%s: %s", d->binary, strerror(errno));
		return;
	}
	if (d->user.known && !perm_allows(&d->user, &st, 1)) {
		xasprintf(&fix, "sudo adduser %s %s, then restart the runner",
		    d->user.name, group_name(st.st_gid, g, sizeof g));
		doctor_add(d, "binary", DOCTOR_PROBLEM, fix, "%s (mode %04o, "
		    "group %s) is not executable by the runner's user %s: the "
		    "hooks only warn and nothing is watched", d->binary,
		    (unsigned)(st.st_mode & 07777), g, d->user.name);
		free(fix);
		return;
	}
	if (statvfs(d->binary, &sv) == 0 && (sv.f_flag & ST_NOSUID)) {
		doctor_add(d, "binary", DOCTOR_PROBLEM, "install breaker on a "
		    "file system mounted without nosuid (/usr is)",
		    "%s is on a nosuid mount: the kernel ignores its file "
		    "capabilities", d->binary);
		return;
	}
	doctor_add(d, "binary", DOCTOR_OK, NULL, "%s (mode %04o, group %s)%s%s",
	    d->binary, (unsigned)(st.st_mode & 07777),
	    group_name(st.st_gid, g, sizeof g),
	    d->user.known ? " runnable by " : "",
	    d->user.known ? d->user.name : "");
}

/* Capabilities as the file carries them (full mode) or as this process got
 * them (fast mode, run by the hook as the runner's user). */
static void
check_capabilities(struct doctor *d)
{
	char	buf[64], fix[PATH_MAX + 128];
	int	need = !d->user.known || d->user.uid != 0;

	snprintf(fix, sizeof fix, "sudo setcap %s %s (the package's postinst "
	    "does this: sudo dpkg-reconfigure breaker)", DOCTOR_CAPS_TEXT,
	    d->binary);
	if (d->fast) {
		uint64_t eff = 0;

		if (geteuid() == 0) {
			doctor_add(d, "capabilities", DOCTOR_OK, NULL,
			    "breaker runs as root");
			return;
		}
		if (status_field("/proc/self/status", "CapEff", buf,
		    sizeof buf) != NULL)
			eff = strtoull(buf, NULL, 16);
		if (has_cap(eff, CAP_KILL)) {
			doctor_add(d, "capabilities", DOCTOR_OK, NULL,
			    "breaker holds CAP_KILL");
			return;
		}
		if (d->self_nnp && has_cap(d->file_caps, CAP_KILL))
			return;	/* said by check_no_new_privs */
		doctor_add(d, "capabilities", DOCTOR_PROBLEM, fix,
		    "breaker (uid %u) lacks CAP_KILL%s: it cannot stop the "
		    "root-owned `sudo awf` of gh-aw", (unsigned)geteuid(),
		    has_cap(d->file_caps, CAP_KILL) ? " (its file grants it, "
		    "the runner's bounding set does not)" : "");
		return;
	}
	if (!need) {
		doctor_add(d, "capabilities", DOCTOR_OK, NULL, "the runner "
		    "runs as root: breaker needs no file capabilities");
		return;
	}
	if (!has_cap(d->file_caps, CAP_KILL)) {
		doctor_add(d, "capabilities", DOCTOR_PROBLEM, fix, "%s carries "
		    "no CAP_KILL: breaker cannot stop the root-owned "
		    "`sudo awf` of gh-aw (\"cannot signal awf: permission "
		    "denied\")%s", d->binary, d->user.known ? "" : "; needed "
		    "unless the runner runs as root (--user NAME)");
		return;
	}
	if (!has_cap(d->file_caps, CAP_DAC_READ_SEARCH) ||
	    !has_cap(d->file_caps, CAP_SYS_PTRACE)) {
		doctor_add(d, "capabilities", DOCTOR_WARN, fix, "%s carries "
		    "CAP_KILL but not CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE:"
		    " the firewall log must be readable by the runner's user",
		    d->binary);
		return;
	}
	doctor_add(d, "capabilities", DOCTOR_OK, NULL, "%s carries %s",
	    d->binary, DOCTOR_CAPS_TEXT);
}

/* "CAP_KILL, CAP_SYS_PTRACE" for a set (names for the ones breaker uses). */
static const char *
cap_names(uint64_t set, char *buf, size_t len)
{
	size_t	off = 0;
	int	cap;

	buf[0] = '\0';
	for (cap = 0; cap < 64 && off < len; cap++) {
		if (!has_cap(set, cap))
			continue;
		off += snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
		    cap == CAP_KILL ? "CAP_KILL" : cap == CAP_DAC_READ_SEARCH ?
		    "CAP_DAC_READ_SEARCH" : cap == CAP_SYS_PTRACE ?
		    "CAP_SYS_PTRACE" : "another capability");
	}
	return buf;
}

static int
unit_value_on(const char *v)
{
	return *v != '\0' && strcmp(v, "no") != 0 && strcmp(v, "false") != 0 &&
	    strcmp(v, "off") != 0 && strcmp(v, "0") != 0;
}

/*
 * systemd options that set no_new_privs (systemd.exec(5)): NoNewPrivileges
 * itself, and these, which imply it for a unit that runs as a user.
 */
static const char *const unit_nnp_keys[] = {
	"NoNewPrivileges", "SystemCallFilter", "SystemCallArchitectures",
	"RestrictAddressFamilies", "RestrictNamespaces", "PrivateDevices",
	"ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
	"ProtectClock", "MemoryDenyWriteExecute", "RestrictRealtime",
	"RestrictSUIDSGID", "LockPersonality", "DynamicUser",
	"ProtectHostname",
};

/* First key of a unit file that voids file capabilities, in `why`. */
static int
unit_voids_caps(const char *file, char *why, size_t len)
{
	FILE	*f;
	char	 line[1024], *k, *v;
	size_t	 i;
	int	 found = 0;

	if ((f = fopen(file, "re")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		k = line + strspn(line, " \t");
		if ((v = strchr(k, '=')) == NULL)
			continue;
		*v++ = '\0';
		k[strcspn(k, " \t")] = '\0';
		v += strspn(v, " \t");
		for (i = 0; i < nitems(unit_nnp_keys);
		    i++) {
			if (strcmp(k, unit_nnp_keys[i]) == 0 &&
			    unit_value_on(v)) {
				snprintf(why, len, "%s: %s=%s", file, k, v);
				found = 1;
			}
		}
		if (strcmp(k, "CapabilityBoundingSet") == 0 &&
		    ((*v == '~') == (strstr(v, "CAP_KILL") != NULL))) {
			snprintf(why, len, "%s: CapabilityBoundingSet=%s (no "
			    "CAP_KILL)", file, v);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/* The unit and its drop-ins. */
static int
unit_tree_voids_caps(const char *unit, char *why, size_t len)
{
	glob_t	 g;
	char	*pat;
	size_t	 i;
	int	 found;

	if ((found = unit_voids_caps(unit, why, len)))
		return 1;
	xasprintf(&pat, "%s.d/*.conf", unit);
	if (glob(pat, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc && !found; i++)
			found = unit_voids_caps(g.gl_pathv[i], why, len);
		globfree(&g);
	}
	free(pat);
	return found;
}

static void
check_no_new_privs(struct doctor *d)
{
	static const char fix[] = "let the runner gain privileges: drop "
	    "NoNewPrivileges= (and the options that imply it) from its "
	    "systemd unit; in a pod, allowPrivilegeEscalation: true and "
	    "capabilities.add: [KILL]";
	char	why[PATH_MAX + 256];
	glob_t	g;
	size_t	i;
	int	n, bad = 0;

	if (d->self_nnp && geteuid() != 0) {
		doctor_add(d, "no_new_privs", DOCTOR_PROBLEM, fix, "breaker "
		    "runs with no_new_privs (NoNewPrivs: 1 in /proc/self/"
		    "status): the kernel ignores its file capabilities, so it "
		    "cannot stop a root-owned engine");
		bad = 1;
	}
	for (n = 0; n < d->nrunners; n++) {
		const struct doctor_runner *r = &d->runners[n];

		if (r->nnp) {
			doctor_add(d, "no_new_privs", DOCTOR_PROBLEM, fix,
			    "the runner %s (pid %d) runs with no_new_privs: "
			    "breaker's file capabilities are void in its jobs",
			    r->dir[0] ? r->dir : "", (int)r->pid);
			bad = 1;
		} else if (d->file_caps_eff &&
		    ((uint64_t)d->file_caps & ~r->capbnd) != 0) {
			char names[128];

			/* "+ep": execve refuses what it cannot grant. */
			doctor_add(d, "no_new_privs", DOCTOR_PROBLEM,
			    "add them to the runner's capabilities (a pod's "
			    "securityContext.capabilities.add), or give the "
			    "binary them as permitted only: sudo setcap "
			    DOCTOR_CAPS_TEXT " BINARY",
			    "the runner %s (pid %d) lacks %s in its bounding "
			    "set: the kernel refuses to run %s, whose file "
			    "capabilities ask for them (the hooks print "
			    "\"start failed (exit 126)\")",
			    r->dir[0] ? r->dir : "", (int)r->pid,
			    cap_names((uint64_t)d->file_caps & ~r->capbnd,
			    names, sizeof names), d->binary);
			bad = 1;
		} else if (!has_cap(r->capbnd, CAP_KILL)) {
			doctor_add(d, "no_new_privs", DOCTOR_PROBLEM, fix,
			    "the runner %s (pid %d) has no CAP_KILL in its "
			    "bounding set: breaker cannot stop a root-owned "
			    "engine in its jobs", r->dir[0] ? r->dir : "",
			    (int)r->pid);
			bad = 1;
		} else if (((uint64_t)d->file_caps & ~r->capbnd) != 0) {
			char names[128];

			doctor_add(d, "no_new_privs", DOCTOR_WARN, "add them "
			    "to the runner's capabilities (a pod's "
			    "securityContext.capabilities.add) if the "
			    "firewall log is not readable by the runner's user",
			    "the runner %s (pid %d) lacks %s in its bounding "
			    "set: breaker runs with CAP_KILL only in its jobs",
			    r->dir[0] ? r->dir : "", (int)r->pid,
			    cap_names((uint64_t)d->file_caps & ~r->capbnd,
			    names, sizeof names));
		}
	}
	if (d->fast)
		goto out;
	if (d->unit != NULL) {
		if (unit_tree_voids_caps(d->unit, why, sizeof why)) {
			doctor_add(d, "no_new_privs", DOCTOR_PROBLEM, fix,
			    "%s", why);
			bad = 1;
		}
	} else if (glob(DOCTOR_UNIT_GLOB, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++) {
			if (unit_tree_voids_caps(g.gl_pathv[i], why,
			    sizeof why)) {
				doctor_add(d, "no_new_privs", DOCTOR_PROBLEM,
				    fix, "%s", why);
				bad = 1;
			}
		}
		globfree(&g);
	}
out:
	if (!bad && !d->fast)
		doctor_add(d, "no_new_privs", DOCTOR_OK, NULL, "nothing "
		    "voids breaker's file capabilities (%d runner%s running)",
		    d->nrunners, d->nrunners == 1 ? "" : "s");
}

static void
check_runners(struct doctor *d)
{
	if (d->nrunners > 1) {
		doctor_add(d, "runners", DOCTOR_PROBLEM, "run one runner per "
		    "machine (or per container), or give each its own "
		    "/tmp/gh-aw", "%d runners (Runner.Listener) on this "
		    "machine share /tmp/gh-aw: one job's failure line can stop "
		    "another job's engine", d->nrunners);
		return;
	}
	if (!d->fast)
		doctor_add(d, "runners", DOCTOR_OK, NULL, "%d runner%s on this "
		    "machine", d->nrunners, d->nrunners == 1 ? "" : "s");
}

static void
check_state_dir(struct doctor *d, const struct policy *p)
{
	const char	*env = getenv("BREAKER_STATE_DIR"), *root, *from;
	struct stat	 st;
	char		*fix, g[64], parent[PATH_MAX], *s;

	if (env != NULL && *env != '\0') {
		root = env;
		from = "BREAKER_STATE_DIR";
	} else if (p != NULL && policy_state_dir(p) != NULL) {
		root = policy_state_dir(p);
		from = "the configuration's state_dir";
	} else {
		root = JOB_STATE_DIR_SYSTEM;
		from = "the default";
	}
	xasprintf(&fix, "sudo install -d -o root -g breaker -m 1770 %s, and "
	    "add the runner's user to the breaker group (the package's "
	    "tmpfiles.d does this for /var/lib/breaker)", root);
	if (lstat(root, &st) == -1) {
		snprintf(parent, sizeof parent, "%s", root);
		if ((s = strrchr(parent, '/')) != NULL && s != parent)
			*s = '\0';
		if (errno == ENOENT && stat(parent, &st) == 0 &&
		    d->user.known && perm_allows(&d->user, &st, 3)) {
			doctor_add(d, "state_dir", DOCTOR_OK, NULL, "%s (%s) "
			    "does not exist yet; %s may create it", root, from,
			    d->user.name);
		} else if (errno == ENOENT && !d->user.known) {
			doctor_add(d, "state_dir", DOCTOR_WARN, fix, "%s (%s) "
			    "does not exist; the runner's user (unknown here: "
			    "--user NAME) must be able to create it", root,
			    from);
		} else
			doctor_add(d, "state_dir", DOCTOR_PROBLEM, fix, "%s (%s):"
			    " %s", root, from, strerror(errno == 0 ? ENOENT :
			    errno));
	} else if (!S_ISDIR(st.st_mode)) {
		doctor_add(d, "state_dir", DOCTOR_PROBLEM, fix, "%s (%s) is "
		    "not a directory", root, from);
	} else if (d->user.known && !perm_allows(&d->user, &st, 3)) {
		doctor_add(d, "state_dir", DOCTOR_PROBLEM, fix, "%s (%s, "
		    "owner %u, group %s, mode %04o) is not writable by the "
		    "runner's user %s: breaker watches nothing", root, from,
		    (unsigned)st.st_uid, group_name(st.st_gid, g, sizeof g),
		    (unsigned)(st.st_mode & 07777), d->user.name);
	} else if ((st.st_mode & 0002) && !(st.st_mode & S_ISVTX)) {
		doctor_add(d, "state_dir", DOCTOR_PROBLEM, fix, "%s (%s, mode "
		    "%04o) is writable by everyone without the sticky bit: "
		    "any user can remove a job's records", root, from,
		    (unsigned)(st.st_mode & 07777));
	} else
		doctor_add(d, "state_dir", DOCTOR_OK, NULL, "%s (%s, mode "
		    "%04o, group %s)", root, from,
		    (unsigned)(st.st_mode & 07777),
		    group_name(st.st_gid, g, sizeof g));
	free(fix);
}

static void
check_firewall_log(struct doctor *d, const struct policy *p)
{
	const char	*path = DOCTOR_FIREWALL_LOG;
	struct stat	 st;
	char		 bad[PATH_MAX] = "", g[64], *fix;
	int		 i;

	if (p != NULL && (i = policy_source_index(p, "firewall")) >= 0)
		path = policy_source(p, (size_t)i)->path;
	if (stat(path, &st) == -1) {
		doctor_add(d, "firewall_log", DOCTOR_SKIP, NULL, "%s: not there "
		    "now (gh-aw's firewall writes it during agent jobs); run "
		    "doctor again during one", path);
		return;
	}
	if (!d->user.known) {
		doctor_add(d, "firewall_log", DOCTOR_SKIP, NULL, "%s: the "
		    "runner's user is unknown (--user NAME)", path);
		return;
	}
	if (d->user.uid == 0 || has_cap(d->file_caps, CAP_DAC_READ_SEARCH)) {
		doctor_add(d, "firewall_log", DOCTOR_OK, NULL, "%s: readable "
		    "by breaker (%s)", path, d->user.uid == 0 ? "root" :
		    "CAP_DAC_READ_SEARCH");
		return;
	}
	if (!parents_searchable(&d->user, path, bad, sizeof bad) ||
	    !perm_allows(&d->user, &st, 4)) {
		xasprintf(&fix, "sudo setcap %s %s, or sudo adduser %s %s "
		    "(the file's group), or a default ACL on its directory "
		    "(docs/deployment.md)", DOCTOR_CAPS_TEXT, d->binary,
		    d->user.name, group_name(st.st_gid, g, sizeof g));
		doctor_add(d, "firewall_log", DOCTOR_PROBLEM, fix, "%s (owner "
		    "%u, group %s, mode %04o) is not readable by the runner's "
		    "user %s: rules on the firewall source never fire", path,
		    (unsigned)st.st_uid, g, (unsigned)(st.st_mode & 07777),
		    d->user.name);
		free(fix);
		return;
	}
	doctor_add(d, "firewall_log", DOCTOR_OK, NULL, "%s: readable by %s",
	    path, d->user.name);
}

/* The value of KEY in a runner's .env (KEY=VALUE lines), or NULL. */
static char *
dotenv_get(const char *file, const char *key, char *buf, size_t len)
{
	FILE	*f;
	char	 line[PATH_MAX + 128];
	size_t	 klen = strlen(key);
	char	*out = NULL;

	if ((f = fopen(file, "re")) == NULL)
		return NULL;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, key, klen) == 0 && line[klen] == '=' &&
		    line[klen + 1] != '\0') {
			snprintf(buf, len, "%s", line + klen + 1);
			out = buf;
		}
	}
	fclose(f);
	return out;
}

static int
hook_in_env(const struct doctor_runner *r, const char *key)
{
	return strcmp(key, DOCTOR_HOOK_STARTED) == 0 ? r->env_started :
	    r->env_completed;
}

static void
check_hook(struct doctor *d, const char *dir, const char *envfile,
    const char *key, const char *want, const struct doctor_runner *r)
{
	char		 val[PATH_MAX], *fix;
	struct stat	 st;
	const char	*base;

	xasprintf(&fix, "add %s=/usr/share/breaker/hooks/%s to %s, then "
	    "restart the runner (sudo ./svc.sh stop && sudo ./svc.sh start)",
	    key, want, envfile);
	if (dotenv_get(envfile, key, val, sizeof val) == NULL) {
		if (r != NULL && r->env_read && hook_in_env(r, key))
			doctor_add(d, "hooks", DOCTOR_OK, NULL, "%s: %s is set "
			    "in the runner's environment (not in .env)", dir,
			    key);
		else
			doctor_add(d, "hooks", DOCTOR_PROBLEM, fix, "%s: %s is "
			    "not set in %s: breaker never runs in this "
			    "runner's jobs", dir, key, envfile);
		goto out;
	}
	base = strrchr(val, '/') ? strrchr(val, '/') + 1 : val;
	if (stat(val, &st) == -1) {
		doctor_add(d, "hooks", DOCTOR_PROBLEM, fix, "%s: %s=%s: %s", dir,
		    key, val, strerror(errno));
	} else if (strcmp(base, want) != 0) {
		doctor_add(d, "hooks", DOCTOR_WARN, NULL, "%s: %s=%s is not "
		    "breaker's %s (a wrapper must run it and exit 0)", dir, key,
		    val, want);
	} else if (r != NULL && r->env_read && !hook_in_env(r, key)) {
		doctor_add(d, "hooks", DOCTOR_PROBLEM, "restart the runner "
		    "(sudo ./svc.sh stop && sudo ./svc.sh start)", "%s: %s is "
		    "in .env but not in the running runner's environment "
		    "(pid %d): it was not restarted", dir, key, (int)r->pid);
	} else
		doctor_add(d, "hooks", DOCTOR_OK, NULL, "%s: %s=%s", dir, key,
		    val);
out:
	free(fix);
}

static void
check_hooks(struct doctor *d)
{
	char	envfile[PATH_MAX + 8];
	int	i;

	if (d->runner_dir != NULL) {
		const struct doctor_runner *r = NULL;

		for (i = 0; i < d->nrunners; i++)
			if (strcmp(d->runners[i].dir, d->runner_dir) == 0)
				r = &d->runners[i];
		snprintf(envfile, sizeof envfile, "%s/.env", d->runner_dir);
		check_hook(d, d->runner_dir, envfile, DOCTOR_HOOK_STARTED,
		    "job-started.sh", r);
		check_hook(d, d->runner_dir, envfile, DOCTOR_HOOK_COMPLETED,
		    "job-completed.sh", r);
		return;
	}
	for (i = 0; i < d->nrunners; i++) {
		const struct doctor_runner *r = &d->runners[i];

		if (r->dir[0] == '\0')
			continue;
		snprintf(envfile, sizeof envfile, "%s/.env", r->dir);
		check_hook(d, r->dir, envfile, DOCTOR_HOOK_STARTED,
		    "job-started.sh", r);
		check_hook(d, r->dir, envfile, DOCTOR_HOOK_COMPLETED,
		    "job-completed.sh", r);
	}
	if (d->nrunners == 0)
		doctor_add(d, "hooks", DOCTOR_SKIP, NULL, "no runner is running"
		    " and none was named (--runner DIR)");
}

/* The GitHub actions, when the configuration allows one, need libcurl. */
static void
check_http(struct doctor *d, const struct policy *p)
{
	if (p == NULL || !policy_github_actions(p))
		return;
#if !BREAKER_GITHUB
	doctor_add(d, "github", DOCTOR_PROBLEM, "install a breaker built with "
	    "the GitHub client, or remove \"cancel-run\" and \"check-run\" "
	    "from actions",
	    "the configuration allows GitHub actions, but " GITHUB_NOT_BUILT
	    ": they are off");
#else
	if (!http_available())
		doctor_add(d, "github", DOCTOR_PROBLEM, "sudo apt-get install "
		    "libcurl4 (libcurl >= 7.84)", "the configuration allows "
		    "GitHub actions, but libcurl.so.4 does not load: they are "
		    "off");
	else
		doctor_add(d, "github", DOCTOR_OK, NULL, "GitHub actions "
		    "allowed; libcurl loads");
#endif
}

static void
check_kernel(struct doctor *d)
{
	unsigned int	act;
	long		inst = -1, watches = -1;
	int		fd;

	if ((fd = (int)syscall(SYS_pidfd_open, getpid(), 0)) == -1 &&
	    errno == ENOSYS)
		doctor_add(d, "kernel", DOCTOR_PROBLEM, "run a Linux >= 5.3 "
		    "kernel", "no pidfd_open (Linux < 5.3): breaker cannot "
		    "follow the Worker or the engine reliably");
	else {
		if (fd != -1)
			close(fd);
		if (!d->fast)
			doctor_add(d, "kernel", DOCTOR_OK, NULL,
			    "pidfd_open works");
	}
	act = SECCOMP_RET_KILL_PROCESS;
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &act) == -1)
		doctor_add(d, "kernel", DOCTOR_PROBLEM, "set \"sandbox\": \"off\""
		    " in the configuration, or run a kernel with seccomp "
		    "filters (Linux >= 4.14)", "seccomp filters that kill the "
		    "process are unavailable (%s): the daemon cannot start "
		    "its sandbox", strerror(errno));
	else if (!d->fast)
		doctor_add(d, "kernel", DOCTOR_OK, NULL, "seccomp filters "
		    "available");
	read_long("/proc/sys/fs/inotify/max_user_instances", &inst);
	read_long("/proc/sys/fs/inotify/max_user_watches", &watches);
	if (inst >= 0 && inst < DOCTOR_INOTIFY_LOW)
		doctor_add(d, "kernel", DOCTOR_WARN, "sudo sysctl "
		    "fs.inotify.max_user_instances=128 (and in "
		    "/etc/sysctl.d/)", "fs.inotify.max_user_instances is %ld: "
		    "past it breaker polls its logs instead of being woken",
		    inst);
	else if (!d->fast)
		doctor_add(d, "kernel", DOCTOR_OK, NULL, "inotify: %ld "
		    "instances, %ld watches per user", inst, watches);
}

/* --- output --------------------------------------------------------------- */

static void
print_text(const struct doctor *d, FILE *out)
{
	const struct doctor_check	*c;

	for (c = d->checks; c != NULL; c = c->next) {
		fprintf(out, "%-8s %-13s %s\n", c->status == DOCTOR_PROBLEM ?
		    "PROBLEM" : doctor_status_names[c->status], c->id,
		    c->message);
		if (c->fix != NULL && c->status >= DOCTOR_WARN)
			fprintf(out, "%-8s %-13s fix: %s\n", "", "", c->fix);
	}
	if (d->problems + d->warnings == 0)
		fprintf(out, "breaker doctor: no problems found\n");
	else
		fprintf(out, "breaker doctor: %d problem%s, %d warning%s\n",
		    d->problems, d->problems == 1 ? "" : "s", d->warnings,
		    d->warnings == 1 ? "" : "s");
}

/* One line for the job log, or nothing when all is well. */
static void
print_oneline(const struct doctor *d, FILE *out)
{
	const struct doctor_check	*c;
	const char			*sep = "";

	if (d->problems + d->warnings == 0)
		return;
	fprintf(out, "breaker doctor: ");
	for (c = d->checks; c != NULL; c = c->next) {
		if (c->status < DOCTOR_WARN)
			continue;
		fprintf(out, "%s%s", sep, c->message);
		sep = "; ";
	}
	fprintf(out, ". Run 'breaker doctor' on the runner for the fix.\n");
}

static void
print_json(const struct doctor *d, FILE *out)
{
	const struct doctor_check	*c;
	cJSON				*o = cJSON_CreateObject(), *a, *e;
	char				*text;

	cJSON_AddNumberToObject(o, "problems", d->problems);
	cJSON_AddNumberToObject(o, "warnings", d->warnings);
	cJSON_AddStringToObject(o, "binary", d->binary);
	json_add_str_or_null(o, "user", d->user.known ? d->user.name : NULL);
	cJSON_AddNumberToObject(o, "runners", d->nrunners);
	a = cJSON_AddArrayToObject(o, "checks");
	for (c = d->checks; c != NULL; c = c->next) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "check", c->id);
		cJSON_AddStringToObject(e, "status",
		    doctor_status_names[c->status]);
		cJSON_AddStringToObject(e, "message", c->message);
		json_add_str_or_null(e, "fix", c->status >= DOCTOR_WARN ?
		    c->fix : NULL);
		cJSON_AddItemToArray(a, e);
	}
	if ((text = cJSON_PrintUnformatted(o)) != NULL) {
		fprintf(out, "%s\n", text);
		free(text);
	}
	cJSON_Delete(o);
}

static void
doctor_free(struct doctor *d)
{
	struct doctor_check	*c, *next;

	for (c = d->checks; c != NULL; c = next) {
		next = c->next;
		free(c->id);
		free(c->message);
		free(c->fix);
		free(c);
	}
	free(d->binary);
}

/* --- the command ---------------------------------------------------------- */


/* The runner's user: --user, else --runner's owner, else a running
 * runner's, else whoever runs doctor when that is not root. */
static int
resolve_user(struct doctor *d, const char *name)
{
	struct passwd	*pw;
	struct stat	 st;

	if (name != NULL) {
		if ((pw = getpwnam(name)) == NULL) {
			fprintf(stderr, "breaker doctor: no user %s\n", name);
			return -1;
		}
		return user_set(&d->user, pw);
	}
	if (d->runner_dir != NULL && stat(d->runner_dir, &st) == 0)
		user_by_uid(&d->user, st.st_uid);
	else if (d->nrunners > 0)
		user_by_uid(&d->user, d->runners[0].uid);
	else if (d->fast || geteuid() != 0)
		user_by_uid(&d->user, geteuid());
	return 0;
}

static void
resolve_binary(struct doctor *d, const char *name)
{
	char	buf[PATH_MAX], envfile[PATH_MAX + 8];
	ssize_t	n;

	if (name == NULL && d->runner_dir != NULL) {
		snprintf(envfile, sizeof envfile, "%s/.env", d->runner_dir);
		name = dotenv_get(envfile, "BREAKER_BIN", buf, sizeof buf);
	}
	if (name != NULL) {
		d->binary = xstrdup(name);
		return;
	}
	if ((n = readlink("/proc/self/exe", buf, sizeof buf - 1)) > 0) {
		buf[n] = '\0';
		d->binary = xstrdup(buf);
	} else
		d->binary = xstrdup("/proc/self/exe");
}

int
cmd_doctor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json",	no_argument,		NULL, 'j' },
		{ "fast",	no_argument,		NULL, 'f' },
		{ "oneline",	no_argument,		NULL, 'o' },
		{ "runner",	required_argument,	NULL, 'r' },
		{ "user",	required_argument,	NULL, 'u' },
		{ "unit",	required_argument,	NULL, 'U' },
		CMDOPT_CONFIG_LONGOPT,
		{ "binary",	required_argument,	NULL, 'b' },
		CMDOPT_END_LONGOPTS
	};
	struct doctor		 d;
	struct policy		*p = NULL;
	struct cmdopt		 po;
	const char		*user = NULL, *binary = NULL;
	char			 buf[32], *errors = NULL;
	int			 ch, json = 0, oneline = 0;

	memset(&d, 0, sizeof d);
	d.tail = &d.checks;
	cmdopt_init(&po);
	while ((ch = getopt_long(argc, argv, CMDOPT_CONFIG_LETTERS
	    "jfor:u:U:b:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'f': d.fast = 1; break;
		case 'o': oneline = 1; break;
		case 'r': d.runner_dir = optarg; break;
		case 'u': user = optarg; break;
		case 'U': d.unit = optarg; break;
		case 'c': cmdopt_option(&po, ch, optarg); break;
		case 'b': binary = optarg; break;
		case 'h':
			return usage_help("doctor");
		default:
			usage_error("doctor");
			return 2;
		}
	}
	if (optind != argc) {
		usage_error("doctor");
		return 2;
	}
	d.config = cmdopt_config(&po);
	if (status_field("/proc/self/status", "NoNewPrivs", buf,
	    sizeof buf) != NULL)
		d.self_nnp = atoi(buf);
	runners_scan(&d);
	if (resolve_user(&d, user) == -1)
		return 2;
	resolve_binary(&d, binary);
	read_file_caps(&d);

	if (!d.fast) {
		check_binary(&d);
		if ((p = cmdopt_policy(&po, &errors)) == NULL)
			doctor_add(&d, "config", DOCTOR_PROBLEM, "fix it, then "
			    "breaker check FILE", "%s does not load: %s",
			    d.config ? d.config : "the built-in configuration",
			    errors ? errors : "?");
		else if (d.config != NULL)
			doctor_add(&d, "config", DOCTOR_OK, NULL, "%s",
			    policy_describe(p));
		free(errors);
	}
	check_capabilities(&d);
	check_no_new_privs(&d);
	check_runners(&d);
	if (!d.fast) {
		check_state_dir(&d, p);
		check_firewall_log(&d, p);
		check_hooks(&d);
		check_http(&d, p);
	}
	check_kernel(&d);
	policy_free(p);

	if (json)
		print_json(&d, stdout);
	else if (oneline)
		print_oneline(&d, stdout);
	else
		print_text(&d, stdout);
	ch = d.problems > 0;
	doctor_free(&d);
	return ch;
}
