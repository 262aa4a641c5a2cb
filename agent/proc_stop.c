/*
 * Stopping the engine: its pidfd, the runner's ladder of {signal, wait}
 * steps, escalating only while it lives, and then its leftover descendants.
 *
 * Why pidfds: between finding a pid and signalling it the process can exit
 * and its pid be reused by something unrelated. A pidfd names one process for
 * good, pidfd_send_signal on it can never reach another, and it turns
 * readable when the process exits, for any process, not only our children
 * (checked on Linux 6.x; since 5.3). Only when pidfd_open says ENOSYS (a
 * kernel older than 5.3, or a seccomp filter that denies it) do we fall back
 * to kill() and polling, and then that race is back, narrowed to one poll
 * interval: the pid is re-checked for existence right before each kill().
 *
 * Finding whom to stop (the engine, its descendants) is proc.c's; this file
 * only pins, signals, waits and reports.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "policy.h"
#include "proc.h"
#include "proc_stop.h"
#include "util.h"
#include "xalloc.h"

#ifndef P_PIDFD
#define P_PIDFD		3
#endif

#define PROC_STOP_FINAL_WAIT_MS	2000
#define PROC_STOP_POLL_MS	50

/* Through syscall(2): glibc's wrapper came in 2.36, Ubuntu 22.04 has 2.35. */
static int
proc_stop_pidfd_signal(int pidfd, int signo)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, signo, NULL, 0);
}

struct proc_stop_member {
	struct proc_stop	*ps;
	pid_t			 pid;
	int			 pidfd;		/* -1: kill() and polling */
	int			 is_target;
	int			 gone;
	struct event		*ev;
	TAILQ_ENTRY(proc_stop_member) entry;
};
TAILQ_HEAD(proc_stop_members, proc_stop_member);

enum proc_stop_phase {
	PROC_STOP_TARGET = 0,
	PROC_STOP_SUBTREE,	/* the target is gone, its leftovers are not */
	PROC_STOP_DONE,
};

struct proc_stop {
	struct event_base	*base;
	proc_stop_cb		 cb;
	void			*arg;
	struct policy_signal_step ladder[POLICY_MAX_LADDER];
	size_t			 nladder;
	size_t			 step;		/* the next step to take */
	unsigned		 final_wait_ms;
	int			 subtree;
	enum proc_stop_phase	 phase;
	struct proc_stop_member	*target;
	struct proc_stop_members desc;
	struct event		*timer;
	struct event		*done;
	double			 last_mono;	/* last signal to the target */
	int			 subtree_signo;
	struct proc_stop_result	 res;
	struct proc_stop_sent	 sent[PROC_STOP_MAX_SENT];
	char			 name[PROC_NAME_MAX];
	char			 message[768];
	struct proc_info	 found;		/* decoys seen by the search */
};

static void	proc_stop_member_cb(evutil_socket_t, short, void *);
static void	proc_stop_finish(struct proc_stop *);

/* Append to the stop's one sentence (cut at its size, as snprintf cuts). */
static void __attribute__((format(printf, 2, 3)))
proc_stop_say(struct proc_stop *ps, const char *fmt, ...)
{
	size_t	len = strlen(ps->message);
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(ps->message + len, sizeof ps->message - len, fmt, ap);
	va_end(ap);
}

static void
proc_stop_member_arm(struct proc_stop_member *m)
{
	struct timeval	tv = ms_tv(PROC_STOP_POLL_MS);

	if (m->pidfd != -1) {
		m->ev = event_new(m->ps->base, m->pidfd, EV_READ,
		    proc_stop_member_cb, m);
		event_add(m->ev, NULL);
	} else {
		m->ev = event_new(m->ps->base, -1, EV_PERSIST,
		    proc_stop_member_cb, m);
		event_add(m->ev, &tv);
	}
}

/*
 * NULL when the process is already gone (*errp 0) or cannot be pinned
 * (*errp set): kill() stands in for pidfds only when the kernel has none.
 */
