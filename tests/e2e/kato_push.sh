#!/usr/bin/env bash
# A sample app pushed to a real kato with raw V3 API calls (what `stackato push` will do), then
# reached through kato's router over verified TLS at https://NAME.localhost:PORT/.
set -u
kato=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "kato push"
data=$work/data
at_exit '"$kato" --data "$data" stop >/dev/null 2>&1'

source "$here/lib.sh"
kato_up
# The example app with the test's compiled manifest (hooks whose effects the test checks).
(cd "$here/../../examples/hello" && zip -q "$work/hello.zip" app.py)
(cd "$here/apps/hello" && zip -q "$work/hello.zip" manifest.yml)
get_app() { status=$(curl -s --cacert "$ca" -o "$work/body" -w '%{http_code}' "https://$1.localhost:$port${2:-/}"); }

push hello "$work/hello.zip"
hello=$app
hello_proc=$proc
hello_route=$route
get_app hello
expect 200 '.name == "hello" and .staged == "pre-staging ran\npost-staging ran" and .ran == "pre-running ran" and .x_forwarded_proto == "https" and (.x_forwarded_for | test("127.0.0.1")) and .stackato_app_name == "hello"' "the app answers through the router, hooks ran"
req GET "/v3/processes/$hello_proc/stats"
expect 200 '.resources[0].usage.mem > 0 and .resources[0].uptime >= 0 and .resources[0].mem_quota > 0' "stats from /proc"

# logs: staging, the app, the router
sleep 0.8
req GET "/api/v1/read/$hello?limit=1000"
logs=$(jq -r '.envelopes.batch[] | .tags.source_type + " " + (.log.payload | @base64d)' "$work/body")
grep -q '^STG .*pre-staging ran' <<<"$logs" || grep -q '^STG .*pre-staging: echo pre-staging' <<<"$logs" && ok || bad "STG log lines: $logs"
grep -q '^APP/PROC/WEB hello starting on port' <<<"$logs" && ok || bad "app stdout in the log: $logs"
grep -q '^RTR .*GET / HTTP/1.1" 200' <<<"$logs" && ok || bad "router access line: $logs"
grep -q '^API Started app (by admin)' <<<"$logs" && grep -q '^API Mapped route hello.localhost' <<<"$logs" && ok || bad "API events: $logs"

# round robin over two instances
req POST "/v3/processes/$hello_proc/actions/scale" '{"instances":2}'
wait_for 30 GET "/v3/processes/$hello_proc/stats" '(.resources | length == 2) and all(.resources[]; .state == "RUNNING")' && ok || bad "scaled to 2"
seen=""
for i in 1 2 3 4; do get_app hello; seen="$seen$(j .index)"; done
[[ "$seen" == *0* && "$seen" == *1* ]] && ok || bad "round robin over both instances: $seen"

# WebSocket: the upgrade goes through and bytes are spliced both ways, over TLS
python3 - "$port" "$ca" <<'PY' && ok || bad "websocket through the router"
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
with socket.create_connection(("127.0.0.1", port)) as raw, ctx.wrap_socket(raw, server_hostname="hello.localhost") as s:
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: hello.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    assert head.startswith(b"HTTP/1.1 101"), head
    assert b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head, head
    for msg in (b"ping-1", b"x" * 100000):
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            got += s.recv(65536)
        assert got == msg
PY

# a crash is restarted
get_app hello /crash
wait_for 10 GET "/v3/processes/$hello_proc/stats" 'any(.resources[]; .state == "CRASHED")' && ok || bad "crash seen"
wait_for 20 GET "/v3/processes/$hello_proc/stats" 'all(.resources[]; .state == "RUNNING")' && ok || bad "restarted after the crash"

