#!/usr/bin/env python3
"""End-to-end: the real engine CLIs, refused by a loopback fake provider,
run as the agent step of the simulated runner with breaker's hooks.

Driven by test_engines.sh (which checks the tools first).  For each engine
and refusal it runs the job twice:

- with breaker (hooks on, enforce mode, one job at a time): the first fatal
  verdict must come from the expected rule, the engine must be stopped (the
  step fails, nothing of the engine is left when the step ends, nothing at
  all after the job), and the annotation must name the rule;
- without breaker (no hooks): the same job on its own, capped at E2E_CAP
  seconds (the runner's cancel ladder then ends it).  These baselines mostly
  sleep in retry back-offs, so they run E2E_BASELINE_JOBS at a time, in the
  background, while the breaker runs go on one by one.  The baseline must
  fail too: breaker must never stop a job that would have succeeded.

Every job runs in gh-aw's topology: the engine talks to a stand-in for the
firewall's api-proxy (api-proxy.js), which forwards to the fake provider and
writes token-tracker-audit.jsonl as AWF does.  The with-breaker run above
follows the engine log only; a third run follows the api-proxy record too,
and its first fatal verdict must come from the expected rule (an
`api-proxy.*` rule for every 401/403).  Each run's "cut" is the time from the
first refused request in the record to the fatal verdict.

For each engine, healthy runs (a normal answer; two 500s that the engine
retries and recovers from), with the api-proxy record followed, must complete
with no verdict at all.

Environment: BREAKER_BIN, BREAKER_SOURCE_ROOT (set by meson); E2E_CAP (120),
E2E_BASELINE_JOBS (4), E2E_ONLY (regex on "engine:case"), E2E_STRICT=1 (a
case with no rule yet fails instead of being reported as a gap),
E2E_KEEP=1 (keep the work directory), BREAKER_E2E_CACHE,
E2E_BREAKER_SANDBOX (the configuration's "sandbox"; default: breaker's).
Exit: 0 all ran and passed, 1 a failure, 77 none failed but some cases were
skipped (an engine CLI not installed), or no engine installed at all.
"""
import concurrent.futures
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

E2E_DIR = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("BREAKER_SOURCE_ROOT") or os.path.normpath(os.path.join(E2E_DIR, "..", ".."))
BIN = os.environ.get("BREAKER_BIN", "")
SIMRUNNER = os.path.join(SRC, "tests", "integration", "simrunner.py")
HOOKS = os.path.join(SRC, "hooks")
CAP = float(os.environ.get("E2E_CAP", "120"))
BASELINE_JOBS = int(os.environ.get("E2E_BASELINE_JOBS", "4"))
STRICT = os.environ.get("E2E_STRICT") == "1"
ONLY = re.compile(os.environ.get("E2E_ONLY", ".*"))

MISSING_BEARER = "Missing bearer or basic authentication in header"

