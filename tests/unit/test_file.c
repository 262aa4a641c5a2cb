/*
 * file.c: the one file-access convention. What an attacker can lay at a
 * path (a FIFO, a link, a directory, a huge file, a planted temporary
 * name) is refused at once with a reason; writes are atomic; the trust
 * and reach walks judge the directories actually opened.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "xalloc.h"

static char	dir[64];

static char *
at(const char *rel)
{
	static char	buf[4][256];
	static int	i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", dir, rel);
	return buf[i];
}

static void
put(const char *rel, const char *text, mode_t mode)
{
	int	fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int
setup(void **state)
{
	strcpy(dir, "/tmp/test_file.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void
test_read_small(void **state)
{
	struct stat	 st;
	size_t		 len;
	char		*s;

	put("a", "hello\n", 0644);
	s = file_read_small(AT_FDCWD, at("a"), 100, 0, &len, &st);
	assert_non_null(s);
	assert_string_equal(s, "hello\n");
	assert_int_equal(len, 6);
	assert_int_equal(st.st_size, 6);
	free(s);
	/* Over the cap: refused, not cut. */
	assert_null(file_read_small(AT_FDCWD, at("a"), 5, 0, NULL, NULL));
	assert_int_equal(errno, EFBIG);
}

/* F16, scenario 44: a FIFO with no writer returns at once, refused. */
static void
test_fifo_does_not_hang(void **state)
{
	assert_int_equal(mkfifo(at("fifo"), 0600), 0);
	assert_null(file_read_small(AT_FDCWD, at("fifo"), 100, FILE_FOLLOW,
	    NULL, NULL));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(file_why(errno), "it is not a regular file");
	assert_int_equal(mkdir(at("d"), 0700), 0);
	assert_int_equal(file_open_read(AT_FDCWD, at("d"), 0, NULL), -1);
	assert_int_equal(errno, EISDIR);
	assert_int_equal(file_open_read(AT_FDCWD, "/dev/null", FILE_FOLLOW,
	    NULL), -1);
	assert_int_equal(errno, EINVAL);
}

/* A link is followed only where the caller says an admin named it. */
static void
test_links(void **state)
{
	char	*s;
	int	 dfd;

	put("target", "t\n", 0644);
	assert_int_equal(symlink(at("target"), at("link")), 0);
	assert_null(file_read_small(AT_FDCWD, at("link"), 100, 0, NULL,
	    NULL));
	assert_int_equal(errno, ELOOP);
	s = file_read_small(AT_FDCWD, at("link"), 100, FILE_FOLLOW, NULL,
	    NULL);
	assert_non_null(s);
	free(s);
	/* Relative to a held directory. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	s = file_read_small(dfd, "target", 100, 0, NULL, NULL);
	assert_string_equal(s, "t\n");
	free(s);
	close(dfd);
}

static void
test_owned(void **state)
{
	int	fd;

	put("mine", "x", 0644);
	fd = file_open_read(AT_FDCWD, at("mine"), FILE_OWNED, NULL);
	assert_true(fd != -1);
	close(fd);
	if (geteuid() != 0)
		skip();		/* needs chown to another user */
	assert_int_equal(chown(at("mine"), 65534, 65534), 0);
	assert_int_equal(file_open_read(AT_FDCWD, at("mine"), FILE_OWNED,
	    NULL), -1);
	assert_int_equal(errno, EPERM);
}

/*
 * The atomic writer: replaces, leaves no temporary, never writes through
 * a link planted at the final name or at the temporary's name.
 */
static void
test_write_atomic(void **state)
{
	char		*s, tmp[128];
	struct stat	 st;
	int		 dfd = open(dir, O_RDONLY | O_DIRECTORY);

	assert_int_equal(file_write_atomic(dfd, "f", "one", 3, 1), 0);
	assert_int_equal(file_write_atomic(dfd, "f", "two", 3, 0), 0);
	s = file_read_small(dfd, "f", 10, 0, NULL, &st);
	assert_string_equal(s, "two");
	assert_int_equal(st.st_mode & 07777, 0600);
	free(s);
	/* A planted link at the name is replaced, its target untouched. */
	put("victim", "keep", 0644);
	assert_int_equal(symlink(at("victim"), at("g")), 0);
	assert_int_equal(file_write_atomic(dfd, "g", "new", 3, 0), 0);
	s = file_read_small(AT_FDCWD, at("victim"), 10, 0, NULL, NULL);
	assert_string_equal(s, "keep");
	free(s);
	/* A link planted at our temporary's name is not written through. */
	snprintf(tmp, sizeof tmp, ".h.%ld.tmp", (long)getpid());
	assert_int_equal(symlinkat(at("victim"), dfd, tmp), 0);
	assert_int_equal(file_write_atomic(dfd, "h", "new", 3, 0), 0);
	s = file_read_small(AT_FDCWD, at("victim"), 10, 0, NULL, NULL);
	assert_string_equal(s, "keep");
	free(s);
	assert_int_equal(faccessat(dfd, tmp, F_OK, AT_SYMLINK_NOFOLLOW), -1);
	/* A path with AT_FDCWD works the same. */
	assert_int_equal(file_write_atomic(AT_FDCWD, at("k"), "k", 1, 1), 0);
	close(dfd);
}

