#!/usr/bin/env bash
# The router's HTTP handling against a real kato and an app that answers in every framing HTTP
# allows (tests/e2e/apps/echo): bodies both ways, HEAD, chunked and close-delimited answers,
# interim 100 Continue, repeated fields, HTTP/1.0 clients, Connection: close, X-Forwarded-*.
set -u
kato=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "router"
data=$work/data
at_exit '"$kato" --data "$data" stop >/dev/null 2>&1'

source "$here/lib.sh"
kato_up
(cd "$here/apps/echo" && zip -q "$work/echo.zip" app.py manifest.yml)
push echo "$work/echo.zip"

python3 - "$port" "$ca" <<'PY'
import hashlib, json, os, socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
failed = 0

def check(cond, what):
    global failed
    if not cond:
        failed += 1
        print("FAIL:", what)

class Conn:
    """One client connection to kato's port, plain or TLS, that reads answers as HTTP frames them."""
    def __init__(self, tls=False):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls:
            s = ssl.create_default_context(cafile=ca).wrap_socket(s, server_hostname="echo.localhost")
        self.s, self.buf = s, b""

    def send(self, data):
        self.s.sendall(data)

    def _fill(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def read(self, head_request=False):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = [tuple(x.strip() for x in l.split(":", 1)) for l in lines[1:]]
        get = lambda n: [v for k, v in fields if k.lower() == n]
        if head_request:
            return status, fields, b""
        if get("transfer-encoding"):
            raise AssertionError("the router passes on chunked framing: %r" % head)
        length = int(get("content-length")[0])
        while len(self.buf) < length:
            self._fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, fields, body

    def closed(self):
        try:
            self.s.settimeout(5)
            return self.s.recv(1) == b""
        except OSError:
            return True

def request(method, path, extra=b"", body=b"", version=b"HTTP/1.1"):
    return (method + b" " + path + b" " + version + b"\r\nHost: echo.localhost:%d\r\n" % port + extra +
            (b"Content-Length: %d\r\n" % len(body) if body else b"") + b"\r\n" + body)

def field(fields, name):
    return [v for k, v in fields if k.lower() == name.lower()]

def seen(body, name):
    return [v for k, v in json.loads(body)["headers"] if k.lower() == name.lower()]

# A 1 MiB body arrives whole, and the answer on the same kept-alive connection.
c = Conn()
payload = os.urandom(1 << 20)
c.send(request(b"POST", b"/upload", b"X-Forwarded-For: 10.1.2.3\r\n", payload))
status, fields, body = c.read()
got = json.loads(body)
check(status == 200 and got["length"] == len(payload) and got["sha256"] == hashlib.sha256(payload).hexdigest(),
      "POST body arrives whole: %s" % body[:200])
check(seen(body, "X-Forwarded-For") == ["10.1.2.3, 127.0.0.1"], "X-Forwarded-For appends the peer: %s" % seen(body, "X-Forwarded-For"))
check(seen(body, "X-Forwarded-Proto") == ["http"], "X-Forwarded-Proto http")
check(seen(body, "X-Forwarded-Host") == ["echo.localhost:%d" % port], "X-Forwarded-Host: %s" % seen(body, "X-Forwarded-Host"))
check(len(seen(body, "X-Request-Start")) == 1 and seen(body, "X-Request-Start")[0].isdigit(), "X-Request-Start")
check(seen(body, "Connection") == [], "no Connection field towards the app: %s" % seen(body, "Connection"))

# A chunked request body reaches the app whole, framed by Content-Length; a client cannot
# pose as having come over https.
c.send(b"POST /chunked-up HTTP/1.1\r\nHost: echo.localhost\r\nTransfer-Encoding: chunked\r\nX-Forwarded-Proto: https\r\n\r\n"
       b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
status, fields, body = c.read()
got = json.loads(body)
check(status == 200 and got["length"] == 11 and got["sha256"] == hashlib.sha256(b"hello world").hexdigest() and
      seen(body, "Content-Length") == ["11"] and seen(body, "Transfer-Encoding") == [], "chunked request body: %s" % body[:300])
check(seen(body, "X-Forwarded-Proto") == ["http"], "X-Forwarded-Proto from the client replaced: %s" % seen(body, "X-Forwarded-Proto"))

# HEAD: the GET answer's head, no body, and the connection still carries the next request.
c.send(request(b"HEAD", b"/"))
status, fields, _ = c.read(head_request=True)
check(status == 200 and int(field(fields, "Content-Length")[0]) > 0, "HEAD keeps the app's Content-Length: %s" % fields)
c.send(request(b"GET", b"/after-head"))
status, fields, body = c.read()
check(status == 200 and json.loads(body)["path"] == "/after-head", "a request after HEAD on the same connection")

# A chunked answer and one that ends when the app closes reach the client whole, and the
# client's connection stays usable.
for path in (b"/chunked", b"/eof"):
    c.send(request(b"GET", path))
    status, fields, body = c.read()
    check(status == 200 and json.loads(body)["path"] == path.decode(), "%s answer arrives whole" % path)
c.send(request(b"GET", b"/still-here"))
status, _, body = c.read()
check(status == 200 and json.loads(body)["path"] == "/still-here", "client connection kept after /eof")

# An interim 100 Continue is not taken for the answer.
c.send(request(b"POST", b"/continue", b"Expect: 100-continue\r\n", b"x" * 10))
status, fields, body = c.read()
check(status == 200 and json.loads(body)["length"] == 10, "100 Continue from the app is skipped: %s %s" % (status, body[:100]))
c.send(request(b"GET", b"/after-continue"))
status, _, body = c.read()
check(status == 200 and json.loads(body)["path"] == "/after-continue", "in step after 100 Continue")

# Repeated fields stay repeated.
c.send(request(b"GET", b"/cookies"))
status, fields, body = c.read()
check(field(fields, "Set-Cookie") == ["a=1", "b=2"], "both Set-Cookie fields: %s" % fields)

# Connection: close from the client: answered with Connection: close, then closed.
c.send(request(b"GET", b"/last", b"Connection: close\r\n"))
status, fields, body = c.read()
check(status == 200 and field(fields, "Connection") == ["close"] and c.closed(), "Connection: close honoured")

# HTTP/1.0 with keep-alive gets keep-alive; without, the connection closes.
c = Conn()
c.send(request(b"GET", b"/old", b"Connection: keep-alive\r\n", version=b"HTTP/1.0"))
status, fields, body = c.read()
check(status == 200 and field(fields, "Connection") == ["keep-alive"], "HTTP/1.0 keep-alive: %s" % fields)
c.send(request(b"GET", b"/old2", version=b"HTTP/1.0"))
status, fields, body = c.read()
check(status == 200 and c.closed(), "HTTP/1.0 without keep-alive closes")

# Over TLS the app is told https.
c = Conn(tls=True)
c.send(request(b"GET", b"/tls"))
status, _, body = c.read()
check(status == 200 and seen(body, "X-Forwarded-Proto") == ["https"], "X-Forwarded-Proto https")

# The app's connections are reused: many requests, few connections.
c = Conn()
counts = []
for i in range(20):
    c.send(request(b"GET", b"/n"))
    counts.append(json.loads(c.read()[2])["requests_on_connection"])
check(max(counts) >= 10, "kept-alive connections to the app: %s" % counts)
sys.exit(1 if failed else 0)
PY
[ $? -eq 0 ] && ok || bad "router protocol checks"

e2e_finish
