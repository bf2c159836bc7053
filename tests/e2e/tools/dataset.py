#!/usr/bin/env python3
"""A test dataset with binary and non-UTF-8 bytes, as input for dbshell.
Usage: dataset.py mysql|postgresql|redis MEGABYTES > load.sql"""
import os
import random
import sys

kind, mb = sys.argv[1], int(sys.argv[2])
rows = max(1, mb * 1024 * 1024 // 65536)
random.seed(42)
out = sys.stdout.buffer
if kind == "mysql":
    out.write(b"CREATE TABLE big (id INT PRIMARY KEY, label VARCHAR(64), data LONGBLOB);\n")
    for i in range(rows):
        blob = random.randbytes(65536)
        out.write(b"INSERT INTO big VALUES (%d, 'r\xc3\xa9sum\xc3\xa9 %d', 0x%s);\n" % (i, i, blob.hex().encode()))
elif kind == "postgresql":
    out.write(b"CREATE TABLE big (id INT PRIMARY KEY, label TEXT, data BYTEA);\n")
    for i in range(rows):
        blob = random.randbytes(65536)
        out.write(b"INSERT INTO big VALUES (%d, 'r\xc3\xa9sum\xc3\xa9 %d', '\\x%s');\n" % (i, i, blob.hex().encode()))
else:  # redis protocol, replayed by dbshell's redis-cli --pipe
    def cmd(*parts):
        o = b"*%d\r\n" % len(parts)
        for p in parts:
            p = p if isinstance(p, bytes) else str(p).encode()
            o += b"$%d\r\n%s\r\n" % (len(p), p)
        return o
    for i in range(rows):
        out.write(cmd("SET", b"key:%d:\xff\xfe" % i, random.randbytes(65536)))
