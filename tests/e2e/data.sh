#!/usr/bin/env bash
# kato data export|import and kato relocate (issue 17), with real servers: kato A runs the seed's
# customertracker (MySQL rows), an app with two instances, two routes and an env var bound to
# PostgreSQL, MySQL, Redis and filesystem instances full of rows, keys and files, and a space
# developer. A is exported under constant load (0 failed requests); the archive goes into kato B
# (other data dir, port, domain and admin password) and, pulled over A's API, into kato C. On
# both every app runs with its routes under the new domain, the data is identical (digests), the
# developer logs in, and the credentials A's app held work against B's servers. Then: kill -9 of
# an export (no FILE) and of an import (B as before), a flipped byte (refused, naming the
# member), --keep, refusals; kato relocate of all three parts with a kill -9 midway.
set -u
stackato=$1
kato=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "data export/import/relocate"
source "$here/client_lib.sh"
at_exit 'kill ${loader:-} 2>/dev/null; rm -rf /dev/shm/kato-data-e2e.$$'

export STACKATO_HOME=$work/home
# expect_json DESCRIPTION JQ-EXPRESSION JSON
expect_json() { if jq -e "$2" >/dev/null 2>&1 <<<"$3"; then ok; else echo "FAIL: $1: ${3:0:400}"; fails=$((fails + 1)); fi; }
get() { curl -s --cacert "$2/tls/ca.pem" "https://$1:$(jq -r .port "$2/kato.json")$3"; }
# login_to DATA USER PASSWORD: the client targets that kato and logs in
login_to() {
  "$stackato" --cafile "$1/tls/ca.pem" target "https://api.$(jq -r .domain "$1/kato.json"):$(jq -r .port "$1/kato.json")" >/dev/null 2>&1 &&
    printf '%s\n' "$3" | "$stackato" login "$2" --password-stdin >/dev/null 2>&1
}
a=$work/a
b=$work/b
c=$work/c

# --- kato A: the apps, their services, a developer
KATO_ADMIN_PASSWORD=a-secret kato_start "$a"
login_to "$a" admin a-secret || { echo "FAIL: login to A"; exit 1; }
printf 'dev-password\n' | "$kato" --data "$a" add-user developer --space dev >/dev/null || bad "add-user on A"
cp -r "$here/../../examples/customertracker" "$work/ct"
run 0 "customertracker is RUNNING" "push customertracker" -- bash -c 'cd "$1" && "$2" -n push' _ "$work/ct" "$stackato"
mkdir -p "$work/svc"
cp "$here/apps/services/app.py" "$work/svc/"
printf 'name: svcapp\ncommand: python3 app.py\ninstances: 2\nenv:\n  GREETING: from-a\n' >"$work/svc/stackato.yml"
run 0 "svcapp is RUNNING" "push svcapp" -- bash -c 'cd "$1" && "$2" -n push' _ "$work/svc" "$stackato"
for t in postgresql mysql redis filesystem; do
  run 0 "Created $t service my$t" "create-service $t on A" -- "$stackato" create-service "$t" "my$t" svcapp
done
run 0 "" "map a second route" -- "$stackato" map svcapp svcapp-alt.localhost
run 0 "" "restart svcapp with its services" -- "$stackato" restart svcapp
declare -A digest
for t in postgresql mysql redis filesystem; do
  expect_json "rows into $t on A" '.result == "wrote 1500"' "$(get svcapp.localhost "$a" "/rows/my$t/1500")"
  digest[$t]=$(get svcapp.localhost "$a" "/digest/my$t")
  expect_json "digest of $t on A" '.count == 1500' "${digest[$t]}"
done
env_a=$(get svcapp.localhost "$a" /env)
customers_a=$(get customertracker.localhost "$a" /)
expect_json "customertracker serves its rows on A" '.customers | length == 2' "$customers_a"

# --- export under load: not one request fails
rm -f "$work/stop"
python3 "$here/tools/load.py" svcapp.localhost "$(jq -r .port "$a/kato.json")" "$a/tls/ca.pem" 4 300 "$work/stop" "$work/load.log" &
loader=$!
sleep 1
run 0 "^Exported 2 apps and 5 service instances \([0-9]+ MB of data\) to $work/x.tgz" "kato data export FILE" -- \
  "$kato" --data "$a" data export "$work/x.tgz"
