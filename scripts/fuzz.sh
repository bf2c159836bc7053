#!/usr/bin/env bash
# Builds the manifest loader's libFuzzer target with clang and runs it.
# Usage: scripts/fuzz.sh [SECONDS]   (default 600; the seeds are the real-world corpus)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${STACKATO_SHARED:-$here/../shared}
seconds=${1:-600}
bash "$here/scripts/setup.sh" --no-build
cmake -S "$here" -B "$here/build-fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DSTACKATO_FUZZ=ON -DSTACKATO_TESTS=OFF >/dev/null
cmake --build "$here/build-fuzz" --target fuzz_manifest >/dev/null
seeds=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$seeds" "$work"' EXIT
cp "$shared"/corpus/stackato-yml/*.yml "$seeds"/
i=0
while IFS= read -r f; do cp "$f" "$seeds/cli-$i.yml"; i=$((i + 1)); done \
  < <(find "$shared/corpus/stackato-cli-tests/apps" -type f -name '*.yml')
# Crash reproducers are kept in build-fuzz/artifacts/ (a failing run prints the path);
# replay one with: build-fuzz/tests/fuzz/fuzz_manifest build-fuzz/artifacts/crash-...
mkdir -p "$here/build-fuzz/artifacts"
cd "$work"
"$here/build-fuzz/tests/fuzz/fuzz_manifest" -max_total_time="$seconds" -rss_limit_mb=2048 \
  -artifact_prefix="$here/build-fuzz/artifacts/" \
  -timeout=10 -dict="$here/tests/fuzz/dict/manifest.dict" -print_final_stats=1 "$seeds" 2>&1 | tail -25
