"""udpechod against hostile config files, at --check-config, at start and at reload: endless
devices, huge keys, floods of errors, control bytes and zone ids."""

import os
import re
import resource
import signal
import subprocess
import time

import harness
from harness import Daemon, exchange, UDPECHOD

# The code before the size cap read /dev/zero until memory ran out. A plain build is held to
# 1.5 GB of address space, so that such a regression fails fast (bad_alloc) instead of calling
# the OOM killer; a sanitizer build reserves terabytes of shadow memory and cannot be.
SANITIZED = os.environ.get("UDPECHO_SANITIZE", "none") not in ("", "none")


def limit_memory():
    if not SANITIZED:
        limit = 1500 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def check_config(path):
    """--check-config on `path`; its stderr goes through a file, so that a flood of errors (4
    million before the error cap) fails the test rather than the test's own memory."""
    with harness.tempfile.TemporaryFile() as errors:
        proc = subprocess.run([UDPECHOD, "--check-config", "--config", path], timeout=60,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors,
                              preexec_fn=limit_memory)
        errors.seek(0)
        head = errors.read(1 << 20).decode("utf-8", "surrogateescape")
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", head)


def long_key_lines(size, key_bytes=4000):
    """A file of `size` bytes at most: unknown keys of `key_bytes` bytes, one per line."""
    line = "k" * key_bytes + " = 1\n"
    return line * (size // len(line))


class ConfigFileTest(harness.unittest.TestCase):
    def setUp(self):
        self.tmp = harness.tempfile.TemporaryDirectory(prefix="udpechod-hostile-")
        self.addCleanup(self.tmp.cleanup)

    def write(self, data, name="udpechod.conf"):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path

    def test_dev_zero_through_a_symlink(self):
        path = os.path.join(self.tmp.name, "udpechod.conf")
        os.symlink("/dev/zero", path)
        r = check_config(path)
        self.assertEqual((r.returncode, r.stderr), (78, f"{path}: larger than 1 MiB\n"))

    def test_a_2_mb_key(self):
        path = self.write("x" * 2_000_000 + " = 1\n")
        r = check_config(path)
        self.assertEqual((r.returncode, r.stderr), (78, f"{path}: larger than 1 MiB\n"))

    def test_1_mib_of_long_unknown_keys_shows_20_errors(self):
        text = long_key_lines(1 << 20)
        path = self.write(text)
        started = time.monotonic()
        r = check_config(path)
        elapsed = time.monotonic() - started
        lines = r.stderr.splitlines()
        self.assertEqual(r.returncode, 78)
        self.assertEqual(len(lines), 21)
        self.assertTrue(lines[0].startswith(f"{path}:1: unknown key 'kkkk"), lines[0])
        self.assertNotIn("did you mean", r.stderr)
        self.assertEqual(lines[20], f"... and {text.count(chr(10)) - 20} more errors")
        print(f"report: --check-config of {len(text)} bytes of 4,000-byte unknown keys: "
              f"{elapsed * 1000:.0f} ms")

    def test_4_million_lines(self):
        path = self.write("x\n" * 4_000_000)
        r = check_config(path)
        self.assertEqual((r.returncode, r.stderr), (78, f"{path}: larger than 1 MiB\n"))
        # Within the size cap, a line of nonsense each: 20 errors shown, the rest counted.
        path = self.write("x\n" * (1 << 19), "flood.conf")
        r = check_config(path)
        lines = r.stderr.splitlines()
        self.assertEqual(r.returncode, 78)
        self.assertEqual(len(lines), 21)
        self.assertEqual(lines[19], f"{path}:20: expected 'key = value', got 'x'")
        self.assertEqual(lines[20], f"... and {(1 << 19) - 20} more errors")

    def test_a_line_over_4_kib(self):
        path = self.write("port = 0\nreply_prefix = " + "p" * 4096 + "\n")
        r = check_config(path)
        self.assertEqual((r.returncode, r.stderr),
                         (78, f"{path}:2: line is longer than 4096 bytes\n"))

    def test_nul_in_bind_and_allow(self):
        path = self.write(b"bind = 127.0.0.1\0junk\nallow = 10.0.0.0\0/8\nport = 0\n")
        expected = [f"{path}:1: bind: control character in value",
                    f"{path}:2: allow: control character in value"]
        r = check_config(path)
        self.assertEqual((r.returncode, r.stderr.splitlines()), (78, expected))
        # Start says what the check said.
        with Daemon(None, args=["--config", path], wait_ready=False) as d:
            self.assertEqual(d.wait_exit(), 78)
            for line in expected:
                d.wait_for(harness.re.escape(line))

    def test_a_zone_id_naming_no_interface_is_refused_at_check_time_and_at_start(self):
        path = self.write("bind = fe80::1%nonexist\nport = 0\n")
        expected = f"{path}:1: bind: 'fe80::1%nonexist': no network interface 'nonexist'"
        r = check_config(path)
        self.assertEqual((r.returncode, r.stderr.splitlines()), (78, [expected]))
        with Daemon(None, args=["--config", path], wait_ready=False) as d:
            self.assertEqual(d.wait_exit(), 78)
            d.wait_for(harness.re.escape(expected))
        # An interface that exists: accepted, by name or by number.
        path = self.write("bind = fe80::1%lo, [fe80::2%1]\nport = 0\n", "lo.conf")
        r = check_config(path)
        self.assertEqual(r.returncode, 0, r.stderr)


class HostileReloadTest(harness.unittest.TestCase):
    """A bad file at SIGHUP: logged, the old config kept, and serving never held up."""

    # Unlimited rate: datagrams are sent back to back for as long as the reload takes.
    CONFIG = 'bind = 127.0.0.1\nport = 0\nreply_prefix = "old:"\nrate_limit = 0\n'

    def hangup_and_exchange(self, d, replace):
        """Replaces the config (`replace(path)`), sends SIGHUP, and sends datagrams one after
        another until the reload has been logged as failed; returns the longest any of them
        waited for its answer, and the log index the reload's lines start at."""
        os.unlink(d.config_path)
        replace(d.config_path)
        start = len(d.log())
        failed = re.compile(r"reload failed: .* still serving with the previous configuration")
        longest = 0.0
        with harness.udp_socket(timeout=5.0) as s:
            d.send_signal(signal.SIGHUP)
            for _ in range(100000):
                sent = time.monotonic()
                s.sendto(b"during", d.address)
                self.assertEqual(s.recvfrom(100)[0], b"old:during")
                longest = max(longest, time.monotonic() - sent)
                if any(failed.search(line) for line in d.log()[start:]):
                    break
        d.wait_for(failed.pattern, start=start)
        self.assertEqual(exchange(d.address, b"after")[0], b"old:after")
        return longest, start

    def test_dev_zero_at_reload(self):
        with Daemon(self.CONFIG,
                    wrapper=self.memory_limited()) as d:
            _, start = self.hangup_and_exchange(d, lambda path: os.symlink("/dev/zero", path))
            d.wait_for(harness.re.escape(f"{d.config_path}: larger than 1 MiB"), start=start)
            self.assertEqual(d.stop(), 0)

    def test_a_2_mb_key_at_reload_holds_no_datagram_up(self):
        def write(text):
            def replace(path):
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
            return replace

        with Daemon(self.CONFIG) as d:
            waited, start = self.hangup_and_exchange(d, write("x" * 2_000_000 + " = 1\n"))
            self.assertLess(waited, 0.1)
            d.wait_for(harness.re.escape(f"{d.config_path}: larger than 1 MiB"), start=start)
            # The worst files within the limits: 1 MiB of long unknown keys, and of keys just
            # short enough for a typo suggestion, which costs their length times every key's.
            worst = []
            for key_bytes in (4000, 60):
                took, start = self.hangup_and_exchange(
                    d, write(long_key_lines(1 << 20, key_bytes)))
                d.wait_for(r"\.\.\. and \d+ more errors", start=start)
                worst.append(took)
            print(f"report: longest wait of a datagram sent during a failed reload: "
                  f"{waited * 1000:.1f} ms (2 MB key), "
                  f"{worst[0] * 1000:.1f} ms (1 MiB of 4,000-byte unknown keys), "
                  f"{worst[1] * 1000:.1f} ms (1 MiB of 60-byte unknown keys)")
            self.assertLess(max(worst), 0.1)
            self.assertEqual(d.stop(), 0)

    def memory_limited(self):
        if SANITIZED:
            return ()
        return ("sh", "-c", 'ulimit -v 1500000 && exec "$@"', "sh")


if __name__ == "__main__":
    harness.main()
