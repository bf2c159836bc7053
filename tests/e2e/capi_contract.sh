#!/usr/bin/env bash
# The client against a Cloud Controller that answers with CAPI's own published example bodies
# (tests/contract/fake_cc.py serving tests/contract/fixtures): the read commands in table and
# --json form, with the shapes a real Cloud Foundry has and kato does not (null quotas of a
# starting instance, a user-provided instance without a plan, a key binding without an app, a
# route with two destinations), the number of requests `apps` sends, and pushes (new, rolling,
# swap) and a restage whose every request body the fake checks as CAPI does.
# Usage: capi_contract.sh STACKATO
stackato=$1
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init "capi contract"
export STACKATO_HOME=$work/home
contract=$(cd "$(dirname "$0")/../contract" && pwd)

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null || exit 1
python3 "$contract/fake_cc.py" --port-file "$work/port" --cert "$work/cert.pem" --key "$work/key.pem" \
  --log "$work/requests" &
fake=$!
at_exit "kill $fake"
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
target=https://127.0.0.1:$(cat "$work/port")
requests() { : >"$work/requests"; }  # forget what was asked so far

run 0 "" "target the fake Cloud Controller" -- "$stackato" --cafile "$work/cert.pem" target "$target"
login() { printf '%s\n' "$1" | "$stackato" login some-name --password-stdin -n >"$work/out" 2>&1; rc=$?; }
login wrong
check "a refused login says UAA's reason" "^1 .*Bad credentials" "$rc $(cat "$work/out")"
login secret
check "login succeeds" "^0$" "$rc"
has "Organization: +org1" "login picks the first org"
has "Space: +space1" "login picks the org's space"

# UAA's refresh grant: an access token past its expiry is refreshed before a request (the new
# one kept); a refresh token UAA calls expired, or a broken answer, is one line asking to log in.
expire() {  # expire REFRESH: the saved access token expired, the refresh token set
  python3 - "$STACKATO_HOME" "$1" <<'PY'
import base64, json, sys
home, refresh = sys.argv[1:]
part = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip("=")
tokens = json.load(open(f"{home}/token"))
adj = json.load(open(f"{home}/token2"))
for target in tokens:
    tokens[target] = "bearer " + part({"alg": "RS256"}) + "." + part({"user_id": "u", "exp": 1000}) + ".c2ln"
    adj[target]["refresh"] = refresh
json.dump(tokens, open(f"{home}/token", "w"))
json.dump(adj, open(f"{home}/token2", "w"))
PY
}
cp "$STACKATO_HOME/token" "$work/token.good"
cp "$STACKATO_HOME/token2" "$work/token2.good"
expire "refresh-valid"
requests
run 0 "org1" "an expired access token is refreshed" -- "$stackato" orgs
check "the refresh grant went to UAA before the request" "POST /oauth/token GET /v3/organizations" "$(tr '\n' ' ' <"$work/requests")"
check "the new token is kept" "^[^.]+\.[^.]+\.c2lnbmF0dXJl" "$(jq -r 'to_entries[0].value' "$STACKATO_HOME/token" | sed 's/^bearer //')"
expire "expired-refresh"
run 1 "^stackato: error: Login Required: the session expired; please use 'stackato login' \(Invalid refresh token \(expired\)" \
  "a refresh token UAA calls expired: one line asking to log in" -- "$stackato" orgs
check "one line" "^1$" "$(grep -c . "$work/out")"
expire "garbled-refresh"
run 1 "Login Required: the session expired" "a refresh answer without a token: one line, no library message" -- "$stackato" orgs
hasnt "json.exception|type_error" "no library message"
cp "$work/token.good" "$STACKATO_HOME/token"
cp "$work/token2.good" "$STACKATO_HOME/token2"

# apps: a started app with 5 wanted instances of which one runs (the example's stats), a stopped
# one, a route with both as destinations, a managed instance bound to the first.
requests
run 0 "my_app2" "apps lists both apps" -- "$stackato" apps
has "^\| *my_app +\| *5 +\| *20% +\| a-hostname\.a-domain\.com/some_path +\| my-managed-instance" \
  "my_app: 5 instances, 1 running (20%), its URL and its service"
