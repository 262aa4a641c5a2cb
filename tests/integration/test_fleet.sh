#!/bin/bash
# The fleet's view (issue 14): three simulated jobs on one runner — a 401
# stopped, a healthy run, a 401 in observe mode — leave their events in the
# JSON lines file and in a (fake) journal, and their counters in the
# node_exporter textfile, which the real prometheus-node-exporter serves on
# loopback. Skipped (77) when node_exporter is not installed.
. "$(dirname "$0")/lib.sh"

NE=$(command -v prometheus-node-exporter || command -v node_exporter || true)
if [ -z "$NE" ]; then
	echo "SKIP: prometheus-node-exporter is not installed (tests/deps.sh)"
	exit 77
fi

EV=$T/events.jsonl
PROM=$T/textfile
JSOCK=$T/journal.sock
mkdir -p "$PROM"
fleet() {
	printf '"events": { "file": "%s", "journald_socket": "%s" },
  "metrics": { "textfile_dir": "%s" }%s' "$EV" "$JSOCK" "$PROM" "${1:+,
  $1}"
}

# A fake journal: every datagram sent to $JSOCK, appended to journal.bin
# with a 4-byte length; it ends by itself after 120 s at the latest.
python3 - "$JSOCK" "$T/journal.bin" <<'PY' &
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(1)
end = time.time() + 120
with open(sys.argv[2], "ab", buffering=0) as out:
    while time.time() < end:
        try:
            d = s.recv(1 << 20)
        except socket.timeout:
            continue
        out.write(struct.pack("<I", len(d)) + d)
PY
JPID=$!
for _ in $(seq 50); do [ -S "$JSOCK" ] && break; sleep 0.1; done

# 1. a 401, enforced: stopped
write_config "$(fleet)"
write_step "$(engine_cmd --lines "'$SEED'" --hang 20)"
run_job "$T/job1"
# 2. a healthy run
write_step "$(engine_cmd --lines "'$SRC/tests/samples/codex-reconnect-recovers.log'" --hang 0)"
run_job "$T/job2"
# 3. a 401 in observe mode: left running, it hangs its 2 s; a local rule
# carries a hint for the workflow's author
cat > "$T/hint.json" <<'EOF'
{ "version": 1, "rules": [ { "id": "local.no-key", "title": "No API key was sent",
  "severity": "fatal", "match": { "regex": "401 Unauthorized: Missing bearer" },
  "hint": "no key was sent: is the secret set and available to this trigger?" } ] }
EOF
write_config "$(fleet "\"mode\": \"observe\", \"rules\": [\"$T/hint.json\"]")"
write_step "$(engine_cmd --lines "'$SEED'" --hang 2)"
run_job "$T/job3"
for j in job1 job2 job3; do assert_hooks_ok "$T/$j"; done
kill "$JPID" 2>/dev/null || true
wait "$JPID" 2>/dev/null || true

# Observe mode annotates as a notice, never an error; the hint is shown.
out=$(hook_output "$T/job3" completed)
echo "$out" | grep -q '^::error' && fail "observe mode printed an ::error: $out" ||
	pass "observe mode: no ::error"
echo "$out" | grep '^::notice ' | grep -q 'would have stopped' &&
	pass "observe mode: a ::notice says would have stopped" || fail "no notice: $out"
echo "$out" | grep '^::notice title=breaker%3A No API key was sent' | grep -q 'What to do: no key was sent: is the secret set' &&
	pass "the rule's hint is in the annotation" || fail "no hint: $out"
summary=$(jget "$T/job3/result.json" 'r["env"]["GITHUB_STEP_SUMMARY"]')
grep -q '^- \*\*What to do:\*\* no key was sent: is the secret set' "$summary" &&
	pass "the rule's hint is in the summary" || fail "summary hint: $(cat "$summary")"

# The observe job's summary says how long it ran past the would-stop point.
summary=$(jget "$T/job3/result.json" 'r["env"]["GITHUB_STEP_SUMMARY"]')
grep -q "Time saved: about .* (observe mode: the job ran this long past the would-stop point)" "$summary" &&
	pass "observe summary: time past the would-stop point" || fail "summary: $(cat "$summary")"
summary=$(jget "$T/job1/result.json" 'r["env"]["GITHUB_STEP_SUMMARY"]')
grep -q "Time saved: about .* (an estimate: up to gh-aw's 20-minute default step timeout)" "$summary" &&
	pass "enforce summary: time saved, labelled an estimate" || fail "summary: $(cat "$summary")"

