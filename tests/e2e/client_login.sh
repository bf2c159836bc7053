#!/usr/bin/env bash
# The client against two real katos: target (TLS verified with --cafile, plain http refused),
# login with the password on stdin, targets, orgs/spaces, --target and STACKATO_TARGET for one
# command, tokens kept per target, refresh after expiry, a redacted --trace, file modes, logout.
set -u
stackato=$1
kato=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "client login"
at_exit '"$kato" --data "$work/k1" stop >/dev/null 2>&1; "$kato" --data "$work/k2" stop >/dev/null 2>&1'
source "$here/client_lib.sh"

export KATO_ADMIN_PASSWORD=client-secret-1
"$kato" --data "$work/k1" start --port 0 >/dev/null || exit 1
export KATO_ADMIN_PASSWORD=client-secret-2
"$kato" --data "$work/k2" start --port 0 --token-ttl 2 >/dev/null || exit 1
unset KATO_ADMIN_PASSWORD
p1=$(jq -r .port "$work/k1/kato.json")
p2=$(jq -r .port "$work/k2/kato.json")
t1=https://api.localhost:$p1
t2=https://api.localhost:$p2
export STACKATO_HOME=$work/home

run 1 'TLS verification failed .*--cafile' "TLS is verified" -- "$stackato" target "$t1"
run 2 "refusing plain http" "plain http to another host is refused" -- "$stackato" target http://api.example.org
run 0 "Successfully targeted to \[$t1\]" "target with --cafile" -- "$stackato" --cafile "$work/k1/tls/ca.pem" target "$t1"
[ "$(stat -c %a "$STACKATO_HOME")" = 700 ] && [ "$(stat -c %a "$STACKATO_HOME/target")" = 600 ] && ok || { rc=-; bad "config modes"; }
run 2 "no password" "no password under a pipe" -- "$stackato" login admin

login() {  # login TARGET-ARGS... with the password on stdin
  local pw=$1
  shift
  printf '%s\n' "$pw" | "$stackato" "$@" >"$work/out" 2>&1
  rc=$?
}
login wrong login admin --password-stdin
[ "$rc" = 1 ] && grep -q "login failed" "$work/out" && ok || bad "wrong password"
login client-secret-1 --trace login admin --password-stdin
[ "$rc" = 0 ] && grep -q "Organization: kato" "$work/out" && grep -q "Space:        dev" "$work/out" && ok || bad "login"
grep -q "REDACTED" "$work/out" && ! grep -q "client-secret-1" "$work/out" && ! grep -qE "access_token\":\"ey" "$work/out" && ok || bad "trace redacts"
[ "$(stat -c %a "$STACKATO_HOME/token")" = 600 ] && [ "$(stat -c %a "$STACKATO_HOME/token2")" = 600 ] && ok || { rc=-; bad "token file modes"; }
run 0 "Name" "orgs" -- "$stackato" orgs
run 0 "x +\| dev" "spaces" -- "$stackato" spaces

# a second kato for one command only: --target, then STACKATO_TARGET; never saved
login client-secret-2 --cafile "$work/k2/tls/ca.pem" --target "$t2" login admin --password-stdin
[ "$rc" = 0 ] && ok || bad "login to the second kato with --target"
[ "$(cat "$STACKATO_HOME/target")" = "$t1" ] && ok || { rc=-; bad "--target was saved"; }
jq -e --arg a "$t1" --arg b "$t2" 'has($a) and has($b) and .[$a] != .[$b]' "$STACKATO_HOME/token" >/dev/null && ok || { rc=-; bad "tokens per target"; }
STACKATO_TARGET=$t2 run 0 "x $t2" "STACKATO_TARGET picks the current target for one shell" -- "$stackato" targets
run 0 "x $t1" "the saved target is unchanged" -- "$stackato" targets

# the second kato's tokens live 2 s: the client refreshes them
sleep 3
run 0 "dev" "refresh after expiry" -- "$stackato" --target "$t2" spaces
run 0 "dev" "refresh again (refresh tokens rotate)" -- "$stackato" --target "$t2" spaces

# The seed's URL-mapping sequence with the real push, map, unmap and delete: `apps` must print
# the seed's tables, rows in the seed's order (routes as created). customerdb is user-provided
# here; the MySQL one is the services test's.
ca=$work/k1/tls/ca.pem
mkdir -p "$work/ct"
cp "$here/../../examples/hello/app.py" "$work/ct/"
cat > "$work/ct/stackato.yml" <<'YML'
name: customertracker
command: python3 app.py
services:
  customerdb:
    type: user-provided
    credentials: {uri: "mysql://user@db.example/customers"}
YML
pushed() { (cd "$work/ct" && "$stackato" -n push "$@") >"$work/out" 2>&1; rc=$?; }
pushed
[ "$rc" = 0 ] && grep -q "Creating user-provided service customerdb" "$work/out" && grep -q "customertracker is RUNNING" "$work/out" && ok || bad "push customertracker (seed)"
# table EXPECTED-FILE DESCRIPTION: `stackato apps` must print exactly that
table() {
  "$stackato" apps > "$work/apps.txt" 2>&1
  if diff -u "$1" "$work/apps.txt" > "$work/out"; then ok; else rc=-; bad "$2"; cat "$work/out"; fi
}
run 0 "mapped url customertracker1.localhost" "map a second URL (the seed's first step)" -- "$stackato" map customertracker customertracker1.localhost
pushed customertracker2
[ "$rc" = 0 ] && grep -q "Binding customerdb to customertracker2" "$work/out" && ! grep -q "Creating user-provided" "$work/out" && ok ||
  bad "push customertracker2: the existing service is bound, not created again (seed)"
