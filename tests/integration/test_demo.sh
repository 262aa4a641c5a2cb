#!/bin/bash
# Issue 2: `breaker demo --fast` tells the #26929 story on its own (no
# root, no network, from any directory): the fatal line, when breaker
# stopped the engine, the annotation the job would show, the time saved.
set -euo pipefail
BIN=${BREAKER_BIN:?}
out=$(cd / && env -u BREAKER_CONFIG -u BREAKER_STATE_DIR "$BIN" demo --fast 2>&1) || {
	echo "FAIL: breaker demo exited $?"; echo "$out"; exit 1; }
echo "$out"
fail=0
check() { if echo "$out" | grep -qE "$1"; then echo "ok: $2"; else echo "FAIL: $2"; fail=1; fi; }
check 'unexpected status 401 Unauthorized: Missing bearer' "shows the fatal line"
check 'breaker stopped the engine [0-9]+ ms after that line' "says when the engine was stopped"
check '^  ::error title=breaker%3A .*401' "shows the annotation"
check '^time saved: 9m [0-9]{2}s' "shows the time saved against the 10-minute burn"
ms=$(echo "$out" | sed -n 's/.*stopped the engine \([0-9]*\) ms after.*/\1/p')
if [ -n "$ms" ] && [ "$ms" -lt 1000 ]; then echo "ok: cut $ms ms after the line"; else
	echo "FAIL: cut ${ms:-?} ms after the line"; fail=1; fi

# Issue 13: with --api-proxy the first certain sign is the api-proxy's record
# of the provider's 401, and the verdict comes from that source.
out=$(cd / && env -u BREAKER_CONFIG -u BREAKER_STATE_DIR "$BIN" demo --fast --api-proxy 2>&1) || {
	echo "FAIL: breaker demo --api-proxy exited $?"; echo "$out"; exit 1; }
echo "$out"
check 'api-proxy recorded the provider.s answer to the first request' "api-proxy: shows the record's line"
check '^  ::error title=breaker%3A .*Rule api-proxy\.auth\.refused \(fatal\) fired on api-proxy line 1' \
    "api-proxy: the verdict comes from the api-proxy source, its first line"
check 'breaker stopped the engine [0-9]+ ms after that line' "api-proxy: says when the engine was stopped"
[ "$fail" = 0 ] && echo PASS
exit "$fail"
