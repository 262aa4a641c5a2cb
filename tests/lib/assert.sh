# The one assertion helper of the test scripts (sourced, bash).
#
# `pass MSG` and `fail MSG` print one line each ("ok: MSG", "FAIL: MSG") and
# count. A failed assertion does not stop the script, so one run reports
# every failure. `finish [CMD...]` ends the script: exit 1 if any assertion
# failed (after running CMD, e.g. a dump of the logs that explain it) or if
# none ran at all (a script that checked nothing has not passed); otherwise
# it prints PASS and exits 0.
ASSERT_PASSED=0
ASSERT_FAILED=0

pass() {
	echo "ok: $*"
	ASSERT_PASSED=$((ASSERT_PASSED + 1))
}

fail() {
	echo "FAIL: $*"
	ASSERT_FAILED=$((ASSERT_FAILED + 1))
}

finish() {
	if [ "$ASSERT_FAILED" -ne 0 ]; then
		[ $# -gt 0 ] && "$@"
		echo "FAILED: $ASSERT_FAILED of" \
		    "$((ASSERT_PASSED + ASSERT_FAILED)) assertions"
		exit 1
	fi
	if [ "$ASSERT_PASSED" -eq 0 ]; then
		echo "FAIL: no assertion ran"
		exit 1
	fi
	echo "PASS ($ASSERT_PASSED assertions)"
	exit 0
}
