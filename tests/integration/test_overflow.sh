#!/bin/bash
# Issue 5, reporting: more than 10 verdicts of a type. The runner keeps only
# 10 annotations per type per step, so breaker prints 9 and folds the rest
# into a 10th. Also: two fatal verdicts, one stop: a second verdict never
# triggers a second stop, yet every verdict is recorded.
# A test rule file with group_by makes one verdict per tool name.
. "$(dirname "$0")/lib.sh"

cat >"$T/rules.json" <<'EOF2'
{
  "version": 1,
  "rules": [
    {
      "id": "test.tool.failed",
      "title": "Test: a tool failed",
      "source": "engine",
      "severity": "warning",
      "match": { "regex": "^TOOLFAIL (?<tool>[a-z0-9]+)" },
      "correlate": { "kind": "count", "threshold": 1, "window": "10m", "group_by": "tool" },
      "message": "tool {tool} failed"
    },
    {
      "id": "test.engine.dead",
      "title": "Test: the engine gave up",
      "source": "engine",
      "severity": "fatal",
      "match": { "regex": "^ENGINEDEAD (?<part>[a-z]+)" },
      "correlate": { "kind": "count", "threshold": 1, "window": "10m", "group_by": "part" },
      "message": "engine part {part} died",
      "actions": ["stop"]
    }
  ]
}
EOF2
write_config "\"rules\": [\"$T/rules.json\"], \"stop\": { \"targets\": [\"codex\"], \"ladder\": [ { \"signal\": \"SIGINT\", \"wait\": \"2s\" }, { \"signal\": \"SIGKILL\" } ] }"
lines=$T/lines.log
{
	echo "OpenAI Codex v0.169.0"
	for i in $(seq 1 14); do echo "TOOLFAIL tool$i"; done
	echo "ENGINEDEAD alpha"
	echo "ENGINEDEAD beta"
} >"$lines"
# The engine ignores SIGINT for a moment so that both fatal lines are read
# while the first stop is under way; SIGKILL ends it.
write_step "'$T/bin/codex' --pace-ms 20 --mark '$T/mark' --sigs '$T/sigs' --ignore-int --lines '$lines' 2>&1 | tee -a '$LOG'"
run_job

R=$T/job/result.json
assert_hooks_ok
sd=$(job_state_dir)
n=$(find "$sd" -name 'verdict-*.json' | wc -l)
[ "$n" = 16 ] && pass "16 verdicts recorded (14 warnings, 2 fatal)" || fail "$n verdicts recorded"
out=$(hook_output "$T/job" completed)
nw=$(echo "$out" | grep -c '^::warning ' || true)
ne=$(echo "$out" | grep -c '^::error ' || true)
[ "$nw" = 10 ] && pass "10 warning annotations (the runner's limit)" || fail "$nw warning annotations"
echo "$out" | grep '^::warning ' | tail -1 | grep -q '5 more' &&
	pass "the 10th folds the other 5" || fail "no fold line: $(echo "$out" | grep '^::warning ' | tail -1)"
[ "$ne" = 2 ] && pass "both fatal verdicts annotated" || fail "$ne error annotations"
nint=$(grep -c '^SIGINT' "$T/sigs" 2>/dev/null || true)
[ "$nint" = 1 ] && pass "one stop: the engine got SIGINT once" || fail "engine got SIGINT $nint times"
python3 - "$sd" <<'PY' && pass "second fatal verdict refers to the first stop" || fail "second fatal verdict"
import json, glob, sys
vs = [json.load(open(f)) for f in sorted(glob.glob(sys.argv[1] + "/verdict-*.json"))]
fat = [v for v in vs if v["severity"] == "fatal"]
print([(v["seq"], v.get("action"), v.get("action_result")) for v in fat])
sys.exit(0 if len(fat) == 2 and "already" in (fat[1].get("action_result") or "") else 1)
PY
assert_no_orphans
finish_test
