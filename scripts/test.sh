#!/usr/bin/env bash
# Sets up (packages, build) and runs every test: a short fuzz run, the Release build with
# warnings as errors, then every test again under AddressSanitizer + UBSan. Output ends with
# ctest's summary.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=$(nproc)
asan_filter=(--label-exclude slow)
if [[ -n ${STACKATO_ASAN_ALL:-} ]]; then asan_filter=(); fi

# A short fuzz run of the manifest loader first (docs/testing.md has the long one), so that
# ctest's summary stays the last thing printed.
# Each stage says when it starts, so that a slow CI run shows where its time went.
stage() { echo "== $(date -u +%H:%M:%S) $*"; }
stage "fuzz smoke: 60 s of the manifest loader under libFuzzer + ASan"
bash "$here/scripts/fuzz.sh" 60

stage "Release build"
bash "$here/scripts/setup.sh" --build-dir "$here/build"
stage "Release tests"
(cd "$here/build" && ctest --output-on-failure -j "$jobs")

# Sanitizers: a separate tree so that the Release build stays as users get it. The suites
# labelled slow (real database servers, load, many pushes) ran above; running them twice would
# put CI past an hour on 2 cores. STACKATO_ASAN_ALL=1 runs them here too.
stage "sanitizer build"
bash "$here/scripts/setup.sh" --build-dir "$here/build-asan" --build-type Debug --sanitize
stage "sanitizer tests"
(cd "$here/build-asan" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   ctest --output-on-failure -j "$jobs" "${asan_filter[@]}")
