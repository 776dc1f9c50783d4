#!/usr/bin/env bash
# A real demo against the lab (root): two proxy-mode exits brought up by TunnelService, a request
# through each showing its own exit address, the host stand-in's traffic and routes unchanged,
# then everything torn down. Nothing touches this machine's own network.
#
# TunnelService is driven through the network test project's tunnel console (the same code the
# privileged daemon runs). Usage: sudo build/lab/demo.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export TUNMUX_LAB_NAME="${TUNMUX_LAB_NAME:-labdemo}"
export TUNMUX_LAB_DIR="${TUNMUX_LAB_DIR:-/tmp/tunmux-$TUNMUX_LAB_NAME}"
LAB="$ROOT/build/lab/lab.sh"
HOST_NS="$TUNMUX_LAB_NAME-host"
PROJECT="$ROOT/tests/Tunmux.Network.Tests/Tunmux.Network.Tests.csproj"
DLL="$ROOT/tests/Tunmux.Network.Tests/bin/Release/net10.0/Tunmux.Network.Tests.dll"
URL=http://198.18.100.1/

[[ $EUID -eq 0 ]] || { echo "demo: needs root (the lab creates network namespaces)" >&2; exit 1; }
trap '"$LAB" down >/dev/null 2>&1 || true' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
in_host() { nsenter --net="/run/netns/$HOST_NS" "$@"; }
tunnel() { TUNMUX_STATE_DIR="$TUNMUX_LAB_DIR/state" TUNMUX_RUNTIME_DIR="$TUNMUX_LAB_DIR/state/run" in_host dotnet "$DLL" tunnel "$@"; }

step "build"
dotnet build -c Release -v q -nologo "$PROJECT" >/dev/null

step "lab up: fake internet, 2 VPN servers, a host stand-in ($HOST_NS)"
"$LAB" up 2
routes_before="$(ip -n "$HOST_NS" route; ip -n "$HOST_NS" rule)"
echo "host stand-in's own address as the internet sees it: $(in_host curl -s -m 5 "$URL")"

up_json() { # K INSTANCE: a profile for server K with a fresh client key registered there
    local k="$1" instance="$2" conf priv
    conf="$("$LAB" client-conf "$k")"
    priv="$(wg genkey)"
    "$LAB" add-peer "$k" "$(wg pubkey <<<"$priv")" "10.2.$k.30"
    cat <<EOF
{"instance":"$instance","provider":"lab","mode":"proxy","profile":{"private_key":"$priv","addresses":["10.2.$k.30/32"],"dns":["198.18.100.53"],"peers":[{"public_key":"$(awk '$1 == "PublicKey" { print $3 }' <<<"$conf")","endpoint":"$(awk '$1 == "Endpoint" { print $3 }' <<<"$conf")","allowed_ips":["0.0.0.0/0","::/0"]}]}}
EOF
}

A="$TUNMUX_LAB_NAME-a"; B="$TUNMUX_LAB_NAME-b"
step "two proxy-mode instances"
up_json 1 "$A" | tunnel up | python3 -m json.tool
up_json 2 "$B" | tunnel up | python3 -m json.tool

step "a request through each namespace"
echo "exit of $A: $(ip netns exec "tunmux_$A" curl -s -m 5 "$URL")   (server 1 is 198.18.11.2)"
echo "exit of $B: $(ip netns exec "tunmux_$B" curl -s -m 5 "$URL")   (server 2 is 198.18.12.2)"
echo "DNS inside $A: $(ip netns exec "tunmux_$A" getent hosts whoami.lab)"

step "the host stand-in is untouched"
echo "host traffic still leaves as: $(in_host curl -s -m 5 "$URL")"
[[ "$(ip -n "$HOST_NS" route; ip -n "$HOST_NS" rule)" == "$routes_before" ]] && echo "routes and rules: unchanged"

step "status, down, and nothing left"
tunnel list | python3 -c 'import json,sys; [print(t["instance"] + ": alive=" + str(t["alive"]) + ", backend " + t["backend"] + " (" + t["backend_reason"] + ")") for t in json.load(sys.stdin)["tunnels"]]'
tunnel down "$A"; tunnel down "$B"
"$LAB" down
echo "namespaces left by the demo: $(ip netns list | grep -c "$TUNMUX_LAB_NAME" || true)"
