#!/usr/bin/env bash
# Data services for real: the seed's customertracker (MySQL + a post-staging Perl preload with
# DBI), then PostgreSQL, MySQL, Redis, filesystem and user-provided instances: create, bind, an app
# writing and reading through its credentials, VCAP_SERVICES read as cfenv does, the *_URL
# variables, kato restarted with the data kept, a database server killed and brought back, the
# filesystem size limit, bad input, unbind and delete (the credentials stop working).
set -u
stackato=$1
kato=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "services"
at_exit '"$kato" --data "$work/k" stop >/dev/null 2>&1; "$kato" --data "$work/k2" stop >/dev/null 2>&1; kill ${extpid:-} 2>/dev/null'
source "$here/client_lib.sh"
get() { curl -s --cacert "$ca" "https://$1.localhost:$port$2"; }
# expect_json DESCRIPTION JQ-EXPRESSION JSON
expect_json() { if jq -e "$2" >/dev/null 2>&1 <<<"$3"; then ok; else rc=-; echo "FAIL: $1: ${3:0:400}"; fails=$((fails + 1)); fi; }

export KATO_ADMIN_PASSWORD=svc-secret STACKATO_HOME=$work/home
kato_login

run 0 "mysql +\| default" "marketplace lists the brokers" -- "$stackato" marketplace
has "filesystem +\| default, small, large" "filesystem plans"

# --- the seed's customertracker: services: mysql: customerdb, post-staging: perl preload.pl
cp -r "$here/../../examples/customertracker" "$work/ct"
run 0 "customertracker is RUNNING" "push customertracker" -- bash -c 'cd "$1" && "$2" -n push' _ "$work/ct" "$stackato"
has "Creating mysql service customerdb" "the manifest's service is created"
has "post-staging: perl preload.pl" "the preload hook ran at staging"
expect_json "the rows the hook loaded are served through the router" \
  '.customers == [{"id":1,"name":"John Doe"},{"id":2,"name":"Sarah Smith"}]' "$(get customertracker /)"
run 0 "customertracker \| 1 \| RUNNING \| customertracker.localhost \| customerdb" "apps shows the service" -- "$stackato" apps

# --- each type: create, bind, write and read through the credentials
mkdir -p "$work/svc"
cp "$here/apps/services/app.py" "$work/svc/"
printf 'name: svcapp\ncommand: python3 app.py\n' >"$work/svc/stackato.yml"
run 0 "svcapp is RUNNING" "push the test app" -- bash -c 'cd "$1" && "$2" -n push' _ "$work/svc" "$stackato"
for t in postgresql mysql redis filesystem; do
  run 0 "Created $t service my$t" "create-service $t" -- "$stackato" create-service "$t" "my$t" svcapp
done
run 0 "Created user-provided service myups" "create-user-provided-service" -- "$stackato" create-user-provided-service myups --credentials '{"uri":"smtp://mail.example","user":"u1"}'
run 0 "Bound myups to svcapp" "bind-service" -- "$stackato" bind-service myups svcapp --restart
run 0 "" "services" -- "$stackato" services
for t in postgresql mysql redis filesystem; do has "my$t +\| $t +\| default +\| svcapp +\| create succeeded" "services lists my$t"; done
env_json=$(get svcapp /env)
# cfenv: VCAP_SERVICES keyed by label, each entry's name, label and credentials
for t in postgresql mysql redis filesystem user-provided; do
  n=my$t
  [ "$t" = user-provided ] && n=myups
  expect_json "VCAP_SERVICES has $t as cfenv reads it" \
    ".VCAP_SERVICES | fromjson | .[\"$t\"][0] | .name == \"$n\" and .label == \"$t\" and (.credentials | type == \"object\") and (.binding_guid | length > 0) and (.instance_guid | length > 0)" "$env_json"
