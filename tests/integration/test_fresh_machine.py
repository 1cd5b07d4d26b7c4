"""README's first command on a bare Debian 12, the way a new user meets it.

The debootstrapped bookworm tree that the package test also uses (debian_rootfs, one cache) runs
as a container on a throw-away overlay, with nothing installed but what debootstrap gave it. It
shares the host's network, because apt inside needs the mirror the tree came from. In a copy of
the project it runs README's first command exactly as README writes it; the daemon must print
its ready line and answer a datagram byte for byte, sent from the host to 127.0.0.1 (the same
network namespace). Then, in the same container, a copy with a syntax error in one source file
must make the same command fail, and show the compiler's error.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import debian_rootfs
import harness
from harness import SOURCE_ROOT
from project_tree import copy_tree
from systemd_container import INSIDE_ENV, _children, _comm

MOUNTED = "/mnt/udpecho"  # the host's copy of the project, read-only inside
ADDRESS = ("127.0.0.1", 5002)  # what config/udpechod.conf says
PREFIX = b"server send data:"
BROKEN_FILE = "src/common/escape.cpp"  # the first file ninja compiles: the failure comes soon
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def package_list(purpose):
    """The packages of scripts/packages-PURPOSE.txt, in order."""
    path = os.path.join(SOURCE_ROOT, "scripts", f"packages-{purpose}.txt")
    with open(path, encoding="utf-8") as f:
        return [line.split("#")[0].strip() for line in f if line.split("#")[0].strip()]


def readme_setup_section():
    with open(os.path.join(SOURCE_ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    return readme.split("## Set-up on a fresh Debian 12 machine", 1)[1].split("\n## ", 1)[0]


def readme_first_command():
    """The first command of README's set-up section, as README writes it."""
    return re.search(r"```sh\n(.+?)\n```", readme_setup_section(), re.DOTALL).group(1).strip()


def installed_packages(root):
    """Names of the packages dpkg lists as installed in the tree at `root`."""
    with open(os.path.join(root, "var/lib/dpkg/status"), encoding="utf-8") as f:
        stanzas = f.read().split("\n\n")
    return {re.search(r"(?m)^Package: (\S+)", s).group(1) for s in stanzas
            if "\nStatus: install ok installed" in "\n" + s}


def skip_reason():
    if os.geteuid() != 0:
        return "needs root to run a systemd-nspawn container (CI runs as root)"
    return None


