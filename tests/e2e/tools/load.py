#!/usr/bin/env python3
"""Constant load through kato's router for the release tests: THREADS keep-alive HTTPS clients
request https://HOST:PORT/ until the file STOP exists (or SECONDS pass), and log one line per
response: "<unix time> <status> <version>", or "<unix time> ERR <reason>".
Usage: load.py HOST PORT CAFILE THREADS SECONDS STOP LOG"""
import http.client
import json
import os
import socket
import ssl
import sys
import threading
import time

host, port, cafile, threads, seconds, stop, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), sys.argv[6], sys.argv[7]
ctx = ssl.create_default_context(cafile=cafile)
lock = threading.Lock()
out = open(log, "w")
deadline = time.time() + seconds


def connect():
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.sock = ctx.wrap_socket(raw, server_hostname=host)  # *.localhost is loopback
    return conn


def worker():
    conn = None
    while time.time() < deadline and not os.path.exists(stop):
        try:
            if conn is None:
                conn = connect()
            conn.request("GET", "/", headers={"Host": "%s:%d" % (host, port)})
            r = conn.getresponse()
            body = r.read()
            version = "-"
            try:
                version = json.loads(body).get("version", "-")
            except ValueError:
                pass
            line = "%.3f %d %s\n" % (time.time(), r.status, version)
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except Exception as e:
            line = "%.3f ERR %s\n" % (time.time(), str(e).replace("\n", " ")[:100])
            if conn is not None:
                conn.close()
            conn = None
        with lock:
            out.write(line)


ts = [threading.Thread(target=worker) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
out.close()
