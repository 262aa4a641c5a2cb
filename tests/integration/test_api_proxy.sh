#!/bin/bash
# Issue 13: the api-proxy source, followed at every one of its places at
# once. The configuration gives three alternatives: one never written, one
# left by an earlier job (it already holds a 401: it must not count), and
# ${RUNNER_TEMP}/… (expanded from the hooks' environment, as under ARC),
# which the job's "sidecar" creates late. Its first line, a 401 from the
# provider, must stop the engine at once: the verdict comes from the
# api-proxy source, line 1 of the new file (read from its head).
. "$(dirname "$0")/lib.sh"

rel=gh-aw/sandbox/firewall/logs/api-proxy-logs/token-tracker-audit.jsonl
old=$T/old/token-tracker-audit.jsonl
mkdir -p "$T/old"
line() { # line RID STATUS
	printf '{"ts":%s,"event":"TRACK_START","rid":"%s","provider":"openai","path":"/v1/responses","streaming":false,"ct":"application/json","ce":"(none)","status":%s}\n' \
	    "$(date +%s%3N)" "$1" "$2"
}
line stale-earlier-job 401 >"$old"
write_config '"_": null'
python3 - "$T/config.json" "$T/never/audit.jsonl" "$old" "\${RUNNER_TEMP}/$rel" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
del c["_"]
c["sources"]["api-proxy"] = {"path": sys.argv[2:], "format": "jsonl"}
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
# The engine hangs silently; 1 s in, the sidecar records the refusal.
# Then `breaker status`, from the step, shows the place that is open.
write_step "( sleep 1; mkdir -p \"\$RUNNER_TEMP/$(dirname $rel)\"
  date +%s.%N >'$T/mark'
  $(declare -f line); line fresh-this-job 401 >>\"\$RUNNER_TEMP/$rel\"
  sleep 0.5
  \"\$BREAKER_BIN\" status --json >'$T/status.json'
  \"\$BREAKER_BIN\" status >'$T/status.txt' ) &
rc=0
$(engine_cmd --lines /dev/null --hang 60) || rc=\$?
wait
exit \$rc"
run_job

R=$T/job/result.json
assert_hooks_ok
sd=$(job_state_dir)
v=$(ls "$sd"/verdict-*.json 2>/dev/null | head -1)
[ -n "$v" ] || { fail "no verdict"; finish_test; }
[ "$(jget "$v" 'r["rule_id"]')" = api-proxy.auth.refused ] &&
	pass "verdict api-proxy.auth.refused" || fail "verdict $(jget "$v" 'r["rule_id"]')"
[ "$(jget "$v" 'r["source"]')" = api-proxy ] && pass "from the api-proxy source" ||
	fail "from source $(jget "$v" 'r["source"]')"
[ "$(jget "$v" 'r["line_no"]')" = 1 ] && pass "line 1: the late file was read from its head" ||
	fail "line $(jget "$v" 'r["line_no"]')"
jget "$v" 'r["evidence"][-1]' | grep -q fresh-this-job &&
	pass "evidence is this job's line" || fail "evidence: $(jget "$v" 'r["evidence"]')"
jget "$v" 'r["evidence"]' | grep -q stale-earlier-job &&
	fail "an earlier job's line counted" || pass "the earlier job's line did not count"
[ -n "$(jget "$v" 'r["stop_target"]')" ] && pass "the engine was stopped" ||
	fail "no stop: $(jget "$v" 'r["action_result"]')"
n=$(ls "$sd"/verdict-*.json | wc -l)
[ "$n" = 1 ] && pass "one verdict" || fail "$n verdicts"
cut=$(step_cut_after_mark)
pass "step ended $cut s after the record's line"
src='[s for s in r["sources"] if s["name"] == "api-proxy"][0]'
jget "$T/status.json" "$src[\"path\"]" | grep -q "/$rel\$" &&
	jget "$T/status.json" "$src[\"open\"]" | grep -qx true &&
	pass "status: api-proxy open at its \${RUNNER_TEMP} place" ||
	fail "status: $(jget "$T/status.json" "$src")"
[ "$(jget "$T/status.json" "len($src[\"paths\"])")" = 3 ] &&
	pass "status: lists its 3 places" || fail "status: places $(jget "$T/status.json" "$src")"
grep -q "^source api-proxy .*$rel \[jsonl\] open" "$T/status.txt" &&
	grep -q "also followed: $old" "$T/status.txt" &&
	pass "status: human form names the open place and the others" ||
	fail "status text: $(cat "$T/status.txt")"
hook_output "$T/job" completed | grep -q '^::error .*api-proxy.auth.refused' &&
	pass "annotated" || fail "no ::error naming the rule"
assert_no_orphans
finish_test
