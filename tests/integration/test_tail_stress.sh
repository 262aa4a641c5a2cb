#!/bin/bash
# The tailer under fire: 1,000,000 numbered lines written in random-sized
# pieces through >= 100 rename rotations and >= 10 copytruncates, into a
# file (and directories) that appear only after `breaker tail` started.
# Every line must come out exactly once, in order, except the lines a
# copytruncate made unrecoverable; those are known exactly (see
# tail_stress.py and docs/tailer.md) and the tailer's counters must match.
#
# TAIL_STRESS_LINES scales it down by hand; the suite runs the full count.
set -u

BIN=${BREAKER_BIN:?BREAKER_BIN is not set}
HERE=$(cd "$(dirname "$0")" && pwd)
LINES=${TAIL_STRESS_LINES:-1000000}
ROTATIONS=120
COPYTRUNCATES=15
SEED=${TAIL_STRESS_SEED:-$(( $(date +%s) % 100000 ))}

if ! command -v python3 >/dev/null 2>&1; then
	echo "skip: python3 is not installed"
	exit 77
fi

T=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -CONT "$pid" 2>/dev/null && kill "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $* (seed $SEED)"
	echo "--- tailer stderr (last lines)"; tail -n 20 "$T/err"
	exit 1
}

LOG=$T/logs/deep/app.log
"$BIN" tail --flush-ms 600000 "$LOG" >"$T/out" 2>"$T/err" &
pid=$!
# Ready once it says it follows the file (bounded wait).
for _ in $(seq 1 200); do
	grep -q "tail: following " "$T/err" && break
	sleep 0.05
done
grep -q "tail: following " "$T/err" || fail "the tailer did not start"

start=$(date +%s)
timeout 300 python3 "$HERE/tail_stress.py" write "$LOG" "$pid" "$LINES" \
	"$ROTATIONS" "$COPYTRUNCATES" "$SEED" "$T/plan.json" ||
	fail "the writer failed"

# The last line is never in a lost region: wait for it (bounded).
last=$(printf '%07d' "$LINES")
for _ in $(seq 1 1800); do
	tail -c 200 "$T/out" | grep -q "^$last " && break
	sleep 0.1
done
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] || fail "the tailer exited with $rc"
echo "wrote and tailed $LINES lines in $(( $(date +%s) - start )) s"

python3 "$HERE/tail_stress.py" check "$T/plan.json" "$T/out" "$T/err" ||
	fail "the output or the counters are not what was written"
echo "PASS: $LINES lines, each delivered once and in order; every loss" \
	"caused by a copytruncate and counted exactly"
