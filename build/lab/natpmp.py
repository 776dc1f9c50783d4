#!/usr/bin/env python3
"""A NAT-PMP gateway (RFC 6886) for one lab VPN server, run inside the server's namespace.

    natpmp.py TUNNEL_ADDRESS FIRST_PORT LOG

Answers mapping requests (opcodes 1 UDP and 2 TCP) from clients inside the tunnel the way Proton's
gateways do: the public port is chosen by the gateway (a client's own port again on renewal), and
traffic to that port on the server's outside address is sent on to the same port at the client's
tunnel address (an nftables DNAT rule in the server's namespace, in a table of its own). A lifetime of
0 removes the mapping. Each request is one line in LOG, so tests can see mappings and renewals.
External address requests (opcode 0) are answered too; unknown opcodes get result 5.
"""
import socket
import struct
import subprocess
import sys
import time

ADDRESS, FIRST_PORT, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3]
START = time.monotonic()
TABLE = "labpmp"

mappings = {}  # (client, proto) -> port
next_port = FIRST_PORT


def nft(script):
    subprocess.run(["nft", "-f", "-"], input=script.encode(), check=False)


def forward(client, proto, port):
    nft(f"add rule ip {TABLE} pre iifname \"eth0\" {proto} dport {port} dnat to {client}:{port}\n")


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


def epoch():
    return int(time.monotonic() - START)


def outside_address():
    # The server's address toward the fake internet (eth0), what clients appear as.
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", "eth0"], capture_output=True, text=True).stdout.split()
    return out[3].split("/")[0] if len(out) > 3 else "0.0.0.0"


def main():
    global next_port
    nft(f"table ip {TABLE} {{\n    chain pre {{\n        type nat hook prerouting priority -110;\n    }}\n}}\n")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ADDRESS, 5351))
    while True:
        data, (client, cport) = s.recvfrom(64)
        if len(data) < 2 or data[0] != 0:
            s.sendto(struct.pack("!BBHI", 0, 128 + (data[1] if len(data) > 1 else 0), 1, epoch()), (client, cport))
            continue
        op = data[1]
        if op == 0:
            s.sendto(struct.pack("!BBHI4s", 0, 128, 0, epoch(), socket.inet_aton(outside_address())), (client, cport))
            log(f"op=0 client={client}")
            continue
        if op not in (1, 2) or len(data) < 12:
            s.sendto(struct.pack("!BBHI", 0, 128 + op, 5, epoch()), (client, cport))
            continue
        internal, suggested, lifetime = struct.unpack("!HHI", data[4:12])
        proto = "udp" if op == 1 else "tcp"
        key = (client, proto)
        if lifetime == 0:
            mappings.pop(key, None)
            port = 0
        elif key in mappings:
            port = mappings[key]
        else:
            # One public port per client, the same for both protocols (as Proton maps them).
            other = mappings.get((client, "tcp" if proto == "udp" else "udp"))
            if other is not None:
                port = other
            else:
                port = next_port
                next_port += 1
            mappings[key] = port
            forward(client, proto, port)
        log(f"op={op} client={client} internal={internal} suggested={suggested} lifetime={lifetime} port={port}")
        s.sendto(struct.pack("!BBHIHHI", 0, 128 + op, 0, epoch(), internal, port, lifetime), (client, cport))


if __name__ == "__main__":
    main()
