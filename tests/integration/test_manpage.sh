#!/bin/bash
# breaker(1) stays true to the binary: it lints clean, and every command,
# every option a command's usage prints, and every BREAKER_* variable the
# sources or hooks read appears in it. Fails with the list of what is
# missing, so a new option cannot land undocumented.
set -u

src=${BREAKER_SOURCE_ROOT:?}
bin=${BREAKER_BIN:?}
man=$src/docs/breaker.1
fail=0

die() { echo "FAIL: $*"; fail=1; }
T_ERR=$(mktemp)
trap 'rm -f "$T_ERR"' EXIT

[ -f "$man" ] || { echo "FAIL: $man missing"; exit 1; }

# 1. Lint: mandoc if present (tests/deps.sh installs it), else groff.
if command -v mandoc >/dev/null 2>&1; then
	out=$(mandoc -Tlint -W warning "$man" 2>&1)
	[ -z "$out" ] || die "mandoc -Tlint: $out"
elif command -v groff >/dev/null 2>&1; then
	out=$(groff -mandoc -ww -z "$man" 2>&1)
	[ -z "$out" ] || die "groff: $out"
else
	echo "SKIP: neither mandoc nor groff is installed"
	exit 77
fi

# The source with roff's '\-' as '-'. mdoc's .Fl adds one dash itself:
# ".Fl \-config" is --config, so options are looked up as "Fl -config".
text=$(sed -e 's/\\-/-/g' "$man")

# 2. Every command of `breaker --help`, as a .Cm in the COMMANDS section.
cmds=$("$bin" --help | awk '/^commands:/ { on = 1; next }
    on && /^  [a-z]/ { print $1 }')
[ -n "$cmds" ] || die "no commands parsed from breaker --help"
for c in $cmds; do
	grep -q "^\.Cm $c\$" <<<"$text" || die "command '$c' not documented"
done

# 3. Every long option in each command's usage.
for c in $cmds; do
	usage=$(timeout 10 "$bin" "$c" --help 2>&1 </dev/null)
	opts=$(grep -o -- '--[a-z][a-z-]*' <<<"$usage" | sort -u)
	for o in $opts; do
		grep -q -- "Fl ${o#-}\b" <<<"$text" ||
			die "option '$c $o' not documented"
	done
done
# The global options.
for o in $("$bin" --help | head -1 | grep -o -- '--[a-z][a-z-]*'); do
	grep -q -- "Fl ${o#-}\b" <<<"$text" ||
		die "global option $o not documented"
done

# 4. Every BREAKER_* environment variable read by the code or the hooks.
vars=$( (grep -ho '\(getenv\|cmdopt_env\)("BREAKER_[A-Z_]*")' \
	"$src"/agent/*.c | grep -o 'BREAKER_[A-Z_]*'
	grep -ho '\${*BREAKER_[A-Z_]*' "$src"/hooks/*.sh | grep -o 'BREAKER_[A-Z_]*'
	) | sort -u)
[ -n "$vars" ] || die "no BREAKER_* variables found in the sources"
for v in $vars; do
	grep -q "Ev $v\b" <<<"$text" || die "environment variable $v not documented"
done

# 5. The runner's variables the job identity is read from.
for v in GITHUB_RUN_ID GITHUB_RUN_ATTEMPT GITHUB_REPOSITORY GITHUB_JOB \
    RUNNER_NAME RUNNER_TRACKING_ID GITHUB_STEP_SUMMARY; do
	if grep -q "\"$v\"" "$src"/agent/*.c; then
		grep -q "Ev .*$v\b" <<<"$text" || die "runner variable $v not documented"
	fi
done

# 6. The sections a man page must have.
for sec in NAME SYNOPSIS DESCRIPTION COMMANDS ENVIRONMENT FILES \
    "EXIT STATUS" EXAMPLES "SEE ALSO"; do
	grep -q "^\.Sh $sec\$" "$man" || die "section $sec missing"
done

# 7. docs/meson.build installs it.
grep -q "install_man('breaker.1')" "$src/docs/meson.build" ||
	die "docs/meson.build does not install breaker.1"

# 8. CLI conventions (gh, git, systemctl): `breaker CMD --help` prints the
# usage and every option on stdout and exits 0; a bad option prints the
# synopsis on stderr and exits 2. One table (agent/usage.c) feeds both.
for c in $cmds; do
	out=$("$bin" "$c" --help 2>"$T_ERR"); rc=$?
	[ $rc -eq 0 ] || die "'$c --help' exits $rc"
	[ -s "$T_ERR" ] && die "'$c --help' writes to stderr: $(cat "$T_ERR")"
	grep -q "^usage: breaker $c" <<<"$out" || die "'$c --help': no usage line"
	grep -q "^options:" <<<"$out" || die "'$c --help': no options"
	grep -q ' $' <<<"$out" && die "'$c --help': trailing spaces"
	"$bin" "$c" --no-such-option >/dev/null 2>"$T_ERR"; rc=$?
	[ $rc -eq 2 ] || die "'$c --no-such-option' exits $rc, not 2"
	grep -q "^usage: breaker $c" "$T_ERR" ||
		die "'$c --no-such-option': no usage on stderr"
done
grep -q ' $' <<<"$("$bin" --help)" && die "'breaker --help': trailing spaces"

if [ "$fail" -ne 0 ]; then
	exit 1
fi
echo "ok: breaker.1 documents $(wc -w <<<"$cmds") commands, their options and $(wc -w <<<"$vars") variables"
exit 0
