#!/usr/bin/env bash
# push --zero-downtime and rollback against a real kato under constant load: 10 releases in a
# row (5 rolling deployments, 5 swaps) with no failed or non-2xx request and only the new version
# answering after each; the seed's
# manual swap under the same load (its failures are printed, not asserted: it is the gap we
# close); a kill -9 of the client after every step, then the same command again; a new version
# that crashes or fails its smoke test; --keep-previous and rollback.
set -u
stackato=$1
kato=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "release"
at_exit 'touch "$work/stop"; "$kato" --data "$work/k" stop >/dev/null 2>&1'
source "$here/client_lib.sh"
version() { curl -s --cacert "$ca" "https://rel.localhost:$port/" | jq -r .version; }
release() { (cd "$work/app" && "$stackato" -n push --zero-downtime --drain 2 "$@") >"$work/out" 2>&1; rc=$?; }
# the end state after any release: one rel, no rel-new, no temporary route, the service bound
clean_state() {
  "$stackato" apps --json >"$work/apps.json" 2>/dev/null
  jq -e '[.[].name] | (map(select(. == "rel")) | length == 1) and (map(select(startswith("rel-new"))) | length == 0)' "$work/apps.json" >/dev/null &&
    jq -e '.[] | select(.name == "rel") | .services == ["reldb"] and .urls == ["rel.localhost"]' "$work/apps.json" >/dev/null &&
    ! "$stackato" routes 2>/dev/null | grep -q "rel-new"
}

export KATO_ADMIN_PASSWORD=release-secret STACKATO_HOME=$work/home
kato_login
mkdir -p "$work/app"
cp "$here/../../examples/hello/app.py" "$work/app/"
printf 'name: rel\ncommand: python3 app.py\nservices:\n  reldb:\n    type: user-provided\n    credentials: {uri: "x://y"}\n' >"$work/app/stackato.yml"
(cd "$work/app" && "$stackato" -n push --env APP_VERSION=v0) >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }

# --- 10 releases under load: 5 rolling deployments (kato offers them: the default), 5 swaps
app_guid() { "$stackato" app rel --json 2>/dev/null | jq -r .guid; }
python3 "$here/tools/load.py" rel.localhost "$port" "$ca" 6 300 "$work/stop" "$work/load.log" &
loader=$!
sleep 1
: >"$work/ends"
guid_before=$(app_guid)
for i in $(seq 1 10); do
  if [ "$i" -le 5 ]; then
    release --env "APP_VERSION=v$i"
    [ "$rc" = 0 ] && grep -q "Releasing rel without downtime: a rolling deployment" "$work/out" && ok || bad "release $i (rolling)"
  else
    release --env "APP_VERSION=v$i" --strategy swap
    [ "$rc" = 0 ] && grep -q "the new version starts as rel-new" "$work/out" && ok || bad "release $i (swap)"
  fi
  echo "$(date +%s.%N) v$i" >>"$work/ends"
  [ "$(version)" = "v$i" ] && ok || { rc=-; bad "release $i serves v$i"; }
  [ "$i" = 5 ] && { [ "$(app_guid)" = "$guid_before" ] && ok || bad "rolling releases keep the app's GUID"; }
done
[ "$(app_guid)" != "$guid_before" ] && ok || bad "swaps replace the app"
sleep 1
touch "$work/stop"
wait "$loader"
total=$(wc -l <"$work/load.log")
failed=$(grep -vc " 200 " "$work/load.log")
echo "load during 10 releases: $total requests, $failed failed"
[ "$total" -gt 100 ] && [ "$failed" = 0 ] && ok || { rc=-; grep -v " 200 " "$work/load.log" | head -5 >"$work/out"; bad "no failed request during the releases ($failed of $total)"; }
# after release i ended, only v>=i may answer
late=$(python3 - "$work/ends" "$work/load.log" <<'PY'
import sys
ends = [(float(t), int(v[1:])) for t, v in (l.split() for l in open(sys.argv[1]))]
bad = 0
for line in open(sys.argv[2]):
    t, status, version = line.split()[:3]
    if status != "200":
        continue
    done = [v for end, v in ends if end < float(t)]
    if done and int(version[1:]) < max(done):
        bad += 1
print(bad)
PY
)
[ "$late" = 0 ] && ok || { rc=-; bad "$late responses came from an old version after its release ended"; }
clean_state && ok || { rc=-; cp "$work/apps.json" "$work/out"; bad "after the releases: one app, no leftovers, service bound"; }

# --- the seed's manual swap under the same load: unmap first, then map (the gap we close)
rm -f "$work/stop"
python3 "$here/tools/load.py" rel.localhost "$port" "$ca" 6 120 "$work/stop" "$work/manual.log" &
loader=$!
sleep 1
(cd "$work/app" && "$stackato" -n push rel2 --env APP_VERSION=manual --url rel2.localhost) >/dev/null 2>&1
"$stackato" unmap rel rel.localhost >/dev/null 2>&1
sleep 2  # the next command, as a person types it
"$stackato" map rel2 rel.localhost >/dev/null 2>&1
sleep 1
touch "$work/stop"
wait "$loader"
echo "the seed's manual swap (unmap, then map) under the same load: $(grep -vc " 200 " "$work/manual.log") of $(wc -l <"$work/manual.log") requests failed"
"$stackato" unmap rel2 rel.localhost >/dev/null 2>&1
"$stackato" map rel rel.localhost >/dev/null 2>&1
"$stackato" delete --routes rel2 >/dev/null 2>&1

