#!/usr/bin/env bash
# Failover benchmark, in one run, in the lab (root; never touches this machine's own network):
#  1. from a server's death to the first successful request through the same SOCKS5 port after the
#     exit failed over: a proxy exit on lab server 1 with server 2 as its ranked alternative, the
#     daemon's DEFAULT supervision settings, a client asking through the port every 250 ms (each
#     request bounded to 2 s), server 1's WireGuard frozen (lab.sh stop-server 1). RUNS times
#     (default 5): the median and every run. The peer is an exit without supervision, which never
#     comes back: there is no ratio to give, only the goal (under 15 s).
#  2. the supervisor's cost: the published daemon's CPU (% of one core, over MEASURE_SECONDS) and
#     resident memory with IDLE_EXITS (default 20) idle supervised proxy exits, against the same
#     daemon with none, measured in the same run.
# The daemon is the published one (build/dist.sh), run in the lab's host stand-in; exits are brought
# up through its protocol. Prints Markdown (docs/supervision.md holds the last recorded run).
#
#   build/bench/failover.sh          RUNS=5 IDLE_EXITS=20 MEASURE_SECONDS=60 by default; BENCH_DIST=dist (or TUNMUX_BENCH_DIST) skips publishing
set -euo pipefail

# shellcheck source=build/bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RUNS="${RUNS:-5}"
IDLE_EXITS="${IDLE_EXITS:-20}"
MEASURE_SECONDS="${MEASURE_SECONDS:-60}"
bench_lab labfo
bench_needs_root "uses the lab"
bench_needs_tools curl wireguard-go wg python3 nsenter

WORK="$(mktemp -d /tmp/tunmux-bench-failover.XXXXXX)"
chmod 755 "$WORK"
DAEMON_PID=""
INSTANCES=()
cleanup() {
    for i in "${INSTANCES[@]}"; do call tunnel.down "{\"instance\":\"$i\"}" >/dev/null 2>&1 || true; done
    "$LAB" start-server 1 >/dev/null 2>&1 || true
    [[ -n "$DAEMON_PID" ]] && kill "$DAEMON_PID" 2>/dev/null || true
    "$LAB" down >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# BENCH_DIST (or TUNMUX_BENCH_DIST, as rootless.sh reads it): a folder already published by build/dist.sh.
BENCH_DIST="${BENCH_DIST:-${TUNMUX_BENCH_DIST:-}}"
if [[ -n "$BENCH_DIST" && -x "$BENCH_DIST/tunmux" ]]; then
    DIST="$BENCH_DIST"
else
    echo "publishing..." >&2
    DIST="$(bash "$ROOT/build/dist.sh")"
fi
"$LAB" up 2 >/dev/null

# The daemon protocol: a 4-byte big-endian length, then JSON.
cat >"$WORK/call.py" <<'PY'
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
req = {"v": 1, "id": 1, "op": sys.argv[2], "args": json.loads(sys.argv[3])}
b = json.dumps(req).encode()
s.sendall(struct.pack(">I", len(b)) + b)
n = struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]
r = json.loads(s.recv(n, socket.MSG_WAITALL))
if not r["ok"]:
    sys.exit("bench: " + sys.argv[2] + ": " + r["error"]["message"])
print(json.dumps(r.get("result")))
PY
call() { python3 "$WORK/call.py" "$WORK/run/ctl.sock" "$1" "$2"; }

nsenter --net="/run/netns/$HOST_NS" sh -c "exec env TUNMUX_RUNTIME_DIR='$WORK/run' TUNMUX_STATE_DIR='$WORK/state' '$DIST/tunmux' privileged --serve >'$WORK/daemon.out' 2>&1" &
DAEMON_PID=$!
for _ in $(seq 200); do [[ -S "$WORK/run/ctl.sock" ]] && break; sleep 0.05; done
[[ -S "$WORK/run/ctl.sock" ]] || { echo "bench: the daemon did not start (see $WORK/daemon.out)" >&2; exit 1; }

# A fresh client key registered on lab server K at 10.2.K.N; prints a profile. N is passed in, not
# counted here: a profile is made inside $(...), a subshell, where a counter's increment is lost, and
# two exits with one address on a server would see only one of them answered (WireGuard routes an
# address to one peer).
profile() {
    local k="$1" n="$2" priv pub
    priv="$(wg genkey)"; pub="$(wg pubkey <<<"$priv")"
    "$LAB" add-peer "$k" "$pub" "10.2.$k.$n" >/dev/null
    printf '{"private_key":"%s","addresses":["10.2.%s.%s/32"],"dns":["10.2.0.1"],"peers":[{"public_key":"%s","endpoint":"198.18.%s.2:51820","allowed_ips":["0.0.0.0/0","::/0"]}]}' \
        "$priv" "$k" "$n" "$(cat "$TUNMUX_LAB_DIR/keys/server$k.pub")" "$((10 + k))"
}
up() { # instance socks http profile [alternatives]
    call tunnel.up "{\"instance\":\"$1\",\"provider\":\"lab\",\"mode\":\"proxy\",\"backend\":\"auto\",\"proxy\":{\"socks_port\":$2,\"http_port\":$3},\"profile\":$4,\"server\":{\"name\":\"LAB#1\"},\"alternatives\":[${5:-}]}" >/dev/null
    INSTANCES+=("$1")
}
down() { call tunnel.down "{\"instance\":\"$1\"}" >/dev/null; INSTANCES=("${INSTANCES[@]/$1}"); }
through() { in_host curl -s -m "$2" --socks5-hostname "127.0.0.1:$1" "$URL" 2>/dev/null || true; }
stats() { # values... -> "median min max"
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%d %d %d", m, v[1], v[NR] }'
}

