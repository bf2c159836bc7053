#!/usr/bin/env bash
# Tunnel throughput (1 GiB per transfer, median of 5 interleaved rounds) and connect-to-first-
# byte latency (median of 50), in one run, over three paths to the same local byte source: a direct loopback TCP
# connection, `ssh -L` through a local OpenSSH sshd, and our tunnel (TLS to kato's router,
# WebSocket to the helper app, TCP to the source). Usage: bench/tunnel.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$here/bench/lib.sh"
bench_kato "${1:-$here/build}"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; "$kato" --data "$work/k" stop >/dev/null 2>&1; rm -rf "$work"' EXIT
gib=$((1 << 30))
wait_file() { for _ in $(seq 100); do [ -s "$1" ] && return; sleep 0.1; done; echo "no $1" >&2; exit 1; }

python3 "$here/bench/tunnel_source.py" "$work/src" "$gib" & pids+=($!)
python3 "$here/bench/tunnel_source.py" "$work/lat" 1 & pids+=($!)
wait_file "$work/src"
wait_file "$work/lat"
src=$(cat "$work/src") lat=$(cat "$work/lat")

# The helper comes with a first tunnel; the byte sources are then bound to it.
"$stackato" create-service redis r >/dev/null 2>&1
"$stackato" -n tunnel r redis-cli --port 0 </dev/null >/dev/null 2>&1
"$stackato" create-user-provided-service src --credentials "{\"hostname\":\"127.0.0.1\",\"port\":$src}" >/dev/null 2>&1
"$stackato" create-user-provided-service lat --credentials "{\"hostname\":\"127.0.0.1\",\"port\":$lat}" >/dev/null 2>&1
"$stackato" bind-service src tunnel >/dev/null 2>&1
"$stackato" bind-service lat tunnel --restart >/dev/null 2>&1
secret=$("$stackato" env tunnel --json | jq -r .TUNNEL_AUTH)
helper=https://$("$stackato" app tunnel --json | jq -r '.urls[0]'):$port
"$build/bench/bench_tunnel_listener" "$helper" "$secret" src "$ca" >"$work/t1" 2>"$work/t1.err" & pids+=($!)
"$build/bench/bench_tunnel_listener" "$helper" "$secret" lat "$ca" >"$work/t2" 2>"$work/t2.err" & pids+=($!)
wait_file "$work/t1"
wait_file "$work/t2"

# A private sshd on loopback (root login by key only), and ssh -L to both sources.
mkdir -p "$work/ssh" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/host" && ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/user"
cp "$work/ssh/user.pub" "$work/ssh/authorized_keys"
sshport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/ssh/config" <<CFG
Port $sshport
ListenAddress 127.0.0.1
HostKey $work/ssh/host
AuthorizedKeysFile $work/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
StrictModes no
UsePAM no
PidFile $work/ssh/pid
CFG
/usr/sbin/sshd -D -e -f "$work/ssh/config" 2>"$work/ssh/log" & pids+=($!)
sleep 0.5
read -r lsrc llat < <(python3 -c 'import socket; a=socket.socket(); a.bind(("127.0.0.1",0)); b=socket.socket(); b.bind(("127.0.0.1",0)); print(a.getsockname()[1], b.getsockname()[1])')
ssh -N -q -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ExitOnForwardFailure=yes -i "$work/ssh/user" \
  -p "$sshport" -L "$lsrc:127.0.0.1:$src" -L "$llat:127.0.0.1:$lat" root@127.0.0.1 & pids+=($!)
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $lsrc))" 2>/dev/null && break; sleep 0.1; done

# The paths take turns, round after round, so that a noisy neighbour on the shared machine
# slows all of them alike; medians per path, and the median of the per-round tunnel/ssh ratios.
rounds=${TUNNEL_ROUNDS:-5}
labels=("direct loopback TCP" "ssh -L (OpenSSH)" "stackato tunnel")
tps=("$src" "$lsrc" "$(cat "$work/t1")") lats=("$lat" "$llat" "$(cat "$work/t2")")
declare -A rate
for r in $(seq "$rounds"); do
  for i in 0 1 2; do rate[$i,$r]=$(python3 "$here/bench/tunnel_measure.py" tp "${tps[$i]}" "$gib" 1); done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "| path | throughput (1 GiB, median of $rounds) | vs direct | connect to first byte (median of 50) |"
echo "|---|---|---|---|"
direct=
for i in 0 1 2; do
  tp=$(for r in $(seq "$rounds"); do echo "${rate[$i,$r]}"; done | median)
  ms=$(python3 "$here/bench/tunnel_measure.py" lat "${lats[$i]}" 50)
  direct=${direct:-$tp}
  printf '| %s | %s MB/s | %.2f | %s ms |\n' "${labels[$i]}" "$tp" "$(echo "$tp / $direct" | bc -l)" "$ms"
done
echo
echo "per round, tunnel / ssh -L: $(for r in $(seq "$rounds"); do printf '%.2f ' "$(echo "${rate[2,$r]} / ${rate[1,$r]}" | bc -l)"; done)"
printf 'median of the per-round ratios: %.2f\n' "$(for r in $(seq "$rounds"); do echo "${rate[2,$r]} / ${rate[1,$r]}" | bc -l; done | median)"
