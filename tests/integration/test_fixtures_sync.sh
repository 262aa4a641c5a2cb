#!/bin/bash
# The vendored field fixtures must stay byte-identical to the team's copy
# (../shared/fixtures beside the repository), which CI lays beside the clone.
set -u
SRC=${BREAKER_SOURCE_ROOT:?}
theirs=$SRC/../shared/fixtures
ours=$SRC/tests/fixtures/shared
if [ ! -d "$theirs" ]; then
	echo "SKIP: no team fixtures at $theirs to compare with"
	exit 77
fi
if ! diff -r "$theirs" "$ours"; then
	echo "FAIL: tests/fixtures/shared differs from $theirs"
	exit 1
fi
echo "ok: $(ls "$ours" | wc -l) fixture files identical"
