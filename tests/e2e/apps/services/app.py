"""Test app for the services end-to-end test: writes and reads a value in any bound service
through its credentials, with the real client programs (passwords in their environment).

GET /env                  the service variables, as the app sees them
GET /write/NAME/VALUE     stores VALUE in service NAME
GET /read/NAME            reads it back
GET /fill/NAME/MB         writes MB megabytes into a filesystem service (reports the error)
"""
import json
import os
import subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def service(name):
    creds = json.loads(os.environ["STACKATO_SERVICES"])[name]
    for label, entries in json.loads(os.environ["VCAP_SERVICES"]).items():
        if any(e["name"] == name for e in entries):
            return label, creds
    raise KeyError(name)


def run(argv, env, stdin=""):
    env = dict(env, PATH=os.environ.get("PATH", "/usr/bin:/bin"))
    out = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip() or out.stdout.strip())
    return out.stdout.strip()


def write(name, value):
    label, c = service(name)
    if label == "mysql":
        run(["mysql", "-h", c["hostname"], "-P", str(c["port"]), "-u", c["user"], c["name"]], {"MYSQL_PWD": c["password"]},
            "CREATE TABLE IF NOT EXISTS kv (v TEXT); DELETE FROM kv; INSERT INTO kv VALUES ('%s');" % value)
    elif label == "postgresql":
        run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", c["hostname"], "-p", str(c["port"]), "-U", c["user"], c["name"]],
            {"PGPASSWORD": c["password"]},
            "CREATE TABLE IF NOT EXISTS kv (v TEXT); DELETE FROM kv; INSERT INTO kv VALUES ('%s');" % value)
    elif label == "redis":
        run(["redis-cli", "-h", c["hostname"], "-p", str(c["port"]), "--user", c["user"], "-n", c["name"], "SET", "kv", value],
            {"REDISCLI_AUTH": c["password"]})
    elif label == "filesystem":
        with open(os.path.join(c["dir"], "kv"), "w") as f:
            f.write(value)
    else:
        raise ValueError(label)


def read(name):
    label, c = service(name)
    if label == "mysql":
        return run(["mysql", "-N", "-h", c["hostname"], "-P", str(c["port"]), "-u", c["user"], c["name"]],
                   {"MYSQL_PWD": c["password"]}, "SELECT v FROM kv;")
    if label == "postgresql":
        return run(["psql", "-X", "-A", "-t", "-h", c["hostname"], "-p", str(c["port"]), "-U", c["user"], c["name"],
                    "-c", "SELECT v FROM kv"], {"PGPASSWORD": c["password"]})
    if label == "redis":
        return run(["redis-cli", "-h", c["hostname"], "-p", str(c["port"]), "--user", c["user"], "-n", c["name"], "GET", "kv"],
                   {"REDISCLI_AUTH": c["password"]})
    if label == "filesystem":
        with open(os.path.join(c["dir"], "kv")) as f:
            return f.read()
    raise ValueError(label)


def fill(name, mb):
    _, c = service(name)
    chunk = b"x" * (1 << 20)
    with open(os.path.join(c["dir"], "fill"), "wb") as f:
        for _ in range(mb):
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())
    return "wrote %d MB" % mb


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        parts = self.path.strip("/").split("/")
        try:
            if parts[0] == "env":
                body = {k: os.environ.get(k) for k in
                        ("VCAP_SERVICES", "STACKATO_SERVICES", "DATABASE_URL", "MYSQL_URL", "POSTGRESQL_URL", "REDIS_URL")}
            elif parts[0] == "write":
                write(parts[1], parts[2])
                body = {"ok": True}
            elif parts[0] == "read":
                body = {"value": read(parts[1])}
            elif parts[0] == "fill":
                body = {"result": fill(parts[1], int(parts[2]))}
            else:
                body = {"app": "services"}
            status = 200
        except Exception as e:
            body, status = {"error": "%s: %s" % (type(e).__name__, e)}, 500
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
