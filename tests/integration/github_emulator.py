#!/usr/bin/env python3
"""A loopback HTTPS stand-in for the GitHub REST API, for breaker's tests.

    github_emulator.py --dir DIR [--app-id N] [--installation-id N]

It makes its own certificates in DIR with the `openssl` CLI (a test CA, a
server certificate for 127.0.0.1/localhost, one signed by the CA for the
wrong host name, and an untrusted self-signed one), the App's key pair and a
second, unrelated RSA key, then listens on 127.0.0.1 only, once per server
certificate, and writes "name port" lines to DIR/ports (atomically).

Every request is checked the way GitHub would: paths, methods, the
Accept / X-GitHub-Api-Version / User-Agent headers, the App's RS256 JWT
(verified with the App's public key through `openssl dgst`), installation
tokens it issued, or the token in DIR/token. Each request is appended to
DIR/requests.jsonl (never with a credential in it); what went wrong with a
request is listed in its "problems". DIR/control.json, read on every
request, scripts odd answers (500, 403 secondary limit, 409, delays …).
Issued tokens go to DIR/issued-tokens so the test can grep for leaks.
"""
import argparse
import base64
import http.server
import json
import os
import re
import secrets
import signal
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time

LOCK = threading.Lock()
STATE = {"issued": set(), "revoked": set(), "script_used": {}, "seq": 0}
ARGS = None
PREFIX = "/api/v3"
HEAD_SHA = "0123456789abcdef0123456789abcdef01234567"
CHECK_ID = 777


def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_material(d):
    """Certificates and keys, made once per directory."""
    p = lambda n: os.path.join(d, n)
    if os.path.exists(p("material.done")):
        return
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", p("ca.key"), "-out", p("ca.pem"), "-days", "2",
        "-subj", "/CN=breaker test CA")
    for name, san in (("server", "IP:127.0.0.1,DNS:localhost"),
                      ("wrong", "DNS:wrong.example.com")):
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes",
            "-keyout", p(name + ".key"), "-out", p(name + ".csr"),
            "-subj", "/CN=" + ("localhost" if name == "server"
                               else "wrong.example.com"))
        with open(p(name + ".ext"), "w") as f:
            f.write("subjectAltName=%s\n" % san)
        run("openssl", "x509", "-req", "-in", p(name + ".csr"),
            "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial",
            "-out", p(name + ".pem"), "-days", "2",
            "-extfile", p(name + ".ext"))
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", p("untrusted.key"), "-out", p("untrusted.pem"),
        "-days", "2", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost")
    for k in ("app", "other"):
        run("openssl", "genpkey", "-algorithm", "RSA",
            "-pkeyopt", "rsa_keygen_bits:2048", "-out", p(k + ".pem"))
        os.chmod(p(k + ".pem"), 0o600)
    run("openssl", "pkey", "-in", p("app.pem"), "-pubout",
        "-out", p("app.pub"))
    with open(p("token"), "w") as f:
        f.write("ghp_" + secrets.token_hex(18) + "\n")
    os.chmod(p("token"), 0o600)
    open(p("material.done"), "w").close()


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def check_jwt(jwt, problems):
    """Verify the App's JWT as GitHub does; append what is wrong."""
    parts = jwt.split(".")
    if len(parts) != 3:
        problems.append("jwt: not three parts")
        return False
    try:
        hdr = json.loads(b64d(parts[0]))
        claims = json.loads(b64d(parts[1]))
        sig = b64d(parts[2])
    except ValueError:
        problems.append("jwt: undecodable")
        return False
    if hdr.get("alg") != "RS256":
        problems.append("jwt: alg is not RS256")
    with tempfile.TemporaryDirectory() as t:
        with open(os.path.join(t, "data"), "wb") as f:
            f.write((parts[0] + "." + parts[1]).encode())
        with open(os.path.join(t, "sig"), "wb") as f:
            f.write(sig)
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify",
                            os.path.join(ARGS.dir, "app.pub"), "-signature",
                            os.path.join(t, "sig"), os.path.join(t, "data")],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        problems.append("jwt: bad signature")
        return False
    now = time.time()
    iat, exp = claims.get("iat"), claims.get("exp")
    if str(claims.get("iss")) != ARGS.app_id:
        problems.append("jwt: iss is not the app id")
    if not isinstance(iat, int) or not isinstance(exp, int):
        problems.append("jwt: iat/exp missing")
        return False
    if iat > now - 30:
        problems.append("jwt: iat not back-dated")
    if exp <= now or exp - iat > 600 + 60:
        problems.append("jwt: expired or too long")
    return not problems


