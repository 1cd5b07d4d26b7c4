"""Reload with workers = 3: every reloadable key reaches every worker, sockets are handed over
without a gap, and the figures of all workers add up."""

import math
import re
import signal
import socket
import threading
import time

import harness
from harness import Daemon, NotifySocket, free_udp_port, udp_refused

PREFIX = b"server send data:"
SUMMARY = (r"stopping on SIGTERM: (?P<datagrams>\d+) datagrams \(\d+ bytes\) from (?:at least )?"
           r"\d+ peers; (?P<replies>\d+) replies \(\d+ bytes\); (?P<oversized>\d+) oversized "
           r"replies not sent; (?P<receive_errors>\d+) receive errors; (?P<send_errors>\d+) send "
           r"errors; dropped: (?P<denied>\d+) denied, (?P<loop>\d+) loop \([^)]*\), "
           r"(?P<limited>\d+) rate-limited")
WORKER = r"worker {} of {}: (\d+) datagrams"


def reload(d, config, manager=None):
    """Writes `config`, sends SIGHUP and waits until the daemon has applied it: for its log line,
    or for READY=1 from `manager` when the log level may hide that line."""
    with open(d.config_path, "w", encoding="utf-8") as f:
        f.write(config)
    start = len(d.log())
    if manager is not None:
        ready = manager.count(r"^READY=1$")
        d.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + harness.DEFAULT_TIMEOUT
        while manager.count(r"^READY=1$") == ready:  # the notify socket's own reader, bounded
            if time.monotonic() > deadline:
                raise AssertionError("no READY=1 after SIGHUP")
            time.sleep(0.01)
        failed = [line for line in d.log()[start:] if "reload failed" in line]
        if failed:
            raise AssertionError("reload failed:\n" + "\n".join(d.log()[start:]))
        return start
    d.send_signal(signal.SIGHUP)
    m = d.wait_for(r"reloaded |reload failed", start=start)
    if "reload failed" in m.string:
        raise AssertionError("reload failed:\n" + "\n".join(d.log()[start:]))
    return start


def ask(server, payload, source="127.0.0.1", source_port=0, timeout=2.0):
    family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.bind((source, source_port))
        s.sendto(payload, server)
        return s.recvfrom(70000)[0]


def summary(d):
    m = d.wait_for(SUMMARY)
    return {key: int(value) for key, value in m.groupdict().items()}


class Prober(threading.Thread):
    """Asks `server` one request at a time until stopped (at most `limit` requests, `seconds`);
    records every request that got no reply within a second."""

    def __init__(self, server, limit=500000, seconds=60):
        super().__init__(daemon=True)
        self.server, self.limit, self.seconds = server, limit, seconds
        self.answered, self.unanswered = 0, []
        self.halt = threading.Event()

    def run(self):
        deadline = time.monotonic() + self.seconds
        with harness.udp_socket(self.server[0], timeout=1.0) as s:
            for i in range(self.limit):
                if self.halt.is_set() or time.monotonic() > deadline:
                    return
                payload = b"probe %d" % i
                s.sendto(payload, self.server)
                try:
                    while s.recvfrom(100)[0] != PREFIX + payload:
                        pass  # a late reply to an earlier probe
                    self.answered += 1
                except socket.timeout:
                    self.unanswered.append(i)

    def stop(self):
        self.halt.set()
        self.join(10)


class Flood(threading.Thread):
    """One peer sending as fast as it can from `source` (bounded in count and time) and counting
    the replies it reads back."""

    def __init__(self, source, server, count=200000, seconds=60):
        super().__init__(daemon=True)
        self.source, self.server, self.count, self.seconds = source, server, count, seconds
        self.sent = self.received = 0
        self.halt = threading.Event()

    def run(self):
        with harness.bound_socket(self.source, avoid_port=self.server[1]) as s:
            s.setblocking(False)
            deadline = time.monotonic() + self.seconds
            while self.sent < self.count and not self.halt.is_set() and time.monotonic() < deadline:
                try:
                    s.sendto(b"flood %d" % self.sent, self.server)
                    self.sent += 1
                except BlockingIOError:
                    time.sleep(0.001)
                except ConnectionRefusedError:
                    pass  # an ICMP error from an earlier datagram
                while True:
                    try:
                        s.recvfrom(100)
                        self.received += 1
                    except (BlockingIOError, ConnectionRefusedError):
                        break

    def stop(self):
        self.halt.set()
        self.join(10)


