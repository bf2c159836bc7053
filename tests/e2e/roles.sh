#!/usr/bin/env bash
# Users kept in their spaces (issue 15): an admin; dev, a developer of space "dev"; mallory, a
# developer of space "other"; aud, an auditor of "other". Apps with a bound service in both
# spaces. For each endpoint family, each caller gets what Cloud Controller would answer: lists
# show only what the caller may see, a resource it may not see is a 404 (no existence leak), one
# it sees but may not change a 403; auditors see no credentials; a hostname held by another
# space cannot be taken, nor any path under it.
set -u
kato=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "roles"
data=$work/data
at_exit 'for d in "$data" "$work/second" "$work/fourth" "$work/fifth"; do "$kato" --data "$d" stop >/dev/null 2>&1; done'
source "$here/lib.sh"
kato_up
admin_token=$token

# --- spaces, users -----------------------------------------------------------------------------
req GET /v3/organizations
org=$(j '.resources[0].guid')
req POST /v3/spaces "{\"name\":\"other\",\"relationships\":{\"organization\":{\"data\":{\"guid\":\"$org\"}}}}"
expect 201 '.name == "other"' "an admin creates a space"
other=$(j .guid)
dev_space=$space
printf 'dev-password\n' | "$kato" --data "$data" add-user dev --space dev >/dev/null && ok || bad "add-user dev"
printf 'mallory-password\n' | "$kato" --data "$data" add-user mallory --space other >/dev/null && ok || bad "add-user mallory"
printf 'aud-password\n' | "$kato" --data "$data" add-user aud --auditor other >/dev/null && ok || bad "add-user aud --auditor"
printf 'x-password\n' | "$kato" --data "$data" add-user nobody-here --auditor nosuch >/dev/null 2>"$work/err"
[ $? = 1 ] && grep -q "no space named 'nosuch'" "$work/err" && ok || bad "add-user with an unknown space: one line, exit 1"
login() {  # login NAME PASSWORD: prints the access token
  printf '%s' "$2" | curl -s --cacert "$ca" -H 'Authorization: Basic Y2Y6' -d grant_type=password -d "username=$1" \
    --data-urlencode password@- "$api/oauth/token" | jq -r .access_token
}
dev=$(login dev dev-password)
mallory=$(login mallory mallory-password)
aud=$(login aud aud-password)
scopes() { cut -d. -f2 <<<"$1" | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r '.scope | join(" ")'; }
[[ "$(scopes "$admin_token")" == *cloud_controller.admin* ]] && ok || bad "the admin's token has cloud_controller.admin"
[[ "$(scopes "$dev")" != *cloud_controller.admin* ]] && ok || bad "a developer's token has no cloud_controller.admin: $(scopes "$dev")"

# --- an app with a bound service in each space (made by the admin) ------------------------------
(cd "$here/../../examples/hello" && zip -q "$work/hello.zip" app.py)
(cd "$here/apps/hello" && zip -q "$work/hello.zip" manifest.yml)
ups() {  # ups NAME SPACE APP: a user-provided service with a secret, bound to APP; sets $binding
  req POST /v3/service_instances "{\"type\":\"user-provided\",\"name\":\"$1\",\"credentials\":{\"password\":\"s3cret-$1\"},\"relationships\":{\"space\":{\"data\":{\"guid\":\"$2\"}}}}"
  local si; si=$(j .guid)
  req POST /v3/service_credential_bindings "{\"type\":\"app\",\"relationships\":{\"app\":{\"data\":{\"guid\":\"$3\"}},\"service_instance\":{\"data\":{\"guid\":\"$si\"}}}}"
  binding=$(j .guid)
}
PUSH_ENV='{"SECRET":"victim-env"}' push victim "$work/hello.zip"
victim=$app victim_proc=$proc victim_route=$route
ups victimdb "$dev_space" "$victim"
victim_binding=$binding
req GET "/v3/service_credential_bindings/$victim_binding"
victim_si=$(j .relationships.service_instance.data.guid)
space=$other
push otherapp "$work/hello.zip"
otherapp=$app other_route=$route
ups otherdb "$other" "$otherapp"
other_binding=$binding
req GET "/v3/apps/$victim/packages"
victim_pkg=$(j '.resources[0].guid')

