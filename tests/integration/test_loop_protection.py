"""Loop and reflection rules: what an echo server must not answer, on real sockets.

A dropped datagram is shown by the daemon's log line naming it and the rule; then a datagram
from another peer is answered, and since the daemon handles datagrams in order and flushes the
replies of a batch before waiting again, any reply to the dropped one would have arrived by then.

Not producible on loopback, and so tested in unit_loop_guard only: an unspecified source
(the kernel fills 0.0.0.0 in with a local address even on a raw socket), IPv6 multicast or
unspecified sources (IPv6 raw sockets cannot forge the source), and IPv6 multicast destinations
(lo has no multicast flag, and changing it would change the host).
"""

import re
import socket

import harness
import sources
from harness import Daemon, exchange

PREFIX = b"server send data:"
CONFIG = "bind = 127.0.0.1\nport = 0\nrate_prefix_v4 = 32\n"


def bound(address, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    s.bind((address, port))
    return s


class LoopRulesTest(harness.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(CONFIG)

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.daemon.__exit__()

    def assert_dropped(self, s, payload, reason, target=None, daemon=None):
        daemon = daemon or self.daemon
        target = target or daemon.address
        host, port = s.getsockname()[:2]
        s.sendto(payload, target)
        daemon.wait_for(rf"{re.escape(host)}:{port}: not answered: {re.escape(reason)} "
                        r"\(loop protection\)")
        self.assert_nothing_for(s, target)

    def assert_nothing_for(self, s, target):
        self.assertEqual(exchange(target, b"sync")[0], PREFIX + b"sync")
        s.setblocking(False)
        with self.assertRaises(BlockingIOError):
            s.recv(70000)

    def test_low_source_ports_get_no_reply(self):
        if not sources.is_root():
            self.skipTest("binding ports below 1024 needs root")
        for n, port in enumerate((999, 7, 19, 2049)):
            with self.subTest(port=port), bound(f"127.0.0.{10 + n}", port) as s:
                self.assert_dropped(s, b"hello", "source port below 1024 or 2049")

    def test_source_port_0_gets_no_reply(self):
        if not sources.is_root():
            self.skipTest("forging a datagram needs a raw socket (root)")
        sources.send_forged_v4("127.0.0.15", 0, "127.0.0.1", self.daemon.port, b"port zero")
        self.daemon.wait_for(r"127\.0\.0\.15:0: not answered: source port below 1024")

    def test_ordinary_source_port_40000_is_answered(self):
        try:
            s = bound("127.0.0.16", 40000)
        except OSError as e:  # somebody else holds it: any high port makes the same point
            print(f"port 40000 unavailable ({e}); using an ephemeral port")
            s = bound("127.0.0.16", 0)
        with s:
            s.sendto(b"hello", self.daemon.address)
            self.assertEqual(s.recv(70000), PREFIX + b"hello")

    def test_own_port_gets_no_reply(self):
        with bound("127.0.0.17", self.daemon.port) as s:
            self.assert_dropped(s, b"hello", "source port is our own port")

    def test_bounced_reply_gets_no_reply(self):
        with bound("127.0.0.18", 0) as s:
            self.assert_dropped(s, PREFIX + b"hello again", "payload starts with our reply prefix")
            # One byte short of the prefix is an ordinary payload.
            s.setblocking(True)
            s.sendto(PREFIX[:-1], self.daemon.address)
            self.assertEqual(s.recv(70000), PREFIX + PREFIX[:-1])

    def test_multicast_and_broadcast_sources_get_no_reply(self):
        if not sources.is_root():
            self.skipTest("forging a datagram needs a raw socket (root)")
        for source in ("224.0.0.1", "239.1.2.3", "255.255.255.255"):
            with self.subTest(source=source):
                sources.send_forged_v4(source, 40000, "127.0.0.1", self.daemon.port, b"x")
                self.daemon.wait_for(rf"{re.escape(source)}:40000: not answered: multicast, "
                                     r"broadcast or unspecified source")


class DestinationRulesTest(harness.unittest.TestCase):
    """Needs a wildcard socket: only it receives broadcasts and reports the destination."""

    def test_broadcast_and_multicast_destinations_get_no_reply(self):
        with Daemon("bind = 0.0.0.0\nport = 0\nrate_prefix_v4 = 32\n") as d:
            target = ("127.0.0.1", d.port)
            with bound("127.0.0.30", 0) as s:
                # 127.255.255.255 is loopback's broadcast address: it stays on lo.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                self.assertEqual(exchange(target, b"unicast")[0], PREFIX + b"unicast")
                s.sendto(b"fraggle", ("127.255.255.255", d.port))
                d.wait_for(r"127\.0\.0\.30:\d+: not answered: sent to a broadcast or multicast")
                self.assertEqual(exchange(target, b"sync")[0], PREFIX + b"sync")
                s.setblocking(False)
                with self.assertRaises(BlockingIOError):
                    s.recv(70000)
            if sources.is_root():
                sources.send_forged_v4("127.0.0.31", 40000, "224.0.0.1", d.port, b"to a group")
                d.wait_for(r"127\.0\.0\.31:40000: not answered: sent to a broadcast or multicast")
            self.assertEqual(d.stop(), 0)
            m = d.wait_for(r"dropped: 0 denied, (\d+) loop \(.*, (\d+) sent to a broadcast or "
                           r"multicast address")
            self.assertEqual(m.group(1), m.group(2))
            self.assertEqual(int(m.group(1)), 2 if sources.is_root() else 1)


class CountersTest(harness.unittest.TestCase):
    def test_each_rule_is_counted_in_the_stop_summary(self):
        with Daemon(CONFIG) as d:
            with bound("127.0.0.40", d.port) as own, bound("127.0.0.41", 0) as other:
                for _ in range(3):
                    own.sendto(b"x", d.address)
                other.sendto(PREFIX + b"x", d.address)
                other.sendto(PREFIX + b"y", d.address)
                self.assertEqual(exchange(d.address, b"sync")[0], PREFIX + b"sync")
            self.assertEqual(d.stop(), 0)
            d.wait_for(r"dropped: 0 denied, 5 loop \(0 source port below 1024 or 2049, 3 source "
                       r"port is our own port, 0 multicast, broadcast or unspecified source, 0 "
                       r"sent to a broadcast or multicast address, 2 payload starts with our "
                       r"reply prefix\), 0 rate-limited")


class LoopProtectionOffTest(harness.unittest.TestCase):
    def test_no_turns_the_rules_off(self):
        with Daemon(CONFIG + "loop_protection = no\n") as d:
            with bound("127.0.0.50", d.port) as s:
                s.sendto(PREFIX + b"x", d.address)
                self.assertEqual(s.recv(70000), PREFIX + PREFIX + b"x")
            if sources.is_root():
                with bound("127.0.0.51", 999) as s:
                    s.sendto(b"low", d.address)
                    self.assertEqual(s.recv(70000), PREFIX + b"low")


if __name__ == "__main__":
    harness.main()
