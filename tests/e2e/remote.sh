#!/usr/bin/env bash
# stackato run, dbexport and dbshell through kato's exec endpoint: the seed's exact command
# lines from the app's directory, round trips of datasets with binary and non-UTF-8 bytes for
# MySQL, PostgreSQL and Redis (dump, drop, import, compare checksums) with the client's peak RSS,
# exit codes (remote failure, failing import, killed command, broken local pipe, dropped
# connection) and a user of another space refused (404: the app is not there for them).
set -u
stackato=$1
kato=$2
mb=${REMOTE_TEST_MB:-24}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "remote"
at_exit '"$kato" --data "$work/k" stop >/dev/null 2>&1'
source "$here/client_lib.sh"
in_app() { (cd "$work/ct" && "$@"); }
# sql APP SERVICE STATEMENT: a statement through dbshell, its output on stdout
sql() { printf '%s\n' "$3" | "$stackato" dbshell "$1" "$2" 2>&1; }

export KATO_ADMIN_PASSWORD=remote-secret STACKATO_HOME=$work/home
kato_login
cp -r "$here/../../examples/customertracker" "$work/ct"
in_app "$stackato" -n push >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }

# --- the seed's command lines, from the app's directory, APP omitted
in_app "$stackato" run dbexport customerdb >"$work/dumpfile.sql" 2>"$work/out"
rc=$?
[ "$rc" = 0 ] && grep -q "John Doe" "$work/dumpfile.sql" && ok || bad "stackato run dbexport customerdb > dumpfile.sql"
sql customertracker customerdb "DROP TABLE customers;" >/dev/null
in_app "$stackato" dbshell <"$work/dumpfile.sql" >"$work/out" 2>&1
rc=$?
[ "$rc" = 0 ] && ok || bad "stackato dbshell < dumpfile.sql"
[ "$(sql customertracker customerdb 'SELECT COUNT(*) FROM customers;' | tail -1)" = 2 ] && ok || { rc=-; bad "the import restored the table"; }
run 0 "" "run with APP as the first word" -- "$stackato" run customertracker dbexport customerdb
# The command runs in a sandbox like the app's: uid 2000 (Cloud Foundry's vcap), no
# capabilities, and kato's data dir is not there.
run 0 "^2000 0000000000000000 nodata$" "run is sandboxed" -- "$stackato" run customertracker -- sh -c \
  "echo \$(id -u) \$(awk '/^CapEff/ {print \$2}' /proc/self/status) \$(cat '$work/k/kato.db' >/dev/null 2>&1 && echo data || echo nodata)"
run 1 "Service \[nosuch\] is not bound to application \[customertracker\]" "dbexport of an unbound service" -- "$stackato" run customertracker dbexport nosuch

# --- TLS options as every other command takes them (issue 16): with the CA forgotten from the
# saved target, run and dbshell verify against the system's CAs and fail; --cafile,
# --skip-ssl-validation and STACKATO_SKIP_SSL_VALIDATION each work (run read only the saved
# settings before).
cp -r "$STACKATO_HOME" "$work/home-noca"
jq 'map_values(del(.cafile))' "$work/home/token2" >"$work/home-noca/token2"
run 1 "certificate|SSL|TLS|verify" "run without the target's CA fails verification" -- env STACKATO_HOME="$work/home-noca" "$stackato" run customertracker -- echo hi
run 0 "^hi$" "run --cafile" -- env STACKATO_HOME="$work/home-noca" "$stackato" --cafile "$work/k/tls/ca.pem" run customertracker -- echo hi
run 0 "^hi$" "run --skip-ssl-validation" -- env STACKATO_HOME="$work/home-noca" "$stackato" --skip-ssl-validation run customertracker -- echo hi
run 0 "^hi$" "run with STACKATO_SKIP_SSL_VALIDATION" -- env STACKATO_HOME="$work/home-noca" STACKATO_SKIP_SSL_VALIDATION=1 "$stackato" run customertracker -- echo hi
run 0 "^2$" "dbshell --cafile" -- sh -c 'printf "SELECT COUNT(*) FROM customers;\n" | STACKATO_HOME="$1" "$2" --cafile "$3" dbshell customertracker customerdb' _ \
  "$work/home-noca" "$stackato" "$work/k/tls/ca.pem"