touch "$work/stop"
wait "$loader"
total=$(wc -l <"$work/load.log")
failed=$(grep -vc " 200 " "$work/load.log")
echo "export under load: $total requests, $failed failed"
[ "$total" -gt 20 ] && [ "$failed" = 0 ] && ok || bad "no request fails during the export ($failed of $total)"
[ "$(stat -c %a "$work/x.tgz")" = 600 ] && ok || bad "the export is 0600"
tar tzf "$work/x.tgz" >"$work/members" 2>&1 && ok || bad "the export is a tgz"
check "members" "^kato-export.json$" "$(head -1 "$work/members")"
for m in '^state/kato.db$' '^blobs/droplets/' '^blobs/packages/' '^services/mysql/.*/data.sql.part00000$' '^services/mysql/.*/users.sql$' \
  '^services/postgresql/.*/roles.sql$' '^services/postgresql/.*/data.sql.part00000$' '^services/redis/server/dump.rdb.part00000$' \
  '^services/redis/.*/users.acl$' '^services/filesystem/.*/files/big/7$'; do
  grep -qE "$m" "$work/members" && ok || bad "the export has a member $m"
done
check "the manifest is last" "^manifest.json$" "$(tail -1 "$work/members")"
manifest=$(tar xzf "$work/x.tgz" -O manifest.json)
expect_json "the manifest: format, version, domain, each member's size and SHA-256" \
  '.format == 1 and (.kato_version | length > 0) and .domain == "localhost" and (.members["state/kato.db"] | (.size > 0) and (.sha256 | length == 64))' "$manifest"

# stdout, for a pipe: nothing else on it
"$kato" --data "$a" data export - >"$work/y.tgz" 2>"$work/err"
[ $? = 0 ] && tar tzf "$work/y.tgz" | grep -q '^manifest.json$' && ok || bad "export - writes only the archive on stdout"
check "export -: the summary on stderr" "^Exported 2 apps" "$(cat "$work/err")"
run 2 "refusing to write an archive to a terminal" "export - to a terminal" -- script -qec "$kato --data $a data export -" /dev/null

run 0 "kato is a single node: --cluster exports this node" "export --cluster" -- "$kato" --data "$a" data export --cluster "$work/cluster.tgz"
has "^Exported 2 apps" "export --cluster exports"
# A progress line on a terminal only.
script -qec "$kato --data $a data export $work/tty.tgz" /dev/null >"$work/out" 2>&1
has "Exporting: [0-9]+ MB" "a progress line on a terminal"
run 0 "^Exported" "export without a terminal" -- "$kato" --data "$a" data export "$work/quiet.tgz"
hasnt "Exporting: " "no progress line without a terminal"
# zstd by the name, or --compress
run 0 "^Exported" "export to .tar.zst" -- "$kato" --data "$a" data export "$work/x.tar.zst"
check "a .tar.zst is zstd (its magic number)" "^28b52ffd$" "$(head -c 4 "$work/x.tar.zst" | od -An -tx1 | tr -d ' \n')"
run 0 "^Exported" "export --only-this-node --compress none" -- "$kato" --data "$a" data export --only-this-node --compress none "$work/plain.tgz"
tar tf "$work/plain.tgz" 2>/dev/null | grep -q '^manifest.json$' && ! gzip -t "$work/plain.tgz" 2>/dev/null && ok || bad "--compress none writes a plain tar whatever the name"
run 2 "compress" "--compress takes gzip, zstd or none" -- "$kato" --data "$a" data export --compress lzma "$work/bad.tgz"

# --keep: older exports of the same pattern go, the newest N stay
mkdir -p "$work/keep"
for d in 20260101-030000 20260102-030000 20260103-030000; do
  cp "$work/y.tgz" "$work/keep/kato-export-$d.tgz"
  touch -d "${d:0:8} ${d:9:2}:00" "$work/keep/kato-export-$d.tgz"
done
touch "$work/keep/other.tgz"
run 0 "Deleted the older export .*kato-export-20260102-030000.tgz" "export --keep 2" -- \
  bash -c 'cd "$1" && "$2" --data "$3" data export --keep 2' _ "$work/keep" "$kato" "$a"
