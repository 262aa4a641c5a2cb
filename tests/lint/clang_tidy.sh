#!/bin/bash
# clang-tidy over agent/*.c with the repository's .clang-tidy, using the
# build's compile_commands.json. Fails on any finding that is not listed
# (file and check) in tests/lint/clang-tidy-known.txt. Skips (77) only when
# clang-tidy is not installed.
set -u
root=${BREAKER_SOURCE_ROOT:?}
build=${BREAKER_BUILD_ROOT:?}
command -v clang-tidy >/dev/null || { echo "SKIP: clang-tidy not installed"; exit 77; }
[ -f "$build/compile_commands.json" ] || { echo "FAIL: no compile_commands.json in $build"; exit 1; }
cd "$root" || exit 1

out=$(mktemp) known=$(mktemp) found=$(mktemp)
trap 'rm -f "$out" "$known" "$found"' EXIT
# Two at a time: the machines running CI are small. The sanitizer flags in
# the compile database are harmless to clang-tidy.
ls agent/*.c | timeout 1500 xargs -P2 -n1 clang-tidy -p "$build" --quiet \
    >"$out" 2>&1
rc=$?
[ "$rc" -eq 124 ] && { echo "FAIL: clang-tidy timed out"; exit 1; }

# "…/agent/x.c:12:3: error: message [check,-warnings-as-errors]"
sed -nE 's#^.*(agent/[A-Za-z0-9_]+\.c):([0-9]+):[0-9]+: (warning|error): .* \[([A-Za-z0-9.-]+)(,-warnings-as-errors)?\]$#\1 \4 \2#p' \
    "$out" | sort -u >"$found"
grep -vE '^[[:space:]]*(#|$)' tests/lint/clang-tidy-known.txt |
    awk '{ print $1, $2 }' | sort -u >"$known"

new=$(awk 'NR == FNR { k[$1 " " $2] = 1; next } !(($1 " " $2) in k)' \
    "$known" "$found")
stale=$(awk 'NR == FNR { f[$1 " " $2] = 1; next } !(($1 " " $2) in f)' \
    "$found" "$known")
echo "clang-tidy: $(wc -l <"$found") finding(s), $(wc -l <"$known") known pair(s)"
[ -n "$stale" ] && printf 'known but no longer found (remove from the list):\n%s\n' "$stale"
if [ -n "$new" ]; then
	echo "FAIL: new clang-tidy findings (file check line):"
	echo "$new"
	grep -E "(warning|error):" "$out" | head -n 60
	exit 1
fi
# A compiler error (not a check) also fails.
if grep -qE "clang-diagnostic-error|error: unable to|Error while processing" "$out"; then
	grep -E "clang-diagnostic-error|error: unable to|Error while processing" "$out" | head
	echo "FAIL: clang-tidy could not process a file"
	exit 1
fi
echo "PASS"