# http health check: an endpoint that answers 404 never lets the instance run; "/" does
req PATCH "/v3/processes/$hello_proc" '{"health_check":{"type":"http","data":{"endpoint":"/notfound","timeout":2}}}'
req POST "/v3/apps/$hello/actions/restart"
sleep 3
req GET "/v3/processes/$hello_proc/stats"
jq -e 'all(.resources[]; .state != "RUNNING")' "$work/body" >/dev/null && ok || bad "failing http health check keeps it from RUNNING"
req GET "/api/v1/read/$hello?limit=1000"
jq -r '.envelopes.batch[].log.payload | @base64d' "$work/body" | grep -q "failed its http health check" && ok || bad "health check failure logged"
req PATCH "/v3/processes/$hello_proc" '{"health_check":{"type":"http","data":{"endpoint":"/","timeout":10}}}'
req POST "/v3/apps/$hello/actions/restart"
wait_for 30 GET "/v3/processes/$hello_proc/stats" 'all(.resources[]; .state == "RUNNING")' && ok || bad "RUNNING with a good http health check"

# The memory limit is enforced: a process allocating past it fails. With a memory cgroup (kato
# status says which mechanism), the kernel kills it and the log says why, and a large
# reservation that is never touched is not memory and still works. With RLIMIT_AS (the
# fallback, or --memory-limits rlimit) the reservation is refused and the allocation fails.
mkdir -p "$work/hog"
cat > "$work/hog/hog.py" <<'HOG'
import mmap
try:
    m = mmap.mmap(-1, 2 << 30)
    print("reserved", flush=True)
except OSError:
    print("reservation refused", flush=True)
bytearray(700 << 20)
print("allocated", flush=True)
HOG
printf 'applications:\n- name: hog\n  command: python3 hog.py\n' > "$work/hog/manifest.yml"
(cd "$work/hog" && zip -q -r "$work/hog.zip" .)
hog_check() {  # hog_check NAME: pushes the hog as NAME with 128 MB, checks how it ends; sets $checked_mode
  local mode logs
  mode=$("$kato" --data "$data" status | sed -n 's/^  app memory limits: //p')
  [ -n "$mode" ] && ok || bad "kato status names how app memory is limited"
  echo "app memory limits: $mode"
  push "$1" "$work/hog.zip" nowait
  local hog=$app
  req POST "/v3/processes/$proc/actions/scale" '{"memory_in_mb":128}'
  req POST "/v3/apps/$hog/actions/restart"
  # Only what the instance started by the restart (at 128 MB) said: the first instance, at the
  # default 256 MB, may already have been killed, and waiting for any exit raced with it (a CI
  # run under load failed so). Waits for that exit, up to a minute.
  for _ in $(seq 300); do
    req GET "/api/v1/read/$hog?limit=1000"
    logs=$(jq -r '.envelopes.batch[].log.payload | @base64d' "$work/body" | sed -n '/^Restarted app/,$p')
    grep -q "exited with status" <<<"$logs" && break
    sleep 0.2
  done
  if [[ $mode == cgroup* ]]; then
    grep -q "^reserved" <<<"$logs" && grep -q "exited with status 137 (out of memory: its limit is 128 MB)" <<<"$logs" &&
      ! grep -q "^allocated" <<<"$logs" && ok || bad "memory limit ($mode) not enforced or not explained: $logs"
  else
    grep -q "^reservation refused" <<<"$logs" && grep -q MemoryError <<<"$logs" && ! grep -q "^allocated" <<<"$logs" &&
      ok || bad "memory limit ($mode) not enforced: $logs"
  fi
  req DELETE "/v3/apps/$hog"
  checked_mode=$mode
}
hog_check hog
auto_mode=$checked_mode
# --memory-limits cgroup starts only where a memory cgroup is writable, and says why not.
"$kato" --data "$data" stop >/dev/null
if out=$("$kato" --data "$data" start --port 0 --memory-limits cgroup 2>&1); then
  [[ $auto_mode == cgroup* ]] && "$kato" --data "$data" status | grep -q "app memory limits: cgroup" && ok ||
    bad "--memory-limits cgroup started without a cgroup: $out"
  "$kato" --data "$data" stop >/dev/null
