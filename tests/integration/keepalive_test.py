"""Connections: client keep-alive, backend connection reuse, pipelining, close semantics,
Expect: 100-continue."""

import socket
import unittest

from integration_case import IntegrationCase
from raw_client import request

WORKERS = 2


class KeepAliveTest(IntegrationCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")

    def test_twenty_requests_on_one_connection(self):
        gh = self.start([self.a1], workers=WORKERS)
        c = self.client(gh)
        for i in range(20):
            r = c.get("/echo?i=%d" % i)
            self.assertStatus(r, 200, "request %d" % i)
            self.assertEqual(r.json()["target"], "/echo?i=%d" % i, self.diag(r))
        self.assertFalse(c.eof, self.diag("connection closed after 20 keep-alive requests"))

    def test_backend_connections_are_reused(self):
        gh = self.start([self.a1], workers=WORKERS)
        for i in range(50):
            with self.client(gh) as c:  # a new client connection each time, on any worker
                self.assertStatus(c.get("/hello?i=%d" % i), 200, "request %d" % i)
        self.assertEqual(self.a1.requests, 50)
        self.assertLessEqual(self.a1.connections_accepted, WORKERS,
                             self.diag("origin accepted %d connections for 50 sequential requests"
                                       % self.a1.connections_accepted))

    def test_backend_connections_are_reused_on_one_client_connection(self):
        gh = self.start([self.a1], workers=WORKERS)
        c = self.client(gh)
        for i in range(50):
            self.assertStatus(c.get("/hello?i=%d" % i), 200, "request %d" % i)
        self.assertEqual(self.a1.connections_accepted, 1, self.diag(self.a1.snapshot()))

    def test_pipelined_requests_are_answered_in_order(self):
        gh = self.start([self.a1], workers=WORKERS)
        c = self.client(gh)
        c.send(request("GET", "/echo?n=1") + request("GET", "/delay?ms=200") +
               request("POST", "/echo?n=3", body=b"third"))
        r1, r2, r3 = (c.read_response(timeout=5) for _ in range(3))
        self.assertEqual(r1.json()["target"], "/echo?n=1", self.diag(r1))
        self.assertEqual((r2.status, r2.body), (200, b"delayed 200 ms"), self.diag(r2))
        self.assertEqual((r3.json()["target"], r3.json()["body_len"]), ("/echo?n=3", 5), self.diag(r3))

    def test_http10_without_keepalive_is_answered_then_closed(self):
        gh = self.start([self.a1], workers=WORKERS)
        c = self.client(gh)
        c.send(b"GET /hello HTTP/1.0\r\nHost: test.local\r\n\r\n")
        r = c.read_response()
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"hello", self.diag(r))
        self.assertTrue(c.is_closed(3), self.diag("HTTP/1.0 connection not closed"))

    def test_http10_response_without_length_is_close_delimited_or_sized(self):
        gh = self.start([self.a1], workers=WORKERS)
        c = self.client(gh)
        c.send(b"GET /chunked?n=5000 HTTP/1.0\r\nHost: test.local\r\n\r\n")
        r = c.read_response()
        self.assertStatus(r, 200)
        self.assertNotEqual(r.framing, "chunked", self.diag("chunked sent to an HTTP/1.0 client", r))
        self.assertEqual(r.body_len, 5000, self.diag(r))

    def test_connection_close_is_answered_then_closed(self):
        gh = self.start([self.a1], workers=WORKERS)
        c = self.client(gh)
        c.send(request("GET", "/hello", [("Connection", "close")]))
        r = c.read_response()
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"hello")
        self.assertTrue(c.is_closed(3), self.diag("Connection: close not honoured"))

    def test_expect_100_continue(self):
        gh = self.start([self.a1], workers=WORKERS)
        c = self.client(gh)
        c.send(request("POST", "/echo", [("Expect", "100-continue"), ("Content-Length", "10")]))
        interim = c.read_response(timeout=5)
        self.assertEqual((interim.status, interim.version), (100, "HTTP/1.1"), self.diag(interim))
        self.assertTrue(interim.raw_head.startswith(b"HTTP/1.1 100 Continue\r\n"), self.diag(interim))
        c.send(b"0123456789")
        r = c.read_response(timeout=5, skip_informational=True)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["body_len"], 10, self.diag(r))

    def test_expect_with_body_over_limit_gets_413_without_sending_the_body(self):
        gh = self.start([self.a1], workers=WORKERS, limits={"body": "1MiB"})
        c = self.client(gh)
        c.send(request("POST", "/echo", [("Expect", "100-continue"),
                                         ("Content-Length", str(10 * 1024 * 1024))]))
        r = c.read_response(timeout=5)
        self.assertStatus(r, 413)
        self.assertEqual(self.a1.requests, 0, self.diag(self.a1.snapshot()))

    def test_http10_with_keepalive_stays_open(self):
        gh = self.start([self.a1], workers=WORKERS)
        c = self.client(gh)
        for _ in range(3):
            c.send(b"GET /hello HTTP/1.0\r\nHost: test.local\r\nConnection: keep-alive\r\n\r\n")
            r = c.read_response()
            self.assertEqual((r.status, r.body), (200, b"hello"), self.diag(r))

    def test_pipelined_slow_first_request_keeps_order(self):
        gh = self.start([self.a1], workers=WORKERS)
        c = self.client(gh)
        c.send(request("GET", "/delay?ms=300") + request("GET", "/hello") + request("GET", "/echo?n=3"))
        r1, r2, r3 = (c.read_response(timeout=5) for _ in range(3))
        self.assertEqual((r1.body, r2.body, r3.json()["target"]),
                         (b"delayed 300 ms", b"hello", "/echo?n=3"), self.diag(r1, r2, r3))

    def test_stale_pooled_connection_is_not_an_error(self):
        """The origin closes its idle keep-alive connection; the next request still succeeds."""
        gh = self.start([self.a1], workers=1)
        c = self.client(gh)
        self.assertStatus(c.get("/hello"), 200)
        self.assertTrue(self.a1.wait_for_idle(1, 2), self.diag(self.a1.snapshot()))
        self.assertEqual(self.a1.close_idle_connections(), 1, self.diag(self.a1.snapshot()))
        self.assertTrue(self.a1.wait_for_open_connections(0, 2))
        for method in ("GET", "POST"):
            c.send(request(method, "/echo", body=b"after-stale" if method == "POST" else b""))
            r = c.read_response(timeout=5)
            self.assertStatus(r, 200, "%s after the origin closed the pooled connection" % method)

    def test_stale_pooled_connection_closed_at_the_last_moment(self):
        """Close the idle origin connection and send at once: the proxy may not have seen the
        FIN yet. An idempotent request must still get through."""
        gh = self.start([self.a1], workers=1)
        c = self.client(gh)
        failures = []
        for i in range(20):
            self.assertStatus(c.get("/hello?i=%d" % i), 200)
            self.assertTrue(self.a1.wait_for_idle(1, 2), self.diag(self.a1.snapshot()))
            # Usually one idle connection; two when the previous retry opened a new one before
            # the origin dropped the closed one from its idle set (a race in the test origin).
            self.assertGreaterEqual(self.a1.close_idle_connections(), 1,
                                    self.diag(self.a1.snapshot()))
            c.send(request("GET", "/hello?after=%d" % i))
            r = c.read_response(timeout=5)
            if r.status != 200:
                failures.append((i, r.status))
        self.assertEqual(failures, [], self.diag("requests failed on a just-closed pooled connection"))

    def test_client_half_close_before_the_response_aborts_the_request(self):
        """A FIN before the response means the client left (nginx's behaviour, which gatehouse
        follows): the exchange is aborted and logged as 499, the connection closed."""
        gh = self.start([self.a1], workers=WORKERS)
        c = self.client(gh)
        c.send(request("GET", "/delay?ms=500"))
        c.sock.shutdown(socket.SHUT_WR)
        self.assertTrue(c.is_closed(5), self.diag("half-closed client kept open"))
        entries = gh.wait_for_access_log(lambda e: e.get("status") == 499, timeout=5)
        self.assertTrue(entries, self.diag("no access log line with status 499"))
        self.assertTrue(entries[0]["aborted"], self.diag(entries))

    def test_client_gone_mid_request_releases_the_backend_connection(self):
        gh = self.start([self.a1], workers=WORKERS)
        c = self.client(gh)
        c.send(request("GET", "/hold?key=gone"))
        self.assertTrue(self.a1.wait_for_requests(1, 5))
        c.close()
        # The held response cannot go anywhere: gatehouse should drop that backend connection.
        self.assertTrue(self.a1.wait_for_open_connections(0, 5),
                        self.diag("backend connection kept after the client left", self.a1.snapshot()))

    def test_extra_bytes_after_a_response_are_not_forwarded(self):
        """An origin that sends more than its Content-Length must not desync the client:
        the excess must never appear as a response of its own."""
        def handler(ctx):
            ctx.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
                     b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\nX-Injected: 1\r\n\r\ninjected")
        self.a1.add_route("/overrun", handler)
        gh = self.start([self.a1], workers=1)
        c = self.client(gh)
        c.send(request("GET", "/overrun") + request("GET", "/hello"))
        r1 = c.read_response(timeout=5)
        self.assertEqual((r1.status, r1.body), (200, b"hello"), self.diag(r1))
        try:
            r2 = c.read_response(timeout=5)
        except AssertionError:
            return  # closing the client connection is acceptable
        self.assertIsNone(r2.header("x-injected"), self.diag("injected response forwarded", r2))
        self.assertEqual(r2.body, b"hello", self.diag(r2))

    def test_hundred_pipelined_requests(self):
        gh = self.start([self.a1], workers=WORKERS)
        c = self.client(gh)
        c.send(b"".join(request("GET", "/bytes?n=%d" % (1000 + i)) for i in range(100)))
        for i in range(100):
            r = c.read_response(timeout=10)
            self.assertEqual((r.status, r.body_len), (200, 1000 + i), self.diag("response %d" % i, r))


if __name__ == "__main__":
    unittest.main()
