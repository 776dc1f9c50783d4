#!/usr/bin/env bash
# Benchmark of the tunmux SOCKS5 proxy against microsocks on the same path, in one run, in two parts:
#
#  1. loopback only (proxy overhead isolated): everything in one network namespace made for the run
#     (tbbench<pid>, loopback only): a byte source and echo servers, microsocks, the tunmux proxy
#     and the load client (build/bench/proxy-load.cs). "direct" is the client reading the source
#     without a proxy.
#  2. through the tunnel (the product's path): in the lab (build/lab/lab.sh, lab "labpb"), the
#     source and the echo servers run in the lab's fake internet (198.18.100.1); a tunnel namespace
#     (tunmux_labpb-p) gets a WireGuard tunnel (wireguard-go, brought up by hand as
#     build/bench/tunnel.sh does) to the lab's VPN server, and microsocks, the tunmux proxy and the
#     load client all run in that namespace, so every proxied byte comes through the tunnel as in
#     the product. "direct" is the client in the namespace reading the source through the tunnel
#     without a proxy.
#
# In both parts tunmux is started the way the launcher starts it (an inherited listening socket,
# setpriv to nobody, the launcher's runtime settings); both proxies and the client share the same
# two cores, so the comparison is like for like. Only loopback and lab addresses (198.18.0.0/15,
# 10.2.0.0/16) are used; every process is ended by PID and the lab is taken down on every exit.
#
# Usage: sudo build/bench/proxy.sh [--write]   (--write puts the results in docs/performance-proxy.md)
# Each throughput and connection-rate figure is the median of REPEAT runs, the contenders alternating.
# Environment: SECONDS_PER_RUN (5), REPEAT (3), HOLD (1000), PARTS ("loopback tunnel"),
#   PROXY_BUILD=native|jit   the native tunmux-proxy the release ships (default), or the JIT build
#                            (`tunmux privileged proxy`, what a development build runs);
#   TUNMUX_BENCH_BUILD=DIR   use an existing build in DIR (DIR/tunmux-proxy, or DIR/tunmux for jit) instead of building.
# Needs: root, dotnet SDK 10, microsocks, python3, iproute2, util-linux (setpriv, nsenter), and for
# the tunnel part the lab's tools (wireguard-tools, wireguard-go, nftables, dnsmasq, curl).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
PROXY_BUILD=${PROXY_BUILD:-native}
[[ $PROXY_BUILD == native || $PROXY_BUILD == jit ]] || { echo "error: PROXY_BUILD must be native or jit (got '$PROXY_BUILD')" >&2; exit 2; }
HOLD=${HOLD:-1000}
REPEAT=${REPEAT:-3}
PARTS=${PARTS:-loopback tunnel}
WRITE=0
[[ ${1:-} == --write ]] && WRITE=1

[[ $(id -u) == 0 ]] || { echo "error: the benchmark needs root (it creates network namespaces); run it with sudo" >&2; exit 1; }
NEEDED="microsocks python3 ip setpriv nsenter dotnet"
[[ $PARTS == *tunnel* ]] && NEEDED+=" wg wireguard-go curl"
for t in $NEEDED; do
  command -v "$t" >/dev/null || { echo "error: '$t' is not installed (see the header of $0)" >&2; exit 1; }
done

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d /tmp/tunmux-proxy-bench.XXXXXX)
chmod 755 "$WORK"
NS=tbbench$$
export TUNMUX_LAB_NAME=labpb
export TUNMUX_LAB_DIR=/tmp/tunmux-$TUNMUX_LAB_NAME
LAB="$ROOT/build/lab/lab.sh"
LAB_HOST_NS=$TUNMUX_LAB_NAME-host
LAB_INET_NS=$TUNMUX_LAB_NAME-inet
# Named tunmux_<lab>…, so `lab.sh down` also clears it should this script die before its own cleanup.
TNS=tunmux_$TUNMUX_LAB_NAME-p
TIF=${TUNMUX_LAB_NAME}wgc
LAB_UP=0
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "/etc/netns/$NS"
  if [[ $LAB_UP == 1 ]]; then
    ip -n "$TNS" link del "$TIF" 2>/dev/null || true
    ip netns del "$TNS" 2>/dev/null || true
    rm -rf "/etc/netns/$TNS"
    "$LAB" down >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -n ${TUNMUX_BENCH_BUILD:-} ]]; then
  cp -a "$TUNMUX_BENCH_BUILD" "$WORK/tunmux"
