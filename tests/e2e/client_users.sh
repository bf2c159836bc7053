#!/usr/bin/env bash
# Users, roles, organizations and spaces from the client (issue 15), as an admin and as the users
# it makes, each in its own STACKATO_HOME: every form the help shows of users, create-user,
# delete-user, passwd, org-users, space-users, set/unset-org-role, set/unset-space-role,
# create-org, rename-org, delete-org, create-space, rename-space, delete-space; one-line errors
# for unknown users, roles, organizations and spaces; passwords never in argv or --trace.
set -u
stackato=$1
kato=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "client users"
at_exit '"$kato" --data "$work/k" stop >/dev/null 2>&1'
source "$here/client_lib.sh"

export KATO_ADMIN_PASSWORD=users-admin-pw
export STACKATO_HOME=$work/admin
E2E_AS=admin kato_login
target=https://api.localhost:$port
as_dev() { STACKATO_HOME=$work/dev "$stackato" "$@"; }
# pipe INPUT EXPECTED-RC PATTERN DESCRIPTION -- command...: with INPUT on standard input
pipe() {
  local input=$1 want=$2 pattern=$3 what=$4
  shift 5
  printf '%b' "$input" | "$@" >"$work/out" 2>&1
  rc=$?
  if [ "$rc" = "$want" ] && grep -qE -- "$pattern" "$work/out"; then ok; else bad "$what"; fi
}

# --- users ------------------------------------------------------------------------------------------
run 2 "no password: use --password-stdin" "create-user under a pipe without --password-stdin" -- "$stackato" create-user dev
pipe 'short\n' 2 "at least 8 characters" "create-user with a short password" -- "$stackato" create-user dev --password-stdin
pipe 'dev-password\n' 0 "Created user dev" "create-user NAME --password-stdin" -- "$stackato" --trace create-user dev --password-stdin
hasnt "dev-password" "--trace shows no password"
has "REDACTED" "--trace redacts the password"
pipe 'dev-password\n' 1 "already exists" "create-user twice" -- "$stackato" create-user dev --password-stdin
pipe 'aud-password\n' 0 "Created user aud" "create-user aud" -- "$stackato" create-user aud --password-stdin
ps_seen=$(ps -eo args | grep -c 'dev-password' || true)
[ "$ps_seen" -le 1 ] && ok || { rc=-; bad "a password in a process's argv"; }

# --- organizations and spaces -----------------------------------------------------------------------
run 0 "Created organization acme" "create-org" -- "$stackato" create-org acme
run 1 "already exists" "create-org twice" -- "$stackato" create-org acme
run 0 "acme" "orgs lists the new org" -- "$stackato" orgs
run 0 "Created space web in organization acme" "create-space NAME -o ORG" -- "$stackato" create-space web -o acme
run 0 "Created space team in organization kato" "create-space NAME (the current org)" -- "$stackato" create-space team
run 0 "Created space misc in organization acme" "create-space NAME --organization ORG" -- "$stackato" create-space misc --organization acme
run 1 "organization 'acmee' not found; did you mean 'acme'" "create-space -o with a typo" -- "$stackato" create-space x -o acmee
run 0 "team" "spaces lists the new space" -- "$stackato" spaces

# --- roles --------------------------------------------------------------------------------------------
run 0 "Assigned role OrgManager to user dev in organization acme" "set-org-role USER ORG ROLE" -- "$stackato" set-org-role dev acme OrgManager
run 2 "unknown organization role 'Boss': one of OrgUser, OrgManager, OrgAuditor, BillingManager" "set-org-role with an unknown role" -- "$stackato" set-org-role dev acme Boss
run 0 "Assigned role SpaceDeveloper to user dev in space team of organization kato" "set-space-role USER ORG SPACE ROLE" -- "$stackato" set-space-role dev kato team SpaceDeveloper
run 0 "Assigned role SpaceAuditor" "set-space-role with CAPI's name for the role" -- "$stackato" set-space-role aud kato team space_auditor
run 1 "Invalid user" "set-space-role for an unknown user" -- "$stackato" set-space-role nosuch kato team SpaceDeveloper
run 1 "space 'tem' not found in organization 'kato'; did you mean 'team'" "set-space-role with a space typo" -- "$stackato" set-space-role dev kato tem SpaceDeveloper
run 2 "unknown space role 'OrgManager'" "set-space-role with an org role" -- "$stackato" set-space-role dev kato team OrgManager
run 1 "already has" "set-space-role twice" -- "$stackato" set-space-role dev kato team SpaceDeveloper

