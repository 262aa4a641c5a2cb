#!/bin/bash
# `breaker replay`: the offline pipeline and its report, text and --json,
# and its exit codes (1 fatal, 0 none, 2 usage or policy error).
set -u
B=${BREAKER_BIN:?}
SRC=${BREAKER_SOURCE_ROOT:?}
FX=$BREAKER_SOURCE_ROOT/tests/fixtures/shared
T=$(mktemp -d /tmp/breaker-replay-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"
P=$SRC/tests/unit/policies/codex401.json

# A fatal sequence: exit 1, the verdict with its line, hits per rule.
out=$("$B" replay --no-defaults --policy "$P" \
	--source engine="$FX/codex-401-missing-bearer.log" 2>&1)
rc=$?
[ $rc = 1 ] && pass "fatal verdict: exit 1" || fail "exit $rc: $out"
echo "$out" | grep -q "engine .*: 19 lines" && pass "lines read" ||
	fail "no line count: $out"
echo "$out" | grep -qE '^ +5 +0 +none +t\.codex\.reconnect$' &&
	pass "hits per rule" || fail "hits: $out"
echo "$out" | grep -q "1\. fatal   t.codex.401 at engine:18" &&
	pass "verdict at line 18" || fail "verdict: $out"
echo "$out" | grep -q "engine:13: ERROR: Reconnecting... 1/5" &&
	pass "first matching lines shown" || fail "examples: $out"
echo "$out" | grep -qE "^[0-9]+ lines, .* MB/s\)$" && pass "time taken" ||
	fail "no timing: $out"

# The configuration is --config's, else $BREAKER_CONFIG's, as in every
# command (cmdopt.c); an empty --config is the built-in one.
echo '{"version": 1, "mode": "loud"}' > "$T/loud.json"
out=$(BREAKER_CONFIG="$T/loud.json" "$B" replay --no-defaults --policy "$P" \
	--source engine="$FX/codex-401-missing-bearer.log" 2>&1)
rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "loud.json:1:16: mode: unknown mode" &&
	pass "\$BREAKER_CONFIG is the configuration" || fail "exit $rc: $out"
out=$(BREAKER_CONFIG="$T/loud.json" "$B" replay --config "" --no-defaults \
	--policy "$P" --source engine="$FX/codex-401-missing-bearer.log" 2>&1)
rc=$?
[ $rc = 1 ] && pass "--config '': the built-in configuration" ||
	fail "exit $rc: $out"

# --json: one object with sources, rules, verdicts.
"$B" replay --json --no-defaults --policy "$P" \
	--source engine="$FX/codex-401-seed-issue.log" > "$T/r.json"
rc=$?
[ $rc = 1 ] && pass "--json exit 1" || fail "--json exit $rc"
python3 - "$T/r.json" <<'PY' && pass "--json report" || fail "--json: $(cat "$T/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["sources"][0]["name"] == "engine" and r["sources"][0]["lines"] == 7
hits = {x["id"]: x["hits"] for x in r["rules"]}
assert hits == {"t.codex.reconnect": 6, "t.codex.401": 1}, hits
v = r["verdicts"]
assert len(v) == 1
assert v[0]["rule"] == "t.codex.401" and v[0]["severity"] == "fatal"
assert v[0]["source"] == "engine" and v[0]["line"] == 7
assert "Missing bearer" in v[0]["message"]
assert r["fatal"] is True
PY

# A lone reconnect that recovers: no verdict, exit 0.
printf 'ERROR: Reconnecting... 1/5\nthinking\nHello!\n' > "$T/ok.log"
"$B" replay --no-defaults --policy "$P" --source engine="$T/ok.log" > "$T/o" 2>&1
rc=$?
[ $rc = 0 ] && pass "no verdict: exit 0" || fail "exit $rc: $(cat "$T/o")"
grep -q "^  none$" "$T/o" && pass "says none" || fail "$(cat "$T/o")"

# Squid timestamps give the verdict its time.
cat > "$T/fw.json" <<'J'
{"version": 1, "rules": [{"id": "t.denied", "title": "denied",
 "source": "firewall", "severity": "warning",
 "match": {"field": "result", "equals": "TCP_DENIED"}}]}
J
"$B" replay --json --no-defaults --policy "$T/fw.json" \
	--source firewall="$FX/squid-access.log" > "$T/fw.out"
rc=$?
[ $rc = 0 ] && pass "warning only: exit 0" || fail "exit $rc"
python3 -c "
import json,sys; r=json.load(open('$T/fw.out'))
v=r['verdicts'][0]; assert v['line']==3 and abs(v['time']-1774290909.186)<1e-6, v
" && pass "verdict time from the squid line" || fail "$(cat "$T/fw.out")"

# Hostile lines never print as workflow commands; secrets are redacted.
printf '::error::pwned sk-abcdefghijklmnopqrstuvwxyz012345\n' > "$T/h.log"
cat > "$T/h.json" <<'J'
{"version": 1, "rules": [{"id": "t.h", "title": "h", "severity": "notice",
 "match": {"regex": "pwned (?<k>.*)"}, "message": "key {k}"}]}
J
"$B" replay --no-defaults --policy "$T/h.json" --source engine="$T/h.log" > "$T/h.out" 2>&1
grep -q '^::' "$T/h.out" && fail "a workflow command leaked: $(cat "$T/h.out")" ||
	pass "no workflow command in the report"
grep -q 'abcdefghijklmnopqrstuvwxyz012345' "$T/h.out" &&
	fail "secret printed: $(cat "$T/h.out")" || pass "secret redacted"

# Issue 13: the api-proxy record is a default source; a replay says when,
# from each line's epoch milliseconds ("ts").
for i in 1 2 3 4 5 6 7 8; do
	printf '{"ts":17964217%02d000,"event":"TRACK_START","rid":"r%d","provider":"copilot","path":"/chat/completions","streaming":false,"ct":"application/json","ce":"(none)","status":429}\n' "$((i * 5))" "$i"
	printf '{"ts":17964217%02d003,"event":"TRACK_END","rid":"r%d","result":"skip_status","status":429}\n' "$((i * 5))" "$i"
done > "$T/audit.jsonl"
"$B" replay --source api-proxy="$T/audit.jsonl" > "$T/a.out" 2>&1; rc=$?
[ $rc = 1 ] && pass "api-proxy record: a fatal verdict (exit 1)" || fail "exit $rc: $(cat "$T/a.out")"
grep -q 'api-proxy.rate-limit.persistent at api-proxy:15 (time 2026-12-04T22:02:20.000Z)' "$T/a.out" &&
	pass "api-proxy: the 8th refusal, timed from its line" ||
	fail "api-proxy verdict: $(grep -A2 'verdicts, in order' "$T/a.out")"

# Usage and policy errors: exit 2.
"$B" replay --no-defaults --policy "$P" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && pass "no --source: exit 2" || fail "exit $rc"
"$B" replay --source nosuch="$T/ok.log" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && pass "unknown source: exit 2" || fail "exit $rc"
"$B" replay --source engine=/nonexistent >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && pass "missing file: exit 2" || fail "exit $rc"
echo '{"version": 1, "rules": [{"id": "x"}]}' > "$T/bad.json"
"$B" replay --policy "$T/bad.json" --source engine="$T/ok.log" > "$T/b" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "bad.json:1:" "$T/b" && pass "bad policy: exit 2, located" ||
	fail "exit $rc: $(cat "$T/b")"

# Garbage: random bytes, a 10 MB line, no trailing newline: no crash.
head -c 3000000 /dev/urandom > "$T/g.log"
python3 -c "import sys; sys.stdout.write('x'*(10*1024*1024)+'\nUnauthorized tail')" >> "$T/g.log"
"$B" replay --source engine="$T/g.log" --source firewall="$T/g.log" > "$T/g.out" 2>&1; rc=$?
[ $rc = 0 ] || [ $rc = 1 ] && pass "garbage replayed (exit $rc)" ||
	fail "garbage: exit $rc: $(tail -5 "$T/g.out")"
grep -q "over-long lines cut" "$T/g.out" && pass "over-long line counted" ||
	fail "no over-long count: $(head -8 "$T/g.out")"

# Sources are read in the policy's order (engine, then firewall), whatever
# the order of --source: the engine's "cannot connect" fact is known when
# the firewall's denial is read, as it is live; and AWF's api-proxy line
# turns the start-up denial of a healthy Claude run into a notice.
echo '{"type":"system","subtype":"api_retry","attempt":1,"max_retries":10,"retry_delay_ms":500,"error_status":null,"error":"unknown"}' > "$T/eng.log"
echo '1796425761.693 172.30.0.20:44752 api.anthropic.com:443 -:- 1.1 CONNECT 403 TCP_DENIED:HIER_NONE api.anthropic.com:443 "-"' > "$T/fw.log"
"$B" replay --source firewall="$T/fw.log" --source engine="$T/eng.log" > "$T/o1" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "fatal   firewall.provider.denied at firewall:1" "$T/o1" &&
	pass "policy order: engine first, the denial is fatal" || fail "exit $rc: $(cat "$T/o1")"
echo '[INFO] API proxy enabled: OpenAI=false, Anthropic=true, Copilot=false, Gemini=false, Vertex=false' > "$T/eng2.log"
"$B" replay --source firewall="$T/fw.log" --source engine="$T/eng2.log" > "$T/o2" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "notice  firewall.provider.bypass at firewall:1" "$T/o2" &&
	pass "api-proxy in use: the agent's denial is a notice" || fail "exit $rc: $(cat "$T/o2")"

# "-" is standard input (a log piped in, from zcat say); one source
# at most can read it.
"$B" replay --source firewall="$T/fw.log" --source engine=- < "$T/eng.log" > "$T/o3" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "engine     -: 1 lines" "$T/o3" &&
	grep -q "fatal   firewall.provider.denied at firewall:1" "$T/o3" &&
	pass "--source engine=- reads standard input" || fail "stdin: exit $rc: $(cat "$T/o3")"
"$B" replay --source firewall=- --source engine=- < "$T/eng.log" > "$T/o4" 2>&1; rc=$?
[ $rc = 2 ] && grep -q 'only one source can read standard input' "$T/o4" &&
	pass "two sources on standard input: a usage error" || fail "two stdins: exit $rc: $(cat "$T/o4")"

finish
