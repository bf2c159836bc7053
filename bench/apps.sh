#!/usr/bin/env bash
# `stackato apps` in a space of many apps, 50 ms away: requests sent and wall time, this client
# against a baseline client (another build, e.g. the last release's) in the same run.
# The space holds APPS stopped apps (created through the API) and 3 pushed, started ones; a
# loopback proxy (tests/e2e/tcp_proxy.py delay) adds 50 ms to every round trip, as a Cloud
# Foundry in another region would. Goal (issue 16): under 2 s, and a number of requests that
# does not depend on the number of stopped apps.
# Usage: bench/apps.sh [BUILD_DIR] [BASELINE_STACKATO] [APPS]   (BASELINE "" for none)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$here/bench/lib.sh"
bench_kato "${1:-$here/build}"
baseline=${2:-}
apps=${3:-500}

space=$("$stackato" curl GET '/v3/spaces?names=dev' | jq -r '.resources[0].guid')
for i in $(seq -w 1 "$apps"); do
  "$stackato" curl POST /v3/apps -d "{\"name\":\"stopped-$i\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}}}}" >/dev/null
done
for i in 1 2 3; do
  (cd "$here/examples/hello" && "$stackato" -n push "started-$i" >/dev/null 2>&1)
done

python3 "$here/tests/e2e/tcp_proxy.py" "$work/proxy-port" "$port" delay 50 &
proxy=$!
trap 'kill $proxy; "$kato" --data "$work/k" stop >/dev/null 2>&1; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -s "$work/proxy-port" ] && break; sleep 0.1; done
far=https://api.localhost:$(cat "$work/proxy-port")
"$stackato" --cafile "$ca" target "$far" >/dev/null 2>&1
printf 'bench\n' | "$stackato" login admin --password-stdin >/dev/null 2>&1

requests() { "$1" --trace apps 2>&1 >/dev/null | grep -c '^> GET'; }
echo "stackato apps: $apps stopped + 3 started apps, 50 ms per round trip"
echo "| client | requests | median wall time | runs |"
echo "|---|---|---|---|"
row() {  # row LABEL BINARY RUNS
  hyperfine -N --runs "$3" --export-json "$work/h.json" "$2 apps" >/dev/null 2>&1
  printf '| %s | %s | %.2f s | %s |\n' "$1" "$(requests "$2")" "$(jq '.results[0].median' "$work/h.json")" "$3"
}
row "this build" "$stackato" 5
[ -n "$baseline" ] && row "baseline ($baseline)" "$baseline" 3
"$stackato" apps | grep -c 'RUNNING' | sed 's/^/started apps shown RUNNING: /'