else
  [[ $auto_mode != cgroup* ]] && grep -q "^kato: --memory-limits cgroup: no memory cgroup kato can write" <<<"$out" && ok ||
    bad "--memory-limits cgroup refused: $out"
fi
# --memory-limits rlimit: RLIMIT_AS even where a cgroup could be had (the fallback's own test).
"$kato" --data "$data" start --port 0 --memory-limits nonsense >/dev/null 2>&1 && bad "--memory-limits nonsense accepted" || ok
kato_up 0 "" --memory-limits rlimit
"$kato" --data "$data" status | grep -q "app memory limits: RLIMIT_AS (address space: --memory-limits rlimit)" && ok ||
  bad "status after --memory-limits rlimit: $("$kato" --data "$data" status)"
hog_check hog2
wait_for 30 GET "/v3/processes/$hello_proc/stats" 'all(.resources[]; .state == "RUNNING")' && ok || bad "hello back after the restarts"

# 404 for an unknown route, 502 when nothing runs
get_app nosuchapp
[ "$status" = 404 ] && grep -q "does not exist" "$work/body" && ok || bad "unknown route is 404"
req POST "/v3/apps/$hello/actions/stop"
wait_for 15 GET "/v3/processes/$hello_proc/stats" 'all(.resources[]; .state == "DOWN")' && ok || bad "stopped"
get_app hello
[ "$status" = 502 ] && ok || bad "no instance is 502"
req POST "/v3/apps/$hello/actions/start"
wait_for 30 GET "/v3/processes/$hello_proc/stats" 'all(.resources[]; .state == "RUNNING")' && ok || bad "started again"

# a failing hook fails the build with StagingError and its output
mkdir -p "$work/bad" && cp "$here/../../examples/hello/app.py" "$work/bad/"
printf 'applications:\n- name: bad\n  command: python3 app.py\n  stackato:\n    hooks:\n      post-staging:\n      - echo about to fail; exit 7\n' > "$work/bad/manifest.yml"
(cd "$work/bad" && zip -q -r "$work/bad.zip" .)
req POST /v3/apps "{\"name\":\"bad\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}}}}"
bad_app=$(j .guid)
req POST /v3/packages "{\"type\":\"bits\",\"relationships\":{\"app\":{\"data\":{\"guid\":\"$bad_app\"}}}}"
pkg=$(j .guid)
curl -s --cacert "$ca" -o /dev/null -H "Authorization: bearer $token" -F 'resources=[]' -F "bits=@$work/bad.zip" "$api/v3/packages/$pkg/upload"
req POST /v3/builds "{\"package\":{\"guid\":\"$pkg\"}}"
build=$(j .guid)
wait_for 60 GET "/v3/builds/$build" '.state != "STAGING"'
expect 200 '.state == "FAILED" and (.error | startswith("StagingError - ")) and (.error | test("exit code 7")) and (.error | test("about to fail"))' "failing hook"

# zip-slip: an entry leaving the app directory fails the upload, nothing is written outside
python3 - "$work/slip.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("ok.txt", "fine")
    z.writestr("../../escaped.txt", "evil")
PY
req POST /v3/packages "{\"type\":\"bits\",\"relationships\":{\"app\":{\"data\":{\"guid\":\"$bad_app\"}}}}"
pkg=$(j .guid)
status=$(curl -s --cacert "$ca" -o "$work/body" -w '%{http_code}' -H "Authorization: bearer $token" -F 'resources=[]' -F "bits=@$work/slip.zip" "$api/v3/packages/$pkg/upload")
expect 422 '.errors[0].title == "CF-PackageBitsError" and (.errors[0].detail | test("leaving the app directory"))' "zip-slip refused"
req GET "/v3/packages/$pkg"
expect 200 '.state == "FAILED" and (.data.error | test("leaving the app directory"))' "zip-slip: the package is FAILED with the reason"
[ ! -e "$data/escaped.txt" ] && [ ! -e "$data/blobs/escaped.txt" ] && ok || bad "zip-slip wrote a file"

