#!/bin/bash
# Issue 9: the installed tree works on its own, even moved elsewhere.
#
# `meson install --destdir` of the build under test, then the installed
# prefix is COPIED to another directory (a relocated /opt/breaker) and the
# DESTDIR copy removed. From there only: the #26929 job on the simulated
# runner with the installed hooks and no BREAKER_BIN (the hooks must find
# bin/breaker relative to themselves), `breaker --version`, the man page,
# and `breaker check` of the installed default and example policy files.
#
# The build reused is $BREAKER_BUILD_ROOT (already built by meson test).
# BREAKER_INSTALL_FRESH=1 instead configures a plain release build with
# --prefix=/opt/breaker in the test's directory (minutes on a busy machine).
. "$(dirname "$0")/lib.sh"

# --- install, then relocate ------------------------------------------------
build=${BREAKER_BUILD_ROOT:-}
if [ -n "${BREAKER_INSTALL_FRESH:-}" ] || [ -z "$build" ]; then
	build=$T/build
	meson setup "$build" "$SRC" --prefix=/opt/breaker --buildtype=release \
	    -Dtests=false >"$T/setup.log" 2>&1 ||
		{ cat "$T/setup.log"; echo "FAIL: meson setup"; exit 1; }
	ninja -C "$build" -j 2 >"$T/ninja.log" 2>&1 ||
		{ tail -30 "$T/ninja.log"; echo "FAIL: build"; exit 1; }
fi
meson install -C "$build" --no-rebuild --destdir "$T/dest" >"$T/install.log" 2>&1 ||
	{ tail -30 "$T/install.log"; echo "FAIL: meson install"; exit 1; }
pass "meson install --destdir"

# The prefix is whatever the build was configured with; find it by its bin/.
inst_bin=$(find "$T/dest" -path '*/bin/breaker' -type f | head -1)
[ -n "$inst_bin" ] || { echo "FAIL: no bin/breaker under $T/dest"; exit 1; }
prefix=$(dirname "$(dirname "$inst_bin")")
P=$T/moved/opt/breaker
mkdir -p "$(dirname "$P")"
cp -a "$prefix" "$P"
rm -rf "$T/dest"
echo "installed prefix ${prefix#"$T/dest"}, relocated to $P"

for f in bin/breaker share/breaker/hooks/job-started.sh \
    share/breaker/hooks/job-completed.sh share/breaker/policy/default.json \
    share/breaker/policy/example-config.json \
    share/breaker/policy/examples/observe-config.json \
    share/breaker/policy/examples/provider-hosts.json \
    share/breaker/policy/examples/override.json \
    share/breaker/policy/examples/disable.json \
    share/man/man1/breaker.1; do
	[ -f "$P/$f" ] && pass "installed $f" || fail "not installed: $f"
done
for f in bin/breaker share/breaker/hooks/job-started.sh \
    share/breaker/hooks/job-completed.sh; do
	[ -x "$P/$f" ] || fail "$f is not executable"
done
cmp -s "$SRC/policy/default.json" "$P/share/breaker/policy/default.json" ||
	fail "installed default.json differs from policy/default.json"

# From here on, nothing may come from the build or source tree.
IB=$P/bin/breaker
unset BREAKER_BIN

# --- the binary, the man page, the policy files ----------------------------
v=$("$IB" --version 2>&1) && echo "$v" | grep -qE '^breaker [0-9]+\.[0-9]+' &&
	pass "breaker --version: $v" || fail "breaker --version: $v"

man1=$P/share/man/man1/breaker.1
page=
if command -v man >/dev/null 2>&1; then
	page=$(MANPAGER=cat MANWIDTH=80 man -l "$man1" 2>&1 | sed 's/.\x08//g')
elif command -v mandoc >/dev/null 2>&1; then
	page=$(mandoc -T ascii "$man1" 2>&1 | sed 's/.\x08//g')
else
	fail "neither man nor mandoc is installed (tests/deps.sh installs mandoc)"
fi
if [ -n "$page" ]; then
	miss=
	for w in NAME SYNOPSIS COMMANDS ENVIRONMENT 'EXIT STATUS' \
	    BREAKER_CONFIG BREAKER_STATE_DIR start finish status check replay; do
		printf '%s\n' "$page" | grep -q -- "$w" || miss="$miss $w"
	done
	[ -z "$miss" ] && pass "installed man page renders (NAME ... EXIT STATUS)" ||
		fail "man page rendering lacks:$miss"
fi

pol=$P/share/breaker/policy
for c in "$pol/example-config.json" "$pol/examples/observe-config.json"; do
	out=$("$IB" check "$c" 2>&1) && rc=0 || rc=$?
	[ "$rc" = 0 ] && pass "breaker check ${c#"$P/"}: $out" ||
		fail "breaker check ${c#"$P/"} exit $rc: $out"
