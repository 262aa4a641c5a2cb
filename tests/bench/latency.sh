#!/bin/bash
# Detection latency, by hand (not a registered test: it measures, it does
# not judge). 1,000 fatal lines written one at a time; for each, the time
# from write(2) to a target process receiving the signal it caused; p50 and
# p99 for:
#
#   watch     `breaker watch` with a one-rule policy: tailer, pipeline,
#             verdict, stop ladder (SIGINT to a process named "codex").
#             It stops an engine once per job, so it is restarted for
#             every line (the time measured starts at the write, after
#             start-up). Skipped when `breaker watch` is not available.
#   tail      `breaker tail FILE | latency send`: the tailer's share, with
#             the smallest possible matcher and signal sender behind it.
#   pipeline  `tail -F FILE | grep --line-buffered FATAL | xargs kill`,
#             the shell one-liner an administrator would write instead.
#   tailF-grep  the same with `latency send` in place of xargs+kill(1),
#             so the tailers are compared with equal senders.
#
# usage: tests/bench/latency.sh [BREAKER_BINARY] [N]
# Build breaker without sanitizers for numbers that mean something:
#   meson setup build-rel -Dbuildtype=release && ninja -C build-rel
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
BREAKER=${1:-${BREAKER_BIN:-$HERE/../../build/breaker}}
N=${2:-1000}
[ -x "$BREAKER" ] || { echo "no breaker binary at $BREAKER"; exit 2; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cc -O2 -o "$T/latency" "$HERE/latency.c" || exit 2
# The target is this bench binary, under an engine's name.
cp "$T/latency" "$T/codex"
export RUNNER_TRACKING_ID="breaker-bench-$$"

declare -A result

measure() {
	local name=$1 mode=$2 pipeline=$3 file=$T/$1.log
	: >"$file"
	echo "== $name: $pipeline" | sed "s|$T|\$T|g"
	result[$name]=$(FILE=$file LAT=$T/latency BREAKER=$BREAKER \
		"$T/codex" "$mode" "$N" "$file" "$pipeline")
	echo "   ${result[$name]}"
}

# --- breaker watch, if this build has it ------------------------------------
if "$BREAKER" watch --help >/dev/null 2>&1; then
	cat >"$T/config.json" <<JSON
{
  "version": 1,
  "mode": "enforce",
  "sources": { "engine": { "path": "$T/watch.log", "format": "text" } },
  "actions": ["stop"],
  "stop": { "targets": ["codex"],
            "ladder": [ { "signal": "SIGINT", "wait": "10s" } ] },
  "sandbox": "off"
}
JSON
	cat >"$T/rules.json" <<'JSON'
{
  "version": 1,
  "rules": [ {
    "id": "bench.fatal",
    "title": "bench: a fatal line",
    "source": "engine",
    "severity": "fatal",
    "match": { "regex": "^FATAL" },
    "actions": ["stop"]
  } ]
}
JSON
	measure watch each "rm -rf \"$T/state\"; exec \"\$BREAKER\" watch \
--config \"$T/config.json\" --no-defaults --policy \"$T/rules.json\" \
--state-dir \"$T/state\" --tracking-id \"$RUNNER_TRACKING_ID\" \
>/dev/null 2>>\"$T/watch.err\""
	[ -n "${result[watch]}" ] || { echo "   (failed; see below)";
		tail -n 5 "$T/watch.err"; }
else
	echo "== watch: not available in this build, skipped"
fi

measure tail run 'exec "$BREAKER" tail "$FILE" 2>/dev/null |
	"$LAT" send "$TARGET_PID" FATAL'
measure pipeline run 'tail -n0 -F "$FILE" 2>/dev/null |
	grep --line-buffered FATAL | xargs -I{} kill -USR1 "$TARGET_PID"'
# The same without xargs' fork+exec of kill(1) per line: the fair
# comparison for the tailer alone.
measure tailF-grep run 'tail -n0 -F "$FILE" 2>/dev/null |
	grep --line-buffered FATAL | "$LAT" send "$TARGET_PID" FATAL'

# --- summary -----------------------------------------------------------------
field() { sed -n "s/.*$2=\([0-9]*\).*/\1/p" <<<"${result[$1]:-}"; }
echo
printf '%-10s %9s %9s %13s\n' path p50_us p99_us p99/pipeline
for k in watch tail pipeline tailF-grep; do
	[ -n "${result[$k]:-}" ] || continue
	p50=$(field "$k" p50_us)
	p99=$(field "$k" p99_us)
	ref=$(field pipeline p99_us)
	printf '%-10s %9s %9s %13s\n' "$k" "$p50" "$p99" \
		"$(awk -v a="$p99" -v b="$ref" 'BEGIN{ if (b > 0)
			printf "%.2f", a / b }')"
done
