/*
 * The per-job daemon: `breaker start` forks it off the started hook (setsid,
 * stdio away from the runner's pipes, a readiness handshake), it runs the
 * live driver until `breaker finish` asks it to flush and exit or the
 * runner's Worker process disappears; `breaker finish` then reports from the
 * persisted verdicts, whether the daemon is still there or not.
 */
#ifndef BREAKER_DAEMON_H
#define BREAKER_DAEMON_H

#define DAEMON_PIDFILE		"daemon.pid"
#define DAEMON_LOGFILE		"daemon.log"
#define DAEMON_READY_TIMEOUT	5.0	/* s the hook waits for readiness */
#define DAEMON_FINISH_TIMEOUT	5.0	/* s finish waits for the flush */

/* Read daemon.pid in `dir`: the pid, or 0 when none. */
int	daemon_read_pid(const char *dir);

#endif
