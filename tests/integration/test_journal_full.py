"""A journal that takes no more records never holds up serving.

The daemon runs with --log-target=journal in a mount namespace of its own whose
/run/systemd/journal/socket is a socket this test binds and stops reading: its queue fills
after a few records. The daemon must keep answering every datagram, drop the records the
journal does not take, and count them in its stop entry.
"""

import os
import re
import shutil
import signal
import socket
import tempfile
import time

import harness
from harness import Daemon

# In a private mount namespace: a fresh /run holding only the stand-in journal socket's
# directory, then the daemon.
STAND_IN = ('mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal && '
            'mount --bind "$0" /run/systemd/journal && exec "$@"')
LISTENING = re.compile(rb"^MESSAGE=listening on 127\.0\.0\.1:(\d+)$", re.MULTILINE)
DATAGRAMS = 60  # far more logged lines than the stand-in's queue (net.unix.max_dgram_qlen) holds


def skip_reason():
    if os.geteuid() != 0:
        return "needs root for a mount namespace with a stand-in journal socket"
    if not shutil.which("unshare"):
        return "needs unshare(1) from util-linux"
    return None


def fields(record):
    """KEY=value lines of one native-protocol datagram (our values hold no newline)."""
    return dict(line.split(b"=", 1) for line in record.split(b"\n") if b"=" in line)


@harness.unittest.skipIf(skip_reason(), skip_reason() or "")
class JournalFullTest(harness.unittest.TestCase):
    def test_full_journal_drops_records_and_serving_goes_on(self):
        tmp = tempfile.TemporaryDirectory(prefix="udpechod-journal-")
        self.addCleanup(tmp.cleanup)
        journal = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(journal.close)
        journal.bind(os.path.join(tmp.name, "socket"))
        journal.settimeout(harness.DEFAULT_TIMEOUT)
        wrapper = ["unshare", "--mount", "--propagation", "private", "sh", "-c", STAND_IN,
                   tmp.name]
        with Daemon(args=["--log-target=journal"], wrapper=wrapper, wait_ready=False) as d:
            # The port comes from the daemon's own record, read off the stand-in journal.
            port = None
            while port is None:
                m = LISTENING.search(journal.recv(70000))
                port = int(m.group(1)) if m else None
            self.assertEqual(d.log(), [], "with --log-target=journal nothing goes to stderr")

            # Nobody reads the journal now. Every datagram is still answered at once, though
            # most of their lines find the journal's queue full.
            answered = 0
            for i in range(DATAGRAMS):
                # Six source prefixes, so that the per-prefix log budget lets most lines through.
                source = (f"127.0.{100 + i % 6}.1", 0)
                reply, _ = harness.exchange(("127.0.0.1", port), b"ping %d" % i, bind=source,
                                            timeout=5.0)
                answered += reply == b"server send data:ping %d" % i
            self.assertEqual(answered, DATAGRAMS)

            # Empty the queue, so that the stop entry fits, and stop.
            journal.setblocking(False)
            try:
                while True:
                    journal.recv(70000)
            except BlockingIOError:
                pass
            journal.settimeout(harness.DEFAULT_TIMEOUT)
            d.send_signal(signal.SIGTERM)
            stop = {}
            deadline = time.monotonic() + harness.DEFAULT_TIMEOUT
            while stop.get(b"UDPECHO_EVENT") != b"stop":
                self.assertLess(time.monotonic(), deadline, "no stop entry")
                stop = fields(journal.recv(70000))
            self.assertEqual(d.wait_exit(), 0)

        dropped = int(stop[b"UDPECHO_JOURNAL_RECORDS_DROPPED"])
        self.assertGreater(dropped, 0)
        self.assertIn(b"; %d journal records dropped" % dropped, stop[b"MESSAGE"])
        self.assertEqual(int(stop[b"UDPECHO_REPLIES"]), DATAGRAMS)
        print(f"report: journal full: {answered} of {DATAGRAMS} datagrams answered; "
              f"{dropped} journal records dropped and counted")


if __name__ == "__main__":
    harness.main()
