#!/bin/bash
# modgraph.sh: the link graph between agent/ modules, from the objects of
# the core library (module A -> B when A.o uses a symbol B.o defines), and
# a check that it has no cycle (tsort(1) names any loop). Print the edges
# with `bash tests/lint/modgraph.sh -p`.
set -eu
build=${BREAKER_BUILD_ROOT:-build}
dir=$build/agent/libbreaker_core.a.p
[ -d "$dir" ] || { echo "modgraph: no objects in $dir (build first)"; exit 77; }
defs=$(mktemp) edges=$(mktemp)
trap 'rm -f "$defs" "$edges"' EXIT
for o in "$dir"/*.o; do
	nm --defined-only -g "$o" |
	    awk -v m="$(basename "$o" .c.o)" 'NF == 3 {print $3, m}'
done | sort > "$defs"
for o in "$dir"/*.o; do
	nm -u "$o" | awk -v m="$(basename "$o" .c.o)" '{print $2, m}'
done | sort | join - "$defs" | awk '$2 != $3 {print $2, $3}' |
    sort -u > "$edges"
if [ "${1:-}" = -p ]; then
	cat "$edges"
fi
if ! tsort "$edges" > /dev/null; then
	echo "modgraph: the module graph has a cycle (above)"
	exit 1
fi
echo "modgraph: $(wc -l < "$edges") edges between modules, no cycle"
