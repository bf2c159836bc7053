#!/usr/bin/env bash
# Dump throughput (MB/s) of the same database, in one run: pg_dump/mysqldump run directly on
# this machine against kato's server (the baseline), `stackato run APP dbexport SVC` (through
# kato's exec endpoint) and `stackato dbexport SVC` (a tunnel and the local client).
# After a warm-up dump, the three paths take turns, 3 rounds; medians. Usage: bench/dump.sh [BUILD_DIR] [MEGABYTES]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mb=${2:-200}
source "$here/bench/lib.sh"
bench_kato "${1:-$here/build}"
mkdir -p "$work/app"
cp "$here/examples/hello/app.py" "$work/app/"
printf 'name: dumper\ncommand: python3 app.py\nservices:\n  my: mysql\n  pg: postgresql\n' >"$work/app/stackato.yml"
(cd "$work/app" && "$stackato" -n push) >/dev/null 2>&1
for t in mysql:my postgresql:pg; do
  python3 "$here/tests/e2e/tools/dataset.py" "${t%%:*}" "$mb" | "$stackato" dbshell dumper "${t#*:}" >/dev/null 2>&1
done
env_json=$("$stackato" curl GET "/v3/apps/$("$stackato" app dumper --json | jq -r .guid)/env")
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >"$work/dump" 2>/dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
echo "| database | path | dump size | median time | MB/s | vs direct |"
echo "|---|---|---|---|---|---|"
for t in mysql:my postgresql:pg; do
  type=${t%%:*} svc=${t#*:}
  c=$(jq -c ".system_env_json.VCAP_SERVICES.$type[0].credentials" <<<"$env_json")
  h=$(jq -r .hostname <<<"$c") p=$(jq -r .port <<<"$c") u=$(jq -r .user <<<"$c") d=$(jq -r .name <<<"$c") pw=$(jq -r .password <<<"$c")
  if [ "$type" = mysql ]; then
    direct=(env MYSQL_PWD="$pw" mysqldump --protocol=TCP --single-transaction --hex-blob -h "$h" -P "$p" -u "$u" "$d")
  else
    direct=(env PGPASSWORD="$pw" pg_dump --no-owner --no-privileges -h "$h" -p "$p" -U "$u" "$d")
  fi
  "${direct[@]}" >/dev/null 2>&1  # warm the server's caches before anything is timed
  declare -A times=()
  for _ in 1 2 3; do  # the paths take turns, so that a noisy moment hits all of them
    times[direct]+=" $(secs "${direct[@]}")"
    times[run]+=" $(secs "$stackato" run dumper dbexport "$svc")"
    times[local]+=" $(secs "$stackato" -n dbexport "$svc")"
  done
  size=$(stat -c %s "$work/dump")
  base=
  for path in direct run local; do
    # shellcheck disable=SC2086
    m=$(median ${times[$path]})
    rate=$(echo "$size / 1048576 / $m" | bc -l)
    base=${base:-$rate}
    printf '| %s | %s | %d MB | %.2f s | %.0f | %.2f |\n' "$type" "$path" $((size / 1048576)) "$m" "$rate" "$(echo "$rate / $base" | bc -l)"
  done
  unset times
done
