"""Static checks of the installed systemd units: where meson installs them, what
`systemd-analyze verify` says (nothing), and their `systemd-analyze security` exposure."""

import os
import re
import shutil
import tempfile

import harness

ANALYZE = shutil.which("systemd-analyze")
# 0-100 scale: 11 is the 1.1 that `systemd-analyze security` prints.
EXPOSURE_THRESHOLD = 11


@harness.unittest.skipUnless(ANALYZE, "systemd-analyze is not installed (package systemd)")
class UnitFilesTest(harness.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="udpechod-install-")
        cls.destdir = cls.tmp.name
        cls.paths = harness.install_tree(cls.destdir)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def installed(self, path):
        return os.path.join(self.destdir, path.lstrip("/"))

    def test_everything_is_installed_where_the_unit_says(self):
        self.assertTrue(os.access(self.installed(self.paths["binary"]), os.X_OK))
        self.assertTrue(os.path.isfile(self.installed(self.paths["config"])))
        self.assertTrue(self.paths["config"].endswith("/udpechod/udpechod.conf"))
        self.assertTrue(os.path.isfile(self.paths["socket"]))
        with open(self.paths["service"], encoding="utf-8") as f:
            unit = f.read()
        for line in ("Type=notify", "ExecReload=kill -HUP $MAINPID", "Restart=on-failure",
                     "RestartPreventExitStatus=64 78", "DynamicUser=yes", "CapabilityBoundingSet=",
                     "SystemCallFilter=@system-service",
                     "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"):
            self.assertRegex(unit, rf"(?m)^{re.escape(line)}$")
        self.assertRegex(unit, r"(?m)^WatchdogSec=\d+")
        self.assertNotRegex(unit, r"@\w+@", "an unfilled @placeholder@")
        with open(self.paths["socket"], encoding="utf-8") as f:
            self.assertRegex(f.read(), r"(?m)^ListenDatagram=5002$")

    def test_verify_prints_nothing(self):
        # verify checks that ExecStart's binary exists. It is installed under the destdir, not
        # at its path on this machine, so copies of the units whose ExecStart names the installed
        # file are verified; nothing is mounted, and any --prefix works (/usr as in the package).
        binary = self.paths["binary"]
        units = os.path.join(self.destdir, "verify")
        os.makedirs(units)
        for name in ("service", "socket"):
            with open(self.paths[name], encoding="utf-8") as f:
                text = f.read()
            if name == "service":
                text, count = re.subn(rf"(?m)^ExecStart={re.escape(binary)} ",
                                      f"ExecStart={self.installed(binary)} ", text)
                self.assertEqual(count, 1, text)
            with open(os.path.join(units, os.path.basename(self.paths[name])), "w",
                      encoding="utf-8") as f:
                f.write(text)
        result = harness.run([ANALYZE, "verify", os.path.join(units, "udpechod.service"),
                              os.path.join(units, "udpechod.socket")], timeout=60)
        # verify exits 0 even for unknown keys; anything it prints is a finding.
        self.assertEqual(result.stdout + result.stderr, "")
        self.assertEqual(result.returncode, 0)

    def test_security_exposure_is_at_most_1_1(self):
        result = harness.run([ANALYZE, "security", "--offline=yes",
                              f"--threshold={EXPOSURE_THRESHOLD}", self.paths["service"]],
                             timeout=60)
        m = re.search(r"Overall exposure level for udpechod\.service: (\d+\.\d+)", result.stdout)
        self.assertIsNotNone(m, result.stdout + result.stderr)
        print(f"report: systemd-analyze security --offline=yes: udpechod.service exposure "
              f"{m.group(1)} (must be <= {EXPOSURE_THRESHOLD / 10})")
        findings = [line for line in result.stdout.splitlines() if line.startswith("\u2717")]
        print("report:   not set: " + "; ".join(re.sub(r"\s{2,}.*", "", f)[2:] for f in findings))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertLessEqual(float(m.group(1)) * 10, EXPOSURE_THRESHOLD)


if __name__ == "__main__":
    harness.main()
