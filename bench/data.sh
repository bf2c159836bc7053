#!/usr/bin/env bash
# kato data export and import of MB megabytes of service data (half MySQL, half PostgreSQL,
# binary rows) against the dump tools run directly on the same servers, in one run:
#   export:  mariadb-dump --single-transaction and pg_dump --create to files, one after the other
#            (the baseline: a backup script's way) and both at once (as the export runs them), the
#            same through gzip -1, then kato data export to FILE.tgz (gzip), FILE.tar.zst and
#            FILE.tar, taking turns, 3 rounds; every step starts with the disk synced, so that
#            none pays for the writeback of the one before (the export's own fsync is timed,
#            the tools' files are not synced: in the baseline's favour);
#   import:  the two dumps loaded into a second kato's servers with mysql and psql (the
#            baseline), then kato data import --force of the .tar.zst into it, 2 rounds each;
#   memory:  the export's peak RSS (/usr/bin/time), and kato's own RSS sampled during it.
# Medians. Usage: [ROUNDS=3] bench/data.sh [BUILD_DIR] [MEGABYTES] [export|all]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mb=${2:-1024}
source "$here/bench/lib.sh"
bench_kato "${1:-$here/build}"
a=$work/k
b=$work/b
trap '"$kato" --data "$a" stop >/dev/null 2>&1; "$kato" --data "$b" stop >/dev/null 2>&1; rm -rf "$work"' EXIT
mkdir -p "$work/app"
cp "$here/examples/hello/app.py" "$work/app/"
printf 'name: loaded\ncommand: python3 app.py\nservices:\n  my: mysql\n  pg: postgresql\n' >"$work/app/stackato.yml"
(cd "$work/app" && "$stackato" -n push) >/dev/null 2>&1
for t in mysql:my postgresql:pg; do
  python3 "$here/tests/e2e/tools/dataset.py" "${t%%:*}" $((mb / 2)) | "$stackato" dbshell loaded "${t#*:}" >/dev/null 2>&1
done
data_mb=$(du -sm "$a/services/mysql/data" "$a/services/postgresql/data" | awk '{s += $1} END {print s}')