done
for t in postgresql mysql redis; do
  expect_json "$t credentials" ".VCAP_SERVICES | fromjson | .[\"$t\"][0].credentials | (.hostname and .host and .port and .name and .user and .username and .password and (.uri | startswith(\"$([ $t = postgresql ] && echo postgres || echo $t)://\")))" "$env_json"
  expect_json "$t plan and tags" ".VCAP_SERVICES | fromjson | .[\"$t\"][0] | .plan == \"default\" and (.tags | index(\"$t\"))" "$env_json"
done
expect_json "STACKATO_SERVICES keyed by name" '.STACKATO_SERVICES | fromjson | has("mypostgresql") and has("myredis") and has("myups")' "$env_json"
expect_json "no DATABASE_URL with two databases" '.DATABASE_URL == null' "$env_json"
expect_json "MYSQL_URL, POSTGRESQL_URL, REDIS_URL" '(.MYSQL_URL | startswith("mysql://")) and (.POSTGRESQL_URL | startswith("postgres://")) and (.REDIS_URL | startswith("redis://"))' "$env_json"
for t in postgresql mysql redis filesystem; do
  expect_json "write to $t" '.ok == true' "$(get svcapp "/write/my$t/value-$t")"
  expect_json "read from $t" ".value == \"value-$t\"" "$(get svcapp "/read/my$t")"
done

# --- the filesystem limit (100 MB on the default plan) is enforced where kato can mount
if jq -e '.VCAP_SERVICES | fromjson | .filesystem[0].credentials.size_limit_enforced' >/dev/null <<<"$env_json"; then
  expect_json "writing past the filesystem limit fails" '.error | test("No space left")' "$(get svcapp /fill/myfilesystem/120)"
  expect_json "writing within it works" '.result == "wrote 50 MB"' "$(get svcapp /fill/myfilesystem/50)"
else
  echo "NOTE: kato cannot loop-mount here; the filesystem limit is reported but not enforced"
fi

# --- the staging cache: a filesystem service named ${name}-cache
mkdir -p "$work/cached" "$work/toobig"
cp "$work/svc/app.py" "$work/cached/"
cat >"$work/cached/stackato.yml" <<'YML'
name: cached
command: python3 app.py
services:
  ${name}-cache: filesystem
hooks:
  pre-staging: if [ -f "$STACKATO_CACHE_DIR/built" ]; then echo cache-hit; else echo cache-miss; date > "$STACKATO_CACHE_DIR/built"; fi
YML
run 0 "cache-miss" "first push with a staging cache: a miss" -- bash -c 'cd "$1" && "$2" -n push' _ "$work/cached" "$stackato"
has "Creating filesystem service cached-cache" "the cache service is created from \${name}-cache"
has "Saved the staging cache to cached-cache" "the cache is saved after staging"
run 0 "cache-hit" "second push: the cache is used" -- bash -c 'cd "$1" && "$2" -n push' _ "$work/cached" "$stackato"
has "Restored the staging cache from cached-cache \(1 files" "the cache is restored before the hooks"
cp "$work/svc/app.py" "$work/toobig/"
head -c 12000000 /dev/urandom >"$work/toobig/blob.bin"
printf 'name: toobig\ncommand: python3 app.py\nservices:\n  ${name}-cache:\n    type: filesystem\n    plan: small\n' >"$work/toobig/stackato.yml"
run 1 "the app \(11 MB\) is larger than its staging cache service toobig-cache \(limit 10 MB\)" "an app larger than its cache fails, naming the limit" -- bash -c 'cd "$1" && "$2" -n push' _ "$work/toobig" "$stackato"

# --- two apps of one manifest share one service (created once)
mkdir -p "$work/pair/a" "$work/pair/b"
cp "$work/svc/app.py" "$work/pair/a/"
cp "$work/svc/app.py" "$work/pair/b/"
cat >"$work/pair/manifest.yml" <<'YML'
applications:
- name: pair-a
  path: a
  command: python3 app.py
  services:
    shared-kv: redis
