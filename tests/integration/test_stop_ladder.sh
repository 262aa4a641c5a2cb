#!/bin/bash
# Issue 5, stopping: an engine deaf to SIGINT and SIGTERM. With a short
# configured ladder (SIGINT, 600 ms, SIGTERM, 600 ms, SIGKILL) breaker must
# escalate in that order, honour the waits, and end with SIGKILL; the step
# then fails at once, and nothing of the engine is left.
. "$(dirname "$0")/lib.sh"

write_config '"stop": { "targets": ["codex"], "ladder": [
    { "signal": "SIGINT", "wait": "600ms" },
    { "signal": "SIGTERM", "wait": "600ms" },
    { "signal": "SIGKILL" } ] }'
# No awf here: the engine itself is the target, and it ignores INT and TERM.
write_step "'$T/bin/codex' --pace-ms 20 --mark '$T/mark' --sigs '$T/sigs' --ignore-int --ignore-term --lines '$SEED' 2>&1 | tee -a '$LOG'"
run_job

R=$T/job/result.json
assert_hooks_ok
cat "$T/sigs" 2>/dev/null || true
mapfile -t got < <(awk '{print $1}' "$T/sigs" 2>/dev/null)
[ "${got[*]:-}" = "SIGINT SIGTERM" ] && pass "SIGINT then SIGTERM reached the engine" ||
	fail "signals received: ${got[*]:-none}"
tint=$(awk '$1 == "SIGINT" {print $2; exit}' "$T/sigs")
tterm=$(awk '$1 == "SIGTERM" {print $2; exit}' "$T/sigs")
mark=$(head -1 "$T/mark")
end=$(jget "$R" 'r["step"]["exit"]')
python3 - "$mark" "$tint" "$tterm" "$end" <<'PY' && pass "ladder timings honoured" || fail "ladder timings"
import sys
mark, tint, tterm, end = map(float, sys.argv[1:])
print(f"SIGINT {tint - mark:.3f} s after the 401 line; SIGTERM {tterm - tint:.3f} s later; "
      f"step ended {end - tterm:.3f} s after SIGTERM")
ok = (0 <= tint - mark < 1.0 and 0.55 <= tterm - tint < 1.5 and 0.55 <= end - tterm < 3.0)
sys.exit(0 if ok else 1)
PY
sd=$(job_state_dir)
sig=$(jget "$sd/verdict-0001.json" 'r.get("stop_signal")')
[ "$sig" = SIGKILL ] && pass "the ladder ended with SIGKILL" || fail "last signal: $sig"
ex=$(jget "$sd/verdict-0001.json" 'r.get("stop_exit")')
echo "engine wait status: $ex"
rc=$(jget "$R" 'r["step"]["rc"]')
[ "$rc" != 0 ] && pass "step failed (exit $rc)" || fail "step exit 0"
out=$(hook_output "$T/job" completed)
echo "$out" | grep -E '^::error ' | grep -q 'SIGKILL' && pass "annotation says SIGKILL" ||
	fail "annotation does not name SIGKILL: $out"
assert_no_orphans
finish_test
