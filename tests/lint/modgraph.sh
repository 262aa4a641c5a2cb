#!/bin/bash
# modgraph.sh: the link graph between agent/ modules, from the objects of
# the core library (module A -> B when A.o uses a symbol B.o defines), and
# a check that it has no cycle (tsort(1) names any loop). Print the edges
# with `bash tests/lint/modgraph.sh -p`.
#
# A module is a family of files: X_Y.c belongs to module X when agent/X.c
# exists (policy_json.c, policy_rule.c … are module policy, and may call
# each other through their private header), else it is a module of its own
# (cmd_replay.c: there is no cmd.c).
set -eu
root=${BREAKER_SOURCE_ROOT:-.}
build=${BREAKER_BUILD_ROOT:-build}
dir=$build/agent/libbreaker_core.a.p
[ -d "$dir" ] || { echo "modgraph: no objects in $dir (build first)"; exit 77; }
defs=$(mktemp) edges=$(mktemp)
trap 'rm -f "$defs" "$edges"' EXIT
module() {
	local f=$1
	[ "${f#*_}" != "$f" ] && [ -f "$root/agent/${f%%_*}.c" ] && f=${f%%_*}
	echo "$f"
}
for o in "$dir"/*.o; do
	nm --defined-only -g "$o" |
	    awk -v m="$(module "$(basename "$o" .c.o)")" 'NF == 3 {print $3, m}'
done | sort > "$defs"
for o in "$dir"/*.o; do
	nm -u "$o" | awk -v m="$(module "$(basename "$o" .c.o)")" '{print $2, m}'
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
