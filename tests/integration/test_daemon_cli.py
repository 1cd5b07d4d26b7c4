"""udpechod's command line: help, version, usage errors, overrides and bind failures."""

import re
import socket

import harness
from harness import UDPECHOD, Daemon, exchange, run


class CommandLineTest(harness.unittest.TestCase):
    def test_help_lists_every_option(self):
        result = run([UDPECHOD, "--help"])
        self.assertEqual(result.returncode, 0)
        for option in ("--config", "--bind", "--port", "--log-level", "--log-target",
                       "--check-config", "--version", "--help"):
            self.assertIn(option, result.stdout)
        self.assertIn("78", result.stdout)

    def test_version(self):
        result = run([UDPECHOD, "--version"])
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"^udpechod \d+\.\d+\.\d+\n$")

    def test_usage_errors_exit_64(self):
        cases = {
            ("--bogus",): "unknown option '--bogus'",
            ("--port",): "option '--port' needs a value",
            ("--port", "70000"): "--port: '70000' is not a port (0-65535)",
            ("--bind", "localhost"): "--bind: 'localhost' is not an IPv4 or IPv6 address",
            ("--log-level", "loud"): "--log-level: 'loud' is not a log level",
            ("--log-target", "syslog"): "--log-target: 'syslog' is not auto, journal or stderr",
            ("--help=yes",): "option '--help' takes no value",
            ("stray",): "unexpected argument 'stray'",
        }
        for args, message in cases.items():
            with self.subTest(args=args):
                result = run([UDPECHOD, *args])
                self.assertEqual(result.returncode, 64)
                self.assertIn(message, result.stderr)
                self.assertIn("--help", result.stderr)

    def test_command_line_overrides_the_file(self):
        port = harness.free_udp_port()
        with Daemon("bind = 127.0.0.1\nport = 1\nlog_level = error\n",
                    args=["--bind=127.0.0.1", "--port", str(port), "--log-level", "info"]) as d:
            self.assertEqual(d.endpoints, [("127.0.0.1", port)])
            self.assertEqual(exchange(d.address, b"x")[0], b"server send data:x")
            self.assertEqual(d.stop(), 0)

    def test_port_in_use_exits_1_naming_address_and_reason(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
            taken.bind(("127.0.0.1", 0))
            port = taken.getsockname()[1]
            with Daemon(f"port = {port}\n", wait_ready=False) as d:
                self.assertEqual(d.wait_exit(), 1)
                d.wait_for(rf"cannot listen on 127\.0\.0\.1:{port}: Address already in use")

    def test_address_not_on_this_host_exits_1(self):
        # 192.0.2.1 (TEST-NET-1) is on no interface here; bind() fails without sending anything.
        with Daemon("bind = 192.0.2.1\nport = 0\n", wait_ready=False) as d:
            self.assertEqual(d.wait_exit(), 1)
            d.wait_for(r"cannot listen on 192\.0\.2\.1:0: Cannot assign requested address")

    def test_startup_lines(self):
        with Daemon("bind = 127.0.0.1, ::1\nport = 0\n") as d:
            d.wait_for(r"udpechod \d+\.\d+\.\d+ starting; configuration from " + re.escape(d.config_path))
            d.wait_for(r"port 0: the kernel chose port \d+")
            self.assertEqual(d.endpoints, [("127.0.0.1", d.port), ("::1", d.port)])
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    harness.main()