# as CALLER: METHOD PATH [BODY] -> $status, body in $work/body
as() {
  local who=$1
  shift
  token=$who
  req "$@"
  token=$admin_token
}
want() {  # want STATUS DESCRIPTION
  if [ "$status" = "$1" ]; then ok; else bad "$2: $status (want $1)"; fi
}

# --- mallory, a developer of "other": dev's app is not there for her ---------------------------
as "$mallory" GET /v3/apps
[ "$(j '[.resources[].name] | join(",")')" = otherapp ] && ok || bad "mallory lists only her space's apps: $(j '[.resources[].name]')"
as "$mallory" GET "/v3/apps/$victim"; want 404 "mallory GET another space's app"
[ "$(j '.errors[0].title')" = CF-ResourceNotFound ] && ok || bad "a 404 is CF-ResourceNotFound"
as "$mallory" GET "/v3/apps/$victim/env"; want 404 "mallory reads another space's env"
as "$mallory" GET "/v3/apps/$victim/environment_variables"; want 404 "mallory reads another space's env vars"
as "$mallory" PATCH "/v3/apps/$victim" '{"name":"pwned"}'; want 404 "mallory renames another space's app"
as "$mallory" DELETE "/v3/apps/$victim"; want 404 "mallory deletes another space's app"
as "$mallory" POST "/v3/apps/$victim/actions/stop"; want 404 "mallory stops another space's app"
as "$mallory" GET "/v3/processes/$victim_proc"; want 404 "mallory reads another space's process"
as "$mallory" POST "/v3/processes/$victim_proc/actions/scale" '{"instances":0}'; want 404 "mallory scales another space's process"
as "$mallory" GET /v3/processes
[ "$(j "[.resources[].guid] | index(\"$victim_proc\")")" = null ] && [ "$(j '.resources | length')" = 1 ] && ok ||
  bad "mallory lists only her space's processes: $(j '[.resources[].guid]')"
as "$mallory" GET "/v3/processes?app_guids=$victim"
[ "$(j '.resources | length')" = 0 ] && ok || bad "mallory cannot list another space's processes by app"
as "$mallory" GET "/v3/packages/$victim_pkg"; want 404 "mallory reads another space's package"
as "$mallory" GET "/v3/service_credential_bindings/$victim_binding/details"; want 404 "mallory reads another space's credentials"
as "$mallory" GET "/v3/service_instances/$victim_si"; want 404 "mallory reads another space's service instance"
as "$mallory" DELETE "/v3/service_instances/$victim_si"; want 404 "mallory deletes another space's service instance"
as "$mallory" GET "/api/v1/read/$victim"; want 404 "mallory reads another space's logs"
as "$mallory" GET /v3/service_credential_bindings
[ "$(j '[.resources[].guid] | join(",")')" = "$other_binding" ] && ok || bad "mallory lists only her bindings"
as "$mallory" GET /v3/service_instances
[ "$(j '[.resources[].name] | join(",")')" = otherdb ] && ok || bad "mallory lists only her service instances"
as "$mallory" GET /v3/routes
[ "$(j '[.resources[].host] | join(",")')" = otherapp ] && ok || bad "mallory lists only her routes: $(j '[.resources[].host]')"
as "$mallory" GET /v3/spaces
[ "$(j '[.resources[].name] | join(",")')" = other ] && ok || bad "mallory lists only her space"
as "$mallory" GET /v3/organizations
[ "$(j '[.resources[].name] | join(",")')" = kato ] && ok || bad "mallory sees her organization"
as "$mallory" GET "/v3/spaces/$dev_space"; want 404 "mallory reads another space"
as "$mallory" POST /v3/apps "{\"name\":\"intruder\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$dev_space\"}}}}"; want 422 "mallory creates an app in another space"
as "$mallory" POST /v3/spaces "{\"name\":\"mine\",\"relationships\":{\"organization\":{\"data\":{\"guid\":\"$org\"}}}}"; want 403 "a developer creates a space"
# The route hijack: the victim's host, and any path under it.
as "$mallory" POST /v3/routes "{\"host\":\"victim\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$other\"}},\"domain\":{\"data\":{\"guid\":\"$domain\"}}}}"
want 422 "mallory takes victim.localhost"
[[ "$(j '.errors[0].detail')" == *"reserved for another space"* ]] && ok || bad "the hijack's reason: $(j '.errors[0].detail')"
as "$mallory" POST /v3/routes "{\"host\":\"victim\",\"path\":\"/login\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$other\"}},\"domain\":{\"data\":{\"guid\":\"$domain\"}}}}"
want 422 "mallory takes victim.localhost/login"
as "$mallory" POST "/v3/routes/$other_route/destinations" "{\"destinations\":[{\"app\":{\"guid\":\"$victim\"}}]}"; want 422 "mallory maps another space's app to her route"
as "$mallory" POST "/v3/routes/$victim_route/destinations" "{\"destinations\":[{\"app\":{\"guid\":\"$otherapp\"}}]}"; want 404 "mallory maps her app to the victim's route"
as "$mallory" POST /v3/service_credential_bindings "{\"type\":\"app\",\"relationships\":{\"app\":{\"data\":{\"guid\":\"$otherapp\"}},\"service_instance\":{\"data\":{\"guid\":\"$victim_si\"}}}}"
want 422 "mallory binds another space's service to her app"
# Her own space works as before.
as "$mallory" GET "/v3/apps/$otherapp/env"; want 200 "mallory reads her own app's env"
as "$mallory" POST "/v3/apps/$otherapp/actions/restart"; want 200 "mallory restarts her own app"
# The victim still serves.
status=$(curl -s --cacert "$ca" -o "$work/body" -w '%{http_code}' "https://victim.localhost:$port/")
[ "$status" = 200 ] && [ "$(j .name)" = victim ] && ok || bad "the victim app still serves: $status"

# --- aud, an auditor of "other": sees, but no credentials and no changes ------------------------
as "$aud" GET "/v3/apps/$otherapp"; want 200 "an auditor reads an app of its space"
as "$aud" GET "/v3/apps/$otherapp/env"; want 403 "an auditor reads env"
[ "$(j '.errors[0].title')" = CF-NotAuthorized ] && ok || bad "a 403 is CF-NotAuthorized"
as "$aud" GET "/v3/apps/$otherapp/environment_variables"; want 403 "an auditor reads env vars"
as "$aud" GET "/v3/service_credential_bindings/$other_binding/details"; want 403 "an auditor reads binding details"
as "$aud" GET "/v3/service_credential_bindings/$other_binding"; want 200 "an auditor reads a binding"
as "$aud" PATCH "/v3/apps/$otherapp" '{"name":"renamed"}'; want 403 "an auditor renames an app"
as "$aud" POST "/v3/apps/$otherapp/actions/stop"; want 403 "an auditor stops an app"
as "$aud" DELETE "/v3/routes/$other_route"; want 403 "an auditor deletes a route"
as "$aud" GET "/api/v1/read/$otherapp"; want 200 "an auditor reads logs"
as "$aud" GET "/v3/apps/$victim"; want 404 "an auditor of another space"
exec_status() {  # exec_status TOKEN APP
  curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" -H "Authorization: bearer $1" -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
    -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$api/v3/apps/$2/processes/web/instances/0/exec"
}
[ "$(exec_status "$aud" "$otherapp")" = 403 ] && ok || bad "an auditor runs a command: $(exec_status "$aud" "$otherapp")"
[ "$(exec_status "$mallory" "$victim")" = 404 ] && ok || bad "mallory runs a command in another space's app"

# --- dev, a developer of "dev": the victim's owner -------------------------------------------
as "$dev" GET "/v3/apps/$victim/env"; want 200 "dev reads its app's env"
[ "$(j .environment_variables.SECRET)" = victim-env ] && ok || bad "dev sees its env"
as "$dev" GET "/v3/service_credential_bindings/$victim_binding/details"; want 200 "dev reads its binding's credentials"
as "$dev" POST "/v3/processes/$victim_proc/actions/scale" '{"instances":1}'; [[ "$status" == 20* ]] && ok || bad "dev scales its app: $status"
as "$dev" GET "/v3/apps/$otherapp"; want 404 "dev and another space"

# --- users and roles through the API -----------------------------------------------------------
req POST /v3/users '{"username":"carol","password":"carol-password"}'
expect 201 '.username == "carol"' "an admin creates a user"
carol_guid=$(j .guid)
as "$mallory" POST /v3/users '{"username":"eve","password":"eve-password"}'; want 403 "a developer creates a user"
carol=$(login carol carol-password)
as "$carol" GET /v3/apps
[ "$(j '.resources | length')" = 0 ] && ok || bad "a user without roles sees no app"
role_body="{\"type\":\"space_auditor\",\"relationships\":{\"user\":{\"data\":{\"guid\":\"$carol_guid\"}},\"space\":{\"data\":{\"guid\":\"$other\"}}}}"
as "$mallory" POST /v3/roles "$role_body"; want 403 "a developer gives a role"
req POST /v3/roles "$role_body"
expect 201 '.type == "space_auditor"' "an admin gives carol space_auditor in other"
carol_role=$(j .guid)
req POST /v3/roles "$role_body"; want 422 "the same role twice"
as "$carol" GET "/v3/apps/$otherapp"; want 200 "carol sees the app of her new space"
as "$carol" GET "/v3/apps/$otherapp/env"; want 403 "carol, an auditor, reads env"
as "$mallory" GET /v3/roles
[ "$(j '[.resources[] | select(.relationships.space.data) | .relationships.space.data.guid] | unique | join(",")')" = "$other" ] && ok || bad "mallory lists only the space roles of her space"
as "$mallory" GET /v3/users
# The users of her org (every space role brings organization_user), not the admin, who holds none.
[ "$(j '[.resources[].username] | sort | join(",")')" = "aud,carol,dev,mallory" ] && ok || bad "mallory lists the users of her org: $(j '[.resources[].username]')"
dev_guid=$(printf '%s' "$dev" | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .user_id)
req POST /v3/users '{"username":"loner","password":"loner-password"}'
loner_guid=$(j .guid)
as "$mallory" GET "/v3/users/$loner_guid"; want 404 "mallory reads a user she shares nothing with"
req DELETE "/v3/roles/$carol_role"; want 202 "an admin takes the role back"
as "$carol" GET "/v3/apps/$otherapp"; want 404 "carol no longer sees it"
req DELETE "/v3/users/$carol_guid"; want 202 "an admin deletes carol"
as "$carol" GET /v3/apps; want 401 "carol's token stops working at once"
req GET /v3/users
admin_guid=$(j '[.resources[] | select(.username == "admin")][0].guid')
req DELETE "/v3/users/$admin_guid"; want 422 "the last admin cannot be deleted"

# --- the admin sees everything ------------------------------------------------------------------
req GET /v3/apps
[ "$(j '.resources | length')" = 2 ] && ok || bad "the admin lists every app"

# --- managers: an org manager makes spaces and gives roles, a space manager gives roles in its ---
# --- space, and deleting a space takes what is in it ---------------------------------------------
req POST /v3/users '{"username":"olga","password":"olga-password"}'; want 201 "an admin creates olga"
olga_guid=$(j .guid)
req POST /v3/roles "{\"type\":\"organization_manager\",\"relationships\":{\"user\":{\"data\":{\"username\":\"olga\"}},\"organization\":{\"data\":{\"guid\":\"$org\"}}}}"
want 201 "an admin makes olga an organization manager"
olga=$(login olga olga-password)
team_body="{\"name\":\"team\",\"relationships\":{\"organization\":{\"data\":{\"guid\":\"$org\"}}}}"
as "$dev" POST /v3/spaces "$team_body"; want 403 "a developer creates a space"
as "$olga" POST /v3/spaces "$team_body"; want 201 "an org manager creates a space"
team=$(j .guid)
as "$olga" PATCH "/v3/spaces/$team" '{"name":"team2"}'; want 200 "an org manager renames a space"
[ "$(j .name)" = team2 ] && ok || bad "the space has its new name"
as "$olga" PATCH "/v3/spaces/$team" '{"name":"dev"}'; want 422 "a space renamed to a name its org has"
as "$mallory" PATCH "/v3/spaces/$other" '{"name":"mine"}'; want 403 "a developer renames her space"
as "$dev" PATCH "/v3/spaces/$other" '{"name":"mine"}'; want 404 "a developer renames a space he cannot see"
role_in() {  # role_in TYPE USER SPACE|org:ORG
  local place="\"space\":{\"data\":{\"guid\":\"$3\"}}"
  [[ $3 == org:* ]] && place="\"organization\":{\"data\":{\"guid\":\"${3#org:}\"}}"
  echo "{\"type\":\"$1\",\"relationships\":{\"user\":{\"data\":{\"username\":\"$2\"}},$place}}"
}
as "$olga" POST /v3/roles "$(role_in space_manager mallory "$team")"; want 201 "an org manager gives a space role"
as "$mallory" POST /v3/roles "$(role_in space_developer dev "$team")"; want 201 "a space manager gives a role in her space"
as "$mallory" POST /v3/roles "$(role_in space_developer mallory "$dev_space")"; want 422 "a space manager gives herself a role in a space she cannot see"
as "$mallory" POST /v3/roles "$(role_in organization_manager mallory "org:$org")"; want 403 "a space manager makes herself an org manager"
both="{\"type\":\"organization_manager\",\"relationships\":{\"user\":{\"data\":{\"username\":\"mallory\"}},\"space\":{\"data\":{\"guid\":\"$team\"}},\"organization\":{\"data\":{\"guid\":\"$org\"}}}}"
as "$mallory" POST /v3/roles "$both"; want 422 "a role body naming her space and the org (authorized on one, acting on the other)"
as "$aud" POST /v3/roles "$(role_in space_developer aud "$other")"; want 403 "an auditor gives herself the developer role"
as "$mallory" GET "/v3/spaces/$team/users"
[ "$status" = 200 ] && [ "$(j '[.resources[].username] | sort | join(",")')" = "dev,mallory" ] && ok || bad "a space's users: $(j '[.resources[].username]')"
as "$dev" GET "/v3/spaces/$other/users"; want 404 "the users of a space he cannot see"
req GET "/v3/organizations/$org/users"
[[ ",$(j '[.resources[].username] | sort | join(",")')," == *,olga,* ]] && ok || bad "the org's users include its manager"
req GET "/v3/roles?types=organization_user&user_guids=$dev_guid"
dev_org_role=$(j '.resources[0].guid')
as "$olga" DELETE "/v3/roles/$dev_org_role"; want 422 "an org role taken while the user has roles in its spaces"
as "$mallory" DELETE "/v3/spaces/$team"; want 403 "a space manager deletes her space (org managers do)"
token=$dev space=$team
push teamapp "$work/hello.zip"
teamapp=$app teamproc=$proc
ups teamdb "$team" "$teamapp"
token=$admin_token space=$dev_space
as "$olga" DELETE "/v3/spaces/$team"; want 202 "an org manager deletes a space with an app, a route and a service"
for i in $(seq 1 60); do req GET "/v3/spaces/$team"; [ "$status" = 404 ] && break; sleep 1; done
want 404 "the space is gone"
req GET "/v3/apps/$teamapp"; want 404 "its app is gone"
req GET "/v3/processes/$teamproc/stats"; want 404 "its app's instances are gone"
req GET "/v3/service_instances?names=teamdb"
[ "$(j '.resources | length')" = 0 ] && ok || bad "its service instance is gone"
req GET "/v3/roles?space_guids=$team"
[ "$(j '.resources | length')" = 0 ] && ok || bad "its roles are gone"

# --- organizations --------------------------------------------------------------------------------
as "$olga" POST /v3/organizations '{"name":"acme"}'; want 403 "an org manager creates an organization"
req POST /v3/organizations '{"name":"acme"}'; want 201 "an admin creates an organization"
acme=$(j .guid)
req POST /v3/organizations '{"name":"acme"}'; want 422 "an organization's name twice"
as "$olga" PATCH "/v3/organizations/$acme" '{"name":"mine"}'; want 404 "an org manager renames an org she cannot see"
as "$olga" PATCH "/v3/organizations/$org" '{"name":"kato2"}'; want 200 "an org manager renames her org"
as "$olga" PATCH "/v3/organizations/$org" '{"suspended":true}'; want 403 "an org manager suspends her org (admins do)"
as "$olga" PATCH "/v3/organizations/$org" '{"name":"kato"}'; want 200 "and names it back"
as "$olga" DELETE "/v3/organizations/$org"; want 403 "an org manager deletes her org (admins do)"
req POST /v3/spaces "{\"name\":\"s1\",\"relationships\":{\"organization\":{\"data\":{\"guid\":\"$acme\"}}}}"; want 201 "a space in the new org"
req DELETE "/v3/organizations/$acme"; want 202 "an admin deletes an organization with a space"
for i in $(seq 1 30); do req GET "/v3/organizations/$acme"; [ "$status" = 404 ] && break; sleep 1; done
want 404 "the organization is gone"
req GET "/v3/spaces?names=s1"
[ "$(j '.resources | length')" = 0 ] && ok || bad "its space is gone"

# --- passwords: UAA's PUT /Users/:guid/password ----------------------------------------------------
as "$dev" PUT "/Users/$dev_guid/password" '{"oldPassword":"wrong-password","password":"new-dev-password"}'; want 401 "a password change with the wrong old password"
as "$dev" PUT "/Users/$dev_guid/password" '{"oldPassword":"dev-password","password":"short"}'; want 422 "a new password under 8 characters"
as "$dev" PUT "/Users/$dev_guid/password" '{"oldPassword":"dev-password","password":"new-dev-password"}'; want 200 "a user changes his password"
[ "$(login dev dev-password)" = null ] && ok || bad "the old password no longer logs in"
[ "$(login dev new-dev-password)" != null ] && ok || bad "the new one does"
as "$mallory" PUT "/Users/$dev_guid/password" '{"password":"mallorys-choice"}'; want 403 "a user sets the password of another user of her org"
as "$olga" PUT "/Users/$dev_guid/password" '{"password":"olgas-choice"}'; want 403 "an org manager sets a user's password"
req PUT "/Users/$dev_guid/password" '{"password":"admin-choice"}'; want 200 "an admin sets a user's password"
[ "$(login dev admin-choice)" != null ] && ok || bad "the admin's choice logs in"

# --- the admin password never on the command line ------------------------------------------------
printf 'from-a-file\n' > "$work/pw"
"$kato" --data "$work/second" start --port 0 --admin-password-file "$work/pw" >/dev/null && ok || bad "start --admin-password-file"
[ "$(cat "$work/second/admin-password")" = from-a-file ] && ok || bad "the password came from the file"
"$kato" --data "$work/second" stop >/dev/null
printf 'from-stdin-pw\n' | "$kato" --data "$work/fourth" start --port 0 --admin-password-file - >/dev/null && ok || bad "start --admin-password-file -"
[ "$(cat "$work/fourth/admin-password")" = from-stdin-pw ] && ok || bad "the password came from stdin"
"$kato" --data "$work/fourth" stop >/dev/null
"$kato" --data "$work/third" start --port 0 --admin-password-file "$work/nosuch" >/dev/null 2>"$work/err"
[ $? = 2 ] && grep -q "cannot read a password from" "$work/err" && ok || bad "an unreadable password file: exit 2, one line"
# Global options after the subcommand too (issue 19): kato start --data D.
"$kato" start --data "$work/fifth" --port 0 >/dev/null && [ -f "$work/fifth/kato.json" ] && ok || bad "kato start --data D"
"$kato" status --data "$work/fifth" | grep -q "kato running ($work/fifth)" && ok || bad "kato status --data D"
cp "$work/fifth/kato.json" "$work/kato.json.before"
"$kato" stop --data "$work/fifth" >/dev/null && ok || bad "kato stop --data D"
# A kato.json whose pid is alive but is not kato (a reused pid; a killed kato not yet reaped): kato
# runs only while it holds its data dir's lock. Status says stopped, stop leaves that process be.
sleep 60 &
sleeper=$!
jq ".pid = $sleeper" "$work/kato.json.before" >"$work/fifth/kato.json"
"$kato" status --data "$work/fifth" >"$work/out" 2>&1
[ $? = 3 ] && grep -q "kato stopped" "$work/out" && ok || bad "status with a live pid that is not kato: $(head -1 "$work/out")"
"$kato" stop --data "$work/fifth" >/dev/null 2>&1
kill -0 "$sleeper" 2>/dev/null && ok || bad "kato stop killed a process that was not kato"
kill "$sleeper" 2>/dev/null
rm -f "$work/fifth/kato.json"
# A data dir of a newer kato (model/schema.hpp) is refused with one line, and left as it was.
sqlite3 "$work/fifth/kato.db" "update settings set value='99' where key='schema_version'"
"$kato" start --data "$work/fifth" --port 0 >/dev/null 2>"$work/err"
[ $? = 1 ] && grep -q "written by a newer kato (schema version 99" "$work/err" && ok || bad "a newer data dir is refused: $(cat "$work/err")"
[ "$(sqlite3 "$work/fifth/kato.db" "select value from settings where key='schema_version'")" = 99 ] && ok || bad "and left as it was"
"$kato" --data "$work/third" start --admin-password x >/dev/null 2>&1
[ $? = 2 ] && ok || bad "--admin-password (in argv) is gone"

e2e_finish
