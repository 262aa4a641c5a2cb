/*
 * The daemon's confinement, entered once start-up is done (configuration
 * read, sources opened, socket bound, targets resolvable):
 *
 *  1. privileges: started as root, keep only the three capabilities the job
 *     needs (read a firewall log owned by Squid's user, read the environ of
 *     the job's processes, signal a root-owned `sudo awf`) and drop every
 *     other one from the effective, permitted, inheritable and bounding sets;
 *  2. no_new_privs, so nothing can regain them;
 *  3. a seccomp allow-list whose default kills the process.
 *
 * The allow-list is the table below, one system call a line with the reason
 * it is needed, meant to be read top to bottom by a reviewer (and printed by
 * `breaker check --sandbox`); a few rows narrow a call by one argument
 * (ioctl's request, socket's family). execve is absent: the daemon never
 * runs a program after start.
 */
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <errno.h>
#include <stdint.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "github.h"
#include "log.h"
#include "sandbox.h"
#include "util.h"

/*
 * A row allows one system call. A row with a condition on one argument
 * (OpenSSH's SC_ALLOW_ARG) applies only when the condition holds, and a
 * FAILS row makes the call fail with that errno instead of killing: for a
 * call that libraries make and cope with when it fails. The rows of one
 * call never overlap (libseccomp's choice between overlapping rules of
 * different actions is not something to rely on; sandbox_add checks it);
 * what no row covers kills, as for a call that has no row at all.
 */
enum sandbox_op {
	SANDBOX_ANY,		/* no condition */
	SANDBOX_EQ,
	SANDBOX_NE,
	SANDBOX_GT,
	SANDBOX_IN,		/* lo..hi, a short run: one rule per value */
};

struct sandbox_syscall {
	const char	*name;
	const char	*why;
	enum sandbox_op	 op;
	unsigned int	 arg;	/* which argument the condition tests */
	const char	*what;	/* that argument's name, as printed */
	uint64_t	 lo, hi;
	const char	*value;	/* lo (..hi) as written in the table */
	int		 err;	/* 0: allow; else fail with this errno */
	const char	*errname;
};

#define SANDBOX_ARG(o, n, name, a, b, text) \
	.op = SANDBOX_##o, .arg = (n), .what = (name), .lo = (a), .hi = (b), \
	.value = (text)
#define ARG_EQ(n, name, v)	SANDBOX_ARG(EQ, n, name, v, v, #v)
#define ARG_NE(n, name, v)	SANDBOX_ARG(NE, n, name, v, v, #v)
#define ARG_GT(n, name, v)	SANDBOX_ARG(GT, n, name, v, v, #v)
#define ARG_IN(n, name, a, b)	SANDBOX_ARG(IN, n, name, a, b, #a ".." #b)
#define FAILS(e)		.err = (e), .errname = #e

