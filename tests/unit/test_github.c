/*
 * github.c against a loopback HTTPS GitHub emulator
 * (tests/integration/github_emulator.py): real TLS, real JWTs, real
 * libevent. The emulator checks every request and writes what it saw to
 * requests.jsonl; the test reads that back.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <event2/event.h>

#include "github.h"
#include "log.h"
#include "policy.h"
#include "verdict.h"
#include "xalloc.h"

static char		 dir[256];
static pid_t		 emu_pid = -1;
static int		 port_good, port_wrong, port_untrusted;
static struct event_base *base;
static int		 ctl_seq;
static int		 req_mark;	/* log lines before this case */

struct outcome {
	int	called;
	int	ok;
	char	result[512];
};

/* DIR/name, stable for the whole run (policies keep the pointers). */
static char	*paths[64][2];

static char *
path_in(const char *name)
{
	size_t	i;

	for (i = 0; i < 64 && paths[i][0] != NULL; i++)
		if (strcmp(paths[i][0], name) == 0)
			return paths[i][1];
	if (i == 64)
		fail_msg("too many paths");
	paths[i][0] = xstrdup(name);
	xasprintf(&paths[i][1], "%s/%s", dir, name);
	return paths[i][1];
}

static void
paths_free(void)
{
	size_t	i;

	for (i = 0; i < 64 && paths[i][0] != NULL; i++) {
		free(paths[i][0]);
		free(paths[i][1]);
	}
}

static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*buf = NULL;
	size_t	 len = 0;

	if (f == NULL)
		return xstrdup("");
	if (getdelim(&buf, &len, '\0', f) == -1) {
		free(buf);
		buf = xstrdup("");
	}
	fclose(f);
	return buf;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int
count_lines(const char *path)
{
	char	*s = slurp(path), *p;
	int	 n = 0;

	for (p = s; *p != '\0'; p++)
		if (*p == '\n')
			n++;
	free(s);
	return n;
}

/*
 * Let requests that an earlier case abandoned land in the log before the
 * next case starts counting: wait until it has been still for 0.3 s (at
 * most 5 s).
 */
static void
settle(void)
{
	int	n = count_lines(path_in("requests.jsonl")), m, still = 0, i;

	for (i = 0; i < 50 && still < 3; i++) {
		usleep(100000);
		m = count_lines(path_in("requests.jsonl"));
		still = m == n ? still + 1 : 0;
		n = m;
	}
}

/* Script the emulator for the next case; remember where its log is. */
static void
control(const char *fmt, ...)
{
	char	body[4096], *json;
	va_list	ap;

	settle();
	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	xasprintf(&json, "{\"id\":\"c%d\"%s%s}", ++ctl_seq, *body ? "," : "",
	    body);
	write_file(path_in("control.tmp"), json, 0600);
	assert_int_equal(rename(path_in("control.tmp"),
	    path_in("control.json")), 0);
	free(json);
	req_mark = count_lines(path_in("requests.jsonl"));
}

