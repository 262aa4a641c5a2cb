#!/bin/bash
# The representative paths under valgrind (memcheck): replay over the
# fixtures, check (good, broken, --sandbox), tail for a few lines, and watch
# seeing a fatal line (observe mode) then stopped by SIGTERM. Every run must
# end with "ERROR SUMMARY: 0 errors" and no definitely lost block.
#
# valgrind and ASan do not mix: when $BREAKER_BIN is a sanitizer build, a
# plain build is made (or reused) in $BREAKER_VALGRIND_BUILD, default
# $BREAKER_BUILD_ROOT/../build-valgrind (only the binary; bounded by timeout).
set -u
SRC=${BREAKER_SOURCE_ROOT:?}
BROOT=${BREAKER_BUILD_ROOT:?}
B=${BREAKER_BIN:?}
FX=$BREAKER_SOURCE_ROOT/tests/fixtures/shared
REAL=$SRC/tests/fixtures/real
command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed"; exit 77; }

. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"

. "$SRC/tests/integration/plain-build.sh"
B=$(plain_breaker "$B") || { echo "FAIL: cannot build a plain breaker"; exit 1; }
echo "binary: $B"

T=$(mktemp -d /tmp/breaker-valgrind-XXXXXX)
VG=(valgrind --suppressions="$SRC/tests/integration/valgrind.supp"
    --leak-check=full --show-leak-kinds=definite
    --errors-for-leak-kinds=definite)
BG=
cleanup() {
	[ -n "$BG" ] && kill -KILL "$BG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
n=0

# vg NAME EXPECTED-RC ARGS…: one run under memcheck, then its verdict.
vg() {
	local name=$1 want=$2 rc; shift 2
	n=$((n + 1))
	timeout -k 5 300 "${VG[@]}" --error-exitcode=99 --log-file="$T/vg.$n.log" "$B" "$@" >"$T/out.$n" 2>&1
	rc=$?
	vg_verdict "$name" "$T/vg.$n.log"
	[ "$rc" = "$want" ] && pass "$name: exit $rc" ||
		fail "$name: exit $rc, wanted $want: $(tail -5 "$T/out.$n")"
}

vg_verdict() {	# NAME LOG
	if grep -q "ERROR SUMMARY: 0 errors" "$2" &&
	    ! grep -qE "definitely lost: [1-9]" "$2"; then
		pass "$1: valgrind clean"
	else
		fail "$1: valgrind: $(grep -E 'ERROR SUMMARY|definitely lost' "$2")"
		sed -n '1,80p' "$2"
	fi
}

# replay: the default policy over real fixtures, text and --json.
vg "replay codex 401" 1 replay --source engine="$FX/codex-401-missing-bearer.log" \
    --source firewall="$FX/squid-access.log"
vg "replay --json" 1 replay --json --source engine="$FX/codex-401-seed-issue.log"
vg "replay claude 401" 1 replay --source engine="$REAL/claude-401.log"
vg "replay quiet" 0 replay --source engine="$REAL/codex-ok.log" \
    --source firewall="$FX/squid-access.log"

# check: the embedded policy, a broken file, the sandbox table.
vg "check" 0 check
printf '{"version": 1, "rules": [{"id": "x", "match": {"regex": "("}}]}\n' \
    >"$T/broken.json"
vg "check broken" 2 check "$T/broken.json"
vg "check --sandbox" 0 check --sandbox

# bg_vg NAME ARGS…: start under valgrind in the background.
bg_vg() {
	shift
	n=$((n + 1))
	BGLOG=$T/vg.$n.log BGOUT=$T/out.$n
	"${VG[@]}" --log-file="$BGLOG" "$B" "$@" >"$BGOUT" 2>&1 &
	BG=$!
}

# wait_for FILE PATTERN SECONDS
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

stop_bg() {	# NAME: SIGTERM, bounded wait, then judge the log
	local i
	kill -TERM "$BG" 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		kill -0 "$BG" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$BG" 2>/dev/null; then
		fail "$1: still running 30 s after SIGTERM"
		kill -KILL "$BG"
	fi
	wait "$BG" 2>/dev/null
	BG=
	vg_verdict "$1" "$BGLOG"
}

# tail: a few lines, one added later, then SIGTERM.
printf 'one\ntwo\r\nthree\n' >"$T/t.log"
bg_vg "tail" tail --from-start "$T/t.log"
wait_for "$BGOUT" three 60 && pass "tail: lines delivered" ||
	fail "tail: $(cat "$BGOUT")"
echo "four" >>"$T/t.log"
wait_for "$BGOUT" four 30 && pass "tail: appended line" ||
	fail "tail: no appended line: $(cat "$BGOUT")"
stop_bg "tail"

# watch: observe mode, a fatal line arrives, a verdict is written.
touch "$T/engine.log" "$T/access.log"
cat >"$T/config.json" <<J
{"version": 1, "sources": {
  "engine": {"path": "$T/engine.log", "format": "jsonl"},
  "firewall": {"path": "$T/access.log", "format": "squid"}}}
J
bg_vg "watch" watch --config "$T/config.json" --observe --state-dir "$T/state"
wait_for "$BGOUT" "watching" 60 || fail "watch: not started: $(cat "$BGOUT")"
cat "$FX/codex-401-missing-bearer.log" >>"$T/engine.log"
tail -n 3 "$FX/squid-access.log" >>"$T/access.log"
wait_for "$BGOUT" "verdict 1" 60 && pass "watch: fatal line seen" ||
	fail "watch: no verdict: $(cat "$BGOUT")"
stop_bg "watch"
ls "$T"/state/*/verdict-*.json >/dev/null 2>&1 && pass "watch: verdict file" ||
	fail "watch: no verdict file in $T/state"

finish
