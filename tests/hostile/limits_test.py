"""Issue 14, bounds: the public listeners took every connection offered (one client could hold
them all) and nothing bounded the memory that connection buffers and in-flight bodies take.
Now limits.max_connections and limits.max_connections_per_ip close a connection at accept past
either cap (gatehouse_connections_refused_total{reason}), and limits.memory bounds buffered
bytes: above it new requests get 503 (gatehouse_http_requests_refused_total{reason="memory"})
and reading from backends pauses until memory is given back."""

import socket
import time

from admin_support import AdminCase, parse_prometheus


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
