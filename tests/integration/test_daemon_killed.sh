#!/bin/bash
# Issue 5: the daemon is SIGKILLed after its verdict (a crash, an OOM kill).
# `breaker finish` must still report from the persisted verdict, say that
# the daemon ended early, and exit 0; the job summary still gets written.
. "$(dirname "$0")/lib.sh"

write_config
write_step "rc=0
$(engine_cmd --lines "'$SEED'") || rc=\$?
# Right after the cut: kill the job's daemon the hard way.
for f in \"\$BREAKER_STATE_DIR\"/*/daemon.pid; do
	grep -q \"\$RUNNER_TRACKING_ID\" \"\$(dirname \"\$f\")/job.json\" || continue
	kill -KILL \"\$(cat \"\$f\")\" && echo \"killed daemon \$(cat \"\$f\")\"
done
sleep 0.2
exit \$rc"
run_job

R=$T/job/result.json
assert_hooks_ok
grep -q 'killed daemon' "$T/job/job.log" && pass "daemon SIGKILLed during the job" ||
	fail "the step did not kill the daemon"
out=$(hook_output "$T/job" completed)
echo "$out" | grep -E '^::error title=breaker' | grep -q '401 Unauthorized' &&
	pass "finish still reports the 401 from disk" || fail "no error annotation: $out"
summary=$(jget "$R" 'r["env"]["GITHUB_STEP_SUMMARY"]')
grep -qi 'ended early' "$summary" && pass "summary says the daemon ended early" ||
	fail "summary does not say the daemon ended early: $(cat "$summary")"
echo "$out" | grep -qi 'ended early' && pass "finish says the daemon ended early" ||
	fail "finish output does not say so"
grep -q '401' "$summary" && pass "summary names the 401" || fail "summary lacks the verdict"
d=$(jget "$R" 'r["completed"]["duration"]')
python3 -c "import sys; sys.exit(0 if $d < 5.0 else 1)" && pass "finish did not wait for a dead daemon ($d s)" ||
	fail "finish took $d s"
assert_no_orphans
finish_test
