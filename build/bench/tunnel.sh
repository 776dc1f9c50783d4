#!/usr/bin/env bash
# Tunnel benchmark, in one run, in the lab (root; never touches this machine's own network):
#  1. time from "bring a proxy-mode tunnel up" to the first successful HTTP request through the
#     new namespace, median of RUNS (default 5): TunnelService (through the test project's tunnel
#     console, a fresh process each time, as a connect would be) against a plain script doing
#     the same steps by hand (ip netns add, wireguard-go, wg set, link move, addr, route, request);
#  2. iperf3 TCP throughput inside the namespace through the tunnel, TunnelService's tunnel
#     against the hand-made one (median of IPERF_RUNS, IPERF_SECONDS each).
# Prints a Markdown table (docs/performance-tunnel.md holds the numbers of the last recorded run).
#
#   build/bench/tunnel.sh            RUNS=5 IPERF_RUNS=3 IPERF_SECONDS=5 by default
set -euo pipefail

# shellcheck source=build/bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RUNS="${RUNS:-5}"
IPERF_RUNS="${IPERF_RUNS:-3}"
IPERF_SECONDS="${IPERF_SECONDS:-5}"
bench_lab labbench
PROJECT="$ROOT/tests/Tunmux.Network.Tests/Tunmux.Network.Tests.csproj"
OUT="$ROOT/tests/Tunmux.Network.Tests/bin/Release/net10.0"

bench_needs_root "uses the lab"
bench_needs_tools iperf3 curl wireguard-go wg dotnet

IPERF_PID=""
cleanup() {
    [[ -n "$IPERF_PID" ]] && kill "$IPERF_PID" 2>/dev/null || true
    "$LAB" down >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "building (Release)..." >&2
dotnet build -c Release -v q -nologo "$PROJECT" >/dev/null
DIST="$(bash "$ROOT/build/dist.sh")"
"$LAB" up 1 >/dev/null

CONF="$("$LAB" client-conf 1)"
field() { awk -v k="$1" '$1 == k { print $3 }' <<<"$CONF"; }
SPUB="$(field PublicKey)"; ENDPOINT="$(field Endpoint)"; ADDR="$(field Address)"
KEYFILE="$TUNMUX_LAB_DIR/keys/client1.key"
STATE="$TUNMUX_LAB_DIR/bench-state"
first_request() { until ip netns exec "$1" curl -s -m 1 -o /dev/null "$URL"; do :; done; }

# ---- by hand: the same steps TunnelService takes, as a plain script --------------------------
HAND_NS="tunmux_${TUNMUX_LAB_NAME}-h"
HAND_IF="wg-hand"
hand_up() {
    ip netns add "$HAND_NS"
    ip -n "$HAND_NS" link set lo up
    in_host wireguard-go "$HAND_IF" >/dev/null 2>&1
    in_host wg set "$HAND_IF" private-key "$KEYFILE" peer "$SPUB" endpoint "$ENDPOINT" allowed-ips 0.0.0.0/0 persistent-keepalive 25
    in_host ip link set "$HAND_IF" netns "$HAND_NS"
    ip -n "$HAND_NS" addr add "$ADDR" dev "$HAND_IF"
    ip -n "$HAND_NS" link set "$HAND_IF" mtu 1420 up
    ip -n "$HAND_NS" route add default dev "$HAND_IF"
}
hand_down() {
    ip -n "$HAND_NS" link del "$HAND_IF" 2>/dev/null || true
    ip netns del "$HAND_NS" 2>/dev/null || true
    sleep 0.2
}

# ---- TunnelService, through the test project's tunnel console ---------------------------------
# A key of its own: both tunnels run side by side during the throughput part.
TM_PRIV="$(wg genkey)"
"$LAB" add-peer 1 "$(wg pubkey <<<"$TM_PRIV")" 10.2.1.20
TM_INSTANCE="${TUNMUX_LAB_NAME}-s"
TM_NS="tunmux_$TM_INSTANCE"
UP_JSON="$(cat <<EOF
{"instance":"$TM_INSTANCE","provider":"lab","mode":"proxy","backend":"auto","profile":{"private_key":"$TM_PRIV","addresses":["10.2.1.20/32"],"dns":["198.18.100.53"],"peers":[{"public_key":"$SPUB","endpoint":"$ENDPOINT","allowed_ips":["0.0.0.0/0","::/0"],"persistent_keepalive":25}]}}
EOF
)"
tunnel() { TUNMUX_STATE_DIR="$STATE" TUNMUX_RUNTIME_DIR="$STATE/run" in_host dotnet "$OUT/Tunmux.Network.Tests.dll" tunnel "$@"; }
tm_up() { tunnel up <<<"$UP_JSON" >/dev/null; }
tm_down() { tunnel down "$TM_INSTANCE" >/dev/null; sleep 0.2; }

