"""hello: reports what the platform gave it (env, hook effects, forwarded headers).

The demo pushes it, and so do kato's end-to-end tests, which also use /crash (exits), /notfound
(a 404 for health checks) and /ws (a WebSocket handshake, then bytes echoed back).
"""
import base64
import hashlib
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def read(name):
    try:
        with open(name) as f:
            return f.read().strip()
    except OSError:
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The head and the body go out in two writes; with Nagle the body waits for the client's
    # delayed ACK of the head (40 ms per request on a kept-alive connection).
    disable_nagle_algorithm = True

    def do_GET(self):
        if self.path == "/crash":
            os._exit(3)
        if self.path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            return self.websocket()
        if self.path == "/notfound":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({
            "version": os.environ.get("APP_VERSION", "1"),
            "index": os.environ.get("CF_INSTANCE_INDEX"),
            "name": json.loads(os.environ["VCAP_APPLICATION"])["application_name"],
            "staged": read("staged.txt"),
            "ran": read("ran.txt"),
            "home": os.environ.get("HOME"),
            "stackato_app_name": os.environ.get("STACKATO_APP_NAME"),
            "x_forwarded_proto": self.headers.get("X-Forwarded-Proto"),
            "x_forwarded_for": self.headers.get("X-Forwarded-For"),
            "path": self.path,
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def websocket(self):
        # The handshake, then raw bytes echoed back: enough to see the router splice them.
        key = self.headers["Sec-WebSocket-Key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", base64.b64encode(hashlib.sha1(key.encode()).digest()).decode())
        self.end_headers()
        self.wfile.flush()
        while True:
            data = self.connection.recv(65536)
            if not data:
                break
            self.connection.sendall(data)
        self.close_connection = True

    def log_message(self, fmt, *args):
        sys.stderr.write("request: " + (fmt % args) + "\n")


print("hello starting on port", os.environ["PORT"], flush=True)
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
