#!/bin/bash
# Issue 5, stopping: the engine exits on SIGINT, but a tool it started (an
# MCP server, a shell command) still holds the step's output pipe, so `tee`
# never sees EOF and the step would hang. breaker must stop the engine's
# leftover subtree as well; the step must then end at once.
. "$(dirname "$0")/lib.sh"

write_config '"stop": { "targets": ["codex"], "ladder": [
    { "signal": "SIGINT", "wait": "1s" },
    { "signal": "SIGTERM", "wait": "1s" },
    { "signal": "SIGKILL" } ] }'
write_step "'$T/bin/codex' --pace-ms 20 --mark '$T/mark' --sigs '$T/sigs' --tool-child --lines '$SEED' 2>&1 | tee -a '$LOG'"
run_job --step-timeout 30

R=$T/job/result.json
assert_hooks_ok
grep -q '^SIGINT' "$T/sigs" && pass "engine got SIGINT" || fail "engine not signalled"
cut=$(step_cut_after_mark)
python3 -c "import sys; sys.exit(0 if $cut < 5.0 else 1)" &&
	pass "step ended $cut s after the 401 line (the tool no longer holds the pipe)" ||
	fail "step ended $cut s after the 401 line: the tool child kept it open"
[ "$(jget "$R" 'r["step"]["cancelled"]')" = "[]" ] && pass "no runner cancel needed" ||
	fail "the runner had to cancel the step"
left=$(jget "$R" '[p["cmdline"] for p in r["after_step"] if "sleep" in p["cmdline"]]')
[ "$left" = "[]" ] && pass "the tool child is gone after the step" || fail "left: $left"
grep -q 'subtree\|descendant' "$(job_state_dir)/daemon.log" &&
	pass "daemon log tells of the subtree" || echo "note: daemon log does not mention the subtree"
assert_no_orphans
finish_test
