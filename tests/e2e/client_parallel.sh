#!/usr/bin/env bash
# Two katos, two shells working at once: shell A picks its kato with STACKATO_TARGET, shell B
# with --target; each does 25 logins and 25 pushes, interleaved with the other. Every command must
# hit its own kato, tokens must never cross, and the config files must be valid at every moment.
set -u
stackato=$1
kato=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "client parallel"
at_exit 'kill $watcher 2>/dev/null; "$kato" --data "$work/k1" stop >/dev/null 2>&1; "$kato" --data "$work/k2" stop >/dev/null 2>&1'

KATO_ADMIN_PASSWORD=secret-a "$kato" --data "$work/k1" start --port 0 >/dev/null || exit 1
KATO_ADMIN_PASSWORD=secret-b "$kato" --data "$work/k2" start --port 0 >/dev/null || exit 1
t1=https://api.localhost:$(jq -r .port "$work/k1/kato.json")
t2=https://api.localhost:$(jq -r .port "$work/k2/kato.json")
export STACKATO_HOME=$work/home
"$stackato" --cafile "$work/k1/tls/ca.pem" target "$t1" >/dev/null || exit 1
"$stackato" --cafile "$work/k2/tls/ca.pem" target "$t2" >/dev/null || exit 1
mkdir -p "$work/app"
cp "$here/../../examples/hello/app.py" "$work/app/"
printf 'name: placeholder\ncommand: python3 app.py\n' >"$work/app/stackato.yml"

# A watcher reads the config files all along: each read must be whole, valid JSON.
(
  while :; do
    for f in token token2 names; do
      [ -e "$STACKATO_HOME/$f" ] || continue
      jq -e . "$STACKATO_HOME/$f" >/dev/null 2>&1 || echo "invalid $f" >>"$work/invalid"
    done
  done
) &
watcher=$!

shell() {  # shell NAME PASSWORD TARGET-ARGS...: 25 x (login, push NAME-i)
  local name=$1 pw=$2
  shift 2
  for i in $(seq 1 25); do
    printf '%s\n' "$pw" | "$stackato" "$@" login admin --password-stdin >>"$work/$name.log" 2>&1 || echo "login $i failed" >>"$work/$name.err"
    (cd "$work/app" && "$stackato" -n "$@" push "$name-$i" --no-start --no-route) >>"$work/$name.log" 2>&1 ||
      echo "push $i failed" >>"$work/$name.err"
  done
}
STACKATO_TARGET=$t1 shell a secret-a &
a=$!
shell b secret-b --target "$t2" &
b=$!
wait $a $b
kill $watcher 2>/dev/null

[ ! -s "$work/a.err" ] && ok || bad "shell A: $(cat "$work/a.err"; tail -5 "$work/a.log")"
[ ! -s "$work/b.err" ] && ok || bad "shell B: $(cat "$work/b.err"; tail -5 "$work/b.log")"
[ ! -e "$work/invalid" ] && ok || bad "config files seen half-written: $(sort "$work/invalid" | uniq -c)"
# Each kato has exactly its own shell's 25 apps.
STACKATO_TARGET=$t1 "$stackato" apps --json >"$work/apps1" 2>&1
"$stackato" --target "$t2" apps --json >"$work/apps2" 2>&1
jq -e '[.[].name] | length == 25 and all(startswith("a-"))' "$work/apps1" >/dev/null && ok || bad "kato 1 has shell A's apps only: $(head -c 300 "$work/apps1")"
jq -e '[.[].name] | length == 25 and all(startswith("b-"))' "$work/apps2" >/dev/null && ok || bad "kato 2 has shell B's apps only: $(head -c 300 "$work/apps2")"
# The token kept for each target is that kato's: accepted there, refused by the other.
for pair in "$t1 $work/k1 $t2 $work/k2" "$t2 $work/k2 $t1 $work/k1"; do
  read -r mine mydata other otherdata <<<"$pair"
  tok=$(jq -r --arg t "$mine" '.[$t]' "$STACKATO_HOME/token")
  s1=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$mydata/tls/ca.pem" -H "Authorization: $tok" "$mine/v3/apps")
  s2=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$otherdata/tls/ca.pem" -H "Authorization: $tok" "$other/v3/apps")
  [ "$s1" = 200 ] && [ "$s2" = 401 ] && ok || bad "token for $mine: $s1 there, $s2 at the other kato"
done
[ "$(cat "$STACKATO_HOME/target")" = "$t2" ] && ok || bad "the saved target changed: $(cat "$STACKATO_HOME/target")"

e2e_finish
