#!/usr/bin/env bash
# The staging cache: push time of an app whose pre-staging hook does CPU work (2.6 million
# SHA-256 rounds building a 20 MB artifact, standing in for compiling dependencies) unless ${name}-cache has it.
# Three rounds, each with a fresh app and cache: first push (cache empty) versus second push
# (cache filled). Reports medians and their ratio. Usage: bench/staging_cache.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$here/bench/lib.sh"
bench_kato "${1:-$here/build}"
mkdir -p "$work/app"
cp "$here/examples/hello/app.py" "$work/app/"
cat >"$work/app/stackato.yml" <<'YML'
command: python3 app.py
services:
  ${name}-cache: filesystem
hooks:
  pre-staging:
  - if [ -f "$STACKATO_CACHE_DIR/artifact.bin" ]; then cp "$STACKATO_CACHE_DIR/artifact.bin" .; else python3 -c "import hashlib; h = b'seed'; out = open('artifact.bin', 'wb'); [out.write(h := hashlib.sha256(hashlib.sha256(hashlib.sha256(hashlib.sha256(h).digest()).digest()).digest()).digest()) for _ in range(650000)]" && cp artifact.bin "$STACKATO_CACHE_DIR/"; fi
YML
secs() { local t0 t1; t0=$(date +%s.%N); (cd "$work/app" && "$stackato" -n push "$1" --no-start --no-route >/dev/null 2>&1); t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
first=() second=()
for i in 1 2 3; do
  first+=("$(secs "cached$i")")
  second+=("$(secs "cached$i")")
done
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
f=$(median "${first[@]}")
s=$(median "${second[@]}")
printf '| first push (cache empty) | %.2f s |\n| second push (cache filled) | %.2f s |\n| ratio second/first | %.2f |\n' "$f" "$s" "$(echo "$s / $f" | bc -l)"