# ---- 1. failover time ------------------------------------------------------------------------------
TIMES=()
for run in $(seq "$RUNS"); do
    instance="${TUNMUX_LAB_NAME}-f$run"
    up "$instance" 1080 8118 "$(profile 1 $((10 + run)))" "{\"server\":{\"name\":\"LAB#2\"},\"profile\":$(profile 2 $((10 + run)))}"
    [[ "$(through 1080 5)" == 198.18.11.2 ]] || { echo "bench: run $run: no answer through server 1" >&2; exit 1; }
    "$LAB" stop-server 1
    died=$(now_ms)
    until [[ "$(through 1080 2)" == 198.18.12.2 ]]; do
        sleep 0.25
        (( $(now_ms) - died < 120000 )) || { echo "bench: run $run: no failover within 120 s" >&2; exit 1; }
    done
    TIMES+=($(( $(now_ms) - died )))
    echo "run $run: ${TIMES[-1]} ms" >&2
    "$LAB" start-server 1
    down "$instance"
    sleep 1
done
read -r F_MED F_MIN F_MAX <<<"$(stats "${TIMES[@]}")"

# ---- 2. the supervisor's cost with idle exits --------------------------------------------------------
ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$DAEMON_PID/stat"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status"; }
HZ="$(getconf CLK_TCK)"
measure() { # prints "cpu_percent rss_mib"
    local t0 t1
    t0=$(ticks); sleep "$MEASURE_SECONDS"; t1=$(ticks)
    awk -v d=$((t1 - t0)) -v hz="$HZ" -v s="$MEASURE_SECONDS" -v r="$(rss_kib)" 'BEGIN { printf "%.2f %.1f", 100 * d / hz / s, r / 1024 }'
}
sleep 5
read -r IDLE_CPU IDLE_RSS <<<"$(measure)"
for i in $(seq "$IDLE_EXITS"); do
    up "${TUNMUX_LAB_NAME}-i$i" $((20000 + i)) $((21000 + i)) "$(profile $((1 + i % 2)) $((30 + i)))"
done
sleep 10
read -r EXITS_CPU EXITS_RSS <<<"$(measure)"
PER_EXIT_CPU="$(awk -v a="$EXITS_CPU" -v b="$IDLE_CPU" -v n="$IDLE_EXITS" 'BEGIN { printf "%.3f", (a - b) / n }')"
PER_EXIT_RSS="$(awk -v a="$EXITS_RSS" -v b="$IDLE_RSS" -v n="$IDLE_EXITS" 'BEGIN { printf "%.2f", (a - b) / n }')"
LOG_LINES="$(cat "$WORK"/state/exits/*.log 2>/dev/null | wc -l)"

cat <<EOF
## Failover (lab, $(nproc) cores, $(date -u +%Y-%m-%d))

Server death to the first successful request through the same SOCKS5 port, default supervision
settings, client asking every 250 ms (each request bounded to 2 s), $RUNS runs:

| | median | min | max | runs (ms) |
|---|---|---|---|---|
| failover | $(awk -v v="$F_MED" 'BEGIN { printf "%.1f s", v / 1000 }') | $(awk -v v="$F_MIN" 'BEGIN { printf "%.1f s", v / 1000 }') | $(awk -v v="$F_MAX" 'BEGIN { printf "%.1f s", v / 1000 }') | ${TIMES[*]} |

Goal: under 15 s. Without supervision the exit never comes back.

## Supervisor cost ($MEASURE_SECONDS s each, the published daemon)

| daemon | CPU (% of one core) | resident memory |
|---|---|---|
| no exits | $IDLE_CPU % | $IDLE_RSS MiB |
| $IDLE_EXITS idle supervised proxy exits | $EXITS_CPU % | $EXITS_RSS MiB |
| per exit | $PER_EXIT_CPU % | $PER_EXIT_RSS MiB |

Goal: under 1 % of one core for $IDLE_EXITS idle exits. ($LOG_LINES lines in the exits' logs over the run.)
EOF