# (engine, case, provider mode, provider message, expectation, extra env, note)
# expectation: ("stop", RULE_RE) a fatal verdict from a matching rule stops the
# job; ("warn", RULE_RE) a warning verdict, the job is not stopped (the
# default policy treats rate limits as possibly transient); None: no rule
# covers it yet, reported as a GAP unless some fatal rule of that engine fires.
REFUSALS = [
    ("codex", "401", "401", None, ("stop", r"codex\.auth\.unauthorized"), {}, ""),
    ("codex", "401-missing-bearer", "401", MISSING_BEARER, ("stop", r"codex\.auth\.unauthorized"),
     {"E2E_NO_KEY": "1"}, "no key: no Authorization header (gh-aw #27729)"),
    ("codex", "403", "403", None, ("stop", r"codex\.forbidden"), {}, ""),
    ("codex", "quota", "quota", None, ("stop", r"codex\.quota"), {}, ""),
    ("codex", "429", "429", None, ("warn", r"codex\.rate-limit"), {},
     "rate limit: warned, not stopped"),
    ("claude", "401", "401", None, ("stop", r"claude\.auth\.(retry|invalid)"), {}, ""),
    ("claude", "403", "403", None, ("stop", r"claude\.(auth\.[a-z.-]+|limit|forbidden)"), {}, ""),
    ("claude", "quota", "quota", None, ("stop", r"claude\.(limit|credit[a-z.-]*|billing[a-z.-]*|quota)"), {}, ""),
    ("claude", "429", "429", None, ("warn", r"claude\.rate-limit"), {"CLAUDE_CODE_MAX_RETRIES": "2"},
     "rate limit: warned, not stopped; CLAUDE_CODE_MAX_RETRIES=2 (default 10 = 3.5 min per attempt)"),
    ("copilot", "401", "401", None, ("stop", r"copilot\.auth"), {}, ""),
    ("copilot", "403", "403", None, ("stop", r"copilot\.auth"), {}, ""),
    ("copilot", "quota", "quota", None, ("stop", r"copilot\.quota"), {}, ""),
    ("copilot", "429", "429", None, ("warn", r"copilot\.rate-limit"), {},
     "rate limit: warned, not stopped"),
    # Copilot's real exhausted quota is a 402 (github/copilot-cli#3431): the
    # CLI prints "402 You have no quota" and exits; no engine rule knows it.
    ("copilot", "quota-402", "402", None, None, {},
     "402 quota_exceeded: copilot prints '402 You have no quota'"),
    ("gemini", "401", "401", None, ("stop", r"gemini\.auth"), {}, ""),
    ("gemini", "403", "403", None, ("stop", r"gemini\.forbidden"), {}, ""),
    # pi has no engine rule (gh-aw #58109): the engine log alone is a gap;
    # it exits 0 on a refused key, so its job "succeeds" having done nothing.
    ("pi", "401", "401", None, None, {}, "no pi rule; pi exits 0 when refused"),
    ("pi", "403", "403", None, None, {}, "no pi rule; pi exits 0 when refused"),
]
# With the api-proxy record followed too: (rule regex, must come from the
# api-proxy source).  401/403 are refused in the record at the first
# request; gemini's "401" is Google's 400 INVALID_ARGUMENT, which no status
# rule can call certain.  A quota the engine gives up on by itself at once
# (codex: 1 request; claude: Anthropic's 400) or a 429 that claude's shortened
# retries surface first is stopped by the engine rule; otherwise 8 429s with
# no success between (api-proxy.rate-limit.persistent).
PROXY_RULE = r"api-proxy\.auth\.refused"
PROXY_EXPECT = {
    ("copilot", "quota-402"): (r"api-proxy\.billing\.refused", True),
    ("gemini", "401"): (r"gemini\.auth", False),
    ("codex", "quota"): (r"codex\.quota|api-proxy\.rate-limit\.persistent", False),
    ("claude", "quota"): (r"claude\.(limit|credit[a-z.-]*|billing[a-z.-]*|quota)", False),
    ("copilot", "quota"): (r"copilot\.quota|api-proxy\.rate-limit\.persistent", False),
    ("codex", "429"): (r"api-proxy\.rate-limit\.persistent", True),
    ("copilot", "429"): (r"api-proxy\.rate-limit\.persistent", True),
}
# With the record too, still a warning: claude's shortened retries
# (CLAUDE_CODE_MAX_RETRIES=2) refuse fewer than the 8 requests that make a
# 429 persistent before the test bounds the job, and an organisation's rate
# limit clears with time (docs/rules.md, "Judgement calls").
PROXY_WARN = {
    ("claude", "429"): r"claude\.rate-limit",
}
# Engines whose refused job exits 0 on its own (nothing to compare against
# a failure: breaker makes it fail, which is the point).
EXITS_0_WHEN_REFUSED = {"pi"}
ENGINES = ("codex", "claude", "copilot", "gemini", "pi")
PROVIDER_OF = {"codex": "openai", "claude": "anthropic", "copilot": "copilot",
               "gemini": "gemini", "pi": "openai"}
HEALTHY = [(e, c) for e in ENGINES for c in ("ok", "500")]
AUDIT_REL = os.path.join("gh-aw", "sandbox", "firewall", "logs", "api-proxy-logs",
                         "token-tracker-audit.jsonl")

print_lock = threading.Lock()


def say(*a):
    with print_lock:
        print(*a, flush=True)


