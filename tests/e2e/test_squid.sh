#!/bin/bash
# End to end against a real Squid (issue 6, "Firewall"): Squid from Debian on
# 127.0.0.1 with gh-aw's `firewall_detailed` log format and an allow-list;
# curl drives real CONNECTs through it from inside the agent step of the
# simulated runner (behind the awf stand-in), with breaker's hooks in enforce
# mode reading the real access.log live.
#
#   job 1: an "engine" that keeps retrying its provider, api.openai.com,
#          which the allow-list denies -> breaker fires the provider-host
#          rule on Squid's TCP_DENIED line and stops it;
#   job 2: allowed CONNECTs to a loopback TLS server plus denials of the
#          telemetry hosts chatgpt.com and ab.chatgpt.com only -> the job
#          completes, no verdict (and job 1's lines, still in the log, must
#          not count: breaker starts at the log's end).
# Needs no internet: denied hosts are refused by the allow-list before any
# DNS lookup, and the allowed server is on loopback.
# Exit: 0 pass, 1 fail, 77 when squid, curl or openssl cannot be installed.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
SRC="${BREAKER_SOURCE_ROOT:-$here/../..}"
BIN="${BREAKER_BIN:-}"
SIMRUNNER="$SRC/tests/integration/simrunner.py"
PROVIDER_RULE_RE="${E2E_PROVIDER_RULE_RE:-firewall\.provider\.denied}"

SQUID="$(command -v squid || echo /usr/sbin/squid)"
for tool in "$SQUID" curl openssl python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool not found (tests/deps.sh installs it)"
		exit 77
	fi
done
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
	echo "FAIL: BREAKER_BIN not set or not executable"
	exit 1
fi
[ -f "$SIMRUNNER" ] || { echo "FAIL: simulated runner missing: $SIMRUNNER"; exit 1; }

