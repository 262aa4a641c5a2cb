# Sourced by tests that need breaker without sanitizers (valgrind does not
# mix with ASan; memory figures must not include ASan's shadow).
#
# plain_breaker BIN: prints BIN when it is already a plain build, else
# builds (or reuses) one in $BREAKER_VALGRIND_BUILD, default
# $BREAKER_BUILD_ROOT/../build-valgrind, and prints its binary. Concurrent
# tests share that directory under a lock. Returns 1 when it cannot build.
plain_breaker() {
	local bin=$1 vb lock
	if ! { nm -a "$bin" 2>/dev/null; ldd "$bin" 2>/dev/null; } |
	    grep -q '__asan_init\|__ubsan_handle\|libasan\|libubsan'; then
		printf '%s\n' "$bin"
		return 0
	fi
	vb=${BREAKER_VALGRIND_BUILD:-$(dirname "${BREAKER_BUILD_ROOT:?}")/build-valgrind}
	lock=${TMPDIR:-/tmp}/breaker-build.$(echo "$vb" | cksum | cut -d' ' -f1).lock
	(
		flock 9
		if [ ! -f "$vb/build.ninja" ]; then
			timeout 300 meson setup "$vb" "${BREAKER_SOURCE_ROOT:?}" \
			    -Dbuildtype=debug -Db_sanitize=none -Dtests=false \
			    >/dev/null || exit 1
		fi
		timeout 900 ninja -C "$vb" -j 2 breaker >/dev/null
	) 9>"$lock" || return 1
	printf '%s\n' "$vb/breaker"
}
