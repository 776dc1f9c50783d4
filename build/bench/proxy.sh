#!/usr/bin/env bash
# Benchmark of the tunmux SOCKS5 proxy against microsocks on the same path, in one run.
#
# Everything runs inside a network namespace made for the run (tbbench<pid>, loopback only), so
# no traffic touches the host's interfaces: a byte source and an echo server, microsocks, the
# tunmux proxy (started the way the launcher starts it: an inherited listening socket, setpriv
# to nobody), and the load client (build/bench/proxy-load.cs). Both proxies and the client share
# the same two cores, so the comparison is like for like.
#
# Usage: sudo build/bench/proxy.sh [--write]   (--write puts the results in docs/performance-proxy.md)
# Needs: root, dotnet SDK 10, microsocks, python3, iproute2, util-linux (setpriv).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
HOLD=${HOLD:-1000}
WRITE=0
[[ ${1:-} == --write ]] && WRITE=1

[[ $(id -u) == 0 ]] || { echo "error: the benchmark needs root (it creates a network namespace); run it with sudo" >&2; exit 1; }
for t in microsocks python3 ip setpriv dotnet; do
  command -v "$t" >/dev/null || { echo "error: '$t' is not installed (see the header of $0)" >&2; exit 1; }
done

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d /tmp/tunmux-proxy-bench.XXXXXX)
chmod 755 "$WORK"
NS=tbbench$$
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "/etc/netns/$NS" "$WORK"
}
trap cleanup EXIT

echo "building (Release)..." >&2
dotnet build "$ROOT/host/Tunmux.Host/Tunmux.Host.csproj" -c Release -o "$WORK/tunmux" -v q -nologo >/dev/null
dotnet build "$ROOT/build/bench/proxy-load.cs" -c Release -o "$WORK/load" -v q -nologo >/dev/null
chmod -R a+rX "$WORK"

ip netns add "$NS"
ip -n "$NS" link set lo up
# The proxy reads the namespace's resolv.conf at start; the benchmark only uses literal addresses.
mkdir -p "/etc/netns/$NS"
echo "nameserver 127.0.0.1" > "/etc/netns/$NS/resolv.conf"

in_ns() { ip netns exec "$NS" "$@"; }
load() { in_ns dotnet "$WORK/load/proxy-load.dll" "$@"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
wait_port() { for _ in $(seq 200); do in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null && return 0; sleep 0.05; done; echo "error: nothing listens on port $1" >&2; exit 1; }

tunmux_env() { echo ${TUNMUX_BENCH_ENV:-DOTNET_EnableDiagnostics=0 DOTNET_gcConcurrent=0 DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1}; }

SOURCE=127.0.0.1:9001
ECHO=127.0.0.1:9002
# Started with `ip netns exec` directly (not through the shell function) so $! is the server's own PID
# and the cleanup ends it (a function's $! is a subshell that would leave it running).
ip netns exec "$NS" dotnet "$WORK/load/proxy-load.dll" source 9001 & PIDS+=($!)
ip netns exec "$NS" dotnet "$WORK/load/proxy-load.dll" echo 9002 & PIDS+=($!)

# Started with `ip netns exec` directly (not through a shell function) so $! is the proxy's own PID.
ip netns exec "$NS" microsocks -i 127.0.0.1 -p 1080 >/dev/null 2>&1 & MS_PID=$!; PIDS+=($MS_PID)

# tunmux: the listening socket is made first and inherited, as ProxyLauncher does.
# The same runtime settings ProxyLauncher gives the process.
ip netns exec "$NS" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ $(tunmux_env) python3 -c '
import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 1081)); s.listen(4096)
os.set_inheritable(s.fileno(), True)
fd = str(s.fileno())
os.execvp("setpriv", ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--no-new-privs", "--",
  sys.argv[1], "privileged", "proxy", "--instance", "bench", "--socks-fd", fd, "--max-connections", "20000", "--idle-timeout", "600"])
' "$WORK/tunmux/tunmux" >"$WORK/tunmux.log" 2>&1 & TM_PID=$!; PIDS+=($TM_PID)

