#!/bin/bash
# Build breaker with ASan+UBSan and run the whole test suite: unit (cmocka),
# integration (the simulated runner), end-to-end (real engine CLIs, real
# Squid), the fuzz targets for a bounded time, and the static analysers.
# Ends with one line: "tests: N passed, M failed[, K skipped]".
#
# Environment: BREAKER_TEST_BUILD (build dir, default build-test),
# BREAKER_NOGITHUB_BUILD (the -Dgithub=disabled build, default
# build-nogithub),
# BREAKER_FUZZ_SECONDS (per fuzz target, default 30),
# BREAKER_SUITES (space-separated meson suites to run; default all).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BREAKER_TEST_BUILD:-$root/build-test}
fuzzbuild=${BREAKER_FUZZ_BUILD:-$root/build-fuzz}
jobs=${BREAKER_TEST_JOBS:-2}
failed_builds=0
# Stale logs from an earlier run must never be counted.
nonroot_log=$build/meson-logs/nonroot.json
rm -f "$build/meson-logs/testlog.json" "$fuzzbuild/meson-logs/testlog.json" \
    "$nonroot_log"

configure() {	# dir, options...
	local dir=$1; shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$root" "$@" >/dev/null
	else
		meson setup "$dir" "$root" "$@" >/dev/null
	fi
}

echo "== building with ASan and UBSan in $build"
if ! configure "$build" -Dwerror=true -Db_sanitize=address,undefined -Dbuildtype=debug \
    || ! meson compile -C "$build" -j "$jobs"; then
	echo "tests: build failed"
	failed_builds=$((failed_builds + 1))
fi

suites=()
for s in ${BREAKER_SUITES:-}; do suites+=(--suite "$s"); done

if [ "$failed_builds" -eq 0 ]; then
	echo "== meson test"
	meson test -C "$build" --print-errorlogs --num-processes "$jobs" \
	    "${suites[@]}"
	# The permission branches: the unit suite again as an unprivileged user.
	if [ -z "${BREAKER_SUITES:-}" ] || [[ " ${BREAKER_SUITES} " == *" unit "* ]]; then
		bash "$root/tests/nonroot.sh" "$build" "$nonroot_log"
	fi
fi

# The build without the GitHub client (-Dgithub=disabled): compile only
# (about 40 s), plus its seccomp table's claim of no socket or connect.
nogithub=${BREAKER_NOGITHUB_BUILD:-$root/build-nogithub}
if [ -z "${BREAKER_SUITES:-}" ]; then
	echo "== building without the GitHub client in $nogithub"
	if ! configure "$nogithub" -Dwerror=true -Dgithub=disabled -Dtests=false \
	    -Dbuildtype=debug || ! meson compile -C "$nogithub" -j "$jobs" ||
	    ! "$nogithub/breaker" check --sandbox | grep -q "no socket or connect"; then
		echo "tests: the -Dgithub=disabled build failed"
		failed_builds=$((failed_builds + 1))
	fi
fi

# Fuzz targets need clang's libFuzzer: a build of their own.
if [ -z "${BREAKER_SUITES:-}" ] || [[ " ${BREAKER_SUITES} " == *" fuzz "* ]]; then
	if ! command -v clang >/dev/null 2>&1; then
		# No clang, no libFuzzer: counted as one skipped test, never silent.
		echo "== fuzz targets: skipped (clang not found)"
		mkdir -p "$fuzzbuild/meson-logs"
		echo '{"name": "fuzz", "result": "SKIP"}' \
		    >"$fuzzbuild/meson-logs/testlog.json"
	elif [ -f "$root/tests/fuzz/meson.build" ]; then
		echo "== fuzz targets (clang libFuzzer) in $fuzzbuild"
		if CC=clang configure "$fuzzbuild" -Dwerror=true -Dfuzz=true -Dtests=false \
		    -Db_sanitize=address,undefined -Db_lundef=false \
		    && meson compile -C "$fuzzbuild" -j "$jobs"; then
			meson test -C "$fuzzbuild" --suite fuzz --print-errorlogs \
			    --num-processes "$jobs"
		else
			failed_builds=$((failed_builds + 1))
		fi
	fi
fi

# One closing line, counted from meson's own logs.
python3 - "$failed_builds" "$build/meson-logs/testlog.json" \
    "$fuzzbuild/meson-logs/testlog.json" "$nonroot_log" <<'PY'
import json, os, sys
failed_builds = int(sys.argv[1])
passed = failed = skipped = 0
for path in sys.argv[2:]:
    if not os.path.exists(path):
        continue
    for line in open(path):
        try:
            r = json.loads(line)["result"]
        except (ValueError, KeyError):
            continue
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
failed += failed_builds
tail = ", %d skipped" % skipped if skipped else ""
print("tests: %d passed, %d failed%s" % (passed, failed, tail))
sys.exit(1 if failed or passed == 0 else 0)
PY
