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

# One place decides which binary the hooks run. Sourced inside `if`, so a
# missing file is a warning under `bash -e`, never a failed job.
if ! . "$(dirname "${BASH_SOURCE[0]}")/breaker-find.sh" 2>/dev/null; then
	echo "::warning title=breaker did not report on this job::breaker-find.sh is missing beside this hook; the job runs as usual."
	exit 0
fi

breaker=$(breaker_find) || breaker=""
if [ -n "$breaker" ] && [ -e "$breaker" ] && [ ! -x "$breaker" ]; then
	echo "::warning title=breaker did not report on this job::$breaker is not executable by $(id -un 2>/dev/null || id -u) (add that user to the binary's group, e.g. the breaker group of the package, and restart the runner)."
	exit 0
fi
if [ -z "$breaker" ] || [ ! -x "$breaker" ]; then
	echo "::warning title=breaker did not report on this job::breaker binary not found (set BREAKER_BIN)."
	exit 0
fi
"$breaker" finish --timeout "${BREAKER_FINISH_TIMEOUT:-5}" </dev/null ||
	echo "breaker: finish failed (exit $?)."
exit 0
