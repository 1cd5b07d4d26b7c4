"""Socket activation: systemd-socket-activate binds, the first datagram starts the daemon, and the
daemon serves the descriptors it was passed instead of its configured bind/port."""

import shutil
import signal
import socket

import harness
from harness import Daemon, exchange, free_udp_port

ACTIVATE = shutil.which("systemd-socket-activate")
# The config names an address and port the daemon must not use when activated.
CONFIG = 'bind = 127.0.0.3\nport = 1\nreply_prefix = "activated:"\n'


def wait_activator(d, count=1):
    """The activator says "Listening on ADDR as N." for each socket once it holds it."""
    d.wait_for(rf"Listening on .* as {2 + count}\.")


def activate(*listen, datagram=True):
    argv = [ACTIVATE] + (["--datagram"] if datagram else [])
    for address in listen:
        argv += ["-l", address]
    return argv


@harness.unittest.skipUnless(ACTIVATE, "systemd-socket-activate is not installed (package systemd)")
class SocketActivationTest(harness.unittest.TestCase):
    def test_first_datagram_starts_the_daemon_and_is_answered(self):
        port = free_udp_port()
        with Daemon(CONFIG, wrapper=activate(f"127.0.0.1:{port}"), wait_ready=False) as d:
            wait_activator(d)
            # The activator holds the socket; this datagram waits in it for the daemon to start.
            reply, source = exchange(("127.0.0.1", port), b"first", timeout=harness.DEFAULT_TIMEOUT)
            self.assertEqual((reply, source), (b"activated:first", ("127.0.0.1", port)))
            d.wait_for(r"socket activation: serving 1 socket passed by the service manager; "
                       r"bind and port in the configuration are ignored")
            d.wait_for(rf"listening on 127\.0\.0\.1:{port}$")
            self.assertEqual(d.count(r"127\.0\.0\.3|:1$"), 0)
            self.assertEqual(d.stop(), 0)

    def test_two_sockets_and_packet_info_on_a_wildcard(self):
        port, other = free_udp_port(), free_udp_port()
        with Daemon(CONFIG, wrapper=activate(f"0.0.0.0:{port}", f"127.0.0.1:{other}"),
                    wait_ready=False) as d:
            wait_activator(d, 2)
            harness.exchange_until_answered(("127.0.0.1", other), b"wake")
            d.wait_for(r"serving 2 sockets passed by the service manager")
            # Replies from a wildcard socket leave from the address they were sent to.
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(2)
                s.connect(("127.0.0.2", port))
                s.send(b"to .2")
                self.assertEqual(s.recv(100), b"activated:to .2")
            self.assertEqual(d.stop(), 0)

    def test_reload_applies_settings_but_keeps_the_passed_sockets(self):
        port = free_udp_port()
        with Daemon(CONFIG, wrapper=activate(f"127.0.0.1:{port}"), wait_ready=False) as d:
            wait_activator(d)
            harness.exchange_until_answered(("127.0.0.1", port), b"wake")
            d.wait_for(r"ready: serving 1 socket")
            with open(d.config_path, "w", encoding="utf-8") as f:
                f.write(f'port = {free_udp_port()}\nreply_prefix = "reloaded:"\n')
            start = len(d.log())
            d.send_signal(signal.SIGHUP)
            d.wait_for(r"reload: bind and port ignored; the sockets come from the service manager",
                       start=start)
            d.wait_for(r"reloaded .*: serving 1 socket", start=start)
            self.assertEqual(exchange(("127.0.0.1", port), b"x")[0], b"reloaded:x")
            self.assertEqual(d.stop(), 0)

    def test_a_stream_socket_is_refused(self):
        port = free_udp_port()
        with Daemon(CONFIG, wrapper=activate(f"127.0.0.1:{port}", datagram=False),
                    wait_ready=False) as d:
            wait_activator(d)
            # The connection only wakes the activator. On a busy machine the daemon can refuse
            # the socket and exit, resetting the connection, before connect() has returned.
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2):
                    self.assertEqual(d.wait_exit(), 1)
            except ConnectionResetError:
                self.assertEqual(d.wait_exit(), 1)
            d.wait_for(r"descriptor 3 passed by the service manager is not a UDP socket")


if __name__ == "__main__":
    harness.main()
