#!/usr/bin/env bash
# Regenerates completions/ from the built client: scripts/completions.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stackato=${1:-$root/build}/client/stackato
"$stackato" completion bash >"$root/completions/stackato.bash"
"$stackato" completion zsh >"$root/completions/_stackato"
"$stackato" completion fish >"$root/completions/stackato.fish"
