#!/usr/bin/env bash
# Installs every build, test and benchmark dependency from Debian 12 packages, then
# configures and builds the project. Idempotent: when everything is present it only builds.
# Usage: scripts/setup.sh [--no-build] [--build-dir DIR] [--build-type TYPE] [--sanitize]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir="$here/build"
build_type=Release
do_build=1
sanitize=OFF
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) do_build=0 ;;
    --build-dir) build_dir=$2; shift ;;
    --build-type) build_type=$2; shift ;;
    --sanitize) sanitize=ON ;;
    *) echo "setup.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done

# Grouped by purpose so that the next engineer can see why each is here.
packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  # libraries
  libcurl4-openssl-dev libboost-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libssl-dev catch2 libsqlite3-dev libarchive-dev libseccomp-dev
  # the export's .tgz: gzip blocks compressed on every core (micro/src/backup/gzip_blocks.hpp)
  libdeflate-dev
  # Prometheus's text format for GET /metrics
  prometheus-cpp-dev
  # the sandbox kato runs apps, hooks and remote commands in
  bubblewrap
  # services and their clients (kato brokers, end-to-end tests)
  postgresql postgresql-client mariadb-server mariadb-client redis-server redis-tools
  libdbi-perl libdbd-mysql-perl libjson-perl e2fsprogs
  # the state database's own shell (operators; the schema test)
  sqlite3
  # monitoring: Nagios 4 (the config check), the standard plugins, Prometheus's parser (tests)
  nagios4-core monitoring-plugins-basic python3-prometheus-client
  # Debian packages: building (CPack runs dpkg-shlibdeps) and checking them (lintian, man,
  # systemd-analyze; bash-completion loads the packaged completion)
  dpkg-dev fakeroot lintian man-db systemd bash-completion
  # shells for completion tests, tools for tests and benchmarks
  python3 zip bash zsh fish curl jq unzip openssh-server openssh-client wrk hyperfine procps
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  # Services are started by kato and the test harness, never by the package scripts' defaults
  # at boot; policy-rc.d keeps the postinst scripts from starting them here.
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$do_build" -eq 1 ]; then
  # The sanitizer tree is for tests only: no benchmark programs (their links cost CI minutes).
  bench=ON
  [ "$sanitize" = ON ] && bench=OFF
  cmake -S "$here" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
    -DSTACKATO_SANITIZE="$sanitize" -DSTACKATO_BENCH="$bench" >/dev/null
  cmake --build "$build_dir" --parallel "$(nproc)"
fi