[ "$(ls "$work/keep" | grep -c '^kato-export-')" = 2 ] && [ -f "$work/keep/kato-export-20260103-030000.tgz" ] && [ -f "$work/keep/other.tgz" ] &&
  ok || bad "--keep 2 leaves the two newest and other files ($(ls "$work/keep" | tr '\n' ' '))"

# kill -9 midway: no FILE, and the next export removes what the killed one left
"$kato" --data "$a" data export "$work/killed.tgz" >/dev/null 2>&1 &
victim=$!
for _ in $(seq 100); do [ -n "$(ls -A "$work" | grep '^\.killed.tgz.partial-')" ] && break; sleep 0.05; done
kill -9 "$victim"
wait "$victim" 2>/dev/null
[ ! -e "$work/killed.tgz" ] && ok || bad "an export killed with -9 leaves no FILE"
run 0 "^Exported" "export again after the kill" -- "$kato" --data "$a" data export "$work/killed.tgz"
[ -z "$(ls -A "$work" | grep '^\.killed.tgz.partial-')" ] && ok || bad "the killed export's partial file is removed"

# A dump that fails (its database dropped behind kato's back): one line naming the instance,
# exit 1, no FILE (the dumps running beside it are stopped: streams_test.cpp).
my_root() { mysql --no-defaults --protocol=socket --socket="$a/services/mysql/run/mysqld.sock" -u root -N "$@"; }
before=$(my_root -e 'SHOW DATABASES')
run 0 "Created mysql service doomed" "create-service mysql doomed" -- "$stackato" create-service mysql doomed
doomed_db=$(comm -13 <(sort <<<"$before") <(my_root -e 'SHOW DATABASES' | sort))
[ -n "$doomed_db" ] && my_root -e "DROP DATABASE \`$doomed_db\`" && ok || bad "drop doomed's database"
run 1 "^kato: .*mariadb-dump failed for service instance doomed \(mysql\)" "a failed dump is one line naming the instance" -- \
  "$kato" --data "$a" data export "$work/failed.tgz"
[ "$(wc -l <"$work/out")" = 1 ] && ok || bad "a failed dump: one line ($(cat "$work/out"))"
[ ! -e "$work/failed.tgz" ] && [ -z "$(ls -A "$work" | grep '^\.failed.tgz.partial-')" ] && ok || bad "a failed export leaves no FILE"
run 0 "" "delete-service doomed" -- "$stackato" delete-service doomed

# --- import into kato B: another domain, port, data dir, admin
KATO_ADMIN_PASSWORD=b-secret kato_start "$b" --domain b.localhost
cp "$work/x.tgz" "$work/flipped.tgz"
size=$(stat -c %s "$work/flipped.tgz")
printf '\xff' | dd of="$work/flipped.tgz" bs=1 seek=$((size * 3 / 4)) conv=notrunc 2>/dev/null
run 1 "member " "a flipped byte is refused, naming the member" -- "$kato" --data "$b" data import "$work/flipped.tgz"
hasnt "Imported" "nothing imported from the flipped archive"
[ ! -e "$b/import.staging" ] && ok || bad "a refused import leaves no staging dir"
head -c $((size / 2)) "$work/x.tgz" >"$work/half.tgz"
run 1 "damaged|truncated|ends before" "a truncated archive is refused" -- "$kato" --data "$b" data import "$work/half.tgz"
run 1 "no such file" "a missing file" -- "$kato" --data "$b" data import "$work/nothing.tgz"
# A newer kato's state (its schema version), in an archive whose checksums are right: refused
# before anything changes (this kato would not start with it).
# with_state NAME SQL: x.tgz with SQL run on its state, its manifest's checksum made right again
with_state() {
  rm -rf "$work/$1" && mkdir "$work/$1" && tar -C "$work/$1" -xzf "$work/x.tgz"
  sqlite3 "$work/$1/state/kato.db" "$2"
  jq --arg s "$(sha256sum <"$work/$1/state/kato.db" | cut -d' ' -f1)" --argjson n "$(stat -c %s "$work/$1/state/kato.db")" \
    '.members["state/kato.db"].sha256 = $s | .members["state/kato.db"].size = $n' "$work/$1/manifest.json" >"$work/m"
  mv "$work/m" "$work/$1/manifest.json"
  (cd "$work/$1" && { echo kato-export.json; jq -r '.members | keys[]' manifest.json | grep -vx kato-export.json; echo manifest.json; } >../list &&
    tar --no-recursion -czf "../$1.tgz" -T ../list)
}
with_state newer "INSERT OR REPLACE INTO settings VALUES ('schema_version', '99')"
run 1 "newer kato.*upgrade kato first" "the state of a newer kato is refused" -- "$kato" --data "$b" data import "$work/newer.tgz"
# Names from the archive never become paths or SQL of another shape.
with_state hostile "UPDATE resources SET doc = json_set(doc, '$.guid', '../../../../tmp/x') WHERE type = 'service_instance'"
run 1 "its guid is not one of kato's" "an instance guid that is a path is refused" -- "$kato" --data "$b" data import "$work/hostile.tgz"
with_state hostile "UPDATE resources SET doc = json_set(doc, '$._data.database', 'x\`; DROP DATABASE mysql; --') WHERE type = 'service_instance' AND doc LIKE '%\"_label\":\"mysql\"%'"
run 1 "the database .* is not a name kato makes" "a database name that is SQL is refused" -- "$kato" --data "$b" data import "$work/hostile.tgz"

