#!/bin/bash
# fake-engine.sh: a codex-like engine for the integration tests.
#
#   fake-engine.sh [--lines FILE] [--pace-ms N] [--delay S] [--hang S]
#                  [--mark FILE] [--sigs FILE] [--ignore-int] [--ignore-term]
#                  [--tool-child]
#
# Prints the lines of FILE (default: the #26929 seed fixture) like codex
# does, sleeping codex's backoff (N ms x 2^(k-1), N default 200) before the
# k-th "Reconnecting... k/5" line; then "hangs" for S seconds (default 600),
# as a stuck engine would. Run it through a symlink named `codex` so that the
# process is found by name.
#
# --mark FILE   append the epoch time right before the LAST line is written
# --sigs FILE   append "SIGNAME epoch" for every INT/TERM received
# --ignore-int  record SIGINT and keep going (an engine deaf to SIGINT)
# --ignore-term likewise for SIGTERM (only SIGKILL ends it then)
# --tool-child  start a tool process that keeps our stdout open and outlives
#               us (it is not stopped with us)
set -u

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
lines=${BREAKER_SOURCE_ROOT:-$here/../..}/tests/fixtures/shared/codex-401-seed-issue.log
pace=200
delay=0
hang=600
mark=
sigs=
ignore_int=
ignore_term=
tool=
while [ $# -gt 0 ]; do
	case "$1" in
	--lines) lines=$2; shift 2 ;;
	--pace-ms) pace=$2; shift 2 ;;
	--delay) delay=$2; shift 2 ;;
	--hang) hang=$2; shift 2 ;;
	--mark) mark=$2; shift 2 ;;
	--sigs) sigs=$2; shift 2 ;;
	--ignore-int) ignore_int=1; shift ;;
	--ignore-term) ignore_term=1; shift ;;
	--tool-child) tool=1; shift ;;
	*) echo "fake-engine: unknown option $1" >&2; exit 2 ;;
	esac
done

sleeper=
on_sig() {
	local name=$1 code=$2 ignore=$3
	[ -z "$sigs" ] || echo "$name $EPOCHREALTIME" >>"$sigs"
	[ -z "$ignore" ] || return 0
	[ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null
	exit "$code"
}
trap 'on_sig SIGINT 130 "$ignore_int"' INT
trap 'on_sig SIGTERM 143 "$ignore_term"' TERM

# Sleep so that a trapped signal interrupts us at once.
nap() {
	sleep "$1" &
	sleeper=$!
	while kill -0 "$sleeper" 2>/dev/null; do
		wait "$sleeper"
	done
	sleeper=
}

[ "$delay" = 0 ] || nap "$delay"
echo "OpenAI Codex v0.169.0 (fake)"
if [ -n "$tool" ]; then
	# A tool (an MCP server, a shell command) that inherits our stdout.
	( trap '' INT; exec sleep 600 ) &
fi
mapfile -t all <"$lines"
for ((i = 0; i < ${#all[@]}; i++)); do
	line=${all[i]}
	if [[ $line =~ Reconnecting\.\.\.\ ([0-9]+)/ ]]; then
		k=${BASH_REMATCH[1]}
		ms=$((pace * (1 << (k - 1))))
		nap "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	fi
	# The mark is taken just before the last line: breaker may stop us
	# between writing it and anything after it.
	if [ -n "$mark" ] && [ $((i + 1)) -eq ${#all[@]} ]; then
		echo "$EPOCHREALTIME" >>"$mark"
	fi
	printf '%s\n' "$line"
done
nap "$hang"
echo "fake-engine: finished hanging"
exit 1