/* A plain row leaves the condition fields zero: SANDBOX_ANY, allow. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct sandbox_syscall sandbox_allow[] = {
	/* reading and writing what is already open */
	{ "read",		"log files, inotify, sockets, pipes" },
	{ "readv",		"libevent buffers" },
	{ "pread64",		"content marker of a followed file (truncation check)" },
	{ "write",		"own log, verdict files, socket replies" },
	{ "writev",		"libevent buffers" },
	{ "lseek",		"tail offsets" },
	{ "close",		"everything" },
	{ "fcntl",		"non-blocking and close-on-exec flags" },
	{ "ioctl",		"bytes waiting on inotify and sockets (libevent)",
				ARG_EQ(1, "request", FIONREAD) },
	{ "ioctl",		"glibc's isatty (TCGETS) for stdio gets a "
				"non-terminal's answer, not a kill",
				ARG_NE(1, "request", FIONREAD), FAILS(ENOTTY) },
	{ "dup",		"libevent" },
	{ "dup3",		"libevent" },
	{ "pipe2",		"libevent's internal notification" },
	{ "eventfd2",		"libevent's internal notification" },

	/* files: rotation re-opens, /proc scans, atomic verdict writes */
	{ "openat",		"re-open a rotated log, /proc/PID/{stat,environ}" },
	{ "open",		"older libc paths of the same" },
	{ "fstat",		"tail: size and inode of an open file" },
	{ "newfstatat",		"tail: size and inode by path; /proc entries" },
	{ "stat",		"older libc paths of the same" },
	{ "lstat",		"symlinked log paths" },
	{ "statx",		"newer libc paths of the same" },
	{ "fstatfs",		"tail: detect network filesystems" },
	{ "statfs",		"tail: detect network filesystems" },
	{ "readlink",		"symlinked log paths" },
	{ "readlinkat",		"symlinked log paths" },
	{ "getdents64",		"scan /proc for the job's processes" },
	{ "rename",		"verdict files are written then renamed" },
	{ "renameat",		"the same, newer libc" },
	{ "renameat2",		"the same, newer libc" },
	{ "unlink",		"remove a temporary verdict file, the socket" },
	{ "unlinkat",		"the same, newer libc" },
	{ "fsync",		"verdicts are durable before any action" },
	{ "fdatasync",		"the same" },
	{ "fchmod",		"verdict files are 0600" },
	{ "umask",		"the same" },

	/* following files */
	{ "inotify_init1",	"re-create the watch set after an overflow" },
	{ "inotify_add_watch",	"files and directories that appear later" },
	{ "inotify_rm_watch",	"files that go away" },

	/* the event loop and time */
	{ "epoll_create1",	"libevent" },
	{ "epoll_ctl",		"libevent" },
	{ "epoll_wait",		"libevent" },
	{ "epoll_pwait",	"libevent" },
	{ "poll",		"libc (resolver, OpenSSL)" },
	{ "ppoll",		"libc" },
	{ "select",		"libc" },
	{ "pselect6",		"libc" },
	{ "timerfd_create",	"libevent timers" },
	{ "timerfd_settime",	"libevent timers" },
	{ "clock_gettime",	"event times" },
	{ "clock_nanosleep",	"bounded waits" },
	{ "nanosleep",		"bounded waits" },
	{ "gettimeofday",	"libevent" },

	/* the control socket (bound before the sandbox) and libevent */
	{ "accept",		"control socket" },
	{ "accept4",		"control socket" },
	{ "recvfrom",		"sockets, libevent's signal pipe" },
	{ "recvmsg",		"sockets" },
	{ "sendto",		"sockets, libevent's signal pipe" },
	{ "sendmsg",		"sockets" },
	{ "shutdown",		"sockets" },
	{ "getsockopt",		"control socket peer credentials; connect "
				"completion (libevent)" },
	{ "getpeername",	"control socket peer check" },
	{ "getrandom",		"libc; TLS and JWT (OpenSSL)" },
	{ "uname",		"libc and OpenSSL probes" },

	/* stopping the engine */
	{ "pidfd_open",		"a handle on the engine that survives pid reuse" },
	{ "pidfd_send_signal",	"the signal ladder" },
	/* any signal: the ladder's are the policy's (SIGINT, SIGTERM,
	 * SIGKILL by default), 0 probes liveness */
	{ "kill",		"fallback on kernels without pidfds; liveness probes" },
	{ "waitid",		"reap children (none in the daemon; libc paths)" },
	{ "wait4",		"the same" },

	/* signals, memory, threads, identity */
	{ "rt_sigaction",	"libevent signal handling" },
	{ "rt_sigprocmask",	"libevent signal handling" },
	{ "rt_sigreturn",	"returning from a signal handler" },
	{ "sigaltstack",	"sanitizer and libc signal stacks" },
	{ "tgkill",		"abort()" },
	{ "getpid",		"logging" },
	{ "gettid",		"libc" },
	{ "getppid",		"the Worker watch" },
	{ "getuid",		"libc" },
	{ "geteuid",		"libc" },
	{ "getgid",		"libc" },
	{ "getegid",		"libc" },
	{ "brk",		"malloc" },
	{ "mmap",		"malloc" },
	{ "munmap",		"malloc" },
	{ "mremap",		"malloc" },
	/* mprotect and mmap keep PROT_EXEC: the PCRE2 JIT's code memory.
	 * Rules are JIT-compiled before the sandbox, but that the JIT never
	 * maps or protects code later is not proven, and a wrong filter
	 * would kill the daemon. */
	{ "mprotect",		"malloc arenas, PCRE2 JIT (PROT_EXEC)" },
	{ "madvise",		"malloc" },
	{ "futex",		"libc locks" },
	{ "sched_yield",	"libc locks" },
	{ "sched_getaffinity",	"libc" },
	{ "prlimit64",		"libc" },
	{ "sysinfo",		"glibc's qsort sizes its buffer by physical memory" },
	{ "restart_syscall",	"interrupted sleeps" },
	{ "exit",		"thread exit" },
	{ "exit_group",		"process exit" },
};