done
out=$("$IB" check "$pol/examples/provider-hosts.json" \
    "$pol/examples/override.json" "$pol/examples/disable.json" 2>&1) && rc=0 || rc=$?
[ "$rc" = 0 ] && pass "breaker check of the example rule files" ||
	fail "breaker check of the example rule files exit $rc: $out"
out=$("$IB" check --no-defaults "$pol/default.json" 2>&1) && rc=0 || rc=$?
[ "$rc" = 0 ] && pass "breaker check of the installed default.json" ||
	fail "breaker check --no-defaults default.json exit $rc: $out"
# check must be able to say no: an example moved away from its rule files.
cp "$pol/example-config.json" "$T/lonely-config.json"
"$IB" check "$T/lonely-config.json" >"$T/lonely.out" 2>&1 &&
	fail "breaker check passed a configuration whose rule files are missing" ||
	pass "breaker check fails on a configuration with missing rule files"

# The example extend_lists rule really extends the list: a denied Azure
# OpenAI host is a provider host only with it.
fw=$T/fw.log
echo '1776446210.001 172.30.0.20:41250 myres.openai.azure.com:443 -:- 1.1 CONNECT 403 TCP_DENIED:HIER_NONE myres.openai.azure.com:443 "codex_exec/0.129.0"' >"$fw"
# (no api-proxy in this job, and the engine says it cannot connect)
eng=$T/eng.log
echo 'ERROR: Reconnecting... 1/5 (stream disconnected before completion: error sending request for url (https://myres.openai.azure.com/openai/v1/responses))' >"$eng"
with=$("$IB" replay --source "firewall=$fw" --source "engine=$eng" --config "$pol/examples/observe-config.json" 2>&1 || true)
without=$("$IB" replay --source "firewall=$fw" --source "engine=$eng" 2>&1 || true)
echo "$with" | grep -q 'fatal *firewall.provider.denied' &&
	! echo "$without" | grep -q 'fatal *firewall.provider.denied' &&
	pass "examples/provider-hosts.json adds *.openai.azure.com to provider_hosts" ||
	fail "provider-hosts example has no effect: with: $with / without: $without"

# --- the hooks find the binary by their own location -----------------------
# A copy of the hooks with no bin/ beside them must say so (and exit 0):
# proof the installed run below did not get its binary from elsewhere.
mkdir -p "$T/nobin/share/breaker"
cp -a "$P/share/breaker/hooks" "$T/nobin/share/breaker/"
out=$(cd "$T" && env -u BREAKER_BIN bash -e "$T/nobin/share/breaker/hooks/job-started.sh" </dev/null 2>&1) &&
	rc=0 || rc=$?
[ "$rc" = 0 ] && echo "$out" | grep -q '^::warning title=breaker is not watching' &&
	pass "hooks without a bin/ beside them warn and exit 0" ||
	fail "hook copy without binary: exit $rc: $out"

# --- the #26929 job with the installed hooks only --------------------------
seed=$SEED
if [ -r "$SRC/tests/samples/fixture-codex-401-seed-issue.log" ]; then
	grep -v '^# breaker:' "$SRC/tests/samples/fixture-codex-401-seed-issue.log" >"$T/seed.log"
	seed=$T/seed.log
fi
write_config "\"rules\": [\"$pol/examples/provider-hosts.json\"]"
write_step "$(engine_cmd --lines "'$seed'")"
env -u BREAKER_BIN python3 "$HERE/simrunner.py" --dir "$T/job" \
    --step "$T/step.sh" --hooks "$P/share/breaker/hooks" \
    --env "BREAKER_CONFIG=$T/config.json" --env "BREAKER_STATE_DIR=$STATE"
jget "$T/job/result.json" 'r["tracking_id"]' >"$T/job/tracking_id"
R=$T/job/result.json

jget "$R" 'r["env"]' | grep -q BREAKER_BIN &&
	fail "BREAKER_BIN leaked into the job's environment" ||
	pass "no BREAKER_BIN in the job's environment"
grep -qF "[started] ##[group]Run $P/share/breaker/hooks/job-started.sh" "$T/job/job.log" &&
	pass "the runner ran the relocated job-started.sh" ||
	fail "job log does not show the relocated started hook"
assert_hooks_ok

started=$(hook_output "$T/job" started)
echo "$started" | grep -qE '^breaker: watching [0-9]+ sources with .* \([0-9]+ rules\), state in /' &&
	pass "started hook says it is watching: $(echo "$started" | grep -m1 watching)" ||
	fail "started hook output: $started"

assert_401_cut
assert_no_orphans

sd=$(job_state_dir)
[ -n "$sd" ] && [ -f "$sd/verdict-0001.json" ] &&
	pass "verdict persisted in the job's state directory" ||
	fail "no verdict file in '$sd'"
finish_test
