#!/usr/bin/env bash
# The stackato binary as a user meets it: version, help, mistakes, `stackato manifest`.
set -u
bin=$1
shared=$2
fails=0
pass=0
check() {  # check NAME EXPECTED-RC PATTERN -- command...
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
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export STACKATO_HOME=$work/home

check "version" 0 '^stackato [0-9]+\.[0-9]+\.[0-9]+$' -- "$bin" --version
check "help lists commands" 0 'Usage: stackato' -- "$bin" help
check "help COMMAND" 0 '\-\-manifest' -- "$bin" help manifest
check "help says what restart does (it said \"Sestart\")" 0 "restart +Restart an application" -- "$bin" help
check "no command prints help" 0 'Usage' -- "$bin"
check "global options after the command" 1 "cannot reach https://api.localhost:1/" -- "$bin" info --target https://api.localhost:1 --timeout 5
check "unknown option after the command, with a suggestion" 2 "unknown option .--nostrt. for .push.; did you mean .--nostart.\?" -- "$bin" push --nostrt
check "unknown command suggests" 2 "unknown command 'mainfest'; did you mean 'manifest'\?" -- "$bin" mainfest
check "unknown option suggests" 2 "unknown option '--jsn' for 'manifest'; did you mean '--json'\?" -- "$bin" manifest --jsn
check "help of unknown command" 2 "unknown command 'pussh'" -- "$bin" help pussh

app=$shared/corpus/stackato-cli-tests/apps
check "manifest yaml" 0 '^    memory: 256$' -- "$bin" manifest --path "$app/env"
check "manifest json" 0 '"memory": 256' -- "$bin" manifest --path "$app/env" --json
check "manifest files" 0 '^app.js$' -- "$bin" manifest --path "$app/env" --files
check "upload manifest" 0 '^    path: \.$' -- "$bin" manifest --path "$app/env" --upload
check "--upload and --files exclude each other" 2 'excludes' -- "$bin" manifest --path "$app/env" --upload --files
check "bad manifest: one line, file:line:col, exit 2" 2 '^stackato: error: .*stackato.yml:10:5: Manifest validation error' -- "$bin" manifest --path "$app/hooks-syntax"
# stderr: the "Using manifest file" line, then the error on exactly one line, and nothing else.
err=$("$bin" manifest --path "$app/hooks-syntax" 2>&1 >/dev/null)
if [ "$(wc -l <<<"$err")" -eq 2 ] && [ "$(grep -c '^stackato: error: ' <<<"$err")" -eq 1 ] &&
   head -1 <<<"$err" | grep -q '^Using manifest file'; then
  pass=$((pass + 1))
else
  echo "FAIL: the error is not one line after the manifest line:"; echo "$err"; fails=$((fails + 1))
fi
check "no manifest" 2 'no manifest' -- "$bin" manifest --path "$work"

mkdir -p "$work/seed" && cat > "$work/seed/stackato.yml" <<'YML'
name: customertracker
services:
  mysql: customerdb
hooks:
  post-staging: perl preload.pl
YML
check "seed example" 0 'customerdb:' -- "$bin" manifest --path "$work/seed"
check "seed example warns about the deprecated form" 0 'Deprecated syntax' -- "$bin" manifest --path "$work/seed"
mkdir -p "$work/cache" && printf 'name: FOO\nservices:\n  ${name}-cache: filesystem\n' > "$work/cache/stackato.yml"
check "cache service" 0 'FOO-cache:' -- "$bin" manifest --path "$work/cache"
check "--as renames the cache service" 0 'BAR-cache:' -- "$bin" manifest --path "$work/cache" --as BAR

echo "$pass passed, $fails failed"
[ "$fails" -eq 0 ]
