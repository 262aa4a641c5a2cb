#!/bin/bash
# Issue 16, parts 4 and 5 (review F7, F8, F9, scenarios 26, 32, 37, 38):
# `breaker finish` signals only the process the kernel names as the
# listener of the control socket, never a pid from a file the job can
# write; a stuck (SIGSTOPped) daemon is ended and the note says so; the
# report comes from the daemon's memory, so a backlog or a full disk does
# not lose the fatal verdict; the control socket answers during a backlog.
#
# The daemon is started the way the started hook does it (`breaker start`
# in a job's environment) and finished like the completed hook: the
# review's reproductions, driven directly.
. "$(dirname "$0")/lib.sh"

cat >"$T/bait-rule.json" <<'EOF'
{
 "version": 1,
 "rules": [
  {
   "id": "t.bait",
   "title": "a catastrophic pattern (the shape of the review's gemini bait)",
   "source": "engine",
   "severity": "warning",
   "match": {
    "regex": "^Error when talking to Gemini API .*_ApiError: .*\"code\": ?403.*\"status\": ?\"PERMISSION_DENIED\""
   },
   "samples": {
    "fire": [ "Error when talking to Gemini API x _ApiError: {\"code\":403,\"status\":\"PERMISSION_DENIED\"}" ],
    "silent": [ "Error when talking to Gemini API PERMISSION_DENIED" ]
   }
  }
 ]
}
EOF
write_config "\"rules\": [\"$T/bait-rule.json\"]"
F401=$(grep -m1 '401 Unauthorized' "$SEED")

# job NAME: the environment of one job of the simulated runner.
job() {
	mkdir -p "$T/$1"
	export GITHUB_RUN_ID=$RANDOM$RANDOM GITHUB_RUN_ATTEMPT=1 GITHUB_JOB=$1 \
	    RUNNER_NAME=trust GITHUB_REPOSITORY=o/r \
	    RUNNER_TRACKING_ID=trust-$1-$$ BREAKER_STATE_DIR=$STATE \
	    BREAKER_CONFIG=$T/config.json GITHUB_STEP_SUMMARY=$T/$1/summary.md
	echo "$RUNNER_TRACKING_ID" >"$T/$1/tracking_id"
	: >"$LOG"
	# A process of the job holds the log open for writing, as the job's
	# `tee -a` does: the ownership gate's proof that its lines are the job's.
	[ -n "${holder:-}" ] && kill "$holder" 2>/dev/null
	sleep 120 9>>"$LOG" </dev/null >/dev/null 2>&1 &
	holder=$!
}

# job_write LINE: append a line as a process of the job (the shell's own
# environ predates the job's export; an exec'd sh carries the tracking id).
job_write() {
	sh -c 'printf "%s\n" "$0" >>"$1"' "$1" "$LOG"
}

daemon_pid() {
	"$BIN" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'
}