static struct proc_stop_member *
proc_stop_member_new(struct proc_stop *ps, pid_t pid, unsigned long long start,
    int is_target, int *errp)
{
	struct proc_stop_member	*m;
	struct proc_info	 now;
	int			 fd;

	*errp = 0;
	if ((fd = proc_pidfd_open(pid)) == -1) {
		if (errno == ESRCH)
			return NULL;
		if (errno != ENOSYS) {
			*errp = errno;
			return NULL;
		}
	}
	/*
	 * The pid was read from a scan: if that process exited since and the
	 * pid was reused, the pidfd pins a stranger. Its start time tells.
	 */
	if (proc_lookup(pid, &now) == -1 ||
	    (start != 0 && now.start != start)) {
		if (fd != -1)
			close(fd);
		return NULL;
	}
	m = xcalloc(1, sizeof *m);
	m->ps = ps;
	m->pid = pid;
	m->pidfd = fd;
	m->is_target = is_target;
	proc_stop_member_arm(m);
	return m;
}

static void
proc_stop_member_free(struct proc_stop_member *m)
{
	if (m == NULL)
		return;
	if (m->ev != NULL)
		event_free(m->ev);
	if (m->pidfd != -1)
		close(m->pidfd);
	free(m);
}

static int
proc_stop_member_alive(struct proc_stop_member *m)
{
	return !m->gone && proc_alive(m->pid, m->pidfd);
}

/*
 * One process, never a group: pid is always > 1 here, so kill() cannot
 * reach a group or everything.
 */
static int
proc_stop_member_signal(struct proc_stop_member *m, int signo)
{
	if (m->pid <= 1)
		return EINVAL;
	if (m->pidfd != -1) {
		if (proc_stop_pidfd_signal(m->pidfd, signo) == -1)
			return errno;
		return 0;
	}
	/* The pid-reuse race of the fallback is narrowed, not closed. */
	if (!proc_exists(m->pid))
		return ESRCH;
	if (kill(m->pid, signo) == -1)
		return errno;
	return 0;
}

