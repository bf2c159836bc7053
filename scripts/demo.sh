#!/usr/bin/env bash
# The main job: set everything up, then show the pipeline end to end on this machine.
#  1. stackato reads the seed's customertracker stackato.yml (the manifest engine).
#  2. kato starts (its own CA, an admin user, org and space) on a free port.
#  3. examples/hello is compiled by the client (`stackato manifest --upload`), zipped and pushed
#     with raw Cloud Foundry V3 calls (`stackato push` is the next issue), staged with its hooks,
#     started, and reached through kato's router at https://hello.localhost:PORT/ with TLS
#     verification against kato's CA; then scaled to two instances, with its logs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$here/scripts/setup.sh" --build-dir "$here/build"
stackato=$here/build/client/stackato
kato=$here/build/micro/kato

echo
echo "\$ stackato manifest --path examples/customertracker"
"$stackato" manifest --path "$here/examples/customertracker"

work=$(mktemp -d)
data=$work/kato
pass=0
fails=0
trap '"$kato" --data "$data" stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
source "$here/tests/e2e/lib.sh"
echo
echo "\$ kato start --data $data --port 0"
kato_up 0 show

echo
echo "\$ stackato manifest --path examples/hello --upload > manifest.yml   # compiled for the stager"
mkdir -p "$work/hello"
cp "$here/examples/hello/app.py" "$work/hello/"
"$stackato" manifest --path "$here/examples/hello" --upload 2>/dev/null | tee "$work/hello/manifest.yml"
(cd "$work/hello" && zip -q -r "$work/hello.zip" .)

echo
echo "== push hello with raw V3 calls: app, package upload, build (hooks), droplet, route, start"
push hello "$work/hello.zip"
# What push will do with the manifest's settings: memory through scale, env through the API.
memory=$("$stackato" manifest --path "$here/examples/hello" --json 2>/dev/null | jq .applications.hello.memory)
req POST "/v3/processes/$proc/actions/scale" "{\"memory_in_mb\":$memory}"
req PATCH "/v3/apps/$app/environment_variables" '{"var":{"APP_VERSION":"demo"}}'
req POST "/v3/apps/$app/actions/restart"
wait_for 30 GET "/v3/processes/$proc/stats" 'all(.resources[]; .state == "RUNNING")'

echo
echo "\$ curl --cacert $ca https://hello.localhost:$port/"
curl -s --cacert "$ca" "https://hello.localhost:$port/" | jq .

echo
echo "== scale to 2 instances; the router alternates between them"
req POST "/v3/processes/$proc/actions/scale" '{"instances":2}'
wait_for 30 GET "/v3/processes/$proc/stats" '(.resources | length == 2) and all(.resources[]; .state == "RUNNING")'
for i in 1 2 3 4; do curl -s --cacert "$ca" "https://hello.localhost:$port/" | jq -c '{index, version}'; done
req GET "/v3/processes/$proc/stats"
jq -r '.resources[] | "instance \(.index): \(.state), \(.usage.mem / 1048576 | floor) MB of \(.mem_quota / 1048576) MB, up \(.uptime) s"' "$work/body"

echo
echo "== the app's log (log-cache): staging, API events, the app, the router"
sleep 0.6
req GET "/api/v1/read/$app?limit=40"
jq -r '.envelopes.batch[] | "\(.tags.source_type)\t\(.log.payload | @base64d)"' "$work/body" | tail -25

echo
"$kato" --data "$data" stop
[ "$fails" -eq 0 ] || { echo "demo: $fails step(s) failed"; exit 1; }
