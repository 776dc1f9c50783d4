#!/usr/bin/env bash
# The tunmux lab: a fake internet, N fake VPN servers and two namespaces that stand in for
# the host, all in network namespaces on this machine. Nothing here touches the root
# namespace's addresses, routes or /etc/resolv.conf: every link is created inside a lab
# namespace (veth peers are created directly in their target namespaces).
#
#   lab.sh up [N]              clean leftovers, then build the lab with N VPN servers (default 2)
#   lab.sh down                end every lab process by PID, delete every lab namespace and file
#   lab.sh status              what is up
#   lab.sh client-conf K       a ready wg-quick client config for server K
#   lab.sh add-peer K PUB ADDR register one more client public key (with its tunnel address) on server K
#   lab.sh stop-server K       stop server K's WireGuard (its process frozen: nothing is answered)
#   lab.sh start-server K      start it again
#   lab.sh env                 shell variables describing the lab (for scripts and tests)
#
# Topology (all addresses from the benchmarking range 198.18.0.0/15 and 10.2.0.0/16):
#   <name>-inet   the fake internet; forwards between its links. Services on its loopback:
#                 198.18.100.1:80 what-is-my-IP (answers the client's source address),
#                 198.18.100.1:5201 iperf3 (started by the benchmark), 198.18.100.53 DNS (dnsmasq).
#   <name>-host   stands in for the host: 198.18.0.2, default route to inet. The daemon and client
#                 commands run here with `nsenter --net=/run/netns/<name>-host`.
#   <name>-dhost  a second host stand-in for direct mode: 198.18.1.2, entered with `ip netns exec`
#                 so /etc/netns/<name>-dhost/resolv.conf is its /etc/resolv.conf.
#   <name>-vpnK   VPN server K: 198.18.(10+K).2 toward inet (its distinct exit address), a
#                 wireguard-go interface <name>wgK on 10.2.K.1/24 listening on 51820, NAT to inet,
#                 and a NAT-PMP gateway (RFC 6886) on 10.2.K.1:5351 that forwards public ports
#                 from 40000+100K on to clients (natpmp.py; requests logged in <dir>/natpmpK.log).
#
# Environment: TUNMUX_LAB_NAME (default "lab", at most 8 characters [a-z0-9]; names every
# namespace, interface and the folder), TUNMUX_LAB_DIR (default /tmp/tunmux-<name>).
# Tools: ip, wg, wireguard-go, nft, dnsmasq, python3 (Debian: iproute2 wireguard-tools
# wireguard-go nftables dnsmasq python3).
set -euo pipefail

NAME="${TUNMUX_LAB_NAME:-lab}"
if ! [[ "$NAME" =~ ^[a-z][a-z0-9]{0,7}$ ]]; then
    echo "lab: TUNMUX_LAB_NAME must be 1-8 characters [a-z0-9], starting with a letter" >&2
    exit 2
fi
DIR="${TUNMUX_LAB_DIR:-/tmp/tunmux-$NAME}"
INET="$NAME-inet"
HOST="$NAME-host"
DHOST="$NAME-dhost"
WHOAMI_IP=198.18.100.1
DNS_IP=198.18.100.53
WG_PORT=51820
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

die() { echo "lab: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "'$1' not found: install Debian package $2"; }
in_ns() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }
vpn_ns() { echo "$NAME-vpn$1"; }
vpn_if() { echo "${NAME}wg$1"; }
vpn_exit() { echo "198.18.$((10 + $1)).2"; }

# Records a started process as "<pid> <starttime>" so down never signals a reused PID.
record_pid() {
    local pid="$1" start
    start="$(awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$pid/stat" 2>/dev/null || true)"
    [[ -n "$start" ]] || die "process $pid exited right after start"
    echo "$pid $start" >>"$DIR/pids"
}