cat > "$work/want.txt" <<'TXT'
+------------------+---+---------+----------------------------+------------+
| Application      | # | Health  | URLS                       | Services   |
+------------------+---+---------+----------------------------+------------+
| customertracker  | 1 | RUNNING | customertracker.localhost  | customerdb |
|                  |   |         | customertracker1.localhost |            |
| customertracker2 | 1 | RUNNING | customertracker2.localhost | customerdb |
+------------------+---+---------+----------------------------+------------+
TXT
table "$work/want.txt" "seed: after pushing customertracker2"
"$stackato" apps --json > "$work/out" 2>&1
jq -e '.[0].name == "customertracker" and .[0].urls == ["customertracker.localhost","customertracker1.localhost"] and .[0].services == ["customerdb"] and .[0].health == "RUNNING"' "$work/out" >/dev/null && ok || { rc=-; bad "apps --json"; }
run 0 "unmapped" "unmap (seed)" -- "$stackato" unmap customertracker customertracker.localhost
run 0 "mapped" "map to the new app (seed)" -- "$stackato" map customertracker2 customertracker.localhost
cat > "$work/want.txt" <<'TXT'
+------------------+---+---------+----------------------------+------------+
| Application      | # | Health  | URLS                       | Services   |
+------------------+---+---------+----------------------------+------------+
| customertracker  | 1 | RUNNING | customertracker1.localhost | customerdb |
| customertracker2 | 1 | RUNNING | customertracker.localhost  | customerdb |
|                  |   |         | customertracker2.localhost |            |
+------------------+---+---------+----------------------------+------------+
TXT
table "$work/want.txt" "seed: after the swap"
status=$(curl -s --cacert "$ca" -o "$work/body" -w '%{http_code}' "https://customertracker.localhost:$p1/")
[ "$status" = 200 ] && jq -e '.name == "customertracker2"' "$work/body" >/dev/null && ok || { rc=-; bad "the main URL serves the new app"; }
run 0 "Deleted customertracker" "delete the old app (seed)" -- "$stackato" delete customertracker
cat > "$work/want.txt" <<'TXT'
+------------------+---+---------+----------------------------+------------+
| Application      | # | Health  | URLS                       | Services   |
+------------------+---+---------+----------------------------+------------+
| customertracker2 | 1 | RUNNING | customertracker.localhost  | customerdb |
|                  |   |         | customertracker2.localhost |            |
+------------------+---+---------+----------------------------+------------+
TXT
table "$work/want.txt" "seed: after delete"
run 1 "App 'customertraker' not found; did you mean 'customertracker2'" "unknown app with a suggestion" -- "$stackato" map customertraker x.localhost
run 1 "Unknown domain 'nowhere.test'" "unknown domain" -- "$stackato" map customertracker2 x.nowhere.test
run 0 "Stopped customertracker2" "stop" -- "$stackato" stop customertracker2
run 0 "customertracker2 \| 1 \| STOPPED" "a stopped app" -- "$stackato" apps
run 0 "Started customertracker2" "start waits until it runs" -- "$stackato" start customertracker2
run 0 "customertracker2 \| 1 \| RUNNING" "running again" -- "$stackato" apps
run 0 "Restarted customertracker2" "restart" -- "$stackato" restart customertracker2
# an app that dies at once: the failure says so, with its last log lines
mkdir -p "$work/crasher"
printf 'applications:\n- name: crasher\n  command: echo boom-before-dying; exit 3\n' > "$work/crasher/manifest.yml"
(cd "$work/crasher" && "$stackato" push --no-start) >"$work/out" 2>&1 && ok || bad "push --no-start"
run 1 "failed to start: every instance crashed" "a crashing app fails to start" -- "$stackato" restart crasher --wait 20
# (log payloads are padded base64: a decoder that kept the padding bytes cut this message short)
grep -q "APP/PROC/WEB/0 boom-before-dying" "$work/out" && grep -q "exited with status 3" "$work/out" && ok ||
  { cat "$work/out"; bad "the failure shows the app's last log lines"; }

t1_refresh=$(jq -r --arg t "$t1" '.[$t].refresh' "$STACKATO_HOME/token2")
run 0 "" "logout" -- "$stackato" logout
run 1 "Login Required" "logged out" -- "$stackato" orgs
# A copy of the refresh token taken before the logout gets nothing any more: it was revoked.
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$work/k1/tls/ca.pem" -H 'Authorization: Basic Y2Y6' -d grant_type=refresh_token \
  --data-urlencode "refresh_token=$t1_refresh" "$t1/oauth/token")
[ -n "$t1_refresh" ] && [ "$t1_refresh" != null ] && [ "$code" = 401 ] && ok || { rc=-; bad "the refresh token still works after logout: $code"; }
run 0 "dev" "the other target is still logged in" -- "$stackato" --target "$t2" spaces
run 0 "" "logout --all" -- "$stackato" logout --all
run 1 "Login Required" "logged out everywhere" -- "$stackato" --target "$t2" orgs

e2e_finish
