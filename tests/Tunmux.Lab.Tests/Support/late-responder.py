"""A lab VPN server that answers latency probes late, standing in for a far-away server (this
kernel has no netem). Run inside the server's namespace, as root, with the kernel's own echo
replies turned off there (net.ipv4.icmp_echo_ignore_all=1):

    python3 late-responder.py DELAY_MS

It answers ICMP echo requests (read on a raw socket) and datagrams to the traceroute port 33434
(the host's UDP probe) after DELAY_MS. Prints "ready" once listening; runs until killed.
"""
import select
import socket
import struct
import sys
import threading
import time

UDP_PROBE_PORT = 33434


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def later(delay: float, action) -> None:
    threading.Timer(delay, action).start()


def main() -> None:
    delay = int(sys.argv[1]) / 1000.0
    icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", UDP_PROBE_PORT))
    print("ready", flush=True)
    while True:
        readable, _, _ = select.select([icmp, udp], [], [])
        for sock in readable:
            if sock is udp:
                data, peer = udp.recvfrom(2048)
                later(delay, lambda d=data, p=peer: udp.sendto(d, p))
                continue
            packet, peer = icmp.recvfrom(65535)
            header_length = (packet[0] & 0x0F) * 4
            message = packet[header_length:]
            if len(message) < 8 or message[0] != 8:
                continue  # only echo requests; our own replies come back here too
            reply = bytearray(message)
            reply[0] = 0
            reply[2:4] = b"\0\0"
            reply[2:4] = struct.pack("!H", checksum(bytes(reply)))
            later(delay, lambda r=bytes(reply), p=peer: icmp.sendto(r, p))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
