#!/bin/bash
# Issue 15: `breaker doctor` finds each thing that makes breaker silently
# watch or stop nothing, when the test creates it, and not before.
#
# Made here, each on its own: a binary without CAP_KILL (a copy of the one
# under test), one the runner's user cannot run, no_new_privs (setpriv), a
# systemd unit with NoNewPrivileges= or an option implying it in a drop-in,
# a state directory the user cannot write, a world-writable one without the
# sticky bit, a firewall log the user cannot read, a runner's .env without
# the hooks, a .env the running runner was not restarted after, and two
# Runner.Listener processes (a copy of sleep by that name) sharing
# /tmp/gh-aw, which the started hook then reports in one line.
#
# Needs root (setcap, runuser, other users' files): exit 77 otherwise.
# Registered not parallel: its fake runners would show in other tests'
# started hooks.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: not root"; exit 77; }
for t in setcap runuser setpriv; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t is missing"; exit 77; }
done
# The copies below run with file capabilities (secure-exec), where
# LeakSanitizer cannot stop the world.
export ASAN_OPTIONS=detect_leaks=0
U=nobody
B=$T/breaker-copy
cp "$BIN" "$B"
chmod 0755 "$B"
unset BREAKER_CONFIG BREAKER_STATE_DIR
mkdir -p "$T/state"
chmod 0755 "$T/state"

# status_of JSON CHECK: the worst status of that check ("" when absent).
status_of() {
	python3 -c 'import json, sys
r = json.loads(sys.argv[1])
order = ["ok", "skip", "warning", "problem"]
s = [c["status"] for c in r["checks"] if c["check"] == sys.argv[2]]
print(max(s, key=order.index) if s else "")' "$1" "$2"
}
doctor() {	# doctor ARGS...: JSON output in $out, exit status in $rc
	out=$("$B" doctor --json "$@" 2>"$T/doctor.err") && rc=0 || rc=$?
}
expect() {	# expect CHECK STATUS WHAT
	local s
	s=$(status_of "$out" "$1")
	[ "$s" = "$2" ] && pass "$3: $1 is $2" ||
		fail "$3: $1 is '$s', wanted $2: $out $(cat "$T/doctor.err")"
}

base=(--user "$U" --binary "$B" --unit /dev/null --runner "$T/norunner")
mkdir -p "$T/norunner"

# --- capabilities ------------------------------------------------------------
BREAKER_STATE_DIR=$T/state doctor "${base[@]}"
expect capabilities problem "binary without file capabilities"
[ "$rc" = 1 ] && pass "exit status 1 with a problem" || fail "exit $rc with a problem"
echo "$out" | grep -q 'setcap cap_dac_read_search,cap_kill,cap_sys_ptrace+p' &&
	pass "the fix names the setcap line" || fail "no setcap fix: $out"
setcap cap_dac_read_search,cap_kill,cap_sys_ptrace+p "$B"
BREAKER_STATE_DIR=$T/state doctor "${base[@]}"
expect capabilities ok "after setcap"
# As the runner's user, the way the started hook runs it.
out=$(cd / && runuser -u "$U" -- "$B" doctor --fast --json) && rc=0 || rc=$?
expect capabilities ok "fast, as $U, capabilities granted"
out=$(cd / && runuser -u "$U" -- setpriv --no-new-privs "$B" doctor --fast --json) && rc=0 || rc=$?
expect no_new_privs problem "fast, as $U under no_new_privs"
[ "$rc" = 1 ] && pass "fast mode exits 1 under no_new_privs" || fail "fast exit $rc"
line=$(cd / && runuser -u "$U" -- setpriv --no-new-privs "$B" doctor --fast --oneline || true)
[ "$(printf '%s\n' "$line" | wc -l)" = 1 ] && echo "$line" | grep -q '^breaker doctor: .*no_new_privs' &&
	pass "--oneline: $line" || fail "--oneline printed: $line"

# A container's bounding set (Docker's default has CAP_KILL, neither
# CAP_DAC_READ_SEARCH nor CAP_SYS_PTRACE). Permitted-only file caps, raised
# by breaker itself, still run and still hold CAP_KILL...
small=(setpriv --bounding-set -dac_read_search,-sys_ptrace)
out=$(cd / && "${small[@]}" runuser -u "$U" -- "$B" doctor --fast --json) && rc=0 || rc=$?
expect capabilities ok "fast, as $U, bounding set without DAC_READ_SEARCH and SYS_PTRACE (+p)"
# ... where "+ep" would not run at all.
cp "$B" "$T/ep"
setcap cap_dac_read_search,cap_kill,cap_sys_ptrace+ep "$T/ep"
(cd / && "${small[@]}" runuser -u "$U" -- bash -c '"$0" --version' "$T/ep") >/dev/null 2>&1 && rc=0 || rc=$?
[ "$rc" = 126 ] && pass "(+ep under that bounding set: execve refused, exit 126)" ||
	fail "+ep under a small bounding set: exit $rc"

