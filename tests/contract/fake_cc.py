#!/usr/bin/env python3
"""A small fake Cloud Controller (and UAA) that answers with CAPI's published example bodies.

The bodies are tests/contract/fixtures/*.json, extracted verbatim from the CAPI V3 documentation
by capi_fixtures.py. The examples are written one resource at a time, so their cross references
do not agree (a plan names an offering that is not in the offerings example). This server builds
one coherent space out of them, changing only GUIDs in relationships, never a field's shape:

  org1 / space1: my_app (STARTED, a web and a worker process, one route, bound to
  my-managed-instance) and my_app2 (STOPPED, same route); the managed instance's plan belongs to
  my_service_offering; my-user-provided-instance is bound to nothing.

It filters and paginates lists the way CAPI does (comma-separated `*_guids`/`names` filters,
`page`/`per_page`, `include=service_instance` on bindings), and answers the UAA password grant
with a JWT whose `user_id` is the example user. Every request is appended to --log as
"METHOD PATH?QUERY", so tests can count round trips. Unknown paths are a CAPI 404 error object.

Usage: fake_cc.py --port-file FILE --cert CERT --key KEY [--log FILE]
"""
import argparse
import base64
import copy
import json
import pathlib
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
EXAMPLE = "https://api.example.org"


def load(name):
    return json.loads((FIXTURES / f"{name}.json").read_text())


def link(obj, relation, guid):
    obj.setdefault("relationships", {})[relation] = {"data": {"guid": guid}}


class World:
    def __init__(self):
        self.root = load("root")
        self.v3_root = load("v3_root")
        self.info = load("info")
        orgs = load("organizations")["resources"]
        spaces = load("spaces")["resources"]
        self.org, self.space = orgs[0], spaces[0]
        link(self.space, "organization", self.org["guid"])
        self.apps = load("apps")["resources"]
        for a in self.apps:
            link(a, "space", self.space["guid"])
        started, stopped = self.apps[0], self.apps[1]
        web, worker = load("processes")["resources"]
        self.processes = []
        for app in self.apps:
            for template in (web, worker) if app is started else (web,):
                p = copy.deepcopy(template)
                p["guid"] = f"{p['type']}-{app['guid']}"[:36]
                link(p, "app", app["guid"])
                self.processes.append(p)
        # Lists hide commands ("[PRIVATE DATA HIDDEN IN LISTS]"); a single process shows its own.
        self.command = load("process")["command"]
        self.stats = load("process_stats")
        self.routes = load("routes")["resources"]
        for r in self.routes:
            link(r, "space", self.space["guid"])
            for d, app in zip(r["destinations"], (started, stopped)):
                d["app"]["guid"] = app["guid"]
        self.domains = load("domains")["resources"]
        self.offerings = load("service_offerings")["resources"]
        self.plans = load("service_plans")["resources"]
        for plan, offering in zip(self.plans, self.offerings):
            link(plan, "service_offering", offering["guid"])
        self.instances = load("service_instances")["resources"]
        managed = next(si for si in self.instances if si["type"] == "managed")
        for si in self.instances:
            link(si, "space", self.space["guid"])
        link(managed, "service_plan", self.plans[0]["guid"])
        self.bindings = load("service_credential_bindings")["resources"]
        for b in self.bindings:
            link(b, "service_instance", managed["guid"])
            if b["type"] == "app":
                link(b, "app", started["guid"])
        # CAPI filters processes by space through their app; the example has no space relationship.
        self.space_of_app = {a["guid"]: self.space["guid"] for a in self.apps}
        self.users = load("users")["resources"]
        self.roles = load("roles")["resources"]
        self.user_guid = next(u["guid"] for u in self.users if u.get("username"))


def related(item, name):
    data = item.get("relationships", {}).get(name, {}).get("data")
    return data.get("guid") if isinstance(data, dict) else None


