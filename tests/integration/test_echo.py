"""The echo itself: exact replies for every kind of payload, over IPv4 and IPv6."""

import socket
import threading

import harness
from harness import Daemon, exchange

PREFIX = b"server send data:"


class EchoTest(harness.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon("bind = 127.0.0.1, ::1\nport = 0\n")
        cls.v4 = ("127.0.0.1", cls.daemon.port)
        cls.v6 = ("::1", cls.daemon.port)

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.daemon.__exit__()

    def assert_echo(self, address, payload):
        reply, source = exchange(address, payload)
        self.assertEqual(reply, PREFIX + payload)
        self.assertEqual(source[:2], address)

    def test_text(self):
        self.assert_echo(self.v4, b"hello")

    def test_binary_with_nul_bytes(self):
        self.assert_echo(self.v4, bytes(range(256)) + b"\x00\x00tail\x00")

    def test_empty(self):
        self.assert_echo(self.v4, b"")

    def test_65000_bytes(self):
        payload = bytes((i * 7) % 256 for i in range(65000))
        self.assert_echo(self.v4, payload)
        self.assert_echo(self.v6, payload)

    def test_ipv6(self):
        self.assert_echo(self.v6, b"over ipv6")

    def test_q_does_not_stop_the_daemon(self):
        self.assert_echo(self.v4, b"q")
        self.assert_echo(self.v4, b"still here")
        self.assertIsNone(self.daemon.proc.poll())

    def test_largest_ipv4_reply_is_sent_and_one_more_byte_is_not(self):
        largest = 65507 - len(PREFIX)
        self.assert_echo(self.v4, b"L" * largest)
        start = len(self.daemon.log())
        with harness.udp_socket(timeout=0.5) as s:
            s.sendto(b"M" * (largest + 1), self.v4)
            with self.assertRaises(socket.timeout):
                s.recvfrom(70000)
        self.daemon.wait_for(r"reply of 65508 bytes would exceed the largest UDP datagram \(65507\); "
                             r"not sent", start=start)
        self.assert_echo(self.v4, b"after oversized")

    def test_a_vanished_peer_does_not_stop_the_echo(self):
        # The reply to a closed socket draws an ICMP port-unreachable. The kernel does not report
        # it to an unconnected socket, so the daemon counts no error and answers on; its own
        # daemon, so that the summary shows exactly these datagrams.
        with Daemon("bind = 127.0.0.1, ::1\nport = 0\n") as d:
            for i in range(20):
                with harness.udp_socket() as s:
                    s.sendto(b"gone %d" % i, d.address)
            reply, _ = exchange(d.address, b"still answering")
            self.assertEqual(reply, PREFIX + b"still answering")
            reply, _ = exchange(("::1", d.port), b"still answering")
            self.assertEqual(reply, PREFIX + b"still answering")
            self.assertEqual(d.stop(), 0)
            m = d.wait_for(r"stopping on SIGTERM: (\d+) datagrams .*; (\d+) replies .*; "
                           r"(\d+) receive errors; (\d+) send errors")
            self.assertEqual(m.group(1, 2, 3, 4), ("22", "22", "0", "0"))

    def test_netcat_gets_the_reply(self):
        # Any ordinary UDP client works; nc stays until its -w idle timeout.
        result = harness.run(["nc", "-u", "-w1", "127.0.0.1", str(self.daemon.port)],
                             input_bytes=b"hello")
        self.assertEqual(result.stdout, b"server send data:hello")

    def test_eight_concurrent_peers(self):
        results = {}

        def peer(n):
            with harness.udp_socket() as s:
                got = []
                for i in range(20):
                    payload = f"peer {n} line {i}".encode()
                    s.sendto(payload, self.v4)
                    got.append(s.recvfrom(70000)[0] == PREFIX + payload)
                results[n] = all(got)

        threads = [threading.Thread(target=peer, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(results, {n: True for n in range(8)})


class DualStackTest(harness.unittest.TestCase):
    def test_wildcard_ipv6_takes_ipv4_and_logs_it_unmapped(self):
        with Daemon("bind = ::\nport = 0\n") as d:
            reply, _ = exchange(("127.0.0.1", d.port), b"mapped")
            self.assertEqual(reply, PREFIX + b"mapped")
            d.wait_for(r"127\.0\.0\.1:\d+ sent 6 bytes")
            self.assertEqual(d.count(r"::ffff:"), 0)
            reply, _ = exchange(("::1", d.port), b"native")
            self.assertEqual(reply, PREFIX + b"native")
            self.assertEqual(d.stop(), 0)

    def test_wildcard_v4_and_v6_together(self):
        with Daemon("bind = 0.0.0.0, ::\nport = 0\n") as d:
            self.assertEqual(len(d.endpoints), 2)
            self.assertEqual(exchange(("127.0.0.1", d.port), b"4")[0], PREFIX + b"4")
            self.assertEqual(exchange(("::1", d.port), b"6")[0], PREFIX + b"6")
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    harness.main()