kill_recorded() {
    [[ -f "$DIR/pids" ]] || return 0
    local pid start now
    while read -r pid start; do
        now="$(awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$pid/stat" 2>/dev/null || true)"
        [[ -n "$now" && "$now" == "$start" ]] && kill "$pid" 2>/dev/null || true
    done <"$DIR/pids"
    sleep 0.2
    while read -r pid start; do
        now="$(awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$pid/stat" 2>/dev/null || true)"
        [[ -n "$now" && "$now" == "$start" ]] && kill -9 "$pid" 2>/dev/null || true
    done <"$DIR/pids"
    rm -f "$DIR/pids"
}

# Namespaces of this lab, plus tunmux_<name>* ones that tests in this lab created.
lab_namespaces() {
    ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^($NAME-(inet|host|dhost|vpn[0-9]+)|tunmux_$NAME.*)$" || true
}

# Any process still living in a lab namespace (daemon, proxies, wireguard-go started by tests)
# is ended by PID before the namespace goes.
kill_in_namespaces() {
    local ns pid sig
    for sig in TERM KILL; do
        for ns in $(lab_namespaces); do
            for pid in $(ip netns pids "$ns" 2>/dev/null || true); do
                kill -s "$sig" "$pid" 2>/dev/null || true
            done
        done
        if [[ $sig == TERM ]]; then sleep 0.2; fi
    done
}

cmd_down() {
    kill_recorded
    kill_in_namespaces
    local ns link
    for ns in $(lab_namespaces); do
        # Delete links first so nothing could ever be handed back to the root namespace.
        for link in $(ip -n "$ns" -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -v '^lo$' || true); do
            ip -n "$ns" link del "$link" 2>/dev/null || true
        done
        ip netns del "$ns" 2>/dev/null || true
        rm -rf "/etc/netns/$ns"
    done
    # UAPI sockets of the lab's wireguard-go servers, if a process died without removing its own.
    rm -f /var/run/wireguard/"${NAME}"wg*.sock
    rm -rf "$DIR"
}

