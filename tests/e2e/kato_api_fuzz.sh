#!/usr/bin/env bash
# Runs kato_api_fuzz.py against a fresh kato (fixed seed, so a failure reproduces).
set -u
kato=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "kato API property test"
data=$work/data
at_exit '"$kato" --data "$data" stop >/dev/null 2>&1'
source "$here/lib.sh"
kato_up
req POST /v3/apps "{\"name\":\"target\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}}}}"
app=$(j .guid)
req POST /v3/routes "{\"host\":\"target\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}},\"domain\":{\"data\":{\"guid\":\"$domain\"}}}}"
route=$(j .guid)
req GET "/v3/apps/$app/processes"
proc=$(j '.resources[0].guid')
python3 "$here/kato_api_fuzz.py" "$port" "$ca" "$token" "$space" "$app" "$route" "$proc" "${FUZZ_SEED:-1}"
[ $? = 0 ] && ok || bad "the property test (FUZZ_SEED=${FUZZ_SEED:-1})"
curl -s --cacert "$ca" -o /dev/null -w '%{http_code}' "$api/v3/info" | grep -q 200 && ok || bad "kato is up after it"
e2e_finish
