"""The metrics endpoint, scraped by a real Prometheus server: the figures it stores equal what was
sent and dropped, summed over two workers; promtool finds nothing to say about the exposition
and the example alerting rules; reloads move the endpoint and turn it off."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import harness
from harness import UDPECHOD, Daemon, run
from metrics_http import free_tcp_port, metrics_port, refused, sample, scrape

PREFIX = b"server send data:"
SUMMARY = (r"stopping on SIGTERM: (\d+) datagrams \(\d+ bytes\) from \d+ peers; (\d+) replies .*"
           r"dropped: (\d+) denied, .*, (\d+) rate-limited")
WORKER = r"worker {} of 2: (\d+) datagrams"
RATE_BURST = 5
DENIED = "127.0.0.66"
LIMITED = "127.0.0.77"


class Prometheus:
    """A Prometheus server on loopback, with its own data directory, scraping `target` each second."""

    def __init__(self, target):
        self.tmp = tempfile.TemporaryDirectory(prefix="udpechod-prometheus-")
        config = os.path.join(self.tmp.name, "prometheus.yml")
        with open(config, "w", encoding="utf-8") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: udpechod\n"
                    f"    static_configs:\n      - targets: ['{target}']\n")
        # Prometheus cannot listen on port 0: name a port that was free a moment ago.
        self.port = free_tcp_port()
        self.log = open(os.path.join(self.tmp.name, "prometheus.log"), "w+", encoding="utf-8")
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={config}",
             f"--storage.tsdb.path={os.path.join(self.tmp.name, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_ready()

    def get(self, path, timeout=5):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as r:
            return r.status, r.read().decode("utf-8")

    def wait_ready(self, timeout=60):
        """Polls /-/ready, Prometheus's readiness signal, until it says ready."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if self.get("/-/ready", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.log.seek(0)
        raise AssertionError("Prometheus did not become ready:\n" + self.log.read()[-3000:])

    def query(self, expression):
        """An instant query through the HTTP API; returns the value, or None without a result."""
        status, text = self.get("/api/v1/query?" + urllib.parse.urlencode({"query": expression}))
        answer = json.loads(text)
        if status != 200 or answer["status"] != "success":
            raise AssertionError(f"query {expression!r} failed: {text}")
        result = answer["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    def wait_for_value(self, expression, expected, timeout=30):
        """Queries until `expression` equals `expected` (a later scrape stored it); returns the
        last value seen, equal or not, when the deadline passes."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.query(expression)
            if value == expected:
                return value
            time.sleep(0.25)  # a scrape each second; nothing to wait on but the next one
        return value

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self.tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def ask(source, server, payload):
    with harness.bound_socket(source, avoid_port=server[1]) as s:
        s.settimeout(3)
        s.sendto(payload, server)
        return s.recvfrom(70000)[0]


def send_without_reply(source, server, payloads, wait=0.5):
    """Sends every payload at once from `source`; returns how many replies came back."""
    with harness.bound_socket(source, avoid_port=server[1]) as s:
        for payload in payloads:
            s.sendto(payload, server)
        s.settimeout(wait)  # the replies that come, come within this; then the count is final
        replies = 0
        try:
            while True:
                s.recvfrom(70000)
                replies += 1
        except socket.timeout:
            return replies


@harness.unittest.skipUnless(shutil.which("prometheus") and shutil.which("promtool"),
                             "needs Debian's prometheus package (prometheus, promtool)")
class MetricsTest(harness.unittest.TestCase):
    def test_prometheus_stores_what_was_sent_and_dropped_over_two_workers(self):
        config = ("bind = 127.0.0.1\nport = 0\nworkers = 2\nrate_prefix_v4 = 32\n"
                  f"rate_limit = 1\nrate_burst = {RATE_BURST}\ndeny = {DENIED}/32\n"
                  "metrics_listen = 127.0.0.1:0\n")
        with Daemon(config) as d:
            port = metrics_port(d)
            with Prometheus(f"127.0.0.1:{port}") as prometheus:
                self.assertEqual(prometheus.wait_for_value('up{job="udpechod"}', 1), 1,
                                 "Prometheus does not scrape the daemon")
                sent = replies = 0
                # Several sources, each its own /32, so the kernel steers them to both workers.
                for i in range(2, 42):
                    for n in range(3):
                        payload = b"source %d datagram %d" % (i, n)
                        self.assertEqual(ask(f"127.0.0.{i}", d.address, payload), PREFIX + payload)
                        sent += 1
                        replies += 1
                limited_sent = 60
                limited_replies = send_without_reply(
                    LIMITED, d.address, [b"flood %d" % n for n in range(limited_sent)])
                self.assertGreaterEqual(limited_replies, RATE_BURST)
                self.assertLess(limited_replies, limited_sent)
                denied_sent = 7
                self.assertEqual(send_without_reply(DENIED, d.address,
                                                    [b"denied %d" % n for n in range(denied_sent)]),
                                 0)
                sent += limited_sent + denied_sent
                replies += limited_replies
                expected = {
                    "udpechod_datagrams_received_total": sent,
                    "udpechod_replies_total": replies,
                    'udpechod_dropped_total{reason="rate_limited"}': limited_sent - limited_replies,
                    'udpechod_dropped_total{reason="denied"}': denied_sent,
                    "udpechod_workers": 2,
                }
                # Once a scrape after the traffic is stored, every figure is in it: the first
                # waits for that scrape, the others are read from it.
                stored = {name: prometheus.wait_for_value(name, value, timeout=20 if i == 0 else 3)
                          for i, (name, value) in enumerate(expected.items())}
                print("report: Prometheus query results after {} datagrams from 42 sources over "
                      "2 workers: {}".format(sent, ", ".join(f"{name} = {value:g}"
                                                             for name, value in stored.items())))
                self.assertEqual(stored, expected)
            self.assertEqual(d.stop(), 0)
            summary = d.wait_for(SUMMARY)
            self.assertEqual([int(summary.group(n)) for n in (1, 2, 3, 4)],
                             [sent, replies, denied_sent, limited_sent - limited_replies],
                             "the stop summary agrees with Prometheus")
            shares = [int(d.wait_for(WORKER.format(i)).group(1)) for i in (1, 2)]
            self.assertTrue(all(share > 0 for share in shares),
                            f"both workers must have served datagrams: {shares}")

    def test_promtool_check_metrics_finds_nothing(self):
        with Daemon("port = 0\nworkers = 2\nmetrics_listen = 127.0.0.1:0\n") as d:
            harness.exchange(d.address, b"one")
            status, headers, body = scrape(metrics_port(d))
            self.assertEqual(status, "HTTP/1.1 200 OK")
            self.assertIn("Content-Type: text/plain; version=0.0.4; charset=utf-8", headers)
            result = subprocess.run(["promtool", "check", "metrics"], input=body,
                                    capture_output=True, text=True, timeout=30)
            print(f"report: promtool check metrics: exit {result.returncode}, "
                  f"output {result.stdout + result.stderr!r}")
            self.assertEqual((result.returncode, result.stdout + result.stderr), (0, ""))
            self.assertEqual(sample(body, "udpechod_datagrams_received_total"), 1)
            self.assertEqual(sample(body, 'udpechod_build_info{version="%s"}' %
                                    run([UDPECHOD, "--version"]).stdout.split()[1]), 1)

    def test_promtool_checks_the_example_alerting_rules(self):
        rules = os.path.join(harness.SOURCE_ROOT, "config", "udpechod-alerts.yml")
        result = run(["promtool", "check", "rules", rules], timeout=30)
        print("report: promtool check rules: " + " | ".join(
            line.strip() for line in (result.stdout + result.stderr).splitlines()))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("SUCCESS: 3 rules found", result.stdout + result.stderr)


class MetricsConfigTest(harness.unittest.TestCase):
    def test_reload_moves_the_endpoint_then_turns_it_off(self):
        with Daemon("port = 0\nmetrics_listen = 127.0.0.1:0\n") as d:
            old = metrics_port(d)
            # A port some other program holds: the reload fails whole, the endpoint stays.
            with socket.socket() as holder:
                holder.bind(("127.0.0.1", 0))
                holder.listen()
                taken = holder.getsockname()[1]
                start = d.reload(f"port = 0\nmetrics_listen = 127.0.0.1:{taken}\n"
                                       'reply_prefix = "moved: "\n')
                d.wait_for(rf"reload failed: metrics_listen 127.0.0.1:{taken}: Address already in "
                           r"use; still serving with the previous configuration", start=start)
            self.assertEqual(harness.exchange(d.address, b"x")[0], PREFIX + b"x")
            body = scrape(old)[2]
            self.assertEqual(sample(body, 'udpechod_reloads_total{result="failed"}'), 1)
            self.assertEqual(sample(body, 'udpechod_reloads_total{result="ok"}'), 0)

            new = free_tcp_port()
            start = d.reload(f"port = 0\nmetrics_listen = 127.0.0.1:{new}\n")
            self.assertEqual(metrics_port(d, start=start), new)
            self.assertTrue(refused(old), "the old port still accepts connections")
            body = scrape(new)[2]
            self.assertEqual(sample(body, 'udpechod_reloads_total{result="ok"}'), 1)

            start = d.reload("port = 0\nmetrics_listen =\n")
            d.wait_for(r"metrics: endpoint closed \(metrics_listen is empty\)", start=start)
            self.assertTrue(refused(new), "the endpoint still accepts connections when off")
            self.assertEqual(harness.exchange(d.address, b"y")[0], PREFIX + b"y")
            self.assertEqual(d.stop(), 0)

    def test_check_config_validates_metrics_listen(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "udpechod.conf")
            with open(path, "w", encoding="utf-8") as f:
                f.write("metrics_listen = [::1]:9525\n")
            self.assertEqual(run([UDPECHOD, "--check-config", "--config", path]).returncode, 0)
            with open(path, "w", encoding="utf-8") as f:
                f.write("metrics_listen = ::1:9525\n")
            result = run([UDPECHOD, "--check-config", "--config", path])
            self.assertEqual(result.returncode, 78)
            self.assertIn(f"{path}:1: metrics_listen: '::1:9525' is not ADDRESS:PORT", result.stderr)

    def test_an_address_in_use_at_start_is_a_socket_error(self):
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            taken = holder.getsockname()[1]
            with Daemon(f"port = 0\nmetrics_listen = 127.0.0.1:{taken}\n", wait_ready=False) as d:
                self.assertEqual(d.wait_exit(), 1)
                d.wait_for(rf"metrics_listen 127.0.0.1:{taken}: Address already in use")


if __name__ == "__main__":
    harness.main()
