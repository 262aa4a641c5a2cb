#!/bin/bash
# Issue 15: the Debian package, for real, on this machine.
#
# Builds breaker_*.deb with dpkg-buildpackage from a copy of what
# docs/Dockerfile's build stage copies (so its file list is checked too),
# runs lintian on it, installs it with apt-get, and then, as a NON-ROOT
# runner user in the package's breaker group, runs the #26929 job on the
# simulated runner with the INSTALLED hooks (no BREAKER_BIN, no
# BREAKER_STATE_DIR) and a step that runs the engine as `sudo -E awf …`, so
# awf is root's, as gh-aw runs it: only the capabilities that postinst sets
# let breaker stop it. Then an upgrade to a rebuilt, bumped version: dpkg
# unpacks a binary without capabilities (checked), postinst sets them
# again, the job is cut again. Then `apt-get purge`, and nothing is left.
#
# Needs root (it installs a package, adds a user and a sudoers entry) and
# dpkg-buildpackage with debhelper: exit 77 (skip) otherwise, or when a
# breaker package is already installed (this test would purge it).
. "$(dirname "$0")/lib.sh"

skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$(id -u)" = 0 ] || skip "not root (installs a package)"
for t in dpkg-buildpackage dh apt-get sudo setcap getcap runuser useradd; do
	command -v "$t" >/dev/null 2>&1 || skip "$t is missing (tests/deps.sh)"
done
dpkg-query -W -f='${Status}' breaker 2>/dev/null | grep -q installed &&
	skip "a breaker package is installed here; this test would purge it"

U=bkr-it-$$
BIN=/usr/bin/breaker
HOOKS=/usr/share/breaker/hooks
CAPS_WANTED="cap_dac_read_search,cap_kill,cap_sys_ptrace=p"
APT=(apt-get -y -q -o DPkg::Lock::Timeout=300)
had_group=
getent group breaker >/dev/null && had_group=1

deb_cleanup() {
	local rc=$?
	set +e		# every step below, whatever the one before did
	if dpkg-query -W -f='${Status}' breaker 2>/dev/null | grep -q installed; then
		DEBIAN_FRONTEND=noninteractive "${APT[@]}" purge breaker >/dev/null 2>&1 ||
			dpkg --purge breaker >/dev/null 2>&1 || true
	fi
	userdel -f -r "$U" >/dev/null 2>&1 || true
	rm -f "/etc/sudoers.d/$U"
	[ -n "$had_group" ] || groupdel breaker 2>/dev/null || true
	(exit "$rc")
	cleanup
}
trap deb_cleanup EXIT

# --- build -----------------------------------------------------------------
# A copy (dpkg-buildpackage writes obj-*/ and debian/breaker/ into the tree)
# of exactly what docs/Dockerfile's build stage COPYs: the image's build
# cannot run here (no docker), its file list can.
mkdir -p "$T/pkg/src"
copies=$(awk '/^FROM /{n++} n == 1 && /^COPY / && !/--from/ {
    for (i = 2; i < NF; i++) print $i }' "$SRC/docs/Dockerfile")
[ -n "$copies" ] || { echo "FAIL: no COPY in docs/Dockerfile's build stage"; exit 1; }
(cd "$SRC" && tar --exclude='./build*' --exclude=debian/breaker \
    --exclude=debian/.debhelper -cf - $copies) | tar -C "$T/pkg/src" -xf - ||
	{ echo "FAIL: docs/Dockerfile COPYs what the tree lacks: $copies"; exit 1; }
pass "the tree holds what docs/Dockerfile's build stage copies: $(echo $copies)"

build_deb() {
	local t0=$SECONDS
	(cd "$T/pkg/src" && dpkg-buildpackage -b -us -uc) >"$T/pkg/build-$1.log" 2>&1 ||
		{ tail -40 "$T/pkg/build-$1.log"; echo "FAIL: dpkg-buildpackage ($1)"; exit 1; }
	echo "dpkg-buildpackage ($1): $((SECONDS - t0)) s"
}
build_deb first
DEB1=$(ls "$T"/pkg/breaker_*_*.deb)
pass "dpkg-buildpackage -b -us -uc: ${DEB1##*/}"
dpkg-deb -c "$DEB1" >"$T/pkg/contents"
for f in usr/bin/breaker usr/share/breaker/hooks/job-started.sh \
    usr/share/breaker/hooks/job-completed.sh usr/share/breaker/hooks/breaker-find.sh \
    usr/share/breaker/policy/default.json usr/share/man/man1/breaker.1.gz \
    usr/share/doc/breaker/deployment.md.gz usr/share/doc/breaker/copyright \
    usr/lib/tmpfiles.d/breaker.conf etc/breaker/config.json; do
	grep -q " \./$f\$" "$T/pkg/contents" && pass "in the package: /$f" ||
		fail "not in the package: /$f"
done

