"""Proxying: methods and bodies, hop-by-hop headers, forwarded headers, request ids,
routing by host and path, weighted round robin, and the access log."""

import hashlib
import re
import unittest

from gatehouse_process import base_config, pool
from integration_case import IntegrationCase
from raw_client import chunked, request


def headers_of(echo):
    """The echoed request headers as [(lowercase name, value)]."""
    return [(k.lower(), v) for k, v in echo["headers"]]


def values(echo, name):
    return [v for k, v in headers_of(echo) if k == name]


class ProxyTest(IntegrationCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")

    def test_get_is_proxied(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        r = c.get("/hello")
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"hello", self.diag(r))
        self.assertEqual(self.a1.last_request.method, "GET")
        self.assertEqual(self.a1.last_request.path, "/hello")

    def test_query_string_reaches_the_origin_unchanged(self):
        gh = self.start([self.a1])
        r = self.client(gh).get("/echo?a=1&b=%20x&c")
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["target"], "/echo?a=1&b=%20x&c", self.diag(r))

    def test_post_with_content_length_body(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        body = bytes(range(256)) * 400
        c.send(request("POST", "/echo", [("Content-Type", "application/octet-stream")], body))
        r = c.read_response()
        self.assertStatus(r, 200)
        echo = r.json()
        self.assertEqual((echo["method"], echo["body_len"], echo["body_sha256"]),
                         ("POST", len(body), hashlib.sha256(body).hexdigest()), self.diag(r))

    def test_post_with_chunked_body(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        body = b"0123456789abcdef" * 5000
        c.send(request("POST", "/echo", [("Transfer-Encoding", "chunked")]) + chunked(body, 3000))
        r = c.read_response()
        self.assertStatus(r, 200)
        echo = r.json()
        self.assertEqual((echo["body_len"], echo["body_sha256"]),
                         (len(body), hashlib.sha256(body).hexdigest()), self.diag(r))
        # The origin must see one framing only.
        self.assertFalse(values(echo, "content-length") and values(echo, "transfer-encoding"),
                         self.diag(r))

    def test_head_gets_headers_and_no_body(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        c.send(request("HEAD", "/head-test"))
        r = c.read_response(head_request=True)
        self.assertStatus(r, 200)
        self.assertEqual(r.header("content-length"), "11", self.diag(r))
        # No body bytes may follow: the next response on the connection must parse cleanly.
        r2 = c.get("/hello")
        self.assertEqual((r2.status, r2.body), (200, b"hello"), self.diag(r2))
        self.assertEqual(self.a1.request_log[0].method, "HEAD")

    def test_hop_by_hop_headers_are_removed_toward_the_backend(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        c.send(request("GET", "/echo", [
            ("Connection", "keep-alive, X-Custom-Hop"),
            ("Keep-Alive", "timeout=5"),
            ("TE", "trailers, deflate"),
            ("Upgrade", "h2c"),
            ("Proxy-Connection", "keep-alive"),
            ("X-Custom-Hop", "secret"),
            ("X-Keep-Me", "yes"),
        ]))
        r = c.read_response()
        self.assertStatus(r, 200)
        echo = r.json()
        names = {k for k, _ in headers_of(echo)}
        for gone in ("keep-alive", "upgrade", "proxy-connection", "x-custom-hop"):
            self.assertNotIn(gone, names, self.diag(echo))
        self.assertFalse([v for v in values(echo, "te") if "deflate" in v], self.diag(echo))
        for v in values(echo, "connection"):  # gatehouse may send its own, never the client's
            tokens = {t.strip().lower() for t in v.split(",")}
            self.assertLessEqual(tokens, {"keep-alive", "close"}, self.diag(echo))
        self.assertEqual(values(echo, "x-keep-me"), ["yes"], self.diag(echo))

    def test_forwarded_headers_and_via(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        c.send(request("GET", "/echo", host="www.example.test"))
        r = c.read_response()
        self.assertStatus(r, 200)
        echo = r.json()
        self.assertEqual(values(echo, "x-forwarded-for"), ["127.0.0.1"], self.diag(echo))
        self.assertEqual(values(echo, "x-forwarded-proto"), ["http"], self.diag(echo))
        self.assertEqual(values(echo, "x-forwarded-host"), ["www.example.test"], self.diag(echo))
        self.assertEqual(values(echo, "host"), ["www.example.test"], self.diag(echo))
        self.assertTrue(any("1.1 gatehouse" in v for v in values(echo, "via")), self.diag(echo))
        self.assertTrue(any("1.1 gatehouse" in v for v in r.header_all("via")), self.diag(r))

    def test_request_id_is_generated_and_returned(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        seen = set()
        for _ in range(3):
            r = c.get("/echo")
            self.assertStatus(r, 200)
            ids = values(r.json(), "x-request-id")
            self.assertEqual(len(ids), 1, self.diag(r))
            self.assertGreaterEqual(len(ids[0]), 16, self.diag(r))
            self.assertEqual(r.header("x-request-id"), ids[0], self.diag(r))
            seen.add(ids[0])
        self.assertEqual(len(seen), 3, "request ids must differ: %s" % seen)

    def test_incoming_request_id_is_kept(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        rid = "incoming-id-0123456789abcdef"
        c.send(request("GET", "/echo", [("X-Request-Id", rid)]))
        r = c.read_response()
        self.assertStatus(r, 200)
        self.assertEqual(values(r.json(), "x-request-id"), [rid], self.diag(r))
        self.assertEqual(r.header("x-request-id"), rid, self.diag(r))

    def test_routes_by_host_and_path_prefix(self):
        api = self.origin("api1")
        media = self.origin("media1")
        cfg = base_config([self.a1])
        cfg["backends"]["api"] = pool([api])
        cfg["backends"]["media"] = pool([media])
        cfg["routes"] = [{"host": "api.example.test", "path_prefix": "/", "backend": "api"},
                         {"host": "*", "path_prefix": "/media/", "backend": "media"},
                         {"host": "*", "path_prefix": "/", "backend": "app"}]
        gh = self.gatehouse(cfg)
        c = self.client(gh)
        cases = [("api.example.test", "/hello", "api1"),
                 ("api.example.test", "/media/x", "api1"),   # first match wins
                 ("www.example.test", "/media/x", "media1"),
                 ("www.example.test", "/hello", "a1"),
                 ("www.example.test", "/mediax", "a1")]
        for host, path, want in cases:
            c.send(request("GET", path, host=host))
            r = c.read_response()
            self.assertEqual(r.header("x-origin"), want, self.diag("%s %s -> %r" % (host, path, r)))
        self.assertEqual((api.requests, media.requests, self.a1.requests), (2, 1, 2))

    def test_weighted_round_robin_shares(self):
        a2 = self.origin("a2")
        cfg = base_config([("a1", self.a1.address, 3), ("a2", a2.address, 1)])
        gh = self.gatehouse(cfg)
        c = self.client(gh)  # one connection: one worker, so one balancer's sequence
        for _ in range(40):
            r = c.get("/hello")
            self.assertStatus(r, 200)
        self.assertLessEqual(abs(self.a1.requests - 30), 1, self.diag((self.a1.requests, a2.requests)))
        self.assertLessEqual(abs(a2.requests - 10), 1, self.diag((self.a1.requests, a2.requests)))

    def test_round_robin_over_new_connections_uses_both_servers(self):
        a2 = self.origin("a2")
        gh = self.gatehouse(base_config([self.a1, a2]))
        for _ in range(20):
            self.assertStatus(self.client(gh).get("/hello"), 200)
        self.assertEqual(self.a1.requests + a2.requests, 20)
        self.assertGreaterEqual(min(self.a1.requests, a2.requests), 6,
                                self.diag((self.a1.requests, a2.requests)))

    def test_access_log_json_fields(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        c.send(request("GET", "/bytes?n=1000", [("X-Request-Id", "log-test-id-0123456789")]))
        r = c.read_response()
        self.assertStatus(r, 200)
        found = gh.wait_for_access_log(lambda e: e.get("request_id") == "log-test-id-0123456789")
        self.assertEqual(len(found), 1, self.diag("access log has no matching JSON line"))
        e = found[0]
        for field in ("status", "bytes", "duration_ms", "server", "cache", "method", "path", "request_id"):
            self.assertIn(field, e, self.diag(e))
        self.assertEqual(e["status"], 200, self.diag(e))
        self.assertEqual(e["method"], "GET", self.diag(e))
        self.assertTrue(e["path"].startswith("/bytes"), self.diag(e))
        self.assertEqual(e["server"], "app/a1", self.diag(e))
        self.assertTrue(1000 <= int(e["bytes"]) <= 1000 + 4096, self.diag(e))
        self.assertGreaterEqual(float(e["duration_ms"]), 0, self.diag(e))

    def test_access_log_one_line_per_request(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        for i in range(5):
            self.assertStatus(c.get("/hello?i=%d" % i), 200)
        found = gh.wait_for_access_log(lambda e: str(e.get("path", "")).startswith("/hello"), count=5)
        self.assertEqual(len(found), 5, self.diag(found))

    def test_access_log_combined_format(self):
        gh = self.start([self.a1], log={"format": "combined"})
        c = self.client(gh)
        c.send(request("GET", "/hello", [("User-Agent", "it-agent/1.0")]))
        self.assertStatus(c.read_response(), 200)
        lines = gh.wait_for_access_log(lambda l: "/hello" in l, json_lines=False)
        self.assertEqual(len(lines), 1, self.diag())
        self.assertRegex(lines[0], r'"GET /hello HTTP/1\.1" 200 5\b', self.diag())
        self.assertTrue(lines[0].startswith("127.0.0.1 "), self.diag())

    def test_hop_by_hop_headers_are_removed_toward_the_client(self):
        def handler(ctx):
            ctx.send_head(200, [("Connection", "X-Origin-Hop"), ("X-Origin-Hop", "secret"),
                                ("Keep-Alive", "timeout=99"), ("Proxy-Connection", "keep-alive"),
                                ("Upgrade", "h2c"), ("X-Kept", "yes"), ("Content-Length", "2")])
            ctx.send(b"ok")
        self.a1.add_route("/hop", handler)
        gh = self.start([self.a1])
        r = self.client(gh).get("/hop")
        self.assertStatus(r, 200)
        names = {k.lower() for k, _ in r.headers}
        for gone in ("x-origin-hop", "keep-alive", "proxy-connection", "upgrade"):
            self.assertNotIn(gone, names, self.diag(r))
        for v in r.header_all("connection"):
            self.assertNotIn("x-origin-hop", v.lower(), self.diag(r))
        self.assertEqual((r.header("x-kept"), r.body), ("yes", b"ok"), self.diag(r))

    def test_incoming_x_forwarded_for_ends_with_the_client_address(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        c.send(request("GET", "/echo", [("X-Forwarded-For", "203.0.113.7")]))
        r = c.read_response()
        self.assertStatus(r, 200)
        hops = [h.strip() for v in values(r.json(), "x-forwarded-for") for h in v.split(",")]
        self.assertEqual(hops[-1:], ["127.0.0.1"], self.diag(r.json()))

    def test_head_of_a_sized_resource_does_not_wait_for_a_body(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        c.send(request("HEAD", "/bytes?n=100000"))
        r = c.read_response(head_request=True, timeout=5)
        self.assertStatus(r, 200)
        self.assertEqual(r.header("content-length"), "100000", self.diag(r))
        self.assertEqual(c.get("/hello", timeout=5).body, b"hello", self.diag())

    def test_204_and_304_have_no_body(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        for code in (204, 304):
            r = c.get("/status?code=%d" % code, timeout=5)
            self.assertStatus(r, code)
            self.assertIsNone(r.header("transfer-encoding"), self.diag(r))
        self.assertEqual(c.get("/hello", timeout=5).body, b"hello", self.diag())

    def test_chunked_response_with_trailers(self):
        def handler(ctx):
            ctx.send_head(200, [("Transfer-Encoding", "chunked"), ("Trailer", "X-Sum")])
            ctx.send(b"5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n")
        self.a1.add_route("/trailers", handler)
        gh = self.start([self.a1])
        c = self.client(gh)
        r = c.get("/trailers", timeout=5)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"hello world", self.diag(r))
        self.assertEqual(c.get("/hello", timeout=5).body, b"hello", self.diag())

    def test_transfer_encoding_is_case_insensitive(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        c.send(request("POST", "/echo", [("transfer-encoding", "Chunked")]) + chunked(b"abc"))
        r = c.read_response()
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["body_len"], 3, self.diag(r))

    def test_large_headers_within_limits_pass(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        hdrs = [("Cookie", "c=" + "x" * 30000)] + [("X-H%d" % i, "v%d" % i) for i in range(80)]
        c.send(request("GET", "/echo?" + "q" * 7000, hdrs))
        r = c.read_response()
        self.assertStatus(r, 200)
        echo = r.json()
        self.assertEqual(len(values(echo, "cookie")[0]), 30002, self.diag("cookie cut"))
        self.assertEqual(values(echo, "x-h79"), ["v79"], self.diag(echo))

    def test_many_concurrent_clients(self):
        gh = self.start([self.a1])
        clients = [self.client(gh) for _ in range(100)]
        for i, c in enumerate(clients):
            c.send(request("GET", "/echo?c=%d" % i))
        for i, c in enumerate(clients):
            r = c.read_response(timeout=10)
            self.assertEqual(r.json()["target"], "/echo?c=%d" % i, self.diag(r))

    def test_obs_text_in_header_values_passes_through(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        c.send(b"GET /echo HTTP/1.1\r\nHost: test.local\r\nX-Latin: caf\xe9\r\n\r\n")
        r = c.read_response()
        self.assertStatus(r, 200)
        self.assertEqual(values(r.json(), "x-latin"), ["caf\u00e9"], self.diag(r))

    def test_absolute_form_target_reaches_the_origin_in_origin_form(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        c.send(request("GET", "http://test.local/echo?x=1"))
        r = c.read_response()
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["target"], "/echo?x=1", self.diag(r))

    def test_chunk_extensions_and_request_trailers_are_accepted(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        c.send(request("POST", "/echo", [("Transfer-Encoding", "chunked")]) +
               b"5;name=value\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n")
        r = c.read_response()
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["body_sha256"], hashlib.sha256(b"hello").hexdigest(), self.diag(r))
        self.assertEqual(c.get("/hello").body, b"hello", self.diag())

    def test_empty_post(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        c.send(request("POST", "/echo", [("Content-Length", "0")]))
        r = c.read_response()
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["body_len"], 0, self.diag(r))
        self.assertEqual(c.get("/hello").body, b"hello", self.diag())

    def test_host_matching_is_case_insensitive(self):
        api = self.origin("api1")
        cfg = base_config([self.a1])
        cfg["backends"]["api"] = pool([api])
        cfg["routes"] = [{"host": "api.example.test", "path_prefix": "/", "backend": "api"},
                         {"host": "*", "path_prefix": "/", "backend": "app"}]
        gh = self.gatehouse(cfg)
        c = self.client(gh)
        c.send(request("GET", "/hello", host="API.Example.TEST"))
        r = c.read_response()
        self.assertEqual(r.header("x-origin"), "api1", self.diag(r))

    def test_host_with_port_matches_the_host_route(self):
        api = self.origin("api1")
        cfg = base_config([self.a1])
        cfg["backends"]["api"] = pool([api])
        cfg["routes"] = [{"host": "api.example.test", "path_prefix": "/", "backend": "api"},
                         {"host": "*", "path_prefix": "/", "backend": "app"}]
        gh = self.gatehouse(cfg)
        c = self.client(gh)
        c.send(request("GET", "/hello", host="api.example.test:%d" % gh.port))
        r = c.read_response()
        self.assertEqual(r.header("x-origin"), "api1", self.diag(r))

    def test_origin_connection_close_is_not_reused(self):
        def handler(ctx):
            ctx.keep_alive = False
            ctx.respond(200, b"closing")
        self.a1.add_route("/closing", handler)
        gh = self.start([self.a1], workers=1)
        c = self.client(gh)
        for _ in range(3):
            self.assertEqual(c.get("/closing", timeout=5).body, b"closing", self.diag())
            self.assertEqual(c.get("/hello", timeout=5).body, b"hello", self.diag())


if __name__ == "__main__":
    unittest.main()
