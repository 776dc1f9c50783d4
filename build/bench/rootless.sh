#!/usr/bin/env bash
# Rootless exits against root-mode exits, in one run, in the lab (root; never touches this machine's
# own network): the same lab server, the same client key, one exit at a time.
#  1. `tunmux wgconf connect --proxy` to the first successful request through the exit's SOCKS5 port,
#     median of RUNS: root mode (resident daemon, as root) against rootless (`--rootless`, as an
#     unprivileged user this script creates, no daemon);
#  2. SOCKS5 bulk throughput: a BULK_MB MiB download through each exit's SOCKS5 port, median of BULK_RUNS;
#  3. idle memory of the whole rootless exit (every process of it: namespace holder, pasta,
#     wireguard-go, proxy; PSS and RSS), and of the root-mode exit's own processes for comparison.
# Prints a Markdown table (docs/performance.md and docs/performance-rootless.md hold the last recorded run).
#
#   sudo build/bench/rootless.sh        RUNS=5 BULK_RUNS=3 BULK_MB=200 by default; TUNMUX_BENCH_DIST=DIR to use a published folder
set -euo pipefail

# shellcheck source=build/bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RUNS="${RUNS:-5}"
BULK_RUNS="${BULK_RUNS:-3}"
BULK_MB="${BULK_MB:-200}"
bench_lab labrlb
BULK_URL="http://198.18.100.1:8080/bulk"
TUN=/dev/net/tun

bench_needs_root "uses the lab, creates a user"
bench_needs_tools curl wireguard-go wg pasta dotnet useradd setpriv nsenter python3