if command -v lintian >/dev/null 2>&1; then
	# Pedantic, with experimental and info tags: each one would be a finding.
	if out=$(lintian --pedantic -E -I --fail-on error,warning,info,pedantic \
	    "$DEB1" 2>&1 | grep -v 'running with root privileges'); [ -z "$out" ]; then
		pass "lintian --pedantic -E -I: no tags"
	else
		fail "lintian: $out"
	fi
else
	echo "(lintian not installed: not run)"
fi

# --- install ---------------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
"${APT[@]}" install "$DEB1" >"$T/pkg/install.log" 2>&1 ||
	{ tail -30 "$T/pkg/install.log"; echo "FAIL: apt-get install"; exit 1; }
pass "apt-get install ./${DEB1##*/}"

# The runner's user: not root, in the breaker group, password-less sudo
# (gh-aw needs it for its firewall), as on a real runner.
useradd --create-home --home-dir "$T/home" --shell /bin/bash "$U"
usermod -aG breaker "$U"
echo "$U ALL=(ALL:ALL) NOPASSWD: ALL" >"/etc/sudoers.d/$U"
chmod 0440 "/etc/sudoers.d/$U"

assert_installed_setup() {
	local what=$1 st caps
	st=$(stat -c '%U:%G %a' "$BIN")
	[ "$st" = "root:breaker 750" ] && pass "$what: $BIN is root:breaker 0750" ||
		fail "$what: $BIN is $st"
	caps=$(getcap "$BIN" | sed 's/^[^ ]* //')
	[ "$caps" = "$CAPS_WANTED" ] && pass "$what: getcap $BIN: $caps" ||
		fail "$what: getcap $BIN: '$caps', wanted $CAPS_WANTED"
	[ "$(dpkg-statoverride --list "$BIN")" = "root breaker 750 $BIN" ] &&
		pass "$what: dpkg-statoverride keeps root breaker 0750" ||
		fail "$what: statoverride: $(dpkg-statoverride --list "$BIN")"
	st=$(stat -c '%U:%G %a' /var/lib/breaker 2>&1)
	[ "$st" = "root:breaker 1770" ] && pass "$what: /var/lib/breaker is root:breaker 1770" ||
		fail "$what: /var/lib/breaker: $st"
}
assert_installed_setup install
dpkg-query -W -f='${Conffiles}\n' breaker | grep -q '^ /etc/breaker/config.json ' &&
	pass "/etc/breaker/config.json is a conffile" || fail "no conffile /etc/breaker/config.json"
out=$(runuser -u "$U" -- "$BIN" check /etc/breaker/config.json 2>&1) &&
	pass "the runner's user runs breaker check /etc/breaker/config.json: $out" ||
	fail "breaker check /etc/breaker/config.json as $U: $out"

# breaker doctor agrees: the package left nothing for the administrator.
mkdir -p "$T/runner"
printf 'ACTIONS_RUNNER_HOOK_JOB_STARTED=%s\nACTIONS_RUNNER_HOOK_JOB_COMPLETED=%s\n' \
    "$HOOKS/job-started.sh" "$HOOKS/job-completed.sh" >"$T/runner/.env"
out=$("$BIN" doctor --json --user "$U" --runner "$T/runner" --unit /dev/null \
    --config /etc/breaker/config.json 2>&1) || true
