#!/bin/bash
# End to end against the real engine CLIs (issue 6): each engine, refused by
# the loopback fake provider, runs as the agent step of the simulated runner
# behind the awf stand-in and the gh-aw-like retry harness, with breaker's
# hooks in enforce mode; then the same job alone (capped), and healthy runs.
# Prints a table of cases with the time saved.  See tests/e2e/README.md.
# Exit: 0 pass, 1 fail, 77 only when no engine CLI can be installed at all.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
for tool in node npm python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool not found (tests/deps.sh installs it)"
		exit 77
	fi
done
. "$here/lib.sh"
missing=0
for e in codex claude copilot; do
	e2e_engine_installed "$e" || missing=1
done
if [ "$missing" = 1 ]; then
	echo "engine CLIs missing: running tests/e2e/install-engines.sh"
	"$here/install-engines.sh" || true
fi
export BREAKER_E2E_CACHE="$E2E_CACHE"
exec python3 "$here/engines.py"
