#!/usr/bin/env bash
# Shared by the client's end-to-end tests: running commands with their output in $work/out, and
# a kato started and logged into. Expects $stackato, $kato and common.sh's e2e_init ($work).
# run EXPECTED-RC PATTERN DESCRIPTION -- command...: stdout and stderr together in $work/out
run() {
  local want=$1 pattern=$2 what=$3
  shift 4
  "$@" >"$work/out" 2>&1 </dev/null
  rc=$?
  if [ "$rc" = "$want" ] && grep -qE -- "$pattern" "$work/out"; then ok; else bad "$what"; fi
}

# kato_login: a kato in $work/k (admin password $KATO_ADMIN_PASSWORD), targeted with its CA and
# logged into in $STACKATO_HOME as a space developer of `dev` (issue 15: the seed's flows work
# for a developer, not only for the admin); E2E_AS=admin logs in as the admin. Sets $port, $ca.
kato_login() {
  kato_start "$work/k"
  port=$(jq -r .port "$work/k/kato.json")
  ca=$work/k/tls/ca.pem
  "$stackato" --cafile "$ca" target "https://api.localhost:$port" >/dev/null 2>&1 || exit 1
  kato_login_as "${E2E_AS:-developer}"
}
# kato_login_as admin|developer: logs the client in as that user (made the first time).
kato_login_as() {
  if [ "$1" = admin ]; then
    printf '%s\n' "$KATO_ADMIN_PASSWORD" | "$stackato" login admin --password-stdin >/dev/null 2>&1 || exit 1
    return
  fi
  if [ ! -f "$work/.e2e-developer" ]; then
    printf 'developer-e2e-pw\n' | "$kato" --data "$work/k" add-user developer --space dev >/dev/null || exit 1
    touch "$work/.e2e-developer"
  fi
  printf 'developer-e2e-pw\n' | "$stackato" login developer --password-stdin >/dev/null 2>&1 || exit 1
}
