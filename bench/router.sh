#!/usr/bin/env bash
# Requests per second and latency through kato's router versus straight to the app, measured
# in one run with wrk (keep-alive, 100 connections, loopback only, bounded in time).
# Usage: bench/router.sh [BUILD_DIR] [SECONDS]   (BENCH_APP=python: the Python test app instead
# of the near-free Beast app, i.e. a backend that costs what real apps cost)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$here/build}
seconds=${2:-10}
kato=$build/micro/kato
work=$(mktemp -d)
data=$work/data
pass=0
fails=0
trap '"$kato" --data "$data" stop >/dev/null 2>&1; rm -rf "$work"' EXIT
source "$here/tests/e2e/lib.sh"
kato_up

mkdir -p "$work/app"
if [ "${BENCH_APP:-beast}" = python ]; then
  cp "$here/examples/hello/app.py" "$work/app/"
  printf 'applications:\n- name: bench\n  command: python3 app.py\n' > "$work/app/manifest.yml"
else
  cp "$build/bench/bench_http_app" "$work/app/"
  printf 'applications:\n- name: bench\n  command: ./bench_http_app\n' > "$work/app/manifest.yml"
fi
(cd "$work/app" && zip -q -r "$work/app.zip" .)
set +e
push bench "$work/app.zip"
set -e
[ "$fails" -eq 0 ] || { echo "push failed"; exit 1; }
app_port=$(curl -s --cacert "$ca" -H "Authorization: bearer $token" "$api/v3/processes/$proc/stats" | jq -r '.resources[0].instance_ports[0].internal')

run() {  # run LABEL URL [HOST]
  local out
  out=$(wrk -t2 -c100 -d"${seconds}s" --latency ${3:+-H "Host: $3"} "$2")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  printf '%-22s %10s req/s   p50 %8s   p99 %8s\n' "$1" "$rps" "$p50" "$p99"
  echo "$rps"
}
if [ -n "${BENCH_KEEP:-}" ]; then echo "kato on $port, app port $app_port"; sleep "$BENCH_KEEP"; fi
echo "== router (${BENCH_APP:-beast} app): wrk -t2 -c100 -d${seconds}s, keep-alive, loopback"
direct=$(run "direct to the app" "http://127.0.0.1:$app_port/" | tee /dev/stderr | tail -1)
routed=$(run "through the router" "http://127.0.0.1:$port/" "bench.localhost" | tee /dev/stderr | tail -1)
awk -v d="$direct" -v r="$routed" 'BEGIN { printf "ratio router / direct: %.2f (goal: >= 0.50)\n", r / d }'
