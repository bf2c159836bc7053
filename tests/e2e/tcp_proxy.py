#!/usr/bin/env python3
"""A loopback TCP proxy for fault tests: tcp_proxy.py LISTEN_PORT_FILE TARGET_PORT MODE [ARG].

Modes:
  drop-once BYTES  the first connection that sends more than BYTES towards the target is cut
                   (both sides closed), as a network drop mid-upload would; later ones pass.
                   LISTEN_PORT_FILE.dropped is created when that happens.
  slow RATE        client-to-target bytes are limited to RATE bytes per second.
  delay MS         every chunk waits MS/2 milliseconds each way, so a request and its answer
                   take MS longer, as a server that far away would (benchmarks).
The chosen port is written to LISTEN_PORT_FILE. Bytes are passed as they are (TLS stays end to end).
"""
import socket
import sys
import threading
import time

port_file, target, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
arg = int(sys.argv[4]) if len(sys.argv) > 4 else 0
dropped = threading.Event()


def pipe(src, dst, upstream):
    sent = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                dst.shutdown(socket.SHUT_WR)
                return
            if upstream and mode == "slow":
                time.sleep(len(data) / arg)
            if mode == "delay":
                time.sleep(arg / 2000)
            sent += len(data)
            if upstream and mode == "drop-once" and sent > arg and not dropped.is_set():
                dropped.set()
                open(port_file + ".dropped", "w").close()
                src.close()
                dst.close()
                return
            dst.sendall(data)
    except OSError:
        for s in (src, dst):
            try:
                s.close()
            except OSError:
                pass


def serve(client):
    upstream = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=pipe, args=(client, upstream, True), daemon=True).start()
    threading.Thread(target=pipe, args=(upstream, client, False), daemon=True).start()


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
with open(port_file + ".tmp", "w") as f:
    f.write(str(listener.getsockname()[1]))
import os
os.rename(port_file + ".tmp", port_file)
while True:
    conn, _ = listener.accept()
    serve(conn)
