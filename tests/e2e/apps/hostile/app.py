"""hostile: an app that tries what an attacker's app would, and reports what worked.

GET /probe answers {"uid", "capeff", "nonewprivs", "seccomp", "succeeded": [...], "refused": {...}}.
Every attempt that succeeds is a hole in kato's sandbox (tests/e2e/sandbox.sh asserts none).
The paths to aim at come from the environment: KATO_DATA (kato's data dir), KATO_PID,
VICTIM_DIR (another app's instance directory). With --probe it prints the report and exits
(what the staging hook runs).
"""
import ctypes
import json
import os
import signal
import socket
import sys
import tempfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

libc = ctypes.CDLL(None, use_errno=True)


def status_field(name):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    return None


def probe():
    data = os.environ.get("KATO_DATA", "/nonexistent")
    kato_pid = int(os.environ.get("KATO_PID", "1"))
    victim = os.environ.get("VICTIM_DIR", "/nonexistent")
    ok, refused = [], {}

    def attempt(name, fn):
        try:
            fn()
            ok.append(name)
        except Exception as e:  # refused: the reason, for the test's log
            refused[name] = "%s: %s" % (type(e).__name__, e)

    def read(path):
        with open(path, "rb") as f:
            f.read(1)

    def listdir(path):
        # The way down to the app's own directory may show; anything beside it is a leak.
        own = os.path.relpath(os.getcwd(), path).split("/")[0]
        others = [n for n in os.listdir(path) if n != own]
        if not others:
            raise OSError("nothing but the way to its own directory")

    for rel in ("admin-password", "kato.db", "tls/ca-key.pem", "kato.log", "kato.json"):
        attempt("read " + rel, lambda p=os.path.join(data, rel): read(p))
    attempt("list the data dir", lambda: listdir(data))
    attempt("list the instances", lambda: listdir(os.path.join(data, "instances")))
    attempt("list the service servers' data", lambda: listdir(os.path.join(data, "services")))
    attempt("read another instance's files", lambda: read(os.path.join(victim, "app.py")))
    attempt("read /etc/shadow", lambda: read("/etc/shadow"))
    attempt("read kato's environment", lambda: read("/proc/%d/environ" % kato_pid))

    def see_kato():
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if os.path.basename(argv[0]) == b"kato" and b"start" in argv:
                return
        raise OSError("kato's process is not visible")
    attempt("see kato's process", see_kato)

    def host_pid1_environ():
        cmd = open("/proc/1/cmdline", "rb").read()
        if b"bwrap" in cmd:
            raise OSError("pid 1 is the sandbox's own init")
        read("/proc/1/environ")
    attempt("read the host's /proc/1/environ", host_pid1_environ)

    def stop(pid):
        os.kill(pid, signal.SIGSTOP)
        try:
            state = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0]
        finally:
            os.kill(pid, signal.SIGCONT)
        if state != "T":
            raise OSError("the signal did not stop it (state %s)" % state)
    attempt("stop kato (SIGSTOP)", lambda: stop(kato_pid))
    def topmost():  # the first process of the app's world: kato itself, without a sandbox
        pid = os.getpid()
        while True:
            ppid = int(open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[1])
            if ppid == 0:
                return pid
            pid = ppid
    attempt("stop the topmost parent (SIGSTOP)", lambda: stop(topmost()))

    attempt("open a raw socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close())
    attempt("open a packet socket", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0).close())

    def mount():
        target = tempfile.mkdtemp().encode()
        if libc.mount(b"none", target, b"tmpfs", 0, None) != 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        libc.umount(target)
    attempt("mount", mount)

    def unshare_user():
        if libc.unshare(0x10000000) != 0:  # CLONE_NEWUSER
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    attempt("a new user namespace", unshare_user)

    def ptrace():
        child = os.fork()
        if child == 0:
            signal.pause()
            os._exit(0)
        try:
            if libc.ptrace(16, child, 0, 0) != 0:  # PTRACE_ATTACH
                raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        finally:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
    attempt("ptrace", ptrace)

    def write_host():
        with open("/usr/local/hostile-was-here", "w") as f:
            f.write("x")
    attempt("write to the host's /usr", write_host)

    def setuid_root():
        os.setuid(0)
    attempt("become root", setuid_root)

    return {"uid": os.getuid(), "euid": os.geteuid(), "capeff": status_field("CapEff"),
            "nonewprivs": status_field("NoNewPrivs"), "seccomp": status_field("Seccomp"),
            "cwd": os.getcwd(), "succeeded": ok, "refused": refused}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/probe":
            body = json.dumps(probe())
        elif self.path == "/staging":
            try:
                body = open("staging-probe.json").read()
            except OSError as e:
                body = json.dumps({"error": str(e)})
        else:
            body = json.dumps({"name": "hostile"})
        out = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    if "--probe" in sys.argv:
        print(json.dumps(probe()))
        sys.exit(0)
    ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