# Short paths: breaker's control socket lives in the state directory.
T="$(mktemp -d /tmp/bsq.XXXXXX)"
chmod 755 "$T"
SQUID_PID=""
TLS_PID=""
cleanup() {
	[ -n "$TLS_PID" ] && kill "$TLS_PID" 2>/dev/null
	if [ -n "$SQUID_PID" ]; then
		kill -TERM "$SQUID_PID" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$SQUID_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$SQUID_PID" 2>/dev/null
	fi
	# Squid switches to its own user, which clears the parent-death signal
	# `unshare --kill-child` relies on: end whatever still runs our config.
	pkill -KILL -f -- "-f $T/squid.conf" 2>/dev/null
	wait 2>/dev/null
	if [ "${E2E_KEEP:-0}" = 1 ] || [ "${failed:-0}" != 0 ]; then
		echo "kept: $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

failed=0
pass() { echo "PASS  $*"; npass=$((${npass:-0} + 1)); }
fail() { echo "FAIL  $*"; failed=$((failed + 1)); }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---- Squid ------------------------------------------------------------------
LOGS="$T/firewall/logs"
mkdir -p "$LOGS"
SQ_PORT="$(free_port)"
user_line=
if [ "$(id -u)" -eq 0 ]; then
	# Squid refuses to run as root: it switches to its own user, which must
	# be able to write the logs (as on gh-aw, where the log is Squid's).
	user_line="cache_effective_user proxy"
	chown proxy:proxy "$LOGS" 2>/dev/null || chmod 777 "$LOGS"
fi
cat >"$T/squid.conf" <<EOF
# A loopback copy of the gh-aw firewall's essentials.
http_port 127.0.0.1:$SQ_PORT
pid_filename $LOGS/squid.pid
cache_log $LOGS/cache.log
coredump_dir $LOGS
$user_line
cache deny all
shutdown_lifetime 1 seconds
dns_nameservers 127.0.0.1
logformat firewall_detailed %ts.%03tu %>a:%>p %{Host}>h %<a:%<p %rv %rm %>Hs %Ss:%Sh %ru "%{User-Agent}>h"
access_log stdio:$LOGS/access.log firewall_detailed
# The allow-list: loopback only (the "allowed" TLS server lives there).
acl allowed_domains dstdomain localhost 127.0.0.1
acl CONNECT method CONNECT
http_access allow allowed_domains
http_access deny all
EOF
if ! "$SQUID" -k parse -f "$T/squid.conf" >"$T/squid-parse.log" 2>&1; then
	cat "$T/squid-parse.log"
	fail "squid -k parse rejected the configuration"
	exit 1
fi
# On gh-aw Squid runs in a container (its own pid namespace), not as a job
# process: breaker attributes its log to the job through the job's own awf
# (agent/owner.c). As root, give Squid a pid namespace of its own the same
# way; otherwise it is a host process outside the job, whose writes breaker
# must not act on (checked below as such).
CONTAINER=
if [ "$(id -u)" -eq 0 ] && unshare --pid --fork --kill-child true 2>/dev/null; then
	CONTAINER="unshare --pid --fork --kill-child"
fi
$CONTAINER "$SQUID" -N -f "$T/squid.conf" >"$T/squid.out" 2>&1 &
SQUID_PID=$!
up=0
for _ in $(seq 1 100); do
	if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$SQ_PORT/" 2>/dev/null; then
		up=1
		break
	fi
	kill -0 "$SQUID_PID" 2>/dev/null || break
	sleep 0.1
done
if [ "$up" != 1 ]; then
	tail -20 "$T/squid.out" "$LOGS/cache.log" 2>/dev/null
	fail "squid did not start on 127.0.0.1:$SQ_PORT"
	exit 1
fi
echo "squid $("$SQUID" -v | sed -n '1s/.*Version //p') on 127.0.0.1:$SQ_PORT, logs in $LOGS"

# ---- the allowed upstream: a loopback TLS server -----------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
    -days 1 -subj /CN=localhost >/dev/null 2>&1
TLS_PORT="$(free_port)"
openssl s_server -accept "127.0.0.1:$TLS_PORT" -cert "$T/cert.pem" -key "$T/key.pem" \
    -www -quiet </dev/null >/dev/null 2>&1 &
TLS_PID=$!
for _ in $(seq 1 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$TLS_PORT") 2>/dev/null && break
	sleep 0.1
done

# Through the proxy, the way an engine does: CONNECT, then TLS.
code=$(curl -sk -x "http://127.0.0.1:$SQ_PORT" -o /dev/null -w '%{http_code}' --max-time 5 \
    "https://127.0.0.1:$TLS_PORT/")
[ "$code" = 200 ] && pass "allowed CONNECT through squid to the loopback TLS server (HTTP $code)" ||
	fail "allowed CONNECT through squid failed (HTTP $code)"
code=$(curl -s -x "http://127.0.0.1:$SQ_PORT" -o /dev/null -w '%{http_code}' --max-time 5 \
    https://api.openai.com/v1/responses)
grep -q ' api.openai.com:443 -:- 1.1 CONNECT 403 TCP_DENIED:HIER_NONE ' "$LOGS/access.log" &&
	pass "squid denies api.openai.com and logs it in firewall_detailed form" ||
	fail "no TCP_DENIED line for api.openai.com in access.log"
# From here on the log holds a provider denial from before the jobs: breaker
# must start each job at the log's end and never count it.

# ---- the jobs -----------------------------------------------------------------
sandbox_key=""
if [ -n "${E2E_BREAKER_SANDBOX:-}" ]; then
	sandbox_key=$(printf ',\n "sandbox": "%s"' "$E2E_BREAKER_SANDBOX")
fi
write_config() { # DIR
	cat >"$1/breaker.json" <<EOF
{
 "version": 1, "mode": "enforce", "state_dir": "$1/s",
 "sources": {
  "engine": {"path": "$1/gh-aw/agent-stdio.log", "format": "jsonl"},
  "firewall": {"path": "$LOGS/access.log", "format": "squid"}
 },
 "actions": ["stop"]$sandbox_key
}
EOF
}

# The agent step: an "engine" (the bash script given on stdin, saved as
# DIR/engine.sh) behind awf, its traffic going through squid.
write_step() { # DIR <ENGINE-SCRIPT
	cat >"$1/engine.sh"
	cat >"$1/step.sh" <<EOF
mkdir -p "$1/gh-aw"
touch "$1/gh-aw/agent-stdio.log"
"$here/awf" --grace 3 -- /bin/bash "$1/engine.sh" 2>&1 | tee -a "$1/gh-aw/agent-stdio.log"
EOF
}

run_job() { # DIR STEP_TIMEOUT
	env -u BREAKER_CONFIG -u BREAKER_STATE_DIR \
	    BREAKER_BIN="$BIN" BREAKER_CONFIG="$1/breaker.json" BREAKER_STATE_DIR="$1/s" \
	    BREAKER_SOURCE_ROOT="$SRC" \
	    python3 "$SIMRUNNER" --dir "$1/job" --step "$1/step.sh" --step-timeout "$2" \
	    --hooks "$SRC/hooks" --env "HTTPS_PROXY=http://127.0.0.1:$SQ_PORT" \
	    </dev/null >"$1/simrunner.out" 2>&1
}

# Prints: rc duration n_left_after_step n_orphans, then one line per verdict
# "rule severity stop_target", then the ::error lines of the completed hook.
summarise() { # DIR
	python3 - "$1" <<'EOF'
import glob, json, os, sys
d = sys.argv[1]
r = json.load(open(os.path.join(d, "job", "result.json")))
s = r.get("step", {})
left = [p for p in r.get("after_step", []) if not p["comm"].startswith("breaker")]
print("job", s.get("rc"), "%.2f" % s.get("duration", -1), len(left), len(r.get("orphans", [])))
for f in sorted(glob.glob(os.path.join(d, "s", "*", "verdict-*.json"))):
    v = json.load(open(f))
    print("verdict", v.get("rule_id"), v.get("severity"), v.get("stop_target") or "-")
for line in open(os.path.join(d, "job", "job.log"), errors="replace"):
    p = line.rstrip("\n").split(" ", 2)
    if len(p) == 3 and p[1] == "[completed]" and p[2].startswith("::error "):
        print("annotation", p[2])
EOF
}

# Job 1: the provider host is blocked; the engine would retry for a minute.
J1="$T/j1"
mkdir -p "$J1"
write_config "$J1"
write_step "$J1" <<'EOF'
echo "engine: connecting to api.openai.com through the firewall"
for i in $(seq 1 30); do
	curl -sS --max-time 5 https://chatgpt.com/backend-api/codex/analytics -o /dev/null -A codex_exec/0.171.0
	curl -sS --max-time 5 https://api.openai.com/v1/responses -o /dev/null -A codex_exec/0.171.0
	# codex's own words when the CONNECT is refused (its transport error)
	echo "ERROR: Reconnecting... $i/30 (stream disconnected before completion: error sending request for url (https://api.openai.com/v1/responses))"
	sleep 2
done
exit 1
EOF
run_job "$J1" 90
summarise "$J1" >"$J1/summary" 2>"$J1/summary.err" || cat "$J1/summary.err"
cat "$J1/summary" | cut -c1-300
read -r _ rc dur left orphans < <(grep '^job ' "$J1/summary")
first_fatal=$(awk '$1 == "verdict" && $3 == "fatal" { print $2; exit }' "$J1/summary")
if [ -z "$CONTAINER" ]; then
	# Squid is a host process outside the job: its log is not the job's.
	if grep -rq 'could not be attributed to this job: squid' "$J1"/s/*/verdict-*.json; then
		pass "host squid (no container): its denial was not the job's; nothing stopped"
	else
		fail "host squid (no container): expected an unattributed verdict"
	fi
	echo "SKIP  the stop through the firewall's log needs root (a pid namespace for squid)"
elif [[ "$first_fatal" =~ ^($PROVIDER_RULE_RE)$ ]]; then
	pass "provider-host denial: breaker fired $first_fatal on squid's live access.log"
else
	fail "provider-host denial: first fatal verdict is '${first_fatal:-none}', expected /$PROVIDER_RULE_RE/"
fi
if [ -z "$CONTAINER" ]; then
	:
elif [ "${rc:-0}" != 0 ] && awk -v d="${dur:-999}" 'BEGIN { exit !(d < 30) }'; then
	pass "provider-host denial: the job was stopped after ${dur}s (step exit $rc; alone it retries ~60 s)"
else
	fail "provider-host denial: step exit ${rc:-?} after ${dur:-?}s (expected a stop well before 30 s)"
fi
[ "${left:-1}" = 0 ] && [ "${orphans:-1}" = 0 ] &&
	pass "provider-host denial: nothing of the engine left after the step or the job" ||
	fail "provider-host denial: processes left (after step: ${left:-?}, after job: ${orphans:-?})"
if [ -z "$CONTAINER" ]; then
	:
elif grep -q "^annotation ::error .*Rule $first_fatal" "$J1/summary" && grep -q 'api.openai.com' <(grep '^annotation' "$J1/summary"); then
	pass "provider-host denial: the annotation names the rule and api.openai.com"
else
	fail "provider-host denial: no ::error annotation naming the rule and the host"
fi

# Job 2: allowed traffic and telemetry-only denials; must finish untouched.
J2="$T/j2"
mkdir -p "$J2"
write_config "$J2"
write_step "$J2" <<EOF
echo 'engine: working, telemetry is blocked'
for i in 1 2 3; do
	curl -sk --max-time 5 https://127.0.0.1:$TLS_PORT/ -o /dev/null -w 'allowed %{http_code}\n'
	curl -s --max-time 5 https://chatgpt.com/backend-api/codex/analytics -o /dev/null -A codex_exec/0.171.0 -w 'chatgpt.com %{http_code}\n'
	curl -s --max-time 5 https://ab.chatgpt.com/otlp/v1/metrics -o /dev/null -A codex_exec/0.171.0 -w 'ab.chatgpt.com %{http_code}\n'
	sleep 1
done
echo 'engine: done'
exit 0
EOF
run_job "$J2" 90
summarise "$J2" >"$J2/summary" 2>"$J2/summary.err" || cat "$J2/summary.err"
cat "$J2/summary" | cut -c1-300
read -r _ rc dur left orphans < <(grep '^job ' "$J2/summary")
nden=$(awk '/ (chatgpt\.com|ab\.chatgpt\.com):443 -:- .* TCP_DENIED/' "$LOGS/access.log" | wc -l)
nok=$(grep -c " 127.0.0.1:$TLS_PORT .* CONNECT 200 TCP_TUNNEL" "$LOGS/access.log")
[ "$nden" -ge 6 ] && [ "$nok" -ge 3 ] &&
	pass "telemetry job: squid logged $nden telemetry denials and $nok allowed tunnels" ||
	fail "telemetry job: expected ≥6 telemetry denials and ≥3 allowed tunnels in access.log (got $nden, $nok)"
if grep -q '^verdict' "$J2/summary"; then
	fail "telemetry job: breaker produced verdicts: $(grep '^verdict' "$J2/summary" | tr '\n' ' ')"
else
	pass "telemetry job: no verdict (telemetry-only denials, and job 1's denials before the start, ignored)"
fi
[ "${rc:-1}" = 0 ] && pass "telemetry job: completed normally in ${dur}s" ||
	fail "telemetry job: step exit ${rc:-?}"

echo "${npass:-0} passed, $failed failed"
[ "$failed" = 0 ]
