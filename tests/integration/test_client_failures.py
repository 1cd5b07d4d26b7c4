"""udpecho against servers that fail on purpose: refused, silent, late, duplicate, stray."""

import re
import time

import harness
from echo_server import EchoServer
from harness import run_client

NO_REPLY = ("no reply from {} after {} ({} s each): the datagram or its reply was lost, or "
            "nothing answers there")


class ClientFailuresTest(harness.unittest.TestCase):
    def test_refused_port_reported_at_once(self):
        port = harness.free_udp_port()
        started = time.monotonic()
        r = run_client(["--timeout", "10", "127.0.0.1", port], b"one\ntwo\n", timeout=120)
        elapsed = time.monotonic() - started
        self.assertEqual(r.returncode, 1)
        refused = (f"127.0.0.1:{port} refused: nothing is listening on that port "
                   "(is udpechod running?)")
        # Each line gets the message, and the loop goes on after it.
        self.assertEqual(r.stdout.splitlines(), [refused, refused])
        # The refusal ends the wait: far less than one timeout (10 s), let alone 3 tries of it,
        # even on a loaded machine.
        self.assertLess(elapsed, 8.0)

    def test_silent_server_retries_then_gives_up(self):
        with EchoServer(silent=True) as server:
            ep = f"127.0.0.1:{server.port}"
            started = time.monotonic()
            r = run_client(["--timeout", "0.3", "--retries", "2", "127.0.0.1", server.port],
                           b"hello?\n")
            elapsed = time.monotonic() - started
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stdout, NO_REPLY.format(ep, "3 tries", "0.3") + "\n")
            self.assertEqual(r.stderr.splitlines(), [
                f"no reply from {ep} within 0.3 s; sending again (try 2 of 3)",
                f"no reply from {ep} within 0.3 s; sending again (try 3 of 3)"])
            self.assertEqual(server.wait_received(3), [b"hello?"] * 3)
            # timeout x tries, plus one timeout for a late reply at the end of input, plus a
            # generous margin for a loaded machine.
            self.assertGreaterEqual(elapsed, 0.9)
            self.assertLess(elapsed, 0.9 + 0.3 + 5.0)

    def test_default_message_names_one_second_and_three_tries(self):
        with EchoServer(silent=True) as server:
            r = run_client(["127.0.0.1", server.port], b"x\n", timeout=30)
            self.assertEqual(r.stdout, NO_REPLY.format(f"127.0.0.1:{server.port}", "3 tries", "1.0")
                             + "\n")

    def test_late_reply_labelled_and_not_paired_with_the_next_line(self):
        # The reply to "first" is held back until "second" arrives, then sent just before the
        # reply to "second": a naive client would take it for the answer to "second".
        with EchoServer(hold=[b"first"]) as server:
            ep = f"127.0.0.1:{server.port}"
            r = run_client(["--timeout", "0.3", "--retries", "0", "127.0.0.1", server.port],
                           b"first\nsecond\n")
            out = r.stdout.splitlines()
            self.assertEqual(len(out), 3, r.stdout)
            self.assertEqual(out[0], NO_REPLY.format(ep, "1 try", "0.3"))
            self.assertRegex(out[1], r'^late reply to line 1 "first", \d+\.\d\d ms after it was '
                                     r'sent: server send data:first  \(from ' + re.escape(ep) + r"\)$")
            self.assertRegex(out[2], r"^server send data:second  \(from " + re.escape(ep) +
                             r", \d+\.\d\d ms\)$")
            self.assertEqual(r.returncode, 1)

    def test_late_reply_at_end_of_input_is_waited_for(self):
        with EchoServer(hold=[b"slow"]) as server:
            ep = f"127.0.0.1:{server.port}"
            r = run_client(["--timeout", "0.3", "--retries", "0", "127.0.0.1", server.port],
                           b"slow\nfast\n")
            self.assertIn('late reply to line 1 "slow"', r.stdout)
            self.assertRegex(r.stdout, r"\nserver send data:fast  \(from " + re.escape(ep))

    def test_duplicates_labelled(self):
        # The server sends each copy before it reads the next line, so every copy is in the
        # client's socket before the next reply (a copy of the last reply could race the exit).
        with EchoServer(duplicate=[1, 2]) as server:
            ep = f"127.0.0.1:{server.port}"
            r = run_client(["127.0.0.1", server.port], b"one\ntwo\nthree\n")
            self.assertEqual(r.returncode, 0, r.stderr)
            out = r.stdout.splitlines()
            self.assertEqual(len(out), 5, r.stdout)
            self.assertRegex(out[0], r"^server send data:one  \(from ")
            self.assertEqual(out[1], f'duplicate reply to line 1 "one": server send data:one  '
                                     f"(from {ep})")
            self.assertRegex(out[2], r"^server send data:two  \(from ")
            self.assertEqual(out[3], f'duplicate reply to line 2 "two": server send data:two  '
                                     f"(from {ep})")
            self.assertRegex(out[4], r"^server send data:three  \(from ")

    def test_unexpected_datagram_shown_and_line_still_answered(self):
        with EchoServer(stray=[1]) as server:
            ep = f"127.0.0.1:{server.port}"
            r = run_client(["127.0.0.1", server.port], b"hello\n")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.splitlines()[0], "unexpected datagram: nobody asked for this  "
                             f"(from {ep}, 21 bytes, answers no line sent)")
            self.assertRegex(r.stdout.splitlines()[1], r"^server send data:hello  \(from ")

    def test_reply_to_an_earlier_try_still_answers_the_line(self):
        with EchoServer(drop=[1]) as server:
            r = run_client(["--timeout", "0.3", "127.0.0.1", server.port], b"again\n")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertRegex(r.stdout, r"^server send data:again  \(from .*, \d+\.\d\d ms after "
                                       r"try 2\)\n$")
            self.assertIn("sending again (try 2 of 3)", r.stderr)

    def test_escapes_reply_bytes(self):
        with EchoServer(prefix=b"\x1b]0;owned\x07") as server:
            r = run_client(["127.0.0.1", server.port], b"x\n")
            self.assertEqual(r.returncode, 0)
            self.assertTrue(r.stdout.startswith("\\x1b]0;owned\\x07x  (from "), r.stdout)
            self.assertNotIn("\x1b", r.stdout)


if __name__ == "__main__":
    harness.main()
