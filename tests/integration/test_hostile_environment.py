"""udpechod against a hostile environment: a service manager that never reads its notify socket,
absurd numbers and terminal escapes in the variables the manager sets."""

import os
import socket

import harness
from harness import Daemon, NotifySocket, exchange


class DeafNotifySocket:
    """A notify socket that is bound and never read: its queue fills after a few messages."""

    def __init__(self):
        self.name = "@udpecho-test-deaf-%d-%s" % (os.getpid(), os.urandom(6).hex())
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.name[1:])

    def env(self, **extra):
        env = dict(os.environ, NOTIFY_SOCKET=self.name)
        env.update({key: str(value) for key, value in extra.items()})
        return env

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()


def has_raw_control(lines):
    return any(any(ord(c) < 0x20 and c != "\t" for c in line) for line in lines)


class DeafManagerTest(harness.unittest.TestCase):
    def test_a_manager_that_never_reads_does_not_stop_the_daemon(self):
        warning = (r"cannot notify the service manager: Resource temporarily unavailable; this "
                   r"and later messages it does not take are dropped")
        # Unlimited rate: this test sends as fast as the answers come.
        config = "bind = 127.0.0.1\nport = 0\nrate_limit = 0\n"
        with DeafNotifySocket() as deaf, Daemon(config,
                                                env=deaf.env(WATCHDOG_USEC=100000)) as d:
            # Pinged every 50 ms, the queue is full within a second, and the warning says so;
            # every datagram is answered before and after, one after another.
            deadline = harness.time.monotonic() + 30
            answered_after_warning = 0
            sent = 0
            while answered_after_warning < 20 and sent < 100000:
                self.assertLess(harness.time.monotonic(), deadline, "no warning within 30 s")
                full = d.count(warning) > 0
                payload = b"still here %d" % sent
                sent += 1
                self.assertEqual(exchange(d.address, payload)[0], b"server send data:" + payload)
                answered_after_warning += full
            self.assertEqual(d.stop(), 0)
            self.assertEqual(d.count(r"cannot notify the service manager"), 1)
            d.wait_for(r"\d+ messages? to the service manager dropped in all")


class EnvironmentNumbersTest(harness.unittest.TestCase):
    def test_an_absurd_watchdog_usec_is_ignored_with_one_warning(self):
        with NotifySocket() as manager, Daemon(
                env=manager.env(WATCHDOG_USEC=9000000000000000000)) as d:
            manager.wait_for(r"^READY=1$")
            d.wait_for(r"WATCHDOG_USEC='9000000000000000000' ignored: not a number of "
                       r"microseconds from 1 to 31536000000000")
            # A round trip through the event loop, then everything it sent has been read.
            self.assertEqual(exchange(d.address, b"x")[0], b"server send data:x")
            manager.sync()
            self.assertEqual(manager.count(r"^WATCHDOG=1$"), 0)
            self.assertEqual(d.stop(), 0)
            self.assertEqual(d.count(r"WATCHDOG_USEC="), 1)


class EnvironmentEscapedTest(harness.unittest.TestCase):
    FORGED = "x\x1b[31m\nudpechod: forged line"

    def test_notify_socket(self):
        with Daemon(env=dict(os.environ, NOTIFY_SOCKET=self.FORGED)) as d:
            d.wait_for(r"NOTIFY_SOCKET ignored: 'x\\x1b\[31m\\nudpechod: forged line' is neither")
            self.assertEqual(d.stop(), 0)
            self.assertFalse(has_raw_control(d.log()), d.log())
            self.assertFalse(any(line.startswith("udpechod: forged") for line in d.log()))

    def test_listen_pid_and_listen_fds(self):
        with Daemon(env=dict(os.environ, LISTEN_PID=self.FORGED, LISTEN_FDS="1"),
                    wait_ready=False) as d:
            self.assertEqual(d.wait_exit(), 1)
            d.wait_for(r"LISTEN_PID='x\\x1b\[31m\\nudpechod: forged line' is not a process ID")
            self.assertFalse(has_raw_control(d.log()), d.log())
        # LISTEN_FDS is read only when LISTEN_PID is the daemon's own: the shell's $$ is, after
        # exec.
        with Daemon(env=dict(os.environ, LISTEN_FDS=self.FORGED), wait_ready=False,
                    wrapper=("sh", "-c", 'LISTEN_PID=$$ exec "$@"', "sh")) as d:
            self.assertEqual(d.wait_exit(), 1)
            d.wait_for(r"LISTEN_FDS='x\\x1b\[31m\\nudpechod: forged line' is not a descriptor")
            self.assertFalse(has_raw_control(d.log()), d.log())


if __name__ == "__main__":
    harness.main()