# --- kill -9 after each step, then the same command again
n=20
for step in started new-running mapped unmapped old-retired renamed; do
  n=$((n + 1))
  (cd "$work/app" && STACKATO_TEST_DIE_AFTER=$step "$stackato" -n push --strategy swap --drain 1 --env "APP_VERSION=v$n") >"$work/out" 2>&1
  rc=$?
  [ "$rc" = 137 ] && ok || bad "killed after $step"
  release --env "APP_VERSION=v$n" --strategy swap
  [ "$rc" = 0 ] && grep -q "Resuming the interrupted release of rel (last step: $step)" "$work/out" && ok || bad "rerun after a kill after $step"
  [ "$(version)" = "v$n" ] && ok || { rc=-; bad "after a kill after $step: rel serves v$n"; }
  clean_state && ok || { rc=-; cp "$work/apps.json" "$work/out"; bad "after a kill after $step: no leftovers"; }
done
[ -z "$(ls "$STACKATO_HOME/releases" 2>/dev/null)" ] && ok || { rc=-; bad "a journal is left"; }

# --- a new version that crashes, one that fails its smoke test: the old one keeps serving
cp "$work/app/stackato.yml" "$work/app/good.yml"
sed -i 's/^command: .*/command: python3 -c "import sys; print(\\"broken build\\", flush=True); sys.exit(4)"/' "$work/app/stackato.yml"
release --env APP_VERSION=broken --timeout 20
[ "$rc" = 1 ] && grep -q "'rel' failed to deploy: the deployment was canceled (new instance 0 crashed); the previous version serves on" "$work/out" &&
  grep -q "broken build" "$work/out" && ok || bad "a crashing new version ends the rolling deployment with its last log lines"
[ "$(version)" = "v$n" ] && ok || { rc=-; bad "the old version still serves after a crashing deployment"; }
clean_state && ok || { rc=-; cp "$work/apps.json" "$work/out"; bad "no leftovers after a crashing deployment"; }
release --env APP_VERSION=broken --timeout 20 --strategy swap
[ "$rc" = 1 ] && grep -q "failed to start" "$work/out" && grep -q "broken build" "$work/out" && grep -q "Release aborted before traffic moved" "$work/out" && ok ||
  bad "a crashing new version aborts the swap with its last log lines"
cp "$work/app/good.yml" "$work/app/stackato.yml"
[ "$(version)" = "v$n" ] && ok || { rc=-; bad "the old version still serves after a crashing release"; }
clean_state && ok || { rc=-; cp "$work/apps.json" "$work/out"; bad "no leftovers after a crashing release"; }
release --env APP_VERSION=smoky --smoke-test 'exit 3'
[ "$rc" = 1 ] && grep -q "the smoke test failed with exit status 3" "$work/out" && ok || bad "a failing smoke test aborts the release"
[ "$(version)" = "v$n" ] && clean_state && ok || { rc=-; bad "old version serving, no leftovers after a failed smoke test"; }
release --env APP_VERSION=smoked --smoke-test "curl -sf --cacert $ca \"\$STACKATO_SMOKE_URL\" | grep -q smoked"
[ "$rc" = 0 ] && [ "$(version)" = smoked ] && ok || bad "a passing smoke test (against the new version's URL) lets the release through"

# --- what --strategy refuses
run 2 "--smoke-test and --keep-previous need --strategy swap" "--strategy rolling with --smoke-test" -- "$stackato" push rel --strategy rolling --smoke-test true
run 2 "--strategy: bogus not in \{rolling,swap\}|bogus" "an unknown strategy" -- "$stackato" push rel --strategy bogus

# --- --keep-previous, then rollback
release --env APP_VERSION=kept --keep-previous
[ "$rc" = 0 ] && grep -q "kept it as rel-previous" "$work/out" && ok || bad "--keep-previous"
run 0 "rel-previous +\| 1 \| STOPPED" "the previous version is kept, stopped" -- "$stackato" apps
run 0 "rel is the previous version again" "rollback" -- "$stackato" rollback rel --drain 1
[ "$(version)" = smoked ] && ok || { rc=-; bad "after rollback the previous version serves"; }
run 0 "rel-previous +\| 1 \| STOPPED" "the rolled-back version is kept as rel-previous" -- "$stackato" apps
run 1 "no rel2-previous|App 'rel2' not found" "rollback without a previous version" -- "$stackato" rollback rel2

# --- no room in the organization's quota for the second copy: refused before anything changes
"$kato" --data "$work/k" set-quota --memory 300 >/dev/null
release --env APP_VERSION=no-room
[ "$rc" = 1 ] && grep -q "needs 256 MB more, and the organization's quota of 300 MB has" "$work/out" && ok || bad "the quota check"
[ "$(version)" = smoked ] && clean_state && ok || { rc=-; bad "nothing changed after the quota check"; }
"$kato" --data "$work/k" set-quota --memory 0 >/dev/null

# --- an app that is not running: a plain push, said so
"$stackato" stop rel >/dev/null 2>&1
release --env APP_VERSION=plain
[ "$rc" = 0 ] && grep -q "rel is not running: a zero-downtime release needs a live app; doing a plain push" "$work/out" && ok || bad "fallback to a plain push"

e2e_finish
