"""Issue 14, bounds: the public listeners took every connection offered (one client could hold
them all) and nothing bounded the memory that connection buffers and in-flight bodies take.
Now limits.max_connections and limits.max_connections_per_ip close a connection at accept past
either cap (gatehouse_connections_refused_total{reason}), and limits.memory bounds buffered
bytes: above it new requests get 503 (gatehouse_http_requests_refused_total{reason="memory"})
and reading from backends pauses until memory is given back."""

import os
import socket
import time

from admin_support import AdminCase, parse_prometheus
from gatehouse_process import RssSampler, free_port
from h2_frames import PREFACE, H2Client, headers_frame, request_block, settings

MiB = 1024 * 1024
# Sanitizer builds (GATEHOUSE_RSS_LIMIT_KIB set by CMake) bring their own allocator and shadow
# memory: RSS says nothing there, the counted bytes still do.
RSS_MEANINGFUL = "GATEHOUSE_RSS_LIMIT_KIB" not in os.environ


def kept_alive(port, source="127.0.0.1"):
    """A connection from `source` that had a request answered and stays open. (The listener
    accepts only once bytes arrive, TCP_DEFER_ACCEPT: a request makes the accept happen.)"""
    s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
    head = b""
    while b"hello" not in head:
        try:
            chunk = s.recv(4096)
        except ConnectionResetError:  # closed with our request unread: a reset
            chunk = b""
        if not chunk:
            return None, s
        head += chunk
    return head, s


def refused(port, source="127.0.0.1"):
    """True if a new connection from `source` is closed without an answer."""
    head, s = kept_alive(port, source)
    s.close()
    return head is None


class ConnectionLimitsTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")

    def hold(self, port, n, source="127.0.0.1"):
        held = []
        for _ in range(n):
            head, s = kept_alive(port, source)
            self.addCleanup(s.close)
            self.assertIsNotNone(head, self.diag("connection %d from %s refused" % (len(held), source)))
            held.append(s)
        return held

    def refused_total(self, admin, reason):
        m = parse_prometheus(admin.get("/metrics").text)
        return m["gatehouse_connections_refused_total"].value(reason=reason)

    def test_one_client_address_cannot_take_more_than_max_connections_per_ip(self):
        gh, admin = self.start_with_admin([self.a1], limits={"max_connections_per_ip": 3})
        held = self.hold(gh.port, 3)
        self.assertTrue(refused(gh.port), self.diag("a 4th connection from 127.0.0.1 was served"))
        self.hold(gh.port, 1, source="127.0.0.2")  # another client still gets in
        self.assertEqual(self.refused_total(admin, "max_connections_per_ip"), 1)
        held[0].close()  # a place comes back once a connection closes
        deadline = time.monotonic() + 5
        while refused(gh.port) and time.monotonic() < deadline:
            time.sleep(0.05)  # poll interval, bounded by the deadline
        self.assertLess(time.monotonic(), deadline, self.diag("the place never came back"))

    def test_by_default_one_client_address_gets_256_connections(self):
        gh, admin = self.start_with_admin([self.a1])
        self.hold(gh.port, 256, source="127.0.0.5")
        self.assertTrue(refused(gh.port, source="127.0.0.5"),
                        self.diag("a 257th connection from one address was served"))

    def test_all_clients_together_cannot_pass_max_connections(self):
        gh, admin = self.start_with_admin(
            [self.a1], limits={"max_connections": 4, "max_connections_per_ip": 0})
        self.hold(gh.port, 2, source="127.0.0.2")
        self.hold(gh.port, 2, source="127.0.0.3")
        self.assertTrue(refused(gh.port, source="127.0.0.4"), self.diag("a 5th connection was served"))
        self.assertEqual(self.refused_total(admin, "max_connections"), 1)
        # The admin listener is apart: it still answers (it has its own caps).
        self.assertEqual(admin.get("/status").status, 200)


def slow_reader(port, target):
    """A client that asks for `target` and reads nothing (a tiny receive window)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET %s HTTP/1.1\r\nHost: a\r\n\r\n" % target.encode())
    return s


def status_of(port, target="/hello"):
    """The status of a GET on a new connection (0 if none came)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET %s HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" % target.encode())
            line = s.recv(64).split(b"\r\n", 1)[0]
            return int(line.split()[1]) if line.startswith(b"HTTP/1.1 ") else 0
    except OSError:
        return 0


