#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs them: the manifest loader (seeded with the
# real-world corpus) and kato's zip reader (seeded with small zips made here).
# Usage: scripts/fuzz.sh [SECONDS]   (default 600 for the loader; the zip reader gets a quarter)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${STACKATO_SHARED:-$here/../shared}
seconds=${1:-600}
bash "$here/scripts/setup.sh" --no-build
cmake -S "$here" -B "$here/build-fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DSTACKATO_FUZZ=ON -DSTACKATO_TESTS=OFF >/dev/null
cmake --build "$here/build-fuzz" --target fuzz_manifest fuzz_zip >/dev/null
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

zips=$(mktemp -d)
trap 'rm -rf "$seeds" "$work" "$zips"' EXIT
python3 - "$zips" <<'PY'
import sys, zipfile, os
d = sys.argv[1]
with zipfile.ZipFile(os.path.join(d, "plain.zip"), "w") as z:
    z.writestr("app.py", "print(1)\n")
    z.writestr("dir/", "")
    z.writestr("dir/f.txt", "x" * 100)
with zipfile.ZipFile(os.path.join(d, "link.zip"), "w") as z:
    info = zipfile.ZipInfo("l")
    info.external_attr = (0o120777 << 16)
    z.writestr(info, "dir/f.txt")
with zipfile.ZipFile(os.path.join(d, "deflate.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("a/b/c.txt", "hello " * 50)
PY
"$here/build-fuzz/tests/fuzz/fuzz_zip" -max_total_time="$(( seconds / 4 > 15 ? seconds / 4 : 15 ))" -rss_limit_mb=2048 \
  -timeout=10 -artifact_prefix="$here/build-fuzz/artifacts/" -print_final_stats=1 "$zips" 2>&1 | tail -8
