#!/usr/bin/env bash
# kato patch, as a maintainer and an operator use it (issue 18): keygen, make, trust, a feed
# (a directory, and https:// with its CA), status in the seed's format, install of a helper patch
# (live at once, kept across restarts) and of a patch replacing the kato executable (with
# --no-restart: the old code runs and `kato status` says so; `kato restart` runs the new one, in
# place: the same process; tests/e2e/upgrade.sh does it under load),
# revert, and bundles refused with nothing changed: tampered, unsigned, signed by an unknown key,
# a payload whose hash differs, a patch for another version.
# Usage: patch.sh KATO
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "patch"
# kato runs from a copy, which the executable patch replaces (the build's binary stays as it is).
mkdir -p "$work/bin"
cp "$1" "$work/bin/kato"
# A sanitizer build's executable is 373 MB; without its symbols (265 MB) it fits in a bundle
# (at most 512 MiB) with room to grow. A Release build has none to drop.
strip --strip-all "$work/bin/kato" 2>/dev/null
kato=$work/bin/kato
data=$work/k
version=$("$kato" --version | awk '{print $2}')
sha() { sha256sum "$1" | cut -c1-64; }
# out EXPECTED-RC PATTERN WHAT -- COMMAND...: the command's output in $work/out
out() {
  local want=$1 pattern=$2 what=$3
  shift 4
  "$@" >"$work/out" 2>&1
  rc=$?
  if [ "$rc" = "$want" ] && grep -qE -- "$pattern" "$work/out"; then ok; else bad "$what"; fi
}

# --- the maintainer: a key pair and four patches
out 0 "Fingerprint [0-9a-f]{16}" "keygen" -- "$kato" patch keygen "$work/key"
[ "$(stat -c %a "$work/key")" = 600 ] && ok || bad "the private key is 0600"
out 1 "exists; not overwriting" "keygen refuses to overwrite a key" -- "$kato" patch keygen "$work/key"
"$kato" patch keygen "$work/stranger" >/dev/null
mkdir -p "$work/feed" "$work/src/helper" "$work/src/exe" "$work/src/old" "$work/src/stranger"
# patch_json DIR NAME DESCRIPTION SEVERITY VERSIONS ROLES SOURCE TARGET (VERSIONS, ROLES: JSON lists)
patch_json() {
  jq -n --arg n "$2" --arg d "$3" --arg s "$4" --argjson v "$5" --argjson r "$6" --arg src "$7" --arg t "$8" \
    '{name: $n, description: $d, severity: $s, applies_to: $v, roles: $r, files: [{source: $src, target: $t}]}' >"$1/patch.json"
}
printf '#!/bin/sh\necho "dbexport patched"\n' >"$work/src/helper/dbexport"
patch_json "$work/src/helper" dbexport-fix "Fix dbexport's output." required "[\"$version\"]" '["helpers"]' dbexport helpers/dbexport
# A different kato executable: the same program with bytes appended (ELF ignores them).
cp "$kato" "$work/src/exe/kato"
printf 'patched build\n' >>"$work/src/exe/kato"
patch_json "$work/src/exe" kato-fix "Fix kato itself." recommended '["*"]' '["controller", "router", "stager", "runner"]' kato kato
printf '#!/bin/sh\necho old\n' >"$work/src/old/dbshell"
patch_json "$work/src/old" old-fix "For an older kato." optional '["3.9.9"]' '["helpers"]' dbshell helpers/dbshell
cp "$work/src/old/dbshell" "$work/src/stranger/dbshell"
sed 's/old-fix/stranger-fix/; s/3.9.9/*/' "$work/src/old/patch.json" >"$work/src/stranger/patch.json"
out 0 "Wrote .*/dbexport-fix.tar.gz" "make" -- "$kato" patch make --key "$work/key" --out "$work/feed/dbexport-fix.tar.gz" "$work/src/helper"
"$kato" patch make --key "$work/key" --out "$work/feed/kato-fix.tar.gz" "$work/src/exe" >/dev/null
"$kato" patch make --key "$work/key" --out "$work/feed/old-fix.tar.gz" "$work/src/old" >/dev/null
"$kato" patch make --key "$work/stranger" --out "$work/feed/stranger-fix.tar.gz" "$work/src/stranger" >/dev/null
check "make keeps the feed's index" '^dbexport-fix.tar.gz kato-fix.tar.gz old-fix.tar.gz stranger-fix.tar.gz $' "$(tr '\n' ' ' <"$work/feed/index")"
out 2 "severity.*must be required, recommended or optional" "make names a bad field" -- \
  bash -c 'mkdir -p "$1/bad" && sed "s/required/urgent/" "$1/src/helper/patch.json" >"$1/bad/patch.json" && cp "$1/src/helper/dbexport" "$1/bad/" && "$2" patch make --key "$1/key" --out "$1/bad.tar.gz" "$1/bad"; r=$?; [ $r = 1 ] && exit 2; exit $r' _ "$work" "$kato"
