"""A configurable UDP echo server for client tests, run in a thread of the test itself.

It answers like udpechod (prefix + payload) but can misbehave on purpose, deterministically:
counting the datagrams it receives from 1, it can drop chosen ones, answer some twice, hold a
reply back until the next datagram arrives (so it comes late, or out of order), send a stray
datagram first, or never answer at all. The socket is bound before the constructor returns, so
there is nothing to wait for.
"""

import socket
import threading

PREFIX = b"server send data:"


class EchoServer:
    """`drop_every`: drop datagrams N, 2N, ...; `drop`: datagram numbers to drop; `duplicate`:
    numbers answered twice; `hold`: payloads whose replies are held until a datagram with another
    payload arrives, and then sent before its reply; `swap`: numbers K whose reply is sent after the reply to K+1; `stray`:
    numbers before whose reply a datagram that answers nothing is sent (`stray_payload`, junk
    of any size); `silent`: never reply."""

    def __init__(self, host="127.0.0.1", drop_every=0, drop=(), duplicate=(), hold=(), swap=(),
                 stray=(), silent=False, prefix=PREFIX, port=0,
                 stray_payload=b"nobody asked for this"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.address = self.sock.getsockname()[:2]
        self.port = self.address[1]
        self.drop_every = drop_every
        self.drop = set(drop)
        self.duplicate = set(duplicate)
        self.hold = set(hold)
        self.swap = set(swap)
        self.stray = set(stray)
        self.stray_payload = stray_payload
        self.silent = silent
        self.prefix = prefix
        self.received = []  # payloads, in arrival order
        self.last_peer = None
        self.lock = threading.Condition()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        late = []  # (reply, peer) held by `hold`, sent before the next reply
        overtaken = []  # (reply, peer) held by `swap`, sent after the next reply
        while True:
            try:
                payload, peer = self.sock.recvfrom(70000)
            except OSError:
                return
            with self.lock:
                self.received.append(payload)
                self.last_peer = peer
                number = len(self.received)
                self.lock.notify_all()
            if self.silent:
                continue
            if self.drop_every and number % self.drop_every == 0 or number in self.drop:
                continue
            reply = self.prefix + payload
            if payload in self.hold:
                late.append((reply, peer))
                continue
            if number in self.swap:
                overtaken.append((reply, peer))
                continue
            # A held reply arrives while the client waits for this datagram's reply.
            for old_reply, old_peer in late:
                self.sock.sendto(old_reply, old_peer)
            late.clear()
            if number in self.stray:
                self.sock.sendto(self.stray_payload, peer)
            self.sock.sendto(reply, peer)
            # A swapped reply follows the reply that overtook it.
            for old_reply, old_peer in overtaken:
                self.sock.sendto(old_reply, old_peer)
            overtaken.clear()
            if number in self.duplicate:
                self.sock.sendto(reply, peer)

    def inject(self, payload):
        """Sends `payload` to the peer of the last datagram, as if it were a reply."""
        with self.lock:
            peer = self.last_peer
        self.sock.sendto(payload, peer)

    def wait_received(self, count, timeout=10.0):
        """Waits until `count` datagrams have arrived; returns them."""
        with self.lock:
            if not self.lock.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"only {len(self.received)} of {count} datagrams arrived")
            return list(self.received)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def main():
    """Runs the server in the foreground, for trying the client by hand."""
    import argparse

    def numbers(text):
        return [int(n) for n in text.split(",") if n]

    parser = argparse.ArgumentParser(description="A UDP echo server that misbehaves on purpose.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--drop-every", type=int, default=0, metavar="N")
    parser.add_argument("--drop", type=numbers, default=[], metavar="K,K...")
    parser.add_argument("--duplicate", type=numbers, default=[], metavar="K,K...")
    parser.add_argument("--swap", type=numbers, default=[], metavar="K,K...")
    parser.add_argument("--hold", action="append", default=[], metavar="PAYLOAD")
    parser.add_argument("--silent", action="store_true")
    args = parser.parse_args()
    server = EchoServer(args.host, drop_every=args.drop_every, drop=args.drop,
                        duplicate=args.duplicate, swap=args.swap, silent=args.silent,
                        hold=[h.encode() for h in args.hold],
                        port=args.port)
    print(f"listening on {args.host}:{server.port}", flush=True)
    try:
        server.thread.join()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