# The events file: one line per verdict and per job.
python3 - "$EV" <<'PY' && pass "events file: verdicts and jobs, outcome as data" || fail "events: $(cat "$EV")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert all(r["schema"] == "breaker.event/1" for r in recs)
jobs = [r for r in recs if r["type"] == "job"]
assert len(jobs) == 3, jobs
assert [j["outcome"] for j in jobs] == ["stopped", "none", "observe"], jobs
assert all(j["repository"] == "octo-org/moderator" and j["runner"] == "sim-runner-1" for j in jobs)
assert jobs[0]["rule"] == "codex.auth.unauthorized" and jobs[0]["saved_basis"] == "estimated"
assert jobs[2]["saved_basis"] == "observed" and jobs[2]["saved_seconds"] >= 1.5, jobs[2]
assert jobs[1]["verdicts"] == 0 and jobs[1]["saved_seconds"] is None
v = [r for r in recs if r["type"] == "verdict" and r["severity"] == "fatal"]
assert v[0]["outcome"] == "stopped" and v[0]["target"] == "awf" and v[0]["stop_seconds"] >= 0, v[0]
assert v[-1]["outcome"] == "observe" and v[-1]["action"] == "would-stop", v[-1]
PY

# The journal got the same records, as fields a journalctl query matches.
python3 - "$T/journal.bin" <<'PY' && pass "journald: fields to filter on" || fail "journal"
import struct, sys
data = open(sys.argv[1], "rb").read()
msgs, i = [], 0
while i < len(data):
    n = struct.unpack("<I", data[i:i + 4])[0]
    d, i, f = data[i + 4:i + 4 + n], i + 4 + n, {}
    j = 0
    while j < len(d):
        nl = d.index(b"\n", j)
        line = d[j:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            j = nl + 1
        else:
            k, ln = line, struct.unpack("<Q", d[nl + 1:nl + 9])[0]
            v, j = d[nl + 9:nl + 9 + ln], nl + 9 + ln + 1
        f[k.decode()] = v.decode()
    msgs.append(f)
jobs = [m for m in msgs if m["BREAKER_TYPE"] == "job"]
assert len(jobs) == 3, len(jobs)
stop = [m for m in msgs if m.get("BREAKER_RULE") == "codex.auth.unauthorized"
        and m["BREAKER_TYPE"] == "verdict"]
assert stop and stop[0]["BREAKER_OUTCOME"] == "stopped", stop
assert all(m["SYSLOG_IDENTIFIER"] == "breaker" and m["GITHUB_REPOSITORY"] == "octo-org/moderator"
           and m["PRIORITY"] in ("4", "6") and m["MESSAGE"].startswith("breaker: ") for m in msgs)
PY

# node_exporter's textfile collector serves the counters.
port=$(free_port)
"$NE" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$PROM" \
	> "$T/node_exporter.log" 2>&1 &
NEPID=$!
python3 - "$port" > "$T/metrics.txt" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=2).read().decode())
        break
    except OSError:
        time.sleep(0.1)
PY
kill "$NEPID" 2>/dev/null || true
wait "$NEPID" 2>/dev/null || true
python3 - "$T/metrics.txt" <<'PY' && pass "node_exporter /metrics: jobs, verdicts, stops, time saved" || { fail "metrics"; cat "$T/metrics.txt" "$T/node_exporter.log" | grep -v '^#' | head -40; }
import re, sys
m = {}
for line in open(sys.argv[1]):
    if line.startswith("breaker_"):
        k, v = line.rsplit(" ", 1)
        m[k] = float(v)
r = 'runner="sim-runner-1"'
assert m['breaker_jobs_total{%s}' % r] == 3, m
assert m['breaker_stops_total{outcome="stopped",%s}' % r] == 1, m
assert m['breaker_stops_total{outcome="observe",%s}' % r] == 1, m
assert m['breaker_verdicts_total{outcome="stopped",rule="codex.auth.unauthorized",%s,severity="fatal"}' % r] == 1, m
assert m['breaker_seconds_saved_total{basis="observed",%s}' % r] >= 1.5, m
assert m['breaker_seconds_saved_total{basis="estimated",%s}' % r] > 0, m
assert sum(v for k, v in m.items() if k.startswith("breaker_jobs_by_sandbox_total")) == 3, m
assert m['breaker_sources_unreadable_total{%s}' % r] == 0, m
# node_exporter read the file without error
assert 'node_textfile_scrape_error 0' in open(sys.argv[1]).read()
PY
ls "$PROM" | grep -v '^breaker-sim-runner-1.prom$' | grep -q '\.prom' &&
	fail "a stray .prom file: $(ls -a "$PROM")" || pass "one .prom file per runner, no stray temporary"
finish_test