/*
 * A directory path resolved by hand: links of root or of the given user
 * are followed (and reported), another user's link is refused.
 */
static void
test_open_dir(void **state)
{
	struct stat	a, b;
	int		fd, linked;

	assert_int_equal(mkdir(at("a"), 0700), 0);
	assert_int_equal(mkdir(at("a/b"), 0700), 0);
	assert_int_equal(symlink(at("a"), at("l")), 0);
	assert_int_equal(symlink("a/b", at("rel")), 0);
	assert_int_equal(symlink("loop", at("loop")), 0);
	fd = file_open_dir(at("a/b"), geteuid(), &linked);
	assert_true(fd != -1);
	assert_int_equal(linked, 0);
	assert_int_equal(fstat(fd, &a), 0);
	close(fd);
	fd = file_open_dir(at("l/b"), geteuid(), &linked);
	assert_true(fd != -1);
	assert_int_equal(linked, 1);
	assert_int_equal(fstat(fd, &b), 0);
	assert_true(a.st_ino == b.st_ino);
	close(fd);
	fd = file_open_dir(at("rel"), geteuid(), &linked);	/* relative */
	assert_true(fd != -1);
	assert_int_equal(fstat(fd, &b), 0);
	assert_true(a.st_ino == b.st_ino);
	close(fd);
	assert_int_equal(file_open_dir(at("loop"), geteuid(), &linked), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(file_open_dir(at("a/none"), geteuid(), &linked), -1);
	assert_int_equal(errno, ENOENT);
	if (geteuid() != 0)
		skip();		/* a link of another user needs lchown */
	assert_int_equal(lchown(at("l"), 65534, 65534), 0);
	assert_int_equal(file_open_dir(at("l/b"), 0, &linked), -1);
	assert_int_equal(errno, EPERM);
	fd = file_open_dir(at("l/b"), 65534, &linked);	/* that user's own */
	assert_true(fd != -1);
	close(fd);
}

/* The step summary: appended to, never through a link or into a FIFO. */
static void
test_append(void **state)
{
	char	*s;

	assert_int_equal(file_append(AT_FDCWD, at("sum"), "a", 1), 0);
	assert_int_equal(file_append(AT_FDCWD, at("sum"), "b", 1), 0);
	s = file_read_small(AT_FDCWD, at("sum"), 10, 0, NULL, NULL);
	assert_string_equal(s, "ab");
	free(s);
	put("victim", "keep", 0644);
	assert_int_equal(symlink(at("victim"), at("link")), 0);
	assert_int_equal(file_append(AT_FDCWD, at("link"), "x", 1), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(mkfifo(at("fifo"), 0600), 0);
	assert_int_equal(file_append(AT_FDCWD, at("fifo"), "x", 1), -1);
	s = file_read_small(AT_FDCWD, at("victim"), 10, 0, NULL, NULL);
	assert_string_equal(s, "keep");
	free(s);
}

/* The OpenSSH-like walk, and the job user's reach, on opened dirs. */
/* A head probe: at most size - 1 bytes, NUL-terminated; /proc files too
 * (st_size 0); never a FIFO or through a link. */
static void
test_read_head(void **state)
{
	char	buf[8];

	put("log", "0123456789", 0644);
	assert_int_equal(file_read_head(AT_FDCWD, at("log"), 0, buf,
	    sizeof buf), 7);
	assert_string_equal(buf, "0123456");
	assert_true(file_read_head(AT_FDCWD, "/proc/self/stat", 0, buf,
	    sizeof buf) > 0);
	assert_int_equal(mkfifo(at("fifo"), 0600), 0);
	assert_int_equal(file_read_head(AT_FDCWD, at("fifo"), 0, buf,
	    sizeof buf), -1);
	assert_int_equal(symlink(at("log"), at("link")), 0);
	assert_int_equal(file_read_head(AT_FDCWD, at("link"), 0, buf,
	    sizeof buf), -1);
	assert_int_equal(errno, ELOOP);
}

static void
test_trust_and_reach(void **state)
{
	struct file_cred	 nobody = { .uid = 65534, .gid = 65534 };
	struct file_cred	 self;
	const char		*why;
	int			 fd;

	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(mkdir(at("safe"), 0700), 0);
	fd = open(at("safe"), O_RDONLY | O_DIRECTORY);
	assert_int_equal(file_dir_trusted(fd, geteuid(), &why), 0);
	file_cred_self(&self);
	assert_true(file_cred_may_reach(&self, fd));
	if (getuid() != 65534)
		assert_false(file_cred_may_reach(&nobody, fd));
	assert_int_equal(fchmod(fd, 0777), 0);
	assert_int_equal(file_dir_trusted(fd, geteuid(), &why), -1);
	assert_non_null(strstr(why, "writable"));
	assert_int_equal(fchmod(fd, 01777), 0);
	assert_int_equal(file_dir_trusted(fd, geteuid(), &why), 0);
	assert_true(file_cred_may_reach(&nobody, fd));
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_small, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fifo_does_not_hang, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_dir, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_trust_and_reach, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
