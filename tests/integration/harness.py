"""Shared helpers for integration tests: start the real udpechod, wait for it, talk UDP to it.

Every test starts its own daemon on an ephemeral port (port 0) on loopback, and learns the port
from the daemon's own `listening on ADDR:PORT` log lines, so tests never wait on bare sleeps.
"""

import fcntl
import os
import pty
import re
import select
import struct
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import threading
import time
import unittest

UDPECHOD = os.environ.get("UDPECHOD", "udpechod")
UDPECHO = os.environ.get("UDPECHO", "udpecho")
SOURCE_ROOT = os.environ.get(
    "UDPECHO_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
LISTENING = re.compile(r"listening on (\[(?P<v6>[^\]]+)\]|(?P<v4>[0-9.]+)):(?P<port>\d+)")
DEFAULT_TIMEOUT = 10.0


class Daemon:
    """A udpechod process with its stderr collected line by line.

    `config` is the text of a config file written to a temporary directory; `args` are extra
    command-line arguments. By default the daemon listens on 127.0.0.1 with a kernel-chosen port.
    `wrapper` is a command that runs the daemon (systemd-socket-activate ..., say).
    """

    def __init__(self, config="bind = 127.0.0.1\nport = 0\n", args=(), env=None,
                 wait_ready=True, binary=UDPECHOD, wrapper=()):
        self.tmp = tempfile.TemporaryDirectory(prefix="udpechod-test-")
        self.config_path = os.path.join(self.tmp.name, "udpechod.conf")
        if config is not None:
            with open(self.config_path, "w", encoding="utf-8") as f:
                f.write(config)
        argv = list(wrapper) + [binary]
        if config is not None:
            argv += ["--config", self.config_path]
        argv += list(args)
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=env if env is not None else os.environ.copy())
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.endpoints = []
        if wait_ready:
            self.wait_listening()

    def _read(self):
        for raw in self.proc.stdout:
            with self.cond:
                self.lines.append(raw.decode("utf-8", "surrogateescape").rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, pattern, timeout=DEFAULT_TIMEOUT, start=0):
        """Waits for a log line matching `pattern` (from line `start` on); returns the match."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines[start:]:
                    m = regex.search(line)
                    if m:
                        return m
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    raise AssertionError(
                        f"no log line matched {pattern!r} within {timeout}s; log:\n"
                        + "\n".join(self.lines[-40:]))
                self.cond.wait(min(remaining, 0.2))

    def count(self, pattern):
        regex = re.compile(pattern)
        with self.cond:
            return sum(1 for line in self.lines if regex.search(line))

    def wait_listening(self, timeout=DEFAULT_TIMEOUT):
        """Waits until startup is complete: the line after the last `listening on`."""
        self.wait_for(r"listening on", timeout)
        # All sockets are bound before the event loop starts; wait for that to be logged.
        self.wait_for(r"ready: serving", timeout)
        with self.cond:
            for line in self.lines:
                m = LISTENING.search(line)
                if m:
                    host = m.group("v6") or m.group("v4")
                    self.endpoints.append((host, int(m.group("port"))))
        return self.endpoints

    @property
    def port(self):
        return self.endpoints[0][1]

    @property
    def address(self):
        return self.endpoints[0]

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def reload(self, config):
        """Writes `config` over the daemon's config file, sends SIGHUP and waits for the outcome
        line (`reloaded ...` or `reload failed ...`); returns where this reload's lines start."""
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(config)
        start = len(self.log())
        self.send_signal(signal.SIGHUP)
        self.wait_for(r"reloaded |reload failed", start=start)
        return start

    def stop(self, sig=signal.SIGTERM, timeout=DEFAULT_TIMEOUT):
        """Sends `sig` and waits for the exit; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self.reader.join(timeout)
        return rc

    def wait_exit(self, timeout=DEFAULT_TIMEOUT):
        rc = self.proc.wait(timeout)
        self.reader.join(timeout)
        return rc

    def log(self):
        with self.cond:
            return list(self.lines)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.tmp.cleanup()


def run(argv, timeout=DEFAULT_TIMEOUT, input_bytes=None, **kwargs):
    """Runs a command to completion; returns CompletedProcess with its output.

    Output is text, unless `input_bytes` is given: then it is fed to stdin and output is bytes.
    """
    if input_bytes is not None:
        return subprocess.run(argv, capture_output=True, timeout=timeout, input=input_bytes,
                              **kwargs)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kwargs)


def udp_socket(host="127.0.0.1", bind=None, timeout=2.0):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    if bind is not None:
        s.bind(bind)
    return s


def udp_refused(address):
    """True when nothing listens at `address`: a connected socket gets ICMP port unreachable."""
    with udp_socket(address[0]) as s:
        s.connect(address)
        s.send(b"anyone?")
        try:
            s.recv(100)
        except ConnectionRefusedError:
            return True
        return False


def bound_socket(address, avoid_port, timeout=None):
    """A UDP socket on `address` with a kernel-chosen port other than `avoid_port`: loop protection
    drops datagrams whose source port is the daemon's own, and on an address other than the
    daemon's the kernel may well choose that port."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    while True:
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.settimeout(timeout)
        s.bind((address, 0))
        if s.getsockname()[1] != avoid_port:
            return s
        s.close()


