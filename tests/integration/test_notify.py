"""The notify protocol: the test is the daemon's service manager, on an abstract @ socket."""

import os
import signal

import harness
from harness import Daemon, NotifySocket, exchange, free_udp_port


class NotifyTest(harness.unittest.TestCase):
    def test_ready_only_after_bind_then_status(self):
        port = free_udp_port()
        with NotifySocket() as manager, Daemon(f"port = {port}\n", env=manager.env(),
                                               wait_ready=False) as d:
            ready, _ = manager.wait_for(r"^READY=1$")
            # READY=1 promises a bound socket: the very first datagram is answered.
            self.assertEqual(exchange(("127.0.0.1", port), b"first")[0], b"server send data:first")
            self.assertEqual(manager.count(r"READY=1"), 1)
            _, m = manager.wait_for(rf"^STATUS=127\.0\.0\.1:{port} \u00b7 (\d+) datagrams? from "
                                    r"(\d+) peers?$", start=ready)
            self.assertEqual(d.stop(), 0)

    def test_no_ready_when_a_later_address_cannot_be_bound(self):
        # 192.0.2.1 (TEST-NET-1) is on no interface here: the second bind fails, after the first
        # socket is already open, and the manager must not have been told READY=1.
        with NotifySocket() as manager, Daemon("bind = 127.0.0.1, 192.0.2.1\nport = 0\n",
                                               env=manager.env(), wait_ready=False) as d:
            self.assertEqual(d.wait_exit(), 1)
            d.wait_for(r"cannot listen on 192\.0\.2\.1:\d+: Cannot assign requested address")
            manager.sync()
            self.assertEqual(manager.count(r"READY=1"), 0)

    def test_status_counts_live_with_thousands_separators(self):
        port = free_udp_port()
        # 1,204 from one peer is over the default rate limit; this test counts, it does not limit.
        config = f"port = {port}\nlog_level = warning\nrate_limit = 0\n"
        with NotifySocket() as manager, Daemon(config, env=manager.env(), wait_ready=False) as d:
            manager.wait_for(r"^READY=1$")
            manager.wait_for(r"^STATUS=.* 0 datagrams from 0 peers$")
            with harness.udp_socket() as s:
                for i in range(1204):  # one at a time: nothing is lost to a full socket buffer
                    s.sendto(b"%d" % i, ("127.0.0.1", port))
                    s.recvfrom(100)
            # The line is refreshed every few seconds; wait for it rather than for a time.
            manager.wait_for(rf"^STATUS=127\.0\.0\.1:{port} \u00b7 1,204 datagrams from 1 peer$")
            self.assertEqual(d.stop(), 0)

    def test_watchdog_pings_at_half_the_timeout(self):
        with NotifySocket() as manager, Daemon(env=manager.env(WATCHDOG_USEC=100000)) as d:
            first, _ = manager.wait_for(r"^WATCHDOG=1$")
            second, _ = manager.wait_for(r"^WATCHDOG=1$", start=first + 1)
            manager.wait_for(r"^WATCHDOG=1$", start=second + 1)
            self.assertEqual(d.stop(), 0)

    def test_watchdog_for_another_process_is_not_ours(self):
        other = os.getpid()  # the test, not the daemon
        with NotifySocket() as manager, Daemon(
                env=manager.env(WATCHDOG_USEC=20000, WATCHDOG_PID=other)) as d:
            index, _ = manager.wait_for(r"^READY=1$")
            # A reload round-trip through the event loop is long past many 10 ms intervals.
            d.send_signal(signal.SIGHUP)
            manager.wait_for(r"^READY=1$", start=index + 1)
            self.assertEqual(manager.count(r"WATCHDOG=1"), 0)
            self.assertEqual(d.stop(), 0)

    def test_reload_is_bracketed_by_reloading_and_ready(self):
        with NotifySocket() as manager, Daemon(env=manager.env()) as d:
            ready, _ = manager.wait_for(r"^READY=1$")
            d.send_signal(signal.SIGHUP)
            reloading, m = manager.wait_for(r"^RELOADING=1\nMONOTONIC_USEC=(\d+)$", start=ready + 1)
            self.assertGreater(int(m.group(1)), 0)
            manager.wait_for(r"^READY=1$", start=reloading + 1)
            self.assertEqual(d.stop(), 0)

    def test_stopping_on_sigterm(self):
        with NotifySocket() as manager, Daemon(env=manager.env()) as d:
            manager.wait_for(r"^READY=1$")
            self.assertEqual(d.stop(signal.SIGTERM), 0)
            index, _ = manager.wait_for(r"^STOPPING=1$")
            self.assertEqual(index, len(manager) - 1, "STOPPING=1 is the last message")

    def test_unusable_notify_socket_is_logged_and_the_echo_works(self):
        env = os.environ.copy()
        env["NOTIFY_SOCKET"] = "relative/path"
        with Daemon(env=env) as d:
            d.wait_for(r"NOTIFY_SOCKET ignored: 'relative/path' is neither an absolute path")
            self.assertEqual(exchange(d.address, b"x")[0], b"server send data:x")

    def test_manager_gone_does_not_stop_the_echo(self):
        manager = NotifySocket()
        env = manager.env()
        manager.close()
        with Daemon(env=env) as d:
            d.wait_for(r"cannot notify the service manager: ")
            self.assertEqual(exchange(d.address, b"x")[0], b"server send data:x")
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    harness.main()
