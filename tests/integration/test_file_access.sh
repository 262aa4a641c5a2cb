#!/bin/bash
# Issue 16, part 2: files as an attacker would lay them, and a backlog that
# must not starve the daemon (review F5, F6, F8 tail half, F16).
#  - a FIFO as the configuration: `start` returns at once with a warning;
#  - a configuration only its owner can read is never quoted in an error;
#  - a state root others can write: a clear warning, and the job runs;
#  - the engine log as a symlink: refused, counted in `breaker status`;
#  - a million-line flood on one source: `status` still answers and the
#    fatal line on the other source is acted on.
. "$(dirname "$0")/lib.sh"

start() {	# ENV...: breaker start for a fake job, bounded
	env "$@" timeout 20 "$BIN" start
}

# ---- F16: a FIFO configuration (scenario 44)
mkfifo "$T/cfg.fifo"
rc=0
out=$(start BREAKER_CONFIG="$T/cfg.fifo" BREAKER_STATE_DIR="$STATE") || rc=$?
[ "$rc" = 0 ] && pass "FIFO config: start returns, exit 0" ||
	fail "FIFO config: start exit $rc (124: it hung)"
echo "$out" | grep '^::warning title=breaker' | grep -q 'not a regular file' &&
	pass "FIFO config: warning says why" || fail "FIFO config: $out"

# ---- F16: an owner-only configuration is not quoted (scenario 45)
printf 'root:TOPSECRET-hash:19000:0:99999:7:::\n' >"$T/private.json"
chmod 600 "$T/private.json"
out=$(start BREAKER_CONFIG="$T/private.json" BREAKER_STATE_DIR="$STATE") || true
echo "$out" | grep -q '^::warning.*not valid JSON' &&
	pass "private config: reported as not valid JSON" || fail "private config: $out"
echo "$out" | grep -qE 'TOPSECRET|"r"|root:' &&
	fail "private config: its text was quoted: $out" ||
	pass "private config: not quoted"
chmod 644 "$T/private.json"
out=$(start BREAKER_CONFIG="$T/private.json" BREAKER_STATE_DIR="$STATE") || true
echo "$out" | grep -q 'stopped at the end of' &&
	pass "world-readable config: the place is still shown" ||
	fail "world-readable config: $out"

# ---- F6: a state root others can write (scenario 17, same user)
write_config
mkdir -m 0777 "$T/shared"
chmod 0777 "$T/shared"
rc=0
out=$(start BREAKER_CONFIG="$T/config.json" BREAKER_STATE_DIR="$T/shared") || rc=$?
[ "$rc" = 0 ] && pass "shared state root: exit 0" || fail "shared state root: exit $rc"
echo "$out" | grep '^::warning title=breaker' | grep -q 'writable by group or others' &&
	pass "shared state root: refused with a warning" || fail "shared state root: $out"
[ -z "$(ls -A "$T/shared")" ] && pass "shared state root: nothing made in it" ||
	fail "shared state root: $(ls -A "$T/shared")"
for p in "$T"/shared/*/daemon.pid; do	# only if it was (wrongly) started
	[ -f "$p" ] && kill -TERM "$(cat "$p")" 2>/dev/null || true
done

# ---- a daemon for one fake job, two sources
tid=files-$$-$RANDOM
mkdir -p "$T/job"
echo "$tid" >"$T/job/tracking_id"	# cleanup ends whatever carries it
jobenv=(BREAKER_CONFIG="$T/config.json" BREAKER_STATE_DIR="$STATE"
    GITHUB_RUN_ID=77 GITHUB_RUN_ATTEMPT=1 GITHUB_JOB=agent RUNNER_NAME=files
    GITHUB_REPOSITORY=octo/repo RUNNER_TRACKING_ID="$tid")
touch "$T/gh-aw/access.log"
ln -s /etc/passwd "$LOG"	# F5: the engine made its log a link
out=$(start "${jobenv[@]}") || true
echo "$out" | grep -qE "^breaker: watching [0-9]+ sources" && pass "daemon started" ||
	fail "daemon: $out"
echo "$out" | grep '^::warning title=breaker' | grep -q 'symbolic link' &&
	pass "symlinked engine log: the started hook says so" ||
	fail "symlinked engine log: no warning: $out"
D=$(ls -d "$STATE"/files-* | head -1)
status() {
	env "${jobenv[@]}" "$BIN" status --job-dir "$D" --json
}
src() {	# JSON NAME KEY
	python3 -c 'import json,sys
s = [x for x in json.loads(sys.argv[1])["sources"] if x["name"] == sys.argv[2]]
print(int(s[0].get(sys.argv[3], -1)) if s else -1)' "$1" "$2" "$3"
}
js=$(status) || true
[ "$(src "$js" engine refused)" = 1 ] && [ "$(src "$js" engine lines)" = 0 ] &&
	pass "symlinked engine log: refused (1) and not read" ||
	fail "symlinked engine log: $js"
rm -f "$LOG"
touch "$LOG"

# ---- F8: a flood on the firewall log, then the 401 on the engine's
python3 - "$T/flood.log" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(300000):
        f.write('1764000000.%03d 172.30.0.20:40%03d host%d.example.net:443 -:- 1.1 '
                'CONNECT 403 TCP_DENIED:HIER_NONE host%d.example.net:443 "-"\n'
                % (i % 1000, i % 1000, i, i))
PY
cat "$T/flood.log" >>"$T/gh-aw/access.log"
grep -m1 '401 Unauthorized' "$SEED" >>"$LOG"
rc=0
js=$(status) || rc=$?
[ "$rc" = 0 ] && pass "status answers during the flood" ||
	fail "status did not answer during the flood (rc $rc)"
ok=0
for i in $(seq 1 50); do
	js=$(status) || js='{"sources":[]}'
	if [ "$(src "$js" engine lines)" -ge 1 ] &&
	    python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1]).get("verdicts") else 1)' "$js"; then
		ok=1
		break
	fi
	sleep 0.2
done
[ "$ok" = 1 ] && pass "the 401 is read and judged during the flood" ||
	fail "no verdict for the 401 during the flood: $js"
fw=$(src "$js" firewall lines)
echo "firewall lines read when the 401 was judged: $fw of 300000"
pid=$(cat "$D/daemon.pid")
kill -KILL "$pid" 2>/dev/null || true
finish_test
