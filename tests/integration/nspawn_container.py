"""A booted systemd container (systemd-nspawn) over a root tree, driven with nsenter.

The tree is mounted with --volatile=overlay, so everything the test does inside is thrown away
and the cached tree stays clean. The container has its own network namespace with only loopback.
close() always removes it: poweroff from inside, then SIGTERM to nspawn, then SIGKILL.
"""

import os
import shutil
import signal
import subprocess
import time

ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root",
       "DEBIAN_FRONTEND": "noninteractive", "SYSTEMD_PAGER": "", "MANPAGER": "cat",
       "MANWIDTH": "80"}


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _comm(pid):
    try:
        with open(f"/proc/{pid}/comm", encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return ""


class Container:
    def __init__(self, root, name, binds_ro=()):
        self.name = name
        self.pid1 = None
        argv = ["systemd-nspawn", "--quiet", "--boot", "--register=no", "--keep-unit",
                "-M", name, "--console=passive", "--system-call-filter=bpf",
                "--private-network", "-D", root, "--volatile=overlay"]
        argv += [f"--bind-ro={host}:{inside}" for host, inside in binds_ro]
        # firstboot=off: an unconfigured machine would otherwise wait for input on first boot.
        argv += ["--", "systemd.firstboot=off"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait_booted(self, timeout=120):
        """Finds the container's PID 1 and waits until systemd reports the boot finished."""
        deadline = time.monotonic() + timeout
        while self.pid1 is None:
            if self.proc.poll() is not None:
                raise AssertionError("systemd-nspawn exited:\n" + self.proc.stdout.read().decode(
                    "utf-8", "replace")[-3000:])
            if time.monotonic() > deadline:
                raise AssertionError("the container's systemd did not appear")
            # nspawn forks an intermediate child first; PID 1 is the descendant named systemd.
            queue = _children(self.proc.pid)
            while queue:
                pid = queue.pop(0)
                if _comm(pid) == "systemd":
                    self.pid1 = pid
                    break
                queue += _children(pid)
            else:
                time.sleep(0.05)  # polling /proc: there is no event for "process appeared"
        # systemctl needs PID 1's private socket, which appears a moment after PID 1 does.
        private = f"/proc/{self.pid1}/root/run/systemd/private"
        while not os.path.exists(private):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the container's systemd never opened its control socket")
            time.sleep(0.05)  # polling the file system: no event to wait on from outside
        state = self.run(["systemctl", "is-system-running", "--wait"],
                         timeout=max(1, deadline - time.monotonic()))
        if state.stdout.strip() not in ("running", "degraded"):
            raise AssertionError(f"container boot ended in state {state.stdout.strip()!r}")
        return state.stdout.strip()

    def run(self, argv, timeout=120, check=False):
        """Runs a command of the container in all its namespaces."""
        result = subprocess.run(["nsenter", "-t", str(self.pid1), "-a", *argv], env=ENV,
                                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {result.returncode}:\n"
                                 + result.stdout[-3000:] + result.stderr[-3000:])
        return result

    def run_in_network(self, argv, timeout=30):
        """Runs a host program inside the container's network namespace only."""
        return subprocess.run(["nsenter", "-t", str(self.pid1), "-n", *argv],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)

    def close(self):
        if self.proc.poll() is None and self.pid1 is not None:
            try:
                self.run(["systemctl", "poweroff"], timeout=20)
            except subprocess.TimeoutExpired:
                pass
        for sig, grace in ((None, 60), (signal.SIGTERM, 30), (signal.SIGKILL, 10)):
            if sig is not None and self.proc.poll() is None:
                os.killpg(self.proc.pid, sig)
                if sig == signal.SIGKILL and self.pid1 is not None:
                    try:
                        os.kill(self.pid1, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            try:
                self.proc.wait(grace)
                break
            except subprocess.TimeoutExpired:
                continue
        if self.proc.stdout:
            self.proc.stdout.close()
        shutil.rmtree(f"/run/systemd/nspawn/propagate/{self.name}", ignore_errors=True)
