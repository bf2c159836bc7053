#!/usr/bin/env bash
# Builds the Debian packages `stackato` and `kato` (Release) into build/packages/:
#   bash scripts/package.sh [BUILD_DIR]
# Then: sudo apt install ./build/packages/stackato_*.deb ./build/packages/kato_*.deb
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt")
if [ "$type" != Release ]; then
  echo "package.sh: $build is a $type build; packages are built in Release (give another BUILD_DIR)" >&2
  exit 2
fi
cmake --build "$build"
rm -rf "$build/packages"
(cd "$build" && cpack -G DEB --config CPackConfig.cmake >/dev/null)
rm -rf "$build/packages/_CPack_Packages"
ls "$build"/packages/*.deb