wait_port 9001; wait_port 9002; wait_port 1080; wait_port 1081
sleep 1
# Warm-up for both (the .NET JIT reaches its optimized code after a few thousand calls).
load connrate 127.0.0.1:1080 $ECHO 1 8 >/dev/null
load connrate 127.0.0.1:1081 $ECHO 1 8 >/dev/null
load throughput 127.0.0.1:1081 $SOURCE 1 1 >/dev/null
sleep 1
MS_IDLE=$(rss_kb $MS_PID); TM_IDLE=$(rss_kb $TM_PID)
echo "throughput (MB/s, ${SECONDS_PER_RUN}s each)..." >&2
declare -A TP
for streams in 1 4; do
  TP[direct,$streams]=$(load throughput direct $SOURCE "$SECONDS_PER_RUN" $streams)
  TP[microsocks,$streams]=$(load throughput 127.0.0.1:1080 $SOURCE "$SECONDS_PER_RUN" $streams)
  TP[tunmux,$streams]=$(load throughput 127.0.0.1:1081 $SOURCE "$SECONDS_PER_RUN" $streams)
done

echo "connections per second (${SECONDS_PER_RUN}s each, 32 at once)..." >&2
CR_DIRECT=$(load connrate direct $ECHO "$SECONDS_PER_RUN" 32)
CR_MS=$(load connrate 127.0.0.1:1080 $ECHO "$SECONDS_PER_RUN" 32)
CR_TM=$(load connrate 127.0.0.1:1081 $ECHO "$SECONDS_PER_RUN" 32)

echo "memory with $HOLD open relays..." >&2
hold_rss() {
  local fifo="$WORK/hold.$1" out="$WORK/hold.$1.out"
  mkfifo "$fifo"
  load hold "127.0.0.1:$1" $ECHO "$HOLD" <"$fifo" >"$out" & local hp=$!
  exec 7>"$fifo"
  for _ in $(seq 600); do grep -q ready "$out" 2>/dev/null && break; sleep 0.1; done
  sleep 1
  rss_kb "$2"
  exec 7>&-
  wait $hp 2>/dev/null || true
}
MS_HOLD=$(hold_rss 1080 $MS_PID)
TM_HOLD=$(hold_rss 1081 $TM_PID)
sleep 1
MS_AFTER=$(rss_kb $MS_PID); TM_AFTER=$(rss_kb $TM_PID)

ratio() { python3 -c "import sys; a,b=float(sys.argv[1].split()[0]),float(sys.argv[2].split()[0]); print(f'{a/b:.2f}x')" "$1" "$2"; }
mb() { echo $(( $1 / 1024 )).$(( ($1 % 1024) * 10 / 1024 )); }

REPORT=$(cat <<MD
| measure | direct | microsocks | tunmux | tunmux / microsocks | tunmux / direct |
|---|---:|---:|---:|---:|---:|
| bulk throughput, 1 stream (MB/s) | ${TP[direct,1]} | ${TP[microsocks,1]} | ${TP[tunmux,1]} | $(ratio "${TP[tunmux,1]}" "${TP[microsocks,1]}") | $(ratio "${TP[tunmux,1]}" "${TP[direct,1]}") |
| bulk throughput, 4 streams (MB/s) | ${TP[direct,4]} | ${TP[microsocks,4]} | ${TP[tunmux,4]} | $(ratio "${TP[tunmux,4]}" "${TP[microsocks,4]}") | $(ratio "${TP[tunmux,4]}" "${TP[direct,4]}") |
| new connections/s (32 at once) | $CR_DIRECT | $CR_MS | $CR_TM | $(ratio "$CR_TM" "$CR_MS") | $(ratio "$CR_TM" "$CR_DIRECT") |
| RSS idle after warm-up (MiB) | | $(mb $MS_IDLE) | $(mb $TM_IDLE) | | |
| RSS with $HOLD open relays (MiB) | | $(mb $MS_HOLD) | $(mb $TM_HOLD) | | |
| RSS idle after all runs (MiB) | | $(mb $MS_AFTER) | $(mb $TM_AFTER) | | |
MD
)
echo "$REPORT"

if [[ $WRITE == 1 ]]; then
  DOC="$ROOT/docs/performance-proxy.md"
  python3 - "$DOC" "$REPORT" "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$(uname -r)" "$LOAD_BEFORE" <<'PY'
import sys, re
doc, report, when, cpus, kernel, load = sys.argv[1:]
text = open(doc).read()
block = f"<!-- results -->\nRun {when}, {cpus} CPUs, kernel {kernel}, Release build, load average before the run {load}.\n\n{report}\n<!-- /results -->"
text = re.sub(r"<!-- results -->.*<!-- /results -->", lambda m: block, text, flags=re.S)
open(doc, "w").write(text)
PY
  echo "written to $DOC" >&2
fi