run 0 "^Imported 2 apps, 5 service instances and 2 users from localhost .*now under b.localhost" "kato data import FILE" -- \
  "$kato" --data "$b" data import "$work/x.tgz"
[ "$(jq -r .domain "$b/kato.json")" = b.localhost ] && ok || bad "B keeps its domain"
# check_imported DATA DOMAIN ADMIN-PASSWORD [CUSTOMERS]: every app runs with its routes under
# DOMAIN, the data is A's (customertracker's preload hook adds its 2 rows again when restaged)
check_imported() {
  local d=$1 dom=$2 t customers=${4:-2}
  for _ in $(seq 120); do
    [ "$(get svcapp.$dom "$d" /env | jq -r '.VCAP_SERVICES // empty' 2>/dev/null)" != "" ] &&
      get customertracker.$dom "$d" / | grep -q customers && break
    sleep 1
  done
  expect_json "$dom: customertracker's rows" ".customers | length == $customers" "$(get customertracker.$dom "$d" /)"
  expect_json "$dom: the second route answers" '.app == "services"' "$(get svcapp-alt.$dom "$d" /)"
  for t in postgresql mysql redis filesystem; do
    check "$dom: $t holds the same data" "^${digest[$t]}$" "$(get svcapp.$dom "$d" "/digest/my$t")"
  done
  login_to "$d" admin "$3" && ok || bad "$dom: the admin logs in with this kato's password"
  run 0 "svcapp +\| 2 +\| RUNNING" "$dom: svcapp runs 2 instances" -- "$stackato" apps
  has "svcapp.$dom" "$dom: its route is under the new domain"
  run 0 "GREETING +\| from-a" "$dom: its env" -- "$stackato" env svcapp
  login_to "$d" developer dev-password && ok || bad "$dom: the space developer logs in with A's password"
}
check_imported "$b" b.localhost b-secret
env_b=$(get svcapp.b.localhost "$b" /env)
# The credentials A's app held (user, password, database) work against B's servers.
for t in mysql postgresql redis; do
  creds_a=$(jq -r ".VCAP_SERVICES | fromjson | .[\"$t\"][0].credentials" <<<"$env_a")
  port_b=$(jq -r ".VCAP_SERVICES | fromjson | .[\"$t\"][0].credentials.port" <<<"$env_b")
  user=$(jq -r .user <<<"$creds_a") pw=$(jq -r .password <<<"$creds_a") name=$(jq -r .name <<<"$creds_a")
  case $t in
  mysql) out=$(MYSQL_PWD=$pw mysql -N -h 127.0.0.1 -P "$port_b" -u "$user" "$name" -e "SELECT COUNT(*) FROM big" 2>&1) ;;
  postgresql) out=$(PGPASSWORD=$pw psql -X -A -t -h 127.0.0.1 -p "$port_b" -U "$user" "$name" -c "SELECT count(*) FROM big" 2>&1) ;;
  redis) out=$(REDISCLI_AUTH=$pw redis-cli -h 127.0.0.1 -p "$port_b" --user "$user" -n "$name" GET 'big:7 "x"' 2>&1) ;;
  esac
  check "A's $t credentials work against B's server" "^(1500|row 7: .*)$" "$out"
