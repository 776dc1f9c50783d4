#!/usr/bin/env bash
# tunmux's main job, end to end, against the local lab (root, no account needed):
# two proxy-mode exits side by side, a request through each showing its own exit address, the
# host's own traffic and routes unchanged, then everything torn down. The lab stands in for the
# internet, two VPN servers and the host (a network namespace), so this machine's own routes,
# addresses and /etc/resolv.conf are never touched.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[[ $EUID -eq 0 ]] || { echo "demo: needs root (the lab creates network namespaces); run: sudo $0" >&2; exit 1; }

bash "$root/build/setup.sh"
dist=$(bash "$root/build/dist.sh")

export TUNMUX_LAB_NAME=${TUNMUX_LAB_NAME:-demo}
export TUNMUX_LAB_DIR=${TUNMUX_LAB_DIR:-/tmp/tunmux-$TUNMUX_LAB_NAME}
lab="$root/build/lab/lab.sh"
host_ns="$TUNMUX_LAB_NAME-host"
work="$TUNMUX_LAB_DIR/demo"
url=http://whoami.lab/

cleanup() {
  in_host tunmux disconnect --all >/dev/null 2>&1 || true
  "$lab" down >/dev/null 2>&1 || true
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; }
# Everything "on the host" runs in the lab's host stand-in: tunmux, its daemon and the clients.
in_host() {
  local cmd=$1; shift
  [[ $cmd == tunmux ]] && cmd="$dist/tunmux"
  nsenter --net="/run/netns/$host_ns" env \
    TUNMUX_CONFIG_DIR="$work/config" TUNMUX_RUNTIME_DIR="$work/run" TUNMUX_STATE_DIR="$work/state" \
    "$cmd" "$@"
}
tm() { show "tunmux $*"; in_host tunmux "$@"; }

step "lab up: a fake internet, two VPN servers, a host stand-in"
"$lab" up 2
mkdir -p "$work/config"
# The daemon started for these commands stops when the last one is done.
printf '[general]\nprivileged_autostop_mode = "command"\n' > "$work/config/config.toml"
before=$(ip -n "$host_ns" route; ip -n "$host_ns" rule; ip -n "$host_ns" -brief address)
echo "the host's own traffic leaves as: $(in_host curl -s -m 5 http://198.18.100.1/)"

step "two WireGuard profiles from the lab's servers, saved with the wgconf provider"
"$lab" client-conf 1 > "$work/server1.conf"
"$lab" client-conf 2 > "$work/server2.conf"
tm wgconf save --file "$work/server1.conf" --name lab-one
tm wgconf save --file "$work/server2.conf" --name lab-two
tm wgconf list

step "two proxy exits side by side"
tm wgconf connect --proxy --profile lab-one
tm wgconf connect --proxy --profile lab-two
tm status

step "a request through each exit (names resolve through each tunnel's DNS)"
show "curl --socks5-hostname 127.0.0.1:1080 $url"
echo "  -> $(in_host curl -s -m 5 --socks5-hostname 127.0.0.1:1080 "$url")   (server 1 exits as 198.18.11.2)"
show "curl -x http://127.0.0.1:8119 $url"
echo "  -> $(in_host curl -s -m 5 -x http://127.0.0.1:8119 "$url")   (server 2 exits as 198.18.12.2)"

step "the host is untouched"
show "curl http://198.18.100.1/"
echo "  -> $(in_host curl -s -m 5 http://198.18.100.1/)   (no proxy: the host's own address)"
after=$(ip -n "$host_ns" route; ip -n "$host_ns" rule; ip -n "$host_ns" -brief address)
[[ "$before" == "$after" ]] && echo "routes, rules and addresses of the host: unchanged" \
  || { echo "host network changed:"; diff <(echo "$before") <(echo "$after") || true; exit 1; }

step "tear down"
tm disconnect --all
tm status
"$lab" down
left=$(ip netns list | grep -cE "^(tunmux_|$TUNMUX_LAB_NAME-)" || true)
echo "namespaces left: $left"
trap - EXIT