add_ns() {
    ip netns add "$1"
    ip -n "$1" link set lo up
    # No duplicate address detection: link-local addresses (and their routes) exist as soon as a
    # link is up, instead of appearing a second later in the middle of a test's before/after comparison.
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# link_to_inet NS INET_IF NS_IF SUBNET_THIRD_OCTET: veth between inet (.1) and NS (.2), default route via inet.
link_to_inet() {
    local ns="$1" iif="$2" nif="$3" o="$4"
    ip -n "$INET" link add "$iif" type veth peer name "$nif" netns "$ns"
    # The lab speaks IPv4 only. Without this, the kernel adds IPv6 link-local and multicast routes
    # whenever the carrier settles (up to a second later), in the middle of a test's before/after
    # comparison of the host stand-in's routes.
    ip netns exec "$INET" sysctl -qw "net.ipv6.conf.$iif.disable_ipv6=1"
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$nif.disable_ipv6=1"
    ip -n "$INET" addr add "198.18.$o.1/24" dev "$iif"
    ip -n "$INET" link set "$iif" up
    ip -n "$ns" addr add "198.18.$o.2/24" dev "$nif"
    ip -n "$ns" link set "$nif" up
    ip -n "$ns" route add default via "198.18.$o.1"
}

cmd_up() {
    local n="${1:-2}"
    [[ "$n" =~ ^[0-9]+$ && "$n" -ge 1 && "$n" -le 200 ]] || die "N must be 1..200"
    [[ $EUID -eq 0 ]] || die "needs root (creates network namespaces)"
    need ip iproute2; need wg wireguard-tools; need wireguard-go wireguard-go
    need nft nftables; need dnsmasq dnsmasq; need python3 python3
    cmd_down
    mkdir -p "$DIR/keys"
    chmod 700 "$DIR" "$DIR/keys"
    echo "$n" >"$DIR/servers"

    add_ns "$INET"
    in_ns "$INET" sysctl -qw net.ipv4.ip_forward=1
    ip -n "$INET" addr add "$WHOAMI_IP/32" dev lo
    ip -n "$INET" addr add "$DNS_IP/32" dev lo

    add_ns "$HOST"
    link_to_inet "$HOST" "h0" "eth0" 0
    add_ns "$DHOST"
    link_to_inet "$DHOST" "dh0" "eth0" 1
    mkdir -p "/etc/netns/$DHOST"
    # Deliberately not the lab DNS: direct mode must switch it and put these exact bytes back.
    printf '# %s original resolv.conf\nnameserver 198.18.1.1\noptions edns0\n' "$DHOST" >"/etc/netns/$DHOST/resolv.conf"

    # Services of the fake internet.
    # Started with `ip netns exec` directly (not through a shell function) so $! is the service itself.
    ip netns exec "$INET" python3 "$HERE/whoami.py" "$WHOAMI_IP" 80 >"$DIR/whoami.log" 2>&1 &
    record_pid $!
    ip netns exec "$INET" dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll --bind-interfaces \
        --listen-address="$DNS_IP" --pid-file="$DIR/dnsmasq.pid" --user=root \
        --address="/whoami.lab/$WHOAMI_IP" --address="/dns.lab/$DNS_IP" --log-facility="$DIR/dnsmasq.log" &
    record_pid $!

    local k ns ifc sk
    for ((k = 1; k <= n; k++)); do
        ns="$(vpn_ns "$k")"; ifc="$(vpn_if "$k")"
        add_ns "$ns"
        link_to_inet "$ns" "v$k" "eth0" "$((10 + k))"
        in_ns "$ns" sysctl -qw net.ipv4.ip_forward=1
        in_ns "$ns" nft -f - <<EOF
table ip labnat {
    chain post { type nat hook postrouting priority 100; oifname "eth0" masquerade; }
    # 10.2.0.1 is the DNS address Proton and AirVPN hand out; here it is the lab DNS.
    chain pre { type nat hook prerouting priority -100; ip daddr 10.2.0.1 udp dport 53 dnat to $DNS_IP; ip daddr 10.2.0.1 tcp dport 53 dnat to $DNS_IP; }
}
EOF
        umask 077
        wg genkey >"$DIR/keys/server$k.key"
        wg pubkey <"$DIR/keys/server$k.key" >"$DIR/keys/server$k.pub"
        wg genkey >"$DIR/keys/client$k.key"
        wg pubkey <"$DIR/keys/client$k.key" >"$DIR/keys/client$k.pub"
        umask 022
        WG_PROCESS_FOREGROUND=1 ip netns exec "$ns" wireguard-go "$ifc" >"$DIR/$ifc.log" 2>&1 &
        record_pid $!
        echo $! >"$DIR/server$k.pid"
        for _ in $(seq 100); do [[ -S "/var/run/wireguard/$ifc.sock" ]] && break; sleep 0.05; done
        [[ -S "/var/run/wireguard/$ifc.sock" ]] || die "wireguard-go for server $k did not start (see $DIR/$ifc.log)"
        wg set "$ifc" listen-port "$WG_PORT" private-key "$DIR/keys/server$k.key" \
            peer "$(cat "$DIR/keys/client$k.pub")" allowed-ips "10.2.$k.2/32"
        ip -n "$ns" addr add "10.2.$k.1/24" dev "$ifc"
        ip -n "$ns" link set "$ifc" mtu 1420 up
        # Peers added later may have any 10.2.x.y (providers give every client 10.2.0.2): route them all back.
        ip -n "$ns" route add 10.2.0.0/16 dev "$ifc"
        ip netns exec "$ns" python3 "$HERE/natpmp.py" "10.2.$k.1" "$((40000 + 100 * k))" "$DIR/natpmp$k.log" >"$DIR/natpmp$k.out" 2>&1 &
        record_pid $!
    done
    # Ready means answering: tests start right after `up`, so wait for the web and DNS services.
    local ready=""
    for _ in $(seq 100); do
        if in_ns "$INET" curl -s -m 1 -o /dev/null "http://$WHOAMI_IP/" \
            && in_ns "$INET" ss -Hlun "sport = :53" | grep -q .; then ready=1; break; fi
        sleep 0.05
    done
    [[ -n "$ready" ]] || die "the lab's web or DNS service did not start (see $DIR/whoami.log, $DIR/dnsmasq.log)"
    echo "lab '$NAME' up: $n VPN server(s); state in $DIR"
}

cmd_client_conf() {
    local k="${1:?usage: client-conf K}"
    [[ -f "$DIR/keys/server$k.pub" ]] || die "no server $k (is the lab up?)"
    cat <<EOF
[Interface]
PrivateKey = $(cat "$DIR/keys/client$k.key")
Address = 10.2.$k.2/32
DNS = $DNS_IP
MTU = 1420

[Peer]
PublicKey = $(cat "$DIR/keys/server$k.pub")
Endpoint = $(vpn_exit "$k"):$WG_PORT
AllowedIPs = 0.0.0.0/0, ::/0
PersistentKeepalive = 25
EOF
}

cmd_add_peer() {
    local k="${1:?usage: add-peer K PUBKEY ADDR}" pub="${2:?usage: add-peer K PUBKEY ADDR}" addr="${3:?usage: add-peer K PUBKEY ADDR}"
    [[ -f "$DIR/keys/server$k.pub" ]] || die "no server $k (is the lab up?)"
    [[ "$pub" =~ ^[A-Za-z0-9+/]{43}=$ ]] || die "not a WireGuard public key: $pub"
    [[ "$addr" =~ ^10\.2\.[0-9]+\.[0-9]+(/32)?$ ]] || die "address must be in 10.2.0.0/16: $addr"
    wg set "$(vpn_if "$k")" peer "$pub" allowed-ips "${addr%/32}/32"
}

# Server K's WireGuard stops answering anything, as a server that died or lost its network: its
# wireguard-go process is frozen (SIGSTOP), so datagrams to it go unanswered and nothing is refused.
# start-server thaws it with its keys, peers and sessions as they were.
server_pid() {
    local k="$1" pid
    [[ -f "$DIR/server$k.pid" ]] || die "no server $k (is the lab up?)"
    pid="$(cat "$DIR/server$k.pid")"
    grep -qx "$pid $(awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$pid/stat" 2>/dev/null)" "$DIR/pids" || die "server $k's process is gone"
    echo "$pid"
}

