#!/usr/bin/env bash
# Monitoring (issue 18): `kato check` in the Nagios plugin conventions, each check going to
# WARNING or CRITICAL on a real fault and back to OK (a threshold above the real free space, the
# MariaDB server stopped with SIGSTOP and let go, an app whose instances crash); every line
# parsed with the plugin output grammar; `kato nagios-config` accepted by Nagios 4's own check
# (`nagios4 -v`); GET /metrics read by Prometheus's own Python parser, its counters moving with
# real traffic, and refused without the scrape token or an admin's token.
set -u
kato=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "monitor"
data=$work/data
stopped=""
at_exit '[ -n "$stopped" ] && kill -CONT $stopped 2>/dev/null; "$kato" --data "$data" stop >/dev/null 2>&1'
source "$here/lib.sh"

# check_plugin EXPECTED-RC PATTERN DESCRIPTION -- args...: one plugin line, in the plugins' grammar
# ("KATO[ NAME] STATE - text[ | label=value[UOM];[warn];[crit];[min];[max] ...]").
plugin_line='^KATO( [A-Z]+)? (OK|WARNING|CRITICAL|UNKNOWN) - [^|]+( \| ([A-Za-z0-9_]+=[0-9.]+(%|s)?;[^; ]*;[^; ]*;[^; ]*(;[^; ]*)? ?)+)?$'
check_plugin() {
  local want=$1 pattern=$2 what=$3
  shift 4
  "$kato" --data "$data" check "$@" >"$work/body" 2>&1
  status=$?
  if [ "$status" = "$want" ] && [ "$(wc -l <"$work/body")" = 1 ] && grep -qE -- "$plugin_line" "$work/body" &&
     grep -qE -- "$pattern" "$work/body"; then ok; else bad "$what"; fi
}

check_plugin 3 "^KATO API UNKNOWN - kato is not running" "a check with no kato: UNKNOWN" -- api
kato_up
check_plugin 0 "^KATO DISK OK - [0-9]+% free on " "disk" -- disk
check_plugin 1 "^KATO DISK WARNING" "disk with a warning threshold above the real free space" -- disk -w 101
check_plugin 2 "^KATO DISK CRITICAL" "disk with a critical threshold above it" -- disk -w 101% -c 101%
check_plugin 3 "not a free-space threshold: 'lots'" "disk with a threshold that is no range" -- disk -w lots
check_plugin 0 "^KATO LOAD OK - load average: " "load" -- load -w 1000 -c 2000
check_plugin 2 "^KATO LOAD CRITICAL" "load with a range that always alerts (@0:)" -- load -c @0:
check_plugin 1 "^KATO LOAD WARNING" "load with three ranges, the first always alerting" -- load -w @0:,1000,1000 -c 2000
check_plugin 0 "^KATO API OK - HTTP 200 in " "api" -- api
check_plugin 1 "^KATO API WARNING" "api slower than a warning of 0 s" -- api -w 0
check_plugin 0 "^KATO ROUTER OK - HTTP 404 \(no such route\)" "router" -- router
check_plugin 0 "^KATO SERVICES OK - mysql not started" "services before any is used" -- services
check_plugin 0 "^KATO APPS OK - 0 started apps" "apps with none" -- apps
check_plugin 3 "no check named 'bogus'" "an unknown check: UNKNOWN" -- bogus
check_plugin 3 "^KATO UNKNOWN - " "no check named: UNKNOWN" --

