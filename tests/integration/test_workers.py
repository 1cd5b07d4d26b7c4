"""Workers: every worker answers, they share one port (also port 0), and the summary adds them up."""


import harness
from harness import Daemon

PREFIX = b"server send data:"
SUMMARY = r"stopping on SIGTERM: (\d+) datagrams \((\d+) bytes\) from (\d+) peers; (\d+) replies"
WORKER = r"worker {} of {}: (\d+) datagrams"


def ask(source, server, payload):
    with harness.bound_socket(source, avoid_port=server[1], timeout=3) as s:
        s.sendto(payload, server)
        return s.recvfrom(70000)


class WorkersTest(harness.unittest.TestCase):
    def test_workers_share_port_0_answer_and_add_up(self):
        workers = 3
        # Datagrams are steered to workers by source prefix, so each source is its own /32 here.
        with Daemon(f"bind = 127.0.0.1, ::1\nport = 0\nworkers = {workers}\n"
                    "rate_prefix_v4 = 32\n") as d:
            d.wait_for(rf"ready: serving 2 sockets with {workers} workers")
            self.assertEqual(len(d.endpoints), 2)
            self.assertEqual(d.endpoints[0][1], d.endpoints[1][1], "both addresses share the port")
            sources = [f"127.0.0.{i}" for i in range(2, 62)]
            for source in sources:
                payload = b"from " + source.encode()
                reply, origin = ask(source, d.address, payload)
                self.assertEqual(reply, PREFIX + payload)
                self.assertEqual(origin, d.address)
            reply, _ = harness.exchange(("::1", d.port), b"v6")
            self.assertEqual(reply, PREFIX + b"v6")
            self.assertEqual(d.stop(), 0)
            total = len(sources) + 1
            m = d.wait_for(SUMMARY)
            self.assertEqual(int(m.group(1)), total)
            self.assertEqual(int(m.group(3)), total)
            self.assertEqual(int(m.group(4)), total)
            shares = [int(d.wait_for(WORKER.format(i, workers)).group(1))
                      for i in range(1, workers + 1)]
            self.assertEqual(sum(shares), total)
            for i, share in enumerate(shares, 1):
                self.assertGreater(share, 0, f"worker {i} answered nothing: {shares}")

    def test_one_source_address_stays_on_one_worker(self):
        # Per-source state is kept per worker; that is only exact if the kernel hands all of a
        # source's ports to the same worker.
        workers = 4
        with Daemon(f"port = 0\nworkers = {workers}\n") as d:
            for i in range(40):
                reply, _ = ask("127.0.0.9", d.address, b"port %d" % i)
                self.assertEqual(reply, PREFIX + b"port %d" % i)
            self.assertEqual(d.stop(), 0)
            shares = sorted(int(d.wait_for(WORKER.format(i, workers)).group(1))
                            for i in range(1, workers + 1))
            self.assertEqual(shares, [0, 0, 0, 40])

    def test_auto_starts_one_worker_per_cpu(self):
        import os
        with Daemon("port = 0\nworkers = auto\n") as d:
            d.wait_for(rf"with {len(os.sched_getaffinity(0))} workers?$")
            reply, _ = harness.exchange(d.address, b"auto")
            self.assertEqual(reply, PREFIX + b"auto")
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    harness.main()
