"""udpecho with piped input against the real daemon: replies in order, and every exit status."""

import re

import harness
from harness import Daemon, run_client

REPLY = r"server send data:{}  \(from {}, \d+\.\d\d ms\)"


class ClientPipedTest(harness.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon("bind = 127.0.0.1, ::1\nport = 0\n")
        cls.port = cls.daemon.port

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.daemon.__exit__()

    def test_lines_answered_in_order_exit_0(self):
        lines = [f"line {i}" for i in range(20)] + ["tab\there", "bell\x07"]
        r = run_client(["127.0.0.1", self.port], ("\n".join(lines) + "\n").encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.splitlines()
        self.assertEqual(len(out), len(lines), r.stdout)
        shown = [line.replace("\t", "\\t").replace("\x07", "\\x07") for line in lines]
        for got, line in zip(out, shown):
            self.assertRegex(got, "^" + REPLY.format(re.escape(line), r"127\.0\.0\.1:" + str(self.port)) + "$")
        self.assertEqual(r.stderr, "")

    def test_last_line_without_newline_and_crlf(self):
        r = run_client(["127.0.0.1", self.port], b"dos\r\nlast")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^server send data:dos  \(from .*\nserver send data:last  \(from ")

    def test_input_from_a_file(self):
        # A regular file cannot be waited on by the event loop; it is read directly.
        with harness.tempfile.TemporaryFile() as f:
            f.write(b"from a file\nsecond\n")
            f.seek(0)
            r = harness.subprocess.run([harness.UDPECHO, "127.0.0.1", str(self.port)], stdin=f,
                                       capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^server send data:from a file  \(from .*\n"
                                   r"server send data:second  \(from .*\n$")

    def test_q_ends_the_input(self):
        r = run_client(["127.0.0.1", self.port], b"before\nq\nafter\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("data:before", r.stdout)
        self.assertNotIn("after", r.stdout)

    def test_ipv6_literal_and_forced_family(self):
        r = run_client(["-6", "::1", self.port], b"six\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, REPLY.format("six", re.escape(f"[::1]:{self.port}")))
        r = run_client(["-4", "localhost", self.port], b"four\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, REPLY.format("four", re.escape(f"127.0.0.1:{self.port}")))

    def test_empty_input_exit_0(self):
        r = run_client(["127.0.0.1", self.port], b"")
        self.assertEqual((r.returncode, r.stdout), (0, ""))

    def test_oversized_line_refused_and_not_sent(self):
        start = len(self.daemon.log())
        r = run_client(["127.0.0.1", self.port], b"x" * 70000 + b"\nsmall\n")
        self.assertEqual(r.returncode, 1, r.stderr)
        out = r.stdout.splitlines()
        self.assertEqual(out[0], "line of 70000 bytes not sent: it is longer than the largest UDP "
                                 "datagram (65507 bytes)")
        self.assertRegex(out[1], REPLY.format("small", ".*"))
        # The daemon answered "small" (above) and never saw the long line: its log shows no
        # datagram of that size (the log may summarise lines, but never invents sizes).
        self.assertFalse(any("70000" in line for line in self.daemon.log()[start:]))

    def test_largest_line_is_sent(self):
        # The reply (prefix + payload) is then too large for the daemon; the client says so.
        r = run_client(["--timeout", "0.2", "--retries", "0", "127.0.0.1", self.port],
                       b"y" * 65507 + b"\n")
        self.assertNotIn("not sent", r.stdout)
        self.assertIn("no reply from", r.stdout)
        self.daemon.wait_for(r"sent 65507 bytes")

    def test_exit_1_when_refused(self):
        port = harness.free_udp_port()
        r = run_client(["127.0.0.1", port], b"anyone?\n")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, f"127.0.0.1:{port} refused: nothing is listening on that port "
                                   "(is udpechod running?)\n")

    def test_exit_64_for_bad_usage(self):
        for args in (["--bogus"], ["--timeout", "soon"], ["localhost", "99999"], ["-i", "1"]):
            r = run_client(args)
            self.assertEqual(r.returncode, 64, args)
            self.assertRegex(r.stderr, r"^udpecho: .+\nTry 'udpecho --help' for more information\.\n$")

    def test_exit_68_when_the_host_cannot_be_resolved(self):
        # An empty label is rejected by the resolver itself: no query leaves the machine.
        r = run_client(["no..such.invalid", self.port], b"x\n")
        self.assertEqual(r.returncode, 68)
        self.assertRegex(r.stderr, r"^udpecho: cannot resolve 'no\.\.such\.invalid': ")
        r = run_client(["-4", "::1", self.port], b"x\n")
        self.assertEqual(r.returncode, 68)
        self.assertEqual(r.stderr, "udpecho: '::1' is not an IPv4 address\n")

    def test_help_documents_every_option(self):
        r = run_client(["--help"])
        self.assertEqual(r.returncode, 0)
        for option in ("-4", "-6", "--timeout SEC", "--retries N", "-c, --count N",
                       "-i, --interval SEC", "-s, --size BYTES", "-V, --version", "-h, --help"):
            self.assertIn(option, r.stdout)
        r = run_client(["--version"])
        self.assertRegex(r.stdout, r"^udpecho \d+\.\d+\.\d+\n$")


if __name__ == "__main__":
    harness.main()
