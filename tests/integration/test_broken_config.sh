#!/bin/bash
# Issue 5: a configuration problem becomes a warning annotation from the
# hook that met it, and the job runs untouched: broken JSON, a missing
# file, an unknown key (named with its path), an unreadable log, a missing
# binary.
. "$(dirname "$0")/lib.sh"

lines=$T/lines.log
printf '%s\n' "OpenAI Codex v0.169.0" "doing the work" >"$lines"
write_step "$(engine_cmd --lines "'$lines'" --hang 0.2) || true
echo step-finished-normally"

check_job() {	# DIR WHAT PATTERN
	local d=$1 what=$2 pat=$3 out
	assert_hooks_ok "$d"
	out=$(hook_output "$d" started)
	echo "$out" | grep -E '^::warning title=breaker' | grep -qE "$pat" &&
		pass "$what: warning annotation from the started hook" ||
		fail "$what: started hook printed: $out"
	grep -q 'step-finished-normally' "$d/job.log" && pass "$what: job ran untouched" ||
		fail "$what: the step did not finish normally"
	[ "$(jget "$d/result.json" '[p for p in r["after_started"] if p["comm"] == "breaker"]')" = "[]" ] &&
		pass "$what: no daemon" || fail "$what: a daemon is running"
	out=$(hook_output "$d" completed)
	echo "$out" | grep -q '^::error' && fail "$what: completed hook printed an error" || true
}

printf '{ "version": 1, "sources": { "engine": ' >"$T/config.json"	# cut short
run_job "$T/job1"
check_job "$T/job1" "broken JSON" 'config\.json'

rm -f "$T/config.json"
run_job "$T/job2"
check_job "$T/job2" "missing file" 'config\.json'

cat >"$T/config.json" <<EOF2
{ "version": 1, "mode": "enforce", "sourcez": {} }
EOF2
run_job "$T/job3"
check_job "$T/job3" "unknown key" 'sourcez'
# The closing sentence stands on its own line, not after the error list's
# line break as ". breaker is not watching" (nor as a control picture).
out=$(hook_output "$T/job3" started | grep -E '^::warning title=breaker.*is not watching' || true)
echo "$out" | grep -q '%0Abreaker is not watching this job; the job runs as usual\.$' &&
	! echo "$out" | grep -qE '%0A\. breaker|␊' &&
	pass "unknown key: the warning's closing sentence is a line of its own" ||
	fail "unknown key: warning reads: $out"

# An unreadable log (here: a directory where the firewall log should be):
# a warning from the started hook, and the other sources are still watched.
mkdir -p "$T/fwdir"
cat >"$T/config.json" <<EOF2
{ "version": 1, "sources": {
  "engine": { "path": "$LOG", "format": "jsonl" },
  "firewall": { "path": "$T/fwdir", "format": "squid" } } }
EOF2
run_job "$T/job5"
assert_hooks_ok "$T/job5"
out=$(hook_output "$T/job5" started)
echo "$out" | grep -E '^::warning title=breaker' | grep -q 'firewall' &&
	pass "unreadable log: warning names the source" || fail "unreadable log: $out"
echo "$out" | grep -q '^breaker: watching 3 sources' &&
	pass "unreadable log: the daemon still watches" || fail "unreadable log: not watching"

write_config
python3 "$HERE/simrunner.py" --dir "$T/job4" --step "$T/step.sh" \
    --env "BREAKER_BIN=$T/no/such/breaker" --env "BREAKER_CONFIG=$T/config.json" \
    --env "BREAKER_STATE_DIR=$STATE"
jget "$T/job4/result.json" 'r["tracking_id"]' >"$T/job4/tracking_id"
assert_hooks_ok "$T/job4"
hook_output "$T/job4" started | grep -q '^::warning title=breaker' &&
	pass "missing binary: warning annotation" || fail "missing binary: no warning"
grep -q 'step-finished-normally' "$T/job4/job.log" && pass "missing binary: job ran" ||
	fail "missing binary: step did not finish"
finish_test