def exchange(address, payload, bind=None, timeout=2.0):
    """Sends one datagram to `address` and returns (reply bytes, reply source)."""
    if bind is not None and bind[1] == 0:
        s = bound_socket(bind[0], address[1], timeout)
    else:
        s = udp_socket(address[0], bind=bind, timeout=timeout)
    with s:
        s.sendto(payload, address)
        return s.recvfrom(70000)


def free_udp_port(host="127.0.0.1"):
    """A UDP port that was free a moment ago, for tests that must name a port in advance."""
    with udp_socket(host) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def exchange_until_answered(address, payload, attempts=100, timeout=0.1):
    """Sends `payload` until a reply arrives (a readiness signal for a quiet daemon)."""
    with udp_socket(address[0], timeout=timeout) as s:
        for _ in range(attempts):
            s.sendto(payload, address)
            try:
                return s.recvfrom(70000)[0]
            except socket.timeout:
                continue
    raise AssertionError(f"no reply from {address} after {attempts} attempts")


def run_client(args, input=b"", timeout=DEFAULT_TIMEOUT):
    """Runs udpecho with `input` piped to it; returns CompletedProcess with text stdout/stderr."""
    proc = subprocess.run([UDPECHO] + [str(a) for a in args], input=input, capture_output=True,
                          timeout=timeout)
    proc.stdout = proc.stdout.decode("utf-8", "surrogateescape")
    proc.stderr = proc.stderr.decode("utf-8", "surrogateescape")
    return proc