/*
 * The optional GitHub client (meson -Dgithub, on by default): new network
 * connections. A build without it has no way to open one after start.
 */
static const struct sandbox_syscall sandbox_allow_github[] = {
	/*
	 * socket by family. Every family but these three fails with
	 * EAFNOSUPPORT, what the kernel answers for a family it lacks, so
	 * every caller copes: AF_NETLINK, which glibc's getaddrinfo opens
	 * for AI_ADDRCONFIG and does without, and the exotic 0 and 3..9
	 * (AX.25 to X.25), which nothing here opens (glibc's old __opensock
	 * tries some only after AF_UNIX failed): failing them costs nothing,
	 * a kill would cost the job its watch. The rows cover every value
	 * once: 0, 1, 2, 3..9, 10, above 10.
	 */
	{ "socket",		"resolver, local sockets", ARG_EQ(0, "family", AF_UNIX) },
	{ "socket",		"GitHub API connections, resolver",
				ARG_EQ(0, "family", AF_INET) },
	{ "socket",		"GitHub API connections, resolver",
				ARG_EQ(0, "family", AF_INET6) },
	{ "socket",		"no such family", ARG_EQ(0, "family", AF_UNSPEC),
				FAILS(EAFNOSUPPORT) },
	{ "socket",		"not needed",
				ARG_IN(0, "family", AF_AX25, AF_X25),
				FAILS(EAFNOSUPPORT) },
	{ "socket",		"not needed (AF_NETLINK: getaddrinfo copes)",
				ARG_GT(0, "family", AF_INET6),
				FAILS(EAFNOSUPPORT) },
	{ "connect",		"GitHub API connections, resolver" },
	{ "bind",		"resolver's UDP socket" },
	{ "sendmmsg",		"resolver (A and AAAA at once)" },
	{ "setsockopt",		"socket options (libcurl, resolver)" },
	{ "getsockname",	"libcurl: the local end of a connection" },
	{ "socketpair",		"libcurl's multi handle (its wake-up pair)",
				ARG_EQ(0, "family", AF_UNIX) },
	{ "socketpair",		"any other family", ARG_NE(0, "family",
				AF_UNIX), FAILS(EAFNOSUPPORT) },
};

/*
 * The sanitizers' runtimes need a few more at exit and when reporting:
 * LeakSanitizer stops the world with a helper thread that ptraces the
 * process. Only builds made with a sanitizer get these.
 */
static const struct sandbox_syscall sandbox_allow_sanitizer[] = {
	{ "clone",		"LeakSanitizer's helper thread" },
	{ "clone3",		"LeakSanitizer's helper thread" },
	{ "ptrace",		"LeakSanitizer stops the world" },
	{ "prctl",		"LeakSanitizer" },
	{ "set_robust_list",	"the helper thread" },
	{ "rseq",		"the helper thread" },
	{ "sched_setaffinity",	"sanitizer runtime" },
	{ "getrusage",		"sanitizer runtime" },
	{ "process_vm_readv",	"sanitizer runtime" },
	{ "getdents",		"LeakSanitizer lists /proc/self/task (breaker "
				"watch exits through it)" },
};

