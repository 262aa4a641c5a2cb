#!/bin/bash
# Issue 16 (review F15, scenario 36): the daemon is SIGKILLed in the middle
# of its stop ladder (the engine ignores SIGINT, so the ladder waits for
# SIGTERM). The record written before the first signal names the target,
# its pid and the signal, so the report is true: breaker sent SIGINT to
# codex and its daemon ended before the ladder finished, never "no engine
# process was found".
. "$(dirname "$0")/lib.sh"

write_config
write_step "rc=0
# The killer, in the background (a background job of a script ignores
# SIGINT, so the engine itself stays in the foreground).
(
for i in \$(seq 1 100); do grep -q SIGINT '$T/sigs' 2>/dev/null && break; sleep 0.1; done
# The ladder now waits 7.5 s before SIGTERM: kill the job's daemon.
for f in \"\$BREAKER_STATE_DIR\"/*/daemon.pid; do
	grep -q \"\$RUNNER_TRACKING_ID\" \"\$(dirname \"\$f\")/job.json\" || continue
	kill -KILL \"\$(cat \"\$f\")\" && echo \"killed daemon \$(cat \"\$f\")\"
done
) &
'$T/bin/codex' --pace-ms 20 --mark '$T/mark' --sigs '$T/sigs' --ignore-int \
    --hang 3 2>&1 | tee -a '$LOG' || rc=\$?
wait
exit \$rc"
run_job

R=$T/job/result.json
assert_hooks_ok
grep -q SIGINT "$T/sigs" 2>/dev/null && pass "the engine got SIGINT" ||
	fail "the engine got no SIGINT"
grep -q 'killed daemon' "$T/job/job.log" && pass "daemon SIGKILLed mid-ladder" ||
	fail "the step did not kill the daemon"
out=$(hook_output "$T/job" completed)
err=$(echo "$out" | grep -E '^::error title=breaker' | grep '401 Unauthorized' || true)
[ -n "$err" ] && pass "finish reports the 401" || fail "no error annotation: $out"
echo "$err" | grep -q 'sent SIGINT to codex (pid [0-9]*)' &&
	pass "the report says SIGINT was sent to codex, with its pid" ||
	fail "the report does not name the signal and target: $err"
echo "$err" | grep -q 'ended before the stop ladder finished' &&
	pass "the report says the daemon ended before the ladder finished" ||
	fail "no word of the unfinished ladder: $err"
echo "$err" | grep -qi 'no engine process was found\|could not stop' &&
	fail "the report says no engine was found" ||
	pass "the report does not say no engine was found"
summary=$(jget "$R" 'r["env"]["GITHUB_STEP_SUMMARY"]')
grep -q 'could not stop the engine' "$summary" &&
	fail "summary heading: could not stop the engine" ||
	pass "the summary does not claim nothing could be stopped"
finish_test
