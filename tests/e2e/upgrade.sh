#!/usr/bin/env bash
# kato upgraded in place under constant load (issue 18): `kato patch install` of a patch that
# replaces the kato executable, then `kato restart`, then `kato patch revert`. Each time the same
# kato process runs the other executable (its pid and the listening socket handed over), not
# one request through the router fails, the app's instances and the Redis server kato runs keep
# their pids, and the instances' output still reaches the app's log. After them, a scale-up
# starts an instance from the new image, and a kill -9 of kato still takes every instance with it
# (they are children of kato's main thread, the one that execs).
# Usage: upgrade.sh STACKATO KATO
set -u
stackato=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "upgrade"
# kato runs from a copy, which the patch replaces (the build's binary stays as it is); without
# its symbols a sanitizer build (373 MB) fits in a bundle (512 MiB) with room to grow.
mkdir -p "$work/bin" "$work/src" "$work/feed"
cp "$2" "$work/bin/kato"
strip --strip-all "$work/bin/kato" 2>/dev/null
kato=$work/bin/kato
at_exit 'touch "$work/stop"'
source "$here/client_lib.sh"
export KATO_ADMIN_PASSWORD=upgrade-secret STACKATO_HOME=$work/home
sha() { sha256sum "$1" | cut -c1-64; }
kato_login
data=$work/k

# --- an app with two instances and a Redis service: a database server kato runs
mkdir -p "$work/app"
cp "$here/../../examples/hello/app.py" "$work/app/"
printf 'name: up\ncommand: python3 app.py\ninstances: 2\nservices:\n  upkv: redis\n' >"$work/app/stackato.yml"
(cd "$work/app" && "$stackato" -n push) >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
pushed_at=$(date +%s)

# --- a signed patch replacing the executable: the same program with bytes appended
"$kato" patch keygen "$work/key" >/dev/null
cp "$kato" "$work/src/kato"
printf 'patched build\n' >>"$work/src/kato"
jq -n '{name: "kato-fix", description: "Fix kato itself.", severity: "recommended", applies_to: ["*"],
        roles: ["controller", "router", "stager", "runner"], files: [{source: "kato", target: "kato"}]}' >"$work/src/patch.json"
"$kato" patch make --key "$work/key" --out "$work/feed/kato-fix.tar.gz" "$work/src" >/dev/null
"$kato" --data "$data" patch trust "$work/key.pub" >/dev/null
"$kato" --data "$data" patch feed "$work/feed" >/dev/null

pid=$(jq -r .pid "$data/kato.json")
original=$(sha "$kato")
patched=$(sha "$work/src/kato")
instances() { cat "$data"/instances/*/*/pgid 2>/dev/null | sort -n | tr '\n' ' '; }
redis_pid() { cat "$data/services/redis/server.pid" 2>/dev/null; }
kept_instances=$(instances)
kept_redis=$(redis_pid)
check "two instances run" '^[0-9]+ [0-9]+ $' "$kept_instances"
check "the Redis server runs" '^[0-9]+$' "$kept_redis"
n=0

# under_load WHAT EXE-SHA -- COMMAND...: COMMAND upgrades kato under constant load through the
# router; then the checks every upgrade must pass.
under_load() {
  local what=$1 want=$2 gen
  shift 3
  gen=$(jq -r .generation "$data/kato.json")
  rm -f "$work/stop"
  python3 "$here/tools/load.py" up.localhost "$port" "$ca" 6 180 "$work/stop" "$work/load.log" &
  local loader=$!
  sleep 2
  "$@" >"$work/out" 2>&1
  rc=$?
  local done_at
  done_at=$(date +%s.%N)
  sleep 2
  touch "$work/stop"
  wait "$loader"
  [ "$rc" = 0 ] && has "^kato upgraded in place \(pid $pid, " "$what: says kato was upgraded in place" || bad "$what: exits 0"
  local total failed after
  total=$(wc -l <"$work/load.log")
  failed=$(grep -vc " 200 " "$work/load.log")
  after=$(awk -v t="$done_at" '$1 > t && $2 == 200' "$work/load.log" | wc -l)
  echo "$what under load: $total requests, $failed failed, $after answered after it"
  [ "$total" -gt 50 ] && [ "$failed" = 0 ] && ok || { grep -v " 200 " "$work/load.log" | head -5; bad "$what: no request fails ($failed of $total)"; }
  [ "$after" -gt 0 ] && ok || bad "$what: the new image answers"
  [ "$(jq -r .pid "$data/kato.json")" = "$pid" ] && ok || bad "$what: the same kato process"
  [ "$(jq -r .generation "$data/kato.json")" = $((gen + 1)) ] && ok || bad "$what: kato.json's generation goes up by one"
  [ "$(sha "/proc/$pid/exe")" = "$want" ] && ok || bad "$what: kato runs the expected executable"
  [ "$(instances)" = "$kept_instances" ] && ok || bad "$what: the instances keep their pids ($kept_instances, now $(instances))"
  [ "$(redis_pid)" = "$kept_redis" ] && kill -0 "$kept_redis" && ok || bad "$what: the Redis server keeps its pid"
  # The instances' output still reaches the log: each one answers a request of its own, and its
  # line ("request: ...") is counted, not the router's access line for it (logged or not, as its
  # rate allows). (Their
  # lines come after the load's thousands, still in the pipes: under the sanitizers that backlog
  # takes a while to drain.)
  n=$((n + 1))
  local i
  for i in 1 2 3 4; do curl -s -o /dev/null --cacert "$ca" "https://up.localhost:$port/after-upgrade-$n-$i"; done
  for _ in $(seq 300); do
    "$stackato" logs up --num 500 >"$work/logs" 2>&1
    [ "$(grep -c "request: \"GET /after-upgrade-$n-" "$work/logs")" = 4 ] && break
    sleep 0.2
  done
  [ "$(grep -c "request: \"GET /after-upgrade-$n-" "$work/logs")" = 4 ] && ok || { tail -5 "$work/logs"; bad "$what: the instances' output reaches the log"; }
  "$stackato" stats up >"$work/out" 2>&1
  [ "$(grep -c RUNNING "$work/out")" = 2 ] && ok || { rc=-; bad "$what: both instances RUNNING in stats"; }
}

