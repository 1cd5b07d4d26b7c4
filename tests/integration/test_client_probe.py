"""udpecho -c: numbered probes with exact loss, duplicate and reorder counts."""

import re

import harness
from echo_server import EchoServer
from harness import Daemon, run_client

RTT_LINE = (r"^rtt min/avg/p50/p99/max = (\d+\.\d{3})/(\d+\.\d{3})/(\d+\.\d{3})/(\d+\.\d{3})/"
            r"(\d+\.\d{3}) ms$")


class ClientProbeTest(harness.unittest.TestCase):
    def probe(self, port, count, *extra):
        return run_client(["-c", count, "-i", "0.01", "--timeout", "0.5", *extra, "127.0.0.1", port],
                          timeout=30)

    def test_drops_duplicates_and_reordering_counted_exactly(self):
        # Every 4th datagram dropped (4, 8, 12), probe 2 answered twice, and the reply to probe 5
        # sent after the reply to probe 6.
        with EchoServer(drop_every=4, duplicate=[2], swap=[5]) as server:
            r = self.probe(server.port, 12)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            out = r.stdout.splitlines()
            self.assertEqual(out[-2], "12 sent, 9 received, 25% loss, 1 duplicates, 1 reordered",
                             r.stdout)
            self.assertRegex(out[-1], RTT_LINE)
            lost = sorted(int(m) for m in re.findall(r"^probe (\d+): lost \(no reply within 0\.5 s\)$",
                                                     r.stdout, re.M))
            self.assertEqual(lost, [4, 8, 12])
            self.assertRegex(r.stdout, r"(?m)^probe 2: duplicate reply, \d+\.\d\d ms after it was sent$")
            self.assertRegex(r.stdout, r"(?m)^probe 5: reply in \d+\.\d\d ms, out of order \(after "
                                       r"the reply to probe 6\)$")
            for n in (1, 2, 3, 6, 7, 9, 10, 11):
                self.assertRegex(r.stdout, rf"(?m)^probe {n}: reply in \d+\.\d\d ms$")
            self.assertEqual(len(server.wait_received(12)), 12)

    def test_real_daemon_no_loss_exit_0(self):
        with Daemon() as daemon:
            r = self.probe(daemon.port, 5, "-s", "100")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            out = r.stdout.splitlines()
            self.assertEqual(out[0], f"probing 127.0.0.1:{daemon.port} (127.0.0.1): 5 probes of 100 "
                                     "bytes, 0.01 s apart, 0.5 s timeout")
            self.assertEqual(out[-2], "5 sent, 5 received, 0% loss, 0 duplicates, 0 reordered")
            m = re.match(RTT_LINE, out[-1])
            self.assertIsNotNone(m, out[-1])
            low, avg, p50, p99, high = (float(x) for x in m.groups())
            self.assertTrue(low <= p50 <= p99 <= high and low <= avg <= high, out[-1])
            daemon.wait_for(r"sent 100 bytes: \"udpecho probe [0-9a-f]{8} #5 \.\.\.")
            daemon.stop()

    def test_plain_echo_server_without_prefix(self):
        with EchoServer(prefix=b"") as server:
            r = self.probe(server.port, 3)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("3 sent, 3 received, 0% loss, 0 duplicates, 0 reordered", r.stdout)
            self.assertTrue(all(len(p) == 56 for p in server.wait_received(3)))

    def test_silent_server_all_lost(self):
        with EchoServer(silent=True) as server:
            r = run_client(["-c", "2", "-i", "0.01", "--timeout", "0.2", "127.0.0.1", server.port])
            self.assertEqual(r.returncode, 1)
            self.assertIn("2 sent, 0 received, 100% loss, 0 duplicates, 0 reordered\n"
                          "rtt min/avg/p50/p99/max = -/-/-/-/- ms (no replies)\n", r.stdout)

    def test_refused_probes_are_lost(self):
        port = harness.free_udp_port()
        r = run_client(["-c", "2", "-i", "0.05", "--timeout", "2", "127.0.0.1", port])
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stdout, rf"(?m)^probe [12]: 127\.0\.0\.1:{port} refused: nothing is "
                                   r"listening on that port")
        self.assertIn("2 sent, 0 received, 100% loss", r.stdout)


if __name__ == "__main__":
    harness.main()
