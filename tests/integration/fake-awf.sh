#!/bin/bash
# fake-awf.sh: an `awf`-like wrapper for the integration tests.
#
#   fake-awf.sh [--grace SECONDS] [--] COMMAND [ARGS...]
#
# Like gh-aw's firewall wrapper it runs COMMAND as its child (awf runs the
# engine in the awf-agent container), prints [INFO]/[WARN] lines on stderr,
# and traps SIGINT and SIGTERM: then it stops the child the way
# `docker stop -t 3` does (SIGTERM, SIGKILL after the grace), cleans up and
# exits 130 (SIGINT) or 143 (SIGTERM). Without a signal it exits with the
# child's status.
#
# To be found by name, run it through a symlink called `awf`: the kernel
# names the process after the script (comm "awf", argv[1] ".../awf").
set -u

# A shell cannot trap a signal that was ignored when it started, and a
# background job of a non-interactive shell (`fake-awf.sh … &` in a test)
# starts with SIGINT ignored. Re-exec once with the defaults restored; exec
# the script itself so that the process keeps its name.
if [ -z "${FAKE_AWF_REEXEC:-}" ]; then
	if [ -x "$0" ]; then
		FAKE_AWF_REEXEC=1 exec env --default-signal=INT,TERM "$0" "$@"
	fi
	FAKE_AWF_REEXEC=1 exec env --default-signal=INT,TERM "$BASH" "$0" "$@"
fi
unset FAKE_AWF_REEXEC

grace=3
while [ $# -gt 0 ]; do
	case "$1" in
	--grace) grace=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
if [ $# -eq 0 ]; then
	echo "[ERROR] usage: fake-awf.sh [--grace S] [--] COMMAND [ARGS...]" >&2
	exit 2
fi

child=
stopping=

log() { echo "[$1] $2" >&2; }

# The child leads its own process group, standing for the container: like
# `docker stop -t $grace`, TERM goes to its first process only, KILL to all
# of it, and nothing of it outlives us.
# A live (non-zombie) process in the child's group? Zombies do not count:
# the orphans' reaper (pid 1 of a container) may be slow to collect them.
group_alive() {
	local f s
	for f in /proc/[0-9]*/stat; do
		read -r s 2>/dev/null <"$f" || continue
		s=${s##*) }
		set -- $s
		[ "$3" = "$child" ] && [ "$1" != Z ] && return 0
	done
	return 1
}

reap_group() {
	local i
	kill -KILL -- "-$child" 2>/dev/null || return 0
	# KILL is delivered asynchronously: wait (bounded) until it took.
	for ((i = 0; i < 40; i++)); do
		group_alive || break
		sleep 0.05
	done
}

stop_child() {
	local i limit
	[ -n "$child" ] || return 0
	kill -TERM "$child" 2>/dev/null || return 0
	limit=$((grace * 20))
	for ((i = 0; i < limit; i++)); do
		kill -0 "$child" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$child" 2>/dev/null; then
		log WARN "agent did not stop within ${grace}s, killing it"
	fi
	reap_group
	wait "$child" 2>/dev/null
}

on_signal() {
	local code=$1 name=$2
	[ -z "$stopping" ] || return 0
	stopping=1
	log INFO "Received $name, stopping the agent container"
	stop_child
	log INFO "Cleanup complete"
	exit "$code"
}

trap 'on_signal 130 SIGINT' INT
trap 'on_signal 143 SIGTERM' TERM

log INFO "Starting agent: $*"
# A background child of a non-interactive shell ignores SIGINT; restore the
# default so that the child behaves as it would in its own container.
# setsid does not fork here: a background subshell leads no group.
( exec env --default-signal=INT setsid "$@" ) &
child=$!
# `wait` returns early (>128) when a trapped signal arrives; the trap then
# exits. Loop only so that a stray untrapped return cannot end us early.
while :; do
	wait "$child"
	rc=$?
	kill -0 "$child" 2>/dev/null || break
done
reap_group
log INFO "Agent exited with status $rc"
exit "$rc"