/* The wait status, when the target is our child (the demo, tests). */
static int
proc_stop_member_status(struct proc_stop_member *m)
{
	siginfo_t	si;
	int		rv;

	memset(&si, 0, sizeof si);
	if (m->pidfd != -1)
		rv = waitid((idtype_t)P_PIDFD, (id_t)m->pidfd, &si,
		    WEXITED | WNOHANG | WNOWAIT);
	else
		rv = waitid(P_PID, (id_t)m->pid, &si,
		    WEXITED | WNOHANG | WNOWAIT);
	if (rv == -1 || si.si_pid == 0)
		return -1;
	if (si.si_code == CLD_EXITED)
		return (si.si_status & 0xff) << 8;
	return (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
}

static void
proc_stop_record(struct proc_stop *ps, int signo, int subtree)
{
	struct proc_stop_sent	*s;

	if (ps->res.nsent >= PROC_STOP_MAX_SENT)
		return;
	s = &ps->sent[ps->res.nsent++];
	s->signo = signo;
	s->subtree = subtree;
	s->mono = mono_now();
}

static int
proc_stop_is_pinned(struct proc_stop *ps, pid_t pid)
{
	struct proc_stop_member	*m;

	TAILQ_FOREACH(m, &ps->desc, entry)
		if (m->pid == pid)
			return 1;
	return 0;
}

/* One descendant (a proc_subtree_cb). */
static void
proc_stop_pin(pid_t pid, unsigned long long start, void *arg)
{
	struct proc_stop	*ps = arg;
	struct proc_stop_member	*m;
	int			 err;

	if (pid == getpid() || pid <= 1 || pid == ps->target->pid ||
	    proc_stop_is_pinned(ps, pid))
		return;
	if ((m = proc_stop_member_new(ps, pid, start, 0, &err)) != NULL)
		TAILQ_INSERT_TAIL(&ps->desc, m, entry);
	else if (err != 0)
		log_warnx("pidfd_open %d: %s; descendant left alone", (int)pid,
		    strerror(err));
}

/*
 * The target's descendants, pinned by pidfds now: once the target exits
 * they are reparented and can no longer be told apart by ancestry.
 */
static void
proc_stop_pin_subtree(struct proc_stop *ps)
{
	if (!ps->subtree)
		return;
	proc_find_subtree(ps->target->pid, proc_stop_pin, ps);
}

static void
proc_stop_arm_timer(struct proc_stop *ps, unsigned wait_ms)
{
	struct timeval	tv = ms_tv(wait_ms);

	/*
	 * libevent counts from the time cached when the loop woke up; a /proc
	 * scan since then would shorten the wait. Count from the signal.
	 */
	event_base_update_cache_time(ps->base);
	evtimer_add(ps->timer, &tv);
}

static void
proc_stop_fail(struct proc_stop *ps, int err)
{
	ps->res.error = err;
	if (err == EPERM)
		proc_stop_say(ps, "cannot signal %s (pid %d): permission "
		    "denied (breaker runs as uid %u); the engine was not "
		    "stopped", ps->name, (int)ps->res.pid, (unsigned)geteuid());
	else
		proc_stop_say(ps, "cannot signal %s (pid %d): %s; the engine "
		    "was not stopped", ps->name, (int)ps->res.pid,
		    strerror(err));
	proc_stop_finish(ps);
}

/* -1 when it cannot be signalled (the stop is then over). */
static int
proc_stop_signal_target(struct proc_stop *ps, int signo)
{
	int	err;

	err = proc_stop_member_signal(ps->target, signo);
	if (err != 0 && err != ESRCH) {
		proc_stop_fail(ps, err);
		return -1;
	}
	proc_stop_record(ps, signo, 0);
	ps->res.last_signal = signo;
	ps->last_mono = mono_now();
	log_info("sent %s to %s (pid %d)", proc_stop_signame(signo), ps->name,
	    (int)ps->res.pid);
	return 0;
}

/* A leftover that cannot be signalled is logged; the rest go on. */
static void
proc_stop_signal_subtree(struct proc_stop *ps, int signo)
{
	struct proc_stop_member	*m;
	int			 err;

	TAILQ_FOREACH(m, &ps->desc, entry)
		if (proc_stop_member_alive(m) &&
		    (err = proc_stop_member_signal(m, signo)) != 0 &&
		    err != ESRCH)
			log_warnx("cannot signal pid %d: %s", (int)m->pid,
			    strerror(err));
	proc_stop_record(ps, signo, 1);
	ps->subtree_signo = signo;
}

/* Take ladder step ps->step, then wait for the exit or the next step. */
static void
proc_stop_step(struct proc_stop *ps)
{
	const struct policy_signal_step	*st = &ps->ladder[ps->step++];
	unsigned			 wait_ms = st->wait_ms;

	if (ps->phase != PROC_STOP_TARGET)
		proc_stop_signal_subtree(ps, st->signo);
	else if (proc_stop_signal_target(ps, st->signo) == -1)
		return;
	if (ps->step == ps->nladder && wait_ms == 0)
		wait_ms = ps->final_wait_ms;
	proc_stop_arm_timer(ps, wait_ms);
}

static void
proc_stop_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proc_stop	*ps = arg;

	if (ps->step >= ps->nladder) {
		proc_stop_finish(ps);	/* the ladder is spent */
		return;
	}
	if (ps->phase == PROC_STOP_TARGET)
		proc_stop_pin_subtree(ps);	/* children born since */
	proc_stop_step(ps);
}

static size_t
proc_stop_desc_alive(struct proc_stop *ps)
{
	struct proc_stop_member	*m;
	size_t			 n = 0;

	TAILQ_FOREACH(m, &ps->desc, entry)
		n += proc_stop_member_alive(m);
	return n;
}

static void
proc_stop_target_gone(struct proc_stop *ps)
{
	ps->res.exited = 1;
	ps->res.exited_at = wall_now();
	if (ps->res.nsent > 0)
		ps->res.elapsed = mono_now() - ps->last_mono;
	ps->res.status = proc_stop_member_status(ps->target);
	evtimer_del(ps->timer);
	if ((ps->res.nsubtree = proc_stop_desc_alive(ps)) == 0) {
		proc_stop_finish(ps);
		return;
	}
	log_info("%s (pid %d) exited, %zu descendant(s) left: stopping them",
	    ps->name, (int)ps->res.pid, ps->res.nsubtree);
	ps->phase = PROC_STOP_SUBTREE;
	ps->step = 0;
	proc_stop_step(ps);
}

static void
proc_stop_member_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proc_stop_member	*m = arg;
	struct proc_stop	*ps = m->ps;

	if (m->pidfd == -1 && proc_exists(m->pid))
		return;
	m->gone = 1;
	event_del(m->ev);
	if (ps->phase == PROC_STOP_DONE)
		return;
	if (m->is_target) {
		if (ps->phase == PROC_STOP_TARGET)
			proc_stop_target_gone(ps);
	} else if (ps->phase == PROC_STOP_SUBTREE &&
	    proc_stop_desc_alive(ps) == 0)
		proc_stop_finish(ps);
}