class Console:
    """The container's output (stdout and stderr), collected line by line."""

    def __init__(self, proc):
        self.proc = proc
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            with self.cond:
                self.lines.append(ANSI.sub("", raw.decode("utf-8", "replace")).rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def text(self):
        with self.cond:
            return "\n".join(self.lines)

    def wait_for(self, pattern, timeout):
        """Waits for a line matching `pattern`; fails with the output when the container exits
        or the time is up first."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    m = regex.search(line)
                    if m:
                        return m
                remaining = deadline - time.monotonic()
                if self.proc.poll() is not None or remaining <= 0:
                    reason = ("the container exited" if self.proc.poll() is not None
                              else f"{timeout:.0f} s passed")
                    raise AssertionError(f"no line matched {pattern!r}; {reason}:\n"
                                         + "\n".join(self.lines[-80:]))
                self.cond.wait(remaining)  # woken by each new line and by the end of output


class ReadmeSetUpTest(harness.unittest.TestCase):
    def test_readme_names_what_each_command_installs(self):
        words = {w.rstrip(".") for w in re.findall(r"[\w.+-]+", readme_setup_section())}
        for purpose in ("build", "test"):
            self.assertEqual([p for p in package_list(purpose) if p not in words], [],
                             f"scripts/packages-{purpose}.txt names packages README does not")
        self.assertIn("sudo", readme_setup_section())


@harness.unittest.skipIf(skip_reason(), skip_reason() or "")
class FreshMachineTest(harness.unittest.TestCase):
    def setUp(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(ADDRESS)
            except OSError as error:
                self.fail(f"{ADDRESS[0]}:{ADDRESS[1]} is taken on this machine ({error}); README's "
                          "command serves there, in the host's network: stop what holds it")
        self.tmp = tempfile.TemporaryDirectory(prefix="udpecho-fresh-")
        self.addCleanup(self.tmp.cleanup)
        self.copy = os.path.join(self.tmp.name, "udpecho")
        copy_tree(self.copy)
        self.root = debian_rootfs.ensure_rootfs()
        self.name = f"udpecho-fresh-{os.getpid()}"
        self.proc = None

    def tearDown(self):
        if self.proc is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        self.proc.stdout.close()
        shutil.rmtree(f"/run/systemd/nspawn/propagate/{self.name}", ignore_errors=True)

    def start(self, command):
        """Runs `command` in a copy of the project inside a new container on an overlay."""
        script = f"set -e; cp -a {MOUNTED} /root/udpecho; cd /root/udpecho; exec {command}"
        argv = ["systemd-nspawn", "--quiet", "--register=no", "--keep-unit", "--pipe",
                "-M", self.name, "-D", self.root, "--volatile=overlay",
                "--resolv-conf=copy-host", f"--bind-ro={self.copy}:{MOUNTED}",
                "--", "/bin/sh", "-c", script]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        return Console(self.proc)

    def daemon_pid(self):
        """The host's PID of udpechod, a descendant of nspawn."""
        queue = _children(self.proc.pid)
        while queue:
            pid = queue.pop(0)
            if _comm(pid) == "udpechod":
                return pid
            queue += _children(pid)
        raise AssertionError("no udpechod process under systemd-nspawn")

    def inside(self, pid, script, timeout):
        """Runs a shell script in the running container (the namespaces of `pid`)."""
        return subprocess.run(["nsenter", "-t", str(pid), "-a", "/bin/sh", "-c", script],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                              env=INSIDE_ENV)

    def test_readme_first_command_on_a_bare_bookworm(self):
        command = readme_first_command()
        self.assertEqual(command, "scripts/run-daemon")
        before = installed_packages(self.root)
        wanted = package_list("build")
        self.assertEqual([p for p in wanted if p in before], [],
                         "the tree is not bare: build packages are already installed")

        started = time.monotonic()
        console = self.start(command)
        console.wait_for(r"ready: serving 1 socket", timeout=1300)
        ready_after = time.monotonic() - started
        self.assertRegex(console.text(), r"listening on 127\.0\.0\.1:5002")
        payload = b"hello from a fresh machine \x00\xff\x1b[31m\n"
        reply, source = harness.exchange(ADDRESS, payload, timeout=5.0)
        self.assertEqual(reply, PREFIX + payload)
        self.assertEqual(source, ADDRESS)

        asked = re.search(r"(?m)^installing: (.*)$", console.text())
        self.assertIsNotNone(asked, "scripts/run-daemon did not say what it installs:\n"
                             + console.text())
        self.assertEqual(sorted(asked.group(1).split()), sorted(wanted))
        pid = self.daemon_pid()
        after = installed_packages(f"/proc/{pid}/root")
        print(f"report: fresh_machine: `{command}` on a bare bookworm tree: ready and answering "
              f"byte-exact after {ready_after:.0f} s; installed {' '.join(wanted)} "
              f"({len(after - before)} packages with their dependencies)")

        # The same command on a broken copy, in the same container (the packages are there now).
        broken = time.monotonic()
        result = self.inside(pid, f"set -e; cp -a {MOUNTED} /root/broken; cd /root/broken; "
                             f"printf '\\nint broken_on_purpose = ;\\n' >> {BROKEN_FILE}; "
                             f"lines=$(wc -l < {BROKEN_FILE}); echo \"broken line: $lines\"; "
                             f"exec {command}", timeout=900)
        output = ANSI.sub("", result.stdout.decode("utf-8", "replace")
                          + result.stderr.decode("utf-8", "replace"))
        self.assertNotEqual(result.returncode, 0, output)
        line = re.search(r"(?m)^broken line: (\d+)$", output).group(1)
        error = re.search(rf"(?m)^\S*{re.escape(BROKEN_FILE)}:{line}:\d+: error: .*$", output)
        self.assertIsNotNone(error, "the compiler's error line is not shown:\n" + output)
        self.assertIn("scripts/run-daemon: the build failed (see above)", output)
        print(f"report: fresh_machine: with a syntax error in {BROKEN_FILE}: `{command}` exits "
              f"{result.returncode} after {time.monotonic() - broken:.0f} s, showing "
              f"\"{error.group(0)}\"")

        # The daemon of the first run stops on SIGTERM, as README says, with exit status 0.
        os.kill(pid, signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=30), 0, console.text())


if __name__ == "__main__":
    # meson test stops a test that runs too long with SIGTERM: turn it into an exception, so that
    # tearDown still removes the container.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    harness.main()
