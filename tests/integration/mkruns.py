#!/usr/bin/env python3
"""Build synthetic run downloads for `breaker replay DIR...` from real log lines.

mkruns.py OUT NAME LAYOUT ENGINE CONCLUSION ENGINE_LOG [FIREWALL_LOG]

LAYOUT:
  ghaw       `gh aw logs`: run-<id>/aw_info.json, run_summary.json,
             agent-stdio.log, sandbox/firewall/logs/access.log and
             workflow-logs/agent/<n>_<step>.txt (the runner's step logs,
             each line prefixed with its timestamp, as the run-log archive
             holds them; the engine step's opens with a byte-order mark);
             the engine step's lines are one second apart
             from T0, the job's last step ends at T0 + 600 s.
  ghaw-nolog the same without workflow-logs/ (no timestamps).
  runlog     `gh run view <id> --log > OUT/<id>/run.log` and
             `gh run view <id> --json conclusion > OUT/<id>/run.json`: the
             whole run in one file, `JOB<TAB>STEP<TAB>` before each stamped
             line; the agent job as in ghaw, then a `detection` job whose
             own "Execute" step prints a healthy line at T0 + 700 s.
  download   `gh run download -D OUT/<id>`: one folder per artifact
             (agent-artifacts/agent-stdio.log, firewall-logs/access.log),
             no metadata, no timestamps.
CONCLUSION: success, failure, cancelled, or - for none.
The lines are copied verbatim: never edited.
"""
import json
import os
import sys
from datetime import datetime, timedelta, timezone

T0 = datetime(2026, 11, 30, 10, 0, 0, tzinfo=timezone.utc)
JOB_END = 600


def stamp(t):
    # the runner's format: seven fractional digits, Z, one space
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%07d" % (t.microsecond * 10) + "Z "


def write(path, data, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(data)


def main():
    out, name, layout, engine, conclusion, elog = sys.argv[1:7]
    flog = sys.argv[7] if len(sys.argv) > 7 else None
    with open(elog, "rb") as f:
        eng = f.read()
    fw = open(flog, "rb").read() if flog else None
    run = os.path.join(out, name)
    if layout == "runlog":
        rows = [("agent", "Set up job", T0 - timedelta(seconds=30), b"Current runner version: '2.336.0'")]
        rows += [("agent", "Execute %s CLI" % engine.capitalize(), T0 + timedelta(seconds=i), line)
                 for i, line in enumerate(eng.splitlines())]
        rows += [("agent", "Complete job", T0 + timedelta(seconds=JOB_END), b"Cleaning up orphan processes"),
                 ("detection", "Execute %s CLI" % engine.capitalize(),
                  T0 + timedelta(seconds=JOB_END + 100), b"threat detection: no threats found")]
        data = b"".join(j.encode() + b"\t" + s.encode() + b"\t" + stamp(t).encode() + l + b"\n"
                        for j, s, t, l in rows)
        write(os.path.join(run, "run.log"), data, "wb")
        if conclusion != "-":
            write(os.path.join(run, "run.json"), json.dumps({"conclusion": conclusion}))
        return
    if layout == "download":
        write(os.path.join(run, "agent-artifacts", "agent-stdio.log"), eng, "wb")
        if fw is not None:
            write(os.path.join(run, "firewall-logs", "access.log"), fw, "wb")
        return
    info = {"engine_id": engine, "workflow_name": "synthetic", "run_id": name}
    write(os.path.join(run, "aw_info.json"), json.dumps(info))
    if conclusion != "-":
        write(os.path.join(run, "run_summary.json"),
              json.dumps({"run": {"databaseId": name, "conclusion": conclusion}}))
    write(os.path.join(run, "agent-stdio.log"), eng, "wb")
    if fw is not None:
        write(os.path.join(run, "sandbox", "firewall", "logs", "access.log"), fw, "wb")
    if layout == "ghaw-nolog":
        return
    steps = os.path.join(run, "workflow-logs", "agent")
    pre = stamp(T0 - timedelta(seconds=5)) + "##[group]Run set -o pipefail\n"
    write(os.path.join(steps, "1_Set up job.txt"),
          stamp(T0 - timedelta(seconds=30)) + "Current runner version: '2.336.0'\n")
    # a byte-order mark first, which downloaded logs may begin with
    body = [b"\xef\xbb\xbf" + pre.encode()]
    for i, line in enumerate(eng.splitlines()):
        body.append(stamp(T0 + timedelta(seconds=i)).encode() + line + b"\n")
    write(os.path.join(steps, "12_Execute %s CLI.txt" % engine.capitalize()),
          b"".join(body), "wb")
    write(os.path.join(steps, "20_Complete job.txt"),
          stamp(T0 + timedelta(seconds=JOB_END)) + "Cleaning up orphan processes\n")


if __name__ == "__main__":
    main()
