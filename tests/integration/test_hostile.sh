#!/bin/bash
# Issue 5, reporting: engine text is hostile. The fatal line itself carries
# workflow commands (::add-mask::, ::error::, ##[error]) and secrets
# (sk-…, ghp_…, github_pat_…, a bearer token). Nothing breaker prints may
# form a workflow command of the engine's making, and no secret may appear
# in the hooks' output, the daemon log, the verdict files or the summary.
. "$(dirname "$0")/lib.sh"

SK=sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123456789
GHP=ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789
PAT=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL
BEARER=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJl
lines=$T/lines.log
{
	echo "OpenAI Codex v0.169.0"
	echo "::add-mask::early"
	echo "Reconnecting... 1/5"
	echo "ERROR: Reconnecting... 5/5"
	echo "ERROR: unexpected status 401 Unauthorized: ::add-mask::x ##[error]injected ::error::pwned%0A::warning::two $SK $GHP $PAT Authorization: Bearer $BEARER, url: https://api.openai.com/v1/responses"
} >"$lines"
write_config
write_step "$(engine_cmd --lines "'$lines'")"
run_job

R=$T/job/result.json
assert_hooks_ok
ours=$(for h in started completed; do hook_output "$T/job" "$h"; done)
echo "$ours" | grep -E '^::error title=breaker' | grep -q '401' &&
	pass "the 401 is still annotated" || fail "no error annotation: $ours"
# The runner parses "::cmd" at the start of a (trimmed) line, and "##[cmd]"
# anywhere in a line.
bad=$(echo "$ours" | sed 's/^[[:space:]]*//' | grep -E '^::' |
	grep -vE '^::(error|warning|notice) title=breaker%3A' || true)
[ -z "$bad" ] && pass "every workflow command in the hooks' output is breaker's own" ||
	fail "foreign workflow commands: $bad"
echo "$ours" | grep -q '##\[' && fail "'##[' in the hooks' output" || pass "no ##[ in the output"
echo "$ours" | grep -q '::add-mask::' && fail "::add-mask:: survived" || pass "no ::add-mask::"
echo "$ours" | grep -qE '::(error|warning)::' && fail "an injected ::error:: survived" ||
	pass "no injected ::error::"
# The hostile line really went through the log breaker followed.
grep -qF -- "$SK" "$LOG" && grep -qF -- '##[error]injected' "$LOG" &&
	pass "the hostile line was in the agent log" || fail "hostile line not in the log"
sd=$(job_state_dir)
summary=$(jget "$R" 'r["env"]["GITHUB_STEP_SUMMARY"]')
for s in "$SK" "$GHP" "$PAT" "$BEARER"; do
	assert_nowhere "$s" "secret ${s:0:8}…" "$ours" "$sd"/* "$summary"
done
grep -q 'REDACTED\|redacted\|\*\*\*' "$sd/verdict-0001.json" && pass "evidence keeps a redaction marker" ||
	echo "note: no redaction marker in the verdict"
assert_no_orphans
finish_test