elif [[ $PROXY_BUILD == native ]]; then
  echo "building tunmux-proxy (Release, native)..." >&2
  dotnet publish "$ROOT/privileged/Tunmux.Proxy/Tunmux.Proxy.csproj" -c Release -r linux-x64 -o "$WORK/tunmux" -v q -nologo >/dev/null
else
  echo "building tunmux (Release, JIT)..." >&2
  dotnet build "$ROOT/host/Tunmux.Host/Tunmux.Host.csproj" -c Release -o "$WORK/tunmux" -v q -nologo >/dev/null
fi
# The program and arguments that start the proxy, as the launcher runs them.
if [[ $PROXY_BUILD == native ]]; then PROXY_CMD=("$WORK/tunmux/tunmux-proxy"); else PROXY_CMD=("$WORK/tunmux/tunmux" privileged proxy); fi
dotnet build "$ROOT/build/bench/proxy-load.cs" -c Release -o "$WORK/load" -v q -nologo >/dev/null
chmod -R a+rX "$WORK"

LOADER="$WORK/load/proxy-load.dll"
load() { local ns=$1; shift; ip netns exec "$ns" dotnet "$LOADER" "$@"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# wait_port NS HOST PORT
wait_port() { for _ in $(seq 200); do ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0; sleep 0.05; done; echo "error: nothing listens on $2:$3 in $1" >&2; exit 1; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1].split()[0]),float(sys.argv[2].split()[0]); print(f'{a/b:.2f}x')" "$1" "$2"; }
# median V...: of numbers (a "(N failed)" suffix ignored); rotate K WORD...: the words starting at the Kth, wrapping.
median() { printf '%s\n' "$@" | sed 's/(.*//' | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
rotate() { local k=$1; shift; local n=$#; local w=("$@") i; for ((i = 0; i < n; i++)); do echo "${w[(k + i) % n]}"; done; }
mb() { echo $(( $1 / 1024 )).$(( ($1 % 1024) * 10 / 1024 )); }

tunmux_env() { echo ${TUNMUX_BENCH_ENV:-DOTNET_EnableDiagnostics=0 DOTNET_gcConcurrent=0 DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1}; }

# start_servers NS ADDRESS: the byte source on ADDRESS:9001 and echo servers on ADDRESS:9002 (direct),
# 9003 (microsocks) and 9004 (tunmux). One echo port per contender: a connection-rate run leaves
# thousands of connections in TIME_WAIT toward its port, and outside loopback (no TIME_WAIT reuse)
# the next contender aimed at the same port would pay for them in connect()'s port search, so
# whoever ran first would win.
# Started with `ip netns exec` directly (not through a shell function) so $! is the server's own PID
# and the cleanup ends it (a function's $! is a subshell that would leave it running).
start_servers() {
  ip netns exec "$1" dotnet "$LOADER" source 9001 "$2" & PIDS+=($!)
  local port
  for port in 9002 9003 9004; do
    ip netns exec "$1" dotnet "$LOADER" echo $port "$2" & PIDS+=($!)
  done
}

# start_proxies NS: microsocks on 127.0.0.1:1080 and tunmux on 127.0.0.1:1081 in NS; sets MS_PID, TM_PID.
start_proxies() {
  local ns=$1
  # The proxy reads the namespace's resolv.conf at start; the benchmark only uses literal addresses.
  [[ -f /etc/netns/$ns/resolv.conf ]] || { mkdir -p "/etc/netns/$ns"; echo "nameserver 127.0.0.1" > "/etc/netns/$ns/resolv.conf"; }
  ip netns exec "$ns" microsocks -i 127.0.0.1 -p 1080 >/dev/null 2>&1 & MS_PID=$!; PIDS+=($MS_PID)
  # tunmux: the listening socket is made first and inherited, as ProxyLauncher does,
  # with the same runtime settings ProxyLauncher gives the process.
  ip netns exec "$ns" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ $(tunmux_env) python3 -c '
import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 1081)); s.listen(4096)
os.set_inheritable(s.fileno(), True)
fd = str(s.fileno())
os.execvp("setpriv", ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--no-new-privs", "--",
  *sys.argv[1:], "--instance", "bench", "--socks-fd", fd, "--max-connections", "20000", "--idle-timeout", "600"])