BENCH_USER="tmxbench$$"
WORK="$(mktemp -d /tmp/tunmux-rootless-bench.XXXXXX)"
TUN_MODE="$(stat -c %a "$TUN")"
BULK_PID=""
DAEMON_RUN="$WORK/root/run"
cleanup() {
    set +e
    [[ -n "$BULK_PID" ]] && kill "$BULK_PID" 2>/dev/null
    rootless disconnect --all >/dev/null 2>&1
    as_root disconnect --all >/dev/null 2>&1
    [[ -f "$DAEMON_RUN/daemon.lock" ]] && kill "$(cat "$DAEMON_RUN/daemon.lock")" 2>/dev/null
    pkill -KILL -u "$BENCH_USER" 2>/dev/null
    userdel -f "$BENCH_USER" 2>/dev/null
    chmod "$TUN_MODE" "$TUN"
    "$LAB" down >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

# TUNMUX_BENCH_DIST: an already published folder (skips publishing).
if [[ -n "${TUNMUX_BENCH_DIST:-}" && -x "${TUNMUX_BENCH_DIST}/tunmux" ]]; then
    DIST="$TUNMUX_BENCH_DIST"
else
    echo "publishing..." >&2
    DIST="$(bash "$ROOT/build/dist.sh")"
fi
# The unprivileged user must reach the executable: a copy of the published folder under the work folder.
cp -a "$DIST" "$WORK/dist"
chmod -R go+rX "$WORK/dist"
chmod 0755 "$WORK"
TUNMUX="$WORK/dist/tunmux"

useradd -M -N -d /nonexistent -s /usr/sbin/nologin "$BENCH_USER"
UHOME="$WORK/user"
mkdir -p "$UHOME/config"
printf '[general]\nprivileged_autostart = false\n' >"$UHOME/config/config.toml"
chown -R "$BENCH_USER:" "$UHOME"
chmod 0700 "$UHOME"
chmod 0666 "$TUN"   # as stock Debian, Ubuntu and Fedora ship it

"$LAB" up 1 >/dev/null
CONF="$("$LAB" client-conf 1)"
mkdir -p "$WORK/root/config"
printf '%s\n' "$CONF" >"$WORK/root/bench.conf"
printf '%s\n' "$CONF" >"$UHOME/bench.conf"
chown "$BENCH_USER:" "$UHOME/bench.conf"

as_root() { in_host env TUNMUX_CONFIG_DIR="$WORK/root/config" TUNMUX_RUNTIME_DIR="$DAEMON_RUN" TUNMUX_STATE_DIR="$WORK/root/state" "$TUNMUX" "$@"; }
as_user() {
    in_host setpriv --reuid="$BENCH_USER" --regid="$(id -g "$BENCH_USER")" --init-groups --inh-caps=-all \
        env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$UHOME" LANG=C.UTF-8 USER="$BENCH_USER" \
        TUNMUX_CONFIG_DIR="$UHOME/config" TUNMUX_USER_RUNTIME_DIR="$UHOME/run" "$@"
}
rootless() { as_user "$TUNMUX" "$@"; }
first_request() { until in_host curl -s -m 1 -o /dev/null --socks5-hostname "127.0.0.1:$1" "$URL"; do :; done; }
root_pids() {   # the root-mode exit's proxy (from status) and its wireguard-go (by its interface)
    as_root status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"][0]["proxy_pid"])'
    pgrep -u 0 -f "wireguard-go .*wg-bench" || true
}

# ---- 1. connect to first request ----------------------------------------------------------------
as_root wgconf connect --proxy --file "$WORK/root/bench.conf" >/dev/null; as_root disconnect --all >/dev/null   # the daemon stays resident
root_times=(); rl_times=()
for ((i = 1; i <= RUNS; i++)); do
    t0=$(now_ms); as_root wgconf connect --proxy --file "$WORK/root/bench.conf" >/dev/null; first_request 1080; t1=$(now_ms)
    as_root disconnect --all >/dev/null
    root_times+=($((t1 - t0)))
    t0=$(now_ms); rootless wgconf connect --proxy --rootless --file "$UHOME/bench.conf" >/dev/null; first_request 1080; t1=$(now_ms)
    rootless disconnect --all >/dev/null
    rl_times+=($((t1 - t0)))
    echo "run $i: root mode ${root_times[-1]} ms, rootless ${rl_times[-1]} ms" >&2
done
ROOT_MED=$(printf '%s\n' "${root_times[@]}" | median)
RL_MED=$(printf '%s\n' "${rl_times[@]}" | median)

# ---- 2. SOCKS5 bulk throughput ------------------------------------------------------------------
mkdir -p "$WORK/www"
head -c "$((BULK_MB * 1024 * 1024))" /dev/zero >"$WORK/www/bulk"
ip netns exec "$INET_NS" python3 -m http.server 8080 --bind 198.18.100.1 --directory "$WORK/www" >/dev/null 2>&1 &
BULK_PID=$!
until ip netns exec "$INET_NS" curl -s -m 1 -o /dev/null -r 0-0 "$BULK_URL"; do sleep 0.1; done
bulk() { in_host curl -s -m 120 -o /dev/null -w '%{speed_download}' --socks5-hostname "127.0.0.1:$1" "$BULK_URL" | python3 -c 'import sys; print(round(float(sys.stdin.read()) / 1e6, 1))'; }
root_bw=(); rl_bw=()
as_root wgconf connect --proxy --file "$WORK/root/bench.conf" >/dev/null; first_request 1080
for ((i = 1; i <= BULK_RUNS; i++)); do root_bw+=("$(bulk 1080)"); done
as_root disconnect --all >/dev/null
rootless wgconf connect --proxy --rootless --file "$UHOME/bench.conf" >/dev/null; first_request 1080
for ((i = 1; i <= BULK_RUNS; i++)); do rl_bw+=("$(bulk 1080)"); done
echo "bulk (MB/s): root mode ${root_bw[*]}, rootless ${rl_bw[*]}" >&2
ROOT_BW=$(printf '%s\n' "${root_bw[@]}" | median)
RL_BW=$(printf '%s\n' "${rl_bw[@]}" | median)

# ---- 3. idle memory -----------------------------------------------------------------------------
# Every process of the rootless exit belongs to the user (the exit is the user's only process tree here).
sleep 3
mem() {   # PSS and RSS in MiB summed over PIDs
    local pss=0 rss=0 p
    for p in "$@"; do
        [[ -r /proc/$p/smaps_rollup ]] || continue
        pss=$((pss + $(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup")))
        rss=$((rss + $(awk '/^Rss:/ { print $2 }' "/proc/$p/smaps_rollup")))
    done
    python3 -c "print(f'{$pss / 1024:.1f} {$rss / 1024:.1f}')"
}
RL_PIDS="$(pgrep -u "$BENCH_USER" | tr '\n' ' ')"
RL_PROCS="$(for p in $RL_PIDS; do cat "/proc/$p/comm"; done | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep=", " }')"
read -r RL_PSS RL_RSS <<<"$(mem $RL_PIDS)"
rootless disconnect --all >/dev/null
# The root-mode exit measured the same way, idle, for comparison.
as_root wgconf connect --proxy --file "$WORK/root/bench.conf" >/dev/null; first_request 1080; sleep 3
ROOT_PIDS="$(root_pids | tr '\n' ' ')"
read -r ROOT_PSS ROOT_RSS <<<"$(mem $ROOT_PIDS)"
as_root disconnect --all >/dev/null

cat <<EOF
| measure | root-mode exit | rootless exit | ratio (rootless / root mode) | goal |
|---|---|---|---|---|
| \`tunmux wgconf connect --proxy\` to first SOCKS5 request, median of $RUNS (ms) | $ROOT_MED | $RL_MED | $(ratio "$RL_MED" "$ROOT_MED")x | ≤ 1.5x |
| SOCKS5 bulk download of $BULK_MB MiB through the tunnel, median of $BULK_RUNS (MB/s) | $ROOT_BW | $RL_BW | $(ratio "$RL_BW" "$ROOT_BW")x | ≥ 0.8x |
| idle memory, PSS (RSS) in MiB | $ROOT_PSS ($ROOT_RSS): proxy and wireguard-go | $RL_PSS ($RL_RSS): $RL_PROCS | | report |

runs (ms): root mode ${root_times[*]}; rootless ${rl_times[*]}
bulk (MB/s): root mode ${root_bw[*]}; rootless ${rl_bw[*]}
EOF
