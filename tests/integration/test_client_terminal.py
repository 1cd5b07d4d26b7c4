"""udpecho on a terminal: prompt, replies, history, quitting, and the terminal left as found."""

import os
import signal
import time

import harness
from echo_server import EchoServer
from harness import UDPECHO, Daemon, Terminal

UP = b"\x1b[A"


class ClientTerminalTest(harness.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon()
        cls.port = cls.daemon.port

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.daemon.__exit__()

    def start(self, *args):
        term = Terminal([UDPECHO, *args])
        self.addCleanup(term.close)
        return term

    def assert_left_as_found(self, term):
        self.assertEqual(term.modes(), term.modes_before)
        self.assertEqual(term.flags(), term.flags_before)

    def test_prompt_reply_history_and_q(self):
        term = self.start("127.0.0.1", self.port)
        pos = term.expect(rb"q, Ctrl-D or Ctrl-C quits\r\n> ").end()
        term.send(b"hello\r")
        reply = rb"server send data:hello  \(from 127\.0\.0\.1:%d, \d+\.\d\d ms\)" % self.port
        pos = term.expect(reply, start=pos).end()
        term.expect(rb"> ", start=pos)
        # Up-arrow brings "hello" back; Enter sends it again.
        term.send(UP)
        pos = term.expect(rb"> hello", start=pos).end()
        term.send(b"\r")
        # A second reply to "hello": the recalled line was sent again.
        pos = term.expect(reply, start=pos).end()
        term.send(b"q\r")
        self.assertEqual(term.wait_exit(), 0)
        self.assertNotIn(b"data:q", term.output)
        self.assert_left_as_found(term)

    def test_ctrl_d_exits_0(self):
        term = self.start("127.0.0.1", self.port)
        term.expect(rb"\r\n> ")
        term.send(b"\x04")
        self.assertEqual(term.wait_exit(), 0)
        self.assert_left_as_found(term)

    def test_ctrl_c_while_typing_exits_0(self):
        term = self.start("127.0.0.1", self.port)
        term.expect(rb"\r\n> ")
        term.send(b"half a li")
        term.expect(rb"half a li")
        term.send(b"\x03")
        self.assertEqual(term.wait_exit(), 0)
        self.assert_left_as_found(term)

    def test_ctrl_z_stops_with_the_terminal_restored(self):
        term = self.start("127.0.0.1", self.port)
        pos = term.expect(rb"\r\n> ").end()
        term.send(b"\x1a")
        # The process state is the only sign of being stopped; poll it with a deadline.
        deadline = time.monotonic() + harness.DEFAULT_TIMEOUT
        while open(f"/proc/{term.proc.pid}/stat").read().rsplit(")", 1)[1].split()[0] != "T":
            self.assertLess(time.monotonic(), deadline, "udpecho did not stop on Ctrl-Z")
            time.sleep(0.02)
        self.assert_left_as_found(term)  # what the shell gets while udpecho is stopped
        os.kill(term.proc.pid, signal.SIGCONT)
        term.send(b"back\r")
        term.expect(rb"server send data:back  \(from ", start=pos)
        term.send(b"q\r")
        self.assertEqual(term.wait_exit(), 0)
        self.assert_left_as_found(term)

    def test_late_reply_printed_while_typing(self):
        with EchoServer(silent=True) as server:
            term = self.start("--timeout", "0.2", "--retries", "0", "127.0.0.1", server.port)
            term.expect(rb"\r\n> ")
            term.send(b"first\r")
            pos = term.expect(rb"no reply from 127\.0\.0\.1:\d+ after 1 try").end()
            term.send(b"half")
            pos = term.expect(rb"half", start=pos).end()
            # The reply to "first" comes now, while "half" is on the prompt.
            server.inject(b"server send data:first")
            pos = term.expect(rb'late reply to line 1 "first", \d+\.\d\d ms after it was sent: '
                              rb"server send data:first", start=pos).end()
            # The prompt and the half-typed line are drawn again, and typing goes on.
            pos = term.expect(rb"> half", start=pos).end()
            term.send(b"-done\r")
            self.assertEqual(server.wait_received(2)[1], b"half-done")
            term.send(b"q\r")
            self.assertEqual(term.wait_exit(), 0)
            self.assert_left_as_found(term)

    def test_refused_then_goes_on(self):
        port = harness.free_udp_port()
        term = self.start("127.0.0.1", port)
        term.expect(rb"\r\n> ")
        term.send(b"anyone\r")
        pos = term.expect(rb"127\.0\.0\.1:%d refused: nothing is listening on that port "
                          rb"\(is udpechod running\?\)" % port).end()
        term.expect(rb"> ", start=pos)
        term.send(b"q\r")
        self.assertEqual(term.wait_exit(), 0)
        self.assert_left_as_found(term)


if __name__ == "__main__":
    harness.main()
