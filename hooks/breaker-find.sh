# breaker: sourced by job-started.sh and job-completed.sh (not a hook).
#
# breaker_find prints the breaker binary to run: BREAKER_BIN if set, else
# the installed tree's (<prefix>/share/breaker/hooks -> <prefix>/bin/breaker,
# so a relocated copy such as /opt/breaker works), else the newest build of
# a source tree (build*/breaker). It prints nothing when there is none, and
# always returns 0: the hooks are fail-open.

breaker_find() {
	local here d newest=""
	if [ -n "${BREAKER_BIN:-}" ]; then
		printf '%s\n' "$BREAKER_BIN"
		return 0
	fi
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" 2>/dev/null && pwd) || return 0
	# Printed even when not executable by us (a package's 0750 root:breaker
	# binary, run by a user outside that group): the hook then says why.
	if [ -e "$here/../../../bin/breaker" ]; then
		d=$(cd "$here/../../../bin" 2>/dev/null && pwd) || d=$here/../../../bin
		printf '%s\n' "$d/breaker"
		return 0
	fi
	for d in "$here"/../build*/breaker "$here"/../build*/agent/breaker; do
		[ -f "$d" ] && [ -x "$d" ] || continue
		if [ -z "$newest" ] || [ "$d" -nt "$newest" ]; then
			newest=$d
		fi
	done
	printf '%s\n' "$newest"
	return 0
}