class Terminal:
    """A program on a new pseudo-terminal, as a user at a shell would run it.

    The terminal's modes and flags are read before the program starts (`modes_before`,
    `flags_before`) so that a test can compare them with `modes()` and `flags()` afterwards.
    Output is collected as it comes; `expect()` polls it for a pattern with a deadline.
    """

    def __init__(self, argv, rows=24, cols=80):
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.modes_before = termios.tcgetattr(self.slave)
        self.flags_before = self.flags()
        self.home = tempfile.TemporaryDirectory(prefix="udpecho-home-")
        env = dict(os.environ, TERM="xterm", HOME=self.home.name)
        self.output = b""
        # The program gets the terminal as its controlling terminal, in a session of its own,
        # so that Ctrl-C typed on it sends SIGINT like at a shell.
        self.proc = subprocess.Popen(
            [str(a) for a in argv], stdin=self.slave, stdout=self.slave, stderr=self.slave,
            env=env, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))

    def _read_available(self, wait):
        ready, _, _ = select.select([self.master], [], [], wait)
        if ready:
            try:
                self.output += os.read(self.master, 65536)
            except OSError:
                pass

    def expect(self, pattern, timeout=DEFAULT_TIMEOUT, start=0):
        """Waits until the output from offset `start` on matches `pattern` (a bytes regex);
        returns the match, whose end() can be the `start` of the next expect()."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = regex.search(self.output, start)
            if m:
                return m
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no output matched {pattern!r} within {timeout}s; output:\n"
                                     + self.output.decode("utf-8", "replace"))
            self._read_available(min(remaining, 0.1))

    def send(self, data):
        os.write(self.master, data)

    def wait_exit(self, timeout=DEFAULT_TIMEOUT):
        rc = self.proc.wait(timeout)
        self._read_available(0)
        return rc

    def modes(self):
        return termios.tcgetattr(self.slave)

    def flags(self):
        return fcntl.fcntl(self.slave, fcntl.F_GETFL)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)
        self.home.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def main():
    program = unittest.main(module="__main__", verbosity=2, exit=False)
    result = program.result
    # Exit status 77 makes meson count a file whose every test was skipped as SKIP, not OK.
    if result.wasSuccessful() and result.testsRun > 0 and len(result.skipped) == result.testsRun:
        sys.exit(77)
    sys.exit(0 if result.wasSuccessful() else 1)


class NotifySocket:
    """A service manager's notify socket for tests: an abstract AF_UNIX datagram socket named
    `@udpecho-test-...` that records every message sent to it. Pass `.env()` to the daemon."""

    def __init__(self):
        self.name = "@udpecho-test-%d-%s" % (os.getpid(), os.urandom(6).hex())
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        # Python spells an abstract address with a leading NUL byte.
        self.sock.bind("\0" + self.name[1:])
        self.messages = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                return
            with self.cond:
                self.messages.append(data.decode("utf-8", "surrogateescape"))
                self.cond.notify_all()

    def env(self, **extra):
        env = os.environ.copy()
        env["NOTIFY_SOCKET"] = self.name
        env.update({key: str(value) for key, value in extra.items()})
        return env

    def wait_for(self, pattern, timeout=DEFAULT_TIMEOUT, start=0):
        """Waits for a message matching `pattern` from message `start` on; returns (index, match)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for index in range(start, len(self.messages)):
                    m = regex.search(self.messages[index])
                    if m:
                        return index, m
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no notify message matched {pattern!r} within "
                                         f"{timeout}s; got: {self.messages[-20:]!r}")
                self.cond.wait(min(remaining, 0.2))

    def count(self, pattern):
        regex = re.compile(pattern)
        with self.cond:
            return sum(1 for message in self.messages if regex.search(message))

    def sync(self):
        """Waits until every message queued so far has been read: a marker sent now comes after
        them in the socket's queue."""
        marker = "SYNC=%s" % os.urandom(6).hex()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(marker.encode(), "\0" + self.name[1:])
        self.wait_for("^%s$" % marker)
        with self.cond:
            self.messages.remove(marker)

    def __len__(self):
        with self.cond:
            return len(self.messages)

    def close(self):
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.reader.join(DEFAULT_TIMEOUT)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


BUILD_ROOT = os.environ.get("UDPECHO_BUILD_ROOT", "")


def install_tree(destdir):
    """`meson install` of the build under test into `destdir`; returns the installed paths, read
    back from the installed service unit: {"service", "socket", "binary", "config"}."""
    result = run(["meson", "install", "-C", BUILD_ROOT, "--destdir", destdir, "--no-rebuild",
                  "--quiet"], timeout=120)
    if result.returncode != 0:
        raise AssertionError("meson install failed:\n" + result.stdout + result.stderr)
    services = [os.path.join(root, name) for root, _, names in os.walk(destdir) for name in names
                if name == "udpechod.service"]
    if len(services) != 1:
        raise AssertionError(f"expected one installed udpechod.service, found {services}")
    with open(services[0], encoding="utf-8") as f:
        m = re.search(r"^ExecStart=(\S+) --config (\S+)$", f.read(), re.MULTILINE)
    if not m:
        raise AssertionError("the installed unit has no 'ExecStart=BINARY --config FILE' line")
    return {"service": services[0],
            "socket": os.path.join(os.path.dirname(services[0]), "udpechod.socket"),
            "binary": m.group(1), "config": m.group(2)}
