#!/usr/bin/env python3
"""Writer and checker for test_tail_stress.sh: a log that is rotated and
truncated under a running `breaker tail`, with an exact account of what the
truncations made unrecoverable.

usage: tail_stress.py write PATH TAILER_PID LINES ROTATIONS COPYTRUNCATES
                            SEED PLAN
       tail_stress.py check PLAN OUTPUT STATS

PATH (and its directory) must not exist yet. `write` appends LINES numbered
lines in random-sized writes, so lines are split across writes, renames and
all. Rename rotations happen at random byte offsets (mid-line too: the
tailer joins a line split across files). Copytruncates happen at random
line ends, and the writer, like `cmd > log` or `tee`, does not use
O_APPEND: after the truncation its next write leaves a run of NUL bytes.
At each copytruncate the tailer is frozen (SIGSTOP) at an arbitrary point,
so truncations land in the middle of its reads too.

What makes "exact" well defined (see docs/tailer.md): a line can only be
lost to a copytruncate, so every run of missing lines must end exactly
where a copytruncate happened, and the bytes of all missing lines must
equal the tailer's lost_bytes. Whether a truncation is reported as one
(rather than seen as a NUL run at the head of a file not yet read) depends
on whether the tailer had read any of the file when it was frozen, which
the writer reads from /proc/PID/fdinfo. Before each rotation the writer
waits until the tailer holds the current file open (a file renamed away
before anyone opened it is invisible to any path-based tailer), and before
the next copytruncate of a file until the tailer has read past the
previous NUL run (so every NUL run is read whole and nul_bytes is exact).

`check` reads the tailer's output and its tail-stats line and exits 1 with
a message on any difference.
"""
import json
import os
import random
import shutil
import signal
import sys
import time

WAIT_LIMIT = 30.0	# seconds for any one wait on the tailer


def line_text(i, rng):
    return b"%07d %s\n" % (i, b"x" * rng.randrange(0, 25))


def proc_state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def tailer_pos(pid, dev, ino):
    """Read offset of the tailer's descriptor on (dev, ino), or None."""
    d = "/proc/%d/fd" % pid
    for name in os.listdir(d):
        try:
            st = os.stat(os.path.join(d, name))
        except OSError:
            continue
        if (st.st_dev, st.st_ino) != (dev, ino):
            continue
        with open("/proc/%d/fdinfo/%s" % (pid, name)) as f:
            for ln in f:
                if ln.startswith("pos:"):
                    return int(ln.split()[1])
    return None


def wait_for(what, pred):
    end = time.monotonic() + WAIT_LIMIT
    while not pred():
        if time.monotonic() > end:
            sys.exit("tail_stress: timed out waiting for " + what)
        time.sleep(0.0005)


class Writer:
    def __init__(self, path, pid, seed):
        self.path, self.pid = path, pid
        self.rng = random.Random(seed)
        self.fd = None
        self.stream = 0		# bytes written so far, over all files
        self.file_off = 0	# the writer's offset in the current file
        self.hole_end = None	# a NUL run this file still starts with
        self.rotations = self.copytruncates = 0
        self.truncations_seen = 0
        self.nul_bytes = 0

    def open_new(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                          0o644)
        self.file_off = 0
        self.hole_end = None

    def write(self, data):
        n = 0
        while n < len(data):
            n += os.write(self.fd, data[n:])
        if self.hole_end is not None and self.file_off == self.hole_end:
            self.nul_bytes += self.hole_end	# the run is now on disk
        self.file_off += len(data)
        self.stream += len(data)

    def ident(self):
        st = os.fstat(self.fd)
        return st.st_dev, st.st_ino

    def settled(self):
        """The tailer holds this file and is past any NUL run in it."""
        pos = tailer_pos(self.pid, *self.ident())
        if pos is None:
            return False
        if self.hole_end is None or self.file_off == self.hole_end:
            return True		# no NUL run on disk (yet)
        return pos > self.hole_end

    def rotate(self):
        wait_for("the tailer to open the file", self.settled)
        self.rotations += 1
        os.rename(self.path, "%s.r%04d" % (self.path, self.rotations))
        os.close(self.fd)
        self.open_new()

    def copytruncate(self):
        if self.hole_end is not None:
            wait_for("the tailer to pass a NUL run", self.settled)
        os.kill(self.pid, signal.SIGSTOP)
        try:
            wait_for("the tailer to stop",
                     lambda: proc_state(self.pid) == "T")
            pos = tailer_pos(self.pid, *self.ident()) or 0
            self.copytruncates += 1
            shutil.copyfile(self.path, "%s.c%02d" % (self.path,
                                                      self.copytruncates))
            os.ftruncate(self.fd, 0)
        finally:
            os.kill(self.pid, signal.SIGCONT)
        # Reported as a truncation only if it had read some of the file.
        if pos > 0:
            self.truncations_seen += 1
        if self.file_off > 0:
            self.hole_end = self.file_off


