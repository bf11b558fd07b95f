"""Failures: unreachable, broken and silent backends; stalled and idle clients."""

import time
import unittest

from integration_case import IntegrationCase
from raw_client import IncompleteResponse, ResponseTimeout, request


class BackendErrorsTest(IntegrationCase):
    def assertErrorPage(self, r, status):
        self.assertStatus(r, status)
        self.assertLess(r.body_len, 4096, self.diag(r))
        self.assertIn(b"<", r.body, self.diag("error body is not an HTML page", r))
        ctype = (r.header("content-type") or "").lower()
        self.assertIn("text/html", ctype, self.diag(r))

    def test_502_when_backend_refuses(self):
        refusing = self.refusing_port()
        gh = self.start([("r1", refusing.address, 1)])
        c = self.client(gh)
        c.send(request("GET", "/hello", [("X-Request-Id", "refused-0123456789abcdef")]))
        r = c.read_response(timeout=10)
        self.assertErrorPage(r, 502)
        found = gh.wait_for_access_log(lambda e: e.get("request_id") == "refused-0123456789abcdef")
        self.assertEqual([e.get("status") for e in found], [502], self.diag(found))
        # The client connection survives a 502 (or is closed cleanly): no hang either way.
        if not c.eof and not r.has_token("connection", "close"):
            self.assertStatus(c.get("/hello", timeout=10), 502)

    def test_retry_moves_an_idempotent_request_to_a_live_server(self):
        refusing = self.refusing_port()
        a1 = self.origin("a1")
        gh = self.start([("r1", refusing.address, 1), ("a1", a1.address, 1)])
        c = self.client(gh)
        for i in range(6):  # round robin hits the refusing server at least twice
            r = c.get("/hello?i=%d" % i, timeout=10)
            self.assertStatus(r, 200, "request %d" % i)
        self.assertEqual(a1.requests, 6)

    def test_502_on_garbage_response(self):
        a1 = self.origin("a1")
        gh = self.start([a1])
        r = self.client(gh).get("/garbage", timeout=10)
        self.assertErrorPage(r, 502)
        found = gh.wait_for_access_log(lambda e: str(e.get("path", "")).startswith("/garbage"))
        self.assertEqual([e.get("status") for e in found], [502], self.diag(found))

    def test_504_when_backend_never_answers(self):
        silent = self.silent_origin()
        gh = self.start([("s1", silent.address, 1)], timeouts={"backend_response": "1s"})
        c = self.client(gh)
        started = time.monotonic()
        c.send(request("GET", "/hello"))
        r = c.read_response(timeout=10)
        elapsed = time.monotonic() - started
        self.assertErrorPage(r, 504)
        self.assertTrue(silent.wait_for_connections(1, 1))
        self.assertGreater(elapsed, 0.8, self.diag("504 before backend_response elapsed: %.2fs" % elapsed))
        self.assertLess(elapsed, 5.0, self.diag("504 took %.2fs with backend_response: 1s" % elapsed))

    def test_backend_closing_mid_body_closes_the_client(self):
        a1 = self.origin("a1")
        gh = self.start([a1])
        c = self.client(gh)
        c.send(request("GET", "/close-mid-body"))
        try:
            r = c.read_response(timeout=10)
        except IncompleteResponse as e:
            partial = e.partial
            self.assertEqual(partial.status, 200, self.diag(partial))
            self.assertLess(partial.body_len, 1000, self.diag(partial))
        except ResponseTimeout as e:
            self.fail(self.diag("client left hanging after the backend closed mid-body: %s" % e))
        else:
            # Before streaming starts a proxy may still turn this into a 502; a complete 200
            # would be a lie.
            self.assertNotEqual(r.status, 200, self.diag("complete 200 from a truncated body", r))
            self.assertTrue(r.status >= 500, self.diag(r))
        self.assertTrue(c.is_closed(5), self.diag("client connection not closed"))
        self.assertStatus(self.client(gh).get("/hello"), 200)

    def test_backend_error_statuses_pass_through(self):
        a1 = self.origin("a1")
        gh = self.start([a1])
        c = self.client(gh)
        for code in (404, 500, 503):
            r = c.get("/status?code=%d" % code)
            self.assertStatus(r, code)
            self.assertEqual(r.body, b"status %d\n" % code, self.diag(r))

    def test_ambiguous_response_framing_is_a_502(self):
        """A response with both CL and TE (or two CLs) is a desync risk: never pass it on."""
        a1 = self.origin("a1")
        bad = {
            "/cl-te": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"5\r\nhello\r\n0\r\n\r\n",
            "/two-cl": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello!!",
            "/bad-cl": b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nhello",
            "/bad-status": b"HTTP/1.1 2000 OK\r\nContent-Length: 5\r\n\r\nhello",
        }
        for path, raw in bad.items():
            def handler(ctx, raw=raw):
                ctx.send(raw)
                ctx.keep_alive = False
            a1.add_route(path, handler)
        gh = self.start([a1])
        for path in bad:
            with self.subTest(path=path):
                c = self.client(gh)
                c.send(request("GET", path))
                try:
                    r = c.read_response(timeout=5)
                except IncompleteResponse as e:
                    self.fail(self.diag("%s: connection closed with no response (%s)" % (path, e)))
                self.assertStatus(r, 502, path)

    def test_oversized_response_head_is_a_502(self):
        a1 = self.origin("a1")

        def handler(ctx):
            ctx.send(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-R%d: %s\r\n" % (i, b"v" * 1000)
                                                      for i in range(200))
                     + b"Content-Length: 2\r\n\r\nok")
            ctx.keep_alive = False
        a1.add_route("/huge-head", handler)
        gh = self.start([a1])
        r = self.client(gh).get("/huge-head", timeout=10)
        self.assertStatus(r, 502)

    def test_origin_closing_without_a_response_is_a_502(self):
        a1 = self.origin("a1")

        def handler(ctx):
            ctx.keep_alive = False  # close without a byte
        a1.add_route("/vanish", handler)
        gh = self.start([a1])
        r = self.client(gh).get("/vanish", timeout=10)
        self.assertErrorPage(r, 502)

    def test_early_response_during_an_upload_reaches_the_client(self):
        """The origin answers 403 before reading an 8 MiB body, then closes: the client must
        see the 403, not a reset or a 502."""
        a1 = self.origin("a1")

        def handler(ctx):
            ctx.respond(403, b"no uploads here\n")
            ctx.lingering_close()
        a1.add_route("/early", handler, read_body=False)
        gh = self.start([a1])
        c = self.client(gh)
        n = 8 * 1024 * 1024
        c.send(request("POST", "/early", [("Content-Length", str(n))]))
        try:
            for _ in range(n // 65536):
                c.send(b"u" * 65536, timeout=5)
        except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
            pass  # gatehouse may stop reading once the response is in
        r = c.read_response(timeout=10)
        self.assertStatus(r, 403)
        self.assertEqual(r.body, b"no uploads here\n", self.diag(r))


class ClientTimeoutsTest(IntegrationCase):
    def test_stalled_request_head_is_closed_after_client_header(self):
        a1 = self.origin("a1")
        gh = self.start([a1], timeouts={"client_header": "1s"})
        c = self.client(gh)
        started = time.monotonic()
        c.send(b"GET /hello HTTP/1.1\r\nHost: test.local\r\nX-Slow: ")
        self.assertTrue(c.is_closed(5), self.diag("half a head kept open past client_header"))
        elapsed = time.monotonic() - started
        self.assertGreater(elapsed, 0.8, self.diag("closed after %.2fs, before client_header" % elapsed))
        self.assertLess(elapsed, 4.0, self.diag("closed only after %.2fs" % elapsed))
        self.assertEqual(a1.requests, 0)
        if c.pending():  # a 408 is allowed, nothing else
            self.assertTrue(c.pending().startswith(b"HTTP/1.1 408"), self.diag(c.pending()))

    def test_silent_new_connection_is_closed_after_client_header(self):
        """A connection that never sends a byte is waiting for its first request head: the
        client_header deadline applies from accept (as nginx's client_header_timeout and
        HAProxy's timeout http-request do), not client_idle."""
        a1 = self.origin("a1")
        gh = self.start([a1], timeouts={"client_header": "1s", "client_idle": "60s"})
        c = self.client(gh)
        started = time.monotonic()
        closed = c.is_closed(5)
        elapsed = time.monotonic() - started
        self.assertTrue(closed, self.diag("silent connection still open after 5 s with client_header: 1s"))
        self.assertLess(elapsed, 3.0, self.diag("closed only after %.2fs" % elapsed))

    def test_idle_keepalive_connection_is_closed_after_client_idle(self):
        a1 = self.origin("a1")
        gh = self.start([a1], timeouts={"client_idle": "1s"})
        c = self.client(gh)
        self.assertStatus(c.get("/hello"), 200)
        started = time.monotonic()
        self.assertTrue(c.is_closed(5), self.diag("idle keep-alive connection kept past client_idle"))
        elapsed = time.monotonic() - started
        self.assertGreater(elapsed, 0.8, self.diag("closed after %.2fs, before client_idle" % elapsed))
        self.assertLess(elapsed, 4.0, self.diag("closed only after %.2fs" % elapsed))
        self.assertEqual(c.pending(), b"", self.diag("bytes sent on an idle connection"))

    def test_request_taking_longer_than_client_idle_is_not_cut(self):
        a1 = self.origin("a1")
        gh = self.start([a1], timeouts={"client_idle": "1s"})
        r = self.client(gh).get("/delay?ms=1800", timeout=10)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"delayed 1800 ms")


if __name__ == "__main__":
    unittest.main()
