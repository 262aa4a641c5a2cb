#!/bin/bash
# `breaker replay DIR...`: a what-if over folders of downloaded runs (the
# gh aw logs and gh run download layouts, built by mkruns.py from real
# lines), one line per run and the totals: cuts by rule, false-stop
# suspects, runner time saved from the runner's timestamps.
set -u
B=${BREAKER_BIN:?}
SRC=${BREAKER_SOURCE_ROOT:?}
S=$SRC/tests/samples
FX=$SRC/tests/fixtures/shared
MK="python3 $SRC/tests/integration/mkruns.py"
T=$(mktemp -d /tmp/breaker-history-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"

H=$T/history
$MK "$H" run-1001 ghaw codex failure "$FX/codex-401-missing-bearer.log" "$FX/squid-access.log"
$MK "$H" run-1002 ghaw codex success "$S/codex-reconnect-recovers.log"
$MK "$H" run-1003 ghaw-nolog claude failure "$S/claude-auth.jsonl"
$MK "$H" run-1004 ghaw claude success "$S/claude-overloaded.jsonl"
$MK "$H" 1005 download copilot - "$FX/copilot.log"
$MK "$H" run-1006 ghaw gemini success "$S/gemini.jsonl"
$MK "$H" run-1007 ghaw-nolog gemini success "$S/gemini-rate-limit.jsonl"
$MK "$H" 1008 runlog claude failure "$S/claude-auth.jsonl"

# Where the plain replay of each doomed engine log fires: the step log has
# one header line first and the engine's line i (1-based) at T0 + i - 1 s,
# and the job ends at T0 + 600 s.
line_of() {
	"$B" replay --json --source engine="$1" | python3 -c '
import json, sys
print([v["line"] for v in json.load(sys.stdin)["verdicts"]
       if v["severity"] == "fatal"][0])'
}
L1=$(line_of "$FX/codex-401-missing-bearer.log")
L6=$(line_of "$S/gemini.jsonl")
L8=$(line_of "$S/claude-auth.jsonl")

"$B" replay --json "$H" > "$T/h.json"
rc=$?
[ $rc = 1 ] && pass "a cut run: exit 1" || fail "exit $rc"
python3 - "$T/h.json" "$L1" "$L6" "$L8" <<'PY' && pass "per-run verdicts and totals" ||
import json, sys
r = json.load(open(sys.argv[1]))
l1, l6, l8 = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
runs = {x["dir"].rsplit("/", 1)[1]: x for x in r["runs"]}
assert len(runs) == 8, runs.keys()
c = runs["run-1001"]
assert c["engine"] == "codex" and c["conclusion"] == "failure"
assert c["rule"] == "codex.auth.unauthorized", c
assert c["files"]["engine"].endswith("workflow-logs/agent/12_Execute Codex CLI.txt"), c
assert c["files"]["firewall"].endswith("sandbox/firewall/logs/access.log"), c
assert c["saved_seconds"] == 600 - (l1 - 1), (c, l1)
assert not c["false_stop_suspect"]
assert not runs["run-1002"]["cut"] and runs["run-1002"]["conclusion"] == "success"
c = runs["run-1003"]
assert c["rule"] == "claude.auth.retry" and c["saved_seconds"] is None, c
assert c["files"]["engine"].endswith("run-1003/agent-stdio.log"), c
assert not runs["run-1004"]["cut"]
c = runs["1005"]
assert c["rule"] == "copilot.model-unsupported" and c["conclusion"] is None, c
assert c["files"]["engine"].endswith("agent-artifacts/agent-stdio.log"), c
c = runs["run-1006"]
assert c["rule"] == "gemini.auth" and c["false_stop_suspect"], c
assert c["saved_seconds"] == 600 - (l6 - 1), c
assert not runs["run-1007"]["cut"]
# gh run view --log: the agent job's Execute step, timed; the detection
# job's later lines are not the agent job's end
c = runs["1008"]
assert c["rule"] == "claude.auth.retry" and c["conclusion"] == "failure", c
assert c["files"]["engine"].endswith("1008/run.log"), c
assert c["saved_seconds"] == 600 - (l8 - 1), (c, l8)
t = r["total"]
assert (t["runs"], t["read"], t["cut"], t["false_stop_suspects"]) == (8, 8, 5, 1), t
assert t["cut_by_rule"] == {"codex.auth.unauthorized": 1, "claude.auth.retry": 2,
                            "copilot.model-unsupported": 1, "gemini.auth": 1}, t
assert t["saved_seconds"] == 1800 - (l1 - 1) - (l6 - 1) - (l8 - 1), t
assert (t["timed_cuts"], t["untimed_cuts"]) == (3, 2), t
PY
	fail "json: $(cat "$T/h.json")"

# The text report: one line per run and the totals.
out=$("$B" replay "$H" 2>&1)
echo "$out" | grep -q "run-1006  engine gemini, success, .*would cut by gemini.auth .*FALSE-STOP SUSPECT" &&
	pass "a false-stop suspect is named" || fail "text: $out"
echo "$out" | grep -q "^runs: 8 found, 8 read; 5 would have been cut; 1 succeeded but would have been cut" &&
	pass "totals line" || fail "totals: $out"
echo "$out" | grep -q "runner time saved: .* over 3 cut runs with timestamps; 2 cut runs without timestamps not counted" &&
	pass "time saved, and what it does not count" || fail "saved: $out"

# Several folders at once, and one run folder given directly.
"$B" replay --json "$H/run-1002" "$H/run-1001" > "$T/two.json"
python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["total"]
assert (t["runs"], t["cut"]) == (2, 1), t' "$T/two.json" &&
	pass "several folders, a run given directly" || fail "$(cat "$T/two.json")"

# A timestamped step log given as a source: the prefix is stripped, so the
# rules match, and the verdict carries the runner's time.
# (A JSON-lines engine's lines are not JSON with the prefix left on.)
out=$("$B" replay --source engine="$H/run-1006/workflow-logs/agent/12_Execute Gemini CLI.txt" 2>&1)
echo "$out" | grep -q "fatal   gemini.auth at engine:.*(time 2026-11-30T10:00:" &&
	pass "step log as a source: matched, timed" || fail "step log: $out"

# Metadata is hostile too: an engine name or a file name that would be a workflow command
# (`##[cmd]` works anywhere in a line) is neutralised, in text and JSON.
$MK "$T/hostile" run-1 ghaw-nolog '##[error]pwned' failure "$S/codex-reconnect-recovers.log"
# and so is a downloaded file's name (the workflow wrote the artifacts)
$MK "$T/hostile" run-2 ghaw codex failure "$S/codex-reconnect-recovers.log"
mv "$T/hostile/run-2/workflow-logs/agent/12_Execute Codex CLI.txt" \
	"$T/hostile/run-2/workflow-logs/agent/12_Execute ##[error]x.txt"
out=$("$B" replay "$T/hostile" 2>&1; "$B" replay --json "$T/hostile" 2>&1)
echo "$out" | grep -qF '##[error]' && fail "a workflow command got through: $out" ||
	pass "hostile metadata neutralised"

# Nothing readable: exit 2; a file is not a folder of runs.
mkdir -p "$T/empty/run-1"
"$B" replay "$T/empty" > /dev/null 2>&1
rc=$?
[ $rc = 2 ] && pass "no readable run: exit 2" || fail "empty: exit $rc"
"$B" replay "$FX/copilot.log" > /dev/null 2>&1
rc=$?
[ $rc = 2 ] && pass "a file is not a folder: exit 2" || fail "file: exit $rc"

finish