#pragma GCC diagnostic pop

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif
#ifndef SANDBOX_SANITIZER
#define SANDBOX_SANITIZER 0
#endif

/*
 * Kept when started as root: read a firewall log owned by Squid's user and
 * the job's /proc entries (DAC_READ_SEARCH, SYS_PTRACE for environ of
 * another user's process), and signal a root-owned `sudo awf` (KILL).
 */
static const int sandbox_keep_caps[] = {
	CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_KILL,
};


const struct util_enum sandbox_mode_table[] = {
	{ "enforce", SANDBOX_ENFORCE }, { "require", SANDBOX_REQUIRE },
	{ "log", SANDBOX_LOG }, { "off", SANDBOX_OFF },
};
const size_t sandbox_mode_ntable = nitems(sandbox_mode_table);

int
sandbox_mode_parse(const char *s)
{
	int	m;

	return util_enum_value(sandbox_mode_table, sandbox_mode_ntable, s,
	    &m) == 0 ? m : -1;
}

const char *
sandbox_mode_name(enum sandbox_mode mode)
{
	switch (mode) {
	case SANDBOX_OFF:
		return "off";
	case SANDBOX_LOG:
		return "logging";
	case SANDBOX_REQUIRE:
		return "enforcing (required)";
	default:
		return "enforcing";
	}
}

static char	sandbox_why[128];

/* Remember why entering failed, for the start line, status and summary. */
static int
sandbox_fail(const char *what, int err)
{
	if (err != 0)
		snprintf(sandbox_why, sizeof sandbox_why, "%s: %s", what,
		    strerror(err));
	else
		snprintf(sandbox_why, sizeof sandbox_why, "%s", what);
	return -1;
}

const char *
sandbox_failure(void)
{
	return sandbox_why;
}

static int
sandbox_cap_kept(int cap)
{
	size_t	i;

	for (i = 0; i < nitems(sandbox_keep_caps); i++)
		if (sandbox_keep_caps[i] == cap)
			return 1;
	return 0;
}