has "^\| *my_app2 +\| *5 +\| STOPPED +\| a-hostname\.a-domain\.com/some_path" "my_app2: stopped, same route"
hasnt "type_error|json\.exception" "no library message"
check "apps asks stats of the started app's web process only" \
  "^1$" "$(grep -c '/stats' "$work/requests")"
check "stats of my_app's web process" "GET /v3/processes/web-1cb006ee[^ ]*/stats" "$(cat "$work/requests")"
check "no request per app (processes, routes, bindings by app)" "^0$" \
  "$(grep -cE '/v3/apps/[^/?]+/' "$work/requests")"
check "apps: a fixed number of listings" "^6$" "$(grep -c . "$work/requests")"
run 0 "" "apps --json" -- "$stackato" apps --json
check "apps --json: the running share and the service" '^20% my_app my-managed-instance$' \
  "$(jq -r '.[0] | "\(.health) \(.name) \(.services[0])"' "$work/out")"
check "apps --json: the stopped app has no service" '^STOPPED 0$' "$(jq -r '.[1] | "\(.health) \(.services | length)"' "$work/out")"

# app NAME: one app in detail, its process's command and port health check as CAPI shows them.
run 0 "Instances: +1/5 running" "app: the running share of the started app" -- "$stackato" app my_app
has "Command: +rackup" "app: the process's command"
has "Health: +port$" "app: a port health check with a null timeout"
has "URLs: +a-hostname\.a-domain\.com/some_path" "app: its route"
has "Services: +my-managed-instance" "app: the instance its binding includes"
run 0 "" "app --json" -- "$stackato" app my_app2 --json
check "app --json: a stopped app, no stats asked" '^STOPPED 0 -$' \
  "$(jq -r '"\(.state) \(.running) \(.services | length | if . == 0 then "-" else . end)"' "$work/out")"
run 0 "Cloud Foundry: Put your apps here!" "info: the target's name and description" -- "$stackato" info
has "API v3\.90\.0" "info: the V3 API version from the root's links"
run 0 "" "info --json" -- "$stackato" info --json
check "info --json: a numeric version" '^123 some-name$' "$(jq -r '"\(.version) \(.user)"' "$work/out")"

# routes: the destinations' apps by name, not GUID.
run 0 "a-hostname\.a-domain\.com/some_path +\| my_app, my_app2" "routes names the apps of a route" -- "$stackato" routes
run 0 "" "routes --json" -- "$stackato" routes --json
check "routes --json: apps by name" '^my_app,my_app2$' "$(jq -r '.[0].apps | join(",")' "$work/out")"

# services: a managed instance (offering and plan by name, bound app) and a user-provided one
# (no plan relationship at all); the listing skips the key binding.
run 0 "my-managed-instance +\| my_service_offering +\| my_big_service_plan +\| my_app +\| create succeeded" \
  "services: type, plan, app and last operation" -- "$stackato" services
has "my-user-provided-instance +\| user-provided +\| +\| +\| update succeeded" "services: the user-provided instance"
run 0 "" "services --json" -- "$stackato" services --json
check "services --json: the bound app" '^my_app$' "$(jq -r '.[0].apps | join(",")' "$work/out")"
run 0 "Apps: +my_app" "service NAME finds the instance and its app" -- "$stackato" service my-managed-instance
has "Plan: +my_big_service_plan" "service NAME: its plan"
run 0 "" "service NAME --json" -- "$stackato" service my-user-provided-instance --json
check "service --json: the user-provided instance" '^user-provided$' "$(jq -r .type "$work/out")"
run 1 "did you mean 'my-managed-instance'" "an unknown service suggests the closest" -- \
  "$stackato" service my-managed-instanse

# marketplace: each offering with its plans.
run 0 "my_service_offering +\| my_big_service_plan" "marketplace: the plans of each offering" -- "$stackato" marketplace
has "other_service_offering +\| other_service_plan" "marketplace: the second offering's plan"
run 0 "" "marketplace --json" -- "$stackato" marketplace --json
check "marketplace --json" '^my_big_service_plan$' "$(jq -r '.[0].plans | join(",")' "$work/out")"

# Writes: the bodies must be what CAPI documents (the fake answers 422 to unknown fields and to
# relationships of the wrong shape), and the listings show their effect.
run 0 "Successfully mapped url www\.test-domain\.com/shop to my_app2" "map creates a route and a destination" -- \
  "$stackato" map my_app2 www.test-domain.com/shop