# Tampered bundles: patch.json changed after signing; the signature removed; a payload swapped.
mkdir -p "$work/t" && tar -xzf "$work/feed/dbexport-fix.tar.gz" -C "$work/t"
sed -i 's/Fix dbexport/Fix DBexport/' "$work/t/patch.json"
tar -czf "$work/feed/tampered.tar.gz" -C "$work/t" patch.json patch.sig payload
rm -rf "$work/t" && mkdir -p "$work/t" && tar -xzf "$work/feed/dbexport-fix.tar.gz" -C "$work/t"
tar -czf "$work/feed/unsigned.tar.gz" -C "$work/t" patch.json payload
echo 'rm -rf /' >>"$work/t/payload/dbexport"
tar -czf "$work/feed/swapped.tar.gz" -C "$work/t" patch.json patch.sig payload

# --- the operator: a running kato (from the copy)
kato_start "$data"
pid=$(jq -r .pid "$data/kato.json")
exe_before=$(sha "$kato")
helper_before=$(sha "$data/helpers/dbexport")
out 1 "no patch feed: give --feed" "status without a feed says how to set one" -- "$kato" --data "$data" patch status
out 0 "^0 updates available to be installed.$" "nothing is trusted yet: nothing available" -- "$kato" --data "$data" patch --feed "$work/feed" status
out 0 "Trusting patches signed by key [0-9a-f]{16}" "trust" -- "$kato" --data "$data" patch trust "$work/key.pub"
out 1 "^kato: $work/nosuch.pub: No such file or directory$|^kato: cannot read $work/nosuch.pub" "trust of a missing file: one line naming it" -- "$kato" --data "$data" patch trust "$work/nosuch.pub"
out 1 "^kato: /proc/1/nope: (No such file or directory|Permission denied)$" "a data dir kato cannot make: the path and the reason" -- "$kato" --data /proc/1/nope patch trust "$work/key.pub"
out 1 "not an Ed25519 public key" "trust refuses a file that is no key" -- "$kato" --data "$data" patch trust "$work/src/helper/patch.json"
out 0 "Patch feed: $work/feed" "feed sets the default" -- "$kato" patch feed "$work/feed" --data "$data"

out 0 "^2 updates available to be installed.$" "status: the seed's count" -- "$kato" --data "$data" patch status
has "^Known updates for kato $version:$" "status: the seed's heading"
has "^dbexport-fix: Fix dbexport's output.$" "status: name and description"
has "^severity: required$" "status: severity"
has "^roles affected: helpers$" "status: roles"
has "^kato-fix: Fix kato itself.$" "status: the executable's patch"
has "^roles affected: controller, router, stager, runner$" "status: its roles"
has "^\(1 more for other versions of kato\)$" "status: the other version's patch is not offered"
has "^Refused: stranger-fix.tar.gz: the signature is not by a trusted key" "status: an unknown key is refused"
has "^Refused: tampered.tar.gz: the signature is not by a trusted key" "status: a tampered patch.json is refused"
has "^Refused: unsigned.tar.gz: unsigned" "status: an unsigned bundle is refused"
has "^Refused: swapped.tar.gz: payload/dbexport does not match its SHA-256" "status: a swapped payload is refused"
out 0 '"severity": "recommended"' "status --json" -- "$kato" --data "$data" patch status --json
jq -e '.available | length == 2' "$work/out" >/dev/null && ok || bad "status --json lists two"

