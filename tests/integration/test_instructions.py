"""User-space instructions per datagram, counted by callgrind: a regression guard for the hot path.

Runs bench/instructions, cut to 20,000 datagrams of 32 bytes from 4 flows with 32 in flight each,
against the daemon of this build, once with rate_limit = 0 and once with rate limiting on (a
rate that drops nothing). Counts of instructions do not depend on timing, so the limits are
exact assertions, not timing ones.

The limits, 400 and 500 instructions per datagram, leave about a quarter over today's counts
(about 320 and 355, see the report: lines). That margin absorbs what legitimately moves the
count: another compiler or optimisation level, and batch sizes, which vary a little with
scheduling (a batch's fixed costs are shared by its datagrams). It still fails at once on a
return of what was removed: per-datagram prefix derivation, the log limiter on every datagram,
a coroutine frame per receive and send (together about 1,400 before).
"""

import os
import re
import shutil
import subprocess
import sys
import unittest

SOURCE_ROOT = os.environ.get(
    "UDPECHO_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_ROOT = os.environ.get("UDPECHO_BUILD_ROOT", os.path.join(SOURCE_ROOT, "build"))
COUNT = 20_000
LIMITS = {"rate_limit=0": 400, "rate_limit=10000000": 500}


@unittest.skipIf(shutil.which("valgrind") is None, "valgrind (callgrind) is not installed")
@unittest.skipIf(os.environ.get("UDPECHO_SANITIZE", "none") not in ("", "none"),
                 "instruction counts mean nothing under the sanitizers; counted in the plain build")
class InstructionsPerDatagram(unittest.TestCase):
    def test_within_limits(self):
        argv = [sys.executable, os.path.join(SOURCE_ROOT, "bench", "instructions"), "--no-build",
                "--build-dir", BUILD_ROOT, "--count", str(COUNT)]
        for name in LIMITS:
            argv += ["--only", name]
        run = subprocess.run(argv, capture_output=True, text=True, timeout=900)
        print(run.stdout)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        found = {m[1]: float(m[2]) for m in
                 re.finditer(r"^report: instructions per datagram (\S+): ([\d.]+)$", run.stdout,
                             re.MULTILINE)}
        self.assertEqual(set(found), set(LIMITS), run.stdout)
        for name, limit in LIMITS.items():
            with self.subTest(name):
                self.assertLessEqual(found[name], limit, f"{name}: {found[name]} per datagram")


if __name__ == "__main__":
    unittest.main()