# --- /metrics: who may read it ----------------------------------------------------------------------
scrape_token=$(cat "$data/metrics-token")
[ "$(stat -c %a "$data/metrics-token")" = 600 ] && ok || bad "the scrape token file is 0600"
metrics() { curl -s -g --cacert "$ca" -o "$work/metrics" -w '%{http_code}' -H "Authorization: bearer $1" "$api/metrics"; }
[ "$(metrics "$scrape_token")" = 200 ] && ok || bad "the scrape token reads /metrics"
[ "$(metrics "$token")" = 200 ] && ok || bad "an admin's token reads /metrics"
[ "$(metrics "wrong-$scrape_token")" = 401 ] && ok || bad "another token: 401"
[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" "$api/metrics")" = 401 ] && ok || bad "no token: 401"
printf 'dev-password\n' | "$kato" --data "$data" add-user dev --space dev >/dev/null
dev=$(printf 'dev-password' | curl -s --cacert "$ca" -H 'Authorization: Basic Y2Y6' -d grant_type=password -d username=dev \
      --data-urlencode password@- "$api/oauth/token" | jq -r .access_token)
[ "$(metrics "$dev")" = 403 ] && ok || bad "a developer's token: 403"

# --- apps: one that runs, one whose instances crash -------------------------------------------------
(cd "$here/../../examples/hello" && zip -q "$work/hello.zip" app.py)
(cd "$here/apps/hello" && zip -q "$work/hello.zip" manifest.yml)
push hello "$work/hello.zip"
hello=$app
check_plugin 0 "^KATO APPS OK - 1 started apps, 1 of 1 instances running" "apps with one running" -- apps
mkdir -p "$work/crasher"
printf 'applications:\n- name: crasher\n  command: echo boom; exit 3\n' >"$work/crasher/manifest.yml"
(cd "$work/crasher" && zip -q "$work/crasher.zip" manifest.yml)
push crasher "$work/crasher.zip" nowait
for i in $(seq 1 30); do "$kato" --data "$data" check apps >/dev/null 2>&1; [ $? = 1 ] && break; sleep 1; done
check_plugin 1 "^KATO APPS WARNING - crasher: 0 of 1 running" "apps with a crashing app: WARNING" -- apps
req POST "/v3/apps/$app/actions/stop"
check_plugin 0 "^KATO APPS OK - 1 started apps" "back to OK once it is stopped" -- apps

# Counters move with real traffic (Debian's parser: /usr/bin/python3, whatever python3 is first on PATH): 25 requests to hello through the router.
metrics "$scrape_token" >/dev/null
/usr/bin/python3 - "$work/metrics" "$hello" >"$work/before" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
print(sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
          if s.name == "kato_router_requests_total" and s.labels.get("app") == sys.argv[2] and s.labels.get("status") == "2xx"))
PY
for i in $(seq 1 25); do curl -s -o /dev/null --cacert "$ca" "https://hello.localhost:$port/"; done
metrics "$scrape_token" >/dev/null
/usr/bin/python3 - "$work/metrics" "$hello" "$(cat "$work/before")" <<'PY' && ok || bad "/metrics parses with prometheus_client and counts the 25 requests"
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
families = {f.name: f for f in text_string_to_metric_families(text)}
app = sys.argv[2]
reqs = sum(s.value for s in families["kato_router_requests"].samples
           if s.name == "kato_router_requests_total" and s.labels["app"] == app and s.labels["status"] == "2xx")
assert reqs - float(sys.argv[3]) == 25, (reqs, sys.argv[3])
hist = [s for s in families["kato_router_request_duration_seconds"].samples
        if s.labels.get("app") == app and s.name.endswith("_count")]
assert hist and hist[0].value >= 25, hist
wanted = [s.value for s in families["kato_app_instances"].samples if s.labels == {"app": app, "state": "wanted"}]
running = [s.value for s in families["kato_app_instances"].samples if s.labels == {"app": app, "state": "running"}]
assert wanted == [1.0] and running == [1.0], (wanted, running)
assert any(s.labels.get("name") == "hello" for s in families["kato_app_info"].samples)
assert families["kato_disk_free_bytes"].samples[0].value > 0
staged = [s for s in families["kato_staging_duration_seconds"].samples if s.name.endswith("_count") and s.labels["outcome"] == "staged"]
assert staged and staged[0].value >= 2, staged
PY
curl -s -o /dev/null --cacert "$ca" -H 'Authorization: Basic Y2Y6' -d grant_type=password -d username=admin -d password=wrong "$api/oauth/token"
metrics "$scrape_token" >/dev/null
grep -qE '^kato_token_failures_total [1-9]' "$work/metrics" && ok || bad "a refused login is counted"

