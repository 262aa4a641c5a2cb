#!/bin/bash
# Install everything breaker needs to build and to run its whole test suite
# on a fresh Debian 12 machine: Debian packages with apt-get, engine CLIs
# with npm. Safe to run again. Needs root (or sudo).
#
# tests/deps.sh --build installs only what building breaker (and its unit
# tests) needs: the quick start's demo, without Squid, clang or the engines.
set -euo pipefail

BUILD_PACKAGES=(
	build-essential meson ninja-build pkg-config
	libevent-dev libssl-dev libcjson-dev libseccomp-dev libpcre2-dev
	libcmocka-dev libcurl4-openssl-dev
)
build_only=0
case "${1:-}" in
--build)	build_only=1 ;;
"")		;;
*)		echo "usage: tests/deps.sh [--build]" >&2; exit 2 ;;
esac

APT_PACKAGES=(
	"${BUILD_PACKAGES[@]}" python3
	clang llvm libclang-rt-14-dev
	valgrind cppcheck clang-tidy time
	procps psmisc curl openssl ca-certificates
	squid fail2ban tinyproxy
	prometheus-node-exporter
	mandoc
	debhelper dpkg-dev lintian sudo libcap2-bin
)
# The machines ship Node.js with npm; Debian's own packages only if absent.
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)
[ "$build_only" = 0 ] || APT_PACKAGES=("${BUILD_PACKAGES[@]}")

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

missing=()
for p in "${APT_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

[ "$build_only" = 0 ] || exit 0

# Squid, tinyproxy and node_exporter are only test fixtures here (the tests
# start their own on loopback): never leave the system services running.
if command -v systemctl >/dev/null 2>&1; then
	$SUDO systemctl disable --now squid tinyproxy prometheus-node-exporter \
	    >/dev/null 2>&1 || true
fi

# Engine CLIs for the end-to-end suite (pinned; see tests/e2e/README.md).
if [ -x "$(dirname "$0")/e2e/install-engines.sh" ]; then
	"$(dirname "$0")/e2e/install-engines.sh"
fi
