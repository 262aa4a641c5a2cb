/*
 * The job's identity and its state directory. The directory is keyed by
 * everything that tells jobs apart (runner, run, attempt, job key, tracking
 * id), because a self-hosted runner runs job after job and two runners may
 * share a machine: a verdict file of an earlier job must never be read as
 * this job's.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "file.h"
#include "job.h"
#include "log.h"
#include "util.h"
#include "xalloc.h"

#define JOB_FILE		"job.json"
#define JOB_FINISHED		"finished"
#define JOB_PRUNE_SCAN		1024	/* entries looked at per prune */
#define JOB_PRUNE_FILES		256	/* files removed per job dir */

double
job_now(void)
{
	return wall_now();
}

static char *
env_dup(const char *name)
{
	const char	*v = getenv(name);

	return (v != NULL && *v != '\0') ? xstrdup(v) : NULL;
}

/* Keep [A-Za-z0-9._-], at most `max` bytes; the rest becomes '_'. */
static void
append_safe(char *buf, size_t bufsz, const char *s, size_t max)
{
	size_t	len = strlen(buf), i;

	for (i = 0; s != NULL && s[i] != '\0' && i < max; i++) {
		char c = s[i];

		if (len + 1 >= bufsz)
			break;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
			c = '_';
		buf[len++] = c;
	}
	buf[len] = '\0';
}

static uint64_t
fnv1a(uint64_t h, const char *s)
{
	if (s == NULL)
		s = "";
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= 0xff;	/* separator: "ab","c" differs from "a","bc" */
	return h * 0x100000001b3ULL;
}

/*
 * Readable prefix (runner, run, attempt, job) plus a hash of every part:
 * the tracking id is long, and the socket path must stay under 108 bytes.
 */
static char *
make_key(const struct job *j)
{
	char		buf[128] = "";
	uint64_t	h = 0xcbf29ce484222325ULL;

	h = fnv1a(h, j->runner_name);
	h = fnv1a(h, j->run_id);
	h = fnv1a(h, j->run_attempt);
	h = fnv1a(h, j->repository);
	h = fnv1a(h, j->job_key);
	h = fnv1a(h, j->tracking_id);
	if (!job_in_runner(j)) {
		snprintf(buf, sizeof buf, "local-%u", (unsigned)getuid());
		return xstrdup(buf);
	}
	append_safe(buf, sizeof buf, j->runner_name ? j->runner_name : "runner",
	    16);
	append_safe(buf, sizeof buf, "-", 1);
	append_safe(buf, sizeof buf, j->run_id ? j->run_id : "0", 20);
	append_safe(buf, sizeof buf, "-", 1);
	append_safe(buf, sizeof buf, j->run_attempt ? j->run_attempt : "1", 4);
	append_safe(buf, sizeof buf, "-", 1);
	append_safe(buf, sizeof buf, j->job_key ? j->job_key : "job", 16);
	snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "-%012llx",
	    (unsigned long long)(h & 0xffffffffffffULL));
	return xstrdup(buf);
}

struct job *
job_from_env(void)
{
	struct job	*j = xcalloc(1, sizeof *j);

	j->run_id = env_dup("GITHUB_RUN_ID");
	j->run_attempt = env_dup("GITHUB_RUN_ATTEMPT");
	j->repository = env_dup("GITHUB_REPOSITORY");
	j->job_key = env_dup("GITHUB_JOB");
	j->runner_name = env_dup("RUNNER_NAME");
	j->tracking_id = env_dup("RUNNER_TRACKING_ID");
	j->step_summary = env_dup("GITHUB_STEP_SUMMARY");
	j->workspace = env_dup("GITHUB_WORKSPACE");
	j->runner_temp = env_dup("RUNNER_TEMP");
	j->key = make_key(j);
	j->dirfd = -1;
	return j;
}

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->run_id);
	free(j->run_attempt);
	free(j->repository);
	free(j->job_key);
	free(j->runner_name);
	free(j->tracking_id);
	free(j->step_summary);
	free(j->workspace);
	free(j->runner_temp);
	free(j->key);
	free(j->root);
	free(j->dir);
	free(j->problem);
	job_close_dir(j);
	free(j);
}

int
job_in_runner(const struct job *j)
{
	return j->run_id != NULL || j->tracking_id != NULL;
}

