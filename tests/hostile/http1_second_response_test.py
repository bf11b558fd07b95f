"""Issue 14, defect 5: an unsolicited second response on HTTP/1. When a response went out before
the request body was read (a 404, a 405, a backend's early answer), the rest of the body was
drained; the drain checked limits.body before its own budget, and wrote a whole new 413, which
the client took for the answer to the request it had pipelined behind. Malformed chunks in a
body being dropped did the same with a 400. Now a request gets one response: the rest of its
body is dropped within a budget, silently, or the connection closes."""

from admin_support import AdminCase, parse_prometheus
from raw_client import chunked, request


class Http1SecondResponseTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")
        # A request for another host matches no route: 404 at once, its body unread.
        self.a1.add_route("/early", lambda ctx: (ctx.respond(405, b"no"), ctx.lingering_close()),
                          read_body=False)

    def start_small_body(self):
        gh, admin = self.start_with_admin(
            [self.a1], limits={"body": "1KiB"},
            routes=[{"host": "app.test", "path_prefix": "/", "backend": "app"}])
        return gh, admin

    def metric(self, admin, name, **labels):
        return parse_prometheus(admin.get("/metrics").text)[name].value(**labels)

    def test_a_discarded_body_over_the_limit_does_not_answer_the_pipelined_request(self):
        gh, admin = self.start_small_body()
        c = self.client(gh)
        c.send(request("POST", "/x", [("Transfer-Encoding", "chunked")], host="other.test")
               + chunked(b"x" * 4096, 512) + request("GET", "/hello", host="app.test"))
        first = c.read_response(timeout=5)
        self.assertStatus(first, 404)
        second = c.read_response(timeout=5)
        self.assertStatus(second, 200, "the GET must get its own answer, not a 413")
        self.assertEqual(second.body, b"hello")

    def test_a_backend_answering_early_leaves_one_response_per_request(self):
        gh, admin = self.start_small_body()
        c = self.client(gh)
        head = request("POST", "/early", [("Transfer-Encoding", "chunked")], host="app.test")
        c.send(head + b"200\r\n" + b"y" * 512 + b"\r\n")
        first = c.read_response(timeout=5)
        self.assertStatus(first, 405)
        c.send(b"200\r\n" + b"y" * 512 + b"\r\n" + b"200\r\n" + b"y" * 512 + b"\r\n0\r\n\r\n"
               + request("GET", "/hello", host="app.test"))
        # The answer came while the body was still coming in: the rest is dropped, and the GET
        # gets its own answer (a 413 once took its place).
        second = c.read_response(timeout=5)
        self.assertStatus(second, 200)
        self.assertEqual(second.body, b"hello")

    def test_malformed_chunks_after_the_answer_close_without_a_second_response(self):
        gh, admin = self.start_small_body()
        c = self.client(gh)
        c.send(request("POST", "/x", [("Transfer-Encoding", "chunked")], host="other.test")
               + b"5\r\nhello\r\n")
        self.assertStatus(c.read_response(timeout=5), 404)
        c.send(b"zz\r\n" + request("GET", "/hello", host="app.test"))
        self.assertEqual(c.read_all_until_close(timeout=5), b"", self.diag("a second response"))
        self.assertEqual(
            self.metric(admin, "gatehouse_http_body_discard_closes_total", protocol="http1"), 1)
        self.assertEqual(self.a1.requests, 0, "the bytes after the bad chunk are no request")
