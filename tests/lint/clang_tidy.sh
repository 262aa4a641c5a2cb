#!/bin/bash
# clang-tidy over agent/*.c with the repository's .clang-tidy, using the
# build's compile_commands.json. Fails on ANY finding: a reviewed false
# positive is silenced at its line, `/* NOLINTNEXTLINE(check) */` under a
# comment that says why, so an exception can never absorb a new finding of
# the same kind elsewhere in the file. Skips (77) only when clang-tidy is
# not installed.
set -u
root=${BREAKER_SOURCE_ROOT:?}
build=${BREAKER_BUILD_ROOT:?}
command -v clang-tidy >/dev/null || { echo "SKIP: clang-tidy not installed"; exit 77; }
[ -f "$build/compile_commands.json" ] || { echo "FAIL: no compile_commands.json in $build"; exit 1; }
cd "$root" || exit 1

out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Two at a time: the machines running CI are small. The sanitizer flags in
# the compile database are harmless to clang-tidy.
ls agent/*.c | timeout 1500 xargs -P2 -n1 clang-tidy -p "$build" --quiet \
    >"$out" 2>&1
rc=$?
[ "$rc" -eq 124 ] && { echo "FAIL: clang-tidy timed out"; exit 1; }

# "…/agent/x.c:12:3: error: message [check,-warnings-as-errors]"
found=$(grep -cE "^.*\.[ch]:[0-9]+:[0-9]+: (warning|error):" "$out")
echo "clang-tidy: $found finding(s)"
if [ "$found" -gt 0 ]; then
	echo "FAIL: clang-tidy findings (fix them, or silence a reviewed false"
	echo "positive at its line with a reason and NOLINTNEXTLINE(check)):"
	grep -E "(warning|error):" "$out" | head -n 60
	exit 1
fi
# A compiler error (not a check) also fails, as does clang-tidy itself failing.
if [ "$rc" -ne 0 ] || grep -qE "clang-diagnostic-error|error: unable to|Error while processing" "$out"; then
	head -n 30 "$out"
	echo "FAIL: clang-tidy could not process a file (exit $rc)"
	exit 1
fi
echo "PASS"
