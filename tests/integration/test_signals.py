"""Stopping: SIGTERM and SIGINT end the daemon within a second, with a summary and exit 0."""

import signal
import time

import harness
from harness import Daemon, exchange


class SignalTest(harness.unittest.TestCase):
    def check_stop(self, sig, name):
        with Daemon() as d:
            for payload in (b"one", b"two", b"three"):
                exchange(d.address, payload)
            started = time.monotonic()
            rc = d.stop(sig)
            elapsed = time.monotonic() - started
            self.assertEqual(rc, 0)
            self.assertLess(elapsed, 1.0, "stop took longer than a second")
            m = d.wait_for(rf"stopping on {name}: (\d+) datagrams \((\d+) bytes\) from (\d+) peers")
            self.assertEqual(m.group(1, 2, 3), ("3", "11", "3"))

    def test_sigterm(self):
        self.check_stop(signal.SIGTERM, "SIGTERM")

    def test_sigint(self):
        self.check_stop(signal.SIGINT, "SIGINT")

    def test_stop_under_load(self):
        with Daemon("port = 0\nlog_payload_bytes = 0\n") as d:
            with harness.udp_socket() as s:
                for i in range(2000):
                    s.sendto(b"flood %d" % i, d.address)
            started = time.monotonic()
            self.assertEqual(d.stop(), 0)
            self.assertLess(time.monotonic() - started, 1.0)


if __name__ == "__main__":
    harness.main()