def engine_installed(engine):
    r = subprocess.run(["bash", "-c", '. "$0/lib.sh"; e2e_engine_installed "$1" && e2e_engine_version "$1"',
                        E2E_DIR, engine], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


class Provider:
    """The fake provider on an ephemeral loopback port, one per job."""

    def __init__(self, d, mode, message=None):
        os.makedirs(d, exist_ok=True)
        self.dir = d
        with open(os.path.join(d, "mode"), "w") as f:
            f.write(mode + (" " + message if message else "") + "\n")
        # --ws off: under gh-aw codex reaches the api-proxy over HTTP
        self.start(d, ["node", os.path.join(E2E_DIR, "fake-provider.js"),
                       "--mode-file", os.path.join(d, "mode"),
                       "--log", os.path.join(d, "requests.log"), "--ws", "off"],
                   "fake provider")

    def start(self, d, argv, what):
        """Start a loopback server that writes its port to d/port."""
        pf = os.path.join(d, "port")
        self.p = subprocess.Popen(
            argv + ["--port", "0", "--port-file", pf],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline and not os.path.exists(pf):
            time.sleep(0.05)
        if not os.path.exists(pf):
            self.stop()
            raise RuntimeError("%s did not start" % what)
        self.url = "http://127.0.0.1:%d" % int(open(pf).read())

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def container_prefix():
    """`unshare --pid --fork --kill-child` where it works (root), else []."""
    if os.geteuid() != 0:
        return []
    cmd = ["unshare", "--pid", "--fork", "--kill-child"]
    try:
        if subprocess.run(cmd + ["true"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, timeout=10).returncode == 0:
            return cmd
    except (OSError, subprocess.TimeoutExpired):
        pass
    return []


CONTAINER = container_prefix()


class ApiProxy(Provider):
    """The api-proxy stand-in in front of the fake provider, one per job;
    it writes the job's token-tracker-audit.jsonl (created at the first
    answer)."""

    def __init__(self, d, upstream, provider, log_dir):
        os.makedirs(d, exist_ok=True)
        # On gh-aw the api-proxy is a container: its writer of the record is
        # in another pid namespace, which breaker's ownership gate counts as
        # the firewall's (with this job's awf running). Root gets the same.
        self.start(d, CONTAINER + ["node", os.path.join(E2E_DIR, "api-proxy.js"),
                                   "--upstream", upstream, "--provider", provider,
                                   "--log-dir", log_dir],
                   "api-proxy stand-in")


def first_refusal(d):
    """Epoch seconds of the first refused request (status >= 400) in the
    job's api-proxy record, or None."""
    try:
        for line in open(os.path.join(d, AUDIT_REL), errors="replace"):
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if o.get("event") == "TRACK_START" and isinstance(o.get("status"), int) \
                    and o["status"] >= 400:
                return o["ts"] / 1000.0
    except OSError:
        pass
    return None


def read_verdicts(state):
    out = []
    for f in sorted(glob.glob(os.path.join(state, "*", "verdict-*.json"))):
        try:
            out.append(json.load(open(f)))
        except (OSError, ValueError):
            out.append({"rule_id": "?unreadable " + f})
    return out


def end_early(d, state, proc, after_attempt, unless_fatal):
    """Bound a with-breaker job the way a cancel would (SIGTERM to awf) once
    the answer is known, instead of sitting through every retry:
    - a refusal that no rule stops (warned-only, or a gap): once attempt
      `after_attempt` (1) failed with no fatal verdict on record -- a rule
      fires on the first attempt's give-up line or not at all;
    - a refusal breaker must stop: once attempt `after_attempt` (2) failed
      anyway, breaker has already missed it twice (a broken stop would
      otherwise cost the whole cap)."""
    log = os.path.join(d, "gh-aw", "agent-stdio.log")
    mark = "-harness] attempt %d failed" % after_attempt
    awf = re.compile(r"Starting awf \(e2e stand-in, pid (\d+)\)")
    while proc.poll() is None:
        time.sleep(0.5)
        try:
            text = open(log, errors="replace").read()
        except OSError:
            continue
        if mark not in text:
            continue
        if unless_fatal and any(v.get("severity") == "fatal" for v in read_verdicts(state)):
            return
        m = awf.search(text)
        if m:
            try:
                os.kill(int(m.group(1)), 15)
            except OSError:
                pass
        return


def run_job(d, engine, mode, message, extra, breaker, step_timeout, early=None,
            proxy_record=True):
    """One job through the simulated runner; returns the parsed outcome.
    The engine always goes through the api-proxy stand-in; breaker follows
    its record only when `proxy_record`."""
    os.makedirs(d, exist_ok=True)
    prov = Provider(os.path.join(d, "provider"), mode, message)
    ghaw = os.path.join(d, "gh-aw")
    try:
        proxy = ApiProxy(os.path.join(d, "api-proxy"), prov.url, PROVIDER_OF[engine],
                         os.path.dirname(os.path.join(d, AUDIT_REL)))
    except Exception:
        prov.stop()
        raise
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("BREAKER_") and k not in ("BREAKER_BIN", "BREAKER_E2E_CACHE"):
            del env[k]
    state = os.path.join(d, "s")
    if breaker:
        cfg = os.path.join(d, "breaker.json")
        conf = {
            "version": 1, "mode": "enforce", "state_dir": state,
            "sources": {
                "engine": {"path": os.path.join(ghaw, "agent-stdio.log"), "format": "jsonl"},
                "firewall": {"path": os.path.join(ghaw, "sandbox", "firewall", "logs", "access.log"),
                             "format": "squid"},
                # engine log only: point the record at a file never written
                # (an alternative path that exists nowhere, as on a runner
                # without the api-proxy)
                "api-proxy": {"path": [os.path.join(d, AUDIT_REL) if proxy_record else
                                       os.path.join(d, "no-api-proxy", "audit.jsonl")],
                              "format": "jsonl"},
            },
            "actions": ["stop"],
        }
        if os.environ.get("E2E_BREAKER_SANDBOX"):
            conf["sandbox"] = os.environ["E2E_BREAKER_SANDBOX"]
        with open(cfg, "w") as f:
            json.dump(conf, f, indent=1)
        env["BREAKER_CONFIG"] = cfg
        env["BREAKER_STATE_DIR"] = state
    argv = [sys.executable, SIMRUNNER, "--dir", os.path.join(d, "job"),
            "--step", os.path.join(E2E_DIR, "agent-step.sh"),
            "--step-timeout", str(step_timeout), "--hooks", HOOKS]
    if not breaker:
        argv.append("--no-hooks")
    jenv = {"E2E_DIR": E2E_DIR, "E2E_ENGINE": engine, "E2E_URL": proxy.url,
            "E2E_HOME": os.path.join(d, "home"), "E2E_AGENT_LOG": os.path.join(ghaw, "agent-stdio.log")}
    if not breaker:
        # The baselines run beside the watched jobs. Their wrapper must not be
        # named awf: breaker's ownership gate counts the firewall's files as
        # shared, and attributes none of their lines, while another job's awf
        # runs on the machine (docs/hardening.md, "Ownership").
        alone = os.path.join(os.path.dirname(d), "bin-alone", "awf-alone")
        os.makedirs(os.path.dirname(alone), exist_ok=True)
        if not os.path.lexists(alone):
            os.symlink(os.path.join(E2E_DIR, "awf"), alone)
        jenv["E2E_AWF"] = alone
    jenv.update(extra)
    for k, v in jenv.items():
        argv += ["--env", "%s=%s" % (k, v)]
    t0 = time.time()
    try:
        p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(d, "simrunner.err"), "w"))
        if early:
            end_early(d, state, p, *early)
        try:
            p.wait(timeout=step_timeout + 120)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    finally:
        proxy.stop()
        prov.stop()
    out = {"wall": time.time() - t0, "first_refusal": first_refusal(d)}
    try:
        res = json.load(open(os.path.join(d, "job", "result.json")))
    except (OSError, ValueError) as e:
        out["error"] = "no result.json (%s)" % e
        return out
    step = res.get("step", {})
    out["rc"] = step.get("rc")
    out["duration"] = step.get("duration")
    out["capped"] = bool(step.get("cancelled"))
    out["left_after_step"] = [p for p in res.get("after_step", []) if not p["comm"].startswith("breaker")]
    out["orphans"] = res.get("orphans", [])
    out["verdicts"] = read_verdicts(state)
    fatal = [v for v in out["verdicts"] if v.get("severity") == "fatal"]
    if fatal and out["first_refusal"] and fatal[0].get("fired_at"):
        out["cut"] = fatal[0]["fired_at"] - out["first_refusal"]
    completed = []
    try:
        for line in open(os.path.join(d, "job", "job.log"), errors="replace"):
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) == 3 and parts[1] in ("[completed]", "[started]"):
                completed.append(parts[2])
    except OSError:
        pass
    out["hook_lines"] = completed
    return out


