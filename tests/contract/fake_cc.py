#!/usr/bin/env python3
"""A small fake Cloud Controller (and UAA) that answers with CAPI's published example bodies.

The bodies are tests/contract/fixtures/*.json, extracted verbatim from the CAPI V3 documentation
by capi_fixtures.py. The examples are written one resource at a time, so their cross references
do not agree (a plan names an offering that is not in the offerings example). This server builds
one coherent space out of them, changing only GUIDs in relationships, never a field's shape:

  org1 / space1: my_app (STARTED, a web and a worker process, one route, bound to
  my-managed-instance) and my_app2 (STOPPED, same route); the managed instance's plan belongs to
  my_service_offering; my-user-provided-instance is bound to nothing.

Pushes work as on CAPI: an app created with its web process, resource matches, a bits package
uploaded as multipart form (its `bits` or `resources` part required) and READY, a build that is
STAGING when created and STAGED with a droplet when read, the current droplet, restart, and
rolling deployments that are FINALIZED and DEPLOYED when read (the app's droplet then the
deployment's); a second app renamed in a swap. The bodies are those examples too.

It filters and paginates lists the way CAPI does (comma-separated `*_guids`/`names`/`states`
filters, `page`/`per_page`, `order_by` of an app's packages, `include=service_instance` on
bindings), and answers the UAA password grant
with a JWT whose `user_id` is the example user. Writes (routes, destinations, bindings) check
their bodies as CAPI does (unknown fields and wrong relationships are a 422 naming them) and
change the world, so that a later listing shows them. Every request is appended to --log as
"METHOD PATH?QUERY", so tests can count round trips. Unknown paths are a CAPI 404 error object.

Usage: fake_cc.py --port-file FILE --cert CERT --key KEY [--log FILE] [--no-include]
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
import uuid
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
        self.instance_templates = {si["type"]: copy.deepcopy(si) for si in self.instances}
        self.bindings = load("service_credential_bindings")["resources"]
        self.bindings_template = copy.deepcopy(self.bindings[0])
        for b in self.bindings:
            link(b, "service_instance", managed["guid"])
            if b["type"] == "app":
                link(b, "app", started["guid"])
        # CAPI filters processes by space through their app; the example has no space relationship.
        self.space_of_app = {a["guid"]: self.space["guid"] for a in self.apps}
        self.env = {}  # app guid -> its environment variables
        self.users = load("users")["resources"]
        self.roles = load("roles")["resources"]
        self.user_guid = next(u["guid"] for u in self.users if u.get("username"))
        self.app_template = load("app")
        self.process_template = web
        self.packages, self.builds, self.droplets, self.deployments = [], [], [], []
        self.current_droplet = {}  # app guid -> droplet guid
        self.pushed = set()  # processes of apps pushed here: their stats are their own instances


def related(item, name):
    data = item.get("relationships", {}).get(name, {}).get("data")
    return data.get("guid") if isinstance(data, dict) else None


# filter -> how an item answers it
FILTERS = {
    "guids": lambda i: i.get("guid"),
    "status_values": lambda i: i.get("status", {}).get("value"),
    "names": lambda i: i.get("name"),
    "space_guids": lambda i: related(i, "space") or Handler.world.space_of_app.get(related(i, "app")),
    "organization_guids": lambda i: related(i, "organization"),
    "app_guids": lambda i: related(i, "app"),
    "service_instance_guids": lambda i: related(i, "service_instance"),
    "service_offering_guids": lambda i: related(i, "service_offering"),
    "service_offering_names": lambda i: next((o["name"] for o in Handler.world.offerings
                                              if o["guid"] == related(i, "service_offering")), None),
    "types": lambda i: i.get("type"),
    "states": lambda i: i.get("state"),
    "type": lambda i: i.get("type"),
    "usernames": lambda i: i.get("username"),
    "hosts": lambda i: i.get("host"),
    "paths": lambda i: i.get("path"),
    "domain_guids": lambda i: related(i, "domain"),
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    world = None
    base = ""
    log_file = None
    no_include = False  # --no-include: a target that ignores include= (older, or partial)
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def send(self, status, body):
        data = json.dumps(body).replace(EXAMPLE, self.base).replace("https://login.example.org", self.base) \
            .replace("https://uaa.example.org", self.base).replace("https://log-cache.example.org", self.base).encode()
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

    def body(self):
        length = int(self.headers.get("Content-Length", 0))
        return self.rfile.read(length).decode("utf-8", "replace")

    def do_POST(self):
        self.record()
        raw = self.body()
        if self.path == "/oauth/token":
            return self.token(urllib.parse.parse_qs(raw))
        if not self.headers.get("Authorization", "").startswith("bearer "):
            return self.error(401, "CF-NotAuthenticated", "Authentication error")
        parts = [p for p in urllib.parse.urlsplit(self.path).path.split("/") if p]
        if len(parts) == 4 and parts[1] == "packages" and parts[3] == "upload":
            return self.upload(parts[2], raw)  # a multipart form, not JSON
        try:
            body = json.loads(raw) if raw else {}  # actions (start, stop) have no body
        except ValueError:
            return self.error(400, "CF-MessageParseError", "Request invalid due to parse error: invalid request body")
        if parts == ["v3", "routes"]:
            return self.create_route(body)
        if parts == ["v3", "apps"]:
            return self.create_app(body)
        if parts == ["v3", "resource_matches"]:
            return self.resource_matches(body)
        if parts == ["v3", "packages"]:
            return self.create_package(body)
        if parts == ["v3", "builds"]:
            return self.create_build(body)
        if parts == ["v3", "deployments"]:
            return self.create_deployment(body)
        if parts == ["v3", "service_instances"]:
            return self.create_service_instance(body)
        if len(parts) == 4 and parts[1] == "routes" and parts[3] == "destinations":
            return self.add_destinations(parts[2], body)
        if parts == ["v3", "service_credential_bindings"]:
            return self.create_binding(body)
        if len(parts) == 5 and parts[1] == "processes" and parts[3:] == ["actions", "scale"]:
            return self.scale(parts[2], body)
        if len(parts) == 5 and parts[1] == "apps" and parts[3] == "actions" and parts[4] in ("start", "stop", "restart"):
            app = next((a for a in self.world.apps if a["guid"] == parts[2]), None)
            if app is None:
                return self.error(404, "CF-ResourceNotFound", "App not found")
            app["state"] = "STOPPED" if parts[4] == "stop" else "STARTED"
            return self.send(200, app)
        return self.error(404, "CF-NotFound", "Unknown request")

    # POST /v3/processes/:guid/actions/scale: instances, memory_in_mb, disk_in_mb,
    # log_rate_limit_in_bytes_per_second; 202 and the process.
    def scale(self, guid, body):
        process = next((p for p in self.world.processes if p["guid"] == guid), None)
        if process is None:
            return self.error(404, "CF-ResourceNotFound", "Process not found")
        if err := self.unknown(body, ("instances", "memory_in_mb", "disk_in_mb", "log_rate_limit_in_bytes_per_second")):
            return self.invalid(err)
        for key, value in body.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                return self.invalid(f"{key.capitalize()} must be an integer greater than or equal to 0")
            process[key] = value
        self.send(202, process)

    # GET/PATCH /v3/apps/:guid/environment_variables: {"var": {...}, "links": {...}}; a PATCH
    # merges, null removes, values must be strings (or numbers, booleans) and names not VCAP_*.
    def env(self, guid, patch=None):
        if not any(a["guid"] == guid for a in self.world.apps):
            return self.error(404, "CF-ResourceNotFound", "App not found")
        var = self.world.env.setdefault(guid, {"RAILS_ENV": "production"})
        if patch is not None:
            if err := self.unknown(patch, ("var",)):
                return self.invalid(err)
            if not isinstance(patch.get("var"), dict):
                return self.invalid("Var must be an object")
            for k, v in patch["var"].items():
                if k.startswith("VCAP_") or k == "PORT":
                    return self.invalid(f"Environment variable names cannot start with VCAP_ or be PORT: {k}")
                if v is None:
                    var.pop(k, None)
                elif isinstance(v, (str, int, float, bool)):
                    var[k] = v
                else:
                    return self.invalid(f"Non-string value in environment variable for key '{k}'")
        self.send(200, {"var": var, "links": {"self": {"href": f"{EXAMPLE}/v3/apps/{guid}/environment_variables"},
                                              "app": {"href": f"{EXAMPLE}/v3/apps/{guid}"}}})

    def do_PATCH(self):
        self.record()
        parts = [p for p in urllib.parse.urlsplit(self.path).path.split("/") if p]
        try:
            body = json.loads(self.body())
        except ValueError:
            return self.error(400, "CF-MessageParseError", "Request invalid due to parse error: invalid request body")
        if len(parts) == 4 and parts[1] == "apps" and parts[3] == "environment_variables":
            return self.env(parts[2], body)
        if len(parts) == 5 and parts[1] == "apps" and parts[3:] == ["relationships", "current_droplet"]:
            return self.set_droplet(parts[2], body)
        if len(parts) == 3 and parts[1] == "apps":
            return self.update_app(parts[2], body)
        if len(parts) == 3 and parts[1] == "processes":
            return self.update_process(parts[2], body)
        if len(parts) != 3 or parts[1] != "service_instances":
            return self.error(404, "CF-NotFound", "Unknown request")
        si = next((i for i in self.world.instances if i["guid"] == parts[2]), None)
        if si is None:
            return self.error(404, "CF-ResourceNotFound", "Service instance not found")
        allowed = ("name", "tags", "metadata") + (
            ("credentials", "syslog_drain_url", "route_service_url") if si["type"] == "user-provided"
            else ("parameters", "relationships", "maintenance_info"))
        if err := self.unknown(body, allowed):
            return self.invalid(err)
        if "name" in body:
            if not isinstance(body["name"], str) or not body["name"]:
                return self.invalid("Name must be a non-empty string")
            si["name"] = body["name"]
        # A managed instance's parameters or plan go to its broker: 202 and a job; a rename does not.
        if si["type"] == "managed" and ({"parameters", "relationships", "maintenance_info"} & set(body)):
            return self.job()
        self.send(200, si)

    def do_DELETE(self):
        self.record()
        self.body()
        parts = [p for p in urllib.parse.urlsplit(self.path).path.split("/") if p]
        w = self.world
        if len(parts) == 5 and parts[1] == "routes" and parts[3] == "destinations":
            route = next((r for r in w.routes if r["guid"] == parts[2]), None)
            if route is None or not any(d["guid"] == parts[4] for d in route["destinations"]):
                return self.error(404, "CF-ResourceNotFound", "Destination not found")
            route["destinations"] = [d for d in route["destinations"] if d["guid"] != parts[4]]
            return self.empty(204)
        if len(parts) == 3 and parts[1] == "routes":
            if not any(r["guid"] == parts[2] for r in w.routes):
                return self.error(404, "CF-ResourceNotFound", "Route not found")
            w.routes = [r for r in w.routes if r["guid"] != parts[2]]
            return self.job()
        if len(parts) == 3 and parts[1] == "apps":
            # The app, its processes, its routes' destinations to it and its bindings; a job.
            app = next((a for a in w.apps if a["guid"] == parts[2]), None)
            if app is None:
                return self.error(404, "CF-ResourceNotFound", "App not found")
            w.apps.remove(app)
            w.processes = [p for p in w.processes if related(p, "app") != app["guid"]]
            for r in w.routes:
                r["destinations"] = [d for d in r["destinations"] if d["app"]["guid"] != app["guid"]]
            w.bindings = [b for b in w.bindings if related(b, "app") != app["guid"]]
            return self.job()
        if len(parts) == 3 and parts[1] == "service_instances":
            # Deletes the instance and its bindings: 204 for user-provided, 202 and a job for
            # managed (the broker is asked).
            si = next((i for i in w.instances if i["guid"] == parts[2]), None)
            if si is None:
                return self.error(404, "CF-ResourceNotFound", "Service instance not found")
            w.instances.remove(si)
            w.bindings = [b for b in w.bindings if related(b, "service_instance") != si["guid"]]
            return self.job() if si["type"] == "managed" else self.empty(204)
        if len(parts) == 3 and parts[1] == "service_credential_bindings":
            binding = next((b for b in w.bindings if b["guid"] == parts[2]), None)
            if binding is None:
                return self.error(404, "CF-ResourceNotFound", "Service credential binding not found")
            w.bindings.remove(binding)
            si = next((i for i in w.instances if i["guid"] == related(binding, "service_instance")), {})
            # Unbinding a user-provided instance asks no broker: 204; a managed one: 202 and a job.
            return self.job() if si.get("type") == "managed" else self.empty(204)
        return self.error(404, "CF-NotFound", "Unknown request")

    def empty(self, status, location=None):
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def job(self):
        """An asynchronous answer: 202 and the job to follow, as CAPI answers for brokered work."""
        return self.empty(202, f"{self.base}/v3/jobs/{uuid.uuid4()}")

    def invalid(self, detail):
        return self.error(422, "CF-UnprocessableEntity", detail)

    @staticmethod
    def unknown(body, allowed):
        extra = sorted(set(body) - set(allowed)) if isinstance(body, dict) else ["(not an object)"]
        return f"Unknown field(s): '{', '.join(extra)}'" if extra else None

    @staticmethod
    def to_one(body, name):
        data = body.get("relationships", {}).get(name, {}).get("data") if isinstance(body.get("relationships"), dict) else None
        return data.get("guid") if isinstance(data, dict) and isinstance(data.get("guid"), str) else None

    # POST /v3/routes: host, path, port, relationships (space, domain), options, metadata.
    def create_route(self, body):
        if err := self.unknown(body, ("host", "path", "port", "relationships", "options", "metadata")):
            return self.invalid(err)
        space, domain = self.to_one(body, "space"), self.to_one(body, "domain")
        if space is None or domain is None:
            return self.invalid("Relationships Space and Domain must be to-one relationships")
        domain_name = next((d["name"] for d in self.world.domains if d["guid"] == domain), None)
        if domain_name is None:
            return self.invalid("Invalid domain. Ensure that the domain exists and you have access to it.")
        route = copy.deepcopy(self.world.routes[0])
        route.update(guid=str(uuid.uuid4()), host=body.get("host", ""), path=body.get("path", ""), destinations=[],
                     url=f"{body.get('host')}.{domain_name}{body.get('path', '')}")
        link(route, "space", space)
        link(route, "domain", domain)
        self.world.routes.append(route)
        self.send(201, route)

    # POST /v3/routes/:guid/destinations: {"destinations": [{"app": {"guid", "process": {"type"}},
    # "port", "protocol", "weight"}]}
    def add_destinations(self, guid, body):
        route = next((r for r in self.world.routes if r["guid"] == guid), None)
        if route is None:
            return self.error(404, "CF-ResourceNotFound", "Route not found")
        if err := self.unknown(body, ("destinations",)):
            return self.invalid(err)
        if not isinstance(body.get("destinations"), list):
            return self.invalid("Destinations must be an array")
        for d in body["destinations"]:
            if err := self.unknown(d, ("app", "port", "protocol", "weight")):
                return self.invalid(err)
            app = d.get("app") if isinstance(d.get("app"), dict) else {}
            if not isinstance(app.get("guid"), str) or set(app) - {"guid", "process"}:
                return self.invalid("Destinations[0]: app must have the structure {\"guid\": \"app_guid\"}")
            route["destinations"].append({"guid": str(uuid.uuid4()), "app": {
                "guid": app["guid"], "process": {"type": app.get("process", {}).get("type", "web")}},
                "weight": None, "port": d.get("port", 8080), "protocol": d.get("protocol", "http1")})
        self.send(200, {"destinations": route["destinations"],
                        "links": {"self": {"href": f"{EXAMPLE}/v3/routes/{guid}/destinations"},
                                  "route": {"href": f"{EXAMPLE}/v3/routes/{guid}"}}})

    # POST /v3/service_credential_bindings: type, name, relationships, parameters, metadata;
    # 201 for a user-provided instance, 202 and a job for a managed one.
    def create_binding(self, body):
        if err := self.unknown(body, ("type", "name", "relationships", "parameters", "metadata")):
            return self.invalid(err)
        if body.get("type") not in ("app", "key"):
            return self.invalid("Type must be one of 'app', 'key'")
        si_guid, app_guid = self.to_one(body, "service_instance"), self.to_one(body, "app")
        si = next((i for i in self.world.instances if i["guid"] == si_guid), None)
        if si is None:
            return self.invalid("The service instance could not be found: " + str(si_guid))
        if body["type"] == "app" and not any(a["guid"] == app_guid for a in self.world.apps):
            return self.invalid("The app could not be found: " + str(app_guid))
        binding = copy.deepcopy(self.world.bindings_template)
        binding.update(guid=str(uuid.uuid4()), name=body.get("name"), type=body["type"])
        link(binding, "service_instance", si_guid)
        link(binding, "app", app_guid)
        self.world.bindings.append(binding)
        if si["type"] == "managed":
            return self.job()
        self.send(201, binding)

    def find(self, items, guid):
        return next((i for i in items if i["guid"] == guid), None)

    # POST /v3/apps: name, relationships (space), environment_variables, lifecycle, metadata;
    # the app comes with its web process, as on CAPI.
    def create_app(self, body):
        if err := self.unknown(body, ("name", "relationships", "environment_variables", "lifecycle", "metadata")):
            return self.invalid(err)
        if not isinstance(body.get("name"), str) or not body["name"]:
            return self.invalid("Name must be a non-empty string")
        space = self.to_one(body, "space")
        if space != self.world.space["guid"]:
            return self.invalid("Invalid space. Ensure that the space exists and you have access to it.")
        if any(a["name"] == body["name"] for a in self.world.apps):
            return self.invalid(f"App with the name '{body['name']}' already exists.")
        env = body.get("environment_variables", {})
        if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
            return self.invalid("Environment variables must be an object of strings")
        app = copy.deepcopy(self.world.app_template)
        app.update(guid=str(uuid.uuid4()), name=body["name"], state="STOPPED")
        link(app, "space", space)
        self.world.apps.append(app)
        self.world.space_of_app[app["guid"]] = space
        self.world.env[app["guid"]] = dict(env)
        web = copy.deepcopy(self.world.process_template)
        web.update(guid=str(uuid.uuid4()), type="web", instances=1)
        link(web, "app", app["guid"])
        self.world.processes.append(web)
        self.world.pushed.add(web["guid"])
        self.send(201, app)

    # PATCH /v3/apps/:guid: name, lifecycle, metadata.
    def update_app(self, guid, body):
        app = self.find(self.world.apps, guid)
        if app is None:
            return self.error(404, "CF-ResourceNotFound", "App not found")
        if err := self.unknown(body, ("name", "lifecycle", "metadata")):
            return self.invalid(err)
        if "name" in body:
            if not isinstance(body["name"], str) or not body["name"]:
                return self.invalid("Name must be a non-empty string")
            app["name"] = body["name"]
        self.send(200, app)

    # PATCH /v3/processes/:guid: command, health_check (type, data: timeout, invocation_timeout,
    # endpoint), readiness_health_check, metadata.
    def update_process(self, guid, body):
        process = self.find(self.world.processes, guid)
        if process is None:
            return self.error(404, "CF-ResourceNotFound", "Process not found")
        if err := self.unknown(body, ("command", "health_check", "readiness_health_check", "metadata")):
            return self.invalid(err)
        hc = body.get("health_check")
        if hc is not None:
            if not isinstance(hc, dict) or (err := self.unknown(hc, ("type", "data"))):
                return self.invalid(err or "Health check must be an object")
            if hc.get("type") not in ("port", "process", "http"):
                return self.invalid("Health check type must be one of 'port', 'process', 'http'")
            if err := self.unknown(hc.get("data", {}), ("timeout", "invocation_timeout", "interval", "endpoint")):
                return self.invalid(err)
            process["health_check"] = {"type": hc["type"], "data": dict(process["health_check"].get("data", {}), **hc.get("data", {}))}
        if "command" in body:
            if body["command"] is not None and not isinstance(body["command"], str):
                return self.invalid("Command must be a string")
            process["command"] = body["command"]
        self.send(200, process)

    # POST /v3/resource_matches: {"resources": [{"checksum": {"value"}, "size_in_bytes", "path",
    # "mode"}]}; none is cached here.
    def resource_matches(self, body):
        if err := self.unknown(body, ("resources",)):
            return self.invalid(err)
        if not isinstance(body.get("resources"), list):
            return self.invalid("Resources must be an array")
        for r in body["resources"]:
            if err := self.unknown(r, ("checksum", "size_in_bytes", "path", "mode")):
                return self.invalid(err)
            if not isinstance(r.get("checksum"), dict) or not isinstance(r["checksum"].get("value"), str):
                return self.invalid("Checksum must be an object with a value")
        self.send(201, {"resources": []})

    # POST /v3/packages: type (bits), relationships (app), data, metadata.
    def create_package(self, body):
        if err := self.unknown(body, ("type", "relationships", "data", "metadata")):
            return self.invalid(err)
        if body.get("type") not in ("bits", "docker"):
            return self.invalid("Type must be one of 'bits', 'docker'")
        app = self.to_one(body, "app")
        if self.find(self.world.apps, app) is None:
            return self.invalid("App is invalid. Ensure it exists and you have access to it.")
        package = copy.deepcopy(load("package"))
        package.update(guid=str(uuid.uuid4()), state="AWAITING_UPLOAD")
        link(package, "app", app)
        self.world.packages.append(package)
        self.send(201, package)

    # POST /v3/packages/:guid/upload: a multipart form with a `bits` zip and/or `resources`.
    def upload(self, guid, raw):
        package = self.find(self.world.packages, guid)
        if package is None:
            return self.error(404, "CF-ResourceNotFound", "Package not found")
        if not self.headers.get("Content-Type", "").startswith("multipart/form-data"):
            return self.invalid("Upload must be multipart/form-data")
        if 'name="bits"' not in raw and 'name="resources"' not in raw:
            return self.invalid("Upload must include either resources or bits")
        package["state"] = "READY"
        self.send(200, package)

    # POST /v3/builds: package, lifecycle, staging_memory_in_mb, staging_disk_in_mb,
    # staging_log_rate_limit_bytes_per_second, metadata. STAGING now; STAGED when next read.
    def create_build(self, body):
        if err := self.unknown(body, ("package", "lifecycle", "staging_memory_in_mb", "staging_disk_in_mb",
                                      "staging_log_rate_limit_bytes_per_second", "metadata")):
            return self.invalid(err)
        package = self.find(self.world.packages, (body.get("package") or {}).get("guid"))
        if package is None or package["state"] != "READY":
            return self.invalid("Unable to use package. Ensure that the package exists and you have access to it.")
        build = copy.deepcopy(load("build_staging"))
        build.update(guid=str(uuid.uuid4()), package={"guid": package["guid"]})
        link(build, "app", related(package, "app"))
        self.world.builds.append(build)
        self.send(201, build)

    def read_build(self, guid):
        build = self.find(self.world.builds, guid)
        if build is None:
            return self.error(404, "CF-ResourceNotFound", "Build not found")
        if build["state"] == "STAGING":
            droplet = copy.deepcopy(load("droplet"))
            droplet.update(guid=str(uuid.uuid4()))
            link(droplet, "app", related(build, "app"))
            self.world.droplets.append(droplet)
            staged = copy.deepcopy(load("build_staged"))
            staged.update(guid=build["guid"], package=build["package"], droplet={"guid": droplet["guid"]})
            staged["relationships"] = build["relationships"]
            build.clear()
            build.update(staged)
        self.send(200, build)

    # PATCH /v3/apps/:guid/relationships/current_droplet: {"data": {"guid"}}, a droplet of the app.
    def set_droplet(self, app_guid, body):
        if self.find(self.world.apps, app_guid) is None:
            return self.error(404, "CF-ResourceNotFound", "App not found")
        if err := self.unknown(body, ("data",)):
            return self.invalid(err)
        droplet = self.find(self.world.droplets, (body.get("data") or {}).get("guid"))
        if droplet is None or related(droplet, "app") != app_guid:
            return self.invalid("Unable to assign current droplet. Ensure the droplet exists and belongs to this app.")
        self.world.current_droplet[app_guid] = droplet["guid"]
        self.send(200, {"data": {"guid": droplet["guid"]}, "links": {}})

    # POST /v3/deployments: droplet or revision, strategy (rolling, canary), options,
    # relationships (app), metadata. ACTIVE now; FINALIZED and DEPLOYED when next read.
    def create_deployment(self, body):
        if err := self.unknown(body, ("droplet", "revision", "strategy", "options", "relationships", "metadata")):
            return self.invalid(err)
        if "droplet" in body and "revision" in body:
            return self.invalid("Cannot set both fields 'droplet' and 'revision'")
        if body.get("strategy", "rolling") not in ("rolling", "canary"):
            return self.invalid("Strategy 'x' is not a supported deployment strategy")
        app = self.find(self.world.apps, self.to_one(body, "app"))
        if app is None:
            return self.invalid("App is invalid. Ensure it exists and you have access to it.")
        droplet = self.find(self.world.droplets, (body.get("droplet") or {}).get("guid"))
        if droplet is None or related(droplet, "app") != app["guid"]:
            return self.invalid("Unable to assign current droplet. Ensure the droplet exists and belongs to this app.")
        d = copy.deepcopy(load("deployment"))
        d.update(guid=str(uuid.uuid4()), strategy=body.get("strategy", "rolling"), droplet={"guid": droplet["guid"]},
                 previous_droplet={"guid": self.world.current_droplet.get(app["guid"])},
                 status={"value": "ACTIVE", "reason": "DEPLOYING", "details": {}})
        link(d, "app", app["guid"])
        self.world.deployments.append(d)
        self.world.current_droplet[app["guid"]] = droplet["guid"]
        app["state"] = "STARTED"
        self.send(201, d)

    def read_deployment(self, guid):
        d = self.find(self.world.deployments, guid)
        if d is None:
            return self.error(404, "CF-ResourceNotFound", "Deployment not found")
        d["status"] = {"value": "FINALIZED", "reason": "DEPLOYED", "details": {}}
        self.send(200, d)

    # POST /v3/service_instances: managed (name, type, relationships: space and service_plan,
    # parameters, tags, metadata, maintenance_info) is a 202 and a job; user-provided (name, type,
    # relationships: space, credentials, syslog_drain_url, route_service_url, tags, metadata) 201.
    def create_service_instance(self, body):
        kind = body.get("type")
        common = ("type", "name", "relationships", "tags", "metadata")
        allowed = common + (("parameters", "maintenance_info") if kind == "managed" else
                            ("credentials", "syslog_drain_url", "route_service_url"))
        if kind not in ("managed", "user-provided"):
            return self.invalid("Type must be one of 'managed', 'user-provided'")
        if err := self.unknown(body, allowed):
            return self.invalid(err)
        if self.to_one(body, "space") != self.world.space["guid"]:
            return self.invalid("Invalid space. Ensure that the space exists and you have access to it.")
        plan = self.to_one(body, "service_plan")
        if kind == "managed" and self.find(self.world.plans, plan) is None:
            return self.invalid("Invalid service plan. Ensure that the service plan exists, is available, and you have access to it.")
        if any(i["name"] == body.get("name") for i in self.world.instances):
            return self.invalid(f"The service instance name is taken: {body.get('name')}")
        si = copy.deepcopy(self.world.instance_templates[kind])  # the examples may be deleted by now
        si.update(guid=str(uuid.uuid4()), name=body.get("name"))
        link(si, "space", self.world.space["guid"])
        if kind == "managed":
            link(si, "service_plan", plan)
            self.world.instances.append(si)
            return self.job()
        self.world.instances.append(si)
        self.send(201, si)

    def token(self, form):
        # UAA's password and refresh grants (docs.cloudfoundry.org/api/uaa, "Password Grant",
        # "Refresh Token"), and its errors: a refused password (401 unauthorized), an expired or
        # revoked refresh token (401 invalid_token), a grant it does not know (400).
        grant = form.get("grant_type", [""])[0]
        if grant == "password" and form.get("password") != ["secret"]:
            return self.send(401, {"error": "unauthorized", "error_description": "Bad credentials"})
        if grant == "refresh_token" and form.get("refresh_token", [""])[0].startswith("expired"):
            return self.send(401, {"error": "invalid_token",
                                   "error_description": "Invalid refresh token (expired): expired-jti expired at Tue Dec 01 00:00:00 UTC 2026"})
        if grant == "refresh_token" and form.get("refresh_token", [""])[0].startswith("garbled"):
            return self.send(200, {"access_token": None, "token_type": "bearer"})  # a broken answer
        if grant not in ("password", "refresh_token"):
            return self.send(400, {"error": "unsupported_grant_type", "error_description": f"Unsupported grant type: {grant}"})
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
        if len(parts) == 4 and parts[:3] == ["api", "v1", "read"]:
            return self.log_cache_read(parts[3], query)
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
        if len(parts) == 4 and parts[1] == "apps" and parts[3] == "packages":
            # GET /v3/apps/:guid/packages: guids, states, types, page, per_page, order_by
            if self.find(w.apps, parts[2]) is None:
                return self.error(404, "CF-ResourceNotFound", "App not found")
            order = query.get("order_by", ["created_at"])[0]
            if order.lstrip("+-") not in ("created_at", "updated_at"):
                return self.error(400, "CF-BadQueryParameter", "Order by can only be: 'created_at', 'updated_at'")
            items = [p for p in w.packages if related(p, "app") == parts[2]]  # in the order made
            return self.list(items[::-1] if order.startswith("-") else items, url.path, query)
        if len(parts) == 4 and parts[1] == "apps" and parts[3] == "environment_variables":
            return self.env(parts[2])
        if len(parts) == 3 and parts[1] == "builds":
            return self.read_build(parts[2])
        if len(parts) == 3 and parts[1] == "deployments":
            return self.read_deployment(parts[2])
        if len(parts) == 3 and parts[1] == "packages":
            found = self.find(w.packages, parts[2])
            return self.send(200, found) if found else self.error(404, "CF-ResourceNotFound", "Package not found")
        if parts == ["v3", "deployments"]:
            return self.list(w.deployments, url.path, query)
        if len(parts) == 5 and parts[1] == "organizations" and parts[3:] == ["domains", "default"]:
            return self.send(200, w.domains[0])
        if len(parts) == 3 and parts[1] == "jobs":
            return self.send(200, dict(load("job_complete"), guid=parts[2]))
        if len(parts) == 5 and parts[1] == "apps" and parts[3] == "processes":
            found = [p for p in w.processes if related(p, "app") == parts[2] and p["type"] == parts[4]]
            if found:  # the example's command, unless pushed here (then the one set)
                return self.send(200, found[0] if found[0]["guid"] in w.pushed else dict(found[0], command=w.command))
            return self.error(404, "CF-ResourceNotFound", "Process not found")
        if len(parts) == 4 and parts[1] == "processes" and parts[3] == "stats":
            process = next((p for p in w.processes if p["guid"] == parts[2]), None)
            if process is None:
                return self.error(404, "CF-ResourceNotFound", "Process not found")
            stats = copy.deepcopy(w.stats)
            if process["guid"] in w.pushed:  # the example's running instance, once per instance
                started = any(a["guid"] == related(process, "app") and a["state"] == "STARTED" for a in w.apps)
                stats["resources"] = [dict(copy.deepcopy(w.stats["resources"][0]), index=i,
                                           state="RUNNING" if started else "DOWN")
                                      for i in range(process["instances"])]
            for s in stats["resources"]:
                s["type"] = process["type"]
            return self.send(200, stats)
        return self.error(404, "CF-NotFound", "Unknown request")

    # log-cache's GET /api/v1/read/:source_id (the root's log_cache link), its JSON form: envelopes
    # with nanosecond timestamps as strings and base64 payloads (standard alphabet, padded), as
    # log-cache's README shows them. Two lines of the app, one of the router.
    def log_cache_read(self, source, query):
        lines = [("APP/PROC/WEB", "0", "OUT", b"Listening on :8080\n"),
                 ("RTR", "0", "OUT", b'GET / HTTP/1.1 200 "curl/8" ~>?\n'),
                 ("APP/PROC/WEB", "0", "ERR", b"warning: slow request\n")]
        start = int(query.get("start_time", ["0"])[0])
        limit = int(query.get("limit", ["100"])[0])
        batch = [{"timestamp": str(1700000000000000000 + i * 1000000000), "source_id": source, "instance_id": inst,
                  "tags": {"source_type": kind},
                  "log": {"payload": base64.b64encode(text).decode(), "type": kind_type}}
                 for i, (kind, inst, kind_type, text) in enumerate(lines)]
        batch = [e for e in batch if int(e["timestamp"]) >= start]
        if query.get("descending") == ["true"]:
            batch.reverse()
        self.send(200, {"envelopes": {"batch": batch[:limit]}})

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
        if "fields[service_plan]" in query:  # CAPI's fields: the plans (and offerings) of the instances shown
            keys = query["fields[service_plan]"][0].split(",")
            plans = [p for p in self.world.plans if p["guid"] in {related(i, "service_plan") for i in shown}]
            body.setdefault("included", {})["service_plans"] = [
                {k: v for k, v in p.items() if k in keys or (k == "relationships" and "relationships.service_offering" in keys)}
                for p in plans]
            if "fields[service_plan.service_offering]" in query:
                okeys = query["fields[service_plan.service_offering]"][0].split(",")
                offered = {related(p, "service_offering") for p in plans}
                body["included"]["service_offerings"] = [{k: v for k, v in o.items() if k in okeys}
                                                         for o in self.world.offerings if o["guid"] in offered]
        if "service_instance" in query.get("include", [""])[0].split(",") and not self.no_include:
            guids = {related(b, "service_instance") for b in shown}
            body["included"] = {"service_instances": [si for si in self.world.instances if si["guid"] in guids]}
        self.send(200, body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--log")
    ap.add_argument("--no-include", action="store_true")
    args = ap.parse_args()
    Handler.no_include = args.no_include
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
