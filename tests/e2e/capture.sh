#!/bin/bash
# Capture what the real engine CLIs print when the loopback fake provider
# refuses them, as gh-aw's `… 2>&1 | tee -a agent-stdio.log` would see it.
#
#   tests/e2e/capture.sh OUTDIR [ENGINE:CASE ...]
#
# Writes OUTDIR/<engine>-<case>.log (raw, untouched) and OUTDIR/<engine>-<case>.meta
# (exit code, duration, version, command).  With no ENGINE:CASE, captures
# every case below.  Runs up to 8 cases at once (they mostly sleep in retry
# back-offs); each is bounded by CAPTURE_TIMEOUT seconds (default 240).
# The reviewed subset lives in tests/fixtures/real/ with PROVENANCE.md.
set -u
E2E_DIR="$(cd "$(dirname "$0")" && pwd)"
. "$E2E_DIR/lib.sh"

OUT="${1:?usage: capture.sh OUTDIR [ENGINE:CASE...]}"
shift
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
TMO="${CAPTURE_TIMEOUT:-240}"

ALL_CASES=(
	codex:401 codex:401-missing-bearer codex:401-missing-scopes codex:403
	codex:429 codex:quota codex:500 codex:ok codex:429-http codex:quota-http
	claude:401 claude:403 claude:429 claude:quota claude:500 claude:ok
	copilot:401 copilot:403 copilot:429 copilot:quota copilot:500 copilot:ok
	gemini:401 gemini:403 gemini:429 gemini:quota gemini:500 gemini:ok
)
[ $# -gt 0 ] && ALL_CASES=("$@")

# case name -> "MODE[ MESSAGE]" for the fake provider
case_mode() {
	case "$1" in
	401-missing-bearer) echo "401 Missing bearer or basic authentication in header" ;;
	401-missing-scopes) echo "401 You have insufficient permissions for this operation. Missing scopes: api.responses.write. Check that you have the correct role in your organization (Reader, Writer, Owner) and project (Member, Owner), and if you're using a restricted API key, that it has the necessary scopes." ;;
	*-http) echo "${1%-http}" ;;
	*) echo "$1" ;;
	esac
}

capture_one() {
	local engine="${1%%:*}" cs="${1#*:}"
	local name="$engine-$cs" work mode msg t0 t1 rc
	work="$(mktemp -d /tmp/breaker-capture.XXXXXX)"
	mode="$(case_mode "$cs")"
	msg=
	[ "${mode#* }" != "$mode" ] && msg="${mode#* }"
	case "$cs" in *-http) export E2E_WS=off ;; esac
	e2e_start_provider "$work" "${mode%% *}" "$msg" || return 1
	mkdir -p "$work/ws"
	t0=$(date +%s.%N)
	(
		cd "$work/ws" || exit 1
		export E2E_HOME="$work/home"
		[ "$cs" = 401-missing-bearer ] && export E2E_NO_KEY=1
		timeout -k 5 "$TMO" bash -c '. "$0/lib.sh"; e2e_engine_exec "$1" "$2"' \
		    "$E2E_DIR" "$engine" "http://127.0.0.1:$E2E_FP_PORT"
	) </dev/null >"$OUT/$name.log" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	e2e_stop_provider
	{
		echo "engine: $engine $(e2e_engine_version "$engine")"
		echo "case: $cs (fake provider mode: $mode)"
		echo "port: $E2E_FP_PORT"
		echo "exit: $rc$([ $rc = 124 ] && echo " (timed out after ${TMO}s)")"
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "duration: %.1f s\n", b - a }'
		echo "requests: $(grep -c -E '^[^ ]+ (POST|GET|UPGRADE)' "$work/requests.log")"
		echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		[ "$cs" = 401-missing-bearer ] && echo "note: no API key in the environment"
		[ "${E2E_WS:-}" = off ] && echo "note: websocket upgrades refused with 426 (HTTP transport only)"
		echo "command: $(e2e_engine_cmdline "$engine")"
	} >"$OUT/$name.meta"
	cp "$work/requests.log" "$OUT/$name.requests"
	rm -rf "$work"
	echo "captured $name (exit $rc)"
}

running=0
for c in "${ALL_CASES[@]}"; do
	e2e_engine_installed "${c%%:*}" || { echo "skip $c: not installed"; continue; }
	capture_one "$c" &
	running=$((running + 1))
	if [ "$running" -ge 8 ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
