#!/bin/bash
# The optional GitHub action, end to end: with "cancel-run" allowed by the
# configuration and asked by the rule, the daemon cancels the run through
# the REST API (a loopback HTTPS emulator, real TLS) after stopping the
# engine; the outcome lands in the verdict; the token appears nowhere.
# The API's failure must never block the stop or the report (second job:
# the emulator is gone).
. "$(dirname "$0")/lib.sh"

github_emulator_start

cat >"$T/rules.json" <<'EOF2'
{ "version": 1, "rules": [ {
  "id": "test.cancel", "title": "Test: fatal, cancel the run", "source": "engine",
  "severity": "fatal", "match": { "regex": "^FATAL-CANCEL" },
  "actions": ["stop", "cancel-run"] } ] }
EOF2
github_config "$T/rules.json" cancel-run
lines=$T/lines.log
printf '%s\n' "OpenAI Codex v0.169.0" "FATAL-CANCEL the provider is gone" >"$lines"
write_step "$(engine_cmd --lines "'$lines'")"
run_job --repository octo/widgets --run-id 4242

R=$T/job/result.json
assert_hooks_ok
sd=$(job_state_dir)
[ "$(jget "$sd/verdict-0001.json" 'r.get("action")')" = stop ] && pass "the engine was stopped" ||
	fail "verdict action: $(jget "$sd/verdict-0001.json" 'r.get("action")')"
grep -q '"POST".*actions/runs/4242/cancel\|actions/runs/4242/cancel.*"POST"' "$EMU/requests.jsonl" 2>/dev/null &&
	pass "the run was cancelled through the API" || fail "no cancel request: $(cat "$EMU/requests.jsonl" 2>/dev/null)"
api=$(jget "$sd/verdict-0001.json" 'r.get("api_result")')
[ "$api" != None ] && [ "$api" != null ] && pass "verdict records the API outcome: $api" ||
	fail "no api_result in the verdict"
tok=$(tr -d '\n' <"$EMU/token")
if grep -rqF -- "$tok" "$sd" "$T/job/job.log" "$(jget "$R" 'r["env"]["GITHUB_STEP_SUMMARY"]')"; then
	fail "the token leaked"
else
	pass "the token appears in no log, verdict or summary"
fi

# Issue 16 item 6: a later fatal verdict still takes the actions its rule
# asks for. Rule test.first (stop only) stops the engine; test.cancel
# (stop, cancel-run) fires right after, while the ladder runs: the run must
# still be cancelled.
cat >"$T/rules2.json" <<'EOF2'
{ "version": 1, "rules": [ {
  "id": "test.first", "title": "Test: fatal, stop only", "source": "engine",
  "severity": "fatal", "match": { "regex": "^FATAL-FIRST" },
  "actions": ["stop"] }, {
  "id": "test.cancel", "title": "Test: fatal, cancel the run", "source": "engine",
  "severity": "fatal", "match": { "regex": "^FATAL-CANCEL" },
  "actions": ["stop", "cancel-run"] } ] }
EOF2
github_config "$T/rules2.json" cancel-run
printf '%s\n' "OpenAI Codex v0.169.0" "FATAL-FIRST the engine is doomed" \
    "FATAL-CANCEL and so is the run" >"$lines"
write_step "$(engine_cmd --lines "'$lines'")"
before=$(grep -c 'actions/runs/4242/cancel' "$EMU/requests.jsonl" 2>/dev/null || true)
run_job "$T/job4" --repository octo/widgets --run-id 4242
assert_hooks_ok "$T/job4"
sd4=$(job_state_dir "$T/job4")
[ "$(jget "$sd4/verdict-0001.json" 'r.get("rule_id")')" = test.first ] &&
	[ "$(jget "$sd4/verdict-0001.json" 'r.get("stop_pid", 0) > 0')" = true ] &&
	pass "the first fatal verdict stopped the engine" ||
	fail "verdict 1: $(cat "$sd4"/verdict-0001.json)"
after=$(grep -c 'actions/runs/4242/cancel' "$EMU/requests.jsonl" 2>/dev/null || true)
[ "$after" -gt "${before:-0}" ] &&
	pass "the later verdict's rule still cancelled the run" ||
	fail "no cancel for the later verdict: $(cat "$EMU/requests.jsonl" 2>/dev/null)"
api=$(jget "$sd4/verdict-0002.json" 'r.get("api_result")')
[ "$api" != None ] && [ "$api" != null ] && pass "verdict 2 records the API outcome: $api" ||
	fail "no api_result in verdict 2"

# check-run allowed: when the job finishes, the daemon publishes the
# "breaker" check run with the job's verdicts before it exits. GitHub takes
# check runs from an App's token only: the file now holds an installation
# token (ghs_, as a job's GITHUB_TOKEN is) instead of the emulator's PAT.
printf 'ghs_%s\n' "$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')" >"$EMU/token"
printf '{"runner": "sim-runner-1"}\n' >"$EMU/control.json"
github_config "$T/rules.json" check-run
run_job "$T/job3" --repository octo/widgets --run-id 4242
assert_hooks_ok "$T/job3"
if grep -q '/check-runs' "$EMU/requests.jsonl" 2>/dev/null &&
    grep '/check-runs' "$EMU/requests.jsonl" | grep -q '"POST"'; then
	pass "the check run was published when the job finished"
else
	fail "no check run: $(grep -v cancel "$EMU/requests.jsonl" 2>/dev/null | tail -3)"
fi
# The emulator answers 422 to a malformed check run; success means it
# accepted the name, head_sha, output and every annotation.
grep -q 'github: check run: check-run: published "breaker"' \
    "$(job_state_dir "$T/job3")/daemon.log" &&
	pass "the emulator accepted it, and the daemon logged so" ||
	fail "check run not accepted: $(grep 'check run' \
	    "$(job_state_dir "$T/job3")/daemon.log")"

# The API unreachable: the stop and the report go on regardless.
kill "$emu" 2>/dev/null; wait "$emu" 2>/dev/null || true
run_job "$T/job2" --repository octo/widgets --run-id 4242
assert_hooks_ok "$T/job2"
sd2=$(job_state_dir "$T/job2")
[ "$(jget "$sd2/verdict-0001.json" 'r.get("stop_pid", 0) > 0')" = true ] &&
	pass "API down: the engine was still stopped" || fail "API down: no stop"
hook_output "$T/job2" completed | grep -q '^::error title=breaker' &&
	pass "API down: still annotated" || fail "API down: no annotation"
assert_no_orphans "$T/job2"
finish_test
