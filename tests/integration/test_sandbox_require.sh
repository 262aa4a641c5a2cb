#!/bin/bash
# Issue 16, part 5: the sandbox is visible and can be required.
#  - Where no seccomp filter can be loaded (no-seccomp.py: a runtime that
#    forbids it), `breaker start` says so (its line and a warning), `status`
#    (text and --json) says so, and the job summary says so.
#  - "sandbox": "require" then refuses to run unconfined: the daemon exits,
#    `start` warns and exits 0 (the job runs), `finish` says why.
#  - Where it can, "require" runs confined; `breaker watch` runs under the
#    same sandbox as the daemon (Seccomp: 2, NoNewPrivs: 1), and refuses
#    to run unconfined when required.
. "$(dirname "$0")/lib.sh"

NOSEC="python3 $HERE/no-seccomp.py"
$NOSEC true || { echo "SKIP: cannot install a seccomp filter here"; exit 77; }

write_config
sed 's/"version": 1,/"version": 1, "sandbox": "require",/' "$T/config.json" >"$T/require.json"
grep -q '"require"' "$T/require.json" || { echo "test: no require config"; exit 1; }

job() {
	mkdir -p "$T/$1"
	export GITHUB_RUN_ID=$RANDOM$RANDOM GITHUB_RUN_ATTEMPT=1 GITHUB_JOB=$1 \
	    RUNNER_NAME=sandbox GITHUB_REPOSITORY=o/r \
	    RUNNER_TRACKING_ID=sandbox-$1-$$ BREAKER_STATE_DIR=$STATE \
	    BREAKER_CONFIG=$2 GITHUB_STEP_SUMMARY=$T/$1/summary.md
	echo "$RUNNER_TRACKING_ID" >"$T/$1/tracking_id"
}

seccomp_of() {	# PID: "Seccomp NoNewPrivs"
	[ -r "/proc/$1/status" ] || { echo "no process"; return; }
	echo "$(awk '/^Seccomp:/ {print $2}' "/proc/$1/status") $(awk '/^NoNewPrivs:/ {print $2}' "/proc/$1/status")"
}

# ---- enforce (the default), but the filter cannot load: said everywhere.
job unconfined "$T/config.json"
rc=0; $NOSEC "$BIN" start >"$T/unconfined/start.out" || rc=$?
[ "$rc" = 0 ] && pass "start exits 0" || fail "start exit $rc"
grep -q '^breaker: watching .*; the sandbox did not load$' "$T/unconfined/start.out" &&
	pass "the start line says the sandbox did not load" ||
	fail "start: $(cat "$T/unconfined/start.out")"
grep -q '^::warning title=.*without its sandbox' "$T/unconfined/start.out" &&
	pass "start warns in an annotation" || fail "no warning annotation"
"$BIN" status >"$T/unconfined/status.txt" || true
grep -q '^sandbox: not loaded .*unconfined' "$T/unconfined/status.txt" &&
	pass "status says the daemon runs unconfined" ||
	fail "status: $(cat "$T/unconfined/status.txt")"
"$BIN" status --json >"$T/unconfined/status.json" || true
s=$(jget "$T/unconfined/status.json" 'r.get("sandbox")' || true)
case $s in "not loaded"*) pass "status --json: sandbox \"$s\"" ;;
*) fail "status --json: sandbox \"$s\"" ;; esac
"$BIN" finish >"$T/unconfined/finish.out" || true
grep -q 'ran without its sandbox' "$T/unconfined/summary.md" &&
	pass "the job summary says the daemon ran without its sandbox" ||
	fail "summary: $(cat "$T/unconfined/summary.md")"

# ---- require, and the filter cannot load: no daemon, a warning, exit 0.
job required "$T/require.json"
rc=0; $NOSEC "$BIN" start >"$T/required/start.out" || rc=$?
[ "$rc" = 0 ] && pass "start exits 0 (fail-open)" || fail "start exit $rc"
grep -q '^::warning .*sandbox is required .*could not be entered' "$T/required/start.out" &&
	pass "start warns that the required sandbox could not be entered" ||
	fail "start: $(cat "$T/required/start.out")"
"$BIN" status >/dev/null 2>&1 && fail "a daemon runs unconfined" ||
	pass "no daemon runs unconfined"
"$BIN" finish >"$T/required/finish.out"
grep -q 'sandbox is required' "$T/required/summary.md" &&
	pass "finish says why the daemon ended" ||
	fail "summary: $(cat "$T/required/summary.md")"

# ---- require where the filter loads: confined.
job confined "$T/require.json"
"$BIN" start >"$T/confined/start.out"
grep -q 'sandbox did not load' "$T/confined/start.out" &&
	fail "start: $(cat "$T/confined/start.out")" || pass "start line: no warning"
"$BIN" status --json >"$T/confined/status.json" || true
dp=$(jget "$T/confined/status.json" 'r.get("pid")' || true)
[ "$(jget "$T/confined/status.json" 'r.get("sandbox")' || true)" = "enforcing (required)" ] &&
	pass "status: enforcing (required)" || fail "status: $(cat "$T/confined/status.json")"
[ "$(seccomp_of "$dp")" = "2 1" ] && pass "the daemon is under seccomp, no_new_privs" ||
	fail "daemon $dp: $(seccomp_of "$dp")"
"$BIN" finish >/dev/null

# ---- breaker watch: the daemon's sandbox.
"$BIN" watch --config "$T/require.json" --state-dir "$T/wstate" >"$T/watch.out" 2>&1 &
wp=$!
for i in $(seq 1 100); do grep -q watching "$T/watch.out" && break; sleep 0.1; done
[ "$(seccomp_of "$wp")" = "2 1" ] && pass "breaker watch runs under the sandbox" ||
	fail "watch $wp: $(seccomp_of "$wp")"
kill -TERM "$wp"
rc=0; wait "$wp" || rc=$?
[ "$rc" = 0 ] && pass "sandboxed watch exits cleanly on SIGTERM" || fail "watch exit $rc"
rc=0; $NOSEC "$BIN" watch --config "$T/require.json" --state-dir "$T/wstate" >"$T/watch2.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q 'sandbox is required' "$T/watch2.out" &&
	pass "watch refuses to run unconfined when required" ||
	fail "watch under no-seccomp: exit $rc: $(cat "$T/watch2.out")"
finish_test