/* Root only: every capability but the kept ones goes, for good. */
static int
sandbox_drop_capabilities(void)
{
	struct __user_cap_header_struct	hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct	data[2];
	int				cap;
	size_t				i;

	if (geteuid() != 0)
		return 0;
	for (cap = 0; cap <= CAP_LAST_CAP; cap++) {
		if (sandbox_cap_kept(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 &&
		    errno != EINVAL) {
			log_warn("sandbox: dropping capability %d", cap);
			return sandbox_fail("dropping capabilities", errno);
		}
	}
	memset(data, 0, sizeof data);
	for (i = 0; i < nitems(sandbox_keep_caps); i++) {
		cap = sandbox_keep_caps[i];
		data[CAP_TO_INDEX(cap)].effective |= CAP_TO_MASK(cap);
		data[CAP_TO_INDEX(cap)].permitted |= CAP_TO_MASK(cap);
	}
	if (syscall(SYS_capset, &hdr, data) == -1) {
		log_warn("sandbox: capset");
		return sandbox_fail("capset", errno);
	}
	return 0;
}

/* The socket rows' ranges meet end to end: 0, 1, 2, 3..9, 10, above. */
_Static_assert(AF_UNSPEC == 0 && AF_UNIX == 1 && AF_INET == 2 &&
    AF_AX25 == 3 && AF_X25 == 9 && AF_INET6 == 10,
    "the socket rows cover every family once");

/* The libseccomp rule(s) of one row. */
/* One comparison, every field set (libseccomp's SCMP_CMP leaves datum_b to
 * the caller, and clang's -Wmissing-field-initializers objects). */
static struct scmp_arg_cmp
sandbox_cmp(unsigned int arg, enum scmp_compare op, uint64_t value)
{
	struct scmp_arg_cmp	c = { .arg = arg, .op = op, .datum_a = value,
				    .datum_b = 0 };

	return c;
}

static int
sandbox_rule(scmp_filter_ctx ctx, int nr, const struct sandbox_syscall *s)
{
	uint32_t	action;
	uint64_t	v;
	int		rc;

	action = s->err != 0 ? SCMP_ACT_ERRNO(s->err) : SCMP_ACT_ALLOW;
	switch (s->op) {
	case SANDBOX_ANY:
		return seccomp_rule_add(ctx, action, nr, 0);
	case SANDBOX_EQ:
		return seccomp_rule_add(ctx, action, nr, 1,
		    sandbox_cmp(s->arg, SCMP_CMP_EQ, s->lo));
	case SANDBOX_NE:
		return seccomp_rule_add(ctx, action, nr, 1,
		    sandbox_cmp(s->arg, SCMP_CMP_NE, s->lo));
	case SANDBOX_GT:
		return seccomp_rule_add(ctx, action, nr, 1,
		    sandbox_cmp(s->arg, SCMP_CMP_GT, s->lo));
	case SANDBOX_IN:
		/* One argument may be compared once per libseccomp rule. */
		for (v = s->lo; v <= s->hi; v++) {
			rc = seccomp_rule_add(ctx, action, nr, 1,
			    sandbox_cmp(s->arg, SCMP_CMP_EQ, v));
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	return -EINVAL;
}

/* Whether row s applies to value v of its argument (a plain row: all). */
static int
sandbox_row_holds(const struct sandbox_syscall *s, uint64_t v)
{
	switch (s->op) {
	case SANDBOX_EQ:
		return v == s->lo;
	case SANDBOX_NE:
		return v != s->lo;
	case SANDBOX_GT:
		return v > s->lo;
	case SANDBOX_IN:
		return v >= s->lo && v <= s->hi;
	default:
		return 1;
	}
}

/*
 * Whether two rows of one call can both apply. A condition holds on at
 * most two intervals, each starting at 0, lo or lo + 1; two sets of
 * intervals that meet contain one of those starts, so testing them
 * settles it. Conditions on different arguments can always both hold.
 */
static int
sandbox_rows_overlap(const struct sandbox_syscall *a,
    const struct sandbox_syscall *b)
{
	const uint64_t	pts[] = { 0, a->lo, a->lo + 1, b->lo, b->lo + 1 };
	size_t		i;

	if (a->op == SANDBOX_ANY || b->op == SANDBOX_ANY || a->arg != b->arg)
		return 1;
	for (i = 0; i < nitems(pts); i++)
		if (sandbox_row_holds(a, pts[i]) && sandbox_row_holds(b, pts[i]))
			return 1;
	return 0;
}

/* The table's promise, kept by the code: no two rows of a call overlap. */
static int
sandbox_rows_disjoint(const struct sandbox_syscall *list, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(list[i].name, list[j].name) == 0 &&
			    sandbox_rows_overlap(&list[i], &list[j])) {
				log_warnx("sandbox: two rows of %s overlap",
				    list[i].name);
				return 0;
			}
	return 1;
}

static int
sandbox_add(scmp_filter_ctx ctx, const struct sandbox_syscall *list,
    size_t n)
{
	size_t	i;
	int	nr, rc;

	if (!sandbox_rows_disjoint(list, n))
		return -1;
	for (i = 0; i < n; i++) {
		/* A name this architecture lacks is simply not needed here. */
		nr = seccomp_syscall_resolve_name(list[i].name);
		if (nr == __NR_SCMP_ERROR)
			continue;
		if ((rc = sandbox_rule(ctx, nr, &list[i])) < 0) {
			log_warnx("sandbox: cannot add the rule for %s: %s",
			    list[i].name, strerror(-rc));
			return -1;
		}
	}
	return 0;
}

static int
sandbox_load_filter(enum sandbox_mode mode, int network)
{
	scmp_filter_ctx	ctx;
	uint32_t	deny;
	int		rc = -1;

	deny = mode == SANDBOX_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
	if ((ctx = seccomp_init(deny)) == NULL) {
		log_warnx("sandbox: seccomp_init failed");
		return sandbox_fail("seccomp_init failed", 0);
	}
	if (sandbox_add(ctx, sandbox_allow, nitems(sandbox_allow)) == -1 ||
	    (network && sandbox_add(ctx, sandbox_allow_github,
	    nitems(sandbox_allow_github)) == -1) ||
	    (SANDBOX_SANITIZER && sandbox_add(ctx, sandbox_allow_sanitizer,
	    nitems(sandbox_allow_sanitizer)) == -1)) {
		sandbox_fail("building the seccomp filter", 0);
		goto out;
	}
	if ((rc = seccomp_load(ctx)) < 0) {
		log_warnx("sandbox: seccomp_load: %s", strerror(-rc));
		rc = sandbox_fail("seccomp_load", -rc);
	}
out:
	seccomp_release(ctx);
	return rc;
}

int
sandbox_enter(enum sandbox_mode mode, int network)
{
	sandbox_why[0] = '\0';
	if (mode == SANDBOX_OFF)
		return 0;
	if (sandbox_drop_capabilities() == -1)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("sandbox: no_new_privs");
		return sandbox_fail("no_new_privs", errno);
	}
	network = network && BREAKER_GITHUB;
	if (sandbox_load_filter(mode, network) == -1)
		return -1;
	log_debug("sandbox: %s, %zu rows",
	    mode == SANDBOX_LOG ? "logging" : "enforcing",
	    nitems(sandbox_allow) +
	    (network ? nitems(sandbox_allow_github) : 0) +
	    (SANDBOX_SANITIZER ? nitems(sandbox_allow_sanitizer) : 0));
	return 0;
}

static void
sandbox_print_list(FILE *out, const struct sandbox_syscall *list, size_t n)
{
	static const char *const	 opname[] = {
		[SANDBOX_EQ] = "==", [SANDBOX_NE] = "!=", [SANDBOX_GT] = ">",
		[SANDBOX_IN] = "in",
	};
	const struct sandbox_syscall	*s;
	size_t				 i;

	for (i = 0; i < n; i++) {
		s = &list[i];
		fprintf(out, "  %-20s ", s->name);
		if (s->err != 0)
			fprintf(out, "fails with %s ", s->errname);
		if (s->op != SANDBOX_ANY)
			fprintf(out, "%s %s %s %s: ", s->err != 0 ? "if" :
			    "only if", s->what, opname[s->op], s->value);
		fprintf(out, "%s\n", s->why);
	}
}

void
sandbox_print(FILE *out)
{
	size_t	i;

	fprintf(out, "seccomp allow-list of the daemon and of breaker watch "
	    "(a row with \"if\" applies only when its condition holds; "
	    "\"fails with\" returns that error; any other system call, or "
	    "argument no row covers, kills the process; \"sandbox\": "
	    "\"log\" only logs it; \"require\" refuses to run without it):"
	    "\n");
	sandbox_print_list(out, sandbox_allow, nitems(sandbox_allow));
	if (BREAKER_GITHUB) {
		fprintf(out, "for the GitHub client (this build has it; only "
		    "when the configuration allows a GitHub action):\n");
		sandbox_print_list(out, sandbox_allow_github,
		    nitems(sandbox_allow_github));
	} else
		fprintf(out, "no socket or connect: this build has no GitHub "
		    "client (meson -Dgithub=disabled)\n");
	if (SANDBOX_SANITIZER) {
		fprintf(out, "added in this sanitizer build:\n");
		sandbox_print_list(out, sandbox_allow_sanitizer,
		    nitems(sandbox_allow_sanitizer));
	}
	fprintf(out, "capabilities kept when started as root:");
	for (i = 0; i < nitems(sandbox_keep_caps); i++)
		fprintf(out, " %s", sandbox_keep_caps[i] == CAP_KILL ?
		    "CAP_KILL" : sandbox_keep_caps[i] == CAP_SYS_PTRACE ?
		    "CAP_SYS_PTRACE" : "CAP_DAC_READ_SEARCH");
	fprintf(out, "\n");
}
