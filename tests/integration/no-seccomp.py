#!/usr/bin/env python3
"""no-seccomp.py CMD [ARG...]: run CMD where no seccomp filter can be loaded.

Installs a seccomp filter of its own (allow everything, but seccomp(2) and
prctl(PR_SET_SECCOMP) fail with EPERM), inherited across fork and exec, then
execs CMD: breaker's sandbox then cannot load, as in a container whose
runtime forbids it. The test hook for issue 16's "sandbox visible and
required", with no knob in breaker itself.
"""
import ctypes
import os
import struct
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
NR_SECCOMP, NR_PRCTL = 317, 157          # x86-64
LD, JEQ, RET = 0x20, 0x15, 0x06
ALLOW, EPERM = 0x7fff0000, 0x00050000 | 1


def insn(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)


prog = b"".join([
    insn(LD, 0, 0, 0),                  # 0: nr
    insn(JEQ, 4, 0, NR_SECCOMP),        # 1: seccomp() -> 6
    insn(JEQ, 0, 2, NR_PRCTL),          # 2: prctl() -> 3, else -> 5
    insn(LD, 0, 0, 16),                 # 3: args[0]
    insn(JEQ, 1, 0, PR_SET_SECCOMP),    # 4: PR_SET_SECCOMP -> 6
    insn(RET, 0, 0, ALLOW),             # 5
    insn(RET, 0, 0, EPERM),             # 6
])

if os.uname().machine != "x86_64":
    sys.exit(77)
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(prog)
fprog = struct.pack("HxxxxxxQ", len(prog) // 8, ctypes.addressof(buf))
fbuf = ctypes.create_string_buffer(fprog)
if libc.prctl(PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), ctypes.c_ulong(0),
              ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0 or \
   libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER),
              ctypes.c_void_p(ctypes.addressof(fbuf)), ctypes.c_ulong(0),
              ctypes.c_ulong(0)) != 0:
    print("no-seccomp: cannot install the filter: %s" %
          os.strerror(ctypes.get_errno()), file=sys.stderr)
    sys.exit(77)
os.execvp(sys.argv[1], sys.argv[1:])
