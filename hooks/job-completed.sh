#!/bin/bash
# breaker: the runner's job-completed hook (ACTIONS_RUNNER_HOOK_JOB_COMPLETED).
#
# `breaker finish` asks this job's daemon to flush and exit (bounded wait),
# prints the annotations (workflow commands, processed by the runner) and
# appends the job summary to $GITHUB_STEP_SUMMARY. It always exits 0, and so
# does this hook: reporting must never fail a job.
#
# BREAKER_BIN, BREAKER_CONFIG, BREAKER_STATE_DIR: as in job-started.sh.
# BREAKER_FINISH_TIMEOUT: seconds to wait for the daemon (default 5).

breaker_find() {
	local here d newest=""
	if [ -n "${BREAKER_BIN:-}" ]; then
		printf '%s\n' "$BREAKER_BIN"
		return 0
	fi
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" 2>/dev/null && pwd) || return 0
	if [ -x "$here/../../../bin/breaker" ]; then
		printf '%s\n' "$here/../../../bin/breaker"
		return 0
	fi
	for d in "$here"/../build*/breaker "$here"/../build*/agent/breaker; do
		[ -f "$d" ] && [ -x "$d" ] || continue
		if [ -z "$newest" ] || [ "$d" -nt "$newest" ]; then
			newest=$d
		fi
	done
	printf '%s\n' "$newest"
	return 0
}

breaker=$(breaker_find) || breaker=""
if [ -z "$breaker" ] || [ ! -x "$breaker" ]; then
	echo "::warning title=breaker did not report on this job::breaker binary not found (set BREAKER_BIN)."
	exit 0
fi
"$breaker" finish --timeout "${BREAKER_FINISH_TIMEOUT:-5}" </dev/null ||
	echo "breaker: finish failed (exit $?)."
exit 0
