"""Sending from many loopback sources, forging what sockets cannot send, and reading RSS.

Loopback owns all of 127.0.0.0/8, so every address in it is a distinct local source. Binding a
socket per address is slow for hundreds of thousands of them; instead one socket sends each
datagram with IP_PKTINFO naming its source address (ipi_spec_dst), one system call per datagram.
Replies to all of those addresses come back to the same wildcard-bound socket.
"""

import os
import socket
import struct

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)


def loopback_v4(index):
    """The index-th address of 127.1.0.0 onwards: 127.1.0.0, 127.1.0.1, ... (up to 127.255.x.x)."""
    value = (127 << 24) + (1 << 16) + index
    if value >= (128 << 24):
        raise ValueError("index past the end of 127.0.0.0/8")
    return socket.inet_ntoa(struct.pack("!I", value))


class MultiSource:
    """One UDP socket that sends each datagram from a loopback address of the caller's choice."""

    def __init__(self, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.bind(("0.0.0.0", 0))
        self.port = self.sock.getsockname()[1]

    def send(self, payload, source, target):
        info = struct.pack("=i4s4s", 0, socket.inet_aton(source), b"\0\0\0\0")
        self.sock.sendmsg([payload], [(socket.IPPROTO_IP, IP_PKTINFO, info)], 0, target)

    def drain(self):
        """Reads every reply waiting; returns how many there were."""
        self.sock.setblocking(False)
        count = 0
        try:
            while True:
                self.sock.recv(70000)
                count += 1
        except BlockingIOError:
            pass
        finally:
            self.sock.setblocking(True)
        return count

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def send_forged_v4(source, source_port, destination, destination_port, payload):
    """Sends a UDP/IPv4 datagram with any source and destination address through a raw socket
    (root only). It is routed to 127.0.0.1, i.e. over loopback, whatever its header says, so it
    never leaves the machine; the kernel delivers it by the header's addresses."""
    udp_length = 8 + len(payload)
    pseudo = struct.pack("!4s4sBBH", socket.inet_aton(source), socket.inet_aton(destination), 0,
                         socket.IPPROTO_UDP, udp_length)
    udp = struct.pack("!HHHH", source_port, destination_port, udp_length, 0) + payload
    udp = udp[:6] + struct.pack("!H", _checksum(pseudo + udp) or 0xFFFF) + udp[8:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_length, 0x4242, 0, 64,
                         socket.IPPROTO_UDP, 0, socket.inet_aton(source),
                         socket.inet_aton(destination))
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as raw:
        raw.sendto(header + udp, ("127.0.0.1", 0))


def is_root():
    return os.geteuid() == 0


def rss_kib(pid):
    """Resident set size of a process in KiB, from /proc/PID/status."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def udp_socket_drops(port):
    """Datagrams the kernel dropped for the UDP sockets bound to `port` (a full receive buffer),
    summed over /proc/net/udp and /proc/net/udp6."""
    total = 0
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table, encoding="ascii") as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if int(fields[1].rsplit(":", 1)[1], 16) == port:
                        total += int(fields[-1])
        except FileNotFoundError:
            continue
    return total
