#!/bin/bash
# harness.sh: re-runs a failed engine the way gh-aw's engine harnesses do
# (`[codex-harness] …`, `[claude-harness] …`): when an attempt fails and
# produced output, it is run again, up to 3 more times, after 5, 10 and 20 s.
#
#   harness.sh NAME -- COMMAND [ARGS...]
#
# HARNESS_DELAYS overrides the gaps ("5 10 20").  The engine's output goes
# to stdout (stderr merged), as in `… 2>&1 | tee -a agent-stdio.log`.
set -u
name=$1
shift
[ "${1:-}" = -- ] && shift
read -r -a delays <<<"${HARNESS_DELAYS:-5 10 20}"
max=$((${#delays[@]} + 1))
tag="[$name-harness]"
out=$(mktemp "${TMPDIR:-/tmp}/harness.XXXXXX")
trap 'rm -f "$out"' EXIT
t_start=$(date +%s)

attempt=1
while :; do
	t0=$(date +%s)
	"$@" </dev/null 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	bytes=$(stat -c %s "$out")
	has=false
	[ "$bytes" -gt 0 ] && has=true
	echo "$tag attempt $attempt: process closed exitCode=$rc duration=$(($(date +%s) - t0))s output=${bytes}B hasOutput=$has"
	if [ "$rc" -eq 0 ]; then
		break
	fi
	if [ "$has" = false ]; then
		echo "$tag attempt $attempt failed without output — not retrying (exitCode=$rc)"
		break
	fi
	if [ "$attempt" -ge "$max" ]; then
		echo "$tag all $((max - 1)) retries exhausted — giving up (exitCode=$rc)"
		break
	fi
	d=${delays[$((attempt - 1))]}
	echo "$tag attempt $attempt failed: exitCode=$rc hasOutput=$has retriesRemaining=$((max - attempt)); retrying in ${d}s"
	sleep "$d"
	attempt=$((attempt + 1))
done
echo "$tag done: exitCode=$rc totalDuration=$(($(date +%s) - t_start))s"
exit "$rc"
