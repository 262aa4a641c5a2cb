# shellcheck shell=bash
# Shared helpers for the end-to-end suite: where the pinned engine CLIs live,
# the loopback fake provider, and how each engine is pointed at it.  Sourced by
# capture.sh, test_engines.sh and the agent-step script (agent-step.sh), so the
# fixtures and the tests run exactly the same commands.

E2E_DIR="${E2E_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
E2E_PROMPT="say hi"

e2e_cache_root() {
	if [ -n "${BREAKER_E2E_CACHE:-}" ]; then
		echo "$BREAKER_E2E_CACHE"
	elif [ -d /var/cache/breaker-e2e ] && [ -w /var/cache/breaker-e2e ]; then
		echo /var/cache/breaker-e2e
	else
		echo "${XDG_CACHE_HOME:-$HOME/.cache}/breaker-e2e"
	fi
}

E2E_CACHE="$(e2e_cache_root)"
E2E_BIN="$E2E_CACHE/npm/node_modules/.bin"

# e2e_engine_bin ENGINE -> the CLI's executable name
e2e_engine_bin() {
	case "$1" in
	codex) echo codex ;;
	claude) echo claude ;;
	copilot) echo copilot ;;
	gemini) echo gemini ;;
	pi) echo pi ;;
	*) return 1 ;;
	esac
}

e2e_engine_version() {
	local pkg
	case "$1" in
	codex) pkg=@openai/codex ;;
	claude) pkg=@anthropic-ai/claude-code ;;
	copilot) pkg=@github/copilot ;;
	gemini) pkg=@google/gemini-cli ;;
	pi) pkg=@mariozechner/pi-coding-agent ;;
	esac
	node -e 'process.stdout.write(require(process.argv[1]).version)' \
	    "$E2E_CACHE/npm/node_modules/$pkg/package.json" 2>/dev/null
}

e2e_engine_installed() {
	[ -x "$E2E_BIN/$(e2e_engine_bin "$1")" ] && [ -n "$(e2e_engine_version "$1")" ]
}

# e2e_start_provider DIR MODE [MESSAGE] -> sets E2E_FP_PID, E2E_FP_PORT.
# DIR receives port, mode (the live mode file) and requests.log.
# E2E_WS=off makes the provider refuse websocket upgrades with 426 whatever
# the mode (codex then falls back to HTTP before it meets the refusal).
e2e_start_provider() {
	local dir="$1" mode="$2" msg="${3:-}"
	rm -f "$dir/port"
	if [ -n "$msg" ]; then echo "$mode $msg"; else echo "$mode"; fi >"$dir/mode"
	node "$E2E_DIR/fake-provider.js" --port 0 --port-file "$dir/port" \
	    --mode-file "$dir/mode" --mode "$mode" --log "$dir/requests.log" \
	    --ws "${E2E_WS:-mirror}" \
	    </dev/null >>"$dir/provider.out" 2>&1 &
	E2E_FP_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$dir/port" ] && break
		sleep 0.05
	done
	[ -s "$dir/port" ] || { echo "fake provider did not start" >&2; return 1; }
	# shellcheck disable=SC2034  # for the caller
	E2E_FP_PORT="$(cat "$dir/port")"
}

e2e_stop_provider() {
	[ -n "${E2E_FP_PID:-}" ] || return 0
	kill "$E2E_FP_PID" 2>/dev/null || true
	wait "$E2E_FP_PID" 2>/dev/null || true
	E2E_FP_PID=
}

