#!/usr/bin/env bash
# The main job: set everything up, then show the whole flow on this machine, as a developer
# types it.
#  1. kato starts (its own CA, an admin user, org and space) on a free port.
#  2. stackato targets it (TLS verified against kato's CA) and logs in (password on stdin).
#  3. The seed's customertracker is pushed: its stackato.yml asks for a MySQL service
#     `customerdb`, which kato's broker creates on a real MariaDB, and a post-staging hook that
#     fills the customers table with Perl DBI; the app serves the rows through the router.
#  4. examples/hello is pushed, scaled to two instances, and its logs are shown.
#  5. The seed's URL-mapping swap: map a second URL, push customertracker2, move the main URL.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$here/scripts/setup.sh" --build-dir "$here/build"
stackato=$here/build/client/stackato
kato=$here/build/micro/kato
work=$(mktemp -d)
data=$work/kato
export STACKATO_HOME=$work/home
trap '"$kato" --data "$data" stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
show() { echo; echo "\$ $*"; "$@"; }

show "$kato" --data "$data" start --port 0
port=$(jq -r .port "$data/kato.json")
ca=$data/tls/ca.pem
show "$stackato" target "https://api.localhost:$port" --cafile "$ca"
echo; echo "\$ stackato login admin --password-stdin < $data/admin-password"
"$stackato" login admin --password-stdin <"$data/admin-password"

cp -r "$here/examples/customertracker" "$work/customertracker"
cp -r "$here/examples/hello" "$work/hello"
cd "$work/customertracker"
show "$stackato" push -n
show curl -s --cacert "$ca" "https://customertracker.localhost:$port/"
echo

cd "$work/hello"
show "$stackato" push -n
show curl -s --cacert "$ca" "https://hello.localhost:$port/"
echo
show "$stackato" scale hello -i 2
sleep 1
for _ in 1 2 3 4; do curl -s --cacert "$ca" "https://hello.localhost:$port/" | jq -c '{index, version}'; done
show "$stackato" stats hello
show "$stackato" logs hello --num 15

echo; echo "== the seed's URL-mapping swap"
cd "$work/customertracker"
show "$stackato" map customertracker "customertracker1.localhost"
show "$stackato" push -n customertracker2
show "$stackato" apps
show "$stackato" unmap customertracker customertracker.localhost
show "$stackato" map customertracker2 customertracker.localhost
show "$stackato" delete customertracker
show "$stackato" apps
show "$stackato" services
show "$kato" --data "$data" status
show "$kato" --data "$data" stop