' "${PROXY_CMD[@]}" >"$WORK/tunmux-$ns.log" 2>&1 & TM_PID=$!; PIDS+=($TM_PID)
  wait_port "$ns" 127.0.0.1 1080; wait_port "$ns" 127.0.0.1 1081
}

# measure NS ADDRESS: warm-up, then throughput (1 and 4 streams) and connections/s for direct,
# microsocks and tunmux against the servers on ADDRESS; prints the table rows.
measure() {
  local ns=$1 source=$2:9001 echo_direct=$2:9002 echo_ms=$2:9003 echo_tm=$2:9004
  sleep 1
  # Warm-up for both (the .NET JIT reaches its optimized code after a few thousand calls).
  load "$ns" connrate 127.0.0.1:1080 "$echo_ms" 1 8 >/dev/null
  load "$ns" connrate 127.0.0.1:1081 "$echo_tm" 1 8 >/dev/null
  load "$ns" throughput 127.0.0.1:1081 "$source" 1 1 >/dev/null
  sleep 1
  MS_IDLE=$(rss_kb $MS_PID); TM_IDLE=$(rss_kb $TM_PID)
  # Each measure is taken REPEAT times, the contenders alternating in a rotating order, and the
  # median is reported: on two shared CPUs one run can be off by a third either way.
  local -A VIA=([direct]=direct [microsocks]=127.0.0.1:1080 [tunmux]=127.0.0.1:1081)
  local -A ECHO=([direct]=$echo_direct [microsocks]=$echo_ms [tunmux]=$echo_tm)
  local -A RUNS=()
  local order=(direct microsocks tunmux) r who streams
  echo "throughput (MB/s, ${SECONDS_PER_RUN}s each, $REPEAT alternating runs)..." >&2
  for streams in 1 4; do
    for ((r = 0; r < REPEAT; r++)); do
      for who in $(rotate $r "${order[@]}"); do
        RUNS[$who,$streams]+=" $(load "$ns" throughput "${VIA[$who]}" "$source" "$SECONDS_PER_RUN" $streams)"
      done
    done
    echo "  $streams stream(s): direct${RUNS[direct,$streams]}; microsocks${RUNS[microsocks,$streams]}; tunmux${RUNS[tunmux,$streams]}" >&2
  done
  echo "connections per second (${SECONDS_PER_RUN}s each, 32 at once, $REPEAT alternating runs)..." >&2
  for ((r = 0; r < REPEAT; r++)); do
    for who in $(rotate $r "${order[@]}"); do
      # A count of failed connections, if any, follows the rate in parentheses: kept in the runs line.
      RUNS[$who,cr]+=" $(load "$ns" connrate "${VIA[$who]}" "${ECHO[$who]}" "$SECONDS_PER_RUN" 32 | tr -d ' ')"
    done
  done
  echo "  direct${RUNS[direct,cr]}; microsocks${RUNS[microsocks,cr]}; tunmux${RUNS[tunmux,cr]}" >&2
  local -A M=()
  for key in "${!RUNS[@]}"; do M[$key]=$(median ${RUNS[$key]}); done
  # The single runs, for the reader to judge the spread (shown under the table).
  cat >"$WORK/runs.md" <<MD
Medians of $REPEAT runs of ${SECONDS_PER_RUN}s each (contenders alternating). Single runs, 1 stream (MB/s): direct${RUNS[direct,1]}; microsocks${RUNS[microsocks,1]}; tunmux${RUNS[tunmux,1]}.
4 streams (MB/s): direct${RUNS[direct,4]}; microsocks${RUNS[microsocks,4]}; tunmux${RUNS[tunmux,4]}.
Connections/s: direct${RUNS[direct,cr]}; microsocks${RUNS[microsocks,cr]}; tunmux${RUNS[tunmux,cr]}.
MD
  cat <<MD
| measure | direct | microsocks | tunmux | tunmux / microsocks | tunmux / direct |
|---|---:|---:|---:|---:|---:|
| bulk throughput, 1 stream (MB/s) | ${M[direct,1]} | ${M[microsocks,1]} | ${M[tunmux,1]} | $(ratio "${M[tunmux,1]}" "${M[microsocks,1]}") | $(ratio "${M[tunmux,1]}" "${M[direct,1]}") |
| bulk throughput, 4 streams (MB/s) | ${M[direct,4]} | ${M[microsocks,4]} | ${M[tunmux,4]} | $(ratio "${M[tunmux,4]}" "${M[microsocks,4]}") | $(ratio "${M[tunmux,4]}" "${M[direct,4]}") |
| new connections/s (32 at once) | ${M[direct,cr]} | ${M[microsocks,cr]} | ${M[tunmux,cr]} | $(ratio "${M[tunmux,cr]}" "${M[microsocks,cr]}") | $(ratio "${M[tunmux,cr]}" "${M[direct,cr]}") |
MD
}