def left_behind(r):
    problems = []
    if r["left_after_step"]:
        problems.append("left after the step: %s" % ", ".join(
            "%s(%d)" % (p["comm"], p["pid"]) for p in r["left_after_step"]))
    if r["orphans"]:
        problems.append("left after the job: %s" % ", ".join(
            "%s(%d)" % (p["comm"], p["pid"]) for p in r["orphans"]))
    return problems


def judge_warning(rule_re, r):
    """A refusal the policy only warns about: a warning verdict from the
    rule, no fatal one, an ::warning annotation naming it."""
    if "error" in r:
        return "FAIL", r["error"]
    fatal = [v.get("rule_id") for v in r["verdicts"] if v.get("severity") == "fatal"]
    warn = [v.get("rule_id") for v in r["verdicts"] if v.get("severity") == "warning"
            and re.fullmatch(rule_re, v.get("rule_id", ""))]
    problems = []
    if fatal:
        problems.append("stopped by %s (expected a warning only)" % fatal)
    if not warn:
        problems.append("no warning verdict from /%s/ (verdicts: %s)" % (
            rule_re, [v.get("rule_id") for v in r["verdicts"]]))
    elif not [l for l in r["hook_lines"] if l.startswith("::warning ") and ("Rule " + warn[0]) in l]:
        problems.append("no ::warning annotation naming %s" % warn[0])
    problems += left_behind(r)
    if problems:
        return "FAIL", "; ".join(problems)
    return "PASS", warn[0] + " (warning; the test ended the job after attempt 1)"


