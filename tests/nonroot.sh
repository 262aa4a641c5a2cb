#!/bin/bash
# The unit suite once more as an unprivileged user. CI runs as root, so the
# branches that handle "permission denied" (a file the daemon may not read, a
# process it may not signal) would otherwise never run there.
#
# Usage: tests/nonroot.sh BUILD_DIR RESULTS_FILE
# Copies the source tree and the unit test programs (linked statically against
# breaker's core) to a world-readable temporary directory, runs each program as
# `nobody`, and appends one JSON line per program to RESULTS_FILE in the shape
# of meson's testlog.json ({"name", "result"}), so the closing count includes
# them. Not root, or no `nobody`/runuser: every program is recorded as SKIP.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$1
results=$2
user=${BREAKER_NONROOT_USER:-nobody}

record() {	# name, result
	printf '{"name": "nonroot/%s", "result": "%s"}\n' "$1" "$2" >>"$results"
}

progs=("$build"/tests/unit/test_*)
if [ "$(id -u)" -ne 0 ] || ! command -v runuser >/dev/null 2>&1 ||
    ! id -u "$user" >/dev/null 2>&1; then
	for p in "${progs[@]}"; do
		[ -x "$p" ] && [ -f "$p" ] && record "$(basename "$p")" SKIP
	done
	echo "== non-root unit leg: skipped (needs root to switch to $user)"
	exit 0
fi

tmp=$(mktemp -d /tmp/breaker-nonroot.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src" "$tmp/bin"
# The tree without its build directories: tests read policies and samples.
tar -C "$root" --exclude='./build*' --exclude='./.git' -cf - . |
	tar -C "$tmp/src" -xf -
for p in "${progs[@]}"; do
	[ -x "$p" ] && [ -f "$p" ] && cp "$p" "$tmp/bin/"
done
chmod -R a+rX "$tmp"

echo "== non-root unit leg: as $user"
for p in "$tmp"/bin/test_*; do
	name=$(basename "$p")
	if (cd "$tmp/src/tests/unit" &&
	    runuser -u "$user" -- env -i PATH=/usr/bin:/bin HOME=/tmp \
	    BREAKER_SOURCE_ROOT="$tmp/src" BREAKER_BUILD_ROOT="$build" \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    timeout 300 "$p") >"$tmp/$name.log" 2>&1; then
		record "$name" OK
		echo "ok     $name"
	else
		rc=$?
		if [ "$rc" -eq 77 ]; then
			record "$name" SKIP
			echo "skip   $name"
		else
			record "$name" FAIL
			echo "FAIL   $name (exit $rc)"
			tail -n 30 "$tmp/$name.log"
		fi
	fi
done