# filter -> how an item answers it
FILTERS = {
    "guids": lambda i: i.get("guid"),
    "names": lambda i: i.get("name"),
    "space_guids": lambda i: related(i, "space") or Handler.world.space_of_app.get(related(i, "app")),
    "organization_guids": lambda i: related(i, "organization"),
    "app_guids": lambda i: related(i, "app"),
    "service_instance_guids": lambda i: related(i, "service_instance"),
    "service_offering_guids": lambda i: related(i, "service_offering"),
    "types": lambda i: i.get("type"),
    "type": lambda i: i.get("type"),
    "usernames": lambda i: i.get("username"),
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    world = None
    base = ""
    log_file = None
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def send(self, status, body):
        data = json.dumps(body).replace(EXAMPLE, self.base).replace("https://login.example.org", self.base) \
            .replace("https://uaa.example.org", self.base).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, title, detail):
        self.send(status, {"errors": [{"code": 10000, "title": title, "detail": detail}]})

    def record(self):
        if self.log_file:
            with self.lock, open(self.log_file, "a") as f:
                f.write(f"{self.command} {self.path}\n")

    def do_POST(self):
        self.record()
        length = int(self.headers.get("Content-Length", 0))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        if self.path != "/oauth/token":
            return self.error(404, "CF-NotFound", "Unknown request")
        # UAA's password and refresh grants (docs.cloudfoundry.org/api/uaa, "Password Grant").
        if form.get("grant_type") == ["password"] and form.get("password") != ["secret"]:
            return self.send(401, {"error": "unauthorized", "error_description": "Bad credentials"})
        claims = {"user_id": self.world.user_guid, "user_name": "some-name", "exp": int(time.time()) + 3600,
                  "scope": ["cloud_controller.read", "cloud_controller.write"]}
        part = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip("=")
        token = f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"
        self.send(200, {"access_token": token, "token_type": "bearer", "refresh_token": "refresh-" + token[-8:],
                        "expires_in": 3599, "scope": "cloud_controller.read cloud_controller.write", "jti": "x"})

    def do_GET(self):
        self.record()
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        parts = [p for p in url.path.split("/") if p]
        w = self.world
        if url.path == "/":
            return self.send(200, w.root)
        if url.path == "/v3":
            return self.send(200, w.v3_root)
        if url.path == "/v3/info":
            return self.send(200, w.info)
        if not self.headers.get("Authorization", "").startswith("bearer "):
            return self.error(401, "CF-NotAuthenticated", "Authentication error")
        lists = {"apps": w.apps, "processes": w.processes, "routes": w.routes, "domains": w.domains,
                 "organizations": [w.org], "spaces": [w.space], "service_instances": w.instances,
                 "service_offerings": w.offerings, "service_plans": w.plans,
                 "service_credential_bindings": w.bindings, "users": w.users, "roles": w.roles}
        if len(parts) == 2 and parts[1] in lists:
            return self.list(lists[parts[1]], url.path, query)
        if len(parts) == 3 and parts[1] in lists:
            found = [i for i in lists[parts[1]] if i["guid"] == parts[2]]
            if found:
                return self.send(200, found[0])
            return self.error(404, "CF-ResourceNotFound", parts[1][:-1].capitalize() + " not found")
        if len(parts) == 4 and parts[1] == "apps" and parts[3] in ("processes", "routes"):
            key = {"processes": "app_guids", "routes": "app_guids"}[parts[3]]
            items = w.processes if parts[3] == "processes" else [
                r for r in w.routes if any(d["app"]["guid"] == parts[2] for d in r["destinations"])]
            if parts[3] == "processes":
                query = dict(query, **{key: [parts[2]]})
            return self.list(items, url.path, query)
        if len(parts) == 5 and parts[1] == "apps" and parts[3] == "processes":
            found = [p for p in w.processes if related(p, "app") == parts[2] and p["type"] == parts[4]]
            if found:
                return self.send(200, dict(found[0], command=w.command))
            return self.error(404, "CF-ResourceNotFound", "Process not found")
        if len(parts) == 4 and parts[1] == "processes" and parts[3] == "stats":
            process = next((p for p in w.processes if p["guid"] == parts[2]), None)
            if process is None:
                return self.error(404, "CF-ResourceNotFound", "Process not found")
            stats = copy.deepcopy(w.stats)
            for s in stats["resources"]:
                s["type"] = process["type"]
            return self.send(200, stats)
        return self.error(404, "CF-NotFound", "Unknown request")

    def list(self, items, path, query):
        for name, values in query.items():
            if name in FILTERS:
                wanted = set(values[0].split(","))
                items = [i for i in items if FILTERS[name](i) in wanted]
            elif name not in ("page", "per_page", "order_by", "include", "fields[service_plan.service_offering]",
                              "fields[service_plan]", "fields[service_offering.service_broker]"):
                return self.error(400, "CF-BadQueryParameter", f"Unknown query parameter(s): '{name}'")
        per_page = int(query.get("per_page", ["50"])[0])
        page = int(query.get("page", ["1"])[0])
        if not 1 <= per_page <= 5000:
            return self.error(400, "CF-BadQueryParameter", "Per page must be between 1 and 5000")
        pages = max(1, -(-len(items) // per_page))
        shown = items[(page - 1) * per_page:page * per_page]
        keep = {k: v[0] for k, v in query.items() if k not in ("page",)}

        def href(n):
            return {"href": f"{self.base}{path}?{urllib.parse.urlencode(dict(keep, page=n))}"}
        body = {"pagination": {"total_results": len(items), "total_pages": pages, "first": href(1), "last": href(pages),
                               "next": href(page + 1) if page < pages else None,
                               "previous": href(page - 1) if page > 1 else None},
                "resources": shown}
        if "service_instance" in query.get("include", [""])[0].split(","):
            guids = {related(b, "service_instance") for b in shown}
            body["included"] = {"service_instances": [si for si in self.world.instances if si["guid"] in guids]}
        self.send(200, body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--log")
    args = ap.parse_args()
    Handler.world = World()
    Handler.log_file = args.log
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    Handler.base = f"https://127.0.0.1:{server.server_address[1]}"
    pathlib.Path(args.port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