# The servers' admin connections, as kato's brokers make them.
my_sock=$a/services/mysql/run/mysqld.sock
pg_sock=$a/services/postgresql/socket
pg_port=$(jq -r .postgresql "$a/services/ports.json")
env_json=$("$stackato" curl GET "/v3/apps/$("$stackato" app loaded --json | jq -r .guid)/env")
my_db=$(jq -r '.system_env_json.VCAP_SERVICES.mysql[0].credentials.name' <<<"$env_json")
pg_db=$(jq -r '.system_env_json.VCAP_SERVICES.postgresql[0].credentials.name' <<<"$env_json")
direct() {
  mariadb-dump --no-defaults --protocol=socket --socket="$my_sock" -u root --single-transaction --hex-blob --databases "$my_db" >"$work/my.sql"
  pg_dump -h "$pg_sock" -p "$pg_port" -U kato --create -d "$pg_db" >"$work/pg.sql"
}
direct_at_once() {
  mariadb-dump --no-defaults --protocol=socket --socket="$my_sock" -u root --single-transaction --hex-blob --databases "$my_db" >"$work/my.sql" &
  pg_dump -h "$pg_sock" -p "$pg_port" -U kato --create -d "$pg_db" >"$work/pg.sql"
  wait $!
}
# The same piped through gzip -1, as an operator would compress dumps by hand: what a .tgz costs
# in any case.
direct_gzip() {
  mariadb-dump --no-defaults --protocol=socket --socket="$my_sock" -u root --single-transaction --hex-blob --databases "$my_db" | gzip -1 >"$work/my.sql.gz"
  pg_dump -h "$pg_sock" -p "$pg_port" -U kato --create -d "$pg_db" | gzip -1 >"$work/pg.sql.gz"
}
secs() { local t0 t1; sync; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# peak_rss_kb PID: the highest VmRSS of PID while $work/sampling exists
peak_rss() { local peak=0 r; while [ -e "$work/sampling" ]; do r=$(awk '/VmRSS/ {print $2}' "/proc/$1/status"); [ "$r" -gt "$peak" ] && peak=$r; sleep 0.05; done; echo "$peak"; }

direct  # warm the servers' caches before anything is timed
declare -A t=() rss=() krss=()
kato_pid=$(jq -r .pid "$a/kato.json")
rss_before=$(awk '/VmRSS/ {print $2}' "/proc/$kato_pid/status")
for _ in $(seq "${ROUNDS:-3}"); do
  t[direct]+=" $(secs direct)"
  t[direct_at_once]+=" $(secs direct_at_once)"
  t[direct_gzip]+=" $(secs direct_gzip)"
  for f in tgz tar.zst tar; do
    touch "$work/sampling"
    peak_rss "$kato_pid" >"$work/kato-rss" &
    sampler=$!
    sync
    start=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$work/export-rss" "$kato" --data "$a" data export "$work/x.$f" >/dev/null
    t[$f]+=" $(echo "$(date +%s.%N) - $start" | bc -l)"
    rm "$work/sampling"
    wait "$sampler"
    rss[$f]=$(cat "$work/export-rss") krss[$f]=$(cat "$work/kato-rss")
  done
done
dump_mb=$(($(stat -c %s "$work/my.sql") / 1048576 + $(stat -c %s "$work/pg.sql") / 1048576))
echo "Service data: ${data_mb} MB on disk; dumps ${dump_mb} MB"
echo
echo "| export | archive | median time | dump MB/s | vs the tools | vs the tools at once | export's peak RSS | kato's RSS during it |"
echo "|---|---|---|---|---|---|---|---|"
base=$(median ${t[direct]})
printf '| mariadb-dump + pg_dump to files | %d MB | %.1f s | %.0f | 1.00 | | | |\n' "$dump_mb" "$base" "$(echo "$dump_mb / $base" | bc -l)"
both=$(median ${t[direct_at_once]})
printf '| the same, both at once | %d MB | %.1f s | %.0f | %.2f | 1.00 | | |\n' "$dump_mb" "$both" "$(echo "$dump_mb / $both" | bc -l)" "$(echo "$base / $both" | bc -l)"
m=$(median ${t[direct_gzip]})
printf '| the same piped through gzip -1 | %d MB | %.1f s | %.0f | %.2f | | | |\n' $((($(stat -c %s "$work/my.sql.gz") + $(stat -c %s "$work/pg.sql.gz")) / 1048576)) \
  "$m" "$(echo "$dump_mb / $m" | bc -l)" "$(echo "$base / $m" | bc -l)"
for f in tgz tar.zst tar; do
  m=$(median ${t[$f]})
  printf '| kato data export x.%s | %d MB | %.1f s | %.0f | %.2f | %.2f | %d MB | %+d MB |\n' "$f" $(($(stat -c %s "$work/x.$f") / 1048576)) "$m" \
    "$(echo "$dump_mb / $m" | bc -l)" "$(echo "$base / $m" | bc -l)" "$(echo "$both / $m" | bc -l)" $((rss[$f] / 1024)) $(((krss[$f] - rss_before) / 1024))
done

[ "${3:-all}" = export ] && exit 0

# --- import: the same dumps loaded straight into another kato's servers, versus kato data import
KATO_ADMIN_PASSWORD=bench "$kato" --data "$b" start --port 0 --domain b.localhost >/dev/null
"$kato" --data "$b" data import "$work/x.tar.zst" >/dev/null  # starts B's servers, and a first import
b_my=$b/services/mysql/run/mysqld.sock b_pg=$b/services/postgresql/socket b_pg_port=$(jq -r .postgresql "$b/services/ports.json")
load_direct() {
  mysql --no-defaults --protocol=socket --socket="$b_my" -u root -e "DROP DATABASE IF EXISTS \`$my_db\`"
  psql -X -q -h "$b_pg" -p "$b_pg_port" -U kato -d postgres -c "DROP DATABASE IF EXISTS $pg_db" 2>/dev/null
  mysql --no-defaults --protocol=socket --socket="$b_my" -u root <"$work/my.sql"
  psql -X -q -v ON_ERROR_STOP=1 -h "$b_pg" -p "$b_pg_port" -U kato -d postgres -f "$work/pg.sql" >/dev/null
}
for _ in 1 2; do
  t[load]+=" $(secs load_direct)"
  t[import]+=" $(secs "$kato" --data "$b" data import --force "$work/x.tar.zst")"
done
echo
echo "| import | median time | dump MB/s | vs the tools |"
echo "|---|---|---|---|"
base=$(median ${t[load]})
printf '| mysql + psql loading the dumps | %.1f s | %.0f | 1.00 |\n' "$base" "$(echo "$dump_mb / $base" | bc -l)"
m=$(median ${t[import]})
printf '| kato data import --force x.tar.zst (staging, loading, switch and restart) | %.1f s | %.0f | %.2f |\n' "$m" "$(echo "$dump_mb / $m" | bc -l)" "$(echo "$base / $m" | bc -l)"
