#!/usr/bin/env python3
"""A simulated self-hosted runner (actions/runner v2.336.0) for breaker's tests.

    simrunner.py --dir DIR --step FILE [options]

It plays the runner's part in one job, as FIELD-NOTES.md section 5 describes:

- a `Runner.Worker` process (this script re-executed through a symlink of
  that name, so both comm and argv[0] say Runner.Worker) is the ancestor of
  the hooks and of the step;
- the job-started hook runs as `bash -e <hook>`, stdin closed, cwd the
  workspace, with the job's environment (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT,
  GITHUB_REPOSITORY, GITHUB_JOB, GITHUB_WORKSPACE, GITHUB_API_URL,
  RUNNER_NAME, RUNNER_TEMP, RUNNER_TRACKING_ID unique per job,
  GITHUB_STEP_SUMMARY), no GITHUB_TOKEN; its output is read until EOF, but
  at most 5 s after the hook exited (a background child that holds the
  hook's stdout makes the runner wait, then what it writes is dropped);
- the step: the script FILE copied to RUNNER_TEMP/<uuid>.sh and run as
  `bash --noprofile --norc -e -o pipefail <that>.sh`; a step timeout applies
  the runner's cancel ladder (SIGINT, 7.5 s, SIGTERM, 2.5 s, SIGKILL) to the
  step's entry process only;
- the job-completed hook, like the started one;
- "Complete job": every process whose environ carries the job's
  RUNNER_TRACKING_ID is SIGKILLed (recorded first as orphans).

Everything is recorded in DIR/result.json (timings in epoch seconds) and
the job log (hook and step output, as the runner would show it) in
DIR/job.log. `--kill-worker-after S` SIGKILLs the Worker S seconds into the
step (a force-cancelled job) and records how long the breaker daemon took
to exit by itself.
"""
import argparse
import json
import os
import select
import signal
import subprocess
import sys
import time
import uuid

STDIO_WAIT = 5.0          # the runner's wait for a hook's stdio after exit
CANCEL_LADDER = [(signal.SIGINT, 7.5), (signal.SIGTERM, 2.5), (signal.SIGKILL, 0)]


def now():
    return time.time()