# a malformed zip (found by the zip fuzzer: libarchive gave no message, kato crashed) is refused
req POST /v3/packages "{\"type\":\"bits\",\"relationships\":{\"app\":{\"data\":{\"guid\":\"$bad_app\"}}}}"
pkg=$(j .guid)
status=$(curl -s --cacert "$ca" -o "$work/body" -w '%{http_code}' -H "Authorization: bearer $token" -F 'resources=[]' \
           -F "bits=@$here/../fuzz/regressions/zip-null-error-message.zip" "$api/v3/packages/$pkg/upload")
expect 422 '.errors[0].title == "CF-PackageBitsError" and (.errors[0].detail | length > 0)' "malformed zip refused, kato alive"

# resource matching: the second upload of the same files sends nothing
printf 'x%.0s' $(seq 1 2000) > "$work/big.txt"
sha=$(sha1sum "$here/../../examples/hello/app.py" | cut -d' ' -f1)
size=$(stat -c %s "$here/../../examples/hello/app.py")
req POST /v3/resource_matches "{\"resources\":[{\"checksum\":{\"value\":\"$sha\"},\"size_in_bytes\":$size,\"path\":\"app.py\",\"mode\":\"644\"},{\"checksum\":{\"value\":\"0000000000000000000000000000000000000000\"},\"size_in_bytes\":5,\"path\":\"new.txt\",\"mode\":\"644\"}]}"
expect 201 '.resources | length == 1 and .[0].path == "app.py"' "resource matches against the cache"

# Map the new version, then unmap and stop the old one, under constant load: no request fails
# and the last answers all come from the new version.
req PATCH "/v3/apps/$hello/environment_variables" '{"var":{"APP_VERSION":"1"}}'
push hello2 "$work/hello.zip"
hello2=$app
req PATCH "/v3/apps/$hello2/environment_variables" '{"var":{"APP_VERSION":"2"}}'
req POST "/v3/apps/$hello2/actions/restart"
wait_for 30 GET "/v3/processes/$proc/stats" 'all(.resources[]; .state == "RUNNING")'
# The load runs until a second after the swap is done (the file `swapped`), at most 30 s.
python3 - "$port" "$work/swapped" > "$work/load.json" <<'PY' &
import http.client, json, os, sys, time
port, swapped = int(sys.argv[1]), sys.argv[2]
codes, versions, errors = {}, [], 0
deadline = time.time() + 30
conn = None
while time.time() < deadline:
    if os.path.exists(swapped) and deadline > time.time() + 1:
        deadline = time.time() + 1
    try:
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/", headers={"Host": "hello.localhost"})
        r = conn.getresponse()
        body = r.read()
        codes[r.status] = codes.get(r.status, 0) + 1
        versions.append(json.loads(body)["version"] if r.status == 200 else "-")
    except Exception as e:
        errors += 1
        conn = None
print(json.dumps({"codes": codes, "errors": errors, "total": len(versions), "tail": versions[-50:]}))
PY
loader=$!
sleep 1
req POST "/v3/routes/$hello_route/destinations" "{\"destinations\":[{\"app\":{\"guid\":\"$hello2\"}}]}"
req GET "/v3/routes/$hello_route/destinations?app_guids=$hello"
old_dest=$(j '.destinations[0].guid')
req DELETE "/v3/routes/$hello_route/destinations/$old_dest"
req POST "/v3/apps/$hello/actions/stop"
touch "$work/swapped"
wait "$loader"
jq -e '.errors == 0 and (.codes | keys == ["200"]) and .total > 100 and (.tail | all(. == "2"))' "$work/load.json" >/dev/null && ok ||
  { status=load; cp "$work/load.json" "$work/body"; bad "swap under load lost requests or kept the old version"; }
