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

# Sent from a host process inside the container's network namespace: one datagram, one reply;
# from the source address and port of argv[4] and argv[5] when given.
CLIENT = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(float(sys.argv[3]))
if len(sys.argv) > 5:
    s.bind((sys.argv[4], int(sys.argv[5])))
s.sendto(bytes.fromhex(sys.argv[2]), ("127.0.0.1", int(sys.argv[1])))
try:
    print(s.recv(70000).hex())
except socket.timeout:
    print("timeout")
"""
# A bounded flood from one source address: argv[2] datagrams, no replies awaited.
FLOOD = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[3], 0))
for _ in range(int(sys.argv[2])):
    s.sendto(b"flood", ("127.0.0.1", int(sys.argv[1])))
"""
PORT = 5002  # the shipped config's port, and the .socket's
MESSAGE_IDS_HEADER = os.path.join(harness.SOURCE_ROOT, "src", "daemon", "systemd",
                                  "message_ids.hpp")
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
        # The journal catalog as meson installs it, for journalctl --update-catalog inside.
        catalogs = [os.path.join(root, name) for root, _, names in os.walk(dest)
                    for name in names if name == "udpechod.catalog"]
        self.assertEqual(len(catalogs), 1, f"installed catalogs: {catalogs}")
        self.catalog = "/" + os.path.relpath(catalogs[0], dest)
        self.assertIn(os.path.dirname(self.catalog),
                      ("/usr/lib/systemd/catalog", "/usr/local/lib/systemd/catalog"),
                      "journalctl reads catalogs from these two directories only")
        if self.catalog.startswith("/usr/local/"):
            tmpfs.append("/usr/local/lib")  # the host's /usr is read-only: room for the bind
        if config.startswith("/usr/"):
            tmpfs.append(os.path.dirname(os.path.dirname(config)))
        binds = [
            (os.path.join(dest, binary.lstrip("/")), binary),
            (os.path.dirname(self.config_on_host), os.path.dirname(config)),
            (self.paths["service"], "/etc/systemd/system/udpechod.service"),
            (self.paths["socket"], "/etc/systemd/system/udpechod.socket"),
            (preset, "/etc/systemd/system-preset/99-udpecho-test.preset"),
            (catalogs[0], self.catalog),
        ]
        self.started = time.monotonic()
        self.machine = Container(f"udpecho-test-{os.getpid()}-{os.urandom(3).hex()}",
                                 binds_ro=binds, tmpfs=tmpfs)
        self.addCleanup(self.machine.close)
        self.machine.wait_booted()
        self.booted = time.monotonic()

    def echo(self, payload, timeout=5, source=()):
        result = self.machine.run_in_network(
            [sys.executable, "-c", CLIENT, str(PORT), payload.hex(), str(timeout),
             *[str(part) for part in source]],
            timeout=timeout + 10)
        out = result.stdout.strip()
        self.assertNotEqual(out, "timeout", f"no reply to {payload!r} within {timeout}s")
        self.assertEqual(result.returncode, 0, result.stderr)
        return bytes.fromhex(out)

    def records(self, *matches, unit="udpechod.service"):
        """The journal entries of `unit` (all units for None) matching FIELD=VALUE, as dicts."""
        argv = ["journalctl", "--no-pager", "-o", "json", *matches]
        if unit:
            argv[1:1] = ["-u", unit]
        return [json.loads(line) for line in self.machine.run(argv).stdout.splitlines()
                if line.startswith("{")]

    def wait_records(self, *matches, unit="udpechod.service", what=None, timeout=20):
        """Polls until some entry matches; returns the matching entries."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.records(*matches, unit=unit)
            if found:
                return found
            self.assertLess(time.monotonic(), deadline,
                            f"no journal entry for {what or ' '.join(matches)} in {timeout}s")
            time.sleep(0.1)  # journald writes asynchronously; poll with a deadline

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

    def check_journal_fields(self):
        """Native journal entries: fields per datagram, a hostile payload that adds none,
        rate limiting by MESSAGE_ID, and the catalog's text under journalctl -x."""
        m = self.machine
        with open(MESSAGE_IDS_HEADER, encoding="utf-8") as f:
            self.ids = dict(re.findall(r'(\w+) = "([0-9a-f]{32})"', f.read()))

        # One datagram from 127.0.0.1 port 40123, found by its peer's fields.
        self.assertEqual(self.echo(b"fields", source=("127.0.0.1", 40123)),
                         b"server send data:fields")
        [entry] = self.wait_records("UDPECHO_PEER_ADDRESS=127.0.0.1", "UDPECHO_PEER_PORT=40123")
        print("report: journalctl -u udpechod UDPECHO_PEER_ADDRESS=127.0.0.1 "
              "UDPECHO_PEER_PORT=40123 -o json: " + json.dumps(entry, sort_keys=True))
        self.assertEqual((entry["UDPECHO_EVENT"], entry["UDPECHO_BYTES"]), ("datagram", "6"))
        self.assertEqual((entry["UDPECHO_LOCAL_ADDRESS"], entry["UDPECHO_LOCAL_PORT"]),
                         ("127.0.0.1", str(PORT)))
        self.assertEqual(entry["MESSAGE"], '127.0.0.1:40123 sent 6 bytes: "fields"')
        self.assertEqual((entry["PRIORITY"], entry["SYSLOG_IDENTIFIER"]), ("6", "udpechod"))
        self.assertNotIn("MESSAGE_ID", entry)
        self.assertNotIn("CODE_FILE", entry)
        own = {name for name in entry if name.startswith("UDPECHO_") or not name.startswith("_")}

        # A hostile payload: newlines that would start fields, a priority prefix, an escape
        # sequence, bytes that are not UTF-8. The entry has the same fields, with our values.
        hostile = (b"x\nUDPECHO_PEER_ADDRESS=192.0.2.99\nMESSAGE_ID=" + b"0" * 32
                   + b"\n<0>\x1b[2J\xff\xfe\n")
        self.echo(hostile, source=("127.0.0.1", 40124))
        [bad] = self.wait_records("UDPECHO_PEER_PORT=40124")
        self.assertEqual({name for name in bad
                          if name.startswith("UDPECHO_") or not name.startswith("_")}, own)
        self.assertEqual((bad["UDPECHO_PEER_ADDRESS"], bad["UDPECHO_BYTES"], bad["PRIORITY"]),
                         ("127.0.0.1", str(len(hostile)), "6"))
        self.assertNotIn("\n", bad["MESSAGE"])
        self.assertNotIn("\x1b", bad["MESSAGE"])
        self.assertIn(r"\nUDPECHO_PEER_ADDRESS=192.0.2.99\n", bad["MESSAGE"])
        self.assertEqual(self.records("UDPECHO_PEER_ADDRESS=192.0.2.99", unit=None), [])

        # A bounded flood from 127.0.9.1 (over the shipped rate_limit 100/s, burst 200) starts
        # rate limiting of 127.0.9.0/24; quiet afterwards, it stops.
        result = m.run_in_network([sys.executable, "-c", FLOOD, str(PORT), "1500", "127.0.9.1"])
        self.assertEqual(result.returncode, 0, result.stderr)
        [start] = self.wait_records(f"MESSAGE_ID={self.ids['rate_limit_start']}", unit=None,
                                    what="the start of rate limiting")
        print("report: journalctl MESSAGE_ID=" + self.ids["rate_limit_start"] + " -o json: "
              + json.dumps(start, sort_keys=True))
        self.assertEqual((start["UDPECHO_EVENT"], start["UDPECHO_PREFIX"], start["PRIORITY"]),
                         ("rate_limit_start", "127.0.9.0/24", "4"))
        [stop] = self.wait_records(f"MESSAGE_ID={self.ids['rate_limit_stop']}",
                                   what="the end of rate limiting")
        print("report: journalctl -u udpechod MESSAGE_ID=" + self.ids["rate_limit_stop"]
              + " -o json: " + json.dumps(stop, sort_keys=True))
        self.assertEqual((stop["UDPECHO_EVENT"], stop["UDPECHO_PREFIX"]),
                         ("rate_limit_stop", "127.0.9.0/24"))
        self.assertGreater(int(stop["UDPECHO_DROPPED"]), 0)

        # The catalog, installed with the unit, explains the event under journalctl -x.
        m.run(["journalctl", "--update-catalog"])
        explained = m.run(["journalctl", "--no-pager", "-x", "-u", "udpechod",
                           f"MESSAGE_ID={self.ids['rate_limit_start']}"]).stdout
        for line in explained.splitlines():
            print("report: journalctl -x: " + line)
        # journalctl marks catalog lines with "-- " or, since systemd 246, "░░ ".
        self.assertRegex(explained, r"(?m)^\S+ Subject: udpechod started rate limiting "
                                    r"127\.0\.9\.0/24$")
        self.assertRegex(explained, r"(?m)^\S+ Defined-By: udpecho$")
        self.assertIn("rate_exempt", explained)

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

        self.check_journal_fields()

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

        # Both reloads are found by their event, not by their text.
        reloads = self.records("UDPECHO_EVENT=reload")
        self.assertEqual(len(reloads), 1, reloads)
        self.assertTrue(reloads[0]["MESSAGE"].startswith("reloaded "), reloads)
        self.assertEqual(reloads[0]["MESSAGE_ID"], self.ids["reload"])
        failed = self.records("UDPECHO_EVENT=reload_failed")
        self.assertEqual(len(failed), 1, failed)
        self.assertTrue(failed[0]["MESSAGE"].startswith("reload failed: "), failed)
        self.assertEqual((failed[0]["PRIORITY"], failed[0]["MESSAGE_ID"]),
                         ("3", self.ids["reload_failed"]))

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
        # The stop entry has the summary's counters as fields.
        stop = self.records("UDPECHO_EVENT=stop")[-1]
        self.assertEqual(stop["MESSAGE_ID"], self.ids["stop"])
        self.assertEqual(stop["UDPECHO_SIGNAL"], "SIGTERM")
        self.assertGreaterEqual(int(stop["UDPECHO_DATAGRAMS"]), 1)
        self.assertIn("UDPECHO_DROPPED_RATE_LIMITED", stop)
        self.assertEqual(stop["UDPECHO_JOURNAL_RECORDS_DROPPED"], "0")

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
