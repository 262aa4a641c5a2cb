/*
 * The sandbox, proved in forked children: the filter is really loaded
 * (Seccomp: 2, NoNewPrivs: 1), what the daemon does is allowed, a system
 * call outside the table kills the process, the argument conditions hold
 * (ioctl only FIONREAD, socket only three families; the rest fail with an
 * errno, not a kill), log mode only logs, and a root start keeps exactly
 * the three documented capabilities.
 */
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <termios.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "github.h"
#include "sandbox.h"

/* A system call the daemon never makes and the table does not allow. */
#define FORBIDDEN_SYSCALL()	syscall(SYS_personality, 0xffffffffUL)

/* Value of a "Key:\tvalue" line of /proc/self/status, or NULL. */
static char *
status_field(const char *key, char *buf, size_t size)
{
	FILE	*f = fopen("/proc/self/status", "r");
	size_t	 klen = strlen(key);
	char	*found = NULL;

	if (f == NULL)
		return NULL;
	while (fgets(buf, (int)size, f) != NULL) {
		if (strncmp(buf, key, klen) == 0 && buf[klen] == ':') {
			found = buf + klen + 1;
			found += strspn(found, " \t");
			found[strcspn(found, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
	return found;
}

/* Run fn in a child; return its wait status. */
static int
in_child(int (*fn)(void))
{
	pid_t	pid;
	int	status;

	pid = fork();
	assert_true(pid != -1);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static int
child_reports_filter(void)
{
	char	 buf[256], *v;

	if (sandbox_enter(SANDBOX_ENFORCE, 1) != 0)
		return 10;
	if ((v = status_field("Seccomp", buf, sizeof buf)) == NULL ||
	    strcmp(v, "2") != 0)
		return 11;
	if ((v = status_field("NoNewPrivs", buf, sizeof buf)) == NULL ||
	    strcmp(v, "1") != 0)
		return 12;
	return 0;
}

static void
test_filter_is_loaded(void **state)
{
	int	status = in_child(child_reports_filter);

	(void)state;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* What the daemon really does after start must all pass the filter. */
static int	child_network = 1;	/* sandbox_enter's `network` */

static int
child_does_daemon_work(void)
{
	struct timespec	 ts;
	char		 buf[512];
	int		 fd, in, pidfd;

	if (sandbox_enter(SANDBOX_ENFORCE, child_network) != 0)
		return 10;
	if ((fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC)) == -1)
		return 11;
	if (read(fd, buf, sizeof buf) <= 0)
		return 12;
	close(fd);
	if ((in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return 13;
	if (inotify_add_watch(in, "/tmp", IN_CREATE) == -1)
		return 14;
	close(in);
	clock_gettime(CLOCK_REALTIME, &ts);
	if ((pidfd = (int)syscall(SYS_pidfd_open, getppid(), 0)) == -1)
		return 15;
	/* signal 0: permission and liveness probe, no signal delivered */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == -1)
		return 16;
	close(pidfd);
	return 0;
}

static void
test_daemon_work_is_allowed(void **state)
{
	int	status = in_child(child_does_daemon_work);

	(void)state;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int
child_makes_forbidden_call(void)
{
	if (sandbox_enter(SANDBOX_ENFORCE, 1) != 0)
		return 10;
	FORBIDDEN_SYSCALL();
	return 0;	/* reaching here means the filter failed */
}

static int
child_execs(void)
{
	char	*argv[] = { (char *)"true", NULL };

	if (sandbox_enter(SANDBOX_ENFORCE, 1) != 0)
		return 10;
	execv("/bin/true", argv);
	return 0;
}

static void
test_forbidden_call_kills(void **state)
{
	int	status;

	(void)state;
	status = in_child(child_makes_forbidden_call);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);

	status = in_child(child_execs);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

/* A new TCP socket after start: only the GitHub client needs one. */
static int
child_opens_socket(void)
{
	int	fd;

	if (sandbox_enter(SANDBOX_ENFORCE, child_network) != 0)
		return 10;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 11;
	close(fd);
	return 0;
}

/*
 * The network rows are the GitHub client's: a build with it may open a
 * socket after start, a build without it (-Dgithub=disabled) is killed
 * for trying.
 */
static void
test_network_only_with_github(void **state)
{
	int	status = in_child(child_opens_socket);

	(void)state;
	if (BREAKER_GITHUB) {
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	} else {
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGSYS);
	}
}

/*
 * A daemon no GitHub action is configured for gets no network rows even
 * in a build with the client: its work passes, a socket kills it.
 */
static void
test_no_network_without_github_actions(void **state)
{
	int	status;

	(void)state;
	child_network = 0;
	status = in_child(child_does_daemon_work);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	status = in_child(child_opens_socket);
	child_network = 1;
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

/*
 * ioctl: FIONREAD passes; any other request fails with ENOTTY and the
 * process lives. FIONBIO would succeed on a pipe without the filter, so
 * its ENOTTY is the filter's.
 */
static int
child_ioctls(void)
{
	struct termios	tio;
	int		fds[2], n = 0, one = 1;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return 9;
	if (sandbox_enter(SANDBOX_ENFORCE, 1) != 0)
		return 10;
	if (write(fds[1], "abc", 3) != 3)
		return 11;
	if (ioctl(fds[0], FIONREAD, &n) == -1 || n != 3)
		return 12;
	if (ioctl(fds[0], TCGETS, &tio) != -1 || errno != ENOTTY)
		return 13;
	if (ioctl(fds[0], FIONBIO, &one) != -1 || errno != ENOTTY)
		return 14;
	if (fcntl(fds[0], F_GETFL) & O_NONBLOCK)
		return 15;
	/* isatty is what glibc's stdio asks: "no", not a kill */
	if (isatty(fds[0]))
		return 16;
	return 0;
}

static void
test_ioctl_only_fionread(void **state)
{
	int	status = in_child(child_ioctls);

	(void)state;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* 0 if socket(family) fails with EAFNOSUPPORT, else 1. */
static int
socket_refused(int family, int type)
{
	int	fd;

	if ((fd = socket(family, type | SOCK_CLOEXEC, 0)) != -1) {
		close(fd);
		return 1;
	}
	return errno == EAFNOSUPPORT ? 0 : 1;
}

/*
 * socket by family: AF_UNIX, AF_INET and AF_INET6 open; AF_NETLINK
 * (getaddrinfo's AI_ADDRCONFIG probe), AF_PACKET and the exotic low ones
 * fail with EAFNOSUPPORT and the process lives. socketpair: AF_UNIX only.
 */
static int
child_socket_families(void)
{
	int	fd, sv[2];

	if (sandbox_enter(SANDBOX_ENFORCE, 1) != 0)
		return 10;
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return 11;
	close(fd);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 12;
	close(fd);
	if (socket_refused(AF_NETLINK, SOCK_RAW))
		return 13;
	if (socket_refused(AF_PACKET, SOCK_DGRAM))
		return 14;
	if (socket_refused(AF_UNSPEC, SOCK_DGRAM) ||
	    socket_refused(AF_AX25, SOCK_DGRAM) ||
	    socket_refused(AF_X25, SOCK_SEQPACKET))
		return 15;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return 16;
	close(sv[0]);
	close(sv[1]);
	if (socketpair(AF_INET, SOCK_STREAM, 0, sv) != -1 ||
	    errno != EAFNOSUPPORT)
		return 17;
	return 0;
}

static void
test_socket_families(void **state)
{
	int	status;

	(void)state;
	if (!BREAKER_GITHUB)
		skip();		/* no socket row: test_network_only_with_github */
	status = in_child(child_socket_families);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int
child_log_mode(void)
{
	if (sandbox_enter(SANDBOX_LOG, 1) != 0)
		return 10;
	FORBIDDEN_SYSCALL();
	return 0;
}

static void
test_log_mode_survives(void **state)
{
	int	status = in_child(child_log_mode);

	(void)state;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int
child_root_caps(void)
{
	char		 buf[256], *v;
	/* CAP_DAC_READ_SEARCH (2), CAP_KILL (5), CAP_SYS_PTRACE (19) */
	const unsigned long long want = (1ULL << 2) | (1ULL << 5) | (1ULL << 19);

	if (sandbox_enter(SANDBOX_ENFORCE, 1) != 0)
		return 10;
	if ((v = status_field("CapEff", buf, sizeof buf)) == NULL ||
	    strtoull(v, NULL, 16) != want)
		return 11;
	if ((v = status_field("CapBnd", buf, sizeof buf)) == NULL ||
	    strtoull(v, NULL, 16) != want)
		return 12;
	return 0;
}

static void
test_root_keeps_three_capabilities(void **state)
{
	int	status;

	(void)state;
	if (geteuid() != 0)
		skip();
	status = in_child(child_root_caps);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_mode_parse_and_print(void **state)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*f;

	(void)state;
	assert_int_equal(sandbox_mode_parse("off"), SANDBOX_OFF);
	assert_int_equal(sandbox_mode_parse("enforce"), SANDBOX_ENFORCE);
	assert_int_equal(sandbox_mode_parse("log"), SANDBOX_LOG);
	assert_int_equal(sandbox_mode_parse("on"), -1);

	f = open_memstream(&text, &len);
	sandbox_print(f);
	fclose(f);
	assert_non_null(strstr(text, "pidfd_send_signal"));
	assert_null(strstr(text, "execve"));
	assert_null(strstr(text, "personality"));
	assert_true((strstr(text, "  socket ") != NULL) == BREAKER_GITHUB);
	assert_true((strstr(text, "  connect ") != NULL) == BREAKER_GITHUB);
	/* the argument conditions, with what a refused one returns */
	assert_non_null(strstr(text, "ioctl                only if request "
	    "== FIONREAD: "));
	assert_non_null(strstr(text, "ioctl                fails with ENOTTY "
	    "if request != FIONREAD: "));
	assert_true((strstr(text, "socket               only if family == "
	    "AF_INET6: ") != NULL) == BREAKER_GITHUB);
	assert_true((strstr(text, "socket               fails with "
	    "EAFNOSUPPORT if family > AF_INET6: ") != NULL) == BREAKER_GITHUB);
	assert_true((strstr(text, "if family in AF_AX25..AF_X25") != NULL) ==
	    BREAKER_GITHUB);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_is_loaded),
		cmocka_unit_test(test_daemon_work_is_allowed),
		cmocka_unit_test(test_forbidden_call_kills),
		cmocka_unit_test(test_log_mode_survives),
		cmocka_unit_test(test_network_only_with_github),
		cmocka_unit_test(test_ioctl_only_fionread),
		cmocka_unit_test(test_socket_families),
		cmocka_unit_test(test_no_network_without_github_actions),
		cmocka_unit_test(test_root_keeps_three_capabilities),
		cmocka_unit_test(test_mode_parse_and_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
