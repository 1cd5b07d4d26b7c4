"""200,000 distinct source addresses in 127.0.0.0/8 leave the rate table at rate_table_size
entries, and the daemon's memory stays bounded. Prints RSS (from /proc) along the way.

Sources: one socket sends each datagram with IP_PKTINFO naming its source address (see
sources.py), so no socket is bound per address. Every 100 datagrams (fewer than the daemon's socket buffer holds) a marker from 127.0.0.1
waits for its reply: the daemon handles datagrams in order, so by then it has handled all the
earlier ones, and none is lost to a full socket buffer.
"""

import socket
import time

import harness
import sources
from harness import Daemon

PREFIX = b"server send data:"
SOURCES = 200_000
TABLE = 65_536
STEP = 100


class RateTableBoundTest(harness.unittest.TestCase):
    def test_200000_sources_keep_the_table_at_its_size(self):
        config = (f"port = 0\nrate_prefix_v4 = 32\nrate_table_size = {TABLE}\n"
                  "rate_exempt = 127.0.0.1\n")
        with Daemon(config) as d, \
                sources.MultiSource(rcvbuf=65536) as sender, \
                harness.udp_socket(timeout=5.0) as marker:
            pid = d.proc.pid
            rss = {"start": sources.rss_kib(pid)}
            started = time.monotonic()
            for first in range(0, SOURCES, STEP):
                for i in range(first, first + STEP):
                    sender.send(b"src", sources.loopback_v4(i), d.address)
                marker.sendto(b"mark %d" % first, d.address)
                self.assertEqual(marker.recv(70000), PREFIX + b"mark %d" % first)
                sender.drain()
                if first + STEP == TABLE - TABLE % STEP:
                    rss["table nearly full"] = sources.rss_kib(pid)
                if first + STEP == SOURCES // 2:
                    rss["100,000 sources"] = sources.rss_kib(pid)
            rss["200,000 sources"] = sources.rss_kib(pid)
            seconds = time.monotonic() - started
            self.assertEqual(d.stop(), 0)
            m = d.wait_for(r"stopping on SIGTERM: (\d+) datagrams .* rate table (\d+) of (\d+) "
                           r"prefixes")
        datagrams, entries, capacity = (int(g) for g in m.group(1, 2, 3))
        print(f"report: {SOURCES} distinct sources in {seconds:.1f} s; daemon handled {datagrams} "
              f"datagrams; rate table {entries} of {capacity} entries")
        print("report: daemon RSS: " + ", ".join(f"{k} {v / 1024:.1f} MiB" for k, v in rss.items()))
        self.assertEqual(datagrams, SOURCES + SOURCES // STEP)
        self.assertEqual((entries, capacity), (TABLE, TABLE))
        # The second 100,000 sources find the table full and only replace entries.
        growth = rss["200,000 sources"] - rss["100,000 sources"]
        print(f"report: RSS growth over the second 100,000 sources: {growth / 1024:.1f} MiB")
        self.assertLess(growth, 8 * 1024)
        self.assertLess(rss["200,000 sources"] - rss["start"], 64 * 1024)


if __name__ == "__main__":
    harness.main()
