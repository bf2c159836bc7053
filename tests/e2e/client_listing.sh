#!/usr/bin/env bash
# Listings whose cost does not grow with the space (issue 16): against a real kato, `apps` sends
# the same requests (counted from --trace) for one started app with 1 stopped app beside it and
# with 41; so do `routes` and `services`. The time over a distant target is bench/apps.sh's.
# Usage: client_listing.sh STACKATO KATO
set -u
stackato=$1
kato=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "client listings"
source "$here/client_lib.sh"
export KATO_ADMIN_PASSWORD=listing-secret STACKATO_HOME=$work/home
kato_login

(cd "$here/../../examples/hello" && "$stackato" -n push started-1) >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
space=$("$stackato" curl GET '/v3/spaces?names=dev' | jq -r '.resources[0].guid')
stopped() {  # stopped FROM TO: apps that were never started
  local i
  for i in $(seq "$1" "$2"); do
    "$stackato" curl POST /v3/apps -d "{\"name\":\"stopped-$i\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}}}}" >/dev/null || return 1
  done
}
gets() { "$stackato" --trace "$@" 2>&1 >/dev/null | grep -c '^> GET'; }
stopped 1 1
apps_few=$(gets apps)
routes_few=$(gets routes)
services_few=$(gets services)
stopped 2 41
run 0 "stopped-41" "apps lists the 41 stopped apps" -- "$stackato" apps
check "and the started one, running" "started-1 +\| 1 \| RUNNING" "$(grep started-1 "$work/out")"
apps_many=$(gets apps)
echo "requests of apps: $apps_few with 2 apps, $apps_many with 42"
[ "$apps_few" = "$apps_many" ] && ok || bad "apps sends as many requests for 42 apps as for 2 ($apps_few, then $apps_many)"
[ "$(gets routes)" = "$routes_few" ] && ok || bad "routes: requests independent of the number of apps"
[ "$(gets services)" = "$services_few" ] && ok || bad "services: requests independent of the number of apps"
e2e_finish
