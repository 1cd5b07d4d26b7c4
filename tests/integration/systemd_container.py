"""A throwaway systemd machine for tests: systemd-nspawn boots the host's own /usr over an empty
volatile root, in its own network namespace (loopback only), and is driven with nsenter.

Needs root. close() always removes the container, even after a failed check: poweroff from inside,
then SIGTERM and SIGKILL to nspawn, then the directory nspawn leaves under /run.
"""

import os
import re
import shutil
import signal
import subprocess
import time

# Commands inside get a clean, non-interactive environment.
INSIDE_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "SYSTEMD_PAGER": "",
              "SYSTEMD_COLORS": "0", "DEBIAN_FRONTEND": "noninteractive", "MANPAGER": "cat"}


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            return [int(child) for child in f.read().split()]
    except OSError:
        return []


def _comm(pid):
    try:
        with open(f"/proc/{pid}/comm", encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return ""


class Container:
    """`binds_ro` are (host path, path inside) pairs; `tmpfs` are directories inside to cover with
    an empty tmpfs first (to make room for a bind in a read-only /usr)."""

    def __init__(self, name, binds_ro=(), tmpfs=(), root="/", volatile="yes"):
        # root="/" with volatile="yes" boots the host's /usr over an empty root; a whole tree
        # (the package test's debootstrapped Debian) boots with volatile="overlay", which keeps
        # the tree itself unchanged.
        self.name = name
        self.pid1 = None
        argv = ["systemd-nspawn", "--quiet", "--boot", "--register=no", "--keep-unit", "-M", name,
                "--console=passive", "--system-call-filter=bpf", "--private-network", "-D", root,
                f"--volatile={volatile}"]
        argv += [f"--tmpfs={path}" for path in tmpfs]
        argv += [f"--bind-ro={host}:{inside}" for host, inside in binds_ro]
        # Without firstboot=off, first boot of an empty /etc waits for input.
        argv += ["--", "systemd.firstboot=off"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def output(self):
        """What nspawn printed, once it has exited."""
        try:
            return self.proc.stdout.read().decode("utf-8", "replace")[-3000:]
        except (OSError, ValueError):
            return ""

    def wait_booted(self, timeout=60):
        """Finds the container's PID 1 and waits until its boot has finished."""
        deadline = time.monotonic() + timeout
        while self.pid1 is None:
            if self.proc.poll() is not None:
                raise AssertionError("systemd-nspawn exited early:\n" + self.output())
            if time.monotonic() > deadline:
                raise AssertionError("the container's systemd did not appear")
            # PID 1 is the descendant of nspawn named systemd; an intermediate child comes first.
            queue = _children(self.proc.pid)
            while queue and self.pid1 is None:
                pid = queue.pop(0)
                if _comm(pid) == "systemd":
                    self.pid1 = pid
                queue += _children(pid)
            if self.pid1 is None:
                time.sleep(0.05)  # polling /proc: nspawn offers no signal for this
        # --wait returns once the boot is done; "degraded" (a failed unrelated unit) is fine.
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("the container did not finish booting")
            result = self.run(["systemctl", "is-system-running", "--wait"], timeout=remaining,
                              check=False)
            if result.stdout.strip() in ("running", "degraded"):
                return
            time.sleep(0.1)  # D-Bus in the container may not be up for the first call

    def run(self, argv, timeout=30, check=True, namespaces=("-a",)):
        """Runs a command inside (all namespaces, by default); returns CompletedProcess."""
        result = subprocess.run(["nsenter", "-t", str(self.pid1), *namespaces, *argv],
                                capture_output=True, text=True, timeout=timeout,
                                stdin=subprocess.DEVNULL, env=INSIDE_ENV)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed ({result.returncode}):\n"
                                 f"{result.stdout}{result.stderr}")
        return result

    def run_in_network(self, argv, timeout=30):
        """Runs a host program in the container's network namespace only."""
        return subprocess.run(["nsenter", "-t", str(self.pid1), "-n", *argv], capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def systemctl(self, *args, check=True, timeout=30):
        return self.run(["systemctl", "--no-pager", *args], check=check, timeout=timeout)

    def show(self, unit, *properties):
        """systemctl show -p ... as a dict."""
        result = self.systemctl("show", unit, *[f"--property={p}" for p in properties])
        return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)

    def wait_show(self, unit, predicate, what, timeout=20, properties=("ActiveState",)):
        """Polls `systemctl show` until predicate(properties) is true; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.show(unit, *properties)
            if predicate(state):
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"{unit}: {what} not seen within {timeout}s; last: {state}")
            time.sleep(0.1)  # systemd has no wait-for-property command; poll with a deadline

    def journal(self, unit, *extra):
        return self.run(["journalctl", "--no-pager", "-u", unit, *extra]).stdout

    def wait_journal(self, unit, pattern, timeout=20, output="cat"):
        """Polls the unit's journal until a line matches; returns the match."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while True:
            text = self.journal(unit, "-o", output)
            m = regex.search(text)
            if m:
                return m
            if time.monotonic() > deadline:
                raise AssertionError(f"journal of {unit}: no line matched {pattern!r} within "
                                     f"{timeout}s; last lines:\n" + "\n".join(
                                         text.splitlines()[-30:]))
            time.sleep(0.1)  # journald writes asynchronously; poll with a deadline

    def close(self):
        if self.proc.poll() is None and self.pid1 is not None:
            try:
                self.run(["systemctl", "poweroff", "--no-block"], timeout=10, check=False)
                self.proc.wait(timeout=20)
            except (subprocess.TimeoutExpired, OSError):
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        if self.proc.stdout:
            self.proc.stdout.close()
        shutil.rmtree(f"/run/systemd/nspawn/propagate/{self.name}", ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