# Refused with nothing changed.
out 1 "patch old-fix is for kato 3.9.9, not $version" "a patch for another version is refused" -- "$kato" --data "$data" patch install old-fix
out 1 "no patch stranger-fix in the feed; refused: .*not by a trusted key" "an untrusted patch cannot be installed" -- "$kato" --data "$data" patch install stranger-fix
[ ! -e "$data/patches/installed.json" ] && [ "$(sha "$kato")" = "$exe_before" ] && [ "$(sha "$data/helpers/dbexport")" = "$helper_before" ] &&
  ok || bad "nothing changed by the refused installs"

# --- a helper patch: live at once, no restart
out 0 "Installed dbexport-fix" "install a helper patch" -- "$kato" --data "$data" patch install dbexport-fix
[ "$(sha "$data/helpers/dbexport")" = "$(sha "$work/src/helper/dbexport")" ] && ok || bad "the helper is replaced"
[ "$(jq -r .pid "$data/kato.json")" = "$pid" ] && ok || bad "a helper patch restarts nothing"
out 0 "is installed already" "installing it again says so" -- "$kato" --data "$data" patch install dbexport-fix

# --- the executable, --no-restart: the old code runs until kato restart, and kato status says so
out 0 "Not restarted \(--no-restart\): controller, router, runner, stager" "install --no-restart" -- \
  "$kato" --data "$data" patch install --no-restart --only-this-node
has "single node: --only-this-node" "--only-this-node is accepted and said"
[ "$(sha "$kato")" = "$(sha "$work/src/exe/kato")" ] && ok || bad "the executable is replaced"
[ "$(jq -r .pid "$data/kato.json")" = "$pid" ] && ok || bad "--no-restart leaves kato running"
check "the running kato is the old executable" '\(deleted\)$' "$(readlink "/proc/$pid/exe")"
out 0 "restart pending: controller, router, runner, stager" "kato status says which roles wait" -- "$kato" --data "$data" status
out 0 "^Waiting for a restart: controller, router, runner, stager" "patch status says so too" -- "$kato" --data "$data" patch status
has "^Installed:" "patch status lists the installed"
has "^kato-fix: Fix kato itself. \(20" "with the time"
out 0 "need no restart" "kato restart helpers" -- "$kato" --data "$data" restart helpers
out 1 "unknown role 'dea'" "kato restart of an unknown role" -- "$kato" --data "$data" restart dea
out 0 "^kato upgraded in place \(pid $pid, " "kato restart" -- "$kato" --data "$data" restart
has "^Upgrading kato in place \(pid $pid\)" "kato restart says what it does"
pid2=$(jq -r .pid "$data/kato.json")
[ "$pid2" = "$pid" ] && [ "$(jq -r .generation "$data/kato.json")" = 1 ] && ok || bad "kato upgraded in place: the same process, its next generation"
[ "$(sha "/proc/$pid2/exe")" = "$(sha "$work/src/exe/kato")" ] && ok || bad "the new kato runs the patched executable"
out 0 "kato running" "kato status after the restart" -- "$kato" --data "$data" status
hasnt "restart pending" "no role waits any more"
[ "$(sha "$data/helpers/dbexport")" = "$(sha "$work/src/helper/dbexport")" ] && ok || bad "the helper patch survives the restart"
check "the API answers" '^200$' "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$data/tls/ca.pem" "$(jq -r .api "$data/kato.json")/v3/info")"

