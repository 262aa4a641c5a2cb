#!/bin/bash
# Issue 15: the GitHub actions through a corporate forward proxy.
#
# A real tinyproxy on loopback, and the loopback HTTPS GitHub emulator
# behind it. The runner's environment (as its .env would give it) sets
# https_proxy: the daemon's cancel-run must go through the proxy (tinyproxy
# logs the CONNECT, the emulator gets the request). Then a proxy nobody
# listens on: the action fails, proof that the proxy is really used; and
# the same dead proxy with no_proxy naming the API host: direct again.
# Exit 77 without tinyproxy (tests/deps.sh installs it).
. "$(dirname "$0")/lib.sh"

command -v tinyproxy >/dev/null 2>&1 || { echo "SKIP: tinyproxy is missing"; exit 77; }

github_emulator_start

# tinyproxy in the foreground, loopback only; no ConnectPort line, so it
# tunnels to the emulator's port (its packaged default allows 443 only).
pport=$(free_port)
cat >"$T/tinyproxy.conf" <<EOF
Port $pport
Listen 127.0.0.1
Timeout 30
LogFile "$T/tinyproxy.log"
LogLevel Connect
MaxClients 10
Allow 127.0.0.1
EOF
tinyproxy -d -c "$T/tinyproxy.conf" >"$T/tinyproxy.out" 2>&1 &
tp=$!
trap 'kill "$emu" "$tp" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 1 100); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $pport), 0.2)" 2>/dev/null && break
	sleep 0.1
done

cat >"$T/rules.json" <<'EOF2'
{ "version": 1, "rules": [ {
  "id": "test.cancel", "title": "Test: fatal, cancel the run", "source": "engine",
  "severity": "fatal", "match": { "regex": "^FATAL-CANCEL" },
  "actions": ["stop", "cancel-run"] } ] }
EOF2
github_config "$T/rules.json" cancel-run
lines=$T/lines.log
printf '%s\n' "OpenAI Codex v0.169.0" "FATAL-CANCEL the provider is gone" >"$lines"
write_step "$(engine_cmd --lines "'$lines'")"

api_result() {	# the cancel-run outcome of a job's verdict
	jget "$(job_state_dir "$1")/verdict-0001.json" 'r.get("api_result")'
}
cancels() {
	grep -c 'actions/runs/4242/cancel' "$EMU/requests.jsonl" 2>/dev/null || true
}

# --- through the proxy -------------------------------------------------------
run_job "$T/job1" --repository octo/widgets --run-id 4242 \
    --env "https_proxy=http://127.0.0.1:$pport" --env "no_proxy=example.org"
assert_hooks_ok "$T/job1"
api=$(api_result "$T/job1")
echo "$api" | grep -q '202' && pass "cancel-run through the proxy: $api" ||
	fail "cancel-run through the proxy: $api"
grep -q "CONNECT.*127.0.0.1:$port" "$T/tinyproxy.log" &&
	pass "tinyproxy tunnelled it: $(grep -m1 "CONNECT.*127.0.0.1:$port" "$T/tinyproxy.log" | sed 's/^.*CONNECT/CONNECT/')" ||
	fail "no CONNECT in tinyproxy's log: $(tail -5 "$T/tinyproxy.log")"
[ "$(cancels)" = 1 ] && pass "the emulator got the cancel request" ||
	fail "emulator cancel requests: $(cancels)"
grep -q "through the proxy at 127.0.0.1" "$(job_state_dir "$T/job1")/daemon.log" &&
	pass "the daemon logs the proxy's host (never its URL)" ||
	fail "daemon.log does not name the proxy"

# The proxy by name: resolved with evdns inside the daemon's sandbox
# (libcurl's own resolver would start a thread, which the sandbox kills).
run_job "$T/job1b" --repository octo/widgets --run-id 4242 \
    --env "https_proxy=localhost:$pport"
assert_hooks_ok "$T/job1b"
api=$(api_result "$T/job1b")
echo "$api" | grep -q '202' && [ "$(grep -c "CONNECT.*127.0.0.1:$port" "$T/tinyproxy.log")" = 2 ] &&
	pass "proxy given as localhost:PORT (no scheme): through it again ($api)" ||
	fail "proxy by name: $api; $(grep -c CONNECT "$T/tinyproxy.log") CONNECTs"

# --- a dead proxy: the request must fail, so the proxy is really used ---------
dead=$(free_port)
run_job "$T/job2" --repository octo/widgets --run-id 4242 \
    --env "HTTPS_PROXY=http://127.0.0.1:$dead"
assert_hooks_ok "$T/job2"
api=$(api_result "$T/job2")
# Retried with back-off until the job ends: failed, or abandoned at finish.
echo "$api" | grep -qE 'failed|abandoned' && pass "a dead proxy: no cancellation ($api)" ||
	fail "a dead proxy: $api"
grep -q 'github: POST .*/cancel: network error' "$(job_state_dir "$T/job2")/daemon.log" &&
	pass "the daemon logged the network error at the proxy" ||
	fail "daemon.log: $(grep github "$(job_state_dir "$T/job2")/daemon.log")"
[ "$(cancels)" = 2 ] && pass "nothing reached the emulator around the proxy" ||
	fail "emulator cancel requests: $(cancels)"

# --- no_proxy names the API host: direct, the dead proxy ignored ---------------
run_job "$T/job3" --repository octo/widgets --run-id 4242 \
    --env "https_proxy=http://127.0.0.1:$dead" --env "no_proxy=localhost, 127.0.0.1"
assert_hooks_ok "$T/job3"
api=$(api_result "$T/job3")
echo "$api" | grep -q '202' && pass "no_proxy 127.0.0.1: direct ($api)" ||
	fail "no_proxy: $api"
[ "$(cancels)" = 3 ] && pass "the emulator got it directly" ||
	fail "emulator cancel requests: $(cancels)"
assert_no_orphans "$T/job3"
finish_test
