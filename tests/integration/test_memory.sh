#!/bin/bash
# Bounded memory. A firewall log flooding distinct host names, clients and
# group keys goes through `breaker replay` (default policy plus rules that
# group by host, count distinct hosts in one group, and both at once), once
# with N/10 and once with N lines (N = $BREAKER_MEMORY_LINES, default 2
# million, generated streaming through a FIFO: nothing big touches the disk).
# The peak RSS must stay under a fixed bound and must not grow with the
# input; the caps must be logged. Then the daemon's driver, `breaker watch`
# with the default policy, must stay at or under 8 MB resident after start
# and after a flood. Figures are printed for docs/hardening.md.
#
# RSS is only meaningful without sanitizers: when $BREAKER_BIN is an ASan
# build, a plain build is made (or reused) in $BREAKER_VALGRIND_BUILD,
# default $BREAKER_BUILD_ROOT/../build-valgrind (shared with
# test_valgrind.sh, under a lock).
set -u
SRC=${BREAKER_SOURCE_ROOT:?}
BROOT=${BREAKER_BUILD_ROOT:?}
B=${BREAKER_BIN:?}
FX=$BREAKER_SOURCE_ROOT/tests/fixtures/shared
N=${BREAKER_MEMORY_LINES:-2000000}
REPLAY_MAX_KB=32768	# the flood's peak, whatever N
GROWTH_MAX_KB=4096	# N lines may cost at most this much more than N/10
DAEMON_MAX_KB=8192	# issue 8: resident memory of the daemon <= 8 MB

. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"

. "$SRC/tests/integration/plain-build.sh"
B=$(plain_breaker "$B") || { echo "FAIL: cannot build a plain breaker"; exit 1; }
echo "binary: $B"

