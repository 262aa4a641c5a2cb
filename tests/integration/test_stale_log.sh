#!/bin/bash
# Issue 2: a log left by an earlier job on the same runner, which already
# holds the whole #26929 sequence (and an awf-infra fatal), must not
# trigger a verdict: the daemon starts every source at its current end.
# The new job's engine prints healthy output and succeeds.
. "$(dirname "$0")/lib.sh"

write_config
# The earlier job's log: the seed failure, twice, complete with newlines.
cat "$SEED" "$SEED" >"$LOG"
healthy=$T/healthy.log
printf '%s\n' "OpenAI Codex v0.169.0" "thinking" "Reconnecting... 1/5" \
    "codex: the moderation is done" >"$healthy"
write_step "$(engine_cmd --lines "'$healthy'" --hang 0.3)
echo step-finished"
run_job

R=$T/job/result.json
assert_hooks_ok
rc=$(jget "$R" 'r["step"]["rc"]')
# fake-engine exits 1 after its hang; what matters is that nobody cut it.
[ -z "$(cat "$T"/job/sigs 2>/dev/null)" ] || fail "engine was signalled"
jget "$R" '"\n".join(l[1] for l in r["step"]["lines"])' | grep -q 'moderation is done' &&
	pass "the healthy engine ran to its end (step exit $rc)" ||
	fail "the engine did not run to its end"
jget "$R" '"\n".join(l[1] for l in r["step"]["lines"])' | grep -q 'Received SIGINT' &&
	fail "breaker stopped a healthy job" || pass "no stop"

sd=$(job_state_dir)
[ -n "$sd" ] || fail "no state directory for the job"
n=$(find "$sd" -name 'verdict-*.json' | wc -l)
[ "$n" = 0 ] && pass "no verdict from the stale log" || fail "$n verdicts from a stale log"
out=$(hook_output "$T/job" completed)
echo "$out" | grep -qE '^::(error|warning)' &&
	fail "completed hook annotated a healthy job: $out" ||
	pass "no annotation on a healthy job"
# The stale lines were still in the file, before the daemon's start offset.
grep -c 'unexpected status 401' "$LOG" | grep -qx 2 && pass "stale 401 lines were present" ||
	fail "stale lines missing from the log"
assert_no_orphans
finish_test