# --- the binary's mode ---------------------------------------------------------
chmod 0750 "$B"	# root:root 0750: nobody may not run it
BREAKER_STATE_DIR=$T/state doctor "${base[@]}"
expect binary problem "0750 root:root binary"
echo "$out" | grep -q "adduser $U root" && pass "fix: add the user to the group" ||
	fail "binary fix: $out"
chmod 0755 "$B"
setcap cap_dac_read_search,cap_kill,cap_sys_ptrace+p "$B"	# chmod kept it; be sure

# --- systemd units ---------------------------------------------------------------
unit=$T/actions.runner.octo-org.sim-1.service
printf '[Service]\nExecStart=/home/runner/runsvc.sh\nUser=runner\n' >"$unit"
BREAKER_STATE_DIR=$T/state doctor --user "$U" --binary "$B" --unit "$unit" --runner "$T/norunner"
expect no_new_privs ok "a plain runner unit"
echo 'NoNewPrivileges=yes' >>"$unit"
BREAKER_STATE_DIR=$T/state doctor --user "$U" --binary "$B" --unit "$unit" --runner "$T/norunner"
expect no_new_privs problem "NoNewPrivileges=yes in the unit"
sed -i '/NoNewPrivileges/d' "$unit"
mkdir -p "$unit.d"
printf '[Service]\nProtectKernelTunables=yes\n' >"$unit.d/hardening.conf"
BREAKER_STATE_DIR=$T/state doctor --user "$U" --binary "$B" --unit "$unit" --runner "$T/norunner"
expect no_new_privs problem "ProtectKernelTunables=yes in a drop-in"
echo "$out" | grep -q 'hardening.conf: ProtectKernelTunables=yes' &&
	pass "the message names the drop-in and the key" || fail "drop-in message: $out"

# --- the state directory ---------------------------------------------------------
BREAKER_STATE_DIR=$T/state doctor "${base[@]}"
expect state_dir problem "root's 0755 state directory, runner $U"
chmod 0777 "$T/state"
BREAKER_STATE_DIR=$T/state doctor "${base[@]}"
expect state_dir problem "0777 state directory without the sticky bit"
chmod 1777 "$T/state"
BREAKER_STATE_DIR=$T/state doctor "${base[@]}"
expect state_dir ok "1777 state directory"

# --- the firewall log ------------------------------------------------------------
mkdir -p "$T/fw"
echo '1774290908.910 172.30.0.20:55872 api.github.com:443 140.82.116.5:443 1.1 CONNECT 200 TCP_TUNNEL:HIER_DIRECT api.github.com:443 "curl/7.81.0"' >"$T/fw/access.log"
chmod 0640 "$T/fw/access.log"
write_config
sed -i "s|$T/gh-aw/access.log|$T/fw/access.log|" "$T/config.json"
cp "$BIN" "$T/nocaps"
BREAKER_STATE_DIR=$T/state doctor --user "$U" --binary "$T/nocaps" --unit /dev/null \
    --runner "$T/norunner" --config "$T/config.json"
expect firewall_log problem "0640 root firewall log, no CAP_DAC_READ_SEARCH"
BREAKER_STATE_DIR=$T/state doctor --user "$U" --binary "$B" --unit /dev/null \
    --runner "$T/norunner" --config "$T/config.json"
expect firewall_log ok "the same log, binary with CAP_DAC_READ_SEARCH"
chmod 0644 "$T/fw/access.log"
BREAKER_STATE_DIR=$T/state doctor --user "$U" --binary "$T/nocaps" --unit /dev/null \
    --runner "$T/norunner" --config "$T/config.json"
expect firewall_log ok "0644 firewall log"

# --- GitHub actions allowed: libcurl must load -------------------------------------
printf 'ghs_test\n' >"$T/token"
chmod 0600 "$T/token"
write_config "\"actions\": [\"stop\", \"cancel-run\"],
  \"github\": { \"api_url\": \"https://127.0.0.1:9/\", \"token_file\": \"$T/token\" }"
BREAKER_STATE_DIR=$T/state doctor "${base[@]}" --config "$T/config.json"
expect github ok "cancel-run allowed, libcurl loads"
BREAKER_STATE_DIR=$T/state doctor "${base[@]}"
[ -z "$(status_of "$out" github)" ] && pass "no GitHub action allowed: no github check" ||
	fail "github check without actions: $out"

