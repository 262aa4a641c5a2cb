#!/usr/bin/env python3
"""Turn a file into a C translation unit holding its bytes as a NUL-terminated
string, so that the default policy is compiled into the binary verbatim."""
import sys

src, dst, name = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(src, 'rb').read()
with open(dst, 'w') as out:
    out.write('/* generated from %s; do not edit */\n#include <stddef.h>\n' % src.split('/')[-1])
    out.write('const char %s[] = {\n' % name)
    for i in range(0, len(data), 16):
        out.write('  ' + ''.join('0x%02x,' % b for b in data[i:i + 16]) + '\n')
    out.write('  0x00\n};\nconst size_t %s_len = %d;\n' % (name, len(data)))
