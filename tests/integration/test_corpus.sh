#!/bin/bash
# `breaker check --corpus DIR`: the labelled corpus in tests/corpus/ through
# the default policy (CI fails on any false stop or missed fatal), and the
# command's own behaviour on small synthetic corpora: a false stop and a
# missed fatal each exit 1 and are listed, a file of a source the policy
# lacks is a counted skip, a broken case.json is reported, --json, --policy.
set -u
B=${BREAKER_BIN:?}
SRC=${BREAKER_SOURCE_ROOT:?}
T=$(mktemp -d /tmp/breaker-corpus-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"

out=$("$B" check --corpus "$SRC/tests/corpus" 2>&1); rc=$?
[ $rc = 0 ] && pass "tests/corpus: no false stop, no missed fatal" ||
	fail "tests/corpus: exit $rc: $(echo "$out" | sed -n '/^missed\|^false\|^cases that/,$p')"
echo "$out" | grep -q "^by engine" && echo "$out" | grep -q "^by class" &&
	pass "matrix per engine and per class" || fail "no matrix: $out"

mk() {	# mk DIR LABEL ENGINE CLASS FILE LINE
	mkdir -p "$T/$1"
	printf '{"id":"%s","engine":"%s","label":"%s","class":"%s","provenance":"test","reason":"r"}\n' \
	    "$(basename "$1")" "$3" "$2" "$4" > "$T/$1/case.json"
	printf '%s\n' "$6" > "$T/$1/$5"
}
mk c/ok-run ok codex healthy engine.log "codex"
mk c/fatal-run fatal codex auth engine.log \
    "ERROR: unexpected status 401 Unauthorized: Incorrect API key provided: x"
out=$("$B" check --corpus "$T/c" 2>&1); rc=$?
[ $rc = 0 ] && pass "a clean corpus exits 0" || fail "exit $rc: $out"

mk bad/false-stop ok claude lookalike engine.log "Invalid API key · Please run /login"
mk bad/missed fatal copilot quota engine.log "all good"
mk bad/skipped ok any healthy token-tracker-audit.jsonl '{"event":"TRACK_START","status":401}'
cp "$T/bad/skipped/token-tracker-audit.jsonl" "$T/c/ok-run/"
out=$("$B" check --corpus "$T/bad" 2>&1); rc=$?
[ $rc = 1 ] && pass "false stop / missed fatal: exit 1" || fail "exit $rc: $out"
echo "$out" | sed -n '/^false stops/,/^$/p' | grep -q "false-stop (claude" &&
	pass "the false stop is listed" || fail "false stop not listed: $out"
echo "$out" | sed -n '/^missed fatal/,/^$/p' | grep -q "missed (copilot" &&
	pass "the missed fatal is listed" || fail "miss not listed: $out"
echo "$out" | grep -q "skipped: token-tracker-audit.jsonl (nothing else" &&
	pass "a source the policy lacks is a counted skip" || fail "skip: $out"
echo "$out" | grep -q "^result: FAILED: 1 false stop, 1 missed fatal$" &&
	pass "result line" || fail "result: $out"

out=$("$B" check --corpus "$T/bad" --json 2>/dev/null); rc=$?
echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["false_stops"] == 1 and d["missed_fatal"] == 1 and not d["ok"], d
c = {x["id"]: x for x in d["cases"]}
assert c["false-stop"]["outcome"] == "stop" and c["false-stop"]["stopped_by"] == "claude.auth.invalid"
assert c["skipped"]["outcome"] == "not-judged"
assert d["by_engine"]["copilot"]["fatal"]["ok"] == 1
assert d["by_class"]["all"]["cases"] == 2
' && [ $rc = 1 ] && pass "--json report" || fail "--json: exit $rc: $out"

# a user's own rule turns the miss into a catch (and a broken case.json is
# reported, not ignored)
cat > "$T/local.json" <<'J'
{ "version": 1, "rules": [ { "id": "local.all-good", "title": "t",
  "severity": "fatal", "match": { "regex": "^all good$" } } ] }
J
rm -r "$T/bad/false-stop"
out=$("$B" check --corpus "$T/bad" --policy "$T/local.json" 2>&1); rc=$?
[ $rc = 0 ] && pass "--policy: the user's rule catches the case" || fail "exit $rc: $out"
mkdir -p "$T/bad/broken" && echo '{"label":"maybe"}' > "$T/bad/broken/case.json"
out=$("$B" check --corpus "$T/bad" --policy "$T/local.json" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "could not be judged" &&
	pass "a broken case.json is reported" || fail "exit $rc: $out"
"$B" check --corpus "$T/nonexistent" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && pass "no such directory: exit 2" || fail "exit $rc"
"$B" check --json >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && pass "--json without --corpus: exit 2" || fail "exit $rc"

finish
