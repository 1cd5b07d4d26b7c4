"""The batched socket layer: datagrams queued while the daemon is stopped (SIGSTOP) reach it in
one recvmmsg() batch and their replies leave in one sendmmsg(); each must still be exact."""

import os
import signal
import socket
import time

import harness
from harness import Daemon

PREFIX = b"server send data:"
LARGEST_V4 = 65507 - len(PREFIX)


def payload_for(index, size):
    return bytes((index * 31 + i * 7) % 256 for i in range(size))


def bigger_buffers(s):
    # Replies to a whole batch arrive at once; the default buffer may not hold them.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)


class Frozen:
    """Stops the daemon for the block, so what is sent inside it queues up in the kernel."""

    def __init__(self, daemon):
        self.daemon = daemon

    def __enter__(self):
        self.daemon.send_signal(signal.SIGSTOP)
        # kill() returns before the stop takes effect; wait until the kernel reports it stopped.
        deadline = time.monotonic() + harness.DEFAULT_TIMEOUT
        while self.state() != "T":
            if time.monotonic() > deadline:
                raise AssertionError("the daemon did not stop on SIGSTOP")
            time.sleep(0.001)

    def state(self):
        with open(f"/proc/{self.daemon.proc.pid}/stat", encoding="ascii") as f:
            return f.read().rpartition(")")[2].split()[0]

    def __exit__(self, *exc):
        self.daemon.send_signal(signal.SIGCONT)


class BatchingTest(harness.unittest.TestCase):
    def test_mixed_sizes_in_one_batch(self):
        sizes = [0, 1, 2, 31, 32, 33, 1400, 1472, 4095, 4096, 4097, 9000, LARGEST_V4, 17]
        sizes += [(i * 397) % 2000 for i in range(60)]  # past one batch of 64
        with Daemon() as d, harness.udp_socket(timeout=5) as s:
            bigger_buffers(s)
            with Frozen(d):
                for index, size in enumerate(sizes):
                    s.sendto(payload_for(index, size), d.address)
            for index, size in enumerate(sizes):
                reply, source = s.recvfrom(70000)
                self.assertEqual(source, d.address)
                self.assertEqual(reply, PREFIX + payload_for(index, size),
                                 f"reply {index} ({size} bytes) differs")
            self.assertEqual(d.stop(), 0)
            m = d.wait_for(r"(\d+) datagrams .*; (\d+) replies")
            self.assertEqual(m.group(1, 2), (str(len(sizes)), str(len(sizes))))

    def test_replies_to_many_peers_in_one_batch(self):
        with Daemon() as d:
            peers = []
            try:
                with Frozen(d):
                    for i in range(60):
                        s = harness.bound_socket(f"127.0.{i // 10}.{i % 10 + 2}", avoid_port=d.port)
                        peers.append(s)
                        s.settimeout(5)
                        s.sendto(b"peer %d" % i + b"." * i, d.address)
                for i, s in enumerate(peers):
                    self.assertEqual(s.recv(70000), PREFIX + b"peer %d" % i + b"." * i)
                    # Exactly one reply each: nothing else is waiting.
                    s.setblocking(False)
                    with self.assertRaises(BlockingIOError):
                        s.recv(70000)
            finally:
                for s in peers:
                    s.close()
            self.assertEqual(d.stop(), 0)
            d.wait_for(r"60 datagrams \(\d+ bytes\) from 60 peers; 60 replies")

    def test_reply_source_per_datagram_mixing_ipv4_and_ipv6(self):
        # One dual-stack batch with IPv4 requests to several addresses and IPv6 ones: every reply
        # carries its own request's destination (a connected socket accepts no other source).
        with Daemon("bind = ::\nport = 0\n") as d:
            clients = []
            try:
                with Frozen(d):
                    for i in range(2, 30):
                        v6 = i % 3 == 0
                        s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                                          socket.SOCK_DGRAM)
                        clients.append((i, s))
                        s.settimeout(5)
                        s.connect(("::1", d.port) if v6 else (f"127.0.0.{i}", d.port))
                        s.send(b"n%d" % i)
                for i, s in clients:
                    self.assertEqual(s.recv(70000), PREFIX + b"n%d" % i)
            finally:
                for _, s in clients:
                    s.close()
            self.assertEqual(d.stop(), 0)

    def test_partial_sendmmsg_then_eagain_loses_nothing(self):
        shim = os.environ["UDPECHO_PARTIAL_SENDMMSG_SHIM"]
        env = os.environ.copy()
        env["LD_PRELOAD"] = shim
        # Under AddressSanitizer the shim is loaded before the sanitizer's runtime; that is fine.
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
        count = 40
        with Daemon(env=env) as d, harness.udp_socket(timeout=5) as s:
            bigger_buffers(s)
            with Frozen(d):
                for i in range(count):
                    s.sendto(b"request %d " % i + b"z" * (i * 11), d.address)
            replies = sorted(s.recv(70000) for _ in range(count))
            expected = sorted(PREFIX + b"request %d " % i + b"z" * (i * 11) for i in range(count))
            self.assertEqual(replies, expected)
            # The shim cut the first batch of 4 or more replies in half, then refused the rest once.
            m = d.wait_for(r"partial_sendmmsg shim: sent (\d+) of (\d+) replies")
            sent, batch = int(m.group(1)), int(m.group(2))
            self.assertEqual(sent, batch // 2)
            d.wait_for(rf"partial_sendmmsg shim: EAGAIN for the remaining {batch - sent}$")
            self.assertEqual(d.stop(), 0)
            d.wait_for(rf"{count} datagrams .*; {count} replies .*; 0 send errors")


if __name__ == "__main__":
    harness.main()
