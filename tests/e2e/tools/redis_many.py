#!/usr/bin/env python3
"""N concurrent connections through a tunnel to Redis: each authenticates, SETs a random binary
value of SIZE bytes under its own key and GETs it back; every byte is compared.
With STOP, each connection goes on doing that until the file STOP exists, and STOP.running is
made once every connection has done it once (so a test can cut transfers that are under way).
Usage: redis_many.py PORT USER PASSWORD DB N SIZE [STOP]"""
import os
import socket
import sys
import threading

port, user, password, db, n, size = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
stop = sys.argv[7] if len(sys.argv) > 7 else None
rounds_done = threading.Semaphore(0)


def command(*parts):
    out = b"*%d\r\n" % len(parts)
    for p in parts:
        p = p if isinstance(p, bytes) else str(p).encode()
        out += b"$%d\r\n%s\r\n" % (len(p), p)
    return out


def read_reply(f):
    line = f.readline()
    if line[:1] == b"$":
        length = int(line[1:])
        data = f.read(length + 2)
        return data[:-2]
    return line.rstrip(b"\r\n")


errors = []


def one(i):
    released = False
    try:
        value = os.urandom(size)
        s = socket.create_connection(("127.0.0.1", int(port)), timeout=60)
        f = s.makefile("rb")
        s.sendall(command("AUTH", user, password) + command("SELECT", db))
        if [read_reply(f) for _ in range(2)] != [b"+OK", b"+OK"]:
            errors.append("connection %d: AUTH or SELECT refused" % i)
            return
        first = True
        while first or (stop and not os.path.exists(stop)):
            s.sendall(command("SET", "k%d" % i, value) + command("GET", "k%d" % i))
            replies = [read_reply(f) for _ in range(2)]
            if replies[0] != b"+OK" or replies[1] != value:
                errors.append("connection %d: unexpected replies %r" % (i, [r[:40] for r in replies]))
                return
            if first:
                rounds_done.release()
                released = True
            first = False
        s.close()
    except Exception as e:
        errors.append("connection %d: %s" % (i, e))
    finally:
        if not released:  # failed in its first round: the main thread must not wait for it
            rounds_done.release()


threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
if stop:
    for _ in range(n):
        rounds_done.acquire()
    open(stop + ".running", "w").close()
for t in threads:
    t.join()
if errors:
    print("\n".join(errors[:5]))
    print("%d of %d connections failed" % (len(errors), n))
    sys.exit(1)
print("%d connections, %d bytes each way each, all verified" % (n, size))
