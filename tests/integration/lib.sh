# Shared helpers of the simulated-runner integration tests (sourced).
#
# Each test gets its own directory $T (a per-test log path, state root and
# job directory: tests run in parallel), writes a configuration and a step,
# runs one job through simrunner.py and asserts on $T/job/result.json, the
# job log and the state directory.
# No pipefail: assertions pipe into `grep -q`, which may stop reading early.
set -eu

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=${BREAKER_SOURCE_ROOT:-$(cd "$HERE/../.." && pwd)}
BIN=${BREAKER_BIN:-}
if [ -z "$BIN" ]; then
	for b in "$SRC"/build*/breaker; do [ -x "$b" ] && BIN=$b; done
fi
[ -x "$BIN" ] || { echo "no breaker binary (set BREAKER_BIN)"; exit 1; }
# The shared field fixtures, vendored verbatim (see tests/fixtures/shared).
FX=$SRC/tests/fixtures/shared
SEED=$FX/codex-401-seed-issue.log
export BREAKER_SOURCE_ROOT=$SRC

T=$(mktemp -d "${TMPDIR:-/tmp}/breaker-it.XXXXXX")
chmod 755 "$T"
LOG=$T/gh-aw/agent-stdio.log
STATE=$T/state
mkdir -p "$T/bin" "$T/gh-aw"
ln -s "$HERE/fake-awf.sh" "$T/bin/awf"
ln -s "$HERE/fake-engine.sh" "$T/bin/codex"

