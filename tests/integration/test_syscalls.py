"""System calls per ping-pong round trip, counted with strace: at most 3 (the goal is 2).

One request in flight at a time is the case where batching cannot help: every round trip costs
the daemon a wait for readiness, a receive and a send, and anything more (Asio re-arming the
descriptor with epoll_ctl on every wait, a receive that finds nothing) is overhead on the
latency of every request. strace attaches once the daemon answers, so start-up is not counted;
1,000 round trips make the few calls of the once-a-second housekeeping timer negligible.
System call counts do not depend on timing, so this is an exact assertion, not a timing one.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

ROUND_TRIPS = 1000
LIMIT = 3  # per round trip; today's count is printed as a report: line
# The daemon logs the first datagrams of a peer (the log budget's burst of 10 lines per prefix)
# and then suppresses the rest: a fixed number of write() calls, not a cost per round trip. They
# are counted apart and bounded on their own.
LOG_WRITES = 20
PREFIX = b"server send data:"


def count_syscalls(daemon, round_trips):
    """Runs `round_trips` ping-pongs under strace -c -f; returns {syscall: calls}."""
    port = daemon.port
    tracer = subprocess.Popen(["strace", "-c", "-f", "-p", str(daemon.proc.pid)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            s.connect(("127.0.0.1", port))
            # strace prints nothing once attached; the kernel's TracerPid of the daemon says so.
            deadline = time.monotonic() + harness.DEFAULT_TIMEOUT
            while True:
                time.sleep(0.05)
                if tracer.poll() is not None:
                    raise AssertionError("strace ended: " + tracer.stderr.read())
                with open(f"/proc/{daemon.proc.pid}/status", encoding="ascii") as f:
                    tracer_pid = int(re.search(r"TracerPid:\s+(\d+)", f.read())[1])
                if tracer_pid != 0:
                    break
                if time.monotonic() > deadline:
                    raise AssertionError("strace did not attach")
            s.settimeout(harness.DEFAULT_TIMEOUT)
            for i in range(round_trips):
                payload = b"ping %d" % i
                s.send(payload)
                assert s.recv(2048) == PREFIX + payload
    finally:
        tracer.send_signal(signal.SIGINT)
        _, err = tracer.communicate(timeout=30)
    counts = {}
    for line in err.splitlines():
        fields = line.split()
        # "% time seconds usecs/call calls [errors] syscall"
        if len(fields) >= 5 and fields[-1].isidentifier() and fields[3].isdigit():
            counts[fields[-1]] = int(fields[3])
    counts.pop("total", None)
    return counts


@unittest.skipIf(shutil.which("strace") is None, "strace is not installed")
@unittest.skipIf(os.environ.get("UDPECHO_SANITIZE", "none") not in ("", "none"),
                 "system calls are counted in the plain build; the sanitizers add their own")
class PingPongSyscalls(unittest.TestCase):
    def test_at_most_three_system_calls_per_round_trip(self):
        # Without rate_limit = 0, a ping-pong as fast as this one would be rate-limited.
        with harness.Daemon("bind = 127.0.0.1\nport = 0\nworkers = 1\nrate_limit = 0\n") as daemon:
            counts = count_syscalls(daemon, ROUND_TRIPS)
        writes = counts.pop("write", 0)
        per_trip = sum(counts.values()) / ROUND_TRIPS
        by_count = sorted(counts.items(), key=lambda kv: -kv[1])
        detail = ", ".join(f"{name} {n}" for name, n in by_count)
        print(f"report: system calls per ping-pong round trip: {per_trip:.2f} ({detail}; "
              f"plus {writes} log writes)")
        self.assertLessEqual(per_trip, LIMIT, detail)
        self.assertLessEqual(writes, LOG_WRITES)


if __name__ == "__main__":
    unittest.main()
