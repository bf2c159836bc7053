#!/usr/bin/env bash
# The stackato binary as a user meets it: version, help, mistakes, `stackato manifest`.
set -u
bin=$1
shared=$2
run_check() {  # run_check NAME EXPECTED-RC PATTERN -- command...
  local name=$1 want_rc=$2 pattern=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$want_rc" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL: $name (rc=$rc, want $want_rc; pattern '$pattern')"
    echo "$out" | head -20
    fails=$((fails + 1))
  else
    pass=$((pass + 1))
  fi
}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "cli basics"
export STACKATO_HOME=$work/home

run_check "version" 0 '^stackato [0-9]+\.[0-9]+\.[0-9]+$' -- "$bin" --version
run_check "help lists commands" 0 'Usage: stackato' -- "$bin" help
run_check "help COMMAND" 0 '\-\-manifest' -- "$bin" help manifest
run_check "help says what restart does (it said \"Sestart\")" 0 "restart +Restart an application" -- "$bin" help
run_check "no command prints help" 0 'Usage' -- "$bin"
run_check "global options after the command" 1 "cannot reach https://api.localhost:1/" -- "$bin" info --target https://api.localhost:1 --timeout 5
run_check "unknown option after the command, with a suggestion" 2 "unknown option .--nostrt. for .push.; did you mean .--nostart.\?" -- "$bin" push --nostrt
run_check "unknown command suggests" 2 "unknown command 'mainfest'; did you mean 'manifest'\?" -- "$bin" mainfest
run_check "unknown option suggests" 2 "unknown option '--jsn' for 'manifest'; did you mean '--json'\?" -- "$bin" manifest --jsn
run_check "help of unknown command" 2 "unknown command 'pussh'" -- "$bin" help pussh

app=$shared/corpus/stackato-cli-tests/apps
run_check "manifest yaml" 0 '^    memory: 256$' -- "$bin" manifest --path "$app/env"
run_check "manifest json" 0 '"memory": 256' -- "$bin" manifest --path "$app/env" --json
run_check "manifest files" 0 '^app.js$' -- "$bin" manifest --path "$app/env" --files
run_check "upload manifest" 0 '^    path: \.$' -- "$bin" manifest --path "$app/env" --upload
run_check "--upload and --files exclude each other" 2 'excludes' -- "$bin" manifest --path "$app/env" --upload --files
run_check "bad manifest: one line, file:line:col, exit 2" 2 '^stackato: error: .*stackato.yml:10:5: Manifest validation error' -- "$bin" manifest --path "$app/hooks-syntax"
# stderr: the "Using manifest file" line, then the error on exactly one line, and nothing else.
err=$("$bin" manifest --path "$app/hooks-syntax" 2>&1 >/dev/null)
if [ "$(wc -l <<<"$err")" -eq 2 ] && [ "$(grep -c '^stackato: error: ' <<<"$err")" -eq 1 ] &&
   head -1 <<<"$err" | grep -q '^Using manifest file'; then
  pass=$((pass + 1))
else
  echo "FAIL: the error is not one line after the manifest line:"; echo "$err"; fails=$((fails + 1))
fi
run_check "no manifest" 2 'no manifest' -- "$bin" manifest --path "$work"

mkdir -p "$work/seed" && cat > "$work/seed/stackato.yml" <<'YML'
name: customertracker
services:
  mysql: customerdb
hooks:
  post-staging: perl preload.pl
YML
run_check "seed example" 0 'customerdb:' -- "$bin" manifest --path "$work/seed"
run_check "seed example warns about the deprecated form" 0 'Deprecated syntax' -- "$bin" manifest --path "$work/seed"
mkdir -p "$work/cache" && printf 'name: FOO\nservices:\n  ${name}-cache: filesystem\n' > "$work/cache/stackato.yml"
run_check "cache service" 0 'FOO-cache:' -- "$bin" manifest --path "$work/cache"
run_check "--as renames the cache service" 0 'BAR-cache:' -- "$bin" manifest --path "$work/cache" --as BAR

e2e_finish
