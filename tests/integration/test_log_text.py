"""Log lines show a peer's text in any language, and nothing that could forge or hide text."""

import os
import re

import harness
from harness import Daemon, exchange

CHINESE = "你好，世界 é 🙂".encode()
# ESC, a C1 CSI, RIGHT-TO-LEFT OVERRIDE, ZERO WIDTH SPACE, invalid bytes, an overlong '/'.
HOSTILE = b"a\x1b[31m b\xc2\x9b31m c\xe2\x80\xae d\xe2\x80\x8b e\xff\xfe f\xc0\xaf"
HOSTILE_SHOWN = r"a\x1b[31m b\u{009b}31m c\u{202e} d\u{200b} e\xff\xfe f\xc0\xaf"
RAW = [b"\x1b", b"\xc2\x9b", b"\xe2\x80\xae", b"\xe2\x80\x8b", b"\xff", b"\xfe", b"\xc0\xaf"]
# The daemon's environment under systemd: the C locale. The rule must not depend on it.
C_LOCALE = dict(os.environ, LANG="C", LC_ALL="C")
# The stream format journald reads from a service's stderr ("<N>" and no timestamp): the daemon
# writes it when $JOURNAL_STREAM names its stderr and --log-target=stderr keeps it off the native
# journal protocol.
JOURNAL = 'JOURNAL_STREAM=$(stat -L -c "%d:%i" /proc/self/fd/2) exec "$@"'


def raw_bytes(line):
    return line.encode("utf-8", "surrogateescape")


class LogTextTest(harness.unittest.TestCase):
    def assert_nothing_raw(self, log):
        for line in log:
            for raw in RAW:
                self.assertNotIn(raw, raw_bytes(line), line)

    def journal_daemon(self, tmp, extra=""):
        conf = os.path.join(tmp, "udpechod.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("bind = 127.0.0.1\nport = 0\n" + extra)
        return Daemon(binary="/bin/sh", config=None, env=C_LOCALE,
                      args=["-c", JOURNAL, "sh", harness.UDPECHOD, "--config", conf,
                            "--log-target=stderr"])

    def test_chinese_is_text_and_the_hostile_set_is_escaped(self):
        with Daemon(env=C_LOCALE) as d:
            exchange(d.address, CHINESE)
            exchange(d.address, HOSTILE)
            d.wait_for(r'sent 23 bytes: "你好，世界 é 🙂"$')
            d.wait_for(rf'sent {len(HOSTILE)} bytes: "{re.escape(HOSTILE_SHOWN)}"$')
            self.assertEqual(d.stop(), 0)
            self.assert_nothing_raw(d.log())

    def test_journal_format(self):
        with harness.tempfile.TemporaryDirectory() as tmp, self.journal_daemon(tmp) as d:
            exchange(d.address, CHINESE)
            exchange(d.address, HOSTILE)
            chinese = d.wait_for(r'^<6>127\.0\.0\.1:\d+ sent 23 bytes: "你好，世界 é 🙂"$')
            hostile = d.wait_for(rf'^<6>127\.0\.0\.1:\d+ sent {len(HOSTILE)} bytes: ".*"$')
            self.assertEqual(d.stop(), 0)
            self.assert_nothing_raw(d.log())
            hostile_lines = [l for l in d.log() if f"sent {len(HOSTILE)} bytes" in l]
            self.assertEqual(hostile_lines, [hostile.string])
            self.assertIn('"' + HOSTILE_SHOWN + '"', hostile.string)
            print("report: journal line with Chinese text:", chinese.string)
            print("report: journal line with the hostile set:", hostile.string)

    def test_log_escape_ascii_keeps_the_old_rendering(self):
        with Daemon(config="bind = 127.0.0.1\nport = 0\nlog_escape = ascii\n") as d:
            exchange(d.address, "你好 ok".encode())
            exchange(d.address, HOSTILE)
            d.wait_for(r'sent 9 bytes: "\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd ok"$')
            d.wait_for(rf'sent {len(HOSTILE)} bytes: "a\\x1b\[31m b\\xc2\\x9b31m c\\xe2\\x80\\xae d')
            self.assertEqual(d.stop(), 0)
            for line in d.log():
                self.assertTrue(raw_bytes(line).isascii(), line)

    def test_the_cut_counts_bytes_and_keeps_characters_whole(self):
        with Daemon(config="bind = 127.0.0.1\nport = 0\nlog_payload_bytes = 5\n") as d:
            exchange(d.address, "你好世界".encode())
            d.wait_for(r'sent 12 bytes: "你\.\.\."$')
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    harness.main()