static int
under(const char *path, const char *dir)
{
	size_t	n;

	if (dir == NULL || *dir == '\0')
		return 0;
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static char *
absolute(const char *p)
{
	char	cwd[PATH_MAX], *out;

	if (p[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return xstrdup(p);
	xasprintf(&out, "%s/%s", cwd, p);
	return out;
}

/* /var/lib/breaker when it exists and is ours to write, or can be made. */
static int
system_dir_usable(void)
{
	struct stat	st;

	if (stat(JOB_STATE_DIR_SYSTEM, &st) == 0)
		return S_ISDIR(st.st_mode) &&
		    access(JOB_STATE_DIR_SYSTEM, W_OK | X_OK) == 0;
	return access("/var/lib", W_OK | X_OK) == 0;
}

static char *
user_state_root(void)
{
	const char	*xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	struct passwd	*pw;
	char		*out;

	if (xdg != NULL && xdg[0] == '/') {
		xasprintf(&out, "%s/breaker", xdg);
		return out;
	}
	if ((home == NULL || home[0] != '/') &&
	    (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL || home[0] != '/')
		return NULL;
	xasprintf(&out, "%s/.local/state/breaker", home);
	return out;
}

int
job_resolve_dir(struct job *j, const char *override, const char *configured,
    const char **why)
{
	char	*root = NULL;

	*why = NULL;
	if (override != NULL && *override != '\0')
		root = absolute(override);
	else if (configured != NULL && *configured != '\0')
		root = absolute(configured);
	else if (system_dir_usable())
		root = xstrdup(JOB_STATE_DIR_SYSTEM);
	else if ((root = user_state_root()) == NULL) {
		*why = "no state directory: set BREAKER_STATE_DIR or HOME";
		return -1;
	}
	/* The runner wipes these at every job start and end. */
	if (under(root, j->runner_temp) || under(root, j->workspace))
		log_warnx("state directory %s is inside RUNNER_TEMP or the "
		    "workspace, which the runner wipes", root);
	free(j->root);
	free(j->dir);
	job_close_dir(j);
	j->root = root;
	xasprintf(&j->dir, "%s/%s", root, j->key);
	return 0;
}

/* mkdir -p with 0700 for what we create. */
static int
mkdirs(const char *path)
{
	char	*p = xstrdup(path), *s;
	int	 rc = 0;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			rc = -1;
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

/* Why the state directory was refused, for the hook's warning. */
static void
job_refuse(struct job *j, const char *what, const char *why)
{
	free(j->problem);
	xasprintf(&j->problem, "%s: %s", what, why);
	log_warnx("state directory refused: %s", j->problem);
}

void
job_close_dir(struct job *j)
{
	if (j->dirfd != -1)
		close(j->dirfd);
	j->dirfd = -1;
}

/*
 * The root must have no other writer on its path (file_dir_trusted); the
 * job dir is opened without following a link and must be ours, 0700. Both
 * are judged on the descriptors held, and every later file of the job is
 * made with openat() from the job dir's descriptor: a directory renamed or
 * replaced afterwards no longer matters.
 */
static int
job_open_at(struct job *j, int rootfd, int quiet)
{
	struct stat	 st;
	const char	*why;
	int		 fd;

	if (file_dir_trusted(rootfd, geteuid(), &why) == -1) {
		job_refuse(j, j->root, why);
		errno = EPERM;
		return -1;
	}
	fd = openat(rootfd, j->key, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1) {
		if (!quiet || errno != ENOENT)
			job_refuse(j, j->dir, errno == ENOTDIR || errno == ELOOP ?
			    "not a directory (a link?)" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || st.st_uid != geteuid()) {
		close(fd);
		job_refuse(j, j->dir, "not a directory of ours");
		errno = EPERM;
		return -1;
	}
	/* Only ever take access away: a mode stricter than 0700 is kept. */
	if ((st.st_mode & 07077) != 0 && fchmod(fd, st.st_mode & 0700) == -1) {
		close(fd);
		job_refuse(j, j->dir, strerror(errno));
		return -1;
	}
	job_close_dir(j);
	j->dirfd = fd;
	return 0;
}

static int
job_open_root(struct job *j)
{
	int	fd;

	fd = open(j->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 && errno != ENOENT)
		job_refuse(j, j->root, strerror(errno));
	return fd;
}

int
job_open_dir(struct job *j)
{
	int	rootfd, rc;

	if (j->dirfd != -1)
		return 0;
	if (j->root == NULL || (rootfd = job_open_root(j)) == -1)
		return -1;
	rc = job_open_at(j, rootfd, 1);
	close(rootfd);
	return rc;
}

int
job_make_dir(struct job *j)
{
	const char	*why;
	int		 rootfd, rc;

	if (mkdirs(j->root) == -1) {
		job_refuse(j, j->root, strerror(errno));
		return -1;
	}
	if ((rootfd = job_open_root(j)) == -1)
		return -1;
	/* Checked before anything is made in it. */
	if (file_dir_trusted(rootfd, geteuid(), &why) == -1) {
		job_refuse(j, j->root, why);
		close(rootfd);
		errno = EPERM;
		return -1;
	}
	if (mkdirat(rootfd, j->key, 0700) == -1 && errno != EEXIST) {
		job_refuse(j, j->dir, strerror(errno));
		close(rootfd);
		return -1;
	}
	job_close_dir(j);
	if ((rc = job_open_at(j, rootfd, 0)) == 0)
		job_prune(j->root, j->key, JOB_KEEP_DIRS, JOB_MAX_AGE);
	close(rootfd);
	return rc;
}

const char *
job_problem(const struct job *j)
{
	return j->problem != NULL ? j->problem : j->dir;
}

int
job_dir_exists(const struct job *j)
{
	struct stat	st;

	return j->dir != NULL && lstat(j->dir, &st) == 0 && S_ISDIR(st.st_mode);
}

char *
job_path(const struct job *j, const char *name)
{
	char	*p;

	xasprintf(&p, "%s/%s", j->dir, name);
	return p;
}

char *
job_fd_path(const struct job *j, const char *name)
{
	char	*p;

	if (j->dirfd == -1)
		return job_path(j, name);
	xasprintf(&p, "/proc/self/fd/%d/%s", j->dirfd, name);
	return p;
}

static void
json_add(cJSON *o, const char *k, const char *v)
{
	if (v != NULL)
		cJSON_AddStringToObject(o, k, v);
}

int
job_save(struct job *j)
{
	cJSON	*o = cJSON_CreateObject();
	char	*text;
	int	 rc = -1;

	json_add(o, "runner_name", j->runner_name);
	json_add(o, "repository", j->repository);
	json_add(o, "run_id", j->run_id);
	json_add(o, "run_attempt", j->run_attempt);
	json_add(o, "job", j->job_key);
	json_add(o, "tracking_id", j->tracking_id);
	cJSON_AddNumberToObject(o, "started", j->started);
	cJSON_AddNumberToObject(o, "pid", getpid());
	text = cJSON_Print(o);
	cJSON_Delete(o);
	if (text != NULL && job_open_dir(j) == 0)
		rc = file_write_atomic(j->dirfd, JOB_FILE, text, strlen(text),
		    0);
	if (rc == -1)
		log_warn("%s/%s", j->dir, JOB_FILE);
	free(text);
	return rc;
}

int
job_load_started(struct job *j)
{
	char	*text;
	cJSON	*o, *s;
	int	 rc = -1;

	if (job_open_dir(j) == -1 || (text = file_read_small(j->dirfd,
	    JOB_FILE, 64 * 1024, FILE_OWNED, NULL, NULL)) == NULL)
		return -1;
	if ((o = cJSON_Parse(text)) != NULL) {
		s = cJSON_GetObjectItemCaseSensitive(o, "started");
		if (cJSON_IsNumber(s)) {
			j->started = s->valuedouble;
			rc = 0;
		}
		cJSON_Delete(o);
	}
	free(text);
	return rc;
}

void
job_mark_finished(struct job *j)
{
	if (job_open_dir(j) == 0)
		file_write_atomic(j->dirfd, JOB_FINISHED, "", 0, 0);
}

struct job_dirent {
	char	*name;
	double	 mtime;
	int	 finished;
};

static int
dirent_newer(const void *a, const void *b)
{
	const struct job_dirent *x = a, *y = b;

	return (x->mtime < y->mtime) - (x->mtime > y->mtime);
}

/* A job dir has our job.json; anything else under the root is left be. */
static int
inspect(int rootfd, const char *name, struct job_dirent *out)
{
	struct stat	st, js;
	char		buf[PATH_MAX];

	if (fstatat(rootfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return -1;
	snprintf(buf, sizeof buf, "%s/" JOB_FILE, name);
	if (fstatat(rootfd, buf, &js, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	snprintf(buf, sizeof buf, "%s/" JOB_FINISHED, name);
	out->finished = fstatat(rootfd, buf, &js, AT_SYMLINK_NOFOLLOW) == 0;
	out->mtime = st.st_mtim.tv_sec;
	out->name = xstrdup(name);
	return 0;
}

/* One level of plain files, then the directory itself. */
static int
remove_job_dir(int rootfd, const char *name)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, n = 0;

	if ((fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL && n++ < JOB_PRUNE_FILES) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return unlinkat(rootfd, name, AT_REMOVEDIR);
}

int
job_prune(const char *root, const char *except, size_t keep, double max_age)
{
	struct job_dirent	*v = NULL;
	struct dirent		*de;
	DIR			*d;
	size_t			 n = 0, cap = 0, i, kept = 0;
	double			 now = job_now();
	int			 removed = 0;

	if ((d = opendir(root)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < JOB_PRUNE_SCAN) {
		if (de->d_name[0] == '.' ||
		    (except != NULL && strcmp(de->d_name, except) == 0))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			v = xreallocarray(v, cap, sizeof *v);
		}
		if (inspect(dirfd(d), de->d_name, &v[n]) == 0)
			n++;
	}
	if (n > 1)
		qsort(v, n, sizeof *v, dirent_newer);
	for (i = 0; i < n; i++) {
		int old = now - v[i].mtime > max_age;

		/* An unfinished job may still be running on another runner. */
		if (old || (v[i].finished && kept >= keep)) {
			if (remove_job_dir(dirfd(d), v[i].name) == 0)
				removed++;
		} else if (v[i].finished)
			kept++;
		free(v[i].name);
	}
	free(v);
	closedir(d);
	if (removed > 0)
		log_debug("pruned %d old job state directories in %s", removed,
		    root);
	return removed;
}
