#!/bin/bash
# Issue 5 / FIELD-NOTES §5: the runner waits up to 5 s for a hook's stdout
# and stderr to close. The started hook leaves a daemon behind, which must
# hold neither. First a control: a hook that leaves a background child on
# its stdout makes the simulated runner wait the full 5 s (so the check can
# fail); then the real hook must not.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/badhooks"
cat >"$T/badhooks/job-started.sh" <<'EOF2'
echo "bad hook: leaving a child on stdout"
sleep 8 &
exit 0
EOF2
echo 'exit 0' >"$T/badhooks/job-completed.sh"
write_config
write_step "echo step"
python3 "$HERE/simrunner.py" --dir "$T/control" --step "$T/step.sh" --hooks "$T/badhooks"
jget "$T/control/result.json" 'r["tracking_id"]' >"$T/control/tracking_id"
held=$(jget "$T/control/result.json" 'r["started"]["held_stdio"]')
[ "$held" = true ] && pass "control: a hook holding its stdout makes the runner wait 5 s" ||
	fail "control: the simulator did not notice a held stdout"

write_step "pid=\$(cat \"\$BREAKER_STATE_DIR\"/*/daemon.pid | head -1)
for fd in 0 1 2; do echo \"fd\$fd -> \$(readlink /proc/\$pid/fd/\$fd)\"; done >'$T/fds'
ls /proc/\$pid/fd | wc -l >'$T/nfds'
tr '\\0' '\\n' </proc/\$pid/environ | grep -c '^RUNNER_TRACKING_ID=' >'$T/envtrk' || true
ps -o sid=,pgid= -p \$pid >'$T/sid'
echo step-done"
run_job
R=$T/job/result.json
assert_hooks_ok
held=$(jget "$R" 'r["started"]["held_stdio"]')
w=$(jget "$R" 'round(r["started"]["stdio_wait"], 3)')
[ "$held" = false ] && python3 -c "import sys; sys.exit(0 if $w < 0.5 else 1)" &&
	pass "started hook: stdio closed ${w} s after it exited (daemon running)" ||
	fail "started hook held the runner's pipes (wait $w s)"
w=$(jget "$R" 'round(r["completed"]["stdio_wait"], 3)')
python3 -c "import sys; sys.exit(0 if $w < 0.5 else 1)" && pass "completed hook: no wait" ||
	fail "completed hook held the pipes ($w s)"
cat "$T/fds"
[ "$(grep -c ' -> /dev/null$' "$T/fds")" = 3 ] && pass "daemon stdio on /dev/null" ||
	fail "daemon stdio: $(cat "$T/fds")"
[ "$(cat "$T/envtrk")" = 1 ] && pass "daemon environ keeps RUNNER_TRACKING_ID" ||
	fail "daemon environ lacks RUNNER_TRACKING_ID"
read -r sid pgid <"$T/sid"
pid=$(cat "$(job_state_dir)/daemon.pid")
[ "$sid" = "$pid" ] && pass "daemon leads its own session (setsid)" || fail "sid $sid, pid $pid"
echo "daemon has $(cat "$T/nfds") open descriptors"
assert_no_orphans
finish_test