# --- services: MariaDB up, stopped (SIGSTOP: it accepts connections and never answers), back ----------
req GET "/v3/service_plans?service_offering_names=mysql"
plan=$(j '.resources[0].guid')
req POST /v3/service_instances "{\"type\":\"managed\",\"name\":\"db\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}},\"service_plan\":{\"data\":{\"guid\":\"$plan\"}}}}"
wait_for 180 GET "/v3/service_instances?names=db" '.resources[0].last_operation.state == "succeeded"' && ok || bad "a MySQL instance"
check_plugin 0 "^KATO SERVICES OK - mysql up" "services with MariaDB running" -- services
stopped=$(pgrep -f "mariadbd.*$data" | head -1)
[ -n "$stopped" ] && kill -STOP "$stopped" && ok || bad "found the MariaDB server"
check_plugin 2 "^KATO SERVICES CRITICAL - mysql down" "services with MariaDB held down: CRITICAL" -- services
check_plugin 2 "^KATO CRITICAL - .*services CRITICAL" "all: the worst state" -- all
kill -CONT "$stopped"
stopped=""
check_plugin 0 "^KATO SERVICES OK - mysql up" "services OK again once MariaDB answers" -- services

# --- nagios-config: Nagios 4 accepts it, with Debian's objects --------------------------------------
nagios_ok() {  # nagios_ok FILE: nagios4 -v of a main config that loads Debian's objects and FILE
  cat >"$work/nagios.cfg" <<EOF
log_file=$work/nagios.log
cfg_file=/etc/nagios4/objects/commands.cfg
cfg_file=/etc/nagios4/objects/contacts.cfg
cfg_file=/etc/nagios4/objects/timeperiods.cfg
cfg_file=/etc/nagios4/objects/templates.cfg
cfg_file=$1
resource_file=/etc/nagios4/resource.cfg
status_file=$work/status.dat
temp_file=$work/nagios.tmp
temp_path=$work
lock_file=$work/nagios.lock
check_result_path=$work
object_cache_file=$work/objects.cache
precached_object_file=$work/objects.precache
command_file=$work/nagios.cmd
nagios_user=root
nagios_group=root
illegal_macro_output_chars=\`~\$&|'"<>
EOF
  nagios4 -v "$work/nagios.cfg" >"$work/nagios.out" 2>&1
}
"$kato" --data "$data" nagios-config --host kato.example.org --address 192.0.2.10 >"$work/kato.cfg" && ok || bad "nagios-config"
grep -q 'service_description     disk_free' "$work/kato.cfg" && grep -q 'service_description     LOAD' "$work/kato.cfg" &&
  grep -q 'service_description     SSH' "$work/kato.cfg" && grep -q "check_by_ssh .*kato check \$ARG1\$ --data $data" "$work/kato.cfg" &&
  ok || bad "the seed's services, with kato check through check_by_ssh"
nagios_ok "$work/kato.cfg" && grep -q "Things look okay" "$work/nagios.out" && ok || { bad "nagios4 -v accepts it"; tail -20 "$work/nagios.out"; }
"$kato" --data "$data" nagios-config --via nrpe >"$work/nrpe.cfg" && grep -qF 'check_nrpe -H $HOSTADDRESS$ -c kato_$ARG1$' "$work/nrpe.cfg" &&
  grep -q "command\[kato_disk\]=/usr/bin/kato check disk --data $data" "$work/nrpe.cfg" && ok || bad "nagios-config --via nrpe"
nagios_ok "$work/nrpe.cfg" && ok || bad "nagios4 -v accepts the NRPE form"
printf 'define host {\n    use important-host\n}\n' >>"$work/nrpe.cfg"
nagios_ok "$work/nrpe.cfg" && bad "nagios4 -v refuses a broken config (the check can fail)" || ok

e2e_finish