run 0 "ORG MANAGER" "org-users ORG" -- "$stackato" org-users acme
grep -A1 "ORG MANAGER" "$work/out" | grep -q "  dev" && ok || { rc=-; bad "org-users shows dev as manager"; }
"$stackato" org-users acme --json >"$work/out" 2>&1
jq -e '.organization_manager == ["dev"]' "$work/out" >/dev/null && ok || { rc=-; bad "org-users --json"; }
run 0 "Users of organization kato" "org-users (the current org)" -- "$stackato" org-users
grep -A3 "^USERS" "$work/out" | grep -q "  aud" && ok || { rc=-; bad "a space role gives organization_user too"; }
run 0 "Users of space team in organization kato" "space-users ORG SPACE" -- "$stackato" space-users kato team
grep -A2 "SPACE DEVELOPER" "$work/out" | grep -q "  dev" && ok || { rc=-; bad "space-users shows the developer"; }
grep -A2 "SPACE MANAGER" "$work/out" | grep -q "  admin" && ok || { rc=-; bad "the space's creator manages it (as cf)"; }
run 0 "Users of space team in organization kato" "space-users SPACE" -- "$stackato" space-users team
run 0 "Users of space dev in organization kato" "space-users (the current space)" -- "$stackato" space-users
"$stackato" space-users kato team --json >"$work/out" 2>&1
jq -e '.space_developer == ["admin","dev"] and .space_auditor == ["aud"]' "$work/out" >/dev/null && ok || { rc=-; bad "space-users --json"; }
run 1 "space 'nope' not found" "space-users with an unknown space" -- "$stackato" space-users nope
run 0 "dev" "users" -- "$stackato" users
grep -E "^\| *dev" "$work/out" | grep -q "kato/team:SpaceDeveloper" && grep -E "^\| *dev" "$work/out" | grep -q "acme:OrgManager" && ok || { rc=-; bad "users shows dev's roles"; }
"$stackato" users --json >"$work/out" 2>&1
jq -e '[.[] | select(.username == "aud")][0].roles | index("kato/team:SpaceAuditor") != null' "$work/out" >/dev/null && ok || { rc=-; bad "users --json"; }

# --- as dev: a developer of kato/team, a manager of acme ----------------------------------------------
STACKATO_HOME=$work/dev "$stackato" --cafile "$ca" target "$target" >/dev/null 2>&1
pipe 'dev-password\n' 0 "Space: +team" "dev logs in" -- env STACKATO_HOME="$work/dev" "$stackato" login dev --password-stdin -o kato -s team
run 1 "not authorized" "a developer creates a space in an org he does not manage" -- as_dev create-space x -o kato
run 0 "Created space w2 in organization acme" "an org manager creates a space" -- as_dev create-space w2 -o acme
run 1 "not authorized" "a developer renames his space" -- as_dev rename-space team team2
pipe 'x-password\n' 1 "not authorized" "a developer creates a user" -- env STACKATO_HOME="$work/dev" "$stackato" create-user x --password-stdin
run 1 "not authorized" "a developer gives himself a role in a space he only develops" -- as_dev set-space-role dev kato team SpaceManager
run 0 "Assigned role SpaceAuditor to user aud in space w2" "an org manager gives a role" -- as_dev set-space-role aud acme w2 SpaceAuditor
run 0 "" "a developer lists users" -- as_dev users
hasnt "BillingManager" "(nothing odd in it)"
run 2 "no password" "passwd under a pipe without --password-stdin" -- as_dev passwd
pipe 'wrong-password\nnew-dev-password\n' 1 "Old password is incorrect" "passwd with a wrong current password" -- env STACKATO_HOME="$work/dev" "$stackato" passwd --password-stdin
pipe 'dev-password\nnew-dev-password\n' 0 "Changed the password of dev" "passwd --password-stdin" -- env STACKATO_HOME="$work/dev" "$stackato" --trace passwd --password-stdin
hasnt "new-dev-password|dev-password" "passwd's --trace shows no password"
run 0 "" "the client keeps working after passwd (logged in again)" -- as_dev apps
pipe 'dev-password\n' 1 "login failed" "the old password no longer logs in" -- env STACKATO_HOME="$work/dev2" "$stackato" --cafile "$ca" --target "$target" login dev --password-stdin

# --- taking back, renaming and deleting -------------------------------------------------------------
run 0 "Removed role SpaceAuditor from user aud in space team of organization kato" "unset-space-role" -- "$stackato" unset-space-role aud kato team SpaceAuditor
run 0 "does not have role SpaceAuditor" "unset-space-role again" -- "$stackato" unset-space-role aud kato team SpaceAuditor
run 0 "Removed role OrgManager from user dev in organization acme" "unset-org-role" -- "$stackato" unset-org-role dev acme OrgManager
run 1 "not authorized" "dev no longer manages acme" -- as_dev create-space w3 -o acme
run 0 "Organization: acme" "switch-org acme web" -- "$stackato" switch-org acme web
run 0 "Renamed space misc to misc2" "rename-space SPACE NEW" -- "$stackato" rename-space misc misc2
run 0 "Renamed organization acme to acme2" "rename-org ORG NEW" -- "$stackato" rename-org acme acme2
run 0 "Organization: acme2" "the current org's name follows" -- "$stackato" target
run 0 "Space: +team" "switch-org kato team" -- "$stackato" switch-org kato team
"$stackato" create-user-provided-service teamdb --credentials password=x >/dev/null 2>&1
run 2 "holds 0 app\(s\) and 1 service instance\(s\): use --recursive" "delete-space with a service in it" -- "$stackato" delete-space team -f
run 0 "Deleted space team" "delete-space --recursive -f" -- "$stackato" delete-space team --recursive -f
run 0 "" "spaces" -- "$stackato" spaces
hasnt " team " "the space is gone"
run 0 "Deleted space w2" "delete-space SPACE -o ORG -f" -- "$stackato" delete-space w2 -o acme2 -f
run 0 "Deleted organization acme2" "delete-org ORG -f" -- "$stackato" delete-org acme2 -f
run 0 "" "orgs" -- "$stackato" orgs
hasnt "acme" "the org is gone"
run 1 "user 'deve' not found; did you mean 'dev'" "delete-user with a typo" -- "$stackato" delete-user deve -f
run 0 "Deleted user dev" "delete-user NAME -f" -- "$stackato" delete-user dev -f
run 0 "Deleted user aud" "delete-user NAME (no terminal: no question)" -- "$stackato" delete-user aud
run 1 "" "a deleted user's client is refused" -- as_dev apps

e2e_finish