done
expect_json "VCAP_SERVICES on B names B's servers" \
  "(.VCAP_SERVICES | fromjson | .mysql[0].credentials.port) == $(jq '.mysql' "$b/services/ports.json")" "$env_b"

# A second import without --force is refused; B is left as it is
run 1 "already has 2 apps; --force replaces them" "import into a kato with apps" -- "$kato" --data "$b" data import "$work/x.tgz"

# kill -9 of an import midway (while it stages): B serves on, its state as before
# (its resources: app logs are written all the time)
b_state() { sqlite3 "$b/kato.db" "SELECT type, guid, doc FROM resources WHERE type IN ('app', 'route', 'domain', 'service_instance', 'binding', 'user', 'role') ORDER BY type, guid" | sha256sum; }
state_before=$(b_state)
"$kato" --data "$b" data import --force "$work/x.tgz" >/dev/null 2>&1 &
victim=$!
for _ in $(seq 200); do [ -d "$b/import.staging/blobs" ] && break; sleep 0.05; done
kill -9 "$victim"
wait "$victim" 2>/dev/null
[ "$(b_state)" = "$state_before" ] && ok ||
  bad "an import killed with -9 leaves the state as it was"
check "B still serves after the killed import" "^${digest[redis]}$" "$(get svcapp.b.localhost "$b" /digest/myredis)"
run 0 "^Imported 2 apps, 5 service instances" "import --force over the killed one, from stdin, with --restage" -- \
  bash -c '"$1" --data "$2" data import --force --restage --only-this-node - <"$3"' _ "$kato" "$b" "$work/x.tar.zst"
has "^Restaged 2 apps" "--restage restages every app"
# The Redis instance was restored beside its earlier copy (its index was taken): the old one is freed.
check "B's Redis keeps one database per instance after --force" "^1$" "$(jq length "$b/services/redis/dbs.json")"
[ ! -e "$b/import.staging" ] && ok || bad "the killed import's staging dir is gone"
# Restaged on B: customertracker's post-staging hook ran again, against B's MySQL.
check_imported "$b" b.localhost b-secret 4

# --- remote import: kato C pulls A's export over A's API (admin password, CA verified)
KATO_ADMIN_PASSWORD=c-secret kato_start "$c" --domain c.localhost
a_api=https://api.localhost:$(jq -r .port "$a/kato.json")
printf 'wrong\n' >"$work/wrong-pw"
run 1 "admin password is not accepted" "remote import with a wrong password" -- \
  "$kato" --data "$c" data import "$a_api" --password-file "$work/wrong-pw" --cafile "$a/tls/ca.pem"
run 1 "certificate|SSL" "remote import without A's CA: TLS verified" -- \
  bash -c 'printf "a-secret\n" | "$1" --data "$2" data import "$3"' _ "$kato" "$c" "$a_api"
printf 'a-secret\n' >"$work/a-pw"
run 0 "^Imported 2 apps, 5 service instances and 2 users from localhost .*now under c2.localhost" "kato data import https://api.A --domain NEW (password file)" -- \
  "$kato" --data "$c" data import --cluster "$a_api" --password-file "$work/a-pw" --cafile "$a/tls/ca.pem" --domain c2.localhost
has "kato is a single node: --cluster imports into this node" "import --cluster says what it means"
[ "$(jq -r .domain "$c/kato.json")" = c2.localhost ] && ok || bad "--domain NEW: kato runs with the new domain"
check_imported "$c" c2.localhost c-secret
# The export endpoint is the admin's only.
tok=$(curl -s --cacert "$a/tls/ca.pem" -u cf: -d grant_type=password -d username=developer -d password=dev-password "$a_api/oauth/token" | jq -r .access_token)
check "GET /v2/kato/export: 403 for a developer" "^403$" "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$a/tls/ca.pem" -H "Authorization: bearer $tok" "$a_api/v2/kato/export")"
check "GET /v2/kato/export: 401 without a token" "^401$" "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$a/tls/ca.pem" "$a_api/v2/kato/export")"