req POST "/v3/apps/$hello/actions/start"
wait_for 30 GET "/v3/processes/$hello_proc/stats" 'all(.resources[]; .state == "RUNNING")' || bad "hello started again"
req POST "/v3/routes/$hello_route/destinations" "{\"destinations\":[{\"app\":{\"guid\":\"$hello\"}}]}"
req DELETE "/v3/apps/$hello2"

# kill -9 of kato with three apps running; all serve again after a start
push two "$work/hello.zip"
push three "$work/hello.zip"
kill -9 "$(jq -r .pid "$data/kato.json")"
sleep 0.3
"$kato" --data "$data" start --port "$port" >/dev/null || bad "restart after kill -9"
for name in hello two three; do
  ok_app=0
  for _ in $(seq 1 100); do get_app $name; [ "$status" = 200 ] && ok_app=1 && break; sleep 0.2; done
  [ $ok_app = 1 ] && jq -e ".name == \"$name\"" "$work/body" >/dev/null && ok || bad "$name serves again after kill -9"
done
# Processes working under this test's data dir: exactly the 4 desired instances (hello x2,
# two, three), none left from before the kill -9; none at all after `kato stop`.
# (Anchored: the sandbox's bubblewrap processes carry the command in their own command lines.)
ours() { for p in $(pgrep -f "^python3 app.py"); do readlink "/proc/$p/cwd"; done 2>/dev/null | grep -c "^$data/" || true; }
n=$(ours)
[ "$n" -eq 4 ] && ok || bad "instances after the restart: $n, want 4 (orphans left?)"

# Nothing kato started outlives it (issue 19: an app that ignores SIGTERM outlived its kato).
# Its instances die with a kill -9 of kato (their parent-death signal), and `kato stop` waits
# for the grace period it promised instead of killing kato in the middle of it.
mkdir -p "$work/stubborn"
cp "$here/../../examples/hello/app.py" "$work/stubborn/"
printf 'applications:\n- name: stubborn\n  command: trap "" TERM; exec python3 app.py\n' >"$work/stubborn/manifest.yml"
(cd "$work/stubborn" && zip -q "$work/stubborn.zip" app.py manifest.yml)
push stubborn "$work/stubborn.zip"
n=$(ours)
[ "$n" -eq 5 ] && ok || bad "five instances with stubborn: $n"
kill -9 "$(jq -r .pid "$data/kato.json")"
for _ in $(seq 50); do n=$(ours); [ "$n" -eq 0 ] && break; sleep 0.1; done
[ "$n" -eq 0 ] && ok || bad "instances outlived a kill -9 of kato: $n"
kato_up
for _ in $(seq 100); do n=$(ours); [ "$n" -eq 5 ] && break; sleep 0.2; done
[ "$n" -eq 5 ] && ok || bad "the five instances back after the restart: $n"
"$kato" --data "$data" stop >/dev/null 2>"$work/err"
grep -q "killed" "$work/err" && bad "kato stop killed kato during the grace period: $(cat "$work/err")" || ok
n=$(ours)
[ "$n" -eq 0 ] && ok || bad "instances left after kato stop: $n"

