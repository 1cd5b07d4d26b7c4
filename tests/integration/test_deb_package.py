"""The Debian package: built with dpkg-buildpackage from a copy of the tree, clean under lintian,
holding the expected files, and behaving in a booted bookworm systemd container the way Debian
administrators expect on install, reinstall with a locally edited conffile, remove and purge."""

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import debian_rootfs
import harness
from harness import SOURCE_ROOT
from project_tree import copy_tree
from systemd_container import Container

PACKAGE = "udpecho"
HAS_CATALOG = os.path.exists(os.path.join(SOURCE_ROOT, "systemd", "udpechod.catalog"))
RATE_LIMIT_START_ID = "9506186ac903421088af99fdb8aadb74"  # src/daemon/systemd/message_ids.hpp
INSIDE = "/srv/udpecho-deb"
# A tiny UDP client run in the container's network namespace: one datagram, then the reply (hex),
# "refused", or "silent".
UDP_PROBE = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
s.connect(("127.0.0.1", int(sys.argv[1])))
for attempt in range(6):
    try:
        s.send(sys.argv[2].encode())
        print(s.recv(70000).hex())
        break
    except ConnectionRefusedError:
        print("refused")
        break
    except socket.timeout:
        continue
else:
    print("silent")
"""


class DebianPackage(harness.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="udpecho-deb-")
        source = os.path.join(cls.work, "udpecho")
        copy_tree(source)
        # README's command as README writes it: with the tests debian/rules runs, and nothing in
        # the environment that would change what it does.
        env = {k: v for k, v in os.environ.items()
               if k not in ("DEB_BUILD_OPTIONS", "DEB_BUILD_PROFILES", "MAKEFLAGS")
               and not k.startswith(("UDPECHO", "MESON"))}
        started = time.monotonic()
        build = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=source, env=env,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=1800)
        if build.returncode != 0:
            raise AssertionError("dpkg-buildpackage failed:\n" + build.stdout[-6000:]
                                 + build.stderr[-4000:])
        tests = re.search(r"(?m)^Ok:\s+(\d+)\s*$.*?^Fail:\s+(\d+)\s*$.*?^Skipped:\s+(\d+)",
                          build.stdout, re.DOTALL)
        if tests is None:
            raise AssertionError("dpkg-buildpackage ran no tests (dh_auto_test):\n"
                                 + build.stdout[-4000:])
        print(f"report: deb: dpkg-buildpackage -us -uc -b took {time.monotonic() - started:.0f} s; "
              f"its tests (dh_auto_test): {tests.group(1)} ok, {tests.group(2)} failed, "
              f"{tests.group(3)} skipped")
        cls.deb = glob.glob(os.path.join(cls.work, f"{PACKAGE}_*.deb"))[0]
        cls.changes = glob.glob(os.path.join(cls.work, f"{PACKAGE}_*.changes"))[0]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def field(self, name):
        return subprocess.run(["dpkg-deb", "-f", self.deb, name], capture_output=True,
                              text=True).stdout.strip()

    def test_0_build_depends_cover_the_build_packages(self):
        # What scripts/install-deps installs to build must also be what the package build asks
        # for, or a build on a clean machine fails where the test command passed.
        with open(os.path.join(SOURCE_ROOT, "debian", "control"), encoding="utf-8") as f:
            control = f.read()
        field = re.search(r"^Build-Depends:(.*?)^\S", control, re.MULTILINE | re.DOTALL).group(1)
        declared = {re.split(r"[\s(<\[]", item.strip())[0] for item in field.split(",")}
        with open(os.path.join(SOURCE_ROOT, "scripts", "packages-build.txt"),
                  encoding="utf-8") as f:
            wanted = {line.split("#")[0].strip() for line in f} - {""}
        # g++ comes with build-essential, which dpkg-buildpackage always assumes.
        self.assertEqual(sorted(wanted - declared - {"g++"}), [],
                         "in scripts/packages-build.txt but not in Build-Depends")
        # The package version is the project's version (native package).
        with open(os.path.join(SOURCE_ROOT, "meson.build"), encoding="utf-8") as f:
            project_version = re.search(r"version: '([^']+)'", f.read()).group(1)
        with open(os.path.join(SOURCE_ROOT, "debian", "changelog"), encoding="utf-8") as f:
            package_version = re.match(r"udpecho \(([^)]+)\)", f.readline()).group(1)
        self.assertEqual(package_version, project_version)

    def test_1_lintian_reports_no_errors_or_warnings(self):
        result = subprocess.run(["lintian", "--fail-on", "error,warning", "--display-info",
                                 "--show-overrides", self.changes],
                                capture_output=True, text=True, timeout=600)
        output = "\n".join(line for line in result.stdout.splitlines()
                           if "running with root privileges" not in line)
        print("report: deb: lintian --display-info --show-overrides "
              + os.path.basename(self.changes) + ":")
        for line in output.splitlines() or ["(no output)"]:
            print("report: deb:   " + line)
        problems = [line for line in output.splitlines() if re.match(r"[EW]: ", line)]
        self.assertEqual(problems, [])
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_2_file_list(self):
        listing = subprocess.run(["dpkg-deb", "-c", self.deb], capture_output=True, text=True,
                                 check=True).stdout
        files = {line.split()[-1].lstrip(".") for line in listing.splitlines()
                 if not line.startswith("d")}
        expected = {
            "/usr/bin/udpechod", "/etc/udpechod/udpechod.conf",
            "/usr/share/man/man8/udpechod.8.gz", "/usr/share/man/man5/udpechod.conf.5.gz",
            "/usr/share/man/man1/udpecho.1.gz", "/usr/share/doc/udpecho/copyright",
            "/usr/share/doc/udpecho/changelog.gz", "/usr/bin/udpecho",
        }
        if HAS_CATALOG:
            expected.add("/usr/lib/systemd/catalog/udpechod.catalog")
        units = {os.path.basename(f) for f in files if "/systemd/system/" in f}
        self.assertEqual(sorted(expected - files), [], "missing from the package")
        self.assertEqual(units, {"udpechod.service", "udpechod.socket"})
        unexpected = files - expected - {f for f in files if "/systemd/system/" in f}
        self.assertEqual(sorted(unexpected), [], "unexpected files in the package")
        control = tempfile.mkdtemp(dir=self.work)
        subprocess.run(["dpkg-deb", "-e", self.deb, control])
        with open(os.path.join(control, "conffiles"), encoding="utf-8") as f:
            self.assertEqual(f.read().split(), ["/etc/udpechod/udpechod.conf"])
        print(f"report: deb: {os.path.basename(self.deb)}: {len(files)} files; Depends: {self.field('Depends')}")

    def test_3_in_a_booted_bookworm_container(self):
        root = debian_rootfs.tree_with(self.field("Depends"))
        deb = f"{INSIDE}/{os.path.basename(self.deb)}"
        box = Container(f"udpecho-deb-{os.getpid()}", root=root, volatile="overlay",
                        binds_ro=[(os.path.dirname(self.deb), INSIDE)])
        self.addCleanup(box.close)
        started = time.monotonic()
        box.wait_booted(timeout=120)
        print(f"report: deb: bookworm container booted in {time.monotonic() - started:.1f} s")

        def unit(prop, name="udpechod.service"):
            return box.run(["systemctl", "show", "-P", prop, name]).stdout.strip()

        def query(*argv):  # a command whose exit status is part of the answer
            return box.run(list(argv), check=False)

        def echo(payload):
            result = box.run_in_network([sys.executable, "-c", UDP_PROBE, "5002", payload])
            out = result.stdout.strip()
            return out if out in ("refused", "silent") else bytes.fromhex(out)

        # Install: enabled and started the Debian way, by the maintainer scripts.
        box.run(["dpkg", "-i", deb], timeout=120)
        self.assertEqual(query("systemctl", "is-enabled", "udpechod.service").stdout.strip(),
                         "enabled")
        self.assertEqual(unit("ActiveState"), "active")
        # The socket unit is an alternative the administrator chooses; it must stay off.
        self.assertEqual(query("systemctl", "is-enabled", "udpechod.socket").stdout.strip(),
                         "disabled")
        self.assertEqual(unit("ActiveState", "udpechod.socket"), "inactive")
        self.assertEqual(echo("hello from the container"),
                         b"server send data:hello from the container")
        first_pid = unit("MainPID")

        # systemd's dpkg trigger on /usr/lib/systemd/catalog indexed the catalog on install.
        if HAS_CATALOG:
            listed = box.run(["journalctl", "--list-catalog", RATE_LIMIT_START_ID]).stdout
            self.assertIn("udpechod started rate limiting", listed)

        # The man pages are installed and readable with man(1).
        page = box.run(["man", "udpechod"]).stdout
        self.assertIn("udpechod.conf(5)", page)
        self.assertIn("SIGHUP", page)
        conf_page = box.run(["man", "5", "udpechod.conf"]).stdout
        self.assertIn("reply_prefix", conf_page)

        # A locally edited conffile survives a reinstall, and the restarted service uses it.
        conf = "/etc/udpechod/udpechod.conf"
        box.run(["sed", "-i", r's/^reply_prefix = .*/reply_prefix = "edited by admin:"/', conf],
                check=True)
        box.run(["apt-get", "install", "-y", "-q", "--reinstall", deb], timeout=120)
        self.assertIn('reply_prefix = "edited by admin:"',
                      box.run(["cat", conf]).stdout)
        leftovers = box.run(["sh", "-c", "ls /etc/udpechod/"]).stdout.split()
        self.assertEqual(leftovers, ["udpechod.conf"])
        self.assertEqual(unit("ActiveState"), "active")
        self.assertNotEqual(unit("MainPID"), first_pid, "not restarted after the reinstall")
        self.assertEqual(echo("after reinstall"), b"edited by admin:after reinstall")

        # Remove: stopped and disabled; the conffile stays until purge.
        box.run(["apt-get", "remove", "-y", "-q", PACKAGE], timeout=120)
        self.assertNotEqual(unit("ActiveState"), "active")
        self.assertNotEqual(query("systemctl", "is-enabled", "udpechod.service").stdout.strip(),
                            "enabled")
        self.assertEqual(query("pgrep", "-x", "udpechod").stdout, "")
        self.assertEqual(echo("anyone there?"), "refused")
        self.assertEqual(query("test", "-f", conf).returncode, 0)
        status = box.run(["dpkg-query", "-W", "-f=${Status}", PACKAGE]).stdout
        self.assertEqual(status, "deinstall ok config-files")

        # Purge: the config and every trace of enablement are gone.
        box.run(["apt-get", "purge", "-y", "-q", PACKAGE], timeout=120)
        self.assertNotEqual(query("test", "-e", "/etc/udpechod").returncode, 0)
        wants = query("sh", "-c", "ls /etc/systemd/system/*.wants/ 2>/dev/null").stdout
        self.assertNotIn("udpechod", wants)
        print("report: deb: in the container: installed, enabled, running and answering; man udpechod works; "
              "edited conffile kept across reinstall; stopped and disabled after remove; "
              "config gone after purge")


if __name__ == "__main__":
    # meson test stops a test that runs too long with SIGTERM: turn it into an exception, so that
    # the cleanups still power off and remove the container.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    harness.main()
