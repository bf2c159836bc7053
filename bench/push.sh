#!/usr/bin/env bash
# The client's push pipeline (hash every file, resource matching, zip of what is missing, upload,
# staging) on generated apps of 2,500 files/50 MB and 10,000 files/200 MB: wall time and the
# client's peak RSS, first push and re-push (everything matched). Peak RSS must not grow with
# the app (goal < 64 MB). Then start-up time of `stackato --version` and `stackato targets`
# with hyperfine (goal < 10 ms).
# Usage: bench/push.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$here/bench/lib.sh"
bench_kato "${1:-$here/build}"

make_app() {  # make_app DIR FILES BYTES-EACH: incompressible files, as media and jars are
  mkdir -p "$1/data"
  cp "$here/examples/hello/app.py" "$1/"
  printf 'name: %s\ncommand: python3 app.py\n' "$(basename "$1")" >"$1/stackato.yml"
  python3 - "$1/data" "$2" "$3" <<'PY'
import os, sys
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    sub = os.path.join(d, "d%03d" % (i // 100))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%05d.bin" % i), "wb") as f:
        f.write(os.urandom(size))
PY
}

measure() {  # measure LABEL DIR: one push --no-start, wall seconds and peak RSS
  (cd "$2" && /usr/bin/time -o "$work/time" -f '%e %M' "$stackato" -n push --no-start --no-route >/dev/null 2>"$work/push.err")
  grep -q "is staged" "$work/push.err" || { cat "$work/push.err"; exit 1; }
  read -r secs kb <"$work/time"
  printf '| %-34s | %8s s | %7.1f MB |\n' "$1" "$secs" "$(echo "$kb / 1024" | bc -l)"
}

echo "push pipeline (client wall time includes kato's staging; peak RSS is the client's)"
echo "| app | time | peak RSS |"
echo "|---|---|---|"
make_app "$work/small" 2500 20971
measure "2,500 files, 50 MB: first push" "$work/small"
measure "2,500 files, 50 MB: re-push" "$work/small"
make_app "$work/large" 10000 20971
measure "10,000 files, 200 MB: first push" "$work/large"
measure "10,000 files, 200 MB: re-push" "$work/large"
echo "(the re-pushes upload nothing: every file is matched)"

echo
echo "start-up (hyperfine, median)"
hyperfine -N --warmup 20 --runs 200 --export-json "$work/hf.json" "$stackato --version" "$stackato targets" >/dev/null 2>&1
jq -r '.results[] | "| \(.command | sub(".*/"; "")) | median \(.median * 1000 | . * 100 | round / 100) ms | mean \(.mean * 1000 | . * 100 | round / 100) ms |"' "$work/hf.json"
