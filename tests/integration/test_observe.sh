#!/bin/bash
# Issue 5: in observe mode breaker detects and reports, and stops nothing:
# the annotation says "would have stopped", the engine runs its course.
. "$(dirname "$0")/lib.sh"

write_config '"mode": "observe"'
write_step "$(engine_cmd --lines "'$SEED'" --sigs "'$T/sigs'" --hang 2)"
run_job

R=$T/job/result.json
assert_hooks_ok
[ -s "$T/sigs" ] && fail "the engine was signalled: $(cat "$T/sigs")" || pass "the engine got no signal"
mark=$(head -1 "$T/mark")
end=$(jget "$R" 'r["step"]["exit"]')
python3 -c "import sys; sys.exit(0 if $end - $mark >= 1.9 else 1)" &&
	pass "the engine hung its full 2 s after the 401 line" || fail "the step ended early"
grep -q 'Received SIG' "$T/job/job.log" && fail "awf was signalled" || pass "awf untouched"
out=$(hook_output "$T/job" completed)
echo "$out" | grep -E '^::(error|warning|notice) ' | grep -q 'would have stopped' &&
	pass "annotation: would have stopped" || fail "annotation: $out"
sd=$(job_state_dir)
[ "$(jget "$sd/verdict-0001.json" 'r.get("action")')" = would-stop ] &&
	pass "verdict action would-stop" || fail "verdict action: $(jget "$sd/verdict-0001.json" 'r.get("action")')"
summary=$(jget "$R" 'r["env"]["GITHUB_STEP_SUMMARY"]')
grep -qi 'would have stopped\|observe' "$summary" && pass "summary says observe" || fail "summary"
assert_no_orphans
finish_test