# --- rolling deployments (POST /v3/deployments): the app keeps its GUID; its new instances run
# before the old ones stop; a new droplet that crashes is rolled back with the old ones serving
kato_up
push dep "$work/hello.zip"
dep=$app
first=$droplet
req POST "/v3/processes/$proc/actions/scale" '{"instances":2}'
wait_for 30 GET "/v3/processes/$proc/stats" '[.resources[] | select(.state == "RUNNING")] | length == 2' && ok || bad "dep: two instances"
pids() { cat "$data/instances/$dep"/*/pgid 2>/dev/null | sort -n | tr '\n' ' '; }
old_pids=$(pids)
stage_droplet dep "$work/hello.zip"
second=$droplet
deploy() { req POST /v3/deployments "{\"relationships\":{\"app\":{\"data\":{\"guid\":\"$dep\"}}}$1}"; }
deploy ',"strategy":"canary"'
expect 422 '.errors[0].detail | test("rolling strategy only")' "a canary deployment is refused"
deploy ',"revision":{"guid":"x"}'
expect 422 '.errors[0].detail | test("no revisions")' "a revision is refused"
deploy ',"options":{"web_instances":3}'
expect 422 '.errors[0].detail == "Options web_instances is not supported by kato (only max_in_flight)"' "an option kato cannot honour is refused by name"
deploy ",\"droplet\":{\"guid\":\"$first-nope\"}"
expect 422 '.errors[0].detail | test("Ensure the droplet exists and belongs to this app")' "a droplet that is not the app's is refused"
deploy ",\"droplet\":{\"guid\":\"$second\"},\"options\":{\"max_in_flight\":1}"
expect 201 ".status.value == \"ACTIVE\" and .status.reason == \"DEPLOYING\" and .droplet.guid == \"$second\" and .previous_droplet.guid == \"$first\" and .strategy == \"rolling\" and .relationships.app.data.guid == \"$dep\"" "a rolling deployment starts"
deployment=$(j .guid)
wait_for 90 GET "/v3/deployments/$deployment" '.status.value == "FINALIZED"'
expect 200 '.status.reason == "DEPLOYED"' "the deployment is DEPLOYED"
new_pids=$(pids)
check "two new instances" '^[0-9]+ [0-9]+ $' "$new_pids"
[ "$new_pids" != "$old_pids" ] && ok || bad "the instances are new ones ($old_pids -> $new_pids)"
gone=1; for p in $old_pids; do kill -0 "$p" 2>/dev/null && gone=0; done
[ "$gone" = 1 ] && ok || bad "the old instances stopped"
req GET "/v3/apps/$dep/droplets/current"
expect 200 ".guid == \"$second\"" "the app's current droplet is the deployed one"
get_app dep
expect 200 '.name == "dep"' "the app answers after the deployment"
req GET "/v3/deployments?app_guids=$dep&status_values=FINALIZED"
expect 200 ".pagination.total_results == 1 and .resources[0].guid == \"$deployment\"" "deployments listed by app and status"
req POST "/v3/deployments/$deployment/actions/cancel"
expect 422 '.errors[0].title == "CF-DeploymentNotCancelable"' "a finished deployment cannot be canceled"
# a droplet whose instances crash: the deployment is CANCELED, the old instances serve on
mkdir -p "$work/crash"
cp "$here/../../examples/hello/app.py" "$work/crash/"
printf 'applications:\n- name: dep\n  command: exit 3\n' >"$work/crash/manifest.yml"
(cd "$work/crash" && zip -q "$work/crash.zip" app.py manifest.yml)
kept_pids=$(pids)
stage_droplet dep "$work/crash.zip"
deploy ",\"droplet\":{\"guid\":\"$droplet\"}"
crashing=$(j .guid)
wait_for 90 GET "/v3/deployments/$crashing" '.status.value == "FINALIZED"'
expect 200 '.status.reason == "CANCELED" and (.status.details.error | test("crashed"))' "a crashing deployment is CANCELED, saying why"
[ "$(pids)" = "$kept_pids" ] && ok || bad "the instances that served before serve on ($kept_pids, now $(pids))"
req GET "/v3/apps/$dep/droplets/current"
expect 200 ".guid == \"$second\"" "the previous droplet is current again"
get_app dep
expect 200 '.name == "dep"' "the app answers after the rolled-back deployment"
# a stopped app: it starts on the droplet, and the deployment is done at once
req POST "/v3/apps/$dep/actions/stop"
deploy ''
expect 201 '.status.value == "FINALIZED" and .status.reason == "DEPLOYED"' "a deployment of a stopped app is done at once"
req GET "/v3/apps/$dep"
expect 200 '.state == "STARTED"' "and the app is started"

e2e_finish