cleanup() {
	local rc=$?
	# Nothing of ours may outlive the test, whatever happened.
	if [ -f "$T/job/result.json" ] || [ -d "$T/job" ]; then
		for tid in $(cat "$T"/*/tracking_id 2>/dev/null); do
			kill_tracking "$tid"
		done
	fi
	if [ "$rc" -ne 0 ] || [ -n "${KEEP:-}" ]; then
		echo "(test directory kept: $T)"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

kill_tracking() {
	local f pid
	# One grep over every environ (a fork per process is slow under load).
	for f in $(grep -lsaF -- "RUNNER_TRACKING_ID=$1" /proc/[0-9]*/environ); do
		pid=${f#/proc/}
		pid=${pid%/environ}
		[ "$pid" = "$$" ] || kill -KILL "$pid" 2>/dev/null || true
	done
}

# pass, fail and finish: the one assertion helper.
. "$HERE/../lib/assert.sh"

# dump: what a failing test needs to be understood.
dump() {
	local d=${1:-$T/job}
	echo "---- job log"; cat "$d/job.log" 2>/dev/null | tail -60 || true
	echo "---- daemon logs"; cat "$STATE"/*/daemon.log 2>/dev/null | tail -40 || true
}

finish_test() {
	finish dump
}

# jget FILE PYTHON-EXPR: evaluate with `r` bound to the JSON of FILE.
jget() {
	python3 -c 'import json,os,sys
r = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
try:
    print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
    sys.stdout.flush()
except BrokenPipeError:
    os._exit(0)	# a reader like grep -q may stop early' "$1" "$2"
}

# write_config [EXTRA-JSON-MEMBERS]: engine and firewall sources in $T.
write_config() {
	local extra=${1:-}
	cat >"$T/config.json" <<EOF
{
  "version": 1,
  "sources": {
    "engine": { "path": "$LOG", "format": "jsonl" },
    "firewall": { "path": "$T/gh-aw/access.log", "format": "squid" }
  }${extra:+,
  $extra}
}
EOF
}

# write_step BODY: a step script like gh-aw's agent step; BODY is bash.
write_step() {
	{
		echo "# the agent step (simulated)"
		echo "touch '$LOG'"
		printf '%s\n' "$1"
	} >"$T/step.sh"
}

# The usual engine command: codex behind awf, teed into the log.
# free_port: a loopback TCP port nobody listens on (a dead proxy, a server
# to start).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# github_emulator_start: the loopback HTTPS GitHub emulator (real TLS) in
# $EMU for two minutes; sets emu (its pid) and port (its "good" listener).
github_emulator_start() {
	EMU=$T/emu
	mkdir -p "$EMU"
	GITHUB_EMULATOR_LIFETIME=120 python3 "$HERE/github_emulator.py" --dir "$EMU" >"$T/emu.log" 2>&1 &
	emu=$!
	for _ in $(seq 1 300); do [ -s "$EMU/ports" ] && break; sleep 0.1; done
	[ -s "$EMU/ports" ] || { echo "FAIL: the emulator did not start"; cat "$T/emu.log"; exit 1; }
	port=$(awk '$1 == "good" {print $2}' "$EMU/ports")
}

# github_config RULES ACTION: the configuration with the rule file RULES,
# allowing "stop" and ACTION (cancel-run, check-run) against the emulator.
github_config() {
	write_config "\"rules\": [\"$1\"], \"actions\": [\"stop\", \"$2\"],
  \"github\": { \"api_url\": \"https://127.0.0.1:$port/api/v3\",
    \"token_file\": \"$EMU/token\", \"ca_file\": \"$EMU/ca.pem\" }"
}

engine_cmd() {
	echo "'$T/bin/awf' --grace 1 -- '$T/bin/codex' --pace-ms 20 --mark '$T/mark' $* 2>&1 | tee -a '$LOG'"
}

# run_job [DIR] [simrunner options…]: one job on the simulated runner.
run_job() {
	local dir=$T/job
	if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
		dir=$1
		shift
	fi
	python3 "$HERE/simrunner.py" --dir "$dir" --step "$T/step.sh" \
	    --env "BREAKER_BIN=$BIN" --env "BREAKER_CONFIG=$T/config.json" \
	    --env "BREAKER_STATE_DIR=$STATE" "$@"
	jget "$dir/result.json" 'r["tracking_id"]' >"$dir/tracking_id"
}

# hook_output DIR NAME: the lines a hook printed, as the job log shows them.
hook_output() {
	jget "$1/result.json" "'\n'.join(l[1] for l in r['$2']['lines'])"
}

# The job's state directory (the only one under $STATE for this tracking id).
job_state_dir() {
	local tid
	tid=$(cat "${1:-$T/job}/tracking_id")
	grep -l "\"$tid\"" "$STATE"/*/job.json 2>/dev/null | head -1 | xargs -r dirname
}

# Common assertions on a job that ran both hooks.
assert_hooks_ok() {
	local d=${1:-$T/job} rc
	rc=$(jget "$d/result.json" 'r["started"]["rc"]')
	[ "$rc" = 0 ] && pass "started hook exit 0" || fail "started hook exit $rc"
	rc=$(jget "$d/result.json" 'r["completed"]["rc"]')
	[ "$rc" = 0 ] && pass "completed hook exit 0" || fail "completed hook exit $rc"
}

# Seconds from the engine's mark (taken just before its fatal line, in
# $T/mark) to the end of the job's step.
step_cut_after_mark() {
	local mark end
	mark=$(head -1 "$T/mark" 2>/dev/null || echo 0)
	end=$(jget "${1:-$T/job}/result.json" 'r["step"]["exit"]')
	python3 -c "print(f'{$end - $mark:.3f}')"
}

# The #26929 job, cut short: the step failed within 1 s of the 401 line,
# and the completed hook's error annotation names the 401.
assert_401_cut() {
	local d=${1:-$T/job} cut rc out
	cut=$(step_cut_after_mark "$d")
	echo "the step ended $cut s after the 401 line"
	python3 -c "import sys; sys.exit(0 if 0 < $cut < 1.0 else 1)" &&
		pass "step cut within 1 s of the 401 line ($cut s)" ||
		fail "step not cut within 1 s of the 401 line ($cut s)"
	rc=$(jget "$d/result.json" 'r["step"]["rc"]')
	[ "$rc" != 0 ] && pass "the step failed at once (exit $rc)" ||
		fail "the step exited 0"
	out=$(hook_output "$d" completed)
	echo "$out" | grep -E '^::error title=breaker' | grep -q '401 Unauthorized' &&
		pass "completed hook prints the error annotation naming the 401" ||
		fail "no error annotation naming the 401: $out"
}

assert_no_orphans() {
	local d=${1:-$T/job} n
	n=$(jget "$d/result.json" 'len(r["orphans"])')
	if [ "$n" = 0 ]; then
		pass "nothing of the job left running at cleanup"
	else
		fail "left running at cleanup: $(jget "$d/result.json" '[o["cmdline"] for o in r["orphans"]]')"
	fi
}

# assert_nowhere NEEDLE LABEL OUTPUT FILE...: NEEDLE (a secret) is neither in
# OUTPUT (the hooks' output) nor in any FILE.
assert_nowhere() {
	local needle=$1 label=$2 out=$3 where
	shift 3
	where=$( { printf '%s\n' "$out" | grep -q -F -- "$needle" && echo "hook output";
		grep -l -F -- "$needle" "$@" 2>/dev/null; } || true)
	if [ -z "$where" ]; then
		pass "$label appears nowhere"
	else
		fail "$label found in: $where"
	fi
}