def environ_of(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def comm_of(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def cmdline_of(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def is_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def job_processes(tracking_id):
    """Processes whose environment carries this job's tracking id."""
    needle = f"RUNNER_TRACKING_ID={tracking_id}".encode()
    me = os.getpid()
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == me:
            continue
        pid = int(d)
        if needle in environ_of(pid) and not is_zombie(pid):
            out.append({"pid": pid, "comm": comm_of(pid), "cmdline": cmdline_of(pid)})
    return out


class JobLog:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)

    def write(self, section, line):
        self.f.write(f"{now():.3f} [{section}] {line}\n")


def run_with_stdio(argv, env, cwd, log, section, timeout=None, on_start=None):
    """Run argv with stdout+stderr on one pipe, the way the runner does.

    Returns a dict: rc, start, exit, eof (None when the pipe was still held
    STDIO_WAIT s after exit), stdio_wait, lines.
    """
    start = now()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, cwd=cwd, env=env,
                         start_new_session=False)
    if on_start:
        on_start(p)
    fd = p.stdout.fileno()
    os.set_blocking(fd, False)
    buf = b""
    lines = []
    exit_t = None
    eof_t = None
    ladder = list(CANCEL_LADDER)
    next_signal_at = start + timeout if timeout else None
    cancelled = []
    while True:
        if exit_t is None and p.poll() is not None:
            exit_t = now()
        if exit_t is not None and now() - exit_t >= STDIO_WAIT:
            break
        t = 0.05
        r, _, _ = select.select([fd], [], [], t)
        if r:
            chunk = os.read(fd, 65536)
            if not chunk:
                eof_t = now()
                if exit_t is None:
                    p.wait()
                    exit_t = now()
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode(errors="replace")
                lines.append([now(), text])
                log.write(section, text)
        if exit_t is None and next_signal_at and now() >= next_signal_at and ladder:
            sig, wait = ladder.pop(0)
            cancelled.append([sig.name, now()])
            log.write(section, f"##[runner] cancelling: {sig.name} to pid {p.pid}")
            try:
                p.send_signal(sig)
            except ProcessLookupError:
                pass
            next_signal_at = now() + wait if ladder else None
    if buf:
        lines.append([now(), buf.decode(errors="replace")])
        log.write(section, buf.decode(errors="replace"))
    if exit_t is None:
        p.wait()
        exit_t = now()
    p.stdout.close()
    return {
        "rc": p.returncode, "pid": p.pid, "start": start, "exit": exit_t,
        "eof": eof_t,
        "stdio_wait": (eof_t - exit_t) if eof_t else STDIO_WAIT,
        "held_stdio": eof_t is None,
        "duration": exit_t - start, "lines": lines, "cancelled": cancelled,
    }


def save(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def worker(args):
    """The Runner.Worker: hooks, the step, in order; results as we go."""
    res = {"worker_pid": os.getpid(), "worker_comm": comm_of(os.getpid())}
    out = os.path.join(args.dir, "worker.json")
    log = JobLog(os.path.join(args.dir, "job.log"))
    env = json.load(open(os.path.join(args.dir, "env.json")))
    ws = env["GITHUB_WORKSPACE"]

    def hook(name, path):
        log.write(name, f"##[group]Run {path}")
        r = run_with_stdio(["bash", "-e", path], env, ws, log, name)
        res[name] = r
        save(out, res)
        return r

    if args.started_hook:
        hook("started", args.started_hook)
    res["after_started"] = job_processes(env["RUNNER_TRACKING_ID"])
    save(out, res)

    step_file = os.path.join(env["RUNNER_TEMP"], f"{uuid.uuid4()}.sh")
    with open(args.step) as src, open(step_file, "w") as dst:
        dst.write(src.read())
    res["step_file"] = step_file
    save(out, res)
    r = run_with_stdio(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail",
                        step_file], env, ws, log, "step",
                       timeout=args.step_timeout)
    res["step"] = r
    res["after_step"] = job_processes(env["RUNNER_TRACKING_ID"])
    save(out, res)
    if args.completed_hook:
        hook("completed", args.completed_hook)
    save(out, res)
    return 0


def job_env(args):
    ws = os.path.join(args.dir, "work", "repo", "repo")
    temp = os.path.join(args.dir, "temp")
    for d in (ws, temp):
        os.makedirs(d, exist_ok=True)
    summary = os.path.join(temp, "_runner_file_commands", f"step_summary_{uuid.uuid4()}")
    os.makedirs(os.path.dirname(summary), exist_ok=True)
    open(summary, "a").close()
    env = {k: v for k, v in os.environ.items()
           if k in ("PATH", "HOME", "LANG", "LC_ALL", "USER", "LOGNAME", "SHELL",
                    "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TMPDIR",
                    "XDG_STATE_HOME")
           or k.startswith("BREAKER_")}
    env.update({
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_RUN_ID": args.run_id,
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_RUN_NUMBER": "7",
        "GITHUB_REPOSITORY": args.repository,
        "GITHUB_JOB": args.job,
        "GITHUB_WORKSPACE": ws,
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_STEP_SUMMARY": summary,
        "RUNNER_NAME": args.runner_name,
        "RUNNER_OS": "Linux",
        "RUNNER_TEMP": temp,
        "RUNNER_TRACKING_ID": args.tracking_id,
    })
    for kv in args.env:
        k, _, v = kv.partition("=")
        env[k] = v
    return env


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--step", required=True, help="bash script of the step")
    ap.add_argument("--hooks", default=None, help="directory of the hooks")
    ap.add_argument("--no-hooks", action="store_true")
    ap.add_argument("--env", action="append", default=[], help="K=V for the job")
    ap.add_argument("--run-id", default=str(24000000000 + os.getpid()))
    ap.add_argument("--job", default="agent")
    ap.add_argument("--repository", default="octo-org/moderator")
    ap.add_argument("--runner-name", default="sim-runner-1")
    ap.add_argument("--tracking-id", default=None)
    ap.add_argument("--step-timeout", type=float, default=60.0)
    ap.add_argument("--kill-worker-after", type=float, default=None)
    ap.add_argument("--daemon-wait", type=float, default=10.0)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--started-hook", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--completed-hook", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.dir = os.path.abspath(args.dir)
    args.step = os.path.abspath(args.step)
    if args.worker:
        return worker(args)

    os.makedirs(args.dir, exist_ok=True)
    args.tracking_id = args.tracking_id or str(uuid.uuid4())
    env = job_env(args)
    save(os.path.join(args.dir, "env.json"), env)
    hooks = args.hooks or os.path.join(os.environ.get("BREAKER_SOURCE_ROOT", "."), "hooks")
    # A symlink named Runner.Worker: the kernel takes comm from its name.
    wbin = os.path.join(args.dir, "bin", "Runner.Worker")
    os.makedirs(os.path.dirname(wbin), exist_ok=True)
    if not os.path.islink(wbin):
        os.symlink(sys.executable, wbin)
    wargv = ["Runner.Worker", os.path.abspath(__file__), "--worker",
             "--dir", args.dir, "--step", args.step,
             "--step-timeout", str(args.step_timeout)]
    if not args.no_hooks:
        wargv += ["--started-hook", os.path.join(hooks, "job-started.sh"),
                  "--completed-hook", os.path.join(hooks, "job-completed.sh")]
    result = {"tracking_id": args.tracking_id, "env": env}
    t0 = now()
    # The Worker gets the job's environment too (its steps inherit it).
    w = subprocess.Popen(wargv, executable=wbin, env=env, stdin=subprocess.DEVNULL)
    result["worker_pid"] = w.pid
    killed = False
    while w.poll() is None:
        if (args.kill_worker_after is not None and not killed
                and now() - t0 >= args.kill_worker_after):
            w.send_signal(signal.SIGKILL)
            killed = True
            result["worker_killed_at"] = now()
        time.sleep(0.02)
    result["worker_rc"] = w.returncode
    try:
        result.update(json.load(open(os.path.join(args.dir, "worker.json"))))
    except (OSError, ValueError):
        pass
    if killed:
        # The daemon should notice on its own; give it a bounded while.
        daemons = [p["pid"] for p in result.get("after_started", [])
                   if p["comm"].startswith("breaker")]
        result["daemon_pids"] = daemons
        deadline = now() + args.daemon_wait
        while now() < deadline and any(os.path.exists(f"/proc/{d}") and not is_zombie(d)
                                       for d in daemons):
            time.sleep(0.02)
        alive = [d for d in daemons if os.path.exists(f"/proc/{d}") and not is_zombie(d)]
        result["daemon_alive_after_wait"] = alive
        result["daemon_gone_after"] = now() - result["worker_killed_at"]
    # "Complete job": the orphan cleanup by tracking id.
    orphans = job_processes(args.tracking_id)
    result["orphans"] = orphans
    for p in orphans:
        try:
            os.kill(p["pid"], signal.SIGKILL)
        except ProcessLookupError:
            pass
    result["ended"] = now()
    save(os.path.join(args.dir, "result.json"), result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
