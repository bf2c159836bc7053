// dbshell and dbexport, the helper programs every instance finds on its PATH during `stackato
// run`, as on Stackato. Python 3 (always there for apps here) reads the bound services from
// VCAP_SERVICES; passwords go to the clients through their environment, never argv.

#include <fstream>

#include "exec/exec.hpp"

namespace kato::exec {

namespace {

const char* kCommon = R"PY(#!/usr/bin/env python3
import json, os, sys

def pick(name, prog):
    vcap = json.loads(os.environ.get("VCAP_SERVICES", "{}"))
    dbs = [(label, s) for label, lst in vcap.items() for s in lst if label in ("mysql", "postgresql", "redis")]
    if name:
        for label, s in dbs:
            if s["name"] == name:
                return label, s["credentials"]
        app = os.environ.get("STACKATO_APP_NAME", "this application")
        sys.exit("%s: Service [%s] is not bound to application [%s]" % (prog, name, app))
    if len(dbs) == 1:
        return dbs[0][0], dbs[0][1]["credentials"]
    if not dbs:
        sys.exit("%s: no database service is bound to this application" % prog)
    sys.exit("%s: More than one service found; you must specify the service name (one of: %s)"
             % (prog, ", ".join(s["name"] for _, s in dbs)))

def run(argv, env_name, password):
    env = dict(os.environ)
    env[env_name] = str(password)
    os.execvpe(argv[0], argv, env)
)PY";

const char* kDbshell = R"PY(
name = sys.argv[1] if len(sys.argv) > 1 else None
label, c = pick(name, "dbshell")
host, port, user, db = c.get("hostname", c.get("host")), str(c["port"]), c.get("user", c.get("username")), str(c["name"])
if label == "mysql":
    run(["mysql", "--protocol=TCP", "-h", host, "-P", port, "-u", user, db], "MYSQL_PWD", c["password"])
elif label == "postgresql":
    run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", port, "-U", user, db], "PGPASSWORD", c["password"])
else:
    # A dump from dbexport is a stream of Redis commands: --pipe replays it.
    argv = ["redis-cli", "-h", host, "-p", port, "--user", user, "-n", db]
    if not sys.stdin.isatty():
        argv.append("--pipe")
    run(argv, "REDISCLI_AUTH", c["password"])
)PY";

const char* kDbexport = R"PY(
if len(sys.argv) < 2:
    sys.exit("usage: dbexport SERVICE")
label, c = pick(sys.argv[1], "dbexport")
host, port, user, db = c.get("hostname", c.get("host")), str(c["port"]), c.get("user", c.get("username")), str(c["name"])
if label == "mysql":
    run(["mysqldump", "--protocol=TCP", "--single-transaction", "--hex-blob", "-h", host, "-P", port, "-u", user, db],
        "MYSQL_PWD", c["password"])
elif label == "postgresql":
    run(["pg_dump", "--no-owner", "--no-privileges", "-h", host, "-p", port, "-U", user, db], "PGPASSWORD", c["password"])
else:
    # Every key as DUMP/RESTORE in the Redis protocol: binary-safe, replayed by dbshell (--pipe).
    import socket
    s = socket.create_connection((host, int(port)))
    f = s.makefile("rb")
    def cmd(*parts):
        out = b"*%d\r\n" % len(parts)
        for p in parts:
            p = p if isinstance(p, bytes) else str(p).encode()
            out += b"$%d\r\n%s\r\n" % (len(p), p)
        return out
    def reply():
        line = f.readline()
        if line[:1] == b"$":
            n = int(line[1:])
            return None if n < 0 else f.read(n + 2)[:-2]
        if line[:1] == b"*":
            return [reply() for _ in range(int(line[1:]))]
        if line[:1] == b"-":
            sys.exit("dbexport: redis: " + line[1:].decode().strip())
        return line[1:].strip()
    s.sendall(cmd("AUTH", user, c["password"]) + cmd("SELECT", db))
    reply(); reply()
    out = sys.stdout.buffer
    cursor = b"0"
    while True:
        s.sendall(cmd("SCAN", cursor, "COUNT", 1000))
        cursor, keys = reply()
        for k in keys:
            s.sendall(cmd("DUMP", k) + cmd("PTTL", k))
            blob, ttl = reply(), int(reply())
            if blob is not None:
                out.write(cmd("RESTORE", k, max(ttl, 0), blob, "REPLACE"))
        if cursor == b"0":
            break
    out.flush()
)PY";

void write_exec(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
  std::filesystem::permissions(p, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                      std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                      std::filesystem::perms::others_exec);
}

}  // namespace

void install_helpers(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  // Bound read-only into every remote command's sandbox, whose user is not kato's.
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                        std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                        std::filesystem::perms::others_exec);
  write_exec(dir / "dbshell", std::string(kCommon) + kDbshell);
  write_exec(dir / "dbexport", std::string(kCommon) + kDbexport);
}

}  // namespace kato::exec
