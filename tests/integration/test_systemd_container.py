"""The installed units under a real systemd: a container booted with systemd-nspawn from the
host's own /usr, checked with systemctl and journalctl from inside.

Every check of issue "Run under systemd" runs against the unit and config as `meson install`
writes them: readiness, status, sandbox, echo, journal, reload (good and broken), restart after
SIGKILL, the watchdog, stop, and socket activation.
"""

import json
import os
import re
import shutil
import sys
import tempfile
import time

import harness
from systemd_container import Container

# Sent from a host process inside the container's network namespace: one datagram, one reply.
CLIENT = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(float(sys.argv[3]))
s.sendto(bytes.fromhex(sys.argv[2]), ("127.0.0.1", int(sys.argv[1])))
try:
    print(s.recv(70000).hex())
except socket.timeout:
    print("timeout")
"""
PORT = 5002  # the shipped config's port, and the .socket's
DYNAMIC_UIDS = range(61184, 65520)  # systemd's range for DynamicUser=


def skip_reason():
    if os.environ.get("UDPECHO_SANITIZE", "none") != "none":
        return ("runs in the plain build: the sanitizer runtime's leak check needs ptrace() at "
                "exit, which the unit's SystemCallFilter= denies")
    if os.geteuid() != 0:
        return "needs root to boot a systemd-nspawn container (CI runs as root)"
    return None


@harness.unittest.skipIf(skip_reason(), skip_reason() or "")
class SystemdContainerTest(harness.unittest.TestCase):
    def setUp(self):
        self.assertIsNotNone(shutil.which("systemd-nspawn"),
                             "systemd-nspawn is missing: scripts/install-deps test installs "
                             "systemd-container")
        self.tmp = tempfile.TemporaryDirectory(prefix="udpechod-nspawn-")
        self.addCleanup(self.tmp.cleanup)
        dest = os.path.join(self.tmp.name, "dest")
        self.paths = harness.install_tree(dest)
        binary, config = self.paths["binary"], self.paths["config"]
        if os.path.dirname(binary) in ("/usr/bin", "/usr/sbin", "/bin", "/sbin"):
            self.skipTest(f"{binary}: covering the host's own bin directory would break the "
                          "container; configure with a prefix like /usr/local (the default)")
        self.config_on_host = os.path.join(dest, config.lstrip("/"))
        with open(self.paths["service"], encoding="utf-8") as f:
            self.watchdog_sec = int(re.search(r"(?m)^WatchdogSec=(\d+)s$", f.read()).group(1))
        preset = os.path.join(self.tmp.name, "99-udpecho-test.preset")
        with open(preset, "w", encoding="utf-8") as f:
            f.write("disable *\n")  # an empty /etc would otherwise enable all the host's services
        tmpfs = [os.path.dirname(binary)]
        if config.startswith("/usr/"):
            tmpfs.append(os.path.dirname(os.path.dirname(config)))
        binds = [
            (os.path.join(dest, binary.lstrip("/")), binary),
            (os.path.dirname(self.config_on_host), os.path.dirname(config)),
            (self.paths["service"], "/etc/systemd/system/udpechod.service"),
            (self.paths["socket"], "/etc/systemd/system/udpechod.socket"),
            (preset, "/etc/systemd/system-preset/99-udpecho-test.preset"),
        ]
        self.started = time.monotonic()
        self.machine = Container(f"udpecho-test-{os.getpid()}-{os.urandom(3).hex()}",
                                 binds_ro=binds, tmpfs=tmpfs)
        self.addCleanup(self.machine.close)
        self.machine.wait_booted()
        self.booted = time.monotonic()

    def echo(self, payload, timeout=5):
        result = self.machine.run_in_network(
            [sys.executable, "-c", CLIENT, str(PORT), payload.hex(), str(timeout)],
            timeout=timeout + 10)
        out = result.stdout.strip()
        self.assertNotEqual(out, "timeout", f"no reply to {payload!r} within {timeout}s")
        self.assertEqual(result.returncode, 0, result.stderr)
        return bytes.fromhex(out)

    def write_config(self, text):
        with open(self.config_on_host, "w", encoding="utf-8") as f:
            f.write(text)

    def reload_and_wait(self, pattern):
        before = len(self.machine.journal("udpechod.service", "-o", "cat").splitlines())
        self.machine.systemctl("reload", "udpechod.service")
        # kill -HUP returns before the daemon has read the file; its log line says it has.
        deadline = time.monotonic() + 20
        while True:
            lines = self.machine.journal("udpechod.service", "-o", "cat").splitlines()[before:]
            if any(re.search(pattern, line) for line in lines):
                return lines
            self.assertLess(time.monotonic(), deadline, f"no {pattern!r} after reload: {lines}")
            time.sleep(0.1)  # journald has no wait-for-line; poll with a deadline

    def test_installed_unit_under_systemd(self):
        m = self.machine
        unit = "udpechod.service"
        with open(self.config_on_host, encoding="utf-8") as f:
            shipped = f.read()

        # start returns only once the daemon said READY=1: the first datagram is answered.
        m.systemctl("start", unit)
        state = m.show(unit, "ActiveState", "SubState", "Type", "StatusText", "MainPID")
        self.assertEqual((state["ActiveState"], state["SubState"], state["Type"]),
                         ("active", "running", "notify"))
        self.assertRegex(state["StatusText"],
                         rf"^127\.0\.0\.1:{PORT} \u00b7 \d+ datagrams? from \d+ peers?$")
        self.assertEqual(self.echo(b"hello"), b"server send data:hello")
        m.wait_journal(unit, r"^ready: serving 1 socket$")

        # The sandbox: a dynamic user, no capabilities, no new privileges, seccomp filtering.
        pid = state["MainPID"]
        status = dict(line.split(":", 1) for line in
                      m.run(["cat", f"/proc/{pid}/status"]).stdout.splitlines() if ":" in line)
        uids = [int(uid) for uid in status["Uid"].split()]
        self.assertTrue(all(uid in DYNAMIC_UIDS for uid in uids), f"Uid: {uids}")
        # systemd's own record of the dynamic users it allocated (the volatile /etc has no
        # nsswitch.conf for getent to ask it).
        self.assertEqual(m.run(["readlink", f"/run/systemd/dynamic-uid/direct:{uids[0]}"]).stdout,
                         "udpechod\n")
        for field in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            self.assertEqual(int(status[field], 16), 0, f"{field}: {status[field]}")
        self.assertEqual(status["NoNewPrivs"].strip(), "1")
        self.assertEqual(status["Seccomp"].strip(), "2")  # SECCOMP_MODE_FILTER

        # The journal has the peer's ADDR:PORT line at priority info.
        m.wait_journal(unit, r'^127\.0\.0\.1:\d+ sent 5 bytes: "hello"$')
        records = [json.loads(line) for line in
                   m.journal(unit, "-o", "json").splitlines() if line.startswith("{")]
        hello = [r for r in records if re.fullmatch(r'127\.0\.0\.1:\d+ sent 5 bytes: "hello"',
                                                    str(r.get("MESSAGE")))]
        self.assertEqual([r["PRIORITY"] for r in hello], ["6"])

        # reload applies a new reply_prefix.
        good = shipped.replace('reply_prefix = "server send data:"', 'reply_prefix = "reloaded:"')
        self.assertNotEqual(good, shipped)
        self.write_config(good)
        self.reload_and_wait(r"^reloaded ")
        self.assertEqual(self.echo(b"x"), b"reloaded:x")

        # A broken config is reported with FILE:LINE; the service stays up with the old replies.
        self.write_config(good + "prot = 5\n")
        lines = self.reload_and_wait(r"^reload failed")
        self.assertTrue(any(re.search(r"udpechod\.conf:\d+: unknown key 'prot'", line)
                            for line in lines), lines)
        self.assertEqual(m.show(unit, "ActiveState")["ActiveState"], "active")
        self.assertEqual(self.echo(b"y"), b"reloaded:y")
        self.write_config(good)

        # SIGKILL of the main process: systemd restarts it, and the echo works again.
        m.systemctl("kill", "--kill-whom=main", "--signal=SIGKILL", unit)
        restarted = m.wait_show(
            unit, lambda s: s["NRestarts"] == "1" and s["ActiveState"] == "active"
            and s["MainPID"] not in ("0", pid), "a restart after SIGKILL",
            properties=("NRestarts", "ActiveState", "MainPID"))
        self.assertEqual(self.echo(b"z"), b"reloaded:z")

        # The watchdog does not fire while idle: same process after 2 x WatchdogSec, and the
        # manager saw pings during the wait.
        before = m.show(unit, "WatchdogTimestampMonotonic", "WatchdogUSec")
        self.assertEqual(int(before["WatchdogUSec"].rstrip("s")), self.watchdog_sec)
        time.sleep(2 * self.watchdog_sec)  # the check is that nothing happens for this long
        after = m.show(unit, "NRestarts", "ActiveState", "MainPID", "WatchdogTimestampMonotonic")
        self.assertEqual((after["NRestarts"], after["ActiveState"], after["MainPID"]),
                         ("1", "active", restarted["MainPID"]))
        self.assertGreater(int(after["WatchdogTimestampMonotonic"]),
                           int(before["WatchdogTimestampMonotonic"]))
        self.assertNotIn("Watchdog timeout", m.run(["journalctl", "--no-pager", "-b"]).stdout)

        # stop ends cleanly.
        m.systemctl("stop", unit)
        stopped = m.show(unit, "Result", "ActiveState", "ExecMainStatus")
        self.assertEqual((stopped["Result"], stopped["ActiveState"], stopped["ExecMainStatus"]),
                         ("success", "inactive", "0"))

        # Socket activation: with only the .socket started, the first datagram starts the
        # service and gets its reply.
        m.systemctl("start", "udpechod.socket")
        self.assertEqual(m.show(unit, "ActiveState")["ActiveState"], "inactive")
        self.assertEqual(self.echo(b"first", timeout=10), b"reloaded:first")
        self.assertEqual(m.show(unit, "ActiveState")["ActiveState"], "active")
        m.wait_journal(unit, r"^socket activation: serving 1 socket passed by the service manager")
        m.wait_journal(unit, rf"^listening on \[::\]:{PORT}$")
        m.systemctl("stop", "udpechod.socket", unit)

        done = time.monotonic()
        print(f"report: real-systemd container test: boot {self.booted - self.started:.1f} s, "
              f"checks {done - self.booted:.1f} s (of which {2 * self.watchdog_sec} s is the "
              f"idle watchdog wait), total {done - self.started:.1f} s")


if __name__ == "__main__":
    harness.main()
