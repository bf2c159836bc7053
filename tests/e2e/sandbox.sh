#!/usr/bin/env bash
# kato against an attacker (issue 14): a local user who is not kato's, a hostile app and its
# staging hook, hostile zips, and malformed HTTP heads. Everything here must be refused with a
# clear answer, and nothing may be read or written outside its place.
set -u
kato=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "sandbox"
data=$work/data
at_exit '"$kato" --data "$data" stop >/dev/null 2>&1; "$kato" --data "$work/plain" stop >/dev/null 2>&1'
source "$here/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  echo "sandbox.sh: runs as root (kato's own uid would be the apps' too); skipped"
  echo "0 passed, 0 failed"
  exit 0
fi
chmod 755 "$work"  # a parent others may search, as /var/lib is: only the data dir closes
kato_up
kato_pid=$(jq -r .pid "$data/kato.json")

# --- kato status names the sandbox ------------------------------------------------------------
"$kato" --data "$data" status | grep -qE 'app sandbox: bubblewrap [0-9.]+ \(uid 2000 inside, 2000000000 outside' && ok || bad "kato status shows the sandbox: $("$kato" --data "$data" status)"

# Without a sandbox only when the operator says so, and then kato says so too.
"$kato" --data "$work/plain" start --port 0 --no-sandbox >/dev/null && ok || bad "kato start --no-sandbox"
"$kato" --data "$work/plain" status | grep -q 'app sandbox: none (--no-sandbox): apps run as kato' && ok || bad "kato status after --no-sandbox: $("$kato" --data "$work/plain" status)"
"$kato" --data "$work/plain" stop >/dev/null

# --- a local user who is not kato's reads nothing -------------------------------------------
[ "$(stat -c %a "$data")" = 700 ] && ok || bad "data dir mode $(stat -c %a "$data")"
for f in kato.db kato.db-wal admin-password tls/ca-key.pem kato.log; do
  [ ! -e "$data/$f" ] || [ "$(stat -c %a "$data/$f")" = 600 ] && ok || bad "$f is $(stat -c %a "$data/$f")"
done
[ "$(stat -c %a "$work")" = 755 ] && ok || bad "kato widened the data dir's parent: $(stat -c %a "$work")"
for f in kato.db admin-password tls/ca-key.pem; do
  if setpriv --reuid nobody --regid nogroup --clear-groups cat "$data/$f" >/dev/null 2>&1; then bad "nobody read $f"; else ok; fi
done
if setpriv --reuid nobody --regid nogroup --clear-groups ls "$data" >/dev/null 2>&1; then bad "nobody listed the data dir"; else ok; fi

# --- a victim app, then the hostile one -----------------------------------------------------
(cd "$here/../../examples/hello" && zip -q "$work/hello.zip" app.py)
(cd "$here/apps/hello" && zip -q "$work/hello.zip" manifest.yml)
push victim "$work/hello.zip"
victim_dir=$data/instances/$app/0/app
[ -f "$victim_dir/app.py" ] && ok || bad "the victim's instance directory is $victim_dir"
(cd "$here/apps/hostile" && zip -q "$work/hostile.zip" app.py manifest.yml)
PUSH_ENV="{\"KATO_DATA\":\"$data\",\"KATO_PID\":\"$kato_pid\",\"VICTIM_DIR\":\"$victim_dir\"}" push hostile "$work/hostile.zip"
hostile=$app
probe() { status=$(curl -s --cacert "$ca" -o "$work/body" -w '%{http_code}' "https://hostile.localhost:$port$1"); }

probe /probe
expect 200 '.succeeded == [] and .uid == 2000 and .euid == 2000 and .capeff == "0000000000000000" and .nonewprivs == "1" and .seccomp == "2"' \
  "the app's attacks all fail, and it runs as uid 2000 without capabilities under seccomp: $(jq -c '{succeeded, uid, capeff, seccomp}' "$work/body")"