# e2e_engine_exec ENGINE URL
# exec()s the engine CLI pointed at the fake provider at URL (http://127.0.0.1:P)
# with dummy credentials; never returns.  E2E_NO_KEY=1 sends no key at all
# (codex then sends no Authorization header: the gh-aw #27729 failure).
# Uses a private HOME (E2E_HOME, created if missing) so no user state leaks in.
e2e_engine_exec() {
	local engine="$1" url="$2"
	export HOME="${E2E_HOME:?E2E_HOME unset}"
	mkdir -p "$HOME"
	export PATH="$E2E_BIN:$PATH"
	export NO_COLOR=1 CI=true
	case "$engine" in
	codex)
		unset OPENAI_API_KEY CODEX_API_KEY
		[ "${E2E_NO_KEY:-0}" = 1 ] || export CODEX_API_KEY=sk-dummy-e2e-key
		exec codex exec --skip-git-repo-check \
		    -c "openai_base_url=\"$url/v1\"" -m gpt-5 "$E2E_PROMPT"
		;;
	claude)
		export ANTHROPIC_BASE_URL="$url" ANTHROPIC_API_KEY=sk-ant-dummy-e2e-key
		export DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 \
		    DISABLE_ERROR_REPORTING=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
		exec claude --output-format stream-json --verbose -p "$E2E_PROMPT"
		;;
	copilot)
		export COPILOT_PROVIDER_BASE_URL="$url/v1" \
		    COPILOT_PROVIDER_API_KEY=dummy-e2e-key COPILOT_MODEL=gpt-4.1 \
		    COPILOT_AUTO_UPDATE=false COPILOT_OFFLINE=true
		# The npm package is a single executable that unpacks itself into
		# its cache on first run (30 s and more): keep that cache shared.
		export COPILOT_CACHE_HOME="$E2E_CACHE/copilot-cache"
		exec copilot -p "$E2E_PROMPT" --allow-all-tools
		;;
	gemini)
		mkdir -p "$HOME/.gemini"
		[ -f "$HOME/.gemini/settings.json" ] ||
			echo '{"security":{"auth":{"selectedType":"gemini-api-key"}}}' \
			    >"$HOME/.gemini/settings.json"
		export GOOGLE_GEMINI_BASE_URL="$url" GEMINI_API_KEY=dummy-e2e-key \
		    GEMINI_CLI_NO_RELAUNCH=1 GEMINI_CLI_TRUST_WORKSPACE=true
		exec gemini -p "$E2E_PROMPT" --output-format stream-json -m gemini-2.5-pro
		;;
	pi)
		# pi reaches a custom OpenAI-compatible endpoint through a
		# provider in its models.json, as gh-aw points it at the api-proxy.
		mkdir -p "$HOME/.pi/agent"
		cat >"$HOME/.pi/agent/models.json" <<-EOF
		{"providers": {"e2e": {"baseUrl": "$url/v1", "api": "openai-completions",
		  "apiKey": "dummy-e2e-key", "models": [{"id": "gpt-4.1"}]}}}
		EOF
		export PI_OFFLINE=1
		exec pi -p --provider e2e --model gpt-4.1 --mode json --no-session \
		    --offline "$E2E_PROMPT"
		;;
	esac
	echo "unknown engine $engine" >&2
	exit 2
}

# e2e_engine_cmdline ENGINE -> the command as it is recorded in PROVENANCE.md
e2e_engine_cmdline() {
	case "$1" in
	codex) echo "CODEX_API_KEY=sk-dummy-e2e-key codex exec --skip-git-repo-check -c 'openai_base_url=\"http://127.0.0.1:PORT/v1\"' -m gpt-5 '$E2E_PROMPT' </dev/null 2>&1" ;;
	claude) echo "ANTHROPIC_BASE_URL=http://127.0.0.1:PORT ANTHROPIC_API_KEY=sk-ant-dummy-e2e-key DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 DISABLE_ERROR_REPORTING=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 claude --output-format stream-json --verbose -p '$E2E_PROMPT' </dev/null 2>&1" ;;
	copilot) echo "COPILOT_PROVIDER_BASE_URL=http://127.0.0.1:PORT/v1 COPILOT_PROVIDER_API_KEY=dummy-e2e-key COPILOT_MODEL=gpt-4.1 COPILOT_AUTO_UPDATE=false COPILOT_OFFLINE=true copilot -p '$E2E_PROMPT' --allow-all-tools </dev/null 2>&1" ;;
	gemini) echo "GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:PORT GEMINI_API_KEY=dummy-e2e-key GEMINI_CLI_TRUST_WORKSPACE=true GEMINI_CLI_NO_RELAUNCH=1 gemini -p '$E2E_PROMPT' --output-format stream-json -m gemini-2.5-pro </dev/null 2>&1 (settings.json selects gemini-api-key auth)" ;;
	pi) echo "PI_OFFLINE=1 pi -p --provider e2e --model gpt-4.1 --mode json --no-session --offline '$E2E_PROMPT' </dev/null 2>&1 (~/.pi/agent/models.json: provider e2e, baseUrl http://127.0.0.1:PORT/v1, api openai-completions)" ;;
	esac
}
