#!/usr/bin/env bash
# The main job, for now: set everything up and show what stackato makes of the seed's
# customertracker app (its resolved manifest and the files push would upload).
# It becomes the kato demo (push, services, URL swap) as kato lands.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$here/scripts/setup.sh" --build-dir "$here/build"
stackato=$here/build/client/stackato
app=$here/examples/customertracker
echo "\$ stackato manifest --path examples/customertracker"
"$stackato" manifest --path "$app"
echo "\$ stackato manifest --path examples/customertracker --files"
"$stackato" manifest --path "$app" --files
