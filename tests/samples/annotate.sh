#!/bin/bash
# Draft the expectations of a new sample log from what breaker does today:
#
#   tests/samples/annotate.sh [--source NAME] LOG [NOTE] > tests/samples/NEW.log
#
# prints LOG with a `# breaker: fires RULE…` or `# breaker: silent` line
# before each of its lines (from `breaker replay --json`), for a human to
# review: the expectations are a claim about what SHOULD happen, so read
# every `fires` and every line of a failure before committing the file.
# NOTE becomes a `# breaker: note` line (say where the log comes from).
# BREAKER_BIN names the binary (default: the first build*/breaker found).
set -euo pipefail
src=engine
if [ "${1:-}" = --source ]; then src=$2; shift 2; fi
log=${1:?usage: annotate.sh [--source NAME] LOG [NOTE]}
note=${2:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BREAKER_BIN:-$(ls "$root"/build*/breaker 2>/dev/null | head -n 1)}
[ -x "$bin" ] || { echo "annotate.sh: no breaker binary (set BREAKER_BIN)" >&2; exit 2; }
json=$("$bin" replay --json --source "$src=$log" || [ $? -le 1 ])
python3 - "$log" "$src" "$note" "$json" <<'PY'
import json, sys
log, src, note, rep = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
fired = {}
for v in rep["verdicts"]:
    fired.setdefault(int(v["line"]), []).append(v["rule"])
out = sys.stdout.buffer
if note:
    out.write(b"# breaker: note " + note.encode() + b"\n")
if src != "engine":
    out.write(b"# breaker: source " + src.encode() + b"\n")
with open(log, "rb") as f:
    for n, line in enumerate(f, 1):
        ids = fired.get(n)
        out.write(b"# breaker: " + (b"fires " + " ".join(ids).encode() if ids else b"silent") + b"\n")
        out.write(line if line.endswith(b"\n") else line + b"\n")
PY
