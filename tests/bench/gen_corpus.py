#!/usr/bin/env python3
"""Generate the replay benchmark corpus, deterministically (fixed seed).

  gen_corpus.py OUTDIR [MEGABYTES]

Writes OUTDIR/engine.log (engine output: codex human text, claude stream-json,
copilot text, harness and firewall-wrapper lines) and OUTDIR/access.log (the
firewall's Squid firewall_detailed rows), about MEGABYTES in total (default
200; 80 % engine, 20 % access log). Under 1 % of the lines match any default
rule: most of the text is what a healthy job prints, with the look-alikes of
FIELD-NOTES §4 sprinkled in, so the benchmark measures the common case (a line
that matches nothing) the way a real job exercises it.
"""
import json
import os
import random
import sys

R = random.Random(20261127)
WORDS = ("the of and to in is that for it with as was on be by this are from at or an have not which "
         "function return value error test file module config build run step job token request response "
         "handler parse line buffer cache index query result state update check policy rule source event "
         "daemon runner engine workflow commit branch merge patch diff review comment issue label").split()
PATHS = ["src/main.ts", "src/lib/parse.ts", "agent/tail.c", "README.md", "docs/usage.md", "package.json",
         "tests/unit/test_parse.c", "lib/server.js", "cmd/root.go", "internal/api/client.go", "setup.py"]
HOSTS_OK = ["api.github.com", "github.com", "codeload.github.com", "objects.githubusercontent.com",
            "registry.npmjs.org", "api.openai.com", "api.anthropic.com", "api.githubcopilot.com"]
HOSTS_DENIED = ["example.com", "evil.example.com", "pypi.org", "files.pythonhosted.org", "chatgpt.com",
                "ab.chatgpt.com", "awmgmcpg", "crates.io", "proxy.golang.org", "deb.debian.org"]

# Lines that match a default rule (fire, or count towards a correlation);
# kept well under 1 % of all lines.
MATCHING_ENGINE = [
    "ERROR: Reconnecting... 1/5",
    "ERROR: unexpected status 401 Unauthorized: Missing bearer or basic authentication in header, url: http://127.0.0.1:18401/v1/responses",
    "ERROR: Quota exceeded. Check your plan and billing details.",
    '{"type":"system","subtype":"api_retry","attempt":1,"max_retries":10,"retry_delay_ms":508,"error_status":401,"error":"authentication_failed"}',
    "Error: No authentication information found.",
    "2025-10-24T10:58:49.713Z [ERROR] Failed to start MCP client for safe-outputs: McpError: MCP error -32000: Connection closed",
]
LOOKALIKES = [
    "2026-02-05T21:54:32.194252Z ERROR codex_core::tools::router: error=exec_command failed: permission denied",
    'API Error (529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}) · Retrying in 2 seconds… (attempt 2/10)',
    "Response was interrupted due to a server error. Retrying...",
    "gh: API rate limit exceeded for installation ID 12345678. (HTTP 403)",
    "[WARN] Firewall blocked domains:",
    '{"type":"system","subtype":"api_retry","attempt":2,"max_retries":10,"retry_delay_ms":1200,"error_status":529,"error":"overloaded"}',
]


def words(lo, hi):
    return " ".join(R.choice(WORDS) for _ in range(R.randint(lo, hi)))


def ts(t):
    whole = int(t)
    return "2026-11-27T%02d:%02d:%02d.%06dZ" % (whole // 3600 % 24, whole // 60 % 60, whole % 60,
                                                 int((t - whole) * 1e6))


def codex_line(t):
    k = R.random()
    if k < 0.25:
        return "%s  INFO codex_core::codex: %s" % (ts(t), words(4, 14))
    if k < 0.35:
        return "exec bash -lc '%s %s' in /home/runner/work/repo/repo" % (R.choice(["cat", "ls -la", "rg -n", "sed -n 1,80p"]), R.choice(PATHS))
    if k < 0.40:
        return "bash -lc '%s' succeeded in %dms:" % (R.choice(["npm test", "make", "go test ./..."]), R.randint(3, 9000))
    if k < 0.60:
        return "%s%s" % (R.choice(["+", "-", " "]), "    " * R.randint(0, 3) + words(2, 10))
    if k < 0.80:
        return words(8, 30).capitalize() + "."
    if k < 0.85:
        return "codex"
    if k < 0.90:
        return "tokens used: %d" % R.randint(100, 200000)
    return "%s%d  %s" % (R.choice(PATHS), R.randint(1, 400), words(3, 9))


