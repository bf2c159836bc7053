#!/usr/bin/env bash
# Contract tests: a real kato over HTTPS with TLS verification (its own CA), driven with curl.
# Shapes, status codes and error objects as in shared/reference/cf-v3-api.md.
set -u
kato=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "kato contract"
data=$work/data
cleanup() {
  "$kato" --data "$data" stop >/dev/null 2>&1
  [ -d "$work/short" ] && "$kato" --data "$work/short" stop >/dev/null 2>&1
}
at_exit cleanup


export KATO_ADMIN_PASSWORD=contract-secret
"$kato" --data "$data" start --port 0 >"$work/start.out" || { cat "$work/start.out"; exit 1; }
port=$(jq -r .port "$data/kato.json")
api=https://api.localhost:$port
ca=$data/tls/ca.pem
token=""

# req METHOD PATH [BODY] -> $status, body in $work/body, headers in $work/headers
req() {
  local args=(-s -g --cacert "$ca" -o "$work/body" -D "$work/headers" -w '%{http_code}' -X "$1")
  [ -n "$token" ] && args+=(-H "Authorization: bearer $token")
  [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  status=$(curl "${args[@]}" "$api$2")
}
# expect STATUS JQ-EXPRESSION DESCRIPTION
expect() {
  if [ "$status" = "$1" ] && jq -e "$2" "$work/body" >/dev/null 2>&1; then ok; else bad "$3"; fi
}
j() { jq -r "$1" "$work/body"; }

# --- discovery, no token needed
req GET /
expect 200 '.links.cloud_controller_v3.meta.version == "3.180.0" and .links.login.href and .links.uaa.href and .links.log_cache.href' "GET /"
req GET /v3/info
expect 200 '.name == "kato" and .links.self.href' "GET /v3/info"
req GET /api/v1/info
expect 200 '.version == "3.0.0"' "log-cache info"

# --- tokens
tok() { curl -s --cacert "$ca" -o "$work/body" -w '%{http_code}' -H 'Authorization: Basic Y2Y6' "$@" "$api/oauth/token"; }
status=$(tok -d grant_type=password -d username=admin -d password=wrong)
expect 401 '.error == "unauthorized"' "bad password gives OAuth 401"
status=$(tok -d grant_type=password -d username=admin -d password=contract-secret)
expect 200 '.token_type == "bearer" and .refresh_token and .expires_in > 0 and (.access_token | split(".") | length == 3)' "password grant"
token=$(j .access_token)
refresh=$(j .refresh_token)
claims=$(cut -d. -f2 <<<"$token" | tr '_-' '/+' | base64 -d 2>/dev/null)
jq -e '.user_name == "admin" and .client_id == "cf" and .exp and .iat and .jti and .user_id and .origin and .scope' <<<"$claims}" >/dev/null 2>&1 ||
  jq -e '.user_name == "admin" and .client_id == "cf" and .exp and .iat and .jti and .user_id and .origin and .scope' <<<"$claims" >/dev/null 2>&1 && ok || bad "JWT claims: $claims"
status=$(tok -d grant_type=refresh_token -d refresh_token="$refresh")
expect 200 '.access_token and .refresh_token' "refresh grant"
status=$(tok -d grant_type=refresh_token -d refresh_token="$refresh")
expect 401 '.error == "invalid_token"' "a refresh token works once"
status=$(tok -d grant_type=client_credentials)
expect 400 '.error == "unsupported_grant_type"' "unsupported grant"

# --- authentication errors
saved=$token
token=""
req GET /v3/apps
expect 401 '.errors[0].code == 10002 and .errors[0].title == "CF-NotAuthenticated"' "no token"
token=garbage.token.here
req GET /v3/apps
expect 401 '.errors[0].code == 1000 and .errors[0].title == "CF-InvalidAuthToken"' "bad token"
token=$saved

# --- strictness and unknown paths
req GET '/v3/apps?bogus=1'
expect 400 '.errors[0].code == 10005 and .errors[0].title == "CF-BadQueryParameter" and (.errors[0].detail | test("bogus"))' "unknown query parameter"
req GET '/v3/apps?per_page=0'
expect 400 '.errors[0].code == 10005' "per_page out of range"
req GET /v3/nothing-here
expect 404 '.errors[0].title == "CF-NotFound"' "unknown path"

# --- orgs, spaces, domains
req GET '/v3/organizations?names=KATO'
expect 200 '.pagination.total_results == 1 and .resources[0].name == "kato"' "org by name, case-insensitive"
org=$(j '.resources[0].guid')
req GET "/v3/spaces?names=dev&organization_guids=$org&include=organization"
expect 200 '.resources[0].name == "dev" and .included.organizations[0].name == "kato"' "space by name and org, include"
space=$(j '.resources[0].guid')
req GET "/v3/organizations/$org/domains/default"
expect 200 '.name == "localhost"' "default domain"
req GET '/v3/domains?names=localhost'
expect 200 '.resources[0].name == "localhost" and .resources[0].supported_protocols == ["http"]' "domain by name"
domain=$(j '.resources[0].guid')

# --- apps
new_app() { req POST /v3/apps "{\"name\":\"$1\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}}}}"; }
new_app web1
expect 201 '.state == "STOPPED" and .name == "web1" and .relationships.space.data.guid and .links.start.method == "POST"' "create app"
app=$(j .guid)
new_app web1
expect 422 '.errors[0].title == "CF-UniquenessError" and .errors[0].detail == "App with the name '"'"'web1'"'"' already exists."' "duplicate app name"
req POST /v3/apps "{\"name\":\"x\",\"colour\":1,\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}}}}"
expect 422 '.errors[0].title == "CF-UnprocessableEntity" and (.errors[0].detail | test("Unknown field"))' "unknown body field"
req POST /v3/apps '{"name": "x", '
expect 400 '.errors[0].title == "CF-MessageParseError"' "malformed JSON"
req POST /v3/apps "{\"name\":\"x\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"nope\"}}}}"
expect 422 '.errors[0].detail | test("Invalid space")' "unknown space"
# A relationship that is not a to-one with a string GUID: one line naming it (controller/api.cpp's to_one_guid).
req POST /v3/apps '{"name":"x","relationships":{"space":{"data":{"guid":7}}}}'
expect 422 '.errors[0].detail == "Relationships Space must be a to-one relationship"' "a space GUID that is not a string"
req POST /v3/packages '{"type":"bits","relationships":{"app":{"data":null}}}'
expect 422 '.errors[0].detail == "Relationships App must be a to-one relationship"' "a package without its app"
req GET "/v3/apps?names=web1&space_guids=$space"
expect 200 ".resources | length == 1 and .[0].guid == \"$app\"" "app by name in space"
req GET /v3/apps/nope
expect 404 '.errors[0].detail == "App not found" and .errors[0].code == 10010' "unknown app"
req PATCH "/v3/apps/$app" '{"name":"web1b"}'
expect 200 '.name == "web1b"' "rename app"
req PATCH "/v3/apps/$app/environment_variables" '{"var":{"A":"1","B":"2"}}'
expect 200 '.var == {"A":"1","B":"2"}' "set env"
req PATCH "/v3/apps/$app/environment_variables" '{"var":{"A":null}}'
expect 200 '.var == {"B":"2"}' "null removes a variable"
req PATCH "/v3/apps/$app/environment_variables" '{"var":{"VCAP_X":"1"}}'
expect 422 '.errors[0].detail | test("VCAP_")' "VCAP_ names refused"
req GET "/v3/apps/$app/env"
expect 200 '.environment_variables == {"B":"2"} and .application_env_json.VCAP_APPLICATION.application_name == "web1b" and .system_env_json.VCAP_SERVICES == {}' "app env"
req GET "/v3/apps/$app/processes"
expect 200 '.resources | length == 1 and .[0].type == "web" and .[0].instances == 1 and .[0].health_check.type == "port"' "new app has a web process"
proc=$(j '.resources[0].guid')
req POST "/v3/processes/$proc/actions/scale" '{"instances":2,"memory_in_mb":128}'
expect 202 '.instances == 2 and .memory_in_mb == 128' "scale"
req POST "/v3/processes/$proc/actions/scale" '{"instances":-1}'
expect 422 '.errors[0].title == "CF-UnprocessableEntity"' "negative instances"
req PATCH "/v3/processes/$proc" '{"health_check":{"type":"http","data":{"endpoint":"/health","invocation_timeout":5}}}'
expect 200 '.health_check.type == "http" and .health_check.data.endpoint == "/health"' "http health check"
req GET "/v3/processes/$proc/stats"
expect 200 '(.resources | length == 2) and all(.resources[]; .state == "DOWN") and (has("pagination") | not)' "stats while stopped"
req POST "/v3/apps/$app/actions/start"
expect 422 '.errors[0].detail == "Assign a droplet before starting this app."' "start without a droplet"
req POST "/v3/apps/$app/actions/stop"
expect 200 '.state == "STOPPED"' "stop"
req GET "/v3/apps/$app/droplets/current"
expect 404 '.errors[0].detail == "Droplet not found"' "no current droplet"

# --- pagination
new_app p1; new_app p2; new_app p3
req GET '/v3/apps?per_page=2&order_by=name'
expect 200 '.pagination.total_results == 4 and .pagination.total_pages == 2 and .pagination.next.href and .pagination.previous == null and .resources[0].name == "p1"' "page 1"
next=$(j .pagination.next.href)
req GET "${next#$api}"
expect 200 '.resources | length == 2 and .[1].name == "web1b"' "page 2 via next"
req GET '/v3/apps?order_by=-name&per_page=1'
expect 200 '.resources[0].name == "web1b"' "descending order"

# --- routes and destinations
req POST /v3/routes "{\"host\":\"web1\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}},\"domain\":{\"data\":{\"guid\":\"$domain\"}}}}"
expect 201 '.url == "web1.localhost" and .destinations == [] and .protocol == "http"' "create route"
route=$(j .guid)
req POST /v3/routes "{\"host\":\"web1\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}},\"domain\":{\"data\":{\"guid\":\"$domain\"}}}}"
expect 422 '.errors[0].detail | startswith("Route already exists with host '"'"'web1'"'"' for domain '"'"'localhost'"'"'.")' "duplicate route"
req POST /v3/routes "{\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}},\"domain\":{\"data\":{\"guid\":\"$domain\"}}}}"
expect 422 '.errors[0].detail == "Missing host. Routes in shared domains must have a host defined."' "route without host"
req GET "/v3/routes?domain_guids=$domain&hosts=web1&paths=&per_page=1"
expect 200 ".resources[0].guid == \"$route\"" "find route"
req POST "/v3/routes/$route/destinations" "{\"destinations\":[{\"app\":{\"guid\":\"$app\"}}]}"
expect 200 ".destinations | length == 1 and .[0].app.guid == \"$app\" and .[0].app.process.type == \"web\" and .[0].port == 8080" "map"
dest=$(j '.destinations[0].guid')
req POST "/v3/routes/$route/destinations" "{\"destinations\":[{\"app\":{\"guid\":\"$app\"}}]}"
expect 200 '.destinations | length == 1' "mapping twice keeps one destination"
req GET "/v3/apps/$app/routes"
expect 200 ".resources[0].guid == \"$route\"" "routes of an app"
req GET "/v3/apps/$app/env"
expect 200 '.application_env_json.VCAP_APPLICATION.application_uris == ["web1.localhost"]' "app uris"
req DELETE "/v3/routes/$route/destinations/$dest"
[ "$status" = 204 ] && ok || bad "unmap"
req GET "/v3/apps/$app/routes"
expect 200 '.resources == []' "unmapped"

# --- async deletes
req DELETE "/v3/routes/$route"
job=$(grep -i '^location:' "$work/headers" | tr -d '\r' | awk '{print $2}')
[ "$status" = 202 ] && [ -n "$job" ] && ok || bad "route delete is 202 + Location"
req GET "${job#$api}"
expect 200 '.state == "COMPLETE" and .operation == "route.delete"' "route delete job"
req DELETE "/v3/apps/$app"
job=$(grep -i '^location:' "$work/headers" | tr -d '\r' | awk '{print $2}')
[ "$status" = 202 ] && ok || bad "app delete is 202"
req GET "${job#$api}"
expect 200 '.state == "COMPLETE" and .operation == "app.delete"' "app delete job"
req GET "/v3/apps/$app"
expect 404 '.errors[0].detail == "App not found"' "deleted app is gone"
req GET "/v3/processes/$proc"
expect 404 '.errors[0].detail == "Process not found"' "its process is gone"
req GET /v3/jobs/nope
expect 404 '.errors[0].title == "CF-ResourceNotFound"' "unknown job"

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

# --- services: user-provided instances and bindings
req GET '/v3/service_plans?names=default&service_offering_names=redis'
expect 200 '.pagination.total_results == 1 and .resources[0].free and .resources[0].relationships.service_offering.data.guid' "the broker's plans"
plan=$(j '.resources[0].guid')
offering=$(j '.resources[0].relationships.service_offering.data.guid')
req GET "/v3/service_offerings/$offering"
expect 200 '.name == "redis" and .available and (.tags | index("redis")) and .broker_catalog.features.bindable' "an offering"
req POST /v3/service_instances "{\"type\":\"managed\",\"name\":\"cache\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}},\"service_plan\":{\"data\":{\"guid\":\"$plan\"}}}}"
[ "$status" = 202 ] && ok || bad "managed create is a job (202)"
req GET "/v3/service_instances?names=cache&space_guids=$space"
mi=$(j '.resources[0].guid')
wait_for 30 GET "/v3/jobs/service_instance.create~$mi" '.state == "COMPLETE"' && ok || bad "the create job completes"
req GET "/v3/service_instances/$mi"
expect 200 '.type == "managed" and .last_operation.state == "succeeded" and .relationships.service_plan.data.guid' "a managed instance"
req GET "/v3/service_instances?names=cache&fields[service_plan]=name&fields[service_plan.service_offering]=name"
expect 200 '.included.service_plans[0].name == "default" and .included.service_offerings[0].name == "redis"' "fields[] include plan and offering"
req POST /v3/service_instances "{\"type\":\"user-provided\",\"name\":\"ext\",\"credentials\":{\"uri\":\"https://x.example\",\"password\":\"pw\"},\"tags\":[\"t1\"],\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}}}}"
expect 201 '.type == "user-provided" and .name == "ext" and .last_operation.state == "succeeded" and (has("credentials") | not) and .links.credentials.href' "create user-provided instance"
si=$(j .guid)
req POST /v3/service_instances "{\"type\":\"user-provided\",\"name\":\"ext\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}}}}"
expect 422 '.errors[0].detail == "The service instance name is taken: ext"' "instance name taken"
req POST /v3/service_instances "{\"type\":\"managed\",\"name\":\"m\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}},\"service_plan\":{\"data\":{\"guid\":\"nope\"}}}}"
expect 422 '.errors[0].detail | test("Invalid service plan")' "managed instance with an unknown plan"
req GET "/v3/service_instances?names=ext&space_guids=$space&fields[space]=name,guid"
expect 200 ".resources[0].guid == \"$si\"" "instance by name in space"
req GET "/v3/service_instances/$si/credentials"
expect 200 '.uri == "https://x.example"' "credentials of a user-provided instance"
new_app bound
bapp=$(j .guid)
req POST /v3/service_credential_bindings "{\"type\":\"app\",\"relationships\":{\"service_instance\":{\"data\":{\"guid\":\"$si\"}},\"app\":{\"data\":{\"guid\":\"$bapp\"}}}}"
expect 201 '.type == "app" and .last_operation.state == "succeeded" and .links.details.href' "bind"
binding=$(j .guid)
req POST /v3/service_credential_bindings "{\"type\":\"app\",\"relationships\":{\"service_instance\":{\"data\":{\"guid\":\"$si\"}},\"app\":{\"data\":{\"guid\":\"$bapp\"}}}}"
expect 422 '.errors[0].detail == "The app is already bound to the service instance"' "bind twice"
req GET "/v3/service_credential_bindings?app_guids=$bapp&service_instance_guids=$si&include=app"
expect 200 ".resources[0].guid == \"$binding\" and .included.apps[0].name == \"bound\"" "find the binding"
req GET "/v3/service_credential_bindings/$binding/details"
expect 200 '.credentials.password == "pw" and .volume_mounts == []' "binding details"
req POST /v3/service_credential_bindings "{\"type\":\"app\",\"relationships\":{\"service_instance\":{\"data\":{\"guid\":\"$mi\"}},\"app\":{\"data\":{\"guid\":\"$bapp\"}}}}"
expect 201 '.type == "app"' "bind a managed instance"
mbinding=$(j .guid)
req GET "/v3/service_credential_bindings/$mbinding/details"
expect 200 '(.credentials.uri | startswith("redis://")) and .credentials.password and .credentials.port' "a managed binding's own credentials"
req DELETE "/v3/service_credential_bindings/$mbinding"
[ "$status" = 204 ] && ok || bad "unbind a managed instance"
req DELETE "/v3/service_instances/$mi"
[ "$status" = 202 ] && ok || bad "managed delete is a job (202)"
wait_for 30 GET "/v3/jobs/service_instance.delete~$mi" '.state == "COMPLETE"' && ok || bad "the delete job completes"
req GET "/v3/service_instances/$mi"
expect 404 '.errors[0].title == "CF-ResourceNotFound"' "the managed instance is gone"
req GET "/v3/apps/$bapp/env"
expect 200 '.system_env_json.VCAP_SERVICES["user-provided"][0] | .name == "ext" and .label == "user-provided" and .credentials.uri == "https://x.example" and .instance_guid and .binding_guid and .tags == ["t1"]' "VCAP_SERVICES"
req PATCH "/v3/service_instances/$si" '{"credentials":{"uri":"https://y.example"}}'
expect 200 '.last_operation.type == "update"' "update credentials"
req GET "/v3/service_credential_bindings/$binding/details"
expect 200 '.credentials.uri == "https://y.example"' "bindings see new credentials"
req DELETE "/v3/service_credential_bindings/$binding"
[ "$status" = 204 ] && ok || bad "unbind"
req GET "/v3/apps/$bapp/env"
expect 200 '.system_env_json.VCAP_SERVICES == {}' "unbound"
req DELETE "/v3/service_instances/$si"
[ "$status" = 204 ] && ok || bad "delete user-provided instance"
req GET "/v3/service_instances/$si"
expect 404 '.errors[0].title == "CF-ResourceNotFound"' "deleted instance"

# --- log-cache read
new_app logged
req GET "/api/v1/read/$(j .guid)?envelope_types=LOG&limit=1000&descending=true&start_time=-6795364578871345152"
expect 200 '.envelopes.batch[0] | .tags.source_type == "API" and (.timestamp | type == "string") and .log.type == "OUT" and (.log.payload | @base64d | startswith("Created app logged"))' "log-cache read accepts a negative start_time; API events in the shape of §14"

# --- limits
head -c 2000000 /dev/zero | tr '\0' 'a' > "$work/big"
status=$(curl -s --cacert "$ca" -o "$work/body" -w '%{http_code}' -H "Authorization: bearer $token" -H 'Content-Type: application/json' --data-binary @"$work/big" "$api/v3/apps")
expect 413 '.errors[0].title == "CF-RequestEntityTooLarge"' "body over the limit"

# --- plain HTTP on the same port
status=$(curl -s -o "$work/body" -w '%{http_code}' "http://127.0.0.1:$port/v3/info")
expect 200 '.name == "kato"' "plain HTTP on the same port"

# --- state survives kill -9
req GET '/v3/apps?names=p1'
p1=$(j '.resources[0].guid')
kill -9 "$(jq -r .pid "$data/kato.json")"
sleep 0.3
"$kato" --data "$data" start --port "$port" >/dev/null || bad "restart after kill -9"
req GET "/v3/apps/$p1"
expect 200 '.name == "p1"' "state survives kill -9 (old token still valid)"

# --- a second kato with short-lived tokens: expiry
"$kato" --data "$work/short" start --port 0 --token-ttl 1 >/dev/null
sport=$(jq -r .port "$work/short/kato.json")
t2=$(curl -s --cacert "$work/short/tls/ca.pem" -H 'Authorization: Basic Y2Y6' -d grant_type=password -d username=admin \
      -d password=contract-secret "https://api.localhost:$sport/oauth/token" | jq -r .access_token)
sleep 2
status=$(curl -s --cacert "$work/short/tls/ca.pem" -o "$work/body" -w '%{http_code}' -H "Authorization: bearer $t2" "https://api.localhost:$sport/v3/apps")
expect 401 '.errors[0].code == 1000' "expired token"
status=$(curl -s --cacert "$work/short/tls/ca.pem" -o "$work/body" -w '%{http_code}' -H "Authorization: bearer $token" "https://api.localhost:$sport/v3/apps")
expect 401 '.errors[0].code == 1000' "another kato's token is refused"

e2e_finish