/* The emulator's records of this case, as a cJSON array. */
static cJSON *
requests(void)
{
	char	*s = slurp(path_in("requests.jsonl")), *line, *save = NULL;
	cJSON	*all = cJSON_CreateArray(), *r, *problems;
	int	 n = 0;

	for (line = strtok_r(s, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (n++ < req_mark)
			continue;
		assert_non_null(r = cJSON_Parse(line));
		problems = cJSON_GetObjectItem(r, "problems");
		if (cJSON_GetArraySize(problems) != 0) {
			char *p = cJSON_PrintUnformatted(r);
			fail_msg("emulator found problems: %s", p);
		}
		cJSON_AddItemToArray(all, r);
	}
	free(s);
	return all;
}

/* The emulator's last record, problems and all. */
static cJSON *
last_request(void)
{
	char	*all = slurp(path_in("requests.jsonl")), *last;
	size_t	 len = strlen(all);
	cJSON	*r;

	if (len > 0 && all[len - 1] == '\n')
		all[len - 1] = '\0';
	last = strrchr(all, '\n');
	r = cJSON_Parse(last ? last + 1 : all);
	free(all);
	return r;
}

static const char *
req_str(cJSON *all, int i, const char *key)
{
	cJSON	*v = cJSON_GetObjectItem(cJSON_GetArrayItem(all, i), key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static int
req_status(cJSON *all, int i)
{
	return cJSON_GetObjectItem(cJSON_GetArrayItem(all, i),
	    "status")->valueint;
}

static void
done_cb(int ok, const char *result, void *arg)
{
	struct outcome	*o = arg;
	FILE		*f;

	o->called++;
	o->ok = ok;
	snprintf(o->result, sizeof o->result, "%s", result);
	/* Results are output too: the leak check greps them. */
	if ((f = fopen(path_in("results.txt"), "a")) != NULL) {
		fprintf(f, "%d %s\n", ok, result);
		fclose(f);
	}
}

/* Run the loop until the callback ran; bounded in time. */
static void
wait_for(struct outcome *o)
{
	time_t	deadline = time(NULL) + 90;

	while (o->called == 0 && time(NULL) < deadline)
		event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(o->called, 1);
}

static char *
url(int port, const char *host)
{
	static char	buf[2][128];
	static int	i;

	i = !i;
	snprintf(buf[i], sizeof buf[i], "https://%s:%d/api/v3/", host, port);
	return buf[i];
}

static struct policy_github
app_policy(int port)
{
	struct policy_github	pg = {
		.api_url = url(port, "127.0.0.1"),
		.app_id = "31337",
		.installation_id = "5150",
		.private_key_file = path_in("app.pem"),
		.ca_file = path_in("ca.pem"),
		.cancel_run = 1,
		.check_run = 1,
	};

	return pg;
}

static struct policy_github
token_policy(int port, const char *token_file)
{
	struct policy_github	pg = {
		.api_url = url(port, "127.0.0.1"),
		.token_file = path_in(token_file),
		.ca_file = path_in("ca.pem"),
		.cancel_run = 1,
		.check_run = 1,
	};

	return pg;
}

static const struct github_job job = {
	.repository = "octo/widgets",
	.run_id = "4242",
	.run_attempt = "2",
	.job_key = "agent",
	.runner_name = "test-runner",
};

static struct github *
new_gh(const struct policy_github *pg, unsigned attempts, unsigned total_ms,
    unsigned backoff_ms)
{
	struct github		*gh = github_new(base, pg, &job);
	struct github_limits	 lim;

	assert_non_null(gh);
	github_limits_default(&lim);
	lim.max_attempts = attempts;
	lim.max_total_ms = total_ms;
	lim.backoff_ms = backoff_ms;
	lim.request_timeout_ms = 20000;
	github_set_limits(gh, &lim);
	return gh;
}

static struct outcome
cancel(const struct policy_github *pg, unsigned attempts, unsigned total_ms,
    unsigned backoff_ms)
{
	struct github	*gh = new_gh(pg, attempts, total_ms, backoff_ms);
	struct outcome	 o = { 0 };

	github_cancel_run(gh, done_cb, &o);
	assert_int_equal(o.called, 0);	/* never from inside the call */
	wait_for(&o);
	/* Nothing of ours lingers in the loop (the daemon's loop can end). */
	assert_int_equal(event_base_get_num_events(base,
	    EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE), 0);
	github_free(gh);
	assert_int_equal(o.called, 1);
	return o;
}

static int
log_has(const char *needle)
{
	char	*s = slurp(path_in("breaker.log"));
	int	 found = strstr(s, needle) != NULL;

	free(s);
	return found;
}

/* ---- verdicts --------------------------------------------------------- */

static void
add_verdict(struct verdict_list *vl, unsigned seq, enum severity sev)
{
	struct verdict	*v = xcalloc(1, sizeof *v);
	char		*s;

	v->seq = seq;
	xasprintf(&v->rule_id, "rule-%u", seq);
	v->title = xstrdup("Provider API key rejected");
	v->severity = sev;
	v->source = xstrdup("engine");
	/* engine text in the message and the process name (its comm) */
	xasprintf(&s, "401 Unauthorized from the provider (%u): log in at "
	    "https://evil.example ::set-env name=X::1", seq);
	v->message = s;
	v->evidence[0] = xstrdup("ERROR: unexpected status 401 Unauthorized");
	v->nevidence = 1;
	v->action = VERDICT_STOP;
	v->action_result = xstrdup("##[add-mask]x (pid 4242) exited after "
	    "SIGINT");
	TAILQ_INSERT_TAIL(vl, v, entry);
}

static void
free_verdicts(struct verdict_list *vl)
{
	struct verdict	*v;
	size_t		 i;

	while ((v = TAILQ_FIRST(vl)) != NULL) {
		TAILQ_REMOVE(vl, v, entry);
		for (i = 0; i < v->nevidence; i++)
			free(v->evidence[i]);
		free(v->rule_id);
		free(v->title);
		free(v->source);
		free(v->message);
		free(v->action_result);
		free(v);
	}
}

static struct outcome
check_run(const struct policy_github *pg, int nverdicts)
{
	struct verdict_list	 vl = TAILQ_HEAD_INITIALIZER(vl);
	struct github		*gh = new_gh(pg, 3, 30000, 50);
	struct outcome		 o = { 0 };
	int			 i;

	for (i = 1; i <= nverdicts; i++)
		add_verdict(&vl, (unsigned)i, i == 1 ? SEVERITY_FATAL :
		    SEVERITY_WARNING);
	github_check_run(gh, &vl, done_cb, &o);
	free_verdicts(&vl);	/* github.c keeps its own copy */
	wait_for(&o);
	github_free(gh);
	return o;
}

/* ---- setup ------------------------------------------------------------ */

static int
have(const char *prog)
{
	char	cmd[256];

	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

static int
read_ports(void)
{
	FILE	*f = fopen(path_in("ports"), "r");
	char	 name[32];
	int	 port;

	if (f == NULL)
		return -1;
	while (fscanf(f, "%31s %d", name, &port) == 2) {
		if (strcmp(name, "good") == 0)
			port_good = port;
		else if (strcmp(name, "wrong") == 0)
			port_wrong = port;
		else if (strcmp(name, "untrusted") == 0)
			port_untrusted = port;
	}
	fclose(f);
	return port_good && port_wrong && port_untrusted ? 0 : -1;
}

static int
group_setup(void **state)
{
	const char	*root = getenv("BREAKER_SOURCE_ROOT");
	char		 emu[PATH_MAX];
	int		 i;

	if (!have("python3") || !have("openssl")) {
		fprintf(stderr, "python3 or openssl missing\n");
		return -1;
	}
	snprintf(emu, sizeof emu, "%s/tests/integration/github_emulator.py",
	    root ? root : "../..");
	snprintf(dir, sizeof dir, "/tmp/breaker-github-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	if ((emu_pid = fork()) == 0) {
		/* A test killed outright must not leave a server behind. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		setenv("GITHUB_EMULATOR_LIFETIME", "600", 1);
		execlp("python3", "python3", emu, "--dir", dir, (char *)NULL);
		_exit(127);
	}
	/* Key generation on a busy machine: be patient, but bounded. */
	for (i = 0; i < 1200 && read_ports() == -1; i++) {
		if (waitpid(emu_pid, NULL, WNOHANG) == emu_pid) {
			emu_pid = -1;
			return -1;
		}
		usleep(100000);
	}
	if (read_ports() == -1)
		return -1;
	log_init("test_github", LOG_LEVEL_DEBUG);
	if (log_to_file(path_in("breaker.log")) == -1)
		return -1;
	base = event_base_new();
	return base ? 0 : -1;
}

static int
rm_cb(const char *name)
{
	char	p[PATH_MAX];

	snprintf(p, sizeof p, "%s/%s", dir, name);
	return unlink(p);
}

static int
group_teardown(void **state)
{
	DIR		*d;
	struct dirent	*de;
	int		 i;

	if (base != NULL)
		event_base_free(base);
	if (emu_pid > 0) {
		kill(emu_pid, SIGTERM);
		for (i = 0; i < 50; i++) {
			if (waitpid(emu_pid, NULL, WNOHANG) == emu_pid)
				break;
			usleep(100000);
		}
		if (i == 50) {
			kill(emu_pid, SIGKILL);
			waitpid(emu_pid, NULL, 0);
		}
	}
	log_to_fd(STDERR_FILENO);
	if (getenv("BREAKER_KEEP_TEST_DIR") == NULL &&
	    (d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				rm_cb(de->d_name);
		closedir(d);
		rmdir(dir);
	}
	paths_free();
	return 0;
}

/* ---- cases ------------------------------------------------------------ */

/* App: JWT → installation token → cancel; the GHES prefix is honoured. */
static void
test_app_cancel(void **state)
{
	struct policy_github	pg = app_policy(port_good);
	struct outcome		o;
	cJSON			*r;

	control("");
	o = cancel(&pg, 3, 30000, 50);
	assert_true(o.ok);
	assert_non_null(strstr(o.result, "202"));
	r = requests();
	assert_int_equal(cJSON_GetArraySize(r), 2);
	assert_string_equal(req_str(r, 0, "path"),
	    "/app/installations/5150/access_tokens");
	assert_string_equal(req_str(r, 0, "auth"), "jwt");
	assert_int_equal(req_status(r, 0), 201);
	assert_string_equal(req_str(r, 1, "method"), "POST");
	assert_string_equal(req_str(r, 1, "path"),
	    "/repos/octo/widgets/actions/runs/4242/cancel");
	assert_string_equal(req_str(r, 1, "auth"), "installation-token");
	cJSON_Delete(r);
}

static void
test_token_cancel(void **state)
{
	struct policy_github	pg = token_policy(port_good, "token");
	struct outcome		o;
	cJSON			*r;

	control("");
	o = cancel(&pg, 3, 30000, 50);
	assert_true(o.ok);
	r = requests();
	assert_int_equal(cJSON_GetArraySize(r), 1);
	assert_string_equal(req_str(r, 0, "auth"), "file-token");
	cJSON_Delete(r);
}

/* Host-name (not address) verification, with SNI, through "localhost". */
static void
test_hostname_cancel(void **state)
{
	struct policy_github	pg = token_policy(port_good, "token");
	struct outcome		o;

	pg.api_url = url(port_good, "localhost");
	control("");
	o = cancel(&pg, 1, 30000, 50);
	assert_true(o.ok);
	pg.api_url = url(port_wrong, "localhost");
	control("");
	o = cancel(&pg, 3, 30000, 50);
	assert_false(o.ok);
	assert_non_null(strstr(o.result, "hostname mismatch"));
}

static void
test_409(void **state)
{
	struct policy_github	pg = token_policy(port_good, "token");
	struct outcome		o;
	cJSON			*r;

	control("\"run_completed\":true");
	o = cancel(&pg, 3, 30000, 50);
	assert_true(o.ok);
	assert_non_null(strstr(o.result, "409"));
	r = requests();
	assert_int_equal(cJSON_GetArraySize(r), 1);	/* final, no retry */
	cJSON_Delete(r);
}

/* The action failed for `why`, and no request reached the API. */
static void
refused_unsent(const struct outcome *o, const char *why)
{
	cJSON	*r;

	assert_false(o->ok);
	assert_non_null(strstr(o->result, why));
	r = requests();
	assert_int_equal(cJSON_GetArraySize(r), 0);
	cJSON_Delete(r);
}

static void
test_untrusted(void **state)
{
	struct policy_github	pg = app_policy(port_untrusted);
	struct outcome		o;

	control("");
	o = cancel(&pg, 3, 30000, 50);
	refused_unsent(&o, "certificate");
	/* Nor does the system store know the test CA. */
	pg = app_policy(port_good);
	pg.ca_file = NULL;
	o = cancel(&pg, 3, 30000, 50);
	assert_false(o.ok);
	assert_non_null(strstr(o.result, "certificate"));
}

static void
test_wrong_host(void **state)
{
	struct policy_github	pg = token_policy(port_wrong, "token");
	struct outcome		o;

	control("");
	o = cancel(&pg, 3, 30000, 50);
	refused_unsent(&o, "mismatch");
}

static void
test_rejected_token(void **state)
{
	struct policy_github	pg = token_policy(port_good, "bogus-token");
	struct outcome		o;
	cJSON			*r;

	write_file(path_in("bogus-token"),
	    "ghp_bogusbogusbogusbogusbogusbogus1234\n", 0600);
	control("");
	o = cancel(&pg, 3, 30000, 50);
	assert_false(o.ok);
	assert_non_null(strstr(o.result, "401"));
	assert_non_null(strstr(o.result, "credentials rejected"));
	r = requests();
	assert_int_equal(cJSON_GetArraySize(r), 1);	/* 401 is final */
	cJSON_Delete(r);
}

/* An installation token that stops working is replaced, once. */
static void
test_expired_installation_token(void **state)
{
	struct policy_github	pg = app_policy(port_good);
	struct outcome		o;
	cJSON			*r;

	control("\"revoke_first_use\":true");
	o = cancel(&pg, 3, 30000, 50);
	assert_true(o.ok);
	r = requests();
	assert_int_equal(cJSON_GetArraySize(r), 4);
	assert_int_equal(req_status(r, 1), 401);
	assert_string_equal(req_str(r, 2, "path"),
	    "/app/installations/5150/access_tokens");
	assert_int_equal(req_status(r, 3), 202);
	cJSON_Delete(r);
}

/* A JWT signed with the wrong key is refused; nothing else is tried. */
static void
test_rejected_jwt(void **state)
{
	struct policy_github	pg = app_policy(port_good);
	struct outcome		o;
	cJSON			*r, *problems;

	pg.private_key_file = path_in("other.pem");
	control("");
	o = cancel(&pg, 3, 30000, 50);
	assert_false(o.ok);
	assert_non_null(strstr(o.result, "authentication failed"));
	assert_non_null(strstr(o.result, "401"));
	/* Read raw: requests() would fail on the emulator's finding. */
	r = last_request();
	assert_non_null(r);
	problems = cJSON_GetObjectItem(r, "problems");
	assert_string_equal(cJSON_GetArrayItem(problems, 0)->valuestring,
	    "jwt: bad signature");
	cJSON_Delete(r);
}

/* 500 then a secondary rate limit (Retry-After: 1) then success. */
static void
test_retry_honoured(void **state)
{
	struct policy_github	pg = token_policy(port_good, "token");
	struct outcome		o;
	cJSON			*r, *t1, *t2;

	control("\"script\":[{\"path\":\"/cancel$\",\"status\":500},"
	    "{\"path\":\"/cancel$\",\"status\":403,\"headers\":"
	    "{\"Retry-After\":\"1\"},\"body\":{\"message\":\"You have "
	    "exceeded a secondary rate limit.\"}}]");
	o = cancel(&pg, 4, 30000, 50);
	assert_true(o.ok);
	r = requests();
	assert_int_equal(cJSON_GetArraySize(r), 3);
	assert_int_equal(req_status(r, 0), 500);
	assert_int_equal(req_status(r, 1), 403);
	assert_int_equal(req_status(r, 2), 202);
	/* Retry-After: 1 was waited out (a lower bound only). */
	t1 = cJSON_GetObjectItem(cJSON_GetArrayItem(r, 1), "t");
	t2 = cJSON_GetObjectItem(cJSON_GetArrayItem(r, 2), "t");
	assert_true(t2->valuedouble - t1->valuedouble >= 0.9);
	cJSON_Delete(r);
}

/* Bounded in count: 500 forever → exactly max_attempts requests. */
static void
test_retry_bounded_count(void **state)
{
	struct policy_github	pg = token_policy(port_good, "token");
	struct outcome		o;
	cJSON			*r;

	control("\"script\":[{\"path\":\"/cancel$\",\"status\":500,"
	    "\"times\":-1}]");
	o = cancel(&pg, 3, 30000, 20);
	assert_false(o.ok);
	assert_non_null(strstr(o.result, "HTTP 500"));
	assert_non_null(strstr(o.result, "gave up after 3 attempts"));
	r = requests();
	assert_int_equal(cJSON_GetArraySize(r), 3);
	cJSON_Delete(r);
}

/*
 * Bounded in time: a wait longer than what is left of the budget is not
 * started (Retry-After, x-ratelimit-reset, an unnamed secondary limit), and
 * back-offs stop once the budget is spent.
 */
static void
test_retry_bounded_time(void **state)
{
	struct policy_github	pg = token_policy(port_good, "token");
	struct outcome		o;
	cJSON			*r;
	char			 ctl[512];

	control("\"script\":[{\"path\":\"/cancel$\",\"status\":403,\"headers\":"
	    "{\"Retry-After\":\"3600\"},\"times\":-1}]");
	o = cancel(&pg, 10, 30000, 20);
	assert_false(o.ok);
	assert_non_null(strstr(o.result, "HTTP 403"));
	assert_non_null(strstr(o.result, "3600 s away, beyond the 30 s "
	    "budget"));
	r = requests();
	assert_int_equal(cJSON_GetArraySize(r), 1);
	cJSON_Delete(r);

	snprintf(ctl, sizeof ctl, "\"script\":[{\"path\":\"/cancel$\","
	    "\"status\":429,\"headers\":{\"x-ratelimit-remaining\":\"0\","
	    "\"x-ratelimit-reset\":\"%lld\"},\"times\":-1}]",
	    (long long)time(NULL) + 3600);
	control("%s", ctl);
	o = cancel(&pg, 10, 30000, 20);
	assert_false(o.ok);
	r = requests();
	assert_int_equal(cJSON_GetArraySize(r), 1);
	cJSON_Delete(r);

	control("\"script\":[{\"path\":\"/cancel$\",\"status\":403,\"body\":"
	    "{\"message\":\"You have exceeded a secondary rate limit\"},"
	    "\"times\":-1}]");
	o = cancel(&pg, 10, 30000, 20);
	assert_false(o.ok);
	assert_non_null(strstr(o.result, "rate limited; gave up: the next "
	    "try is 60 s away"));
	r = requests();
	assert_int_equal(cJSON_GetArraySize(r), 1);	/* 60 s > 30 s */
	cJSON_Delete(r);

	/* Back-off 0.4 s, 0.8 s … within 1 s: at most two attempts. */
	control("\"script\":[{\"path\":\"/cancel$\",\"status\":503,"
	    "\"times\":-1}]");
	o = cancel(&pg, 10, 1000, 400);
	assert_false(o.ok);
	r = requests();
	assert_in_range(cJSON_GetArraySize(r), 1, 2);
	cJSON_Delete(r);
}

/* Nobody listening: a network error, retried with back-off, bounded. */
static void
test_connection_refused(void **state)
{
	struct policy_github	pg = token_policy(port_good, "token");
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	struct outcome		o;
	int			fd;

	/* A port that was just free on 127.0.0.1. */
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	pg.api_url = url(ntohs(sin.sin_port), "127.0.0.1");
	control("");
	o = cancel(&pg, 2, 30000, 20);
	assert_false(o.ok);
	assert_non_null(strstr(o.result, "network error; gave up after 2 "
	    "attempts"));
}

/* No answer within the request timeout: the attempt is abandoned. */
static void
test_request_timeout(void **state)
{
	struct policy_github	 pg = token_policy(port_good, "token");
	struct github		*gh = github_new(base, &pg, &job);
	struct github_limits	 lim;
	struct outcome		 o = { 0 };

	control("\"script\":[{\"path\":\"/cancel$\",\"status\":202,"
	    "\"delay\":3}]");
	github_limits_default(&lim);
	lim.request_timeout_ms = 300;
	lim.max_attempts = 1;
	github_set_limits(gh, &lim);
	github_cancel_run(gh, done_cb, &o);
	wait_for(&o);
	assert_false(o.ok);
	assert_non_null(strstr(o.result, "no answer within 300 ms"));
	github_free(gh);
}

/* github_free answers every unfinished action once, with ok = 0. */
static void
test_free_inflight(void **state)
{
	struct policy_github	 pg = token_policy(port_good, "token");
	struct github		*gh = github_new(base, &pg, &job);
	struct outcome		 o = { 0 };
	int			 i;

	control("\"script\":[{\"path\":\"/cancel$\",\"status\":202,"
	    "\"delay\":2}]");
	github_cancel_run(gh, done_cb, &o);
	/* Free it while the emulator holds the request (bounded wait). */
	for (i = 0; i < 2000 && count_lines(path_in("requests.jsonl")) ==
	    req_mark; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	assert_int_equal(o.called, 0);
	github_free(gh);
	assert_int_equal(o.called, 1);
	assert_false(o.ok);
	assert_non_null(strstr(o.result, "abandoned"));
}

static void
test_not_allowed(void **state)
{
	struct policy_github	 pg = token_policy(port_good, "token");
	struct outcome		 o;

	pg.cancel_run = 0;
	control("");
	o = cancel(&pg, 1, 1000, 20);
	refused_unsent(&o, "not allowed");
}

/* The job is on page 2 of the attempt's jobs; 3 verdicts, one request. */
static void
test_app_check_run(void **state)
{
	struct policy_github	 pg = app_policy(port_good);
	struct outcome		 o;
	cJSON			*r, *body, *out, *anns, *a;
	const char		*sum;

	control("\"njobs\":150,\"our_job\":120");
	o = check_run(&pg, 3);
	assert_true(o.ok);
	assert_non_null(strstr(o.result, "3 annotations in 1 request"));
	r = requests();
	assert_int_equal(cJSON_GetArraySize(r), 5);
	assert_string_equal(req_str(r, 1, "path"),
	    "/repos/octo/widgets/actions/runs/4242");
	assert_string_equal(req_str(r, 2, "path"),
	    "/repos/octo/widgets/actions/runs/4242/attempts/2/jobs");
	assert_string_equal(req_str(r, 2, "query"), "per_page=100&page=1");
	assert_string_equal(req_str(r, 3, "query"), "per_page=100&page=2");
	assert_string_equal(req_str(r, 4, "method"), "POST");
	assert_string_equal(req_str(r, 4, "path"),
	    "/repos/octo/widgets/check-runs");
	body = cJSON_GetObjectItem(cJSON_GetArrayItem(r, 4), "body");
	assert_string_equal(cJSON_GetObjectItem(body, "name")->valuestring,
	    "breaker");
	assert_string_equal(cJSON_GetObjectItem(body,
	    "external_id")->valuestring, "1120");
	assert_string_equal(cJSON_GetObjectItem(body, "status")->valuestring,
	    "completed");
	assert_string_equal(cJSON_GetObjectItem(body,
	    "conclusion")->valuestring, "failure");
	out = cJSON_GetObjectItem(body, "output");
	assert_non_null(strstr(cJSON_GetObjectItem(out,
	    "summary")->valuestring, "rule\\-2"));	/* Markdown */
	/* engine text went through the one sanitising path: no link in the
	 * Markdown, no workflow-command form anywhere */
	sum = cJSON_GetObjectItem(out, "summary")->valuestring;
	assert_null(strstr(sum, "://"));
	assert_null(strstr(sum, "::"));
	assert_null(strstr(sum, "##["));
	anns = cJSON_GetObjectItem(out, "annotations");
	assert_int_equal(cJSON_GetArraySize(anns), 3);
	a = cJSON_GetArrayItem(anns, 0);
	assert_string_equal(cJSON_GetObjectItem(a,
	    "annotation_level")->valuestring, "failure");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(anns, 1),
	    "annotation_level")->valuestring, "warning");
	assert_non_null(strstr(cJSON_GetObjectItem(a,
	    "raw_details")->valuestring, "401 Unauthorized"));
	assert_null(strstr(cJSON_GetObjectItem(a, "message")->valuestring,
	    "::"));
	cJSON_Delete(r);
}

/* Two actions at once share one token exchange. */
static void
test_concurrent_share_token(void **state)
{
	struct policy_github	 pg = app_policy(port_good);
	struct verdict_list	 vl = TAILQ_HEAD_INITIALIZER(vl);
	struct github		*gh = new_gh(&pg, 3, 30000, 50);
	struct outcome		 a = { 0 }, b = { 0 };
	cJSON			*r;
	int			 i, n, exchanges = 0;

	control("");
	add_verdict(&vl, 1, SEVERITY_FATAL);
	github_cancel_run(gh, done_cb, &a);
	github_check_run(gh, &vl, done_cb, &b);
	free_verdicts(&vl);
	wait_for(&a);
	wait_for(&b);
	assert_true(a.ok);
	assert_true(b.ok);
	github_free(gh);
	r = requests();
	n = cJSON_GetArraySize(r);
	for (i = 0; i < n; i++)
		if (strstr(req_str(r, i, "path"), "access_tokens") != NULL)
			exchanges++;
	assert_int_equal(exchanges, 1);
	assert_int_equal(n, 1 + 1 + 3);	/* token, cancel, run+jobs+create */
	cJSON_Delete(r);
}

/*
 * The emulator's token file holds a classic PAT (ghp_), which GitHub refuses
 * for check runs: breaker says so without a request.
 */
static void
test_check_run_personal_token(void **state)
{
	struct policy_github	 pg = token_policy(port_good, "token");
	struct outcome		 o;

	control("");
	o = check_run(&pg, 2);
	refused_unsent(&o, "only a GitHub App");
}

/*
 * 120 verdicts: POST 50 (in progress), PATCH 50, PATCH 20 (completed),
 * with an installation token (ghs_, a job's GITHUB_TOKEN) in the file.
 */
static void
test_check_run_split(void **state)
{
	struct policy_github	 pg = token_policy(port_good, "token");
	struct outcome		 o;
	cJSON			*r, *b;
	int			 i, n;
	static const int	 want[3] = { 50, 50, 20 };
	char			*pat = slurp(path_in("token"));

	write_file(path_in("token"), "ghs_0123456789abcdef0123456789abcdef\n",
	    0600);
	/* Our runner is not among the jobs: the check run goes out unlinked. */
	control("\"our_job\":-1");
	o = check_run(&pg, 120);
	write_file(path_in("token"), pat, 0600);
	free(pat);
	assert_true(o.ok);
	assert_non_null(strstr(o.result, "120 annotations in 3 requests"));
	r = requests();
	n = cJSON_GetArraySize(r);
	assert_int_equal(n, 5);
	for (i = 0; i < 3; i++) {
		b = cJSON_GetObjectItem(cJSON_GetArrayItem(r, 2 + i), "body");
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(b, "output"), "annotations")), want[i]);
		assert_string_equal(cJSON_GetObjectItem(b,
		    "status")->valuestring, i == 2 ? "completed" :
		    "in_progress");
	}
	b = cJSON_GetObjectItem(cJSON_GetArrayItem(r, 2), "body");
	assert_null(cJSON_GetObjectItem(b, "external_id"));
	assert_true(log_has("this job was not found"));
	assert_string_equal(req_str(r, 3, "method"), "PATCH");
	assert_string_equal(req_str(r, 3, "path"),
	    "/repos/octo/widgets/check-runs/777");
	cJSON_Delete(r);
}

/* Credential files that others can read are refused, with the reason. */
static void
test_mode_refused(void **state)
{
	struct policy_github	 pg = token_policy(port_good, "token644");
	char			*tok = slurp(path_in("token"));

	write_file(path_in("token644"), tok, 0644);
	free(tok);
	assert_null(github_new(base, &pg, &job));
	assert_true(log_has("refusing token_file"));
	assert_true(log_has("mode 0644"));

	tok = slurp(path_in("app.pem"));
	write_file(path_in("app640.pem"), tok, 0640);
	free(tok);
	pg = app_policy(port_good);
	pg.private_key_file = path_in("app640.pem");
	assert_null(github_new(base, &pg, &job));
	assert_true(log_has("refusing private_key_file"));
	assert_int_equal(unlink(path_in("app640.pem")), 0);
}

static void
test_bad_config(void **state)
{
	struct policy_github	pg = token_policy(port_good, "token");
	struct github_job	bad = job;

	pg.api_url = "http://127.0.0.1:1/";
	assert_null(github_new(base, &pg, &job));
	pg = token_policy(port_good, "token");
	bad.repository = "octo/../../admin";
	assert_null(github_new(base, &pg, &bad));
	pg.token_file = NULL;
	assert_null(github_new(base, &pg, &job));
	assert_true(log_has("no credentials configured"));
}

static void
test_mask_line(void **state)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&buf, &len);

	github_mask_line("ghs_a%b", f);
	github_mask_line("", f);
	github_mask_line(NULL, f);
	fclose(f);
	assert_string_equal(buf, "::add-mask::ghs_a%25b\n");
	free(buf);
}

