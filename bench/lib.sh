#!/usr/bin/env bash
# Shared by the client benchmarks: a kato of their own, targeted and logged into.
# bench_kato BUILD_DIR: sets $build (absolute), $stackato, $kato, $work (removed at exit, kato
# stopped), $port, $ca, and STACKATO_HOME.
bench_kato() {
  build=$(cd "$1" && pwd)
  stackato=$build/client/stackato
  kato=$build/micro/kato
  work=$(mktemp -d)
  trap '"$kato" --data "$work/k" stop >/dev/null 2>&1; rm -rf "$work"' EXIT
  export KATO_ADMIN_PASSWORD=bench STACKATO_HOME=$work/home
  "$kato" --data "$work/k" start --port 0 >/dev/null
  port=$(jq -r .port "$work/k/kato.json")
  ca=$work/k/tls/ca.pem
  "$stackato" --cafile "$ca" target "https://api.localhost:$port" >/dev/null 2>&1
  printf 'bench\n' | "$stackato" login admin --password-stdin >/dev/null 2>&1
}
