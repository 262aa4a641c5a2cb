#!/bin/bash
# Issue 5, lifecycle: `breaker start` returns fast with one plain line; the
# daemon keeps RUNNER_TRACKING_ID (the runner's orphan cleanup stays a
# safety net) and its state lives in a 0700 per-job directory outside
# RUNNER_TEMP and the workspace; `breaker status` (run from the step, as an
# administrator would on the runner) shows sources, offsets, rule hits and
# verdicts; `breaker finish` makes the daemon flush and exit, and exits 0.
. "$(dirname "$0")/lib.sh"

write_config
lines=$T/lines.log
printf '%s\n' "OpenAI Codex v0.169.0" "Reconnecting... 1/5" "Reconnecting... 2/5" \
    "working" >"$lines"
write_step "$(engine_cmd --lines "'$lines'" --hang 0.5) || true
sleep 0.3
\"\$BREAKER_BIN\" status --json >'$T/status.json'
\"\$BREAKER_BIN\" status >'$T/status.txt'
# A second start for the same job (a re-run hook) must not double up.
\"\$BREAKER_BIN\" start >'$T/start2.out'"
run_job

R=$T/job/result.json
assert_hooks_ok

started=$(hook_output "$T/job" started)
[ "$(echo "$started" | wc -l)" = 1 ] && pass "started hook prints one line" ||
	fail "started hook printed: $started"
echo "$started" | grep -qE '^breaker: watching 3 sources with .*config .*\([0-9]+ rules\), state in /' &&
	pass "the line names sources, policy and rule count" || fail "line: $started"
d=$(jget "$R" 'r["started"]["duration"]')
python3 -c "import sys; sys.exit(0 if $d < 3.0 else 1)" &&
	pass "started hook took $d s (sanitizer build; breaker start alone is measured in release)" ||
	fail "started hook took $d s"

# The daemon is a job process: its environ carries the tracking id.
daemons=$(jget "$R" '[p["pid"] for p in r["after_started"] if p["comm"] == "breaker"]')
[ "$daemons" != "[]" ] && pass "daemon keeps RUNNER_TRACKING_ID ($daemons)" ||
	fail "no daemon with the job's tracking id after the started hook"

sd=$(job_state_dir)
[ -n "$sd" ] && pass "per-job state directory $sd" || fail "no state directory"
mode=$(stat -c %a "$sd")
[ "$mode" = 700 ] && pass "state directory mode 0700" || fail "mode $mode"
case $sd in
"$(jget "$R" 'r["env"]["RUNNER_TEMP"]')"/*|"$(jget "$R" 'r["env"]["GITHUB_WORKSPACE"]')"/*)
	fail "state inside RUNNER_TEMP or the workspace" ;;
*) pass "state outside RUNNER_TEMP and the workspace" ;;
esac

# status, from inside the job
[ -s "$T/status.json" ] || fail "status printed nothing"
jget "$T/status.json" 'r["mode"]' | grep -qx enforce && pass "status: mode" || fail "status mode"
off=$(jget "$T/status.json" '[s["offset"] for s in r["sources"] if s["name"] == "engine"][0]')
[ "$off" -gt 0 ] && pass "status: engine offset $off" || fail "status offset $off"
hits=$(jget "$T/status.json" 'sum(h["hits"] for h in r["rule_hits"] if h["id"] == "codex.reconnect")')
[ "$hits" = 2 ] && pass "status: rule hits (codex.reconnect: 2)" || fail "status hits $hits"
jget "$T/status.json" 'r["pid"]' | grep -qE '^[0-9]+$' && pass "status: pid" || fail "status pid"
grep -q '^source engine' "$T/status.txt" && pass "status: human form" || fail "status text"

# A second start for the same job does not start a second daemon.
grep -q 'already watching' "$T/start2.out" && pass "second start: already watching" ||
	fail "second start: $(cat "$T/start2.out")"

# finish: the daemon flushed and exited on request.
[ "$(cat "$sd/daemon.exit" 2>/dev/null)" = finish ] && pass "daemon exited on finish" ||
	fail "daemon.exit: $(cat "$sd/daemon.exit" 2>/dev/null)"
[ -f "$sd/finished" ] && pass "job marked finished" || fail "not marked finished"
after=$(jget "$R" '[p for p in r["orphans"] if p["comm"] == "breaker"]')
[ "$after" = "[]" ] && pass "no daemon left at cleanup" || fail "daemon left: $after"
out=$(hook_output "$T/job" completed)
echo "$out" | grep -q '^breaker: 0 verdicts' && pass "quiet job: one plain line" ||
	fail "completed: $out"
assert_no_orphans
finish_test