def plan(rng, total, rotations, copytruncates):
    """Event offsets: renames anywhere, copytruncates at line ends."""
    rot = sorted(rng.sample(range(1, total), rotations))
    ct = sorted(rng.sample(range(1, total), copytruncates))
    return rot, ct


def write_main(args):
    path, pid, nlines, nrot, nct, seed, out = args
    pid, nlines, nrot, nct, seed = map(int, (pid, nlines, nrot, nct, seed))
    w = Writer(path, pid, seed)
    content = random.Random(seed + 1)
    # Events are placed by line number; a rename lands inside that line.
    rot_at, ct_at = plan(w.rng, nlines, nrot, nct)
    ri = ci = 0
    after_ct = []
    w.open_new()
    pending = b""
    for i in range(1, nlines + 1):
        text = line_text(i, content)
        pending += text
        while ri < len(rot_at) and rot_at[ri] == i:
            cut = len(pending) - len(text) + w.rng.randrange(len(text))
            flush(w, pending[:cut])
            pending = pending[cut:]
            w.rotate()
            ri += 1
        if len(pending) >= 4096 or (ci < len(ct_at) and ct_at[ci] == i):
            flush(w, pending)
            pending = b""
        while ci < len(ct_at) and ct_at[ci] == i:
            w.copytruncate()
            after_ct.append(i + 1)
            ci += 1
    flush(w, pending)
    os.close(w.fd)
    with open(out, "w") as f:
        json.dump({"lines": nlines, "seed": seed, "after_ct": after_ct,
                   "rotations": w.rotations,
                   "copytruncates": w.copytruncates,
                   "truncations": w.truncations_seen,
                   "nul_bytes": w.nul_bytes}, f)


def flush(w, data):
    """Write `data` in random-sized pieces: lines split across writes."""
    n = 0
    while n < len(data):
        k = w.rng.choice((1, 2, 7, 40, 300, 1500, 4096))
        w.write(data[n:n + k])
        n += k


def check_main(args):
    plan_file, output, stats_file = args
    want = json.load(open(plan_file))
    n, after_ct = want["lines"], set(want["after_ct"])
    content = random.Random(want["seed"] + 1)
    i, out_lines, lost_bytes, gaps = 1, 0, 0, 0
    with open(output, "rb") as f:
        for got in f:
            first = i
            while i <= n:
                text = line_text(i, content)
                if text == got:
                    break
                lost_bytes += len(text)
                i += 1
            if i > n:
                fail("line %d of the output is not line %d or any later "
                     "one: %r" % (out_lines + 1, first, got[:80]))
            if i > first:
                gaps += 1
                if i not in after_ct:
                    fail("lines %d-%d are missing, and no copytruncate "
                         "happened before line %d" % (first, i - 1, i))
            out_lines += 1
            i += 1
    if i <= n:
        fail("the output stops after line %d of %d" % (i - 1, n))
    stats = [l for l in open(stats_file) if l.startswith("tail-stats ")]
    if len(stats) != 1:
        fail("expected one tail-stats line, got %d" % len(stats))
    got = dict(kv.split("=", 1) for kv in stats[0].split()[1:])
    print("writer: %d lines, %d rotations, %d copytruncates; %d lines in "
          "%d runs lost (%d bytes)" % (n, want["rotations"],
                                       want["copytruncates"], n - out_lines,
                                       gaps, lost_bytes))
    print("tailer: " + stats[0].strip())
    expect = {"lines": out_lines, "lost_bytes": lost_bytes,
              "rotations": want["rotations"],
              "truncations": want["truncations"],
              "nul_bytes": want["nul_bytes"], "read_errors": 0,
              "long_lines": 0}
    bad = ["%s: expected %d, the tailer says %s" % (k, v, got[k])
           for k, v in expect.items() if int(got[k]) != v]
    if int(got["lost_lines"]) > gaps:
        bad.append("lost_lines %s > %d runs" % (got["lost_lines"], gaps))
    if want["rotations"] < 100 or want["copytruncates"] < 10:
        bad.append("too few events: %r" % want)
    if bad:
        fail("; ".join(bad))


def fail(msg):
    print("tail_stress: " + msg)
    sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "write" and len(sys.argv) == 9:
        write_main(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "check" and \
            len(sys.argv) == 5:
        check_main(sys.argv[2:])
    else:
        sys.exit(__doc__)
