"""Directed broadcast to a dual-stack :: socket, and a link-local address with its zone id, in a
network namespace the test creates: a veth pair with 10.77.0.1/24 and fe80::1 inside it only.
Nothing leaves the namespace, which is deleted afterwards. Needs root and iproute2."""

import os
import shutil
import subprocess
import sys

import harness
from harness import Daemon

SENDER = r"""
import socket, sys
port = int(sys.argv[1])
for destination in sys.argv[2:]:
    family = socket.AF_INET6 if ":" in destination else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        if family == socket.AF_INET:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        s.settimeout(2)
        s.sendto(b"to " + destination.encode(), (destination, port))
        try:
            print(destination, s.recvfrom(100)[0].decode())
        except OSError:
            print(destination, "-")
"""


class Namespace:
    def __init__(self):
        self.name = "udpecho-test-%d-%s" % (os.getpid(), os.urandom(4).hex())
        self.ip("netns", "add", self.name)
        try:
            for command in (["link", "set", "lo", "up"],
                            ["link", "add", "va", "type", "veth", "peer", "name", "vb"],
                            ["addr", "add", "10.77.0.1/24", "dev", "va"],
                            ["addr", "add", "fe80::1/64", "dev", "va", "nodad"],
                            ["link", "set", "va", "up"],
                            ["link", "set", "vb", "up"]):
                self.ip("-n", self.name, *command)
        except Exception:
            self.close()
            raise

    @staticmethod
    def ip(*args):
        subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)

    def wrapper(self):
        return ("ip", "netns", "exec", self.name)

    def send(self, port, *destinations):
        """Sends one datagram to each destination from inside; returns {destination: reply}."""
        r = subprocess.run([*self.wrapper(), sys.executable, "-c", SENDER, str(port),
                            *destinations], capture_output=True, text=True, timeout=60,
                           check=True)
        return dict(line.split(" ", 1) for line in r.stdout.splitlines())

    def close(self):
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=30)


def namespace_or_skip(test):
    if os.geteuid() != 0 or shutil.which("ip") is None:
        test.skipTest("needs root and iproute2 to create a network namespace")
    try:
        ns = Namespace()
    except subprocess.CalledProcessError as e:
        test.skipTest(f"cannot set up a network namespace: {e.stderr.decode().strip()}")
    test.addCleanup(ns.close)
    return ns


class DirectedBroadcastTest(harness.unittest.TestCase):
    def test_a_directed_broadcast_to_a_dual_stack_socket_is_not_answered(self):
        ns = namespace_or_skip(self)
        with Daemon("bind = ::\nport = 0\n", wrapper=ns.wrapper()) as d:
            port = d.port
            replies = ns.send(port, "10.77.0.255", "127.255.255.255", "10.77.0.1", "::1")
            self.assertEqual(replies["10.77.0.1"], "server send data:to 10.77.0.1")
            self.assertEqual(replies["::1"], "server send data:to ::1")
            self.assertEqual(replies["10.77.0.255"], "-")
            self.assertEqual(replies["127.255.255.255"], "-")
            self.assertEqual(d.stop(), 0)
            # Dropped by the loop guard, not answered from an address that cannot send.
            d.wait_for(r"stopping on SIGTERM: 4 datagrams .* 2 replies .* 0 send errors; .* "
                       r"2 sent to a broadcast or multicast address")


class ZoneIdTest(harness.unittest.TestCase):
    def test_a_link_local_address_binds_on_the_interface_its_zone_id_names(self):
        ns = namespace_or_skip(self)
        with Daemon("bind = fe80::1%va\nport = 0\n", wrapper=ns.wrapper()) as d:
            self.assertEqual(d.address[0], "fe80::1%va")
            replies = ns.send(d.port, "fe80::1%va")
            self.assertEqual(replies["fe80::1%va"], "server send data:to fe80::1%va")
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    harness.main()