# --- the hooks in the runner's .env ----------------------------------------------
BREAKER_STATE_DIR=$T/state doctor "${base[@]}"
expect hooks problem "a runner directory without .env"
{
	echo "ACTIONS_RUNNER_HOOK_JOB_STARTED=$SRC/hooks/job-started.sh"
	echo "ACTIONS_RUNNER_HOOK_JOB_COMPLETED=$SRC/hooks/job-completed.sh"
} >"$T/norunner/.env"
BREAKER_STATE_DIR=$T/state doctor "${base[@]}"
expect hooks ok "a .env with both hooks"
[ "$rc" = 0 ] && pass "exit status 0 with no problem" ||
	fail "exit $rc with no problem: $out"

# --- two runners sharing /tmp/gh-aw, and the started hook ------------------------
# Runner directories with a Runner.Listener (a copy of sleep: /proc/PID/exe
# then points into the runner's bin/); the first was not restarted after
# its .env got the hooks.
pids=()
for r in r1 r2; do
	mkdir -p "$T/$r/bin"
	cp "$(command -v sleep)" "$T/$r/bin/Runner.Listener"
	cp "$T/norunner/.env" "$T/$r/.env"
done
env -u ACTIONS_RUNNER_HOOK_JOB_STARTED -u ACTIONS_RUNNER_HOOK_JOB_COMPLETED \
    "$T/r1/bin/Runner.Listener" 60 &
pids+=($!)
env ACTIONS_RUNNER_HOOK_JOB_STARTED="$SRC/hooks/job-started.sh" \
    ACTIONS_RUNNER_HOOK_JOB_COMPLETED="$SRC/hooks/job-completed.sh" \
    "$T/r2/bin/Runner.Listener" 60 &
pids+=($!)
trap 'kill "${pids[@]}" 2>/dev/null || true; cleanup' EXIT
sleep 0.3
BREAKER_STATE_DIR=$T/state doctor --user "$U" --binary "$B" --unit /dev/null
expect runners problem "two Runner.Listener processes"
python3 -c 'import json, sys
r = json.loads(sys.argv[1])
m = [c["message"] for c in r["checks"] if c["check"] == "hooks" and c["status"] == "problem"]
sys.exit(0 if len(m) == 2 and all(sys.argv[2] in x and "not restarted" in x for x in m) else 1)' \
    "$out" "$T/r1" &&
	pass "hooks: r1's Listener was not restarted after .env (both hooks), r2 is fine" ||
	fail "hooks per runner: $out"

# A runner whose bounding set lacks two of the three: "+ep" cannot run in
# its jobs (a problem), "+p" runs with CAP_KILL only (a warning).
mkdir -p "$T/r3/bin"
cp "$(command -v sleep)" "$T/r3/bin/Runner.Listener"
"${small[@]}" "$T/r3/bin/Runner.Listener" 60 &
pids+=($!)
sleep 0.3
doctor --user "$U" --binary "$T/ep" --unit /dev/null --runner "$T/norunner"
echo "$out" | grep -q 'lacks CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE in its bounding set: the kernel refuses' &&
	pass "+ep binary, small bounding set: the kernel would refuse it" ||
	fail "+ep and a small bounding set: $out"
doctor --user "$U" --binary "$B" --unit /dev/null --runner "$T/norunner"
echo "$out" | grep -q 'CAP_SYS_PTRACE in its bounding set: breaker runs with CAP_KILL only' &&
	pass "+p binary, small bounding set: a warning, CAP_KILL only" ||
	fail "+p and a small bounding set: $out"

write_config
write_step "echo step-ran"
run_job
assert_hooks_ok
started=$(hook_output "$T/job" started)
echo "$started" | grep -q '^breaker doctor: [0-9]* runners (Runner.Listener) on this machine share /tmp/gh-aw' &&
	pass "the started hook reports it in one line" ||
	fail "started hook: $started"
echo "$started" | grep -q '^breaker: watching' &&
	pass "and breaker still watches the job" || fail "started hook: $started"
kill "${pids[@]}" 2>/dev/null
wait "${pids[@]}" 2>/dev/null || true

# --- kernel features, and --help ---------------------------------------------------
BREAKER_STATE_DIR=$T/state doctor "${base[@]}"
expect kernel ok "this machine's kernel (pidfd_open, seccomp, inotify)"
h=$("$BIN" doctor --help) && echo "$h" | grep -q -- '--runner DIR' &&
	pass "doctor --help on stdout, exit 0" || fail "doctor --help: $h"
"$BIN" doctor --bogus >/dev/null 2>&1 && rc=0 || rc=$?
[ "$rc" = 2 ] && pass "unknown option: exit 2" || fail "unknown option: exit $rc"
finish_test
