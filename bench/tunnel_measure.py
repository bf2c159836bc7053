#!/usr/bin/env python3
"""Measures one TCP path to a byte source (tunnel_source.py).
  tunnel_measure.py tp PORT BYTES ROUNDS   median MB/s of reading BYTES per connection
  tunnel_measure.py lat PORT ROUNDS        median ms from connect() to the first byte"""
import socket
import statistics
import sys
import time

mode, port = sys.argv[1], int(sys.argv[2])
buf = bytearray(1 << 20)


def read_all(s):
    got = 0
    while True:
        n = s.recv_into(buf)
        if n == 0:
            return got
        got += n


if mode == "tp":
    total, rounds = int(sys.argv[3]), int(sys.argv[4])
    rates = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        s = socket.create_connection(("127.0.0.1", port))
        got = read_all(s)
        secs = time.perf_counter() - t0
        s.close()
        if got != total:
            sys.exit("got %d of %d bytes" % (got, total))
        rates.append(got / secs / 1e6)
    print("%.0f" % statistics.median(rates))
else:
    rounds = int(sys.argv[3])
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        s = socket.create_connection(("127.0.0.1", port))
        if s.recv(1) == b"":
            sys.exit("no byte")
        times.append((time.perf_counter() - t0) * 1000)
        read_all(s)
        s.close()
    print("%.2f" % statistics.median(times))
