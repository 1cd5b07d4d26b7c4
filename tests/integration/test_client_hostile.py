"""udpecho against hostile input: a server that sends junk, a closed standard input, and
command-line values that hold terminal escapes."""

import os
import subprocess

import harness
from echo_server import EchoServer, PREFIX
from harness import run_client

# The largest IPv4 UDP payload: junk that big was once printed as the answer to an empty line.
JUNK = (bytes(range(256)) * 256)[:65507]


class EmptyLineTest(harness.unittest.TestCase):
    def test_an_empty_line_is_not_answered_by_junk(self):
        self.assertEqual(len(JUNK), 65507)
        # The junk comes first, then the real reply (the bare prefix).
        with EchoServer(stray=(1,), stray_payload=JUNK) as server:
            r = run_client(["127.0.0.1", server.port], b"\n")
        lines = [line[:200] for line in r.stdout.splitlines() + r.stderr.splitlines()]
        answers = [line for line in r.stdout.splitlines()
                   if line.startswith(PREFIX.decode() + "  (from ")]
        self.assertEqual(len(answers), 1, lines)
        self.assertTrue(any(line.startswith("unexpected datagram: ") and "65507 bytes" in line
                            for line in r.stdout.splitlines() + r.stderr.splitlines()), lines)
        self.assertFalse(any("duplicate" in line for line in lines), lines)
        self.assertEqual(r.returncode, 0, lines)

    def test_an_empty_line_after_others_pairs_with_the_prefix_they_showed(self):
        with EchoServer(prefix=b"p:", stray=(2,), stray_payload=b"p:hello") as server:
            r = run_client(["127.0.0.1", server.port], b"hello\n\n")
        out = r.stdout.splitlines()
        self.assertTrue(out[0].startswith("p:hello  (from "), out)
        # "p:hello" again, before the empty line's reply: a duplicate of line 1, not its answer.
        self.assertTrue(any(line.startswith('duplicate reply to line 1 "hello"') for line in out),
                        out)
        self.assertTrue(any(line.startswith("p:  (from ") for line in out), out)
        self.assertEqual(r.returncode, 0, out)


class ClosedStdinTest(harness.unittest.TestCase):
    def run_closed(self, *args):
        # `<&-` as a shell user would write it; exec keeps the closed descriptor.
        return subprocess.run(["sh", "-c", 'exec "$@" <&-', "sh", harness.UDPECHO]
                              + [str(a) for a in args],
                              capture_output=True, text=True, timeout=harness.DEFAULT_TIMEOUT)

    def test_closed_stdin_exits_66_with_a_message(self):
        with EchoServer() as server:
            r = self.run_closed("127.0.0.1", server.port)
        self.assertEqual(r.returncode, 66)
        self.assertEqual(r.stderr, "udpecho: standard input is closed: there are no lines to send\n")
        self.assertEqual(r.stdout, "")

    def test_probe_mode_needs_no_stdin(self):
        with EchoServer() as server:
            r = self.run_closed("-c", "1", "--timeout", "5", "127.0.0.1", server.port)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("1 sent, 1 received", r.stdout)


class EscapedOnceTest(harness.unittest.TestCase):
    """A value is escaped where a message quotes it, and only there."""

    def test_daemon_bind(self):
        r = harness.run([harness.UDPECHOD, "--bind", "1.2.3.4\x1b[31m"])
        self.assertEqual(r.returncode, 64)
        self.assertEqual(r.stderr.splitlines()[0],
                         r"udpechod: --bind: '1.2.3.4\x1b[31m' is not an IPv4 or IPv6 address")

    def test_daemon_unknown_option_and_argument(self):
        r = harness.run([harness.UDPECHOD, "--bind\x1b[31m"])
        self.assertEqual(r.stderr.splitlines()[0], r"udpechod: unknown option '--bind\x1b[31m'")
        r = harness.run([harness.UDPECHOD, "a\nb"])
        self.assertEqual(r.stderr.splitlines()[0], r"udpechod: unexpected argument 'a\nb'")

    def test_client_values(self):
        r = harness.run([harness.UDPECHO, "--bind", "1.2.3.4\x1b[31m"])
        self.assertEqual(r.returncode, 64)
        self.assertEqual(r.stderr.splitlines()[0], "udpecho: unknown option '--bind'")
        r = harness.run([harness.UDPECHO, "127.0.0.1", "1\x1b[31m"])
        self.assertEqual(r.stderr.splitlines()[0],
                         r"udpecho: '1\x1b[31m' is not a port to send to (1-65535)")
        r = harness.run([harness.UDPECHO, "--timeout", "1\x1b"])
        self.assertEqual(r.stderr.splitlines()[0],
                         r"udpecho: --timeout: '1\x1b' is not a time in seconds (0.001-86400)")
        self.assertNotIn("\x1b", r.stderr)


if __name__ == "__main__":
    harness.main()
