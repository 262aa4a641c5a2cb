#!/usr/bin/env bash
# Replay over history at fleet scale (run by hand; not a test): N synthetic
# run folders (default 1,000) built by tests/integration/mkruns.py from real
# lines — a third each in the `gh aw logs` layout with step logs, without
# them, and the `gh run download` layout; six engine logs, doomed and
# healthy — then `breaker replay DIR` timed, best of RUNS (default 3).
#
#   tests/bench/history_bench.sh [BREAKER_BINARY] [N]
#
# Build breaker without sanitizers for numbers that mean something:
#   meson setup build-release --buildtype=release -Dtests=false
#   meson compile -C build-release breaker
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
bin=${1:-$src/build-release/breaker}
n=${2:-1000}
runs=${RUNS:-3}
[ "$n" -ge 1 ] && [ "$n" -le 20000 ] || { echo "N: 1 to 20000" >&2; exit 2; }
[ -x "$bin" ] || { echo "no breaker binary at $bin" >&2; exit 2; }
dir=$(mktemp -d /tmp/breaker-history-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT

python3 - "$src" "$dir/runs" "$n" <<'PY'
import runpy, sys
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
S, F = src + "/tests/samples", src + "/tests/fixtures/shared"
specs = [("codex", "failure", F + "/codex-401-missing-bearer.log"),
         ("codex", "success", S + "/codex-reconnect-recovers.log"),
         ("claude", "failure", S + "/claude-auth.jsonl"),
         ("claude", "success", S + "/claude-overloaded.jsonl"),
         ("copilot", "failure", F + "/copilot.log"),
         ("gemini", "success", S + "/gemini-rate-limit.jsonl")]
mk = runpy.run_path(src + "/tests/integration/mkruns.py")
for i in range(n):
    engine, conclusion, log = specs[i % len(specs)]
    layout = ("ghaw", "ghaw-nolog", "download")[i % 3]
    sys.argv = ["mkruns", out, "run-%d" % (100000 + i), layout, engine,
                conclusion, log, F + "/squid-access.log"]
    mk["main"]()
PY
echo "$n runs, $(du -sh "$dir/runs" | cut -f1)"
for _ in $(seq "$runs"); do
	/usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB max RSS" \
	    "$bin" replay "$dir/runs" >"$dir/out" 2>"$dir/time" || true
	tail -1 "$dir/time"
done
tail -6 "$dir/out"