jq -e '.refused | length >= 20' "$work/body" >/dev/null && ok || bad "every attack was tried: $(jq -c .refused "$work/body")"
# kato was not frozen by the SIGSTOP attempts: the API answers.
req GET /v3/info
[ "$status" = 200 ] && ok || bad "the API answers after the app's SIGSTOPs"
probe /staging
expect 200 '.succeeded == [] and .uid == 2000 and .capeff == "0000000000000000"' "the staging hook's attacks all fail too: $(jq -c '{succeeded, uid}' "$work/body")"
[ ! -e /usr/local/hostile-was-here ] && ok || { rm -f /usr/local/hostile-was-here; bad "the app wrote to /usr/local"; }
# Seen from the host: the app's processes belong to the sandbox's uid, not root's nor kato's.
uids=$(ps -eo uid=,args= | awk '/python3 app.py/ && !/awk/ {print $1}' | sort -u | tr '\n' ' ')
[ "$uids" = "2000000000 " ] && ok || bad "the apps' processes run as uid(s) '$uids'"

# --- hostile zips: each refused with a clear error, or a correct app; nothing outside --------
req POST /v3/apps "{\"name\":\"zips\",\"relationships\":{\"space\":{\"data\":{\"guid\":\"$space\"}}}}"
zips_app=$(j .guid)
# upload ZIP [RESOURCES]: a new package of the zips app; leaves $pkg
upload() {
  req POST /v3/packages "{\"type\":\"bits\",\"relationships\":{\"app\":{\"data\":{\"guid\":\"$zips_app\"}}}}"
  pkg=$(j .guid)
  status=$(curl -s --cacert "$ca" -o "$work/body" -w '%{http_code}' -H "Authorization: bearer $token" \
             -F "resources=${2:-[]}" -F "bits=@$1;filename=package.zip" "$api/v3/packages/$pkg/upload")
}
outside=$work/outside
mkdir -p "$outside"
python3 - "$work" "$outside" <<'PY'
import sys, zipfile, os
work, outside = sys.argv[1], sys.argv[2]
def link(z, name, target):
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o120777 << 16
    z.writestr(info, target)
depth = len(os.path.abspath(work).strip("/").split("/")) + 1
with zipfile.ZipFile(work + "/chain.zip", "w") as z:
    link(z, "a/b/c/d/e/f/g/h/up", "../../../../../../../..")
    link(z, "esc", "a/b/c/d/e/f/g/h/up/" + "/".join([".."] * depth))
    z.writestr("esc" + outside + "/x", "pwned")
with zipfile.ZipFile(work + "/chain-links.zip", "w") as z:
    link(z, "a/b/c/d/e/f/g/h/up", "../../../../../../../..")
    link(z, "esc", "a/b/c/d/e/f/g/h/up/" + "/".join([".."] * depth))
    z.writestr("app.py", "print(1)\n")
with zipfile.ZipFile(work + "/absolute.zip", "w") as z:
    z.writestr(zipfile.ZipInfo(outside + "/abs"), "x")
with zipfile.ZipFile(work + "/dotdot.zip", "w") as z:
    z.writestr("a/../../outside/dotdot", "x")
with zipfile.ZipFile(work + "/etc.zip", "w") as z:
    link(z, "etc", "/etc")