T=$(mktemp -d /tmp/breaker-memory-XXXXXX)
BG= GEN=
cleanup() {
	for p in $BG $GEN; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# gen N: squid lines, each with a new host, client address and URL.
gen() {
	python3 - "$1" <<'PY'
import sys
n = int(sys.argv[1]); w = sys.stdout.write; t = 1776446200.0; buf = []
for i in range(n):
    buf.append('%.3f 10.%d.%d.%d:%d h%d.flood.example.net:443 -:- 1.1 CONNECT'
               ' 403 TCP_DENIED:HIER_NONE h%d.flood.example.net:443 "a/%d"\n'
               % (t + i / 10000.0, (i >> 16) & 255, (i >> 8) & 255, i & 255,
                  1024 + i % 60000, i, i, i))
    if len(buf) == 20000:
        w(''.join(buf)); buf = []
w(''.join(buf))
PY
}

cat >"$T/flood.json" <<'J'
{"version": 1, "rules": [
 {"id": "m.groups", "title": "groups", "source": "firewall",
  "severity": "warning", "match": {"field": "result", "equals": "TCP_DENIED"},
  "correlate": {"kind": "count", "threshold": 3, "window": "1h",
                "group_by": "host"}, "message": "{count} for {host}"},
 {"id": "m.values", "title": "values", "source": "firewall",
  "severity": "warning", "match": {"field": "method", "equals": "CONNECT"},
  "correlate": {"kind": "distinct", "field": "host", "threshold": 1024,
                "window": "1h", "group_by": "method"},
  "message": "{count} hosts"},
 {"id": "m.both", "title": "both", "source": "firewall", "severity": "notice",
  "match": {"regex": "TCP_DENIED"},
  "correlate": {"kind": "distinct", "field": "url", "threshold": 5,
                "window": "1h", "group_by": "client"},
  "message": "{count} urls for {client}"}
]}
J

# flood LINES: replay a generated flood; sets KB (peak RSS) or fails.
flood() {
	local n=$1 fifo=$T/fifo.$1
	mkfifo "$fifo"
	gen "$n" >"$fifo" &
	GEN=$!
	timeout -k 5 900 /usr/bin/time -f 'maxrss_kb=%M' -o "$T/time.$n" \
	    "$B" replay --policy "$T/flood.json" --source firewall="$fifo" \
	    >"$T/out.$n" 2>"$T/err.$n"
	local rc=$?
	wait "$GEN"
	GEN=
	KB=$(sed -n 's/^maxrss_kb=//p' "$T/time.$n")
	echo "replay of $n flood lines: exit $rc, max RSS ${KB:-?} kB"
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "replay $n: exit $rc: $(tail -3 "$T/err.$n")"
	grep -q "firewall .*: $n lines" "$T/out.$n" &&
		pass "replay $n: every line read" ||
		fail "replay $n: line count: $(grep lines "$T/out.$n")"
	[ -n "$KB" ] || { fail "replay $n: no RSS figure"; KB=999999999; }
}

small=$((N / 10))
flood "$small"
KB_SMALL=$KB
flood "$N"
KB_BIG=$KB
[ "$KB_BIG" -le "$REPLAY_MAX_KB" ] &&
	pass "replay $N: peak RSS $KB_BIG kB <= $REPLAY_MAX_KB kB" ||
	fail "replay $N: peak RSS $KB_BIG kB > $REPLAY_MAX_KB kB"
[ "$KB_BIG" -le $((KB_SMALL + GROWTH_MAX_KB)) ] &&
	pass "memory does not grow with input ($KB_SMALL kB -> $KB_BIG kB)" ||
	fail "memory grows with input: $KB_SMALL kB for $small lines, $KB_BIG kB for $N"
# The caps were hit, and said so.
grep -q "rule m.groups: more than 1024 groups" "$T/err.$N" &&
	pass "group cap logged" || fail "group cap not logged: $(head -5 "$T/err.$N")"
grep -qE "rule m\.groups: [1-9][0-9]* groups or values forgotten at the memory caps" "$T/out.$N" &&
	pass "the report counts what the cap forgot" ||
	fail "no eviction count in the report: $(grep -i forgotten "$T/out.$N")"
grep -q "more than 1024 distinct values in one group" "$T/err.$N" &&
	pass "distinct-value cap logged" ||
	fail "value cap not logged: $(head -5 "$T/err.$N")"
grep -qE '^ +[0-9]+ +1 +warning +m\.values$' "$T/out.$N" &&
	pass "capped distinct rule still fires" ||
	fail "m.values: $(grep m.values "$T/out.$N")"

# The daemon's driver: `breaker watch`, default policy, observe mode.
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
rchar() { sed -n 's/^rchar: //p' "/proc/$1/io"; }
touch "$T/engine.log" "$T/access.log"
cat >"$T/config.json" <<J
{"version": 1, "sources": {
  "engine": {"path": "$T/engine.log", "format": "jsonl"},
  "firewall": {"path": "$T/access.log", "format": "squid"}}}
J
"$B" watch --config "$T/config.json" --observe --state-dir "$T/state" \
    >"$T/watch.out" 2>"$T/watch.err" &
BG=$!
for ((i = 0; i < 100; i++)); do
	grep -q watching "$T/watch.out" "$T/watch.err" 2>/dev/null && break
	sleep 0.1
done
sleep 0.5
R0=$(rss "$BG")
echo "watch: VmRSS ${R0:-?} kB after start"
[ -n "$R0" ] && [ "$R0" -le "$DAEMON_MAX_KB" ] &&
	pass "watch after start: $R0 kB <= $DAEMON_MAX_KB kB" ||
	fail "watch after start: ${R0:-?} kB"
# A flood (a tenth of N) and the engine fixtures; wait until all is read.
before=$(rchar "$BG")
gen "$small" >>"$T/access.log"
cat "$FX"/codex-events.jsonl "$FX"/codex-401-missing-bearer.log >>"$T/engine.log"
want=$((before + $(stat -c %s "$T/access.log") + $(stat -c %s "$T/engine.log")))
for ((i = 0; i < 1200; i++)); do
	[ "$(rchar "$BG")" -ge "$want" ] && break
	sleep 0.1
done
sleep 1
R1=$(rss "$BG")
HWM=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$BG/status")
echo "watch: VmRSS ${R1:-?} kB (peak ${HWM:-?} kB) after $small flood lines"
[ -n "$R1" ] && [ "$R1" -le "$DAEMON_MAX_KB" ] &&
	pass "watch after the flood: $R1 kB <= $DAEMON_MAX_KB kB" ||
	fail "watch after the flood: ${R1:-?} kB > $DAEMON_MAX_KB kB"
grep -q "verdict 1" "$T/watch.out" && pass "watch saw the flood" ||
	fail "watch: no verdict: $(tail -3 "$T/watch.out")"
kill -TERM "$BG"
for ((i = 0; i < 100; i++)); do kill -0 "$BG" 2>/dev/null || break; sleep 0.1; done
wait "$BG" 2>/dev/null
BG=

# Verdicts per job. A rule grouped by a value from the log fires once per
# group, so a hostile engine log naming ever new MCP servers (the default
# policy's codex.mcp.failed) makes one verdict per line: kept in memory,
# persisted as a file, logged — unless capped (PIPELINE_MAX_RULE_VERDICTS,
# 100 per rule, in include/pipeline.h).
nv=$((N / 100))
python3 -c "
import sys
for i in range($nv): sys.stdout.write('ERROR: mcp: srv%d failed: boom\\n' % i)" \
    >"$T/mcp.log"
/usr/bin/time -f 'maxrss_kb=%M' -o "$T/time.mcp" "$B" replay --json \
    --source engine="$T/mcp.log" >"$T/mcp.json" 2>"$T/mcp.err"
got=$(python3 -c 'import json, sys
print(len(json.load(open(sys.argv[1]))["verdicts"]))' "$T/mcp.json" 2>/dev/null)
echo "verdict flood: $nv distinct MCP failures -> ${got:-?} verdicts," \
    "max RSS $(sed -n 's/^maxrss_kb=//p' "$T/time.mcp") kB"
if [ "${got:-0}" -eq 100 ] && grep -q "verdict cap reached" "$T/mcp.err"; then
	pass "verdicts capped: $got for $nv lines, and said so"
else
	fail "verdicts not capped at 100 per rule (${got:-?} for $nv lines)"
fi

finish
