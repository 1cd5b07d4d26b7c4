"""Hostile HTTP on the metrics endpoint: a 1 MB request line, 200 idle connections, a slowloris,
a method other than GET and a path other than /metrics. Under each, datagrams are answered and
a well-formed scrape is answered within a second."""

import socket
import threading
import time

import harness
from harness import Daemon
from metrics_http import metrics_port, request, sample, scrape

PREFIX = b"server send data:"
SCRAPE_WITHIN = 1.0  # seconds: the bound for a scrape under attack
EXCHANGE_TIMEOUT = 3.0  # metrics_limits::exchange_timeout


class HostileHttpTest(harness.unittest.TestCase):
    def setUp(self):
        self.daemon = Daemon("port = 0\nworkers = 2\nmetrics_listen = 127.0.0.1:0\n")
        self.port = metrics_port(self.daemon)
        self.echoes = 0

    def tearDown(self):
        self.assertEqual(self.daemon.stop(), 0)
        self.daemon.__exit__(None, None, None)

    def still_serving(self, what):
        """A datagram is answered and a scrape answered within SCRAPE_WITHIN, both now."""
        self.echoes += 1
        payload = b"during %s" % what.encode()
        self.assertEqual(harness.exchange(self.daemon.address, payload)[0], PREFIX + payload)
        try:
            status, _, body = scrape(self.port, timeout=SCRAPE_WITHIN)
        except socket.timeout:
            self.fail(f"no scrape answer within {SCRAPE_WITHIN}s during {what}")
        self.assertEqual(status, "HTTP/1.1 200 OK", what)
        self.assertGreaterEqual(sample(body, "udpechod_replies_total"), self.echoes)

    def test_a_1_mb_request_line_is_refused(self):
        line = b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            reply = b""
            try:
                s.sendall(line)
                while chunk := s.recv(65536):
                    reply += chunk
            except (ConnectionResetError, BrokenPipeError):
                pass  # closed while we still sent: the daemon stopped reading at its limit
            # The daemon answers 400 as soon as the head passes its limit, then closes.
            self.assertTrue(reply == b"" or reply.startswith(b"HTTP/1.1 400 Bad Request\r\n"),
                            reply[:200])
        self.still_serving("a 1 MB request line")

    def test_200_idle_connections_do_not_lock_out_a_scrape(self):
        idle = []
        try:
            for _ in range(200):
                idle.append(socket.create_connection(("127.0.0.1", self.port), timeout=5))
            self.still_serving("200 idle connections")
            # The endpoint keeps a bounded number: most of the 200 were closed by the daemon.
            closed = 0
            for s in idle:
                s.settimeout(EXCHANGE_TIMEOUT + 5)
                try:
                    if s.recv(1) == b"":
                        closed += 1
                except ConnectionResetError:
                    closed += 1
            self.assertEqual(closed, 200, "every idle connection is closed, by eviction or deadline")
        finally:
            for s in idle:
                s.close()

    def test_a_slowloris_is_cut_off_at_the_deadline(self):
        request_bytes = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
        sent = []
        outcome = {}

        def slowloris():
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                start = time.monotonic()
                try:
                    for byte in request_bytes:  # bounded: at most len(request_bytes) seconds
                        s.sendall(bytes([byte]))
                        sent.append(byte)
                        readable = s.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK) \
                            if _readable(s, 1.0) else None
                        if readable == b"":
                            break
                except (ConnectionResetError, BrokenPipeError):
                    pass
                outcome["seconds"] = time.monotonic() - start

        thread = threading.Thread(target=slowloris)
        thread.start()
        self.still_serving("a slowloris")
        thread.join(len(request_bytes) + 10)
        self.assertFalse(thread.is_alive())
        # Closed after about EXCHANGE_TIMEOUT seconds, one byte a second: far from the whole request.
        print(f"report: slowloris closed by the daemon after {len(sent)} of {len(request_bytes)} "
              f"bytes, {outcome['seconds']:.1f} s")
        self.assertLess(len(sent), len(request_bytes) - 10)
        self.still_serving("after a slowloris")

    def test_a_method_other_than_get_gets_400_and_a_closed_connection(self):
        for method in (b"POST", b"HEAD", b"PUT", b"DELETE", b"OPTIONS", b"BREW"):
            reply = request(self.port, method + b" /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(reply.startswith(b"HTTP/1.1 400 Bad Request\r\n"), (method, reply))
            self.assertIn(b"\r\nConnection: close\r\n", reply)
        self.still_serving("non-GET methods")

    def test_a_path_other_than_metrics_gets_404(self):
        for path in (b"/", b"/metrics/", b"/metricsx", b"/api/v1/query", b"/../etc/passwd"):
            reply = request(self.port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(reply.startswith(b"HTTP/1.1 404 Not Found\r\n"), (path, reply))
        self.still_serving("other paths")


def _readable(s, timeout):
    import select
    return bool(select.select([s], [], [], timeout)[0])


if __name__ == "__main__":
    harness.main()