/* ---- the leak check: last ------------------------------------------- */

static int
is_secret_source(const char *name)
{
	static const char *const src[] = { "app.pem", "other.pem", "token",
	    "bogus-token", "token644", "issued-tokens", "ca.key", "server.key",
	    "wrong.key", "untrusted.key" };
	size_t	i;

	for (i = 0; i < sizeof src / sizeof src[0]; i++)
		if (strcmp(name, src[i]) == 0)
			return 1;
	return 0;
}

/* Every token, the bodies of the private keys, and any JWT. */
static void
collect_secrets(char ***out, size_t *n)
{
	static const char *const files[] = { "token", "bogus-token",
	    "issued-tokens", "app.pem", "other.pem" };
	char	*s, *line, *save;
	size_t	 i;

	*out = NULL;
	*n = 0;
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		s = slurp(path_in(files[i]));
		save = NULL;
		for (line = strtok_r(s, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if (strncmp(line, "-----", 5) == 0 || strlen(line) < 16)
				continue;
			*out = xreallocarray(*out, *n + 1, sizeof **out);
			(*out)[(*n)++] = xstrdup(line);
		}
		free(s);
	}
	*out = xreallocarray(*out, *n + 1, sizeof **out);
	(*out)[(*n)++] = xstrdup("eyJhbGciOiJSUzI1NiIs");	/* a JWT */
}

