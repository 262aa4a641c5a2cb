#!/bin/bash
# `breaker tail` as a user meets it: usage errors, lines exactly as
# delivered (with a "NAME: " prefix when there are several files), read
# from the end of files that exist and from the head of files that appear,
# the partial-line flush, the forced polling backend, per-file counters on
# SIGUSR1 and at exit, and the idle cost of following two quiet files.
set -u

BIN=${BREAKER_BIN:?BREAKER_BIN is not set}
T=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$T"/*.out "$T"/*.err; do
		[ -s "$f" ] && { echo "--- $f"; tail -n 15 "$f"; }
	done
	exit 1
}

# wait_for FILE PATTERN: bounded wait for a line matching PATTERN.
wait_for() {
	for _ in $(seq 1 100); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "'$2' never appeared in $1"
}

# start NAME ARGS...: run breaker tail in the background.
start() {
	local name=$1
	shift
	start_cmd "$name" "$BIN" tail "$@"
}

# start_cmd NAME COMMAND...: the same for a command that execs it.
start_cmd() {
	local name=$1
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.err" &
	pids+=($!)
	pid=$!
	# Logged once every file is added (signal handlers follow at once).
	wait_for "$T/$name.err" "tail: following "
	sleep 0.05
}

stop() {
	kill -TERM "$1"
	wait "$1"
}

# --- usage -----------------------------------------------------------------
"$BIN" tail >/dev/null 2>&1
[ $? -eq 2 ] || fail "no FILE should be a usage error (2)"
"$BIN" tail --flush-ms nope "$T/x" >/dev/null 2>&1
[ $? -eq 2 ] || fail "a bad --flush-ms should be a usage error (2)"

# --- one file: from its end, no prefix, exact bytes -------------------------
printf 'old line\n' >"$T/one.log"
start one "$T/one.log"
printf 'new line\n::error::not a command\ttab  \n' >>"$T/one.log"
wait_for "$T/one.out" "tab"
stop "$pid" || fail "tail exited non-zero"
printf 'new line\n::error::not a command\ttab  \n' | cmp -s - "$T/one.out" ||
	fail "one file: output is not exactly the new lines"
grep -q "^tail-stats .*lines=2 .*name=$T/one.log\$" "$T/one.err" ||
	fail "one file: no per-file counters at exit"

# --- in a workflow step, the runner must not read log lines as commands ----
: >"$T/gh.log"
GITHUB_ACTIONS=true start gh "$T/gh.log"
printf '::add-mask::x\n' >>"$T/gh.log"
wait_for "$T/gh.out" "add-mask"
stop "$pid"
token=$(sed -n '1s/^::stop-commands::\([0-9a-f]\{32\}\)$/\1/p' "$T/gh.out")
[ -n "$token" ] || fail "no ::stop-commands:: with a fresh token first"
[ "$(sed -n 2p "$T/gh.out")" = "::add-mask::x" ] || fail "line not exact"
[ "$(sed -n 3p "$T/gh.out")" = "::$token::" ] ||
	fail "commands not turned back on at exit"

# --- --from-start, several files: prefixed, each in order --------------------
printf 'a1\n' >"$T/a.log"
start multi --from-start "$T/a.log" "$T/b.log"
wait_for "$T/multi.out" "a1"
mkdir -p "$T"
printf 'b1\nb2\n' >>"$T/b.log"
printf 'a2\n' >>"$T/a.log"
wait_for "$T/multi.out" "b2"
wait_for "$T/multi.out" "a2"
kill -USR1 "$pid"
wait_for "$T/multi.err" "tail-stats .*name=$T/b.log"
kill -0 "$pid" || fail "SIGUSR1 must not stop it"
stop "$pid"
grep -qx "$T/a.log: a1" "$T/multi.out" || fail "no prefix on several files"
[ "$(grep -c "^$T/b.log: b[12]\$" "$T/multi.out")" -eq 2 ] ||
	fail "b.log lines missing or repeated"