hold_rss() {
  local ns=$1 port=$2 pid=$3 echo=$4
  local fifo="$WORK/hold.$port" out="$WORK/hold.$port.out"
  mkfifo "$fifo"
  load "$ns" hold "127.0.0.1:$port" "$echo" "$HOLD" <"$fifo" >"$out" & local hp=$!
  exec 7>"$fifo"
  for _ in $(seq 600); do grep -q ready "$out" 2>/dev/null && break; sleep 0.1; done
  sleep 1
  rss_kb "$pid"
  exec 7>&-
  wait $hp 2>/dev/null || true
}

# ---- part 1: loopback only ---------------------------------------------------------------------
loopback_part() {
  echo "== loopback only (namespace $NS)" >&2
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  start_servers "$NS" 127.0.0.1
  for port in 9001 9002 9003 9004; do wait_port "$NS" 127.0.0.1 $port; done
  start_proxies "$NS"
  local ms_hold tm_hold ms_after tm_after
  # Redirected, not captured: a $(...) subshell would lose MS_IDLE/TM_IDLE and the PIDs it started.
  measure "$NS" 127.0.0.1 >"$WORK/rows.md"
  echo "memory with $HOLD open relays..." >&2
  ms_hold=$(hold_rss "$NS" 1080 $MS_PID 127.0.0.1:9003)
  tm_hold=$(hold_rss "$NS" 1081 $TM_PID 127.0.0.1:9004)
  sleep 1
  ms_after=$(rss_kb $MS_PID); tm_after=$(rss_kb $TM_PID)
  cat "$WORK/rows.md"
  cat <<MD
| RSS idle after warm-up (MiB) | | $(mb $MS_IDLE) | $(mb $TM_IDLE) | | |
| RSS with $HOLD open relays (MiB) | | $(mb $ms_hold) | $(mb $tm_hold) | | |
| RSS idle after all runs (MiB) | | $(mb $ms_after) | $(mb $tm_after) | | |

MD
  cat "$WORK/runs.md"
  # Stop this part's processes so the tunnel part has the CPUs to itself.
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
  ip netns del "$NS"
  rm -rf "/etc/netns/$NS"
}