static void
test_no_secret_leaked(void **state)
{
	DIR		*d;
	struct dirent	*de;
	char		**secrets, *s;
	size_t		 nsecrets, i;
	int		 scanned = 0, issued;

	collect_secrets(&secrets, &nsecrets);
	issued = count_lines(path_in("issued-tokens"));
	assert_true(issued >= 3);
	assert_true(nsecrets >= (size_t)issued + 2 + 20);
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || is_secret_source(de->d_name))
			continue;
		s = slurp(path_in(de->d_name));
		for (i = 0; i < nsecrets; i++)
			if (strstr(s, secrets[i]) != NULL)
				fail_msg("%s leaks secret #%zu", de->d_name, i);
		free(s);
		scanned++;
	}
	closedir(d);
	/* breaker.log, results.txt and requests.jsonl at least. */
	assert_true(scanned >= 3);
	assert_true(log_has("github: "));
	for (i = 0; i < nsecrets; i++)
		free(secrets[i]);
	free(secrets);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask_line),
		cmocka_unit_test(test_app_cancel),
		cmocka_unit_test(test_token_cancel),
		cmocka_unit_test(test_hostname_cancel),
		cmocka_unit_test(test_409),
		cmocka_unit_test(test_untrusted),
		cmocka_unit_test(test_wrong_host),
		cmocka_unit_test(test_rejected_token),
		cmocka_unit_test(test_expired_installation_token),
		cmocka_unit_test(test_rejected_jwt),
		cmocka_unit_test(test_retry_honoured),
		cmocka_unit_test(test_retry_bounded_count),
		cmocka_unit_test(test_retry_bounded_time),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_request_timeout),
		cmocka_unit_test(test_free_inflight),
		cmocka_unit_test(test_not_allowed),
		cmocka_unit_test(test_app_check_run),
		cmocka_unit_test(test_check_run_personal_token),
		cmocka_unit_test(test_check_run_split),
		cmocka_unit_test(test_concurrent_share_token),
		cmocka_unit_test(test_mode_refused),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_no_secret_leaked),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
