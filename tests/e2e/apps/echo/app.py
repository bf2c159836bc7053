"""echo: answers with what it received, framed in the ways HTTP allows, for the router tests.

GET/POST /...     200, JSON: method, path, version, headers (lists of [name, value]), body length
                  and SHA-256, and how many requests this connection has carried
/chunked          the same JSON, Transfer-Encoding: chunked, in small chunks
/eof              the same JSON, no Content-Length: the body ends when the app closes
/continue         a 100 Continue first, then the JSON
/cookies          two Set-Cookie fields
HEAD /...         the head of the GET answer (its Content-Length, no body)
"""
import hashlib
import json
import os
import socket
import threading


def read_request(f):
    line = f.readline()
    if not line:
        return None
    method, path, version = line.decode("latin-1").split()
    headers = []
    while True:
        h = f.readline().decode("latin-1")
        if h in ("\r\n", "\n", ""):
            break
        name, _, value = h.partition(":")
        headers.append([name, value.strip()])
    length = int(next((v for n, v in headers if n.lower() == "content-length"), "0"))
    body = f.read(length) if length else b""
    return method, path, version, headers, body


def serve(conn):
    f = conn.makefile("rb")
    count = 0
    with conn:
        while True:
            req = read_request(f)
            if req is None:
                return
            count += 1
            method, path, version, headers, body = req
            answer = json.dumps({
                "method": method, "path": path, "version": version, "headers": headers,
                "length": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                "requests_on_connection": count,
            }).encode()
            if path == "/chunked":
                out = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                for i in range(0, len(answer), 7):
                    piece = answer[i:i + 7]
                    out += b"%x\r\n%s\r\n" % (len(piece), piece)
                conn.sendall(out + b"0\r\n\r\n")
                continue
            if path == "/eof":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + answer)
                return
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % len(answer)
            if path == "/continue":
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            if path == "/cookies":
                head += b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
            conn.sendall(head + b"\r\n" + (b"" if method == "HEAD" else answer))


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(os.environ["PORT"])))
    s.listen(64)
    print("echo listening on", os.environ["PORT"], flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()
