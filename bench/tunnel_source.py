#!/usr/bin/env python3
"""A byte source for the tunnel benchmark: every connection gets BYTES bytes, then EOF; a
connection whose first line is 'ping' gets one byte (connect-to-first-byte latency).
Usage: tunnel_source.py PORT_FILE BYTES"""
import os
import socket
import sys
import threading

port_file, total = sys.argv[1], int(sys.argv[2])
chunk = os.urandom(1 << 20)


def serve(c):
    try:
        sent = 0
        while sent < total:
            n = min(len(chunk), total - sent)
            c.sendall(chunk[:n] if n < len(chunk) else chunk)
            sent += n
        c.shutdown(socket.SHUT_WR)
        c.recv(1)
    except OSError:
        pass
    c.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(port_file + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
