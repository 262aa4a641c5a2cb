#!/bin/bash
# Review F3 (scenario 9): job B, on another runner of the same machine and
# user, reads job A's RUNNER_TRACKING_ID from /proc and starts a decoy
# named `awf` carrying it, under B's own Runner.Worker, before A's engine
# starts. A's breaker must signal A's real engine (its awf), never the
# decoy, and its report must say what was and was not signalled.
. "$(dirname "$0")/lib.sh"

write_config
tid_a=$(python3 -c 'import uuid; print(uuid.uuid4())')

# B: the decoy (argv[0] "awf", A's tracking id), then B's own work.
write_step "RUNNER_TRACKING_ID=$tid_a bash -c 'exec -a awf sleep 40' &
echo \$! >'$T/decoy.pid'
sleep 12"
mv "$T/step.sh" "$T/b.sh"
run_job "$T/b" --step "$T/b.sh" --runner-name runner-B --no-hooks &
b=$!
for _ in $(seq 1 100); do [ -s "$T/decoy.pid" ] && break; sleep 0.1; done
decoy=$(cat "$T/decoy.pid" 2>/dev/null || echo 0)
[ "$decoy" -gt 0 ] && pass "the decoy runs (pid $decoy)" || fail "no decoy"

# A: the #26929 job, its engine starting after the decoy.
write_step "$(engine_cmd --lines "'$SEED'")"
run_job --runner-name runner-A --tracking-id "$tid_a"
assert_401_cut

sd=$(job_state_dir)
pid=$(jget "$sd/verdict-0001.json" 'r.get("stop_pid")')
[ "$pid" != "$decoy" ] && [ "$(jget "$sd/verdict-0001.json" 'r.get("stop_target")')" = awf ] &&
	pass "A's own awf (pid $pid) was the one stopped" ||
	fail "stopped pid $pid (the decoy is $decoy)"
grep -q "sent SIG[A-Z]* to .*(pid $decoy)" "$sd/daemon.log" &&
	fail "the decoy was signalled: $(grep "pid $decoy" "$sd/daemon.log")" ||
	pass "the decoy was never signalled"
hook_output "$T/job" completed | grep -qi "not signalled: awf (pid $decoy)" &&
	pass "the report names the decoy as not signalled" ||
	fail "the report does not name the decoy: $(hook_output "$T/job" completed)"

kill "$decoy" 2>/dev/null || true
wait "$b" 2>/dev/null || true
finish_test
