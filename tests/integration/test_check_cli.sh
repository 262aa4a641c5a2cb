#!/bin/bash
# `breaker check`: validation with file:line:col: key.path errors, exit 0/2,
# the rules' samples, and the effective policy when no file is named.
set -u
B=${BREAKER_BIN:?}
SRC=${BREAKER_SOURCE_ROOT:?}
T=$(mktemp -d /tmp/breaker-check-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"

out=$(BREAKER_CONFIG= "$B" check 2>&1); rc=$?
[ $rc = 0 ] && pass "the embedded default policy is valid and its samples behave" ||
	fail "default policy: exit $rc: $out"
echo "$out" | grep -q "^ok: embedded default" && pass "says ok" || fail "$out"

out=$("$B" check --no-defaults "$SRC/tests/unit/policies/codex401.json" 2>&1); rc=$?
[ $rc = 0 ] && pass "a valid rule file" || fail "exit $rc: $out"

cat > "$T/bad.json" <<'J'
{
  "version": 1,
  "rules": [
    { "id": "a.b", "title": "A", "severity": "fatal",
      "match": { "regx": "x" } }
  ]
}
J
out=$("$B" check "$T/bad.json" 2>&1); rc=$?
[ $rc = 2 ] && pass "invalid: exit 2" || fail "exit $rc: $out"
echo "$out" | grep -qF "$T/bad.json:5:18: rules[0].match.regx: unknown key (did you mean \"regex\"?)" &&
	pass "error names file:line:col: path, with a hint" || fail "$out"

# A sample that does not behave fails the check, and says which.
cat > "$T/s.json" <<'J'
{"version": 1, "rules": [
 {"id": "s.one", "title": "S", "severity": "fatal",
  "match": {"regex": "^boom$"},
  "samples": {"fire": ["boom", "not boom"], "silent": ["boom"]}}
]}
J
out=$("$B" check --no-defaults "$T/s.json" 2>&1); rc=$?
[ $rc = 2 ] && pass "misbehaving samples: exit 2" || fail "exit $rc: $out"
echo "$out" | grep -q "rules\[0\].samples.fire\[1\]: rule s.one did not fire" &&
	pass "names the sample that did not fire" || fail "$out"
echo "$out" | grep -q "rules\[0\].samples.silent\[0\]: rule s.one fired on line 1" &&
	pass "names the silent sample that fired" || fail "$out"

# A configuration is recognised and checked with its rule files.
cat > "$T/c.json" <<J
{"version": 1, "mode": "observe", "rules": ["s2.json"], "defaults": false,
 "sources": {"engine": {"path": "/tmp/x.log", "format": "text"}}}
J
echo '{"version": 1, "rules": [{"id": "l.x", "title": "X", "severity": "warning", "match": {"regex": "x"}}]}' > "$T/s2.json"
out=$("$B" check "$T/c.json" 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "config $T/c.json" &&
	pass "a configuration and its relative rule files" || fail "exit $rc: $out"
echo '{"version": 1, "mode": "loud"}' > "$T/c2.json"
out=$("$B" check "$T/c2.json" 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "c2.json:1:16: mode: unknown mode" &&
	pass "a bad configuration" || fail "exit $rc: $out"

# BREAKER_CONFIG is what `check` with no file checks.
out=$(BREAKER_CONFIG="$T/c2.json" "$B" check 2>&1); rc=$?
[ $rc = 2 ] && pass "no file: checks \$BREAKER_CONFIG" || fail "exit $rc: $out"
# --config/--policy/--no-defaults mean what they mean in every command
# (cmdopt.c): $BREAKER_CONFIG is the configuration unless --config names
# one, a named rule file included; an empty --config is the built-in one.
out=$(BREAKER_CONFIG="$T/c2.json" "$B" check --no-defaults \
	"$SRC/tests/unit/policies/codex401.json" 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "c2.json:1:16: mode: unknown mode" &&
	pass "a rule file is checked with \$BREAKER_CONFIG" || fail "exit $rc: $out"
out=$(BREAKER_CONFIG="$T/c2.json" "$B" check --config "" 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "^ok: embedded default" &&
	pass "--config '': the built-in configuration" || fail "exit $rc: $out"

# Not JSON, missing file: errors, never a crash.
printf '{"version": 1, "rules": [' > "$T/trunc.json"
out=$("$B" check "$T/trunc.json" 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "trunc.json:1:.*not valid JSON" &&
	pass "truncated JSON located" || fail "exit $rc: $out"
out=$("$B" check /nonexistent/x.json 2>&1); rc=$?
[ $rc = 2 ] && pass "missing file: exit 2" || fail "exit $rc: $out"

# A template naming a capture that does not exist fails the check, on a
# jsonl source too (any name used to pass there, and print "?" live).
cat > "$T/tpl.json" <<'J'
{"version": 1, "rules": [
 {"id": "t.licence", "title": "T", "severity": "fatal",
  "match": {"regex": "the (?<product>\\S+) licence has expired"},
  "message": "the {prodcut} licence has expired"}
]}
J
out=$("$B" check --no-defaults "$T/tpl.json" 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -qF "$T/tpl.json:4:3: rules[0].message: unknown capture or field \"prodcut\" (did you mean \"product\"?" &&
	pass "a misspelt capture in a jsonl rule's message: exit 2, did you mean" ||
	fail "exit $rc: $out"

out=$("$B" check --sandbox 2>&1); rc=$?
[ $rc = 0 ] && [ "$(echo "$out" | wc -l)" -gt 3 ] && pass "--sandbox prints the allow-list" ||
	fail "--sandbox: exit $rc: $out"

# GitHub actions in a build without the GitHub client (-Dgithub=disabled):
# an error here, where the admin looks (the daemon only warns, fail-open).
# The build says which it is in --sandbox: the network rows are its own.
cat > "$T/gh.json" <<'J'
{"version": 1, "actions": ["stop", "check-run"],
 "github": {"token_file": "/etc/breaker/token"}}
J
out=$("$B" check "$T/gh.json" 2>&1); rc=$?
if "$B" check --sandbox 2>&1 | grep -q "this build has no GitHub client"; then
	[ $rc = 2 ] && echo "$out" | grep -q "gh.json: actions: \"cancel-run\" and \"check-run\" need the GitHub client" &&
		echo "$out" | grep -q "^FAILED: " &&
		pass "no GitHub client: GitHub actions are a check error" ||
		fail "no GitHub client: exit $rc: $out"
	"$B" check --sandbox | grep -qE "^  (socket|connect) " &&
		fail "no GitHub client, yet socket/connect allowed" ||
		pass "no GitHub client: no socket or connect in the sandbox"
else
	[ $rc = 0 ] && pass "GitHub actions check with the GitHub client built" ||
		fail "exit $rc: $out"
fi
finish