static void
proc_stop_message(struct proc_stop *ps)
{
	struct proc_stop_result	*r = &ps->res;

	if (ps->message[0] != '\0')
		return;
	if (r->exited && r->nsent == 0)
		proc_stop_say(ps, "%s (pid %d) had already exited", ps->name,
		    (int)r->pid);
	else if (r->exited)
		proc_stop_say(ps, "%s (pid %d) exited %.2f s after %s",
		    ps->name, (int)r->pid, r->elapsed,
		    proc_stop_signame(r->last_signal));
	else
		proc_stop_say(ps, "%s (pid %d) was still running %.1f s after "
		    "%s", ps->name, (int)r->pid, mono_now() - ps->last_mono,
		    proc_stop_signame(r->last_signal));
	if (r->nsubtree > 0)
		proc_stop_say(ps, "; %zu leftover descendant%s stopped with up "
		    "to %s, %s", r->nsubtree, r->nsubtree == 1 ? "" : "s",
		    proc_stop_signame(ps->subtree_signo),
		    r->nsubtree_left == 0 ? "all gone" : "some still alive");
}

/* What was NOT signalled, when a look-alike was passed over. */
static void
proc_stop_message_decoys(struct proc_stop *ps)
{
	const struct proc_info	*f = &ps->found;

	if (f->ndecoys == 0)
		return;
	proc_stop_say(ps, "; " PROC_NOT_SIGNALLED "%s (pid %d)%s, which "
	    "carr%s this job's RUNNER_TRACKING_ID but %s not run under this "
	    "job's Runner.Worker", f->decoy_name, (int)f->decoy,
	    f->ndecoys > 1 ? " and others" : "", f->ndecoys > 1 ? "y" : "ies",
	    f->ndecoys > 1 ? "do" : "does");
}

static void
proc_stop_finish(struct proc_stop *ps)
{
	if (ps->phase == PROC_STOP_DONE)
		return;
	if (ps->phase == PROC_STOP_SUBTREE)
		ps->res.nsubtree_left = proc_stop_desc_alive(ps);
	ps->phase = PROC_STOP_DONE;
	evtimer_del(ps->timer);
	proc_stop_message(ps);
	proc_stop_message_decoys(ps);
	event_active(ps->done, EV_TIMEOUT, 0);
}

static void
proc_stop_free(struct proc_stop *ps)
{
	struct proc_stop_member	*m;

	while ((m = TAILQ_FIRST(&ps->desc)) != NULL) {
		TAILQ_REMOVE(&ps->desc, m, entry);
		proc_stop_member_free(m);
	}
	proc_stop_member_free(ps->target);
	event_free(ps->timer);
	event_free(ps->done);
	free(ps);
}

static void
proc_stop_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proc_stop	*ps = arg;

	ps->cb(&ps->res, ps->arg);
	proc_stop_free(ps);
}

/* No engine: say why, as precisely as the job's processes tell. */
static void
proc_stop_nothing(struct proc_stop *ps, const char *id,
    const struct policy_stop *stop, const struct proc_find_opts *o)
{
	struct proc_info	*jobs;
	ssize_t			 n;
	size_t			 i;
	int			 docker;

	n = proc_find_job(id, o, &jobs);
	for (i = 0, docker = 0; n > 0 && i < (size_t)n; i++)
		docker |= strcmp(jobs[i].comm, "docker") == 0;
	free(jobs);
	if (n < 0)
		proc_stop_say(ps, "cannot read /proc: %s; nothing was stopped",
		    strerror(errno));
	else if (n == 0)
		proc_stop_say(ps, "no process of this job was found "
		    "(RUNNER_TRACKING_ID %.64s): the engine may run in a "
		    "container job, in another pod, or as a user breaker "
		    "cannot see; nothing was stopped", id);
	else {
		proc_stop_say(ps, "none of the job's %zd processes is an "
		    "engine (", n);
		for (i = 0; i < stop->ntargets; i++)
			proc_stop_say(ps, "%s%.32s", i ? ", " : "",
			    stop->targets[i]);
		proc_stop_say(ps, ")%s; nothing was stopped", docker ? ": the "
		    "step runs in a container (docker exec), out of breaker's "
		    "reach" : "");
	}
	proc_stop_finish(ps);
}

/*
 * Whom to stop: the engine (found ahead, or by a scan now) or the named
 * pid. -1 when there is none, the stop then being finished.
 */