[ "$(grep -c '^tail-stats ' "$T/multi.err")" -eq 4 ] ||
	fail "expected two files' counters twice (SIGUSR1, exit)"

# --- partial line flushed after the timeout, never twice ---------------------
: >"$T/p.log"
start partial --flush-ms 100 "$T/p.log"
printf 'no newline yet' >>"$T/p.log"
wait_for "$T/partial.out" "no newline yet"
printf ' and the rest\nnext\n' >>"$T/p.log"
wait_for "$T/partial.out" "next"
stop "$pid"
printf 'no newline yet\n and the rest\nnext\n' | cmp -s - "$T/partial.out" ||
	fail "partial line: flushed wrong or twice"

# --- forced polling backend, late file, rotation ------------------------------
start poll --poll "$T/later/p.log"
mkdir -p "$T/later"
printf 'polled\n' >>"$T/later/p.log"
wait_for "$T/poll.out" "polled"
mv "$T/later/p.log" "$T/later/p.log.1"
printf 'rotated\n' >>"$T/later/p.log"
wait_for "$T/poll.out" "rotated"
stop "$pid"
grep -q "rotations=1 .*backend=poll " "$T/poll.err" ||
	fail "poll backend: counters wrong"

# --- inotify unavailable / watch limit reached: polling, with a warning ------
# A user namespace has its own inotify limits, so they can be lowered for
# one process without touching the machine's.
if unshare -Ur true 2>/dev/null; then
	mkdir -p "$T/wl"
	: >"$T/wl/a.log"
	: >"$T/wl/b.log"
	start_cmd nowatch unshare -Ur sh -c 'echo 2 >/proc/sys/user/max_inotify_watches &&
		exec "$0" tail "$@"' "$BIN" "$T/wl/a.log" "$T/wl/b.log"
	printf 'a1\n' >>"$T/wl/a.log"
	printf 'b1\n' >>"$T/wl/b.log"
	wait_for "$T/nowatch.out" "b1"
	wait_for "$T/nowatch.out" "a1"
	stop "$pid"
	grep -q "watch limit reached.*falling back to polling" \
		"$T/nowatch.err" || fail "no warning for the watch limit"
	grep -q "backend=poll" "$T/nowatch.err" || fail "watch limit: not polling"

	start_cmd noinotify unshare -Ur sh -c \
		'echo 0 >/proc/sys/user/max_inotify_instances &&
		exec "$0" tail "$@"' "$BIN" "$T/wl/late.log"
	printf 'late\n' >>"$T/wl/late.log"
	wait_for "$T/noinotify.out" "late"
	stop "$pid"
	grep -q "inotify is unavailable.*falling back to polling" \
		"$T/noinotify.err" || fail "no warning for missing inotify"
else
	echo "note: no user namespaces here; inotify fallback not exercised"
fi

# --- idle cost: two quiet files, CPU time from /proc/PID/schedstat ---------
# The issue's bound: <= 10 ms of CPU over 60 s. Measured over the full 60 s:
# the reconcile timer backs off while quiet, so a shorter window scaled down
# would not be the same test. schedstat counts nanoseconds, not 10 ms ticks.
if [ -r /proc/self/schedstat ]; then
	printf 'x\n' >"$T/i1.log"
	printf 'y\n' >"$T/i2.log"
	start idle "$T/i1.log" "$T/i2.log"
	sleep 2
	read -r before _ wakes_before <"/proc/$pid/schedstat"
	sleep 60
	read -r after _ wakes_after <"/proc/$pid/schedstat"
	used=$(( (after - before) / 1000 ))
	echo "idle: ${used} us of CPU, $(( wakes_after - wakes_before ))" \
		"wake-ups in 60 s with two files"
	[ "$used" -le 10000 ] || fail "idle cost ${used} us per 60 s > 10 ms"
	stop "$pid"
else
	# Everything above passed; the idle bound could not be measured, and a
	# bound not measured is a skip, never a pass.
	echo "SKIP: no /proc/PID/schedstat, idle cost not measured"
	exit 77
fi
echo "PASS"