# --- revert: the executable (kato restarted on the original), then the helper
out 1 "no patch nope is not installed|patch nope is not installed" "revert of a patch not installed" -- "$kato" --data "$data" patch revert nope
out 0 "Reverted kato-fix" "revert the executable's patch" -- "$kato" --data "$data" patch revert kato-fix
pid3=$(jq -r .pid "$data/kato.json")
[ "$(sha "$kato")" = "$exe_before" ] && [ "$(sha "/proc/$pid3/exe")" = "$exe_before" ] && [ "$pid3" = "$pid2" ] && ok ||
  bad "revert puts the executable back and upgrades kato in place to it"
out 0 "Reverted dbexport-fix" "revert the helper's patch" -- "$kato" --data "$data" patch revert dbexport-fix
[ "$(sha "$data/helpers/dbexport")" = "$helper_before" ] && ok || bad "the built-in helper is back"
out 0 "^2 updates available" "both are available again" -- "$kato" --data "$data" patch status

# --- a feed over HTTPS, verified with its CA; plain HTTP refused
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout "$work/feed.key" -out "$work/feed.pem" >/dev/null 2>&1
python3 - "$work/feed" "$work/feed.pem" "$work/feed.key" "$work/feed.port" <<'PY' &
import functools, http.server, ssl, sys
d, cert, key, portfile = sys.argv[1:]
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
h = functools.partial(Quiet, directory=d)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(cert, key)
s.socket = c.wrap_socket(s.socket, server_side=True)
open(portfile, "w").write(str(s.server_address[1]))
s.serve_forever()
PY
feedpid=$!
at_exit "kill $feedpid"
for _ in $(seq 100); do [ -s "$work/feed.port" ] && break; sleep 0.1; done
url=https://localhost:$(cat "$work/feed.port")
out 0 "^2 updates available" "status from an https:// feed with its CA" -- "$kato" --data "$data" patch --feed "$url" --cafile "$work/feed.pem" status
out 1 "cannot fetch $url/index" "an https:// feed whose certificate is not trusted is refused" -- "$kato" --data "$data" patch --feed "$url" status
out 1 "plain HTTP: patches come over https:// only" "an http:// feed is refused" -- "$kato" --data "$data" patch --feed "http://localhost:1/" status
out 0 "Installed dbexport-fix" "install from the https:// feed" -- "$kato" --data "$data" patch --feed "$url/" --cafile "$work/feed.pem" install dbexport-fix
out 0 "^$work/feed$" "feed shows the default" -- "$kato" --data "$data" patch feed

# --- revert --no-restart: the executable goes back on disk, the running kato waits for a restart
"$kato" --data "$data" patch install kato-fix >/dev/null 2>&1
pid4=$(jq -r .pid "$data/kato.json")
out 0 "Reverted kato-fix" "revert --no-restart" -- "$kato" --data "$data" patch revert kato-fix --no-restart
[ "$(jq -r .pid "$data/kato.json")" = "$pid4" ] && [ "$(sha "$kato")" = "$exe_before" ] && ok || bad "reverted on disk, kato not restarted"
out 0 "restart pending: controller, router, runner, stager" "kato status names the roles waiting after revert --no-restart" -- "$kato" --data "$data" status
out 0 "^kato upgraded in place" "kato restart runner" -- "$kato" --data "$data" restart runner
[ "$(sha "/proc/$(jq -r .pid "$data/kato.json")/exe")" = "$exe_before" ] && ok || bad "the restarted kato runs the original"

# --- a kato in the foreground of another terminal is upgraded in place: it stays there
"$kato" --data "$work/fg" start --port 0 --foreground >"$work/fg.out" 2>&1 &
fgpid=$!
e2e_katos+=("$work/fg")
for _ in $(seq 300); do [ -s "$work/fg/kato.json" ] && break; sleep 0.1; done
out 0 "^kato upgraded in place \(pid $fgpid, " "kato restart of a foreground kato" -- timeout 120 "$kato" --data "$work/fg" restart
kill -0 "$fgpid" 2>/dev/null && ok || bad "the foreground kato runs on"
check "it says so on its terminal" "kato: upgrade: drained" "$(cat "$work/fg.out")"
out 0 "^kato running" "and kato status says it runs" -- "$kato" --data "$work/fg" status

e2e_finish