# --- round trips: mysql, postgresql, redis; dump, drop, import, compare
"$stackato" create-service postgresql pgdb customertracker >/dev/null 2>&1
"$stackato" create-service redis rdb customertracker --restart >/dev/null 2>&1
run 1 "More than one service found; you must specify" "dbshell with several databases and none named" -- "$stackato" dbshell customertracker
declare -A check=(
  [mysql]="CHECKSUM TABLE big;"
  [postgresql]="SELECT md5(string_agg(id || label || encode(data, 'hex'), ',' ORDER BY id)) FROM big;"
)
for pair in mysql:customerdb postgresql:pgdb redis:rdb; do
  type=${pair%%:*} svc=${pair#*:}
  python3 "$here/tools/dataset.py" "$type" "$mb" >"$work/load-$type"
  "$stackato" dbshell customertracker "$svc" <"$work/load-$type" >"$work/out" 2>&1 && ok || { rc=$?; bad "$type: load $mb MB through dbshell"; }
  if [ "$type" = redis ]; then
    before=$(printf 'DBSIZE\nGET "key:7:\\xff\\xfe"\n' | "$stackato" run customertracker -- sh -c 'dbshell rdb' 2>/dev/null | sha1sum)
  else
    before=$(sql customertracker "$svc" "${check[$type]}" | grep -oE '[0-9a-f]{32}|[0-9]{6,}' | tail -1)
  fi
  /usr/bin/time -o "$work/rss" -f %M "$stackato" run customertracker dbexport "$svc" >"$work/dump-$type" 2>"$work/out"
  rc=$?
  [ "$rc" = 0 ] && [ -s "$work/dump-$type" ] && ok || bad "$type: dbexport"
  rss=$(cat "$work/rss")
  if ldd "$stackato" | grep -q libasan; then
    :  # AddressSanitizer's shadow memory makes RSS meaningless; the Release run checks it
  else
    [ "$rss" -lt 65536 ] && ok || { rc=-; bad "$type: client peak RSS ${rss} KB (want < 64 MB)"; }
  fi
  echo "$type: dump $(($(stat -c %s "$work/dump-$type") / 1048576)) MB, client peak RSS $((rss / 1024)) MB"
  if [ "$type" = redis ]; then
    printf 'FLUSHDB\n' | "$stackato" run customertracker -- sh -c 'dbshell rdb' >/dev/null 2>&1
    "$stackato" dbshell customertracker rdb <"$work/dump-$type" >"$work/out" 2>&1 && ok || { rc=$?; bad "redis: import"; }
    after=$(printf 'DBSIZE\nGET "key:7:\\xff\\xfe"\n' | "$stackato" run customertracker -- sh -c 'dbshell rdb' 2>/dev/null | sha1sum)
  else
    sql customertracker "$svc" "DROP TABLE big;" >/dev/null
    "$stackato" dbshell customertracker "$svc" <"$work/dump-$type" >"$work/out" 2>&1 && ok || { rc=$?; bad "$type: import the dump"; }
    after=$(sql customertracker "$svc" "${check[$type]}" | grep -oE '[0-9a-f]{32}|[0-9]{6,}' | tail -1)
  fi
  [ -n "$before" ] && [ "$before" = "$after" ] && ok || { rc=-; bad "$type: checksums before and after ($before / $after)"; }
done

# --- exit codes
run 7 "^out$" "a failing remote command's status" -- "$stackato" run customertracker -- sh -c 'echo out; exit 7'
printf 'THIS IS NOT SQL;\n' >"$work/broken.sql"
"$stackato" dbshell customertracker customerdb <"$work/broken.sql" >"$work/out" 2>&1
rc=$?
[ "$rc" != 0 ] && grep -q "ERROR" "$work/out" && ok || bad "a failing import"
run 137 "" "a killed remote command: 128 + 9" -- "$stackato" run customertracker -- sh -c 'kill -9 $$'
"$stackato" run customertracker -- seq 1 100000000 | head -1 >"$work/out"
rc=${PIPESTATUS[0]}
[ "$rc" = 141 ] && ok || bad "a broken local pipe ends the command (141)"
sleep 1
pgrep -f "seq 1 100000000" >/dev/null && { rc=-; bad "the remote command still runs after the pipe broke"; } || ok
printf 'hello\nworld\n' | "$stackato" run customertracker -- wc -l >"$work/out" 2>&1
[ "$(tr -d ' ' <"$work/out")" = 2 ] && ok || { rc=-; bad "stdin reaches the command"; }
# kato ignores SIGPIPE (a command that quits without reading its input must not take kato
# down with it), but what it starts gets the default back: `yes | head -1` ends quietly.
head -c 20000000 /dev/zero | "$stackato" run customertracker -- true >"$work/out" 2>&1
kill -0 "$(jq -r .pid "$work/k/kato.json")" 2>/dev/null && ok || bad "kato survives a command that does not read its input"
"$stackato" run customertracker -- sh -c 'yes | head -1' >"$work/out" 2>&1
rc=$?
[ "$rc" = 0 ] && [ "$(cat "$work/out")" = y ] && ok || bad "SIGPIPE has its default action in remote commands"
"$stackato" run customertracker -- sh -c 'cat /proc/$$/status' >"$work/out" 2>&1
ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' "$work/out")
[ -n "$ign" ] && [ $(( 0x$ign & (1 << 12) )) = 0 ] && ok || bad "SIGPIPE is not ignored in remote commands (SigIgn $ign)"

# --- a pty only when asked for: on a terminal by default, never with -T, never in a pipe
timeout 30 script -qec "$stackato run customertracker tty" /dev/null </dev/null >"$work/out" 2>&1
# (In the sandbox the pty is the sandbox's console: bubblewrap binds the terminal there.)
grep -qE "/dev/(pts/|console)" "$work/out" && ! grep -q "not a tty" "$work/out" && ok || { rc=-; bad "a terminal gets a remote pty"; }
timeout 30 script -qec "$stackato run -T customertracker tty" /dev/null </dev/null >"$work/out" 2>&1
grep -q "not a tty" "$work/out" && ok || { rc=-; bad "-T: no pty"; }
run 1 "not a tty" "no pty under a pipe" -- "$stackato" run customertracker tty

# --- a user of another space does not find the app at the endpoint (404, as CAPI hides what a
# caller may not see)
printf 'outsider-pw\n' | "$kato" --data "$work/k" add-user outsider >/dev/null || { rc=-; bad "kato add-user"; }
tok=$(curl -s --cacert "$ca" -H 'Authorization: Basic Y2Y6' -d grant_type=password -d username=outsider -d password=outsider-pw \
  "https://api.localhost:$port/oauth/token" | jq -r .access_token)
guid=$("$stackato" app customertracker --json | jq -r .guid)
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" -H "Authorization: bearer $tok" -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
  -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
  "https://api.localhost:$port/v3/apps/$guid/processes/web/instances/0/exec")
