"""udpecho on a UTF-8 terminal: text in any language is typed, edited, recalled, sent byte for byte
and shown; nothing that could forge or hide text reaches the terminal; in the C locale nothing
typed is lost in silence."""

import re
import sys

import harness
from echo_server import EchoServer
from harness import UDPECHO, Terminal

try:
    import pyte  # a terminal emulator model: what the user would see on the screen
except ImportError:
    # Debian's python3-pyte (scripts/packages-test.txt), when python3 is not Debian's own.
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import pyte
    except ImportError:
        pyte = None

LEFT, UP = b"\x1b[D", b"\x1b[A"
BACKSPACE = b"\x7f"
CTRL_R = b"\x12"
GREETING = "你好，世界 é 🙂"
# ESC, a C1 CSI, RIGHT-TO-LEFT OVERRIDE, ZERO WIDTH SPACE, invalid bytes, an overlong '/'.
HOSTILE = b"a\x1b[31m b\xc2\x9b31m c\xe2\x80\xae d\xe2\x80\x8b e\xff\xfe f\xc0\xaf"
HOSTILE_SHOWN = r"a\x1b[31m b\u{009b}31m c\u{202e} d\u{200b} e\xff\xfe f\xc0\xaf"
RAW = [b"\x1b[31m", b"\xc2\x9b", b"\xe2\x80\xae", b"\xe2\x80\x8b", b"\xff", b"\xc0\xaf"]


def screen_of(term, cols, rows=24):
    """The screen of a terminal `cols` wide after the output so far."""
    screen = pyte.Screen(cols, rows)
    pyte.ByteStream(screen).feed(term.output)
    return screen


def wait_for_screen(term, cols, predicate):
    """Waits until `predicate(rows, cursor)` holds for the screen's rows (right-trimmed) and its
    cursor (x, y); returns the rows."""
    deadline = harness.time.monotonic() + harness.DEFAULT_TIMEOUT
    while True:
        screen = screen_of(term, cols)
        rows = [row.rstrip() for row in screen.display]
        if predicate(rows, (screen.cursor.x, screen.cursor.y)):
            return rows
        if harness.time.monotonic() > deadline:
            raise AssertionError("the screen never showed what was expected:\n" + "\n".join(rows))
        term._read_available(0.1)