with zipfile.ZipFile(work + "/bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("zeros", "w", force_zip64=True) as f:
        block = b"\0" * (1 << 20)
        for _ in range(1024):
            f.write(block)
with zipfile.ZipFile(work + "/many.zip", "w") as z:
    for i in range(100001):
        z.writestr("f/%d" % i, "")
import warnings
warnings.simplefilter("ignore")
with zipfile.ZipFile(work + "/dup.zip", "w") as z:
    z.writestr("app.py", "raise SystemExit('the first copy')\n")
    z.writestr("Procfile", "web: python3 app.py\n")
    z.writestr("app.py", "import os, http.server as h\n"
               "class H(h.BaseHTTPRequestHandler):\n"
               "    def do_GET(self):\n"
               "        self.send_response(200); self.send_header('Content-Length', '6'); self.end_headers(); self.wfile.write(b'second')\n"
               "h.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()\n")
PY
[ "$(stat -c %s "$work/bomb.zip")" -lt 2000000 ] && ok || bad "the bomb is small: $(stat -c %s "$work/bomb.zip")"

upload "$work/chain.zip"
expect 422 '.errors[0].title == "CF-PackageBitsError" and (.errors[0].detail | test("goes through the link esc"))' "link chain refused at upload"
upload "$work/absolute.zip"
expect 422 '.errors[0].detail | test("absolute path")' "absolute path refused"
upload "$work/dotdot.zip"
expect 422 '.errors[0].detail | test("leaving the app directory")' ".. refused"
upload "$work/etc.zip"
expect 422 '.errors[0].detail | test("etc -> /etc")' "link to /etc refused"
req GET "/v3/packages/$pkg"
expect 200 '.state == "FAILED" and (.data.error | test("etc -> /etc"))' "the refused package is FAILED with the reason"

# A matched resource whose path walks through the zip's links. The links alone stay inside
# (lexically), so that zip is accepted, and its app.py puts the resource's bytes in the cache.
upload "$work/chain-links.zip"
expect 200 '.state == "READY"' "links that stay inside, on their own, are accepted"
sha=$(printf 'print(1)\n' | sha1sum | cut -d' ' -f1)
upload "$work/chain-links.zip" "[{\"checksum\":{\"value\":\"$sha\"},\"size_in_bytes\":9,\"path\":\"esc$outside/res\",\"mode\":\"644\"}]"
expect 422 '.errors[0].detail | test("goes through the link esc")' "a resource path through the zip's links refused"

hwm() { awk '/VmHWM/ {print $2}' "/proc/$kato_pid/status"; }
before=$(hwm)
upload "$work/bomb.zip"
expect 422 '.errors[0].detail | test("zip bomb")' "1 GiB of zeros in a 1 MB zip refused as a bomb"
after=$(hwm)
[ $((after - before)) -lt 65536 ] && ok || bad "kato's peak RSS grew by $(( (after - before) / 1024 )) MB during the bomb"
upload "$work/many.zip"
expect 422 '.errors[0].detail | test("more than 100000 entries")' "100,001 entries refused"
# Nothing of the refused uploads stays in the resource cache but what matched before.
[ "$(find "$data/blobs/resources" -name '*.tmp' | wc -l)" = 0 ] && ok || bad "temporary files left in the resource cache"

upload "$work/dup.zip"
expect 200 '.state == "READY"' "duplicate entries accepted"
req POST /v3/builds "{\"package\":{\"guid\":\"$pkg\"}}"
build=$(j .guid)
wait_for 60 GET "/v3/builds/$build" '.state != "STAGING"'
expect 200 '.state == "STAGED"' "duplicates stage (the last entry wins)"
[ -z "$(ls -A "$outside")" ] && ok || bad "something was written outside: $(ls -A "$outside")"

# --- the router answers what it refuses ------------------------------------------------------
raw() {  # raw HEAD-BYTES: the status line kato answers on plain HTTP
  python3 - "$port" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
data = b""
try:
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
print(data.split(b"\r\n")[0].decode() or "(closed)")
PY
}
h='Host: victim.localhost\r\n'
[ "$(raw "GET / HTTP/1.1\r\n${h}\r\n")" = "HTTP/1.1 200 OK" ] && ok || bad "a plain request reaches the victim"
r=$(raw "POST / HTTP/1.1\r\n${h}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"); [[ $r == "HTTP/1.1 400 "* ]] && ok || bad "Content-Length with Transfer-Encoding: $r"
r=$(raw "POST / HTTP/1.1\r\n${h}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"); [[ $r == "HTTP/1.1 400 "* ]] && ok || bad "two Content-Lengths: $r"
r=$(raw "POST / HTTP/1.1\r\n${h}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"); [[ $r == "HTTP/1.1 400 "* ]] && ok || bad "two equal Content-Lengths: $r"
r=$(raw "GET / HTTP/1.1\nHost: victim.localhost\n\n"); [[ $r == "HTTP/1.1 400 "* ]] && ok || bad "bare LF: $r"
r=$(raw "GET / HTTP/1.1\r\n\r\n"); [[ $r == "HTTP/1.1 400 "* ]] && ok || bad "HTTP/1.1 without Host: $r"
r=$(raw "GET / HTTP/1.1\r\n${h}${h}\r\n"); [[ $r == "HTTP/1.1 400 "* ]] && ok || bad "two Host headers: $r"
big=$(head -c 70000 /dev/zero | tr '\0' a)
r=$(raw "GET / HTTP/1.1\r\n${h}X-Big: ${big}\r\n\r\n"); [[ $r == "HTTP/1.1 431 "* ]] && ok || bad "a 70 KB head: $r"
[ "$(raw "GET / HTTP/1.0\r\n\r\n")" != "(closed)" ] && ok || bad "HTTP/1.0 without Host is still answered"

e2e_finish