def judge_refusal(engine, case, expect, r):
    """-> (status, details); status in PASS, FAIL, GAP."""
    if expect and expect[0] == "warn":
        return judge_warning(expect[1], r)
    rule_re = expect[1] if expect else None
    if "error" in r:
        return "FAIL", r["error"]
    fatal = [v for v in r["verdicts"] if v.get("severity") == "fatal"]
    if not fatal:
        if rule_re is None:
            return "GAP", ("no default rule covers this refusal yet: no verdict in the first "
                           "attempt (job then ended by the test)")
        return "FAIL", "no fatal verdict (verdicts: %s)" % [v.get("rule_id") for v in r["verdicts"]]
    v = fatal[0]
    rid = v.get("rule_id", "?")
    # no expectation: any fatal rule of the engine's own covers it
    want = rule_re or (re.escape(engine) + r"\..+")
    problems = []
    if not re.fullmatch(want, rid):
        problems.append("rule %s, expected /%s/" % (rid, want))
    if not v.get("stop_target"):
        problems.append("verdict took no stop action (%s)" % v.get("action_result"))
    if r["rc"] == 0:
        problems.append("the step succeeded although the engine was refused")
    problems += left_behind(r)
    ann = [l for l in r["hook_lines"] if l.startswith("::error ") and ("Rule " + rid) in l]
    if not ann:
        problems.append("no ::error annotation naming %s" % rid)
    if r["capped"]:
        problems.append("the runner's step timeout had to end it")
    if problems:
        return "FAIL", "; ".join(problems)
    return "PASS", rid + ("" if rule_re else " (no rule was expected yet)")


def judge_proxy(engine, case, r):
    """The run that follows the api-proxy record too: its first fatal
    verdict comes from the expected rule (from the api-proxy source where
    the record is the first certain sign) and stopped the engine."""
    if (engine, case) in PROXY_WARN:
        return judge_warning(PROXY_WARN[(engine, case)], r)
    rule_re, from_proxy = PROXY_EXPECT.get((engine, case), (PROXY_RULE, True))
    st, det = judge_refusal(engine, case, ("stop", rule_re), r)
    if st != "PASS":
        return st, det
    v = [v for v in r["verdicts"] if v.get("severity") == "fatal"][0]
    if from_proxy and v.get("source") != "api-proxy":
        return "FAIL", "verdict from source %s, expected api-proxy" % v.get("source")
    return st, det


def judge_healthy(r):
    if "error" in r:
        return "FAIL", r["error"]
    problems = []
    if r["verdicts"]:
        problems.append("verdicts: %s" % [v.get("rule_id") for v in r["verdicts"]])
    if r["rc"] != 0:
        problems.append("step exit %s" % r["rc"])
    if any(l.startswith("::error ") for l in r["hook_lines"]):
        problems.append("an ::error annotation")
    if r["orphans"]:
        problems.append("left after the job: %s" % [p["comm"] for p in r["orphans"]])
    return ("FAIL", "; ".join(problems)) if problems else ("PASS", "no verdict")


