"""Scaling out: the shipped nginx stream example, run as a private nginx on loopback in front of
two udpechod instances. Replies must come back byte-exact, both backends must serve, and each client
socket must stay on one backend (the consistent hash on address and port)."""

import os
import random
import re
import shutil
import signal
import subprocess
import tempfile

import harness
from harness import SOURCE_ROOT, Daemon, exchange_until_answered, free_udp_port, udp_socket

EXAMPLE = os.path.join(SOURCE_ROOT, "config", "nginx-udpechod.conf")
STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CLIENTS = 60
DATAGRAMS_PER_CLIENT = 5
# The stop summary over the whole daemon (per-worker lines, if any, follow it).
SUMMARY = re.compile(r"stopping on SIG[A-Z]+: (\d+) datagrams \(\d+ bytes\) "
                     r"from (?:at least )?(\d+) peers; (\d+) replies")


def backend_config(prefix):
    config = f'bind = 127.0.0.1\nport = 0\nreply_prefix = "{prefix}"\n'
    # Behind a proxy every datagram comes from the proxy's address: exempt it from per-source
    # limits, as the example's comments tell administrators to.
    keys = harness.run([os.environ["UDPECHO_LIST_CONFIG_KEYS"]]).stdout.split()
    if "rate_exempt" in keys:
        config += "rate_exempt = 127.0.0.1/32\n"
    return config


def stream_config(example, listen_port, backends, log_path):
    """The example with its listen port, backend addresses and log path made local."""
    text = example
    replacements = [
        (r"listen 5002 udp reuseport;", f"listen 127.0.0.1:{listen_port} udp reuseport;"),
        (r"listen \[::\]:5002 udp reuseport;", ""),
        (r"server 192\.0\.2\.11:5002", f"server {backends[0][0]}:{backends[0][1]}"),
        (r"server 192\.0\.2\.12:5002", f"server {backends[1][0]}:{backends[1][1]}"),
        (r"access_log \S+", f"access_log {log_path}"),
    ]
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        if count != 1:
            raise AssertionError(f"the example no longer has {pattern!r} exactly once")
    return text


class Nginx:
    """A private nginx: its own prefix, config, pid and logs in a temporary directory."""

    def __init__(self, stream_text):
        self.dir = tempfile.mkdtemp(prefix="udpecho-nginx-")
        with open(os.path.join(self.dir, "stream.conf"), "w", encoding="utf-8") as f:
            f.write(stream_text)
        self.conf = os.path.join(self.dir, "nginx.conf")
        self.error_log = os.path.join(self.dir, "error.log")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(f"load_module {STREAM_MODULE};\n"
                    "daemon off;\nworker_processes 2;\n"
                    f"pid {self.dir}/nginx.pid;\nerror_log {self.error_log} info;\n"
                    "events { worker_connections 1024; }\n"
                    f"include {self.dir}/stream.conf;\n")
        argv = [NGINX, "-p", self.dir + "/", "-c", self.conf, "-e", self.error_log]
        check = harness.run(argv + ["-t"])
        if check.returncode != 0:
            raise AssertionError("nginx -t rejects the example:\n" + check.stderr)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful stop of master and workers
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def errors(self):
        try:
            with open(self.error_log, encoding="utf-8", errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""


class NginxScaleOut(harness.unittest.TestCase):
    def test_nginx_spreads_clients_over_two_backends(self):
        prefixes = [b"backend-a:", b"backend-b:"]
        backend_a = Daemon(backend_config("backend-a:"))
        self.addCleanup(backend_a.__exit__)
        backend_b = Daemon(backend_config("backend-b:"))
        self.addCleanup(backend_b.__exit__)
        with open(EXAMPLE, encoding="utf-8") as f:
            example = f.read()
        port = free_udp_port()
        log_dir = tempfile.mkdtemp(prefix="udpecho-nginx-log-")
        self.addCleanup(shutil.rmtree, log_dir, True)
        nginx = Nginx(stream_config(example, port, [backend_a.address, backend_b.address],
                                    os.path.join(log_dir, "stream.log")))
        self.addCleanup(nginx.close)
        proxy = ("127.0.0.1", port)
        # nginx has no readiness line; its first answered datagram is the signal.
        first = exchange_until_answered(proxy, b"ready?")
        self.assertIn(first, [p + b"ready?" for p in prefixes], nginx.errors())

        rng = random.Random(7)
        served_by = {0: 0, 1: 0}
        moved = []
        exact = 0
        for client in range(CLIENTS):
            with udp_socket(timeout=3.0) as s:
                s.connect(proxy)
                backends_seen = set()
                for n in range(DATAGRAMS_PER_CLIENT):
                    size = rng.choice([1, 17, 512, 1200, rng.randrange(1, 1400)])
                    payload = bytes(rng.randrange(256) for _ in range(size))
                    s.send(payload)
                    reply = s.recv(70000)
                    backend = next((i for i, p in enumerate(prefixes) if reply == p + payload),
                                   None)
                    self.assertIsNotNone(
                        backend, f"client {client} datagram {n}: reply is not byte-exact "
                                 f"({len(reply)} bytes for {len(payload)})")
                    exact += 1
                    served_by[backend] += 1
                    backends_seen.add(backend)
                if len(backends_seen) != 1:
                    moved.append(client)
        self.assertEqual(moved, [], "clients whose datagrams went to both backends")

        counted = []
        for daemon in (backend_a, backend_b):
            self.assertEqual(daemon.stop(), 0)
            m = daemon.wait_for(SUMMARY.pattern)
            counted.append((int(m.group(1)), int(m.group(2)), int(m.group(3))))
        total = CLIENTS * DATAGRAMS_PER_CLIENT
        self.assertEqual(exact, total)
        # The backends' own counters agree with what the replies said, plus the readiness probes.
        probes = counted[0][0] + counted[1][0] - total
        self.assertGreaterEqual(probes, 1)
        for i in (0, 1):
            self.assertGreater(served_by[i], 0, f"backend {'ab'[i]} served nothing")
            self.assertGreaterEqual(counted[i][0], served_by[i])
            self.assertLessEqual(counted[i][0], served_by[i] + probes)
        print(f"report: nginx scale-out: {total} datagrams from {CLIENTS} client sockets, "
              f"{exact}/{total} replies byte-exact; split: backend A {served_by[0]} "
              f"({100 * served_by[0] / total:.0f}%), backend B {served_by[1]} "
              f"({100 * served_by[1] / total:.0f}%); every client stayed on one backend")
        print("report: nginx scale-out: backend counters (datagrams, distinct peers, replies): "
              f"A {counted[0]}, B {counted[1]}; every peer they saw is nginx on 127.0.0.1")


if __name__ == "__main__":
    harness.main()