cmd_stop_server() { kill -STOP "$(server_pid "${1:?usage: stop-server K}")"; }

cmd_start_server() { kill -CONT "$(server_pid "${1:?usage: start-server K}")"; }

cmd_env() {
    local n=0
    [[ -f "$DIR/servers" ]] && n="$(cat "$DIR/servers")"
    cat <<EOF
LAB_NAME=$NAME
LAB_DIR=$DIR
LAB_SERVERS=$n
LAB_INET_NS=$INET
LAB_HOST_NS=$HOST
LAB_DHOST_NS=$DHOST
LAB_WHOAMI_URL=http://$WHOAMI_IP/
LAB_WHOAMI_IP=$WHOAMI_IP
LAB_DNS_IP=$DNS_IP
LAB_HOST_IP=198.18.0.2
LAB_DHOST_IP=198.18.1.2
EOF
    local k
    for ((k = 1; k <= n; k++)); do
        echo "LAB_EXIT_$k=$(vpn_exit "$k")"
        echo "LAB_GATEWAY_$k=10.2.$k.1"
        echo "LAB_NATPMP_LOG_$k=$DIR/natpmp$k.log"
    done
}

cmd_status() {
    echo "lab '$NAME' ($DIR)"
    local ns
    for ns in $(lab_namespaces); do echo "  namespace $ns"; done
    if [[ -f "$DIR/pids" ]]; then
        local pid start
        while read -r pid start; do
            if [[ -d /proc/$pid ]]; then echo "  process $pid $(tr '\0' ' ' </proc/"$pid"/cmdline | cut -c1-60)"; else echo "  process $pid gone"; fi
        done <"$DIR/pids"
    fi
}

case "${1:-}" in
    up) shift; cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    client-conf) shift; cmd_client_conf "$@" ;;
    add-peer) shift; cmd_add_peer "$@" ;;
    stop-server) shift; cmd_stop_server "$@" ;;
    start-server) shift; cmd_start_server "$@" ;;
    env) cmd_env ;;
    *) echo "usage: lab.sh up [N] | down | status | client-conf K | add-peer K PUBKEY ADDR | stop-server K | start-server K | env" >&2; exit 2 ;;
esac