class ClientTextTest(harness.unittest.TestCase):
    def start(self, server, locale="C.UTF-8", cols=80, args=()):
        term = Terminal(["env", f"LC_ALL={locale}", UDPECHO, *args, "127.0.0.1", server.port],
                        cols=cols)
        self.addCleanup(term.close)
        self.prompt_at = term.expect(rb"q, Ctrl-D or Ctrl-C quits\r\n> ").end()
        return term

    def quit(self, term):
        term.send(b"q\r")
        self.assertEqual(term.wait_exit(), 0)

    def test_chinese_line_is_sent_byte_exact_and_its_reply_shown_as_text(self):
        with EchoServer() as server:
            term = self.start(server)
            term.send(GREETING.encode() + b"\r")
            self.assertEqual(server.wait_received(1)[0], GREETING.encode())
            term.expect(("server send data:" + GREETING + "  \\(from ").encode(),
                        start=self.prompt_at)
            self.quit(term)

    def test_left_and_backspace_work_on_wide_characters(self):
        with EchoServer() as server:
            term = self.start(server)
            term.send("ab你好世".encode())
            term.expect("ab你好世".encode(), start=self.prompt_at)
            term.send(LEFT)
            term.send(BACKSPACE)
            term.send(b"\r")
            self.assertEqual(server.wait_received(1)[0], "ab你世".encode())
            self.quit(term)

    def test_up_recalls_and_ctrl_r_finds_a_chinese_line(self):
        with EchoServer() as server:
            term = self.start(server)
            term.send("第一行 é\r".encode())
            pos = term.expect("data:第一行 é  ".encode()).end()
            term.send(b"ascii line\r")
            pos = term.expect(b"data:ascii line  ", start=pos).end()
            term.send(UP + UP + b"\r")
            pos = term.expect("data:第一行 é  ".encode(), start=pos).end()
            # Ctrl-R recalls the latest line holding what was typed.
            term.send("一行".encode() + CTRL_R + b"\r")
            self.assertEqual(server.wait_received(4),
                             ["第一行 é".encode(), b"ascii line", "第一行 é".encode(),
                              "第一行 é".encode()])
            self.quit(term)

    def test_ctrl_r_again_goes_further_back(self):
        with EchoServer() as server:
            term = self.start(server)
            term.send("甲 一行\r乙 一行\rplain\r".encode())
            server.wait_received(3)
            term.send("一行".encode() + CTRL_R + CTRL_R + b"\r")
            self.assertEqual(server.wait_received(4)[3], "甲 一行".encode())
            self.quit(term)

    def test_hostile_reply_reaches_the_terminal_escaped(self):
        with EchoServer(prefix=HOSTILE) as server:
            term = self.start(server)
            term.send("你好\r".encode())
            term.expect(re.escape((HOSTILE_SHOWN + "你好  (from ").encode()), start=self.prompt_at)
            self.quit(term)
            for raw in RAW:
                self.assertNotIn(raw, term.output[self.prompt_at:])

    def test_hostile_reply_piped_is_escaped_too(self):
        with EchoServer(prefix=HOSTILE) as server:
            for locale in ("C.UTF-8", "C"):
                r = harness.subprocess.run(
                    ["env", f"LC_ALL={locale}", UDPECHO, "127.0.0.1", str(server.port)],
                    input="你好\n".encode(), capture_output=True, timeout=harness.DEFAULT_TIMEOUT)
                self.assertEqual(r.returncode, 0, r.stderr)
                for raw in RAW:
                    self.assertNotIn(raw, r.stdout)
                expected = "你好" if locale == "C.UTF-8" else r"\xe4\xbd\xa0\xe5\xa5\xbd"
                self.assertTrue(r.stdout.startswith((HOSTILE_SHOWN if locale == "C.UTF-8" else
                                                     r"a\x1b[31m b\xc2\x9b31m").encode()),
                                r.stdout)
                self.assertIn((expected + "  (from ").encode(), r.stdout)
            # Piped input is sent byte for byte, whatever the locale and whatever the bytes.
            self.assertEqual(server.wait_received(2), ["你好".encode(), "你好".encode()])

    def test_c_locale_refuses_non_ascii_with_a_message(self):
        with EchoServer() as server:
            term = self.start(server, locale="C")
            term.send("ab你c\r".encode())
            term.expect(rb"typed bytes \\xe4\\xbd\\xa0 not taken: the locale's character set "
                        rb"\(ANSI_X3\.4-1968\) is not UTF-8", start=self.prompt_at)
            self.assertEqual(server.wait_received(1)[0], b"abc")
            self.quit(term)

    @harness.unittest.skipIf(pyte is None, "python3-pyte is not installed")
    def test_late_reply_redraws_a_wide_wrapped_line_without_leftovers(self):
        cols = 20
        with EchoServer(silent=True) as server:
            term = self.start(server, cols=cols, args=("--timeout", "0.2", "--retries", "0"))
            term.send(b"first\r")
            term.expect(rb"no reply from 127\.0\.0\.1:\d+ after 1 try")
            # "> " and 23 wide characters: 48 cells, wrapped over three rows of 20, and the wide
            # characters do not fill the rows evenly. The cursor is then moved back by 10, onto
            # the second row, so that the cursor is not where the line ends.
            term.send("长".encode() * 23 + LEFT * 10)
            # Before the 14th character: 9 fit on the prompt's row, so 4 in on the next (x = 8).
            rows = wait_for_screen(term, cols, lambda rows, cursor: cursor[0] == 8 and
                                   "".join(rows[cursor[1] - 1:]) == "> " + "长" * 23)
            server.inject(b"server send data:first")
            term.expect(rb"late reply to line 1")
            # A key typed after the reply is drawn where the cursor was: in the middle.
            term.send("好".encode())
            expected = "> " + "长" * 13 + "好" + "长" * 10

            def last_prompt(rows):  # the prompt of the line being typed ("> first" was line 1)
                return max(i for i, r in enumerate(rows) if r.startswith("> "))

            # Waits until libedit has drawn the whole line again, not only up to the new key.
            rows = wait_for_screen(
                term, cols, lambda rows, _: "".join(rows[last_prompt(rows):]) == expected)
            text = "\n".join(rows)
            start = last_prompt(rows)
            # The prompt and the line, once, below everything else and nothing after them.
            self.assertEqual("".join(rows[start:]), expected, text)
            self.assertFalse(any("长" in r for r in rows[:start]),
                             "a row of the line as it was before the reply was left over:\n" + text)
            reply = "".join(rows[:start])
            self.assertIn("late reply to line 1", reply, text)
            term.send(b"\r")
            self.assertEqual(server.wait_received(2)[1], expected[2:].encode())
            self.quit(term)


if __name__ == "__main__":
    harness.main()