# ---- part 2: through the tunnel ------------------------------------------------------------------
tunnel_part() {
  echo "== through the tunnel (lab $TUNMUX_LAB_NAME, namespace $TNS)" >&2
  LAB_UP=1
  "$LAB" up 1 >/dev/null
  local conf spub endpoint addr
  conf=$("$LAB" client-conf 1)
  field() { awk -v k="$1" '$1 == k { print $3 }' <<<"$conf"; }
  spub=$(field PublicKey); endpoint=$(field Endpoint); addr=$(field Address)
  # The tunnel by hand, as build/bench/tunnel.sh does: wireguard-go made in the host stand-in (its
  # UDP socket stays there), the interface moved into the tunnel namespace, default route through it.
  ip netns add "$TNS"
  ip -n "$TNS" link set lo up
  # Outgoing connections may reuse a port still in TIME_WAIT (as on loopback by default): without
  # it, repeated connection-rate runs through the tunnel soon measure connect()'s search for a free
  # ephemeral port (rates fell from ~3,000/s to ~500/s for all three by the third round), not the proxies.
  ip netns exec "$TNS" sysctl -qw net.ipv4.tcp_tw_reuse=1
  nsenter --net="/run/netns/$LAB_HOST_NS" env WG_PROCESS_FOREGROUND=1 wireguard-go "$TIF" >"$WORK/wireguard-go.log" 2>&1 & PIDS+=($!)
  for _ in $(seq 100); do [[ -S /var/run/wireguard/$TIF.sock ]] && break; sleep 0.05; done
  [[ -S /var/run/wireguard/$TIF.sock ]] || { echo "error: wireguard-go did not start (see its log)" >&2; cat "$WORK/wireguard-go.log" >&2; exit 1; }
  nsenter --net="/run/netns/$LAB_HOST_NS" wg set "$TIF" private-key "$TUNMUX_LAB_DIR/keys/client1.key" \
    peer "$spub" endpoint "$endpoint" allowed-ips 0.0.0.0/0 persistent-keepalive 25
  nsenter --net="/run/netns/$LAB_HOST_NS" ip link set "$TIF" netns "$TNS"
  ip -n "$TNS" addr add "$addr" dev "$TIF"
  ip -n "$TNS" link set "$TIF" mtu 1420 up
  ip -n "$TNS" route add default dev "$TIF"
  mkdir -p "/etc/netns/$TNS"
  echo "nameserver 198.18.100.53" > "/etc/netns/$TNS/resolv.conf"
  local ok=0
  for _ in $(seq 50); do ip netns exec "$TNS" curl -s -m 1 -o /dev/null http://198.18.100.1/ && { ok=1; break; }; sleep 0.1; done
  [[ $ok == 1 ]] || { echo "error: no HTTP answer from the lab through the tunnel" >&2; exit 1; }
  start_servers "$LAB_INET_NS" 198.18.100.1
  for port in 9001 9002 9003 9004; do wait_port "$TNS" 198.18.100.1 $port; done
  start_proxies "$TNS"
  measure "$TNS" 198.18.100.1
  echo
  cat "$WORK/runs.md"
}

RESULTS=""
for part in $PARTS; do
  case $part in
    loopback) loopback_part >"$WORK/$part.md"; TITLE="loopback only (proxy overhead isolated)" ;;
    tunnel) tunnel_part >"$WORK/$part.md"; TITLE="through the tunnel (the product's path: wireguard-go to the lab's VPN server, source in the lab's internet)" ;;
    *) echo "error: unknown part '$part' (loopback, tunnel)" >&2; exit 2 ;;
  esac
  RESULTS+="### $TITLE"$'\n\n'"$(cat "$WORK/$part.md")"$'\n\n'
done
printf '%s' "$RESULTS"

if [[ $WRITE == 1 ]]; then
  DOC="$ROOT/docs/performance-proxy.md"
  python3 - "$DOC" "$RESULTS" "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$(uname -r)" "$LOAD_BEFORE" "$PROXY_BUILD" <<'PY'
import sys, re
doc, report, when, cpus, kernel, load, build = sys.argv[1:]
text = open(doc).read()
build = "the native tunmux-proxy" if build == "native" else "the JIT build (tunmux privileged proxy)"
block = f"<!-- results -->\nRun {when}, {cpus} CPUs, kernel {kernel}, Release build, {build}, load average before the run {load}.\n\n{report.strip()}\n<!-- /results -->"
text = re.sub(r"<!-- results -->.*<!-- /results -->", lambda m: block, text, flags=re.S)
open(doc, "w").write(text)
PY
  echo "written to $DOC" >&2
fi
