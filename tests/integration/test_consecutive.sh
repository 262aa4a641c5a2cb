#!/bin/bash
# Issue 5: consecutive jobs on one runner share nothing, and two runners on
# one machine do not interfere.
#  1. job A (runner 1) hits the seed failure: a verdict, a stop.
#  2. job B (runner 1, same log path, same state root) runs a healthy
#     engine over the very log job A left behind: no verdict, no stop, no
#     annotation, its own state directory.
#  3. runners 2 and 3 run jobs at the same time, each with its own log: the
#     failing one is stopped; the healthy one, whose engine is also named
#     codex and was running at that moment, is untouched.
. "$(dirname "$0")/lib.sh"

write_config
write_step "$(engine_cmd --lines "'$SEED'")"
run_job "$T/jobA" --runner-name runner-1 --run-id 5001
healthy=$T/healthy.log
printf '%s\n' "OpenAI Codex v0.169.0" "Reconnecting... 1/5" "all good" >"$healthy"
write_step "$(engine_cmd --lines "'$healthy'" --hang 0.3) || true"
run_job "$T/jobB" --runner-name runner-1 --run-id 5002

sdA=$(job_state_dir "$T/jobA")
sdB=$(job_state_dir "$T/jobB")
[ -n "$sdA" ] && [ -n "$sdB" ] && [ "$sdA" != "$sdB" ] &&
	pass "each job has its own state directory" || fail "state dirs: '$sdA' '$sdB'"
[ -f "$sdA/verdict-0001.json" ] && pass "job A: verdict" || fail "job A: no verdict"
n=$(find "$sdB" -name 'verdict-*.json' | wc -l)
[ "$n" = 0 ] && pass "job B: no verdict (A's log and verdicts ignored)" || fail "job B: $n verdicts"
outB=$(hook_output "$T/jobB" completed)
echo "$outB" | grep -q '^::error' && fail "job B shows A's error: $outB" ||
	pass "job B: no annotation"
grep -q 'Received SIGINT' "$T/jobB/job.log" && fail "job B's engine was stopped" ||
	pass "job B's engine ran untouched"
assert_hooks_ok "$T/jobA"
assert_hooks_ok "$T/jobB"

# Two runners at once, each with its own agent log.
LOG2=$T/r2/agent-stdio.log
LOG3=$T/r3/agent-stdio.log
mkdir -p "$T/r2" "$T/r3"
for r in 2 3; do
	cat >"$T/config$r.json" <<EOF2
{ "version": 1, "sources": {
  "engine": { "path": "$T/r$r/agent-stdio.log", "format": "jsonl" },
  "firewall": { "path": "$T/r$r/access.log", "format": "squid" } } }
EOF2
done
cat >"$T/step2.sh" <<EOF2
touch '$LOG2'
'$T/bin/awf' --grace 1 -- '$T/bin/codex' --pace-ms 40 --delay 1 --mark '$T/mark2' --lines '$SEED' 2>&1 | tee -a '$LOG2'
EOF2
cat >"$T/step3.sh" <<EOF2
touch '$LOG3'
'$T/bin/awf' --grace 1 -- '$T/bin/codex' --pace-ms 20 --lines '$healthy' --hang 5 2>&1 | tee -a '$LOG3' || true
echo runner3-done
EOF2
for r in 2 3; do
	python3 "$HERE/simrunner.py" --dir "$T/job$r" --step "$T/step$r.sh" \
	    --runner-name "runner-$r" --run-id "600$r" \
	    --env "BREAKER_BIN=$BIN" --env "BREAKER_CONFIG=$T/config$r.json" \
	    --env "BREAKER_STATE_DIR=$STATE" &
done
wait
for r in 2 3; do jget "$T/job$r/result.json" 'r["tracking_id"]' >"$T/job$r/tracking_id"; done
rc2=$(jget "$T/job2/result.json" 'r["step"]["rc"]')
rc3=$(jget "$T/job3/result.json" 'r["step"]["rc"]')
[ "$rc2" != 0 ] && pass "runner 2: failing job stopped (exit $rc2)" || fail "runner 2 step exit 0"
grep -q 'runner3-done' "$T/job3/job.log" && ! grep -q 'Received SIG' "$T/job3/job.log" &&
	pass "runner 3: healthy job untouched while runner 2's engine was stopped" ||
	fail "runner 3 was disturbed"
d3=$(jget "$T/job3/result.json" 'r["step"]["duration"]')
python3 -c "import sys; sys.exit(0 if $d3 >= 4.5 else 1)" && pass "runner 3 engine ran its full time ($d3 s)" ||
	fail "runner 3 step lasted only $d3 s"
sd3=$(job_state_dir "$T/job3")
n=$(find "$sd3" -name 'verdict-*.json' | wc -l)
[ "$n" = 0 ] && pass "runner 3: no verdict" || fail "runner 3: $n verdicts"
for d in jobA jobB job2 job3; do assert_no_orphans "$T/$d"; done
finish_test