class ReloadWorkersTest(harness.unittest.TestCase):
    def test_rate_prefix_change_keeps_the_limit_per_prefix_exact(self):
        # Defect 1: the steering program must follow the new prefix, or each worker limits its own
        # share of a /24 and the /24 gets up to 3 times the burst.
        port = free_udp_port()
        base = f"port = {port}\nworkers = 3\nrate_limit = 1\nrate_burst = 5\nlog_payload_bytes = 0\n"
        with Daemon(base + "rate_prefix_v4 = 32\n") as d:
            start = reload(d, base + "rate_prefix_v4 = 24\n")
            sockets = []
            began = time.monotonic()
            for i in range(1, 17):
                s = harness.bound_socket(f"127.0.0.{i}", avoid_port=port, timeout=0.5)
                sockets.append(s)
                for n in range(20):
                    s.sendto(b"%d" % n, ("127.0.0.1", port))
            sending = time.monotonic() - began
            replies = 0
            for s in sockets:
                try:
                    while True:
                        s.recvfrom(100)
                        replies += 1
                except socket.timeout:
                    pass
                s.close()
            # The bucket refills at 1 a second: one more reply per second (begun) the sending took.
            allowed = 5 + math.ceil(sending)
            print(f"report: /32 -> /24 with 3 workers: {replies} replies to 16 x 20 datagrams "
                  f"from one /24 (burst 5, at most {allowed})")
            self.assertGreaterEqual(replies, 5)
            self.assertLessEqual(replies, allowed)
            self.assertEqual(d.count(r"rate limiting 127\.0\.0\.0/24:"), 1)
            self.assertEqual(d.stop(), 0)
            self.assertEqual(len([l for l in d.log()[start:] if "rate limiting 127.0.0" in l
                                  and "stopped" not in l]), 1)

    def test_workers_change_starts_and_stops_threads(self):
        # Defect 5: a new `workers` applies; sources reach every worker that now runs.
        port = free_udp_port()
        base = f"port = {port}\nrate_prefix_v4 = 32\nlog_payload_bytes = 0\n"
        with Daemon(base + "workers = 1\n") as d:
            for count in (3, 2, 4):
                start = reload(d, base + f"workers = {count}\n")
                for i in range(2, 62):
                    payload = b"to %d workers from %d" % (count, i)
                    self.assertEqual(ask(("127.0.0.1", port), payload, f"127.0.0.{i}"),
                                     PREFIX + payload)
            d.wait_for(r"reload: 4 workers instead of 2", start=start)
            self.assertEqual(d.stop(), 0)
            shares = [int(d.wait_for(WORKER.format(i, 4)).group(1)) for i in range(1, 5)]
            self.assertTrue(all(share > 0 for share in shares), shares)
            self.assertEqual(summary(d)["datagrams"], 180)

    def test_bind_changes_apply_to_every_worker_without_a_gap(self):
        # Defects 2 and 6: "::" beside IPv4, 127.0.0.1 <-> 0.0.0.0 on one port, each applied by
        # every worker while a client is being answered all the while.
        port = free_udp_port()
        base = f"port = {port}\nworkers = 3\nrate_limit = 0\nrate_prefix_v4 = 32\nlog_payload_bytes = 0\n"
        binds = ["127.0.0.1", "127.0.0.1, ::", "127.0.0.1", "0.0.0.0", "127.0.0.1", "::",
                 "::, 127.0.0.1", "::", "127.0.0.1"]
        with Daemon(base + f"bind = {binds[0]}\n") as d:
            prober = Prober(("127.0.0.1", port))
            prober.start()
            for bind in binds[1:]:
                reload(d, base + f"bind = {bind}\n")
                before = prober.answered
                deadline = time.monotonic() + 10
                while prober.answered < before + 20 and time.monotonic() < deadline:
                    time.sleep(0.01)  # the prober's own progress, bounded
                if "::" in bind:
                    self.assertEqual(ask(("::1", port), b"v6", "::1"), PREFIX + b"v6")
                else:
                    self.assertTrue(udp_refused(("::1", port)), f"::1 still answered after {bind}")
                if bind == "0.0.0.0":
                    self.assertEqual(ask(("127.0.0.2", port), b"any", "127.0.0.2"), PREFIX + b"any")
                elif bind == "127.0.0.1":
                    self.assertTrue(udp_refused(("127.0.0.2", port)), "0.0.0.0 still served")
            prober.stop()
            print(f"report: {len(binds) - 1} bind reloads with 3 workers: {prober.answered} probes "
                  f"answered, {len(prober.unanswered)} unanswered")
            self.assertGreater(prober.answered, 0)
            self.assertEqual(prober.unanswered, [])
            # Every worker serves the final sockets: sources spread over all of them.
            for i in range(2, 32):
                self.assertEqual(ask(("127.0.0.1", port), b"x", f"127.0.0.{i}"), PREFIX + b"x")
            self.assertEqual(d.stop(), 0)
            shares = [int(d.wait_for(WORKER.format(i, 3)).group(1)) for i in range(1, 4)]
            self.assertTrue(all(share > 0 for share in shares), shares)

    def test_new_port_applies_to_every_worker_and_the_old_one_is_not_own(self):
        # Defects 4 and 6: every worker moves to the new port; the old one is free and no longer
        # "our own port" for the loop rules.
        old, new = free_udp_port(), free_udp_port()
        base = "workers = 3\nrate_prefix_v4 = 32\n"
        with Daemon(base + f"port = {old}\n") as d:
            reload(d, base + f"port = {new}\n")
            self.assertTrue(udp_refused(("127.0.0.1", old)), "a worker still serves the old port")
            self.assertEqual(ask(("127.0.0.1", new), b"from old", source_port=old),
                             PREFIX + b"from old")
            for i in range(2, 32):
                self.assertEqual(ask(("127.0.0.1", new), b"x", f"127.0.0.{i}"), PREFIX + b"x")
            self.assertEqual(d.stop(), 0)
            self.assertEqual(summary(d)["loop"], 0)
            shares = [int(d.wait_for(WORKER.format(i, 3)).group(1)) for i in range(1, 4)]
            self.assertTrue(all(share > 0 for share in shares), shares)

    def test_status_sums_all_workers(self):
        # Defect 6: STATUS= counts what every worker has seen, not worker 1 alone.
        port = free_udp_port()
        config = f"port = {port}\nworkers = 3\nrate_prefix_v4 = 32\nrate_limit = 0\n"
        with NotifySocket() as manager, Daemon(config, env=manager.env()) as d:
            for i in range(2, 32):
                ask(("127.0.0.1", port), b"count me", f"127.0.0.{i}")
            manager.wait_for(rf"^STATUS=127\.0\.0\.1:{port} \u00b7 30 datagrams from 30 peers$")
            self.assertEqual(d.stop(), 0)
            shares = [int(d.wait_for(WORKER.format(i, 3)).group(1)) for i in range(1, 4)]
            self.assertTrue(all(share > 0 for share in shares), shares)

    def test_a_retired_socket_answers_what_it_read_and_then_stops(self):
        # Defect 3: a socket a reload retires must not go on after it is closed (replies counted
        # but never sent, sendmmsg on a closed descriptor). Floods reach both ports; each reload
        # moves the daemon from one to the other.
        ports = [free_udp_port(), free_udp_port()]
        base = "rate_limit = 0\nlog_payload_bytes = 0\n"
        with Daemon(base + f"port = {ports[0]}\n") as d:
            floods = [Flood(f"127.0.0.{i}", ("127.0.0.1", ports[i % 2])) for i in (2, 3, 4, 5)]
            for flood in floods:
                flood.start()
            for n in range(1, 41):
                reload(d, base + f"port = {ports[n % 2]}\n")
            for flood in floods:
                flood.stop()
            self.assertEqual(d.stop(), 0)
            figures = summary(d)
            print(f"report: 40 port reloads under 4 floods: {figures['datagrams']} datagrams, "
                  f"{figures['replies']} replies, {figures['send_errors']} send errors, "
                  f"{figures['receive_errors']} receive errors")
            self.assertGreater(figures["datagrams"], 0)
            self.assertEqual(figures["send_errors"], 0)
            self.assertEqual(figures["receive_errors"], 0)
            self.assertEqual(figures["datagrams"], figures["replies"])

    def test_every_reloadable_key_under_a_three_peer_flood(self):
        # Defects 3 and 8, and the whole: 50 reloads, each changing keys in turn (workers, rate
        # prefixes and bind among them) while three peers flood. Nothing read is lost: every
        # datagram is answered or dropped for a named reason, and no reply fails to go out.
        port = free_udp_port()
        steps = [
            "reply_prefix = \"r1:\"", "log_payload_bytes = 4", "log_level = warning",
            "loop_protection = no", "rate_limit = 50", "rate_burst = 20", "rate_prefix_v4 = 32",
            "rate_prefix_v6 = 64", "rate_table_size = 1000", "rate_exempt = 127.0.0.4/32",
            "deny = 127.0.0.3/32", "allow = 127.0.0.0/8", "workers = 2", "workers = 4",
            "bind = 0.0.0.0", "bind = 127.0.0.1, ::", "workers = 3", "rate_prefix_v4 = 16",
        ]
        base = f"port = {port}\n"
        with NotifySocket() as manager, Daemon(base + "workers = 3\n", env=manager.env()) as d:
            floods = [Flood(f"127.0.0.{i}", ("127.0.0.1", port)) for i in (2, 3, 4)]
            for flood in floods:
                flood.start()
            keys = {}
            for n in range(50):
                key, _, value = steps[n % len(steps)].partition(" = ")
                keys[key] = value
                if n % len(steps) == len(steps) - 1:
                    keys = {"workers": "3"}  # back to the start, in turn again
                reload(d, base + "".join(f"{k} = {v}\n" for k, v in keys.items()), manager)
            for flood in floods:
                flood.stop()
            reload(d, base + "workers = 3\n", manager)  # log_level back to info for the summary
            self.assertEqual(d.stop(), 0)
            figures = summary(d)
            sent = sum(f.sent for f in floods)
            received = sum(f.received for f in floods)
            print(f"report: 50 reloads under a 3-peer flood: {sent} sent, "
                  f"{figures['datagrams']} read by the daemon, {figures['replies']} replies "
                  f"({received} read back), {figures['limited']} rate-limited, "
                  f"{figures['denied']} denied, {figures['loop']} loop, "
                  f"{figures['send_errors']} send errors, {figures['receive_errors']} receive errors")
            self.assertGreater(figures["datagrams"], 0)
            self.assertEqual(figures["send_errors"], 0)
            self.assertEqual(figures["receive_errors"], 0)
            self.assertEqual(figures["datagrams"],
                             figures["replies"] + figures["oversized"] + figures["denied"]
                             + figures["loop"] + figures["limited"])
            self.assertLessEqual(figures["datagrams"], sent)
            self.assertLessEqual(received, figures["replies"])
            # One numbering: the per-worker lines count 1..N, and a crash would say the same.
            self.assertEqual(d.count(r"worker 0 "), 0)
            self.assertEqual(d.count(r"stopped serving"), 0)


if __name__ == "__main__":
    harness.main()