- name: pair-b
  path: b
  command: python3 app.py
  services:
    shared-kv: redis
YML
run 0 "pair-b is RUNNING" "two apps sharing a service" -- bash -c 'cd "$1" && "$2" -n push' _ "$work/pair" "$stackato"
[ "$(grep -c "Creating redis service shared-kv" "$work/out")" = 1 ] && ok || { rc=-; bad "the shared service is created once"; }
expect_json "pair-a writes" '.ok == true' "$(get pair-a /write/shared-kv/from-a)"
expect_json "pair-b reads what pair-a wrote" '.value == "from-a"' "$(get pair-b /read/shared-kv)"

# --- a broker that fails mid-create: the instance is marked failed, and the client that made
# it deletes it again (Redis has 63 databases to give; the 64th create fails)
for i in $(seq 1 61); do "$stackato" create-service redis "fill$i" >/dev/null 2>&1 || echo "fill$i failed"; done >"$work/fill.log"
[ ! -s "$work/fill.log" ] && ok || { rc=-; bad "filling redis: $(head -3 "$work/fill.log")"; }
run 1 "Service broker error: redis: all 63 databases are in use" "a broker failure is reported" -- "$stackato" create-service redis one-too-many
run 0 "" "services after the failure" -- "$stackato" services
grep -q "one-too-many" "$work/out" && { rc=-; bad "the failed instance is left behind"; } || ok
run 0 "Deleted service fill61" "a database is freed" -- "$stackato" delete-service fill61
run 0 "Created redis service one-more" "and can be given again" -- "$stackato" create-service redis one-more

# --- bad input
run 1 "Unknown service type 'nosuchdb'" "unknown service type" -- "$stackato" create-service nosuchdb x
run 1 "Unknown plan 'huge' for a redis service; plans: default" "unknown plan" -- "$stackato" create-service redis r2 --plan huge
run 1 "name is taken: myredis" "name clash" -- "$stackato" create-service redis myredis
run 1 "is bound to 1 app\(s\); unbind it first or use --unbind" "deleting a bound service" -- "$stackato" delete-service myredis
run 1 "already bound" "binding twice" -- "$stackato" bind-service myredis svcapp
run 1 "Service 'myredsi' not found; did you mean 'myredis'" "unknown service suggests" -- "$stackato" service myredsi
mkdir -p "$work/clash"
cp "$work/svc/app.py" "$work/clash/"
printf 'name: clash\ncommand: python3 app.py\nservices:\n  myredis: mysql\n' >"$work/clash/stackato.yml"
run 1 'request for a mysql service "myredis" conflicts with a redis service' "push: type conflict (the original's message)" -- bash -c 'cd "$1" && "$2" -n push' _ "$work/clash" "$stackato"

# --- a database server that dies comes back; the data stays
pid=$(cat "$work/k/services/mysql/server.pid")
kill -9 "$pid"
for _ in $(seq 60); do
  v=$(get svcapp /read/mymysql | jq -r .value 2>/dev/null)
  [ "$v" = value-mysql ] && break
  sleep 1
done
[ "$v" = value-mysql ] && ok || { rc=-; bad "mysql killed with -9: kato restarts it and the data is there ($v)"; }
run 0 "mysql: running" "kato status shows the server" -- "$kato" --data "$work/k" status