def reap(work):
    """Kill whatever of ours is still running: every process whose
    environment or command line names this run's work directory (the
    engines' HOME, the job env, the providers' files).  Only needed when the
    run itself is interrupted."""
    needle = work.encode()
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            # environ: the engines, harnesses, awf; cmdline: fake providers.
            for what in ("environ", "cmdline"):
                with open("/proc/%s/%s" % (pid, what), "rb") as f:
                    if needle in f.read():
                        os.kill(int(pid), 9)
                        break
        except OSError:
            pass


def fmt_s(x):
    return "-" if x is None else "%.1f" % x


def fmt_cut(x):
    return "-" if x is None else "%.2f" % x


def main():
    for tool in ("node", "python3"):
        if not shutil.which(tool):
            print("SKIP: %s not found" % tool)
            return 77
    if not BIN or not os.access(BIN, os.X_OK):
        print("FAIL: BREAKER_BIN not set or not executable: %r" % BIN)
        return 1
    if not os.path.exists(SIMRUNNER):
        print("FAIL: simulated runner missing: %s" % SIMRUNNER)
        return 1
    versions = {e: engine_installed(e) for e in ENGINES}
    for e, v in versions.items():
        say("engine %-8s %s" % (e, v or "NOT INSTALLED"))
    if not any(versions.values()):
        print("SKIP: no engine CLI could be installed (tests/e2e/install-engines.sh)")
        return 77

    # Short paths: the daemon's control socket lives in the state directory
    # and a unix socket path has at most 107 bytes.
    global WORK
    work = WORK = tempfile.mkdtemp(prefix="be2e.", dir="/tmp")
    say("work directory: %s" % work)
    refusals = [c for c in REFUSALS if ONLY.search("%s:%s" % (c[0], c[1]))]
    healthy = [c for c in HEALTHY if ONLY.search("%s:%s" % c)]
    results, presults = {}, {}

    # Baselines in the background, a few at a time.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, BASELINE_JOBS))
    futures = {}
    for (engine, case, mode, msg, expect, extra, note) in refusals:
        if versions[engine]:
            d = os.path.join(work, "a-%s-%s" % (engine, case))
            futures[(engine, case)] = pool.submit(run_job, d, engine, mode, msg, extra, False, CAP)

    for (engine, case, mode, msg, expect, extra, note) in refusals:
        if not versions[engine]:
            results[(engine, case)] = ("SKIP", "not installed", None)
            presults[(engine, case)] = ("SKIP", "not installed", None)
            continue
        # breaker on the engine log only
        d = os.path.join(work, "b-%s-%s" % (engine, case))
        stops = expect is not None and expect[0] == "stop"
        r = run_job(d, engine, mode, msg, extra, True, CAP + 30,
                    early=(2, False) if stops else (1, True), proxy_record=False)
        st, det = judge_refusal(engine, case, expect, r)
        results[(engine, case)] = (st, det, r)
        say("%-5s %s:%s engine log %ss: %s" % (st, engine, case, fmt_s(r.get("duration")), det))
        # breaker on the api-proxy record too
        d = os.path.join(work, "p-%s-%s" % (engine, case))
        r = run_job(d, engine, mode, msg, extra, True, CAP + 30, early=(2, False))
        st, det = judge_proxy(engine, case, r)
        presults[(engine, case)] = (st, det, r)
        say("%-5s %s:%s + api-proxy %ss (cut %ss): %s" % (
            st, engine, case, fmt_s(r.get("duration")), fmt_cut(r.get("cut")), det))

    hres = {}
    for (engine, case) in healthy:
        if not versions[engine]:
            hres[(engine, case)] = ("SKIP", "not installed", None)
            continue
        d = os.path.join(work, "h-%s-%s" % (engine, case))
        r = run_job(d, engine, case, None, {}, True, 180)
        st, det = judge_healthy(r)
        hres[(engine, case)] = (st, det, r)
        say("%-5s %s:%s healthy %ss: %s" % (st, engine, case, fmt_s(r.get("duration")), det))

    base = {}
    for k, f in futures.items():
        try:
            base[k] = f.result()
        except Exception as e:  # a crashed baseline is reported, not hidden
            base[k] = {"error": str(e)}
    pool.shutdown()

    # The table.
    fails, gaps, skips = [], [], []
    say("")
    say("Refusals: agent step time (s) alone (capped at %.0f s; '≥' = the cap ended it), "
        "with breaker on the engine log only, and on the api-proxy record too; "
        "cut = first refused request in the record -> fatal verdict" % CAP)
    say("%-8s %-19s %8s | %-9s %-26s %7s %6s | %-9s %-31s %7s %6s  %s" % (
        "engine", "case", "alone", "result", "engine-log rule", "s", "cut",
        "result", "+api-proxy rule", "s", "cut", "notes"))
    saved = {}
    for (engine, case, mode, msg, expect, extra, note) in refusals:
        st, det, r = results[(engine, case)]
        pst, pdet, pr = presults[(engine, case)]
        b = base.get((engine, case), {})
        bdur = b.get("duration")
        notes = [note] if note else []
        if b and "error" not in b and b.get("rc") == 0 and engine not in EXITS_0_WHEN_REFUSED:
            st = pst = "FAIL"
            det = "the job succeeded without breaker: " + det
        if b.get("error"):
            notes.append("baseline: " + b["error"])
        alone = ("≥" if b.get("capped") else "") + fmt_s(bdur)
        rule = det.split(" ")[0] if st == "PASS" else ("(warned)" if st == "PASS" else "-")
        prule = pdet.split(" ")[0] if pst == "PASS" else "-"
        with_d = r.get("duration") if r else None
        pwith = pr.get("duration") if pr else None
        say("%-8s %-19s %8s | %-9s %-26s %7s %6s | %-9s %-31s %7s %6s  %s" % (
            engine, case, alone, st, rule, fmt_s(with_d), fmt_cut(r.get("cut") if r else None),
            pst, prule, fmt_s(pwith), fmt_cut(pr.get("cut") if pr else None), "; ".join(notes)))
        if pst == "PASS" and bdur and pwith and engine not in EXITS_0_WHEN_REFUSED:
            saved.setdefault(engine, [0.0, 0.0, False])
            saved[engine][0] += bdur
            saved[engine][1] += pwith
            saved[engine][2] |= b.get("capped", False)
        for (s_, d_, what) in ((st, det, "engine log"), (pst, pdet, "+api-proxy")):
            if s_ == "FAIL":
                fails.append("%s:%s (%s): %s" % (engine, case, what, d_))
            elif s_ == "GAP":
                gaps.append("%s:%s (%s): %s" % (engine, case, what, note or d_))
            elif s_ == "SKIP":
                skips.append("%s:%s (%s)" % (engine, case, what))
    say("")
    say("Healthy runs (with breaker, enforce, api-proxy record followed): must complete with no verdict")
    for (engine, case) in healthy:
        st, det, r = hres[(engine, case)]
        say("%-8s %-19s %-9s %9s  %s" % (engine, "answer" if case == "ok" else "500 x2, recovers",
                                        st, fmt_s(r.get("duration") if r else None), det))
        if st == "FAIL":
            fails.append("%s:%s (healthy): %s" % (engine, case, det))
        elif st == "SKIP":
            skips.append("%s:%s" % (engine, case))
    say("")
    for engine, (alone, withb, capped) in sorted(saved.items()):
        say("time saved, %s (passed cases, api-proxy record followed): %s%.0f s alone%s vs %.0f s "
            "with breaker: %s%.0f s saved" % (
                engine, "≥" if capped else "", alone, " (some capped)" if capped else "", withb,
                "≥" if capped else "", alone - withb))
    for g in gaps:
        say("GAP (no default rule yet; %s): %s" % ("fails: E2E_STRICT=1" if STRICT else "reported, not failed", g))
    for f in fails:
        say("FAILED: " + f)
    allres = list(results.values()) + list(presults.values()) + list(hres.values())
    npass = sum(1 for v in allres if v[0] == "PASS")
    nfail = len(fails) + (len(gaps) if STRICT else 0)
    say("%d passed, %d failed, %d skipped" % (npass, nfail, len(skips) + (0 if STRICT else len(gaps))))
    reap(work)
    if os.environ.get("E2E_KEEP") == "1" or nfail:
        say("kept: %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    if nfail:
        return 1
    # Some cases not run (an engine CLI missing) is a skip, never a PASS.
    if skips:
        return 77
    return 0


WORK = None


def on_signal(sig, frame):
    if WORK:
        reap(WORK)
    os._exit(128 + sig)


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sys.exit(main())