[ "$code" = 404 ] && ok || { rc=-; bad "a user of another space: $code (want 404)"; }
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" -H "Authorization: bearer $KATO_ADMIN_PASSWORD" -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
  -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
  "https://api.localhost:$port/v3/apps/$guid/processes/web/instances/0/exec")
[ "$code" = 401 ] && ok || { rc=-; bad "a bad token: $code (want 401)"; }
STACKATO_HOME=$work/outsider "$stackato" --cafile "$ca" target "https://api.localhost:$port" >/dev/null 2>&1
printf 'outsider-pw\n' | STACKATO_HOME=$work/outsider "$stackato" login outsider --password-stdin >/dev/null 2>&1
STACKATO_HOME=$work/outsider "$stackato" run customertracker true >"$work/out" 2>&1
rc=$?
# (The outsider has no space at all now that lists show only what a user may see: the client
# says so before it looks for the app.)
[ "$rc" != 0 ] && [ "$(wc -l <"$work/out")" = 1 ] && grep -qiE "not found|no space chosen" "$work/out" && ok ||
  bad "the client of a user of another space fails clearly"

# --- --local: a tunnel and the local clients instead of the exec endpoint
run 0 "Dumping customerdb with the local mysqldump through a tunnel" "stackato dbexport SERVICE (local)" -- "$stackato" -n dbexport customerdb --output "$work/local.sql"
grep -q 'CREATE TABLE `customers`' "$work/local.sql" && ok || { rc=-; bad "the local dump has the table"; }
"$stackato" -n dbexport customerdb >"$work/local2.sql" 2>"$work/out"
head -c 200 "$work/local2.sql" | grep -q "MariaDB dump" && ! grep -q "Service connection info" "$work/local2.sql" && ok || { rc=-; bad "a local dump on stdout is only the dump"; }
printf 'SELECT COUNT(*) FROM customers;\n' | "$stackato" -n dbshell --local customertracker customerdb >"$work/out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -qx 2 "$work/out" && grep -q "Using a tunnel and the local client (--local)" "$work/out" && ok || bad "dbshell --local"

# --- a dropped connection (kato killed mid-command) is an error, not a success
"$stackato" run customertracker -- sleep 20 >"$work/out" 2>&1 &
client=$!
sleep 2
kill -9 "$(jq -r .pid "$work/k/kato.json")"
wait "$client"
rc=$?
[ "$rc" = 1 ] && grep -q "lost" "$work/out" && ok || bad "a dropped connection"
# kato again, so that it reaps what the kill left running (apps, database servers) before the
# test's own cleanup stops it
"$kato" --data "$work/k" start --port 0 >/dev/null 2>&1

e2e_finish
