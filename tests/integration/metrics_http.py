"""Helpers for the metrics endpoint tests: its address from the log, a scrape, raw requests."""

import re
import socket

import harness

SERVING = r"metrics: serving http://127\.0\.0\.1:(\d+)/metrics"


def metrics_port(daemon, start=0):
    """The TCP port the daemon's metrics endpoint says it serves (port 0 in the config)."""
    return int(daemon.wait_for(SERVING, start=start).group(1))


def request(port, raw, timeout=harness.DEFAULT_TIMEOUT):
    """Sends `raw` bytes on a new connection and reads until the daemon closes it; returns
    everything it sent back."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(raw)
        reply = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return reply
            reply += chunk


def scrape(port, timeout=harness.DEFAULT_TIMEOUT):
    """GET /metrics as a scraper sends it; returns (status line, headers text, body text)."""
    reply = request(port, b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Accept: text/plain;version=0.0.4\r\n\r\n", timeout)
    head, _, body = reply.partition(b"\r\n\r\n")
    status, _, headers = head.decode("ascii").partition("\r\n")
    return status, headers, body.decode("utf-8")


def sample(body, series):
    """The value of one series (`name` or `name{label="value"}`) in an exposition text."""
    m = re.search(r"^" + re.escape(series) + r" (\S+)$", body, re.MULTILINE)
    if not m:
        raise AssertionError(f"no series {series} in:\n{body}")
    return float(m.group(1))


def refused(port):
    """True when nothing accepts TCP connections on 127.0.0.1:`port`."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def free_tcp_port():
    """A TCP port that was free a moment ago, for what must be named in advance."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
