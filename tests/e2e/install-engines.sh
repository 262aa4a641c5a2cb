#!/bin/bash
# Install the pinned engine CLIs used by the end-to-end suite into a cache
# outside the source tree.  Idempotent: when every pinned version is already
# present it returns at once without touching the network.
#
#   BREAKER_E2E_CACHE   cache root (default: /var/cache/breaker-e2e when
#                       writable, else ${XDG_CACHE_HOME:-$HOME/.cache}/breaker-e2e)
#
# Prints the npm prefix on stdout's last line ("prefix: DIR").
set -euo pipefail

# Exact versions verified against the fake provider in this directory.
ENGINES=(
	"@openai/codex@0.171.0"
	"@anthropic-ai/claude-code@2.1.332"
	"@github/copilot@1.0.102"
	"@google/gemini-cli@0.61.0"
	# pi, published today as @earendil-works/pi-coding-agent (1.x needs
	# node >= 22.19); 0.73.1 is the last release under its earlier name and
	# runs on node 20, as CI has.
	"@mariozechner/pi-coding-agent@0.73.1"
)

e2e_cache_root() {
	if [ -n "${BREAKER_E2E_CACHE:-}" ]; then
		echo "$BREAKER_E2E_CACHE"
	elif mkdir -p /var/cache/breaker-e2e 2>/dev/null && [ -w /var/cache/breaker-e2e ]; then
		echo /var/cache/breaker-e2e
	else
		echo "${XDG_CACHE_HOME:-$HOME/.cache}/breaker-e2e"
	fi
}

PREFIX="$(e2e_cache_root)/npm"
mkdir -p "$PREFIX"

installed_version() {
	# $1 = package name; prints the installed version or nothing
	local pj="$PREFIX/node_modules/$1/package.json"
	[ -f "$pj" ] || return 0
	sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$pj" | head -1
}

if ! command -v npm >/dev/null 2>&1; then
	echo "install-engines: npm not found; engine e2e cases will be skipped" >&2
	exit 0
fi

need=()
for spec in "${ENGINES[@]}"; do
	name="${spec%@*}"
	want="${spec##*@}"
	[ "$(installed_version "$name")" = "$want" ] || need+=("$spec")
done

if [ "${#need[@]}" -gt 0 ]; then
	echo "install-engines: installing ${need[*]} into $PREFIX" >&2
	# One engine failing to install (gemini is optional) must not stop the
	# others: install them one by one.
	for spec in "${need[@]}"; do
		npm install --prefix "$PREFIX" --no-audit --no-fund \
		    --loglevel=error --save-exact "$spec" >&2 ||
			echo "install-engines: could not install $spec" >&2
	done
fi

for spec in "${ENGINES[@]}"; do
	name="${spec%@*}"
	echo "install-engines: $name $(installed_version "$name" || true)" >&2
done

# copilot unpacks itself on its first run; do it now, once, into the cache
# the suite points COPILOT_CACHE_HOME at, so no test pays for it.
if [ -x "$PREFIX/node_modules/.bin/copilot" ] &&
    [ ! -d "$PREFIX/../copilot-cache/pkg" ]; then
	HOME="$PREFIX/../home-install" COPILOT_CACHE_HOME="$PREFIX/../copilot-cache" \
	    COPILOT_AUTO_UPDATE=false timeout 300 \
	    "$PREFIX/node_modules/.bin/copilot" --version </dev/null >&2 || true
fi
echo "prefix: $PREFIX"
