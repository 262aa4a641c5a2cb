#!/bin/bash
# run_fuzz.sh EXE NAME BUILDDIR: one fuzz target as a test.
#  1. every file in regressions/NAME/ is run once (a past crasher must stay
#     fixed);
#  2. the target fuzzes a copy of corpus/NAME/ in a temporary directory (the
#     source tree is never written) for $BREAKER_FUZZ_SECONDS seconds.
# A crash, leak, timeout (10 s per input) or RSS over 2 GiB fails the test;
# the input is kept in BUILDDIR/artifacts/NAME/ and printed in hex, to be
# added to regressions/NAME/ once understood.
set -u
exe=$1 name=$2 build=$3
here=$(cd "$(dirname "$0")" && pwd)
secs=${BREAKER_FUZZ_SECONDS:-30}
case $secs in ''|*[!0-9]*) echo "BREAKER_FUZZ_SECONDS: not a number"; exit 1;; esac
# Outside meson too, undefined behaviour must stop the run (and fail).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
opts=(-rss_limit_mb=2048 -timeout=10)
[ -f "$here/$name.dict" ] && opts+=("-dict=$here/$name.dict")

work=$(mktemp -d "${TMPDIR:-/tmp}/breaker-fuzz-$name.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/artifacts"

keep() {	# save and show what crashed
	local f
	mkdir -p "$build/artifacts/$name"
	for f in "$work/artifacts"/*; do
		[ -f "$f" ] || continue
		cp "$f" "$build/artifacts/$name/"
		echo "== crasher kept: $build/artifacts/$name/$(basename "$f")"
		od -A d -c "$f" | head -40
	done
}

shopt -s nullglob
regs=("$here/regressions/$name"/*)
if [ "${#regs[@]}" -gt 0 ]; then
	echo "== $name: replaying ${#regs[@]} regression input(s)"
	if ! timeout -k 5 300 "$exe" "${opts[@]}" "${regs[@]}" \
	    >"$work/replay.log" 2>&1; then
		tail -n 60 "$work/replay.log"
		echo "FAIL: a regression input of $name fails again"
		exit 1
	fi
fi

seeds=("$here/corpus/$name"/*)
[ "${#seeds[@]}" -gt 0 ] && cp "${seeds[@]}" "$work/corpus/"
echo "== $name: fuzzing for ${secs}s over ${#seeds[@]} seed(s)"
timeout -k 10 $((secs + 120)) "$exe" "${opts[@]}" \
    -max_total_time="$secs" -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/fuzz.log" 2>&1
rc=$?
grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|#[0-9]+.*DONE' \
    "$work/fuzz.log" | tail -n 4
if [ "$rc" -ne 0 ]; then
	tail -n 80 "$work/fuzz.log"
	keep
	echo "FAIL: fuzz_$name exited $rc"
	exit 1
fi
echo "PASS: fuzz_$name"