bad=$(python3 -c 'import json, sys
r = json.loads(sys.argv[1])
print(" ".join(c["check"] for c in r["checks"] if c["check"] in
    ("binary", "capabilities", "config", "state_dir", "hooks") and c["status"] != "ok"))' "$out" 2>&1)
[ -z "$bad" ] && pass "breaker doctor: binary, capabilities, config, state_dir, hooks ok" ||
	fail "breaker doctor after install: $bad: $out"

# A user outside the group: the hook warns, says why, and exits 0.
out=$(cd / && runuser -u nobody -- env -u BREAKER_BIN bash -e "$HOOKS/job-started.sh" </dev/null 2>&1) && rc=0 || rc=$?
[ "$rc" = 0 ] && echo "$out" | grep -q "^::warning title=breaker is not watching this job::$BIN is not executable by nobody" &&
	pass "outside the breaker group the started hook warns and exits 0" ||
	fail "started hook as nobody: exit $rc: $out"

# --- the #26929 job, as the runner's user, awf under sudo ------------------
write_config
seed=$SEED
if [ -r "$SRC/tests/samples/fixture-codex-401-seed-issue.log" ]; then
	grep -v '^# breaker:' "$SRC/tests/samples/fixture-codex-401-seed-issue.log" >"$T/seed.log"
	seed=$T/seed.log
fi
# The step is the runner user's; awf and the engine are root's, through
# sudo -E (which keeps RUNNER_TRACKING_ID), like gh-aw's agent step.
write_step "sudo -E $(engine_cmd --lines "'$seed'")"
chown "$U" "$T/gh-aw"

run_installed_job() {
	local dir=$T/$1
	mkdir -p "$dir"
	chown "$U" "$dir"
	rm -f "$T/mark"
	(cd "$T/home" && runuser -u "$U" -- env -i PATH=/usr/local/bin:/usr/bin:/bin \
	    HOME="$T/home" LANG=C.UTF-8 python3 "$HERE/simrunner.py" --dir "$dir" \
	    --step "$T/step.sh" --hooks "$HOOKS" --step-timeout 30 \
	    --env "BREAKER_CONFIG=$T/config.json")
	jget "$dir/result.json" 'r["tracking_id"]' >"$dir/tracking_id"
}

assert_job_cut() {
	local what=$1 d=$T/$1 out sd
	assert_hooks_ok "$d"
	out=$(hook_output "$d" started)
	echo "$out" | grep -q '^breaker: watching .*state in /var/lib/breaker/' &&
		pass "$what: installed started hook watches, state in /var/lib/breaker" ||
		fail "$what: started hook: $out"
	assert_401_cut "$d"
	out=$(hook_output "$d" completed)
	echo "$out" | grep -q 'breaker stopped the engine: awf' &&
		pass "$what: breaker ($U) stopped root's awf" ||
		fail "$what: completed hook: $out"
	sd=$(grep -l "$(cat "$d/tracking_id")" /var/lib/breaker/*/job.json 2>/dev/null | head -1)
	sd=${sd%/job.json}
	[ -n "$sd" ] && [ "$(stat -c %U "$sd")" = "$U" ] && [ -f "$sd/verdict-0001.json" ] &&
		pass "$what: the job's state directory is $U's, with its verdict" ||
		fail "$what: job state directory '$sd'"
}
run_installed_job job
assert_job_cut job

# --- upgrade ---------------------------------------------------------------
# An administrator's edit of the conffile survives the upgrade.
sed -i 's/"rules": \[\]/"rules": [], "sandbox": "enforce"/' /etc/breaker/config.json
v1=$(dpkg-query -W -f='${Version}' breaker)
v2=$v1+it1
{
	echo "breaker ($v2) unstable; urgency=medium"
	echo
	echo "  * Test upgrade."
	echo
	echo " -- breaker maintainers <breaker@example.org>  $(date -R)"
	echo
	cat "$T/pkg/src/debian/changelog"
} >"$T/pkg/changelog" && mv "$T/pkg/changelog" "$T/pkg/src/debian/changelog"
build_deb upgrade
DEB2=$(ls "$T"/pkg/breaker_"${v2}"_*.deb)
# The unpacked new binary has no capabilities (the .deb cannot carry them):
# without postinst the job would not be cut.
dpkg --unpack "$DEB2" >"$T/pkg/unpack.log" 2>&1 ||
	{ cat "$T/pkg/unpack.log"; echo "FAIL: dpkg --unpack"; exit 1; }
[ -z "$(getcap "$BIN")" ] && pass "upgrade: the unpacked binary has no capabilities yet" ||
	fail "upgrade: unpacked binary already has $(getcap "$BIN")"
"${APT[@]}" install "$DEB2" >"$T/pkg/upgrade.log" 2>&1 ||
	{ tail -30 "$T/pkg/upgrade.log"; echo "FAIL: apt-get install (upgrade)"; exit 1; }
[ "$(dpkg-query -W -f='${Version}' breaker)" = "$v2" ] &&
	pass "upgraded $v1 -> $v2 with apt-get" || fail "version after upgrade: $(dpkg-query -W -f='${Version}' breaker)"
assert_installed_setup upgrade
grep -q '"sandbox": "enforce"' /etc/breaker/config.json &&
	pass "upgrade kept the administrator's /etc/breaker/config.json" ||
	fail "upgrade replaced the edited conffile"
run_installed_job job-upgraded
assert_job_cut job-upgraded

# --- purge -----------------------------------------------------------------
"${APT[@]}" purge breaker >"$T/pkg/purge.log" 2>&1 ||
	{ tail -30 "$T/pkg/purge.log"; echo "FAIL: apt-get purge"; exit 1; }
for p in "$BIN" /etc/breaker /var/lib/breaker /usr/share/breaker \
    /usr/share/doc/breaker /usr/lib/tmpfiles.d/breaker.conf \
    /usr/share/man/man1/breaker.1.gz; do
	[ ! -e "$p" ] && pass "purged: $p is gone" || fail "left after purge: $p"
done
[ -z "$(dpkg-statoverride --list "$BIN")" ] && pass "purged: no stat override left" ||
	fail "left after purge: $(dpkg-statoverride --list "$BIN")"
dpkg-query -W -f='${Status}' breaker 2>/dev/null | grep -q 'ok installed\|config-files' &&
	fail "dpkg still knows breaker: $(dpkg-query -W -f='${Status}' breaker)" ||
	pass "purged: dpkg no longer lists breaker"
finish_test