check "map: POST /v3/routes then its destinations" "POST /v3/routes$" "$(cat "$work/requests")"
run 0 "www\.test-domain\.com/shop +\| my_app2" "routes shows the new route" -- "$stackato" routes
run 0 "" "map again is a no-op" -- "$stackato" map my_app2 www.test-domain.com/shop
run 0 "Successfully unmapped" "unmap removes the destination" -- "$stackato" unmap my_app2 www.test-domain.com/shop
run 0 "" "routes after unmap" -- "$stackato" routes
hasnt "www\.test-domain\.com/shop +\| my_app2" "unmap: the route has no app any more"
run 0 "Bound my-user-provided-instance to my_app2" "bind-service to a user-provided instance (201)" -- \
  "$stackato" bind-service my-user-provided-instance my_app2
run 0 "Bound my-managed-instance to my_app2" "bind-service to a managed instance (202, a job followed)" -- \
  "$stackato" bind-service my-managed-instance my_app2
check "bind-service followed the job" "GET /v3/jobs/" "$(cat "$work/requests")"
run 0 "my-managed-instance .*\| my_app, my_app2 " "services shows both bound apps" -- "$stackato" services
run 1 "already bound" "bind-service twice is refused" -- "$stackato" bind-service my-managed-instance my_app2
run 0 "Unbound my-managed-instance from my_app2" "unbind-service (202, a job followed)" -- \
  "$stackato" unbind-service my-managed-instance my_app2
run 0 "" "services after unbind" -- "$stackato" services
has "my-managed-instance .*\| my_app +\|" "unbind: my_app2 is gone from the instance"

run 0 "Renamed service my-user-provided-instance to ups2" "rename-service" -- \
  "$stackato" rename-service my-user-provided-instance ups2
run 0 "ups2 +\| user-provided" "services shows the new name" -- "$stackato" services
run 1 "is bound to 1 app\(s\); unbind it first or use --unbind" "delete-service of a bound instance is refused" -- \
  "$stackato" delete-service my-managed-instance
run 0 "Unbound ups2 from my_app2" "unbind-service of a user-provided instance (204)" -- \
  "$stackato" unbind-service ups2 my_app2
run 0 "Deleted service ups2" "delete-service of a user-provided instance (204)" -- "$stackato" delete-service ups2
run 0 "Deleted service my-managed-instance" "delete-service --unbind of a managed one (202, jobs followed)" -- \
  "$stackato" delete-service --unbind my-managed-instance
run 0 "" "services after the deletes" -- "$stackato" services --json
check "no instance is left" '^0$' "$(jq length "$work/out")"

# env, scale, start/stop: CAPI's bodies, the effect seen through a listing.
run 0 "RAILS_ENV +\| production" "env lists the app's variables" -- "$stackato" env my_app2
run 0 "Set GREETING for my_app2" "set-env" -- "$stackato" set-env my_app2 GREETING hello
run 0 "" "env --json" -- "$stackato" env my_app2 --json
check "env --json: both variables" '^hello production$' "$(jq -r '"\(.GREETING) \(.RAILS_ENV)"' "$work/out")"
run 0 "Removed GREETING from my_app2" "unset-env" -- "$stackato" unset-env my_app2 GREETING
run 1 "Variable GREETING is not set for my_app2" "unset-env of a variable that is not set" -- \
  "$stackato" unset-env my_app2 GREETING
run 0 "instances: 5 -> 2" "scale -i (POST .../actions/scale)" -- "$stackato" scale my_app2 -i 2
run 0 "instances: 2 -> 3" "scale -i +1" -- "$stackato" scale my_app2 -i +1
run 0 "memory_in_mb: 256 -> 512" "scale -m of a stopped app (no restart)" -- "$stackato" scale my_app2 -m 512M
hasnt "Restarting" "a stopped app is not restarted for new limits"
run 0 "Stopped my_app" "stop" -- "$stackato" stop my_app
run 0 "my_app +\| 5 +\| STOPPED" "apps shows it stopped" -- "$stackato" apps

