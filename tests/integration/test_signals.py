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
            # What was read before the stop is accounted for: answered, or dropped by the rate
            # limit (one peer, so over its burst); the kernel may have dropped some unread.
            m = d.wait_for(r"stopping on SIGTERM: (\d+) datagrams .*; (\d+) replies .*; "
                           r"(\d+) send errors; dropped: (\d+) denied, (\d+) loop .*, "
                           r"(\d+) rate-limited")
            datagrams, replies, send_errors, denied, loop, limited = map(int, m.groups())
            print(f"report: stop under load: 2000 sent, {datagrams} read, {replies} replies, "
                  f"{limited} rate-limited")
            self.assertGreater(datagrams, 0)
            self.assertLessEqual(datagrams, 2000)
            self.assertEqual(send_errors, 0)
            self.assertEqual(datagrams, replies + denied + loop + limited)
            self.assertGreaterEqual(replies, min(datagrams, 200))  # the default burst


if __name__ == "__main__":
    harness.main()
