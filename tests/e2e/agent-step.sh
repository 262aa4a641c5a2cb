# shellcheck shell=bash
# The agent step of a gh-aw workflow, reduced to what breaker sees: the
# simulated runner copies this file to RUNNER_TEMP and runs it as
# `bash --noprofile --norc -e -o pipefail`, like the runner does.  gh-aw's
# step reads:
#   sudo -E awf … -- /bin/bash -c '<engine>' 2>&1 | tee -a /tmp/gh-aw/agent-stdio.log
# Here awf is tests/e2e/awf, the engine runs under the retry harness, and the
# engine is the real CLI pointed at the loopback fake provider (E2E_URL).
# Job environment: E2E_DIR, E2E_ENGINE, E2E_URL, E2E_HOME, E2E_AGENT_LOG,
# E2E_AWF (the wrapper; the unwatched baselines use a copy not named awf).
mkdir -p "$(dirname "$E2E_AGENT_LOG")"
touch "$E2E_AGENT_LOG"
# Temporary files (the harness's, gemini's error reports) stay in the job.
export TMPDIR="$E2E_HOME/tmp"
mkdir -p "$TMPDIR"
echo "Run the ${E2E_ENGINE} agent (e2e)"
"${E2E_AWF:-$E2E_DIR/awf}" --grace 3 -- "$E2E_DIR/harness.sh" "$E2E_ENGINE" -- \
    /bin/bash -c '. "$E2E_DIR/lib.sh"; e2e_engine_exec "$E2E_ENGINE" "$E2E_URL"' 2>&1 |
	tee -a "$E2E_AGENT_LOG"
