"""The config file as the daemon reads it: errors with FILE:LINE, --check-config, defaults."""

import os

import harness
from harness import UDPECHOD, Daemon, exchange, run


class ConfigTest(harness.unittest.TestCase):
    def write(self, tmpdir, text):
        path = os.path.join(tmpdir, "udpechod.conf")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_bad_config_exits_78_naming_file_and_line(self):
        with harness.tempfile.TemporaryDirectory() as tmp:
            path = self.write(tmp, "# comment\nbind = 127.0.0.1\nport = 70000\n")
            result = run([UDPECHOD, "--config", path])
            self.assertEqual(result.returncode, 78)
            self.assertIn(f"{path}:3: port: '70000' is not a port (0-65535)", result.stdout + result.stderr)

    def test_check_config_good(self):
        with harness.tempfile.TemporaryDirectory() as tmp:
            path = self.write(tmp, "port = 0\n")
            result = run([UDPECHOD, "--check-config", "--config", path])
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("configuration OK", result.stdout)

    def test_check_config_lists_every_error(self):
        with harness.tempfile.TemporaryDirectory() as tmp:
            path = self.write(tmp, "prot = 5002\nport = 1\nport = 2\nlog_level = loud\nnonsense\n")
            result = run([UDPECHOD, "--check-config", "--config", path])
            self.assertEqual(result.returncode, 78)
            errors = result.stderr.splitlines()
            self.assertEqual(errors, [
                f"{path}:1: unknown key 'prot' (did you mean 'port'?)",
                f"{path}:3: port: set twice (first on line 2)",
                f"{path}:4: log_level: 'loud' is not a log level "
                "(trace, debug, info, warning, error, critical or off)",
                f"{path}:5: expected 'key = value', got 'nonsense'",
            ])

    def test_shipped_config_is_valid(self):
        path = os.path.join(harness.SOURCE_ROOT, "config", "udpechod.conf")
        result = run([UDPECHOD, "--check-config", "--config", path])
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_explicit_missing_config_is_an_error(self):
        result = run([UDPECHOD, "--config", "/nonexistent/udpechod.conf", "--check-config"])
        self.assertEqual(result.returncode, 78)
        self.assertIn("/nonexistent/udpechod.conf: cannot open: No such file or directory",
                      result.stderr)

    def test_missing_default_config_means_defaults(self):
        if os.path.exists("/etc/udpechod/udpechod.conf"):
            self.skipTest("/etc/udpechod/udpechod.conf exists on this machine")
        with Daemon(config=None, args=["--port", "0"]) as d:
            d.wait_for(r"configuration from built-in defaults \(/etc/udpechod/udpechod.conf does "
                       r"not exist\)")
            self.assertEqual(d.address, ("127.0.0.1", d.port))
            self.assertEqual(exchange(d.address, b"hello")[0], b"server send data:hello")
            self.assertEqual(d.stop(), 0)

    def test_quoted_prefix_keeps_spaces(self):
        with Daemon('port = 0\nreply_prefix = "  echo: "  # two spaces each side\n') as d:
            self.assertEqual(exchange(d.address, b"x")[0], b"  echo: x")
            self.assertEqual(d.stop(), 0)

    def test_log_payload_bytes_limits_the_preview(self):
        with Daemon("port = 0\nlog_payload_bytes = 4\n") as d:
            exchange(d.address, b"abcdefgh")
            d.wait_for(r'sent 8 bytes: "abcd\.\.\."')
            self.assertEqual(d.stop(), 0)

    def test_log_level_warning_is_quiet(self):
        port = harness.free_udp_port()
        with Daemon(f"port = {port}\nlog_level = warning\n", wait_ready=False) as d:
            # Nothing is logged at info, so there is no readiness line: a reply is the signal.
            reply = harness.exchange_until_answered(("127.0.0.1", port), b"quiet")
            self.assertEqual(reply, b"server send data:quiet")
            self.assertEqual(d.stop(), 0)
            self.assertEqual(d.log(), [])


if __name__ == "__main__":
    harness.main()
