#!/bin/bash
# breaker: the runner's job-started hook (ACTIONS_RUNNER_HOOK_JOB_STARTED).
#
# The runner runs this as `bash -e` and fails the whole job if it exits
# non-zero, so every path below ends in `exit 0`. `breaker start` forks the
# per-job daemon away from this hook's stdout/stderr (the runner would wait
# 5 s for them otherwise) and returns once the daemon is watching.
#
# BREAKER_BIN      the breaker binary (default: found next to this script)
# BREAKER_CONFIG   configuration file (default: the built-in configuration)
# BREAKER_STATE_DIR state root (default: /var/lib/breaker or ~/.local/state)

# One place decides which binary the hooks run. Sourced inside `if`, so a
# missing file is a warning under `bash -e`, never a failed job.
if ! . "$(dirname "${BASH_SOURCE[0]}")/breaker-find.sh" 2>/dev/null; then
	echo "::warning title=breaker is not watching this job::breaker-find.sh is missing beside this hook; the job runs as usual."
	exit 0
fi

breaker=$(breaker_find) || breaker=""
if [ -n "$breaker" ] && [ -e "$breaker" ] && [ ! -x "$breaker" ]; then
	echo "::warning title=breaker is not watching this job::$breaker is not executable by $(id -un 2>/dev/null || id -u) (add that user to the binary's group, e.g. the breaker group of the package, and restart the runner); the job runs as usual."
	exit 0
fi
if [ -z "$breaker" ] || [ ! -x "$breaker" ]; then
	echo "::warning title=breaker is not watching this job::breaker binary not found (set BREAKER_BIN); the job runs as usual."
	exit 0
fi
# One line, only when this runner's setup keeps breaker from working (no
# CAP_KILL, no_new_privs, several runners sharing /tmp/gh-aw, the kernel):
# the cheap checks of `breaker doctor`, run as the runner's user.
"$breaker" doctor --fast --oneline </dev/null 2>/dev/null || true
# stdin is closed by the runner; give breaker /dev/null rather than nothing.
"$breaker" start </dev/null || {
	rc=$?
	hint=
	# 126: execve refused, e.g. file capabilities beyond the runner's
	# bounding set (a pod without capabilities.add for them).
	[ "$rc" -ne 126 ] || hint=" (the kernel refused to run $breaker: are its file capabilities in the runner's capability bounding set? run 'breaker doctor' as root)"
	echo "breaker: start failed (exit $rc)$hint; the job runs as usual."
}
exit 0