# --- kato restarted: every instance and its data are kept
"$kato" --data "$work/k" stop >/dev/null
"$kato" --data "$work/k" start --port "$port" >/dev/null || exit 1
# Restaged at once: the build's hook waits for the MySQL server coming up behind kato's start
# (the preload adds its 2 rows again).
run 0 "post-staging: perl preload.pl" "restage right after kato start: the hook finds its database" -- "$stackato" restage customertracker
# The first answer of the app itself (not the router's 502) already finds every service: kato
# starts bound apps once their database servers are back.
for _ in $(seq 120); do [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" "https://svcapp.localhost:$port/env")" = 200 ] && break; sleep 0.5; done
for t in postgresql mysql redis filesystem; do
  expect_json "$t data after a kato restart" ".value == \"value-$t\"" "$(get svcapp "/read/my$t")"
done
for _ in $(seq 60); do get customertracker / | grep -q customers && break; sleep 0.5; done
expect_json "customertracker after a restart and a restage" '.customers | length == 4' "$(get customertracker /)"

# --- an existing server instead of kato's own: a Redis the test runs, named in external.json
rport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$rport" --bind 127.0.0.1 --requirepass ext-admin-pw --save '' --daemonize no >"$work/ext-redis.log" 2>&1 &
extpid=$!
mkdir -p "$work/k2/services"
printf '{"redis": {"host": "127.0.0.1", "port": %s, "admin_password": "ext-admin-pw"}}\n' "$rport" >"$work/k2/services/external.json"
"$kato" --data "$work/k2" start --port 0 >/dev/null || exit 1
t2=https://api.localhost:$(jq -r .port "$work/k2/kato.json")
printf '%s\n' "$KATO_ADMIN_PASSWORD" | "$stackato" --cafile "$work/k2/tls/ca.pem" --target "$t2" login admin --password-stdin >/dev/null 2>&1
run 0 "redis: external \(127.0.0.1:$rport\)" "kato status names the external server" -- "$kato" --data "$work/k2" status
(cd "$work/svc" && "$stackato" -n --target "$t2" push) >"$work/out" 2>&1 && ok || bad "push to the kato with an external redis"
run 0 "Created redis service extr" "create-service on an external redis" -- "$stackato" --target "$t2" create-service redis extr svcapp --restart
p2=$(jq -r .port "$work/k2/kato.json")
v=$(curl -s --cacert "$work/k2/tls/ca.pem" "https://svcapp.localhost:$p2/write/extr/outside" | jq -r .ok)
db=$(curl -s --cacert "$work/k2/tls/ca.pem" "https://svcapp.localhost:$p2/env" | jq -r '.VCAP_SERVICES | fromjson | .redis[0].credentials.name')
[ "$v" = true ] && [ "$(REDISCLI_AUTH=ext-admin-pw redis-cli -p "$rport" -n "$db" GET kv)" = outside ] && ok || { rc=-; bad "the app's data is in the external redis"; }
"$kato" --data "$work/k2" stop >/dev/null 2>&1
kill "$extpid" 2>/dev/null

# --- unbind and delete: the binding's user is gone, then the database
creds=$(jq -r '.VCAP_SERVICES | fromjson | .postgresql[0].credentials.uri' <<<"$env_json")
run 0 "Unbound mypostgresql from svcapp" "unbind-service" -- "$stackato" unbind-service mypostgresql svcapp
psql "$creds" -c 'select 1' >"$work/out" 2>&1 && { rc=-; bad "the unbound user can still log in"; } || ok
run 1 "is not bound to application \[svcapp\]" "unbind twice (the original's message)" -- "$stackato" unbind-service mypostgresql svcapp
run 0 "Deleted service mypostgresql" "delete-service" -- "$stackato" delete-service mypostgresql
run 0 "Deleted service myredis" "delete-service --unbind" -- "$stackato" delete-service --unbind myredis
run 0 "" "services after delete" -- "$stackato" services
grep -qE "mypostgresql|myredis" "$work/out" && { rc=-; bad "deleted services still listed"; } || ok
dbname=$(jq -r '.VCAP_SERVICES | fromjson | .postgresql[0].credentials.name' <<<"$env_json")
psql -X -A -t -h "$work/k/services/postgresql/socket" -p "$(jq -r .postgresql "$work/k/services/ports.json")" -U kato -d postgres \
  -c "select count(*) from pg_database where datname = '$dbname'" >"$work/out" 2>&1
grep -qx 0 "$work/out" && ok || { rc=-; bad "the database is dropped"; }

e2e_finish
