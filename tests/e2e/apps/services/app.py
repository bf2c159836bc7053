"""Test app for the services end-to-end test: writes and reads a value in any bound service
through its credentials, with the real client programs (passwords in their environment).

GET /env                  the service variables, as the app sees them
GET /write/NAME/VALUE     stores VALUE in service NAME
GET /read/NAME            reads it back
GET /fill/NAME/MB         writes MB megabytes into a filesystem service (reports the error)
GET /rows/NAME/N          writes N rows (keys, files) into table big (keys big:*, files big/*)
GET /digest/NAME          their count and an MD5 over all of them, to compare two copies
"""
import hashlib
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


def rows(name, n):
    label, c = service(name)
    values = [(i, "row %d: %s" % (i, hashlib.md5(str(i).encode()).hexdigest())) for i in range(n)]
    if label in ("mysql", "postgresql"):
        sql = "CREATE TABLE IF NOT EXISTS big (id INT PRIMARY KEY, v TEXT); DELETE FROM big;"
        sql += "".join("INSERT INTO big VALUES (%d, '%s');" % (i, v) for i, v in values)
        if label == "mysql":
            run(["mysql", "-h", c["hostname"], "-P", str(c["port"]), "-u", c["user"], c["name"]], {"MYSQL_PWD": c["password"]}, sql)
        else:
            run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", c["hostname"], "-p", str(c["port"]), "-U", c["user"], c["name"]],
                {"PGPASSWORD": c["password"]}, sql)
    elif label == "redis":
        # Keys with a space and a quote in them too: a copy must keep any key.
        cmds = "".join('SET "big:%d \\"x\\"" "%s"\n' % (i, v) for i, v in values)
        run(["redis-cli", "-h", c["hostname"], "-p", str(c["port"]), "--user", c["user"], "-n", c["name"]],
            {"REDISCLI_AUTH": c["password"]}, cmds)
    elif label == "filesystem":
        os.makedirs(os.path.join(c["dir"], "big"), exist_ok=True)
        for i, v in values:
            with open(os.path.join(c["dir"], "big", str(i)), "w") as f:
                f.write(v)
    return "wrote %d" % n


def digest(name):
    label, c = service(name)
    if label == "mysql":
        out = run(["mysql", "-N", "-h", c["hostname"], "-P", str(c["port"]), "-u", c["user"], c["name"]], {"MYSQL_PWD": c["password"]},
                  "SET SESSION group_concat_max_len = 1000000000; SELECT COUNT(*), MD5(GROUP_CONCAT(CONCAT(id, ':', v) ORDER BY id SEPARATOR ',')) FROM big;")
        n, md5 = out.split()
        return int(n), md5
    if label == "postgresql":
        out = run(["psql", "-X", "-A", "-t", "-F", " ", "-h", c["hostname"], "-p", str(c["port"]), "-U", c["user"], c["name"], "-c",
                   "SELECT count(*), md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM big"], {"PGPASSWORD": c["password"]})
        n, md5 = out.split()
        return int(n), md5
    if label == "redis":
        env = {"REDISCLI_AUTH": c["password"]}
        base = ["redis-cli", "-h", c["hostname"], "-p", str(c["port"]), "--user", c["user"], "-n", c["name"]]
        keys = sorted(run(base + ["--scan", "--pattern", "big:*"], env).splitlines())
        cmds = "".join('GET "%s"\n' % k.replace("\\", "\\\\").replace('"', '\\"') for k in keys)
        values = run(base, env, cmds).splitlines() if keys else []
        text = ",".join("%s:%s" % kv for kv in zip(keys, values))
        return len(keys), hashlib.md5(text.encode()).hexdigest()
    if label == "filesystem":
        d = os.path.join(c["dir"], "big")
        names = sorted(os.listdir(d), key=int) if os.path.isdir(d) else []
        text = ",".join("%s:%s" % (n, open(os.path.join(d, n)).read()) for n in names)
        return len(names), hashlib.md5(text.encode()).hexdigest()
    raise ValueError(label)


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
            elif parts[0] == "rows":
                body = {"result": rows(parts[1], int(parts[2]))}
            elif parts[0] == "digest":
                n, md5 = digest(parts[1])
                body = {"count": n, "md5": md5}
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
