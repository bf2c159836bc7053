#!/usr/bin/env bash
# Requests per second and latency through kato's router versus straight to the app, measured
# in one run with wrk (keep-alive, 100 connections, loopback only, bounded in time); the paths
# take turns for ROUTER_ROUNDS rounds (default 3) so that a noisy neighbour slows all alike.
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

# One wrk run: prints "RPS P50 P99" (latencies in ms).
run() {  # run URL [HOST]
  wrk -t2 -c100 -d"${seconds}s" --latency ${2:+-H "Host: $2"} "$1" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 } $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    END { printf "%s %.2f %.2f\n", rps, p50, p99 }'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# nginx, when installed, as a reference proxy in the same run: a mature event-driven proxy
# with kept-alive upstream connections, on the same cores. Not a dependency of the project.
paths=(direct router)
if command -v nginx >/dev/null && [ -z "${BENCH_NO_NGINX:-}" ]; then
  nginx_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$work/nginx"
  cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx;
  upstream app { server 127.0.0.1:$app_port; keepalive 256; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host \$host;
    }
  }
}
NGINX
  nginx -c "$work/nginx/nginx.conf"
  trap '"$kato" --data "$data" stop >/dev/null 2>&1; nginx -c "$work/nginx/nginx.conf" -s stop 2>/dev/null; rm -rf "$work"' EXIT
  paths+=(nginx)
fi
url() { case $1 in direct) echo "http://127.0.0.1:$app_port/";; router) echo "http://127.0.0.1:$port/ bench.localhost";;
        nginx) echo "http://127.0.0.1:$nginx_port/";; esac; }

if [ -n "${BENCH_KEEP:-}" ]; then echo "kato on $port, app port $app_port"; sleep "$BENCH_KEEP"; fi
rounds=${ROUTER_ROUNDS:-3}
echo "== router (${BENCH_APP:-beast} app): wrk -t2 -c100 -d${seconds}s, keep-alive, loopback; ${paths[*]} take turns, $rounds rounds"
declare -A rps p50 p99
for r in $(seq "$rounds"); do
  line="round $r:"
  for p in "${paths[@]}"; do
    read -r rps[$p,$r] p50[$p,$r] p99[$p,$r] < <(run $(url "$p"))
    line+=" $p ${rps[$p,$r]}"
  done
  echo "$line"
done
echo "| path | req/s (median of $rounds) | p50 | p99 | vs direct (median of the per-round ratios) |"
echo "|---|---|---|---|---|"
for p in "${paths[@]}"; do
  m() { local -n a=$1; for r in $(seq "$rounds"); do echo "${a[$p,$r]}"; done | median; }
  ratio=$(for r in $(seq "$rounds"); do echo "${rps[$p,$r]} / ${rps[direct,$r]}" | bc -l; done | median)
  printf '| %s | %.0f | %.2f ms | %.2f ms | %.2f |\n' "$p" "$(m rps)" "$(m p50)" "$(m p99)" "$ratio"
done
ratio=$(for r in $(seq "$rounds"); do echo "${rps[router,$r]} / ${rps[direct,$r]}" | bc -l; done | median)
printf 'ratio router / direct: %.2f (goal: >= 0.50)\n' "$ratio"
