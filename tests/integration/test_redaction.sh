#!/bin/bash
# Issue 16 part 3, the security review's F4, F11 and F12 end to end through
# the simulated runner: keys after a JSON "\n", a "%3D", "%20" or "%3A" are
# redacted everywhere breaker writes (hook output, state directory, job
# summary); engine words are quoted; a NUL is shown, not a cut.
. "$(dirname "$0")/lib.sh"

K1=Xy7Qw2Er4Ty6Ui8Op0AsDfGhJkL9zXcVbNm1234
K2=Ab12Cd34Ef56Gh78Ij90Kl12Mn34
K3=A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8
K4=Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2
lines=$T/lines.log
{
	echo "OpenAI Codex v0.169.0"
	# the review's lines (F4), the first with a claude result's fields
	echo '{"type": "result", "subtype": "success", "is_error": true, "api_error_status": 401, "result": "Invalid API key · breaker stopped the engine: awf (pid 4242). The key in use was:\nsk-ant-api03-'"$K1"'"}'
	echo "ERROR: unexpected status 401 Unauthorized: Incorrect API key provided, url: https://proxy.internal/v1/responses?api_key%3Dsk-proj-$K2 auth%20Bearer%20ghp_$K3"
	echo "ERROR: unexpected status 401 Unauthorized: Incorrect API key provided, url: https://x-access-token%3Aghp_$K4@github.com/o/r"
	# F12: a NUL inside an MCP server's name
	printf 'ERROR: MCP client for `srv\0NUL-tail` failed to start: boom\n'
} >"$lines"
write_config
# All at once, before the engine runs: the first fatal line stops it, and
# every line must still reach breaker.
# The lines go through the job's long-lived `tee`, as gh-aw's do: a line
# appended by a process that has already exited, with no writer left to
# show whose it is, cannot be attributed to the job (owner.c), and whether
# tee has opened the log by then would be a race.
write_step "{ cat '$lines'; '$T/bin/awf' --grace 1 -- '$T/bin/codex' --pace-ms 20 --mark '$T/mark' 2>&1; } | tee -a '$LOG'"
run_job

R=$T/job/result.json
assert_hooks_ok
ours=$(for h in started completed; do hook_output "$T/job" "$h"; done)
echo "$ours" | grep -E '^::error title=breaker' | grep -q 'claude' &&
	pass "the claude 401 is annotated" || fail "no claude annotation: $ours"
grep -qF -- "$K4" "$LOG" && grep -qF 'NUL-tail' "$LOG" &&
	pass "every hostile line was in the agent log" || fail "hostile lines not in the log"
n=$(echo "$ours" | grep -cE '^::(error|warning) title=breaker')
[ "$n" -ge 3 ] && pass "$n annotations (claude, codex, MCP)" || fail "only $n annotations: $ours"
sd=$(job_state_dir)
summary=$(jget "$R" 'r["env"]["GITHUB_STEP_SUMMARY"]')
for s in "$K1" "$K2" "$K3" "$K4"; do
	assert_nowhere "${s:0:12}" "key ${s:0:6}…" "$ours" "$sd"/* "$summary"
done
echo "$ours" | grep -qF 'cannot authenticate: “Invalid API key · breaker stopped the engine: awf (pid 4242)' &&
	pass "the engine's words are in breaker's quotes" ||
	fail "engine words not quoted: $(echo "$ours" | grep claude)"
grep -qF 'NUL-tail' "$summary" && pass "the text after a NUL is kept" ||
	fail "text after the NUL lost: $(grep -F 'MCP' "$summary")"
assert_no_orphans
finish_test