def claude_line(t):
    sid = "4b7c2e1a-1f0d-4d7e-9a55-%012x" % R.randint(0, 1 << 40)
    k = R.random()
    if k < 0.45:
        ev = {"type": "assistant", "message": {"id": "msg_%08x" % R.randint(0, 1 << 32), "type": "message",
              "role": "assistant", "content": [{"type": "text", "text": words(10, 60)}],
              "usage": {"input_tokens": R.randint(1, 9000), "output_tokens": R.randint(1, 900)}}, "session_id": sid}
    elif k < 0.65:
        ev = {"type": "assistant", "message": {"id": "msg_%08x" % R.randint(0, 1 << 32), "type": "message",
              "role": "assistant", "content": [{"type": "tool_use", "id": "toolu_%06x" % R.randint(0, 1 << 24),
                                                 "name": R.choice(["Bash", "Read", "Edit", "Grep"]),
                                                 "input": {"command": "%s %s" % (R.choice(["cat", "ls"]), R.choice(PATHS))}}]},
              "session_id": sid}
    elif k < 0.98:
        ev = {"type": "user", "message": {"role": "user", "content": [{"type": "tool_result",
              "tool_use_id": "toolu_%06x" % R.randint(0, 1 << 24), "is_error": R.random() < 0.1,
              "content": "\n".join(words(3, 12) for _ in range(R.randint(1, 8)))}]}, "session_id": sid}
    elif k < 0.99:
        ev = {"type": "system", "subtype": "init", "cwd": "/home/runner/work/repo/repo", "session_id": sid,
              "tools": ["Bash", "Read", "Edit", "Grep"], "mcp_servers": [{"name": "github", "status": "connected"}],
              "model": "claude-sonnet-4-5", "permissionMode": "bypassPermissions"}
    else:
        ev = {"type": "result", "subtype": "success", "is_error": False, "duration_ms": R.randint(1000, 900000),
              "num_turns": R.randint(1, 60), "result": words(5, 30), "session_id": sid,
              "total_cost_usd": round(R.random() * 3, 4)}
    return json.dumps(ev, separators=(",", ":"))


def copilot_line(t):
    k = R.random()
    if k < 0.3:
        return "● %s %s" % (R.choice(["Read", "Edit", "Search", "Run"]), R.choice(PATHS))
    if k < 0.5:
        return "  └ %d lines %s" % (R.randint(1, 900), R.choice(["read", "changed", "found"]))
    if k < 0.6:
        return "$ %s" % R.choice(["npm test", "npm run build", "git status", "gh pr view 42"])
    if k < 0.7:
        return "%s [INFO] %s" % (ts(t), words(4, 12))
    return words(6, 28).capitalize() + "."


def other_line(t):
    return R.choice(["[INFO] ", "[codex-harness] ", "[claude-harness] ", "[copilot-driver] ", "[entrypoint] "]) + words(4, 12)


def squid_line(t, port):
    k = R.random()
    host = R.choice(HOSTS_OK)
    if k < 0.004:
        host = R.choice(HOSTS_DENIED)
        return '%.3f 172.30.0.20:%d %s:443 -:- 1.1 CONNECT 403 TCP_DENIED:HIER_NONE %s:443 "%s"' % (
            t, port, host, host, R.choice(["curl/7.81.0", "node", "codex_exec/0.169.0"]))
    if k < 0.01:
        return '%.3f ::1:%d - -:- 0.0 - 0 NONE_NONE:HIER_NONE error:transaction-end-before-headers "-"' % (t, port)
    return '%.3f 172.30.0.20:%d %s:443 %d.%d.%d.%d:443 1.1 CONNECT 200 TCP_TUNNEL:HIER_DIRECT %s:443 "%s"' % (
        t, port, host, R.randint(1, 223), R.randint(0, 255), R.randint(0, 255), R.randint(1, 254), host,
        R.choice(["-", "curl/7.81.0", "node", "codex_exec/0.169.0", "claude-cli/2.0.30 (external, cli)"]))


def write(path, budget, make):
    n = size = 0
    t = 1795000000.0
    with open(path, "w", encoding="utf-8") as out:
        while size < budget:
            t += R.random() * 0.05
            line = make(t, n)
            out.write(line + "\n")
            size += len(line.encode()) + 1
            n += 1
    return n, size


def engine(t, n):
    k = R.random()
    if k < 0.002:
        return R.choice(MATCHING_ENGINE)
    if k < 0.01:
        return R.choice(LOOKALIKES)
    if k < 0.40:
        return codex_line(t)
    if k < 0.75:
        return claude_line(t)
    if k < 0.95:
        return copilot_line(t)
    return other_line(t)


def main():
    out = sys.argv[1]
    mb = float(sys.argv[2]) if len(sys.argv) > 2 else 200
    os.makedirs(out, exist_ok=True)
    total = int(mb * 1024 * 1024)
    ne = write(os.path.join(out, "engine.log"), total * 0.8, engine)
    na = write(os.path.join(out, "access.log"), total * 0.2, lambda t, n: squid_line(t, 30000 + n % 30000))
    print("engine.log: %d lines, %d bytes; access.log: %d lines, %d bytes" % (ne + na))


if __name__ == "__main__":
    main()
