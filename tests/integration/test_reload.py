"""SIGHUP: the config is re-read and applied whole, or not at all when it is wrong."""

import os
import signal
import socket

import harness
from harness import Daemon, exchange, exchange_until_answered, free_udp_port, udp_refused


class ReloadTest(harness.unittest.TestCase):
    def test_good_config_changes_prefix_log_level_and_preview(self):
        port = free_udp_port()
        with Daemon(f"port = {port}\n") as d:
            self.assertEqual(exchange(d.address, b"abcdef")[0], b"server send data:abcdef")
            start = d.reload(f'port = {port}\nreply_prefix = "new: "\nlog_payload_bytes = 3\n')
            d.wait_for(rf"reloaded {d.config_path}: serving 1 socket", start=start)
            self.assertEqual(exchange(d.address, b"abcdef")[0], b"new: abcdef")
            d.wait_for(r'sent 6 bytes: "abc', start=start)
            start = d.reload(f"port = {port}\nlog_level = warning\n")
            self.assertEqual(exchange(d.address, b"quiet")[0], b"server send data:quiet")
            # Logged at warning: the summary's own line shows no datagram line came in between.
            self.assertEqual(d.stop(signal.SIGINT), 0)
            self.assertFalse(any("quiet" in line for line in d.log()[start:]))

    def test_bad_config_is_reported_and_the_old_one_kept(self):
        with Daemon('port = 0\nreply_prefix = "old: "\n') as d:
            start = d.reload('port = 0\nreply_prefix = "new: "\nprot = 5\n')
            d.wait_for(rf"{d.config_path}:3: unknown key 'prot' \(did you mean 'port'\?\)",
                       start=start)
            d.wait_for(r"reload failed: .* has 1 error; still serving with the previous "
                       r"configuration", start=start)
            self.assertEqual(exchange(d.address, b"x")[0], b"old: x")
            self.assertIsNone(d.proc.poll())
            # A later good reload still works.
            d.reload('port = 0\nreply_prefix = "new: "\n')
            self.assertEqual(exchange(d.address, b"x")[0], b"new: x")
            self.assertEqual(d.stop(), 0)

    def test_unreadable_config_is_reported_and_the_old_one_kept(self):
        with Daemon('port = 0\nreply_prefix = "old: "\n') as d:
            os.remove(d.config_path)
            start = len(d.log())
            d.send_signal(signal.SIGHUP)
            d.wait_for(r"reload failed", start=start)
            d.wait_for(rf"{d.config_path}", start=start)
            self.assertEqual(exchange(d.address, b"x")[0], b"old: x")
            self.assertEqual(d.stop(), 0)

    def test_changed_port_rebinds(self):
        old, new = free_udp_port(), free_udp_port()
        with Daemon(f"port = {old}\n") as d:
            start = d.reload(f'port = {new}\nreply_prefix = "moved: "\n')
            d.wait_for(rf"listening on 127\.0\.0\.1:{new}", start=start)
            d.wait_for(rf"stopped listening on 127\.0\.0\.1:{old}", start=start)
            self.assertEqual(exchange(("127.0.0.1", new), b"x")[0], b"moved: x")
            self.assertTrue(udp_refused(("127.0.0.1", old)))
            self.assertEqual(d.stop(), 0)

    def test_added_address_keeps_the_old_socket(self):
        port = free_udp_port()
        with Daemon(f"bind = 127.0.0.1\nport = {port}\n") as d:
            start = d.reload(f"bind = 127.0.0.1, 127.0.0.2\nport = {port}\n")
            d.wait_for(rf"listening on 127\.0\.0\.2:{port}", start=start)
            self.assertEqual(d.count(rf"listening on 127\.0\.0\.1:{port}"), 1)
            self.assertEqual(exchange(("127.0.0.2", port), b"x")[0], b"server send data:x")
            self.assertEqual(exchange(("127.0.0.1", port), b"y")[0], b"server send data:y")
            start = d.reload(f"bind = 127.0.0.2\nport = {port}\n")
            d.wait_for(rf"stopped listening on 127\.0\.0\.1:{port}", start=start)
            self.assertTrue(udp_refused(("127.0.0.1", port)))
            self.assertEqual(exchange(("127.0.0.2", port), b"z")[0], b"server send data:z")
            self.assertEqual(d.stop(), 0)

    def test_port_in_use_is_reported_and_the_old_sockets_kept(self):
        with Daemon('port = 0\nreply_prefix = "old: "\n') as d, harness.udp_socket() as taken:
            taken.bind(("127.0.0.1", 0))
            busy = taken.getsockname()[1]
            start = d.reload(f'port = {busy}\nreply_prefix = "new: "\n')
            d.wait_for(rf"reload failed: cannot listen on 127\.0\.0\.1:{busy}: Address already in "
                       r"use; still serving with the previous configuration", start=start)
            self.assertEqual(exchange(d.address, b"x")[0], b"old: x")
            self.assertIsNone(d.proc.poll())
            self.assertEqual(d.stop(), 0)

    def test_many_reloads_under_traffic(self):
        port = free_udp_port()
        with Daemon(f"port = {port}\n") as d:
            for i in range(20):
                start = d.reload(f'port = {port}\nreply_prefix = "{i}:"\n')
                d.wait_for(r"reloaded ", start=start)
                self.assertEqual(exchange_until_answered(d.address, b"x"), b"%d:x" % i)
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    harness.main()