# What the runner says meanwhile (the app's own lines are thousands: filtered as they come).
"$stackato" logs up --follow --num 0 --source CELL >"$work/cell.log" 2>&1 &
follower=$!
at_exit "kill $follower"
under_load "patch install" "$patched" -- "$kato" --data "$data" patch install kato-fix
check "kato.log tells the upgrade" "kato: upgrade: drained .* 2 instances kept running; exec" "$(cat "$data/kato.log")"
under_load "kato restart" "$patched" -- "$kato" --data "$data" restart
under_load "patch revert" "$original" -- "$kato" --data "$data" patch revert kato-fix
[ "$(sha "$kato")" = "$original" ] && ok || bad "revert put the original executable back"
kill "$follower"
[ "$(grep -c "kept running across kato's upgrade" "$work/cell.log")" = 6 ] && ok ||
  { cat "$work/cell.log"; bad "the app's log says both instances were kept, at each of the three upgrades"; }
"$kato" --data "$data" status >"$work/out" 2>&1
has "kato running" "kato status after three upgrades"
# Uptime counts from the instance's start, not from the last upgrade.
uptime=$("$stackato" stats up --json 2>/dev/null | jq '[.[].uptime] | min')
[ "$uptime" -ge $(($(date +%s) - pushed_at - 3)) ] && ok || bad "the instances' uptime survives the upgrades ($uptime s)"

# --- a new executable that does not run: refused, nothing stops (it is a new file: the running
# executable's own file cannot be written)
cp "$kato" "$work/kato.good"
broken() { rm -f "$kato" && printf '#!/bin/sh\nexit 3\n' >"$kato" && chmod +x "$kato"; }
mended() { rm -f "$kato" && cp "$work/kato.good" "$kato"; }
broken
"$work/kato.good" --data "$data" restart >"$work/out" 2>&1
rc=$?
[ "$rc" = 1 ] && has "does not run \(its --version fails\); kato keeps running as it is" "a broken executable is refused" || bad "refused with exit 1"
# kato refuses it by itself too (a SIGUSR2 sent by hand), and serves on
kill -USR2 "$pid"
for _ in $(seq 100); do grep -q "upgrade: refused, kato serves on" "$data/kato.log" && break; sleep 0.2; done
mended
check "kato refuses a broken executable on its own" "upgrade: refused, kato serves on: .*--version failed" "$(cat "$data/kato.log")"
check "and serves on" '^200$' "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" "https://up.localhost:$port/")"
[ "$(jq -r .generation "$data/kato.json")" = 3 ] && [ "$(instances)" = "$kept_instances" ] && ok || bad "after refused upgrades kato runs on as it was"
# and a later SIGUSR2, with the executable mended, upgrades
kill -USR2 "$pid"
for _ in $(seq 150); do [ "$(jq -r .generation "$data/kato.json")" = 4 ] && break; sleep 0.2; done
[ "$(jq -r .generation "$data/kato.json")" = 4 ] && ok || bad "a SIGUSR2 by hand upgrades"

# --- after the upgrades: an instance started by the new image, and a kill -9 takes them all
"$stackato" scale up -i 3 >"$work/out" 2>&1 || bad "scale to 3 after the upgrades"
for _ in $(seq 150); do [ "$(instances | wc -w)" = 3 ] && "$stackato" stats up 2>/dev/null | grep -c RUNNING | grep -qx 3 && break; sleep 0.2; done
all=$(instances)
check "three instances run" '^[0-9]+ [0-9]+ [0-9]+ $' "$all"
kill -9 "$pid"
for _ in $(seq 50); do
  alive=0
  for p in $all; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ "$alive" = 0 ] && break
  sleep 0.1
done
[ "$alive" = 0 ] && ok || bad "no instance outlives a kill -9 of the upgraded kato ($all)"
e2e_finish
