#!/usr/bin/env bash
# The one library every end-to-end test sources first: counting checks, a scratch directory,
# katos that are stopped whatever happens, and the closing line "NAME: N passed, N failed".
#
#   source "$(dirname "$0")/common.sh"
#   e2e_init "my suite"            # $work, pass=0, fails=0, the EXIT trap
#   at_exit 'kill $pid'            # more cleanup, run before the katos stop
#   kato_start "$work/k" [START OPTIONS...]   # needs $kato; stopped at exit
#   check "what" REGEX "$actual"; ok; bad "what"; has/hasnt REGEX "what" (on $work/out)
#   e2e_finish                     # prints the totals, exits 1 if a check failed
#
# lib.sh (raw API calls) and client_lib.sh (the client) build on it.

e2e_init() {
  e2e_name=$1
  pass=0
  fails=0
  work=$(mktemp -d)
  e2e_cleanups=()
  e2e_katos=()
  trap e2e_cleanup EXIT
}

# at_exit COMMAND: run at exit (last registered first), before the katos stop.
at_exit() { e2e_cleanups+=("$1"); }

e2e_cleanup() {
  local i
  for ((i = ${#e2e_cleanups[@]} - 1; i >= 0; i--)); do eval "${e2e_cleanups[i]}" 2>/dev/null; done
  for i in "${e2e_katos[@]}"; do "$kato" --data "$i" stop >/dev/null 2>&1; done
  e2e_reports
  rm -rf "$work"
}

# After failures: what a sanitizer said in the katos' logs (a kato that died says why there).
e2e_reports() {
  [ "${fails:-0}" = 0 ] && return 0
  local d
  for d in "${e2e_katos[@]}" "$work"/*/; do
    [ -f "$d/kato.log" ] && grep -A40 -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|terminate called" "$d/kato.log" | head -80
  done
  return 0
}

ok() { pass=$((pass + 1)); }
# bad WHAT: a failed check, with what the last command left ($work/out, or an API call's
# status and body in $work/body).
bad() {
  echo "FAIL: $*"
  if [ -n "${status:-}" ] && [ -f "$work/body" ]; then echo "  status=$status body=$(head -c 800 "$work/body")"; fi
  if [ -n "${rc:-}" ] && [ -f "$work/out" ]; then echo "  rc=$rc out=$(tail -c 1500 "$work/out")"; fi
  fails=$((fails + 1))
}
# check WHAT REGEX ACTUAL: ACTUAL matches the extended regular expression.
check() { if grep -qE -- "$2" <<<"$3"; then ok; else echo "FAIL: $1: expected /$2/ in: ${3:0:1500}"; fails=$((fails + 1)); fi; }

# has/hasnt REGEX WHAT: about the last command's output, kept in $work/out.
has() { if grep -qE -- "$1" "$work/out"; then ok; else rc=-; bad "$2"; fi; }
hasnt() { if grep -qE -- "$1" "$work/out"; then rc=-; bad "$2"; else ok; fi; }

# kato_start DIR [START OPTIONS...]: a kato on a free port with its data in DIR, stopped at exit.
kato_start() {
  local dir=$1
  shift
  e2e_katos+=("$dir")
  "$kato" --data "$dir" start --port 0 "$@" >/dev/null || { echo "FAIL: kato start --data $dir"; exit 1; }
}

e2e_finish() {
  echo "$e2e_name: $pass passed, $fails failed"
  [ "$fails" -eq 0 ]
  exit
}
