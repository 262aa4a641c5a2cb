#!/bin/bash
# Review F1 (scenarios 13, 14, 15): gh-aw writes one fixed log path for
# every runner of a machine, so a line in it proves nothing by itself. A
# fatal verdict may act on a job only when that job wrote the line (the
# ownership proof, agent/owner.c); otherwise it is a warning saying why.
#
# 1. Two runners, one machine: runner A runs an ordinary `node` test job,
#    runner B a gh-aw codex job whose 401 lands in the shared log. A's node
#    is untouched; B, whose own tee writes the log, is cut.
# 2. Two gh-aw jobs writing the same log: the 401 is ambiguous, the healthy
#    job is never stopped (nor is the other: nothing proves whose it is).
# 3. A log planted world-writable, a 401 appended by a process outside the
#    job: the healthy job runs to its end.
# 4. (root only) A log planted by another user (nobody, 0644), written by
#    that user: the root job's tee can append to it, but its lines are not
#    the job's.
. "$(dirname "$0")/lib.sh"

FATAL=$(tail -1 "$SEED")
write_config

# step_file NAME BODY: a step script of its own for one of several jobs.
step_file() {
	write_step "$2"
	mv "$T/step.sh" "$T/$1.sh"
}

# A healthy gh-aw agent step: awf, an engine working for S seconds, tee.
healthy() {
	echo "'$T/bin/awf' --grace 1 -- bash -c 'for i in \$(seq $(($1 * 2))); do echo \"codex: working \$i\"; sleep 0.5; done' 2>&1 | tee -a '$LOG'"
}

step_ok() {	# DIR LABEL MIN-SECONDS
	local rc dur
	rc=$(jget "$1/result.json" 'r["step"]["rc"]')
	dur=$(jget "$1/result.json" 'round(r["step"]["exit"] - r["step"]["start"], 2)')
	if [ "$rc" = 0 ] && python3 -c "import sys; sys.exit(0 if $dur >= $3 else 1)"; then
		pass "$2: the step ran to its end untouched (exit 0 after $dur s)"
	else
		fail "$2: the step was cut (exit $rc after $dur s)"
	fi
	if hook_output "$1" completed | grep -q '^::error'; then
		fail "$2: an error annotation: $(hook_output "$1" completed | grep '^::error')"
	else
		pass "$2: no error annotation"
	fi
}

says_why() {	# DIR LABEL TEXT
	if hook_output "$1" completed | grep '^::warning' |
	    grep 'could not be attributed to this job' | grep -qE -- "$3"; then
		pass "$2: the warning says why: …$3…"
	else
		fail "$2: no warning saying '$3': $(hook_output "$1" completed)"
	fi
}

# --- 1. a node job beside a gh-aw job's 401 (scenarios 13, 14) ---
rm -f "$T/mark"
step_file a "node -e 'setTimeout(() => console.log(\"tests passed\"), 5000)'"
step_file b "$(engine_cmd --lines "'$SEED'")"
run_job "$T/a1" --step "$T/a.sh" --runner-name runner-A &
a=$!
sleep 0.5
run_job "$T/b1" --step "$T/b.sh" --runner-name runner-B
wait "$a"
step_ok "$T/a1" "node job" 3.5
# Either reason, depending on whether B's tee still runs at the verdict.
says_why "$T/a1" "node job" "no process of this job has the file open for writing|tee \(pid [0-9]+\), which is not a process of this job"
assert_401_cut "$T/b1"

# --- 2. two gh-aw jobs on one log: ambiguous, nothing stopped ---
rm -f "$T/mark"
step_file a "$(healthy 4)"
# B's codex is not stopped either: let it give up by itself soon.
step_file b "$(engine_cmd --lines "'$SEED'" --hang 1)"
run_job "$T/a2" --step "$T/a.sh" --runner-name runner-A &
a=$!
sleep 1
run_job "$T/b2" --step "$T/b.sh" --runner-name runner-B
wait "$a"
step_ok "$T/a2" "healthy gh-aw job beside another" 3.5
says_why "$T/a2" "healthy gh-aw job beside another" "also has the file open for writing"
hook_output "$T/b2" completed | grep '^::warning' | grep -q 'also has the file open for writing' &&
	pass "the other job's verdict says the log is shared" ||
	fail "the other job: $(hook_output "$T/b2" completed)"

# --- 3. a planted world-writable log, written from outside the job ---
rm -f "$LOG"
: >"$LOG"
chmod 0666 "$LOG"
step_file a "$(healthy 4)"
( sleep 2.5; printf '%s\n' "$FATAL" >>"$LOG" ) &
w=$!
run_job "$T/a3" --step "$T/a.sh"
wait "$w"
step_ok "$T/a3" "planted 0666 log" 3.5
says_why "$T/a3" "planted 0666 log" "world-writable"

# --- 4. a log planted by another user, not world-writable (root only) ---
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	rm -f "$LOG"
	install -o nobody -m 0644 /dev/null "$LOG"
	( sleep 2.5; runuser -u nobody -- sh -c 'printf "%s\n" "$1" >>"$2"' sh "$FATAL" "$LOG" ) &
	w=$!
	run_job "$T/a4" --step "$T/a.sh"
	wait "$w"
	step_ok "$T/a4" "log planted by nobody" 3.5
	says_why "$T/a4" "log planted by nobody" "belongs to uid $(id -u nobody)"
else
	echo "skip: part 4 needs root (to plant a file as another user)"
fi
finish_test
