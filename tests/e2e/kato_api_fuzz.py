"""Property test: random and hostile bodies on kato's JSON endpoints.

Every answer must be a 2xx or a 4xx; a 4xx must carry a CF error object; kato must stay up.
Bounded: a fixed number of requests per endpoint, loopback only.
Usage: kato_api_fuzz.py PORT CA TOKEN SPACE_GUID APP_GUID ROUTE_GUID PROCESS_GUID SEED
"""
import http.client
import json
import random
import ssl
import sys

port, ca, token, space, app, route, proc, seed = sys.argv[1:9]
rng = random.Random(int(seed))
ctx = ssl.create_default_context(cafile=ca)

KEYS = ["name", "relationships", "space", "data", "guid", "type", "var", "instances", "memory_in_mb", "host",
        "path", "destinations", "app", "process", "port", "protocol", "health_check", "endpoint", "timeout",
        "credentials", "tags", "package", "lifecycle", "metadata", "labels", "x", "", "\u00e9", "\ud7ff"]


def value(depth=0):
    kinds = ["str", "int", "float", "bool", "null", "list", "obj"] if depth < 4 else ["str", "int", "null"]
    k = rng.choice(kinds)
    if k == "str":
        return rng.choice(["", "a", space, app, route, "web", "http1", "/", "../x", "\x00", "x" * 300, "VCAP_X", "PORT"])
    if k == "int":
        return rng.choice([0, -1, 1, 2, 8080, 2**31, 2**63 - 1, -2**63])
    if k == "float":
        return rng.choice([0.5, -1e308, 1e308])
    if k == "bool":
        return rng.choice([True, False])
    if k == "null":
        return None
    if k == "list":
        return [value(depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(KEYS): value(depth + 1) for _ in range(rng.randint(0, 4))}


def body():
    r = rng.random()
    if r < 0.1:
        return b"[" * 200000 + b"]" * 200000  # deep nesting
    if r < 0.2:
        return bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 64)))  # not JSON, maybe not UTF-8
    if r < 0.3:
        return b'{"name": "' + b"\xff\xfe" + b'"}'
    return json.dumps(value()).encode()


ENDPOINTS = [
    ("POST", "/v3/apps"), ("PATCH", f"/v3/apps/{app}"), ("PATCH", f"/v3/apps/{app}/environment_variables"),
    ("POST", "/v3/routes"), ("POST", f"/v3/routes/{route}/destinations"),
    ("POST", f"/v3/processes/{proc}/actions/scale"), ("PATCH", f"/v3/processes/{proc}"),
    ("POST", "/v3/service_instances"), ("POST", "/v3/service_credential_bindings"), ("POST", "/v3/packages"),
    ("POST", "/v3/builds"), ("PATCH", f"/v3/apps/{app}/relationships/current_droplet"),
    ("POST", "/v3/resource_matches"), ("POST", f"/v3/apps/{app}/actions/start"),
]

failures = 0
total = 0
for method, path in ENDPOINTS:
    for _ in range(120):
        total += 1
        data = body()
        conn = http.client.HTTPSConnection("127.0.0.1", int(port), context=ctx, timeout=20)
        conn._http_vsn_str = "HTTP/1.1"
        try:
            conn.request(method, path, body=data, headers={
                "Host": "api.localhost", "Authorization": "bearer " + token, "Content-Type": "application/json"})
            r = conn.getresponse()
            text = r.read()
        except Exception as e:  # a dropped connection is a failure too
            failures += 1
            print(f"FAIL {method} {path}: {e!r} for body {data[:80]!r}")
            continue
        finally:
            conn.close()
        if r.status >= 500:
            failures += 1
            print(f"FAIL {method} {path}: {r.status} {text[:200]!r} for body {data[:80]!r}")
        elif r.status >= 400:
            try:
                err = json.loads(text)["errors"][0]
                assert isinstance(err["code"], int) and err["title"] and isinstance(err["detail"], str)
            except Exception:
                failures += 1
                print(f"FAIL {method} {path}: {r.status} without a CF error object: {text[:200]!r}")
print(f"{total - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
