#!/usr/bin/env bash
# Builds Release and runs the benchmarks; prints the numbers that docs/benchmarks.md records.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${STACKATO_SHARED:-$here/../shared}
bash "$here/scripts/setup.sh" --build-dir "$here/build" >/dev/null
echo "== manifest: load + normalise the whole stackato.yml corpus"
"$here/build/bench/bench_manifest" "$shared/corpus/stackato-yml" 31
