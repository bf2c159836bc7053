#!/usr/bin/env bash
# What kato's sandbox costs (issue 14), measured in one run:
#  1. start-up: fork to exit of a command through kato's own spawn path, with and without
#     bubblewrap, taking turns (bench_sandbox_start);
#  2. the router's throughput to a sandboxed app against the same app unsandboxed: two katos
#     (one started with --no-sandbox), the near-free Beast app pushed to each, wrk through each
#     router for ROUTER_ROUNDS rounds (default 5) taking turns; the median of the per-round
#     ratios.
# Loopback only; every wrk run is bounded in time. Needs root for the sandbox's own uid.
# Usage: bench/sandbox.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
seconds=${2:-5}
rounds=${ROUTER_ROUNDS:-5}
kato=$build/micro/kato

echo "== start-up: 'exec true' and a Python interpreter"
"$build/bench/bench_sandbox_start" 200 "exec true"
"$build/bench/bench_sandbox_start" 50 "exec python3 -c pass"

work=$(mktemp -d)
trap '"$kato" --data "$work/a" stop >/dev/null 2>&1; "$kato" --data "$work/b" stop >/dev/null 2>&1; rm -rf "$work"' EXIT
pass=0
fails=0
source "$here/tests/e2e/lib.sh"
mkdir -p "$work/app"
cp "$build/bench/bench_http_app" "$work/app/"
printf 'applications:\n- name: bench\n  command: ./bench_http_app\n' > "$work/app/manifest.yml"
(cd "$work/app" && zip -q -r "$work/app.zip" .)

# One kato of each kind, the app pushed to both.
declare -A port_of
for kind in sandboxed plain; do
  data=$work/$([ $kind = sandboxed ] && echo a || echo b)
  if [ $kind = plain ]; then kato_up 0 "" --no-sandbox; else kato_up 0; fi
  set +e
  push bench "$work/app.zip"
  set -e
  [ "$fails" -eq 0 ] || { echo "push to the $kind kato failed"; exit 1; }
  port_of[$kind]=$port
done

run() {  # run PORT: requests per second through that kato's router
  wrk -t2 -c100 -d"${seconds}s" -H "Host: bench.localhost" "http://127.0.0.1:$1/" | awk '/Requests\/sec/ {print $2}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "== router throughput, $rounds rounds of ${seconds} s each, taking turns (requests/s)"
ratios=()
for i in $(seq "$rounds"); do
  s=$(run "${port_of[sandboxed]}")
  p=$(run "${port_of[plain]}")
  r=$(awk -v s="$s" -v p="$p" 'BEGIN {printf "%.3f", s / p}')
  ratios+=("$r")
  echo "round $i: sandboxed $s, unsandboxed $p, ratio $r"
done
echo "median ratio sandboxed / unsandboxed: $(printf '%s\n' "${ratios[@]}" | median)"