# logs through the root's log_cache link: log-cache's envelopes, standard base64 with '+' and '='.
run 0 "APP/PROC/WEB/0 Listening on :8080" "logs reads log-cache at the root's log_cache link" -- "$stackato" logs my_app
has "RTR GET / HTTP/1\.1 200 \"curl/8\" ~>\?$" "logs: the router's line (a payload with '+' and '=')"
has "warning: slow request" "logs: a stderr line"
run 0 "" "logs --num 1 --json" -- "$stackato" logs my_app --num 1 --json
check "logs --num 1: the newest line only" '^warning: slow request$' "$(jq -r '.text // .message // .line' "$work/out")"
check "logs read log-cache with the server's newest first" "GET /api/v1/read/1cb006ee[^ ]*descending=true" "$(cat "$work/requests")"

# delete --routes: the app goes (a job followed); a route another app still uses stays, one it
# alone used goes.
run 0 "" "map my_app2 to a route of its own" -- "$stackato" map my_app2 solo.test-domain.com
run 0 "Deleted my_app2" "delete --routes" -- "$stackato" delete --routes my_app2
run 0 "" "routes after delete --routes" -- "$stackato" routes --json
check "the shared route stays with my_app only, the app's own route is gone (unmap's route stays)" \
  '^a-hostname.a-domain.com/some_path=my_app www.test-domain.com/shop=$' "$(jq -r 'map("\(.url)=\(.apps | join(","))") | join(" ")' "$work/out")"
run 1 "not found" "the deleted app is gone" -- "$stackato" app my_app2

# domains, stats, instances, orgs, spaces, targets.
run 0 "test-domain\.com +\| shared" "domains: a shared domain (organization data null)" -- "$stackato" domains
run 0 "" "domains --json" -- "$stackato" domains --json
check "domains --json" '^test-domain.com,apps.identity$' "$(jq -r 'map(.name) | join(",")' "$work/out")"
run 0 "RUNNING" "stats: the example's two instances" -- "$stackato" stats my_app
has "STARTING +\| 0\.0% +\| 0\.0M \(-\)" "stats: a starting instance's unknown quota is '-'"
run 0 "" "stats --json" -- "$stackato" stats my_app --json
check "stats --json" '^RUNNING,STARTING$' "$(jq -r 'map(.state) | join(",")' "$work/out")"
check "stats --json: CAPI's field names, null for what a starting instance lacks" '^19177472 268435456 null$' \
  "$(jq -r '"\(.[0].usage.mem) \(.[0].mem_quota) \(.[1].mem_quota)"' "$work/out")"
run 0 "STARTING" "instances" -- "$stackato" instances my_app
run 0 "org1" "orgs" -- "$stackato" orgs
run 0 "space1" "spaces" -- "$stackato" spaces
run 0 "127\.0\.0\.1" "targets" -- "$stackato" targets

# push against CAPI's shapes: a new app (created with its web process, resource matches, a bits
# package uploaded as a form, a build, its droplet, a route, started), every body one the fake
# checks as CAPI does; then a rolling release (a deployment), then a swap (a second app, renamed).
mkdir -p "$work/pushed"
printf 'print("pushed")\n' >"$work/pushed/app.py"
cat >"$work/pushed/manifest.yml" <<'EOF'
applications:
- name: pushed
  command: python3 app.py
  memory: 128M
  health-check-type: http
  health-check-http-endpoint: /health
  env:
    GREETING: hello
  services:
    pushed-db:
      type: my_service_offering
      plan: my_big_service_plan
    pushed-creds:
      type: user-provided
      credentials:
        uri: x://y
EOF
push() { (cd "$work/pushed" && "$stackato" -n push "$@") >"$work/out" 2>&1 </dev/null; rc=$?; }
requests
push
check "push of a new app" "^0$" "$rc"
has "pushed is RUNNING" "push: the app runs"
hasnt "Unknown field|Unprocessable|parse error" "push: no body refused"
check "push: create, web process, resource matches, package, upload, build, droplet, restart, in order" \
  "POST /v3/apps .*POST /v3/processes/[^/]+/actions/scale .*PATCH /v3/processes/.*POST /v3/routes .*POST /v3/resource_matches .*POST /v3/packages .*POST /v3/packages/[^/]+/upload .*POST /v3/builds .*GET /v3/builds/.*PATCH /v3/apps/[^/]+/relationships/current_droplet .*POST /v3/apps/[^/]+/actions/restart .*GET /v3/processes/[^/]+/stats" \
  "$(tr '\n' ' ' <"$work/requests")"
