"""On a wildcard socket the reply leaves from the address the request was sent to."""

import socket

import harness
from harness import Daemon

PREFIX = b"server send data:"


class ReplySourceTest(harness.unittest.TestCase):
    def connected_exchange(self, family, server, payload):
        # A connected UDP socket only accepts datagrams from the address it is connected to, so a
        # reply from any other source address would never arrive.
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.settimeout(2)
            s.connect(server)
            s.send(payload)
            reply = s.recv(70000)
            return reply

    def test_ipv4_wildcard_replies_from_127_0_0_2(self):
        with Daemon("bind = 0.0.0.0\nport = 0\n") as d:
            for target in ("127.0.0.2", "127.1.2.3", "127.0.0.1"):
                reply = self.connected_exchange(socket.AF_INET, (target, d.port), b"hi " + target.encode())
                self.assertEqual(reply, PREFIX + b"hi " + target.encode())
            self.assertEqual(d.stop(), 0)

    def test_dual_stack_wildcard_replies_from_127_0_0_2(self):
        with Daemon("bind = ::\nport = 0\n") as d:
            reply = self.connected_exchange(socket.AF_INET, ("127.0.0.2", d.port), b"mapped")
            self.assertEqual(reply, PREFIX + b"mapped")
            reply = self.connected_exchange(socket.AF_INET6, ("::1", d.port), b"v6")
            self.assertEqual(reply, PREFIX + b"v6")
            self.assertEqual(d.stop(), 0)

    def test_reply_source_is_kept_per_datagram_in_one_batch(self):
        # Requests to several destination addresses queued before the daemon reads them arrive in
        # one recvmmsg() batch; each reply must still leave from its own request's destination.
        with Daemon("bind = 0.0.0.0\nport = 0\n") as d:
            d.send_signal(harness.signal.SIGSTOP)
            sockets = []
            try:
                for i in range(2, 40):
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    s.settimeout(3)
                    s.connect((f"127.0.0.{i}", d.port))
                    s.send(f"to {i}".encode() + b"x" * (i * 37))
                    sockets.append((i, s))
            finally:
                d.send_signal(harness.signal.SIGCONT)
            for i, s in sockets:
                self.assertEqual(s.recv(70000), PREFIX + f"to {i}".encode() + b"x" * (i * 37))
                s.close()
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    harness.main()
