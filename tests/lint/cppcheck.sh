#!/bin/bash
# cppcheck over agent/*.c: warnings, style, performance and portability,
# with the suppressions in tests/lint/cppcheck.supp (each with its reason).
# System headers are not analysed (slow, noisy), except the two whose
# macros the code is written in: sys/queue.h and cJSON's iteration macro.
set -u
root=${BREAKER_SOURCE_ROOT:?}
command -v cppcheck >/dev/null || { echo "SKIP: cppcheck not installed"; exit 77; }
cd "$root" || exit 1
queue=$(echo '#include <sys/queue.h>' | cpp -H -o /dev/null 2>&1 |
    awk '/queue\.h$/ { print $2; exit }')
cjson=$(pkg-config --variable=includedir libcjson 2>/dev/null)/cjson/cJSON.h
[ -f "$cjson" ] || cjson=/usr/include/cjson/cJSON.h
incs=()
[ -n "$queue" ] && [ -f "$queue" ] && incs+=("--include=$queue")
[ -f "$cjson" ] && incs+=("--include=$cjson")

timeout 900 cppcheck -q -j2 --std=c11 --inline-suppr --error-exitcode=1 \
    --enable=warning,style,performance,portability \
    --suppressions-list=tests/lint/cppcheck.supp \
    -I include -D_GNU_SOURCE -DBREAKER_VERSION='"lint"' "${incs[@]}" \
    agent/*.c
rc=$?
[ "$rc" -eq 0 ] && echo "PASS" || echo "FAIL: cppcheck found problems (rc $rc)"
exit "$rc"
