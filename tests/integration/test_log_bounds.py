"""Hostile payloads cannot forge log lines, and a flood cannot fill the log.

Flow control as elsewhere: a marker datagram every 100 waits for its reply, so the daemon has
handled everything before it and nothing is lost to a full socket buffer.
"""

import random
import re

import harness
import sources
from harness import Daemon

PREFIX = b"server send data:"
HUMAN_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (trace|debug|info|warning|error|"
                        r"critical) +[0-9a-z\[]")
PIECES = [b"\n", b"\r\n", b"<0>", b"<3>kernel: panic", b"\x1b[2J", b"\x1b]0;owned\x07",
          b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\x00", b"\\", b'"', b"\t", b"\x7f",
          b"2026-01-01 00:00:00.000 critical forged", b"%s%n{}"]


def hostile_payload(rng):
    return b"".join(rng.choice(PIECES) for _ in range(rng.randint(1, 8)))


def send_with_markers(d, sender, marker, datagrams):
    """Sends (payload, source) pairs, stopping every 100 for a marker's round trip."""
    for n, (payload, source) in enumerate(datagrams, 1):
        sender.send(payload, source, d.address)
        if n % 100 == 0:
            marker.sendto(b"mark %d" % n, d.address)
            assert marker.recv(70000) == PREFIX + b"mark %d" % n
            sender.drain()


class LogBoundsTest(harness.unittest.TestCase):
    def test_10000_hostile_payloads_give_no_foreign_line(self):
        rng = random.Random(5)
        config = "port = 0\nrate_limit = 0\nrate_prefix_v4 = 32\n"
        with Daemon(config) as d, sources.MultiSource() as sender, \
                harness.udp_socket(timeout=5.0) as marker:
            datagrams = [(hostile_payload(rng), sources.loopback_v4(i % 2000))
                         for i in range(10_000)]
            send_with_markers(d, sender, marker, datagrams)
            self.assertEqual(d.stop(), 0)
            d.wait_for(r"stopping on SIGTERM: 10100 datagrams")
            log = d.log()
        foreign = [line for line in log if not HUMAN_LINE.match(line)]
        escaped = sum(1 for line in log if " sent " in line and "\\x" in line)
        print(f"report: 10000 hostile payloads: {len(log)} log lines, {escaped} of them with escaped "
              f"payload bytes, {len(foreign)} not in the daemon's own format")
        self.assertEqual(foreign, [])
        self.assertGreater(escaped, 10)
        for line in log:
            self.assertIsNone(re.search(r"[\x00-\x1f\x7f]", line), line)

    def test_flood_from_one_source_gives_a_few_dozen_lines_and_a_summary(self):
        config = "port = 0\nrate_limit = 0\nrate_prefix_v4 = 32\nlog_payload_bytes = 8\n"
        with Daemon(config) as d, sources.MultiSource() as sender, \
                harness.udp_socket(timeout=5.0) as marker:
            before = len(d.log())
            send_with_markers(d, sender, marker, [(b"flood\n<0>x", "127.0.0.2")] * 20_000)
            # The summary comes once per interval (10 s); everything before it is in the log.
            m = d.wait_for(r"(\d+) log lines suppressed for 127\.0\.0\.2/32", timeout=20)
            suppressed = int(m.group(1))
            during = d.log()[before:]
            flood_lines = [line for line in during if " 127.0.0.2:" in line and " sent " in line]
            self.assertEqual(d.stop(), 0)
        print(f"report: 20000-datagram flood from 127.0.0.2: {len(during)} log lines up to the summary "
              f"({len(flood_lines)} about the flooder, the rest about the markers), then "
              f"'{m.group(0)}'")
        self.assertLessEqual(len(during), 60)
        self.assertEqual(len(flood_lines) + suppressed, 20_000)


if __name__ == "__main__":
    harness.main()