check "push: a managed and a user-provided service created, each bound once" "^2 2$" \
  "$(grep -c 'POST /v3/service_instances$' "$work/requests") $(grep -c 'POST /v3/service_credential_bindings$' "$work/requests")"
run 1 "name is taken: pushed-db" "create-service of a name taken is refused" -- "$stackato" create-service my_service_offering pushed-db --plan my_big_service_plan
check "and deletes nothing" "^0$" "$(grep -c 'DELETE /v3/service_instances' "$work/requests")"
run 0 "pushed-db" "the instance of that name is still there" -- "$stackato" services
run 0 "" "apps --json after the push" -- "$stackato" apps --json
check "the pushed app is listed with its route" '^pushed pushed.test-domain.com$' \
  "$(jq -r '.[] | select(.name == "pushed") | "\(.name) \(.urls | join(","))"' "$work/out")"
requests
push --zero-downtime
check "push --zero-downtime against CAPI" "^0$" "$rc"
has "Releasing pushed without downtime: a rolling deployment" "a target with deployments gets a rolling deployment"
hasnt "Changing command" "the second push changes nothing of the process"
hasnt "conflicts with" "the second push finds its services with their offering and plan (CAPI's fields[])"
check "the second push creates and binds nothing" "^0 0$" \
  "$(grep -c 'POST /v3/service_instances$' "$work/requests") $(grep -c 'POST /v3/service_credential_bindings$' "$work/requests")"
check "the deployment carries the new droplet; no restart, no droplet set by hand" \
  "^1 1 0 0$" "$(for p in 'GET /v3/deployments\?per_page=1' 'POST /v3/deployments$' 'current_droplet' 'actions/restart'; do grep -cE "$p" "$work/requests"; done | tr '\n' ' ' | sed 's/ $//')"
requests
run 0 "Restaged pushed" "restage against CAPI" -- "$stackato" restage pushed
check "restage: the newest READY package built again, droplet, restart, in order" \
  "GET /v3/apps/[^/]+/packages\?states=READY&order_by=-created_at&per_page=1 .*POST /v3/builds .*GET /v3/builds/.*PATCH /v3/apps/[^/]+/relationships/current_droplet .*POST /v3/apps/[^/]+/actions/restart" \
  "$(tr '\n' ' ' <"$work/requests")"
check "restage uploads nothing" "^0$" "$(grep -c 'POST /v3/packages' "$work/requests")"
requests
push --strategy swap --drain 0
check "push --strategy swap against CAPI" "^0$" "$rc"
has "pushed is the new version" "the swap ends with the new version under the app's name"
check "swap: a second app, renamed to the app's name once the old one is deleted" \
  'POST /v3/apps .*DELETE /v3/apps/.*PATCH /v3/apps/[^/ ]+ ' "$(tr '\n' ' ' <"$work/requests")"
run 0 "" "apps --json after the swap" -- "$stackato" apps --json
check "one app named pushed, none named pushed-new" '^1 0$' \
  "$(jq -r '"\([.[] | select(.name == "pushed")] | length) \([.[] | select(.name == "pushed-new")] | length)"' "$work/out")"

# A target that ignores include= (older or partial implementations): the bound instances come
# from a second listing by GUID, not from nowhere.
python3 "$contract/fake_cc.py" --port-file "$work/port2" --cert "$work/cert.pem" --key "$work/key.pem" \
  --log "$work/requests2" --no-include &
fake2=$!
at_exit "kill $fake2"
for _ in $(seq 100); do [ -s "$work/port2" ] && break; sleep 0.1; done
export STACKATO_HOME=$work/home2
"$stackato" --cafile "$work/cert.pem" target "https://127.0.0.1:$(cat "$work/port2")" >/dev/null 2>&1
printf 'secret\n' | "$stackato" login some-name --password-stdin -n >/dev/null 2>&1
run 0 "Services: +my-managed-instance" "app: its service from a target without include=" -- "$stackato" app my_app
check "found by a listing by GUID" "GET /v3/service_instances\?[^ ]*guids=" "$(cat "$work/requests2")"

e2e_finish
