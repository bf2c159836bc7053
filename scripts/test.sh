#!/usr/bin/env bash
# Sets up (packages, build) and runs every test: the Release build with warnings as errors,
# then the unit tests again under AddressSanitizer + UBSan. Output ends with ctest's summary.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=$(nproc)

bash "$here/scripts/setup.sh" --build-dir "$here/build"
(cd "$here/build" && ctest --output-on-failure -j "$jobs")

# Sanitizers: a separate tree so that the Release build stays as users get it.
bash "$here/scripts/setup.sh" --build-dir "$here/build-asan" --build-type Debug --sanitize
(cd "$here/build-asan" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j "$jobs")
