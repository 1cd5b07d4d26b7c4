"""allow and deny with IPv4 and IPv6 CIDRs: deny wins, an empty allow means everyone, and
denied datagrams are counted and not answered."""

import re

import harness
from harness import Daemon, exchange

PREFIX = b"server send data:"


def bound(address, target):
    return harness.bound_socket(address, avoid_port=target[1], timeout=2.0)


class AccessControlTest(harness.unittest.TestCase):
    def assert_answered(self, d, source, target):
        with bound(source, target) as s:
            s.sendto(b"hi", target)
            self.assertEqual(s.recv(70000), PREFIX + b"hi")

    def assert_denied(self, d, source, target, sync_source, sync_target=None):
        with bound(source, target) as s:
            s.sendto(b"hi", target)
            d.wait_for(rf"{re.escape(source)}\]?:{s.getsockname()[1]}: not answered: denied")
            # A later datagram is answered, so a reply to the denied one would be here by now.
            self.assert_answered(d, sync_source, sync_target or target)
            s.setblocking(False)
            with self.assertRaises(BlockingIOError):
                s.recv(70000)

    def test_allow_and_deny_with_ipv4_and_ipv6(self):
        config = ("bind = 127.0.0.1, ::1\nport = 0\n"
                  "allow = 127.0.0.0/28, ::1/128\ndeny = 127.0.0.8/30\n")
        with Daemon(config) as d:
            v4, v6 = ("127.0.0.1", d.port), ("::1", d.port)
            self.assert_answered(d, "127.0.0.2", v4)
            self.assert_answered(d, "127.0.0.15", v4)
            self.assert_answered(d, "::1", v6)
            self.assert_denied(d, "127.0.0.9", v4, "127.0.0.2")   # denied though allowed
            self.assert_denied(d, "127.0.0.11", v4, "127.0.0.2")
            self.assert_denied(d, "127.0.0.16", v4, "127.0.0.2")  # not allowed
            self.assert_denied(d, "127.1.2.3", v4, "127.0.0.2")
            self.assertEqual(d.stop(), 0)
            d.wait_for(r"dropped: 4 denied, 0 loop")

    def test_deny_ipv6_only(self):
        with Daemon("bind = 127.0.0.1, ::1\nport = 0\ndeny = ::/0\n") as d:
            self.assert_answered(d, "127.0.0.2", ("127.0.0.1", d.port))
            self.assert_denied(d, "::1", ("::1", d.port), "127.0.0.2", ("127.0.0.1", d.port))
            self.assertEqual(d.stop(), 0)
            d.wait_for(r"dropped: 1 denied, 0 loop")

    def test_dual_stack_socket_matches_ipv4_rules_against_mapped_peers(self):
        with Daemon("bind = ::\nport = 0\ndeny = 127.0.0.7\n") as d:
            target = ("127.0.0.1", d.port)
            self.assert_answered(d, "127.0.0.2", target)
            self.assert_denied(d, "127.0.0.7", target, "127.0.0.2")

    def test_deny_alone_lets_everyone_else_in(self):
        with Daemon("bind = 127.0.0.1\nport = 0\ndeny = 2001:db8::/32, 10.0.0.0/8\n") as d:
            self.assertEqual(exchange(d.address, b"x")[0], PREFIX + b"x")

    def test_bad_cidr_is_a_config_error_naming_the_line(self):
        with Daemon("port = 0\nallow = 127.0.0.1/24\n", wait_ready=False) as d:
            self.assertNotEqual(d.wait_exit(), 0)
            d.wait_for(r"udpechod\.conf:2: allow: '127\.0\.0\.1/24' has bits set past its prefix "
                       r"length; did you mean 127\.0\.0\.0/24\?")


if __name__ == "__main__":
    harness.main()
