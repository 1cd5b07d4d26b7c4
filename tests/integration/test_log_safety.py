"""A peer's bytes can never start a log line, inject a priority, or reach the terminal raw."""

import os
import re

import harness
from harness import Daemon, exchange

HOSTILE = b"a\n<0>FORGED\x1b[31m"
# Human format: "2026-11-25 18:22:30.416 info     message".
HUMAN_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (trace|debug|info|warning|error|critical) ")


class LogSafetyTest(harness.unittest.TestCase):
    def test_hostile_payload_is_escaped(self):
        with Daemon() as d:
            exchange(d.address, HOSTILE)
            exchange(d.address, b"\r\n\x00\xff\xfe<1>x\x7f\\")
            d.wait_for(r'sent 16 bytes: "a\\n<0>FORGED\\x1b\[31m"')
            d.wait_for(r'sent 11 bytes: "\\r\\n\\x00\\xff\\xfe<1>x\\x7f\\\\"')
            self.assertEqual(d.stop(), 0)
            for line in d.log():
                self.assertRegex(line, HUMAN_LINE)
                self.assertNotIn("\x1b", line)
                self.assertNotIn("\r", line)
                self.assertFalse(line.startswith("<0>"))
                self.assertFalse(line.startswith("FORGED"))

    def test_journal_format_has_priority_and_no_timestamp(self):
        # The daemon writes for the journal when $JOURNAL_STREAM names its stderr's device:inode,
        # as systemd sets it. The shell learns the pipe's identity, then becomes the daemon.
        # --log-target=stderr keeps lines on that stream, "<N>"-prefixed, instead of native
        # journal records (which the container test checks).
        script = 'JOURNAL_STREAM=$(stat -L -c "%d:%i" /proc/self/fd/2) exec "$@"'
        with harness.tempfile.TemporaryDirectory() as tmp:
            conf = os.path.join(tmp, "udpechod.conf")
            with open(conf, "w", encoding="utf-8") as f:
                f.write("port = 0\n")
            with Daemon(binary="/bin/sh", config=None,
                        args=["-c", script, "sh", harness.UDPECHOD, "--config", conf,
                              "--log-target=stderr"]) as d:
                exchange(d.address, HOSTILE)
                d.wait_for(r'^<6>127\.0\.0\.1:\d+ sent 16 bytes: "a\\n<0>FORGED\\x1b\[31m"$')
                self.assertEqual(d.stop(), 0)
                d.wait_for(r"^<6>stopping on SIGTERM")
                for line in d.log():
                    self.assertRegex(line, r"^<[2-7]>[a-z0-9\[]")


if __name__ == "__main__":
    harness.main()