# --- kato relocate: all three parts of A, kato stopped; a kill -9 midway, rerun
run 1 "kato is running: stop it first" "relocate a running kato" -- "$kato" --data "$a" relocate services "$work/r-services"
"$kato" --data "$a" stop >/dev/null
# A stopped kato exports too: its servers are started for the export and stopped after it.
run 0 "^Exported 2 apps and 5 service instances" "export of a stopped kato" -- "$kato" --data "$a" data export "$work/stopped.tgz"
tar tzf "$work/stopped.tgz" | grep -qE '^services/postgresql/.*/data.sql.part00000$' && ok || bad "the stopped kato's export has the dumps"
pgrep -f "$a/services/(mysql|postgresql|redis)/" >/dev/null && bad "the export stops the servers it started" || ok
run 0 "services is now at $work/r-services" "relocate services (same filesystem)" -- "$kato" --data "$a" relocate services "$work/r-services"
other=/dev/shm/kato-data-e2e.$$
mkdir -p "$other"
run 0 "containers is now at $other/containers" "relocate containers (another filesystem)" -- "$kato" --data "$a" relocate containers "$other/containers"
has "Copied .* and compared it" "a copy across filesystems is compared"
has "tmpfs" "a tmpfs is warned about"
# droplets: a large enough blob store that the copy can be killed midway
dd if=/dev/urandom of="$a/blobs/ballast" bs=1M count=300 status=none
"$kato" --data "$a" relocate droplets "$other/droplets" >/dev/null 2>&1 &
victim=$!
for _ in $(seq 200); do [ -d "$other/droplets.partial" ] && break; sleep 0.02; done
kill -9 "$victim"
wait "$victim" 2>/dev/null
[ -f "$a/relocate.json" ] && ok || bad "a killed relocation leaves its journal"
[ -d "$a/blobs" ] && [ ! -L "$a/blobs" ] && [ -f "$a/blobs/ballast" ] && ok || bad "the original is whole after the kill"
run 1 "relocation of droplets was interrupted" "another relocation waits for the interrupted one" -- "$kato" --data "$a" relocate services "$work/r2"
run 0 "droplets is now at $other/droplets" "relocate droplets again: finished" -- "$kato" --data "$a" relocate droplets "$other/droplets"
has "Resuming the interrupted relocation" "the rerun says it resumes"
[ -L "$a/blobs" ] && [ -L "$a/services" ] && [ -L "$a/instances" ] && [ ! -e "$a/relocate.json" ] && [ ! -e "$other/droplets.partial" ] &&
  ok || bad "all three parts are links to their new places"
cmp -s "$a/blobs/ballast" "$other/droplets/ballast" && ok || bad "the blob store moved whole"
rm -f "$other/droplets/ballast"
"$kato" --data "$a" start --port 0 >/dev/null || bad "kato starts after the relocation"
for _ in $(seq 120); do get svcapp.localhost "$a" /digest/mypostgresql | grep -q count && get customertracker.localhost "$a" / | grep -q customers && break; sleep 1; done
for t in postgresql mysql redis filesystem; do
  check "after the relocation: $t holds its data on A" "^${digest[$t]}$" "$(get svcapp.localhost "$a" "/digest/my$t")"
done
expect_json "after the relocation: customertracker" '.customers | length == 2' "$(get customertracker.localhost "$a" /)"
check "the servers' files are in the new place" "mysql" "$(ls "$work/r-services")"
# An export of the relocated kato follows the links (the blob store and volumes are there).
run 0 "^Exported 2 apps and 5 service instances" "export after the relocation" -- "$kato" --data "$a" data export "$work/after.tgz"
tar tzf "$work/after.tgz" >"$work/members"
for m in '^blobs/droplets/.' '^blobs/packages/.' '^services/filesystem/.*/files/big/7$' '^services/mysql/.*/data.sql.part00000$'; do
  grep -qE "$m" "$work/members" && ok || bad "the export after the relocation has $m"
done

e2e_finish
