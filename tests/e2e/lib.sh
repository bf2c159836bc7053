#!/usr/bin/env bash
# Shared by the kato end-to-end tests and benchmarks: start a kato, call its API, push an app
# with raw V3 calls. Expects $kato, $work, $data; sets $port, $api, $ca, $token, $space, $domain.
# expect counts with ok/bad (common.sh, sourced first: e2e_init sets $work). The kato that
# kato_up starts is stopped at exit.

# kato_up [PORT] [show] [START OPTIONS...]: starts kato (its output shown with "show") and logs
# in as admin with the password kato keeps in the data dir (KATO_ADMIN_PASSWORD when set, else
# generated).
kato_up() {
  local p=${1:-0} show=${2:-}
  shift $(($# < 2 ? $# : 2))
  [[ " ${e2e_katos[*]} " == *" $data "* ]] || e2e_katos+=("$data")
  if [ "$show" = show ]; then
    "$kato" --data "$data" start --port "$p" "$@" || exit 1
  else
    "$kato" --data "$data" start --port "$p" "$@" >/dev/null || exit 1
  fi
  KATO_ADMIN_PASSWORD=$(cat "$data/admin-password")
  port=$(jq -r .port "$data/kato.json")
  api=https://api.localhost:$port
  ca=$data/tls/ca.pem
  # The password goes through stdin, not argv (which every user can read in ps).
  token=$(printf '%s' "$KATO_ADMIN_PASSWORD" | curl -s --cacert "$ca" -H 'Authorization: Basic Y2Y6' \
            -d grant_type=password -d username=admin --data-urlencode password@- "$api/oauth/token" | jq -r .access_token)
  req GET /v3/spaces
  space=$(j '.resources[0].guid')
  req GET '/v3/domains?names=localhost'
  domain=$(j '.resources[0].guid')
}
req() {
  local args=(-s -g --cacert "$ca" -o "$work/body" -w '%{http_code}' -X "$1" -H "Authorization: bearer $token")
  [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  status=$(curl "${args[@]}" "$api$2")
}
expect() { if [ "$status" = "$1" ] && jq -e "$2" "$work/body" >/dev/null 2>&1; then ok; else bad "$3"; fi; }
j() { jq -r "$1" "$work/body"; }
# wait_for SECONDS METHOD PATH JQ: poll until the expression holds
wait_for() {
  local until=$((SECONDS + $1))
  while [ $SECONDS -lt $until ]; do
    req "$2" "$3"
    jq -e "$4" "$work/body" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}


# stage_droplet NAME ZIP: a package of ZIP for $app, uploaded and staged; leaves $droplet
stage_droplet() {
  local name=$1 zip=$2
  req POST /v3/packages "{\"type\":\"bits\",\"relationships\":{\"app\":{\"data\":{\"guid\":\"$app\"}}}}"
  local pkg; pkg=$(j .guid)
  status=$(curl -s --cacert "$ca" -o "$work/body" -w '%{http_code}' -H "Authorization: bearer $token" \
             -F 'resources=[]' -F "bits=@$zip;filename=package.zip" "$api/v3/packages/$pkg/upload")
  expect 200 '.state == "READY"' "$name: upload"
  req POST /v3/builds "{\"package\":{\"guid\":\"$pkg\"}}"
  expect 201 '.state == "STAGING"' "$name: build starts"
  local build; build=$(j .guid)
  wait_for 60 GET "/v3/builds/$build" '.state != "STAGING"'
  expect 200 '.state == "STAGED" and .droplet.guid' "$name: staged"
  droplet=$(j .droplet.guid)
}

# push APP ZIP [nowait]: create (with $PUSH_ENV as its environment variables, a JSON object),
# upload, stage, droplet, route, map, start, and (unless nowait) wait until every instance is
# RUNNING; leaves $app, $route, $proc, $droplet
push() {
  local name=$1 zip=$2 nowait=${3:-} env=${PUSH_ENV:-}
  [ -n "$env" ] || env='{}'
  req POST /v3/apps "{\"name\":\"$name\",\"environment_variables\":$env,\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}}}}"
  app=$(j .guid)
  stage_droplet "$name" "$zip"
  req PATCH "/v3/apps/$app/relationships/current_droplet" "{\"data\":{\"guid\":\"$droplet\"}}"
  expect 200 ".data.guid == \"$droplet\"" "$name: set droplet"
  req POST /v3/routes "{\"host\":\"$name\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}},\"domain\":{\"data\":{\"guid\":\"$domain\"}}}}"
  route=$(j .guid)
  req POST "/v3/routes/$route/destinations" "{\"destinations\":[{\"app\":{\"guid\":\"$app\"}}]}"
  req POST "/v3/apps/$app/actions/start"
  expect 200 '.state == "STARTED"' "$name: start"
  req GET "/v3/apps/$app/processes"
  proc=$(j '.resources[0].guid')
  [ -n "$nowait" ] && return 0
  wait_for 30 GET "/v3/processes/$proc/stats" 'all(.resources[]; .state == "RUNNING")' && ok || bad "$name: RUNNING"
}