static int
proc_stop_find(struct proc_stop *ps, const struct proc_stop_args *a,
    const struct policy_stop *stop, unsigned long long *startp)
{
	struct proc_info	info;

	if (a->tracking_id == NULL) {
		if (a->pid <= 1 || proc_lookup(a->pid, &info) == -1) {
			proc_stop_say(ps, "process %d does not exist; nothing "
			    "was stopped", (int)a->pid);
			proc_stop_finish(ps);
			return -1;
		}
		snprintf(ps->name, sizeof ps->name, "%s", info.comm);
	} else {
		if (proc_ready_take(a->ready, &info) == -1 &&
		    proc_find_engine(a->tracking_id, stop->targets,
		    stop->ntargets, &a->find, &info) == -1) {
			ps->found = info;
			proc_stop_nothing(ps, a->tracking_id, stop, &a->find);
			return -1;
		}
		ps->found = info;
		snprintf(ps->name, sizeof ps->name, "%s", info.name);
	}
	ps->res.found = 1;
	ps->res.pid = info.pid;
	*startp = info.start;
	return 0;
}

/* The ladder and targets to use: the caller's, the defaults for the rest. */
static void
proc_stop_setup(struct proc_stop *ps, const struct proc_stop_args *a,
    struct policy_stop *stop)
{
	struct policy_stop	def;

	proc_default_stop(&def);
	*stop = a->stop != NULL ? *a->stop : def;
	if (stop->nladder == 0) {
		memcpy(stop->ladder, def.ladder, sizeof def.ladder);
		stop->nladder = def.nladder;
	}
	if (stop->ntargets == 0) {
		stop->targets = def.targets;
		stop->ntargets = def.ntargets;
	}
	ps->nladder = stop->nladder > POLICY_MAX_LADDER ? POLICY_MAX_LADDER :
	    stop->nladder;
	memcpy(ps->ladder, stop->ladder, ps->nladder * sizeof ps->ladder[0]);
	ps->final_wait_ms = a->final_wait_ms ? a->final_wait_ms :
	    PROC_STOP_FINAL_WAIT_MS;
	ps->subtree = !a->no_subtree;
}

struct proc_stop *
proc_stop_start(struct event_base *base, const struct proc_stop_args *a,
    proc_stop_cb cb, void *arg)
{
	struct proc_stop	*ps;
	struct policy_stop	 stop;
	unsigned long long	 start;
	int			 err;

	ps = xcalloc(1, sizeof *ps);
	ps->base = base;
	ps->cb = cb;
	ps->arg = arg;
	TAILQ_INIT(&ps->desc);
	ps->timer = evtimer_new(base, proc_stop_timer_cb, ps);
	ps->done = event_new(base, -1, 0, proc_stop_done_cb, ps);
	ps->res.status = -1;
	ps->res.target = ps->name;
	ps->res.sent = ps->sent;
	ps->res.message = ps->message;
	proc_stop_setup(ps, a, &stop);
	if (proc_stop_find(ps, a, &stop, &start) == -1)
		return ps;
	ps->target = proc_stop_member_new(ps, ps->res.pid, start, 1, &err);
	if (ps->target == NULL) {
		if (err != 0) {
			proc_stop_fail(ps, err);
			return ps;
		}
		ps->res.exited = 1;
		ps->res.exited_at = wall_now();
		proc_stop_finish(ps);
		return ps;
	}
	proc_stop_pin_subtree(ps);	/* before any signal: see there */
	if (a->before_signal != NULL && ps->nladder > 0)
		a->before_signal(ps->name, ps->res.pid, ps->ladder[0].signo,
		    a->arg);
	proc_stop_step(ps);
	return ps;
}

void
proc_stop_cancel(struct proc_stop *ps)
{
	if (ps != NULL)
		proc_stop_free(ps);
}

const char *
proc_stop_signame(int signo)
{
	switch (signo) {
	case SIGINT:	return "SIGINT";
	case SIGTERM:	return "SIGTERM";
	case SIGKILL:	return "SIGKILL";
	case SIGHUP:	return "SIGHUP";
	case SIGQUIT:	return "SIGQUIT";
	case SIGUSR1:	return "SIGUSR1";
	case SIGUSR2:	return "SIGUSR2";
	case 0:		return "none";
	default:	return "SIG?";
	}
}