def control():
    try:
        with open(os.path.join(ARGS.dir, "control.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def scripted(ctl, method, path):
    """The next scripted answer for this request, if any."""
    for i, s in enumerate(ctl.get("script", [])):
        if s.get("method", method) != method or \
                not re.search(s["path"], path):
            continue
        key = "%s-%d" % (ctl.get("id", ""), i)
        used = STATE["script_used"].get(key, 0)
        times = s.get("times", 1)
        if times >= 0 and used >= times:
            continue
        STATE["script_used"][key] = used + 1
        return s
    return None


def jobs_page(ctl, query):
    q = dict(kv.split("=", 1) for kv in query.split("&") if "=" in kv)
    per, page = int(q.get("per_page", 30)), int(q.get("page", 1))
    n, ours = ctl.get("njobs", 3), ctl.get("our_job", 1)
    jobs = []
    for i in range(n):
        jobs.append({
            "id": 1000 + i, "run_id": 4242, "head_sha": HEAD_SHA,
            "name": "job%d" % i,
            "status": "in_progress" if i == ours else "completed",
            "runner_name": ctl.get("runner", "test-runner") if i == ours
            else "other-runner-%d" % i,
            "html_url": "https://github.example/o/r/job/%d" % (1000 + i)})
    return {"total_count": n, "jobs": jobs[(page - 1) * per:page * per]}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def reply(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def do_GET(self):
        self.handle_api("GET")

    def do_POST(self):
        self.handle_api("POST")

    def do_PATCH(self):
        self.handle_api("PATCH")

    def auth(self, problems, want_jwt):
        a = self.headers.get("Authorization", "")
        if not a.startswith("Bearer "):
            problems.append("no bearer authorization")
            return "none"
        cred = a[7:]
        if want_jwt:
            return "jwt" if check_jwt(cred, problems) else "bad-jwt"
        with LOCK:
            if cred in STATE["revoked"]:
                return "revoked"
            if cred in STATE["issued"]:
                return "installation-token"
        with open(os.path.join(ARGS.dir, "token")) as f:
            if cred == f.read().strip():
                return "file-token"
        return "unknown-token"

    def handle_api(self, method):
        t = time.time()
        ctl = control()
        problems = []
        path, _, query = self.path.partition("?")
        n = int(self.headers.get("Content-Length", 0) or 0)
        raw = self.rfile.read(n) if n else b""
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                problems.append("body is not JSON")
        for h, want in (("Accept", "application/vnd.github+json"),
                        ("X-GitHub-Api-Version", "2022-11-28")):
            if self.headers.get(h) != want:
                problems.append("header %s" % h)
        if not self.headers.get("User-Agent", "").startswith("breaker/"):
            problems.append("header User-Agent")
        if not path.startswith(PREFIX):
            problems.append("path outside the API prefix")
        path = path[len(PREFIX):]
        token_path = "/app/installations/%s/access_tokens" % \
            ARGS.installation_id
        kind = self.auth(problems, path.endswith("/access_tokens"))
        with LOCK:
            STATE["seq"] += 1
            rec = {"seq": STATE["seq"], "t": t, "method": method,
                   "path": path, "query": query, "auth": kind,
                   "port": self.server.server_address[1],
                   "problems": problems, "body": body}
        status, answer, headers = self.route(ctl, method, path, query,
                                             token_path, kind, body, problems)
        s = scripted(ctl, method, path) if status < 400 or \
            kind in ("jwt", "installation-token", "file-token") else None
        if s is not None:
            status, answer = s.get("status", 500), s.get(
                "body", {"message": "scripted"})
            headers = s.get("headers")
        rec["status"] = status
        rec["scripted"] = s is not None
        # Recorded on arrival: a stalled answer must not land in the
        # records of a later case.
        with LOCK:
            with open(os.path.join(ARGS.dir, "requests.jsonl"), "a") as f:
                f.write(json.dumps(rec) + "\n")
        if s is not None:
            time.sleep(s.get("delay", 0))
        try:
            self.reply(status, answer, headers)
        except OSError:
            pass

    def route(self, ctl, method, path, query, token_path, kind, body,
              problems):
        if path.endswith("/access_tokens"):
            if method != "POST" or path != token_path:
                return 404, {"message": "Not Found"}, None
            if kind != "jwt":
                return 401, {"message": "A JSON web token could not be "
                                        "decoded"}, None
            tok = "ghs_" + secrets.token_hex(18)
            with LOCK:
                STATE["issued"].add(tok)
                with open(os.path.join(ARGS.dir, "issued-tokens"), "a") as f:
                    f.write(tok + "\n")
            exp = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                time.gmtime(time.time() + 3600))
            return 201, {"token": tok, "expires_at": exp}, None
        if kind not in ("installation-token", "file-token"):
            return 401, {"message": "Bad credentials"}, None
        if kind == "installation-token" and ctl.get("revoke_first_use"):
            a = self.headers["Authorization"][7:]
            with LOCK:
                first = not STATE.get("revoked_once_" + ctl.get("id", ""))
                if first:
                    STATE["revoked_once_" + ctl.get("id", "")] = True
                    STATE["revoked"].add(a)
            if first:
                return 401, {"message": "Bad credentials"}, None
        repo = "/repos/%s/%s" % (ARGS.owner, ARGS.repo)
        if not path.startswith(repo + "/"):
            return 404, {"message": "Not Found"}, None
        rest = path[len(repo):]
        if method == "POST" and rest == "/actions/runs/4242/cancel":
            if ctl.get("run_completed"):
                return 409, {"message": "Cannot cancel a workflow run "
                                        "that is completed."}, None
            return 202, {}, None
        if method == "GET" and rest == "/actions/runs/4242":
            return 200, {"id": 4242, "head_sha": HEAD_SHA}, None
        if method == "GET" and re.fullmatch(
                r"/actions/runs/4242/attempts/[12]/jobs", rest):
            return 200, jobs_page(ctl, query), None
        if rest == "/check-runs" and method == "POST" or \
                rest == "/check-runs/%d" % CHECK_ID and method == "PATCH":
            return self.check_run(method, body, problems)
        return 404, {"message": "Not Found"}, None

    def check_run(self, method, body, problems):
        if not isinstance(body, dict):
            problems.append("check-run: no body")
            return 422, {"message": "Invalid request."}, None
        out = body.get("output", {})
        anns = out.get("annotations", [])
        if method == "POST" and (body.get("name") != "breaker" or
                                 body.get("head_sha") != HEAD_SHA):
            problems.append("check-run: name or head_sha")
        if len(anns) > 50:
            problems.append("check-run: more than 50 annotations")
        if not out.get("title") or not out.get("summary"):
            problems.append("check-run: output without title or summary")
        for a in anns:
            if not all(k in a for k in ("path", "start_line", "end_line",
                                        "annotation_level", "message")):
                problems.append("check-run: incomplete annotation")
                break
        if problems:
            return 422, {"message": "Invalid request."}, None
        return (201 if method == "POST" else 200), {"id": CHECK_ID}, None


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass    # refused handshakes are expected here


def serve(name, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    srv = Server(("127.0.0.1", 0), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return name, srv.server_address[1]


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--app-id", default="31337")
    ap.add_argument("--installation-id", default="5150")
    ap.add_argument("--owner", default="octo")
    ap.add_argument("--repo", default="widgets")
    ARGS = ap.parse_args()
    make_material(ARGS.dir)
    d = ARGS.dir
    ports = [serve("good", d + "/server.pem", d + "/server.key"),
             serve("wrong", d + "/wrong.pem", d + "/wrong.key"),
             serve("untrusted", d + "/untrusted.pem", d + "/untrusted.key")]
    with open(d + "/ports.tmp", "w") as f:
        for name, port in ports:
            f.write("%s %d\n" % (name, port))
    os.rename(d + "/ports.tmp", d + "/ports")
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    # Never outlive a test that forgot us.
    time.sleep(float(os.environ.get("GITHUB_EMULATOR_LIFETIME", "600")))


if __name__ == "__main__":
    main()