hand_times=(); tm_times=()
for ((i = 1; i <= RUNS; i++)); do
    t0=$(now_ms); hand_up; first_request "$HAND_NS"; t1=$(now_ms); hand_down
    hand_times+=($((t1 - t0)))
    t0=$(now_ms); tm_up; first_request "$TM_NS"; t1=$(now_ms); tm_down
    tm_times+=($((t1 - t0)))
    echo "run $i: by hand ${hand_times[-1]} ms, TunnelService ${tm_times[-1]} ms" >&2
done
# The daemon's case: one resident process bringing the tunnel up and down; the first (cold, JIT) run dropped.
warm_json="$(tunnel bench "$URL" $((RUNS + 1)) <<<"$UP_JSON")"
read -r -a warm_times <<<"$(python3 -c 'import json,sys; print(" ".join(str(t) for t in json.loads(sys.argv[1])[1:]))' "$warm_json")"
WARM_COLD=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[0])' "$warm_json")
echo "resident: cold $WARM_COLD ms, then ${warm_times[*]} ms" >&2
WARM_MED=$(printf '%s\n' "${warm_times[@]}" | median)
# The whole user-facing path: `tunmux wgconf connect --proxy` (CLI start-up, plugin, daemon
# request, tunnel, handshake, proxy process ready) with a resident daemon, then the first request.
CLI_DIR="$TUNMUX_LAB_DIR/bench-cli"
mkdir -p "$CLI_DIR/config"
printf '%s\n' "$CONF" > "$CLI_DIR/bench.conf"
cli() { in_host env TUNMUX_CONFIG_DIR="$CLI_DIR/config" TUNMUX_RUNTIME_DIR="$CLI_DIR/run" TUNMUX_STATE_DIR="$CLI_DIR/state" "$DIST/tunmux" "$@"; }
cli wgconf connect --proxy --file "$CLI_DIR/bench.conf" >/dev/null; cli disconnect --all >/dev/null   # starts the daemon (resident from here on)
cli_times=()
for ((i = 1; i <= RUNS; i++)); do
    t0=$(now_ms); cli wgconf connect --proxy --file "$CLI_DIR/bench.conf" >/dev/null; first_request tunmux_bench; t1=$(now_ms)
    cli disconnect --all >/dev/null
    cli_times+=($((t1 - t0)))
done
echo "tunmux connect --proxy: ${cli_times[*]} ms" >&2
kill "$(cat "$CLI_DIR/run/daemon.lock")" 2>/dev/null || true   # the daemon holds its lock file with its PID in it
CLI_MED=$(printf '%s\n' "${cli_times[@]}" | median)
HAND_MED=$(printf '%s\n' "${hand_times[@]}" | median)
TM_MED=$(printf '%s\n' "${tm_times[@]}" | median)

# ---- throughput -----------------------------------------------------------------------------------
ip netns exec "$INET_NS" iperf3 -s -B 198.18.100.1 >/dev/null 2>&1 &
IPERF_PID=$!
sleep 0.5
iperf() { ip netns exec "$1" iperf3 -c 198.18.100.1 -t "$IPERF_SECONDS" -J | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6, 1))'; }
hand_bw=(); tm_bw=()
hand_up; first_request "$HAND_NS"
tm_up; first_request "$TM_NS"
for ((i = 1; i <= IPERF_RUNS; i++)); do
    hand_bw+=("$(iperf "$HAND_NS")")
    tm_bw+=("$(iperf "$TM_NS")")
    echo "iperf $i: by hand ${hand_bw[-1]} Mbit/s, TunnelService ${tm_bw[-1]} Mbit/s" >&2
done
hand_down; tm_down
HAND_BW=$(printf '%s\n' "${hand_bw[@]}" | median)
TM_BW=$(printf '%s\n' "${tm_bw[@]}" | median)

cat <<EOF
| measure | by hand | TunnelService | ratio | target |
|---|---|---|---|---|
| up to first request, median of $RUNS (ms): TunnelService resident (the daemon's case) | $HAND_MED | $WARM_MED | $(ratio "$WARM_MED" "$HAND_MED")x | ≤ 1.5x |
| up to first request, median of $RUNS (ms): a fresh .NET process per up | $HAND_MED | $TM_MED | $(ratio "$TM_MED" "$HAND_MED")x | (≤ 1.5x) |
| \`tunmux wgconf connect --proxy\` to first request, median of $RUNS (ms): CLI + resident daemon + proxy process | $HAND_MED | $CLI_MED | $(ratio "$CLI_MED" "$HAND_MED")x | (≤ 1.5x) |
| iperf3 TCP through the tunnel, median of $IPERF_RUNS × ${IPERF_SECONDS}s (Mbit/s) | $HAND_BW | $TM_BW | $(ratio "$TM_BW" "$HAND_BW")x | ≥ 0.95x |

runs (ms): by hand ${hand_times[*]}; TunnelService fresh process ${tm_times[*]}; resident ${warm_times[*]} (cold first run $WARM_COLD); tunmux connect ${cli_times[*]}
iperf3 (Mbit/s): by hand ${hand_bw[*]}; TunnelService ${tm_bw[*]}
EOF
