#!/usr/bin/env bash
# Replay throughput, side by side, in one run (run by hand; not a test):
#   breaker replay with the whole default policy (release build, no sanitizers)
#   grep -E -c and grep -P -c with the policy's patterns joined into one alternation
#   fail2ban-regex with one failregex (any TCP_DENIED row), on a slice of the
#   access log (it is slow), scaled to MB/s
#
#   tests/bench/replay_bench.sh [MEGABYTES]      (default 200)
#
# Environment: BENCH_DIR (corpus and build, default /tmp/breaker-bench),
# BENCH_BUILD (release build dir, default <source>/build-rules-release),
# F2B_MB (fail2ban slice of the access log, default 40: all of it at 200 MB), RUNS (best of, default 3).
# The corpus is generated deterministically by gen_corpus.py and reused.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
mb=${1:-200}
dir=${BENCH_DIR:-/tmp/breaker-bench}
build=${BENCH_BUILD:-$src/build-rules-release}
f2b_mb=${F2B_MB:-40}
runs=${RUNS:-3}
policy=$src/policy/default.json
export LC_ALL=C	# grep's fast byte path; breaker's matching is bytewise too

mkdir -p "$dir"
if [ ! -f "$dir/corpus-$mb/engine.log" ]; then
	echo "generating a ${mb} MB corpus in $dir/corpus-$mb ..."
	python3 "$here/gen_corpus.py" "$dir/corpus-$mb" "$mb"
fi
engine=$dir/corpus-$mb/engine.log
access=$dir/corpus-$mb/access.log

if [ ! -d "$build" ]; then
	meson setup "$build" "$src" --buildtype=release -Db_sanitize=none \
	    -Db_ndebug=true >/dev/null
fi
ninja -C "$build" -j2 breaker >/dev/null
breaker=$build/breaker

bytes() { stat -c %s "$@" | awk '{s += $1} END {print s}'; }
# The machine is shared: time is CPU time (user + sys) of the command, the
# best of $runs runs, which other load disturbs far less than wall time.
# Output goes to a file, never /dev/null: GNU grep notices /dev/null and
# stops at the first match.
# cpu OUT CMD...: run CMD (stdout and stderr to OUT), print its user + sys
# CPU seconds with microsecond resolution (getrusage of the child).
cpu() {
	python3 -c 'import resource, subprocess, sys
def used():	# children already reaped count too (a pyenv shim has some)
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime
t = used()
r = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], "wb"), stderr=subprocess.STDOUT)
print("%.4f" % (used() - t))
sys.exit(0 if r.returncode <= 1 else r.returncode)' "$@"
}
best() {
	local b= d i
	for i in $(seq "$runs"); do
		d=$(cpu "$dir/cmd.out" "$@")
		b=$(awk -v b="$b" -v d="$d" 'BEGIN {print (b == "" || d < b) ? d : b}')
	done
	echo "$b"
}
mbps() { awk -v n="$1" -v t="$2" 'BEGIN {printf "%.1f", n / 1048576 / t}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

total=$(bytes "$engine" "$access")
lines=$(cat "$engine" "$access" | wc -l)
ere=$(python3 "$here/policy_patterns.py" "$policy" ere)
pcre=$(python3 "$here/policy_patterns.py" "$policy" pcre)
echo "corpus: $(mbps "$total" 1) MB, $lines lines; matching any pattern (grep -E):" \
    "$(cat "$engine" "$access" | grep -E -c -e "$ere")"

t_breaker=$(best "$breaker" replay --source "engine=$engine" --source "firewall=$access")
t_grep=$(best grep -E -c -e "$ere" "$engine" "$access")
t_grepp=$(best grep -P -c -e "$pcre" "$engine" "$access")

# fail2ban-regex: one failregex (the provider-denied rule) on the first
# F2B_MB of the access log, the shape fail2ban is built for.
slice=$dir/corpus-$mb/access-slice-$f2b_mb.log
head -c $((f2b_mb * 1048576)) "$access" | sed '$d' >"$slice"
sbytes=$(bytes "$slice")
if command -v fail2ban-regex >/dev/null; then
	t_f2b=$(cpu "$dir/f2b.out" fail2ban-regex --datepattern '^{EPOCH}' \
	    "$slice" '^ <HOST>:\d+ \S+ \S+ \S+ CONNECT \d+ TCP_DENIED:')
else
	echo "fail2ban-regex not installed (apt-get install fail2ban)" >"$dir/f2b.out"
	t_f2b=0
fi
t_breaker_slice=$(best "$breaker" replay --source "firewall=$slice")

r_b=$(mbps "$total" "$t_breaker"); r_g=$(mbps "$total" "$t_grep")
r_p=$(mbps "$total" "$t_grepp"); r_bs=$(mbps "$sbytes" "$t_breaker_slice")
printf '%-46s %7s s CPU %8s MB/s\n' \
    "breaker replay (whole default policy)" "$t_breaker" "$r_b" \
    "grep -E -c (patterns joined)" "$t_grep" "$r_g" \
    "grep -P -c (patterns joined)" "$t_grepp" "$r_p" \
    "breaker replay, ${f2b_mb} MB access-log slice" "$t_breaker_slice" "$r_bs"
echo "ratios: breaker/grep-E $(ratio "$r_b" "$r_g"), breaker/grep-P $(ratio "$r_b" "$r_p")"
if [ "$t_f2b" != 0 ]; then
	r_f=$(mbps "$sbytes" "$t_f2b")
	printf '%-46s %7s s CPU %8s MB/s\n' \
	    "fail2ban-regex, ${f2b_mb} MB access-log slice" "$t_f2b" "$r_f"
	echo "fail2ban: $(grep -E '^Lines:|processed in' "$dir/f2b.out" | tr '\n' ' ')"
	echo "ratios: breaker/fail2ban $(ratio "$r_b" "$r_f")" \
	    "(same slice: $(ratio "$r_bs" "$r_f"))"
else
	cat "$dir/f2b.out"
fi
