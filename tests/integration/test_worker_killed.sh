#!/bin/bash
# Issue 5: the job is force-killed: the runner's Worker disappears without
# running the completed hook. The daemon must notice by itself (pidfd on the
# Worker), flush its state and exit, well before the orphan cleanup.
. "$(dirname "$0")/lib.sh"

write_config
lines=$T/lines.log
printf '%s\n' "OpenAI Codex v0.169.0" "Reconnecting... 1/5" "thinking" >"$lines"
write_step "$(engine_cmd --lines "'$lines'" --hang 60)"
run_job --kill-worker-after 3 --daemon-wait 10

R=$T/job/result.json
killed=$(jget "$R" '"worker_killed_at" in r')
[ "$killed" = true ] && pass "Worker SIGKILLed mid-step" || fail "Worker was not killed"
daemons=$(jget "$R" 'r.get("daemon_pids")')
[ "$daemons" != "[]" ] && [ "$daemons" != null ] && pass "daemon was running ($daemons)" ||
	fail "no daemon seen"
alive=$(jget "$R" 'r.get("daemon_alive_after_wait")')
after=$(jget "$R" 'round(r.get("daemon_gone_after", 99), 3)')
[ "$alive" = "[]" ] && pass "daemon exited by itself ${after} s after the Worker died" ||
	fail "daemon still alive after the Worker died: $alive"
python3 -c "import sys; sys.exit(0 if $after < 5 else 1)" || fail "daemon took $after s"
sd=$(job_state_dir)
grep -q 'Worker' "$sd/daemon.exit" 2>/dev/null && pass "daemon.exit: $(cat "$sd/daemon.exit")" ||
	fail "daemon.exit: $(cat "$sd/daemon.exit" 2>/dev/null)"
grep -q 'exiting' "$sd/daemon.log" && pass "daemon flushed and logged its exit" ||
	fail "no exit in daemon log"
# What was left (the engine; the Worker's children) is the cleanup's job.
left=$(jget "$R" '[p["comm"] for p in r["orphans"] if p["comm"] == "breaker"]')
[ "$left" = "[]" ] && pass "no daemon among the orphans" || fail "daemon among orphans"
finish_test