jobdir() {
	grep -l "\"$RUNNER_TRACKING_ID\"" "$STATE"/*/job.json | head -1 | xargs dirname
}

gone_within() {	# PID SECONDS
	local i
	for i in $(seq 1 $(($2 * 10))); do
		[ -d "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ] ||
			return 0
		sleep 0.1
	done
	return 1
}

# ---- F7, scenario 38: a pid planted in daemon.pid is never signalled.
job planted
"$BIN" start >"$T/planted/start.out"
dp=$(daemon_pid)
sleep 300 &
victim=$!
kill -STOP "$dp"
d=$(jobdir)
echo "$victim" >"$d/daemon.pid"
echo x >"$d/daemon.exit"
"$BIN" finish --timeout 1 >"$T/planted/finish.out"
sleep 0.3
if kill -0 "$victim" 2>/dev/null; then
	pass "the pid planted in daemon.pid was not signalled"
else
	fail "finish signalled the planted pid $victim"
fi
kill "$victim" 2>/dev/null || true
wait "$victim" 2>/dev/null || true
gone_within "$dp" 5 && pass "the stopped daemon itself was ended" ||
	fail "the stopped daemon $dp is still there"
kill -KILL "$dp" 2>/dev/null || true

# ---- Scenario 37: a stuck daemon (SIGSTOP) is ended, and the note says so.
job stuck
"$BIN" start >"$T/stuck/start.out"
dp=$(daemon_pid)
kill -STOP "$dp"
"$BIN" finish --timeout 1 >"$T/stuck/finish.out"
gone_within "$dp" 5 && pass "the SIGSTOPped daemon was ended" ||
	fail "the SIGSTOPped daemon $dp was left running"
kill -KILL "$dp" 2>/dev/null || true
grep -q "did not answer within 1.0 s; it .*pid $dp.* was ended" "$T/stuck/summary.md" &&
	pass "the summary says it did not answer and was ended" ||
	fail "summary: $(cat "$T/stuck/summary.md")"
grep -q 'killed or crashed' "$T/stuck/summary.md" &&
	fail "the note says 'killed or crashed' for a stuck daemon" ||
	pass "the note does not call it killed or crashed"

# ---- F8, scenario 26: regex bait, then the 401, then status and finish
# at once. The control socket answers during the backlog, and the report
# has the 401 (the daemon works through the backlog before answering).
job backlog
"$BIN" start >"$T/backlog/start.out"
dp=$(daemon_pid)
python3 - "$LOG" "$F401" <<'EOF'
import sys
line = 'Error when talking to Gemini API ' + '_ApiError: "code": 403 ' * 2800 + 'PERMISSION_DENIED'
with open(sys.argv[1], 'a') as f:
    f.write((line + '\n') * 100 + sys.argv[2] + '\n')
EOF
if "$BIN" status --json >"$T/backlog/status.json" 2>"$T/backlog/status.err"; then
	pass "status answered during the backlog"
else
	fail "status did not answer during the backlog: $(cat "$T/backlog/status.err")"
fi
# A bad --timeout (the hook passes $BREAKER_FINISH_TIMEOUT as it is) is
# said, and finish waits the default 5 s instead.
"$BIN" finish --timeout 5x >"$T/backlog/finish.out" 2>"$T/backlog/finish.err"
grep -E '^::error title=breaker' "$T/backlog/finish.out" | grep -q '401 Unauthorized' &&
	pass "finish reports the 401 behind the backlog" ||
	fail "finish lost the 401: $(cat "$T/backlog/finish.out")"
grep -q -- '--timeout is invalid (whole seconds, 1 to 600); waiting 5 s' "$T/backlog/finish.err" &&
	pass "a bad --timeout is said, and the default used" ||
	fail "bad --timeout: $(cat "$T/backlog/finish.err")"
gave=$(grep -c 'gave up' "$(jobdir)/daemon.log" || true)
[ "$gave" -ge 1 ] && pass "the bait's give-ups are logged" || fail "no give-up logged"
kill -KILL "$dp" 2>/dev/null || true

# ---- F9, scenario 32: the state directory refuses the verdict (a full
# disk; here its mode, which the sandboxed daemon cannot override). The
# engine-stopping verdict is still in the report, which says the file could
# not be written.
job diskfull
"$BIN" start >"$T/diskfull/start.out"
dp=$(daemon_pid)
d=$(jobdir)
chmod 0500 "$d"
job_write "$F401"
sleep 0.5
"$BIN" finish >"$T/diskfull/finish.out"
chmod 0700 "$d"
ls "$d"/verdict-*.json >/dev/null 2>&1 &&
	fail "a verdict file was written (the test did not simulate a failure)" ||
	pass "no verdict file could be written"
grep -E '^::error title=breaker' "$T/diskfull/finish.out" | grep -q '401 Unauthorized' &&
	pass "finish reports the unsaved 401 from the daemon's memory" ||
	fail "the unsaved verdict is lost: $(cat "$T/diskfull/finish.out")"
grep -q 'could not be written' "$T/diskfull/summary.md" &&
	pass "the summary says the verdict file could not be written" ||
	fail "summary: $(cat "$T/diskfull/summary.md")"
grep -q 'no failure detected' "$T/diskfull/summary.md" &&
	fail "the summary says no failure detected" || true
kill -KILL "$dp" 2>/dev/null || true

# ---- F9 as the review ran it (root only): the state directory on a
# 64 KiB tmpfs, filled up after start.
small=$T/small
mkdir -p "$small"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs "$small" 2>/dev/null; then
	trap 'umount "$small" 2>/dev/null || true; cleanup' EXIT
	STATE_SAVED=$STATE
	STATE=$small
	job tmpfs
	"$BIN" start >"$T/tmpfs/start.out"
	dp=$(daemon_pid)
	dd if=/dev/zero of="$small/filler" bs=4k 2>/dev/null || true
	job_write "$F401"
	sleep 0.5
	"$BIN" finish >"$T/tmpfs/finish.out"
	grep -E '^::error title=breaker' "$T/tmpfs/finish.out" | grep -q '401 Unauthorized' &&
		pass "disk full: finish reports the 401" ||
		fail "disk full: the verdict is lost: $(cat "$T/tmpfs/finish.out")"
	grep -q 'could not be written' "$T/tmpfs/summary.md" &&
		pass "disk full: the summary says the file could not be written" ||
		fail "disk full: summary: $(cat "$T/tmpfs/summary.md")"
	kill -KILL "$dp" 2>/dev/null || true
	STATE=$STATE_SAVED
	umount "$small" || true
else
	echo "(the tmpfs case needs root and mount: skipped)"
fi

kill "$holder" 2>/dev/null
finish_test
