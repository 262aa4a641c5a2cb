#!/bin/bash
# Issue 2: the #26929 failure cut short, end to end, on the simulated runner.
# codex (fake-engine.sh, the real seed lines at codex's pace) behind an
# awf-like wrapper, teed into the agent log; breaker started by the real
# job-started hook must stop it within 1 s of the 401 line, the real
# job-completed hook must print an error annotation naming the 401 and its
# reason, both hooks exit 0 and nothing of the engine is left.
. "$(dirname "$0")/lib.sh"

write_config
write_step "$(engine_cmd --lines "'$SEED'")"
run_job

R=$T/job/result.json
assert_hooks_ok

assert_401_cut

out=$(hook_output "$T/job" completed)
echo "$out" | grep -E '^::error ' | grep -q 'Missing bearer or basic authentication' &&
	pass "error annotation gives the reason" ||
	fail "annotation lacks the reason"

started=$(hook_output "$T/job" started)
echo "$started" | grep -qE '^breaker: watching [0-9]+ sources with .* \([0-9]+ rules\), state in /' &&
	pass "started hook says what it watches" ||
	fail "started hook output: $started"

assert_no_orphans
after=$(jget "$R" '[p["comm"] for p in r["after_step"] if p["comm"] in ("awf", "codex", "sleep")]')
[ "$after" = "[]" ] && pass "no engine process after the step" ||
	fail "engine processes left after the step: $after"

sd=$(job_state_dir)
[ -n "$sd" ] && [ -f "$sd/verdict-0001.json" ] &&
	pass "verdict persisted in the job's state directory" ||
	fail "no verdict file in '$sd'"
if [ -n "$sd" ]; then
	tgt=$(jget "$sd/verdict-0001.json" 'r.get("stop_target")')
	[ "$tgt" = awf ] && pass "the awf wrapper was the one stopped" ||
		fail "stop target: $tgt"
fi
grep -q 'breaker' "$(jget "$R" 'r["env"]["GITHUB_STEP_SUMMARY"]')" &&
	pass "job summary written" || fail "no job summary"
finish_test