class MemoryLimitTest(AdminCase):
    BUDGET = 8 * MiB
    READERS = 150

    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")
        big = b"x" * (32 * MiB)
        self.a1.add_route("/big", lambda ctx: ctx.respond(200, big))
        self.a1.add_route("/hello", lambda ctx: ctx.respond(200, b"hello"))

    def start_limited(self, **listener):
        """A gatehouse with limits.memory at BUDGET on one listener (h2c: true for HTTP/2)."""
        address = {"address": "127.0.0.1:%d" % free_port()}
        address.update(listener)
        return self.start_with_admin([self.a1], listeners=[address], limits={"memory": "8MiB"})

    def wait_for_status(self, port, status, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if status_of(port) == status:
                return True
            time.sleep(0.05)  # poll interval, bounded by the deadline
        return False

    def metrics(self, admin):
        return parse_prometheus(admin.get("/metrics").text)

    # What one exchange may read past the limit before it pauses: one read (16 KiB) of the
    # backend, in a 32 KiB block. Exchanges started before the limit was reached each may.
    PER_EXCHANGE = 32 * 1024

    def flood_and_check(self, gh, admin, open_clients, at_once):
        """open_clients() starts the flood and returns what to close to end it; `at_once`
        exchanges may start together, before the limit is seen. Checks that new requests get
        503 while it lasts, that memory stays near the budget, and that service comes back
        once it ends."""
        self.assertEqual(status_of(gh.port), 200)
        baseline = gh.rss_kib()
        clients = []
        self.addCleanup(lambda: [c.close() for c in clients])
        with RssSampler(gh, interval=0.1) as rss:
            clients += open_clients()
            self.assertTrue(self.wait_for_status(gh.port, 503, timeout=20),
                            self.diag("never refused above limits.memory; " + rss.summary()))
            time.sleep(1.0)  # the backends have had their chance to send more
            m = self.metrics(admin)
        overshoot = at_once * self.PER_EXCHANGE
        counted = m["gatehouse_memory_bytes"].value()
        self.assertLess(counted, self.BUDGET + overshoot + 2 * MiB,
                        self.diag("counted %d bytes" % counted))
        self.assertEqual(m["gatehouse_memory_limit_bytes"].value(), self.BUDGET)
        self.assertGreaterEqual(m["gatehouse_http_requests_refused_total"].value(reason="memory"), 1)
        self.assertGreaterEqual(m["gatehouse_memory_pauses_total"].value(), 1)
        if RSS_MEANINGFUL:
            grown_kib = rss.max_kib - baseline
            self.assertLess(grown_kib, (self.BUDGET + overshoot + 12 * MiB) // 1024,
                            self.diag("RSS grew %d KiB over a %d KiB baseline; %s"
                                      % (grown_kib, baseline, rss.summary())))
        # The flood leaves: memory comes back, and so does service.
        for c in clients:
            c.close()
        self.assertTrue(self.wait_for_status(gh.port, 200, timeout=10),
                        self.diag("still refusing after the flood left"))

    def test_slow_readers_cannot_push_memory_past_the_budget_and_new_requests_get_503(self):
        # Before the fix each reader's response buffered up to the client's high watermark
        # (~350 KiB of RSS each: +53 MiB for 150) and every new request was still served.
        gh, admin = self.start_limited()
        self.flood_and_check(
            gh, admin, lambda: [slow_reader(gh.port, "/big") for _ in range(self.READERS)],
            at_once=1)  # one request after the other

    def test_http2_streams_at_window_0_cannot_push_memory_past_the_budget(self):
        # Each connection's streams may hold up to 4 MiB of responses (http2.response_buffer) for a
        # client that opened its windows to nothing: 12 connections were 48 MiB. Its 16
        # streams start together.
        gh, admin = self.start_limited(h2c=True)

        def window_zero_clients():
            out = []
            for _ in range(12):
                c = H2Client(gh.port, tls=False)
                streams = b"".join(
                    headers_frame(2 * i + 1, request_block("/big", authority="a", scheme="http"))
                    for i in range(16))
                c.send(PREFACE + settings([(0x4, 0)]) + streams)  # SETTINGS_INITIAL_WINDOW_SIZE 0
                out.append(c)
            return out

        self.flood_and_check(gh, admin, window_zero_clients, at_once=12 * 16)
