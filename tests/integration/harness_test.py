"""Self-test of tests/support: TestOrigin, RawClient and the YAML emitter, without gatehouse.

If these fail, the other integration tests cannot be trusted.
"""

import hashlib
import socket
import threading
import time
import unittest

from gatehouse_process import base_config, free_port, to_yaml
from raw_client import IncompleteResponse, RawClient, chunked, request
from test_origin import (PatternChecker, RefusingPort, SilentOrigin, TestOrigin, pattern_bytes,
                         pattern_sha256)

MiB = 1024 * 1024


class PatternTest(unittest.TestCase):
    def test_pattern_is_position_dependent_and_checkable(self):
        data = pattern_bytes(0, 300000)
        self.assertEqual(data[:3], b"\x00\x01\x02")
        self.assertEqual(data[251], 0)
        self.assertEqual(pattern_bytes(1000, 500), data[1000:1500])
        self.assertEqual(pattern_sha256(300000), hashlib.sha256(data).hexdigest())
        ok = PatternChecker()
        for i in range(0, len(data), 7777):
            ok.feed(data[i:i + 7777])
        self.assertTrue(ok.ok)
        self.assertEqual(ok.count, 300000)
        bad = PatternChecker()
        bad.feed(data[:70000] + b"\xff" + data[70001:])
        self.assertEqual(bad.first_mismatch, 70000)


class YamlTest(unittest.TestCase):
    def test_emits_block_yaml(self):
        text = to_yaml(base_config([("a1", "127.0.0.1:1234", 3)], port=5555))
        self.assertIn('listeners:\n  - address: "127.0.0.1:5555"\n', text)
        self.assertIn('    servers:\n      - name: a1\n        address: "127.0.0.1:1234"\n'
                      '        weight: 3\n', text)
        self.assertIn("  client_header: 10s\n", text)
        self.assertIn('  - host: "*"\n    path_prefix: /\n    backend: app\n', text)
        self.assertEqual(to_yaml({"a": [], "b": {}, "c": True, "d": "yes"}),
                         'a: []\nb: {}\nc: true\nd: "yes"\n')


class OriginTest(unittest.TestCase):
    def setUp(self):
        self.origin = TestOrigin(name="o1")
        self.addCleanup(self.origin.stop)

    def client(self):
        c = RawClient(self.origin.port)
        self.addCleanup(c.close)
        return c

    def test_keepalive_pipelining_and_counters(self):
        c = self.client()
        c.send(request("GET", "/hello") + request("GET", "/echo?i=2", [("X-A", "b")]) +
               request("POST", "/echo", body=b"xyz"))
        r1, r2, r3 = (c.read_response(timeout=5) for _ in range(3))
        self.assertEqual((r1.status, r1.body, r1.header("x-origin")), (200, b"hello", "o1"))
        self.assertEqual(r2.json()["target"], "/echo?i=2")
        self.assertIn(["X-A", "b"], r2.json()["headers"])
        self.assertEqual(r3.json()["body_len"], 3)
        self.assertEqual(r3.json()["body_sha256"], hashlib.sha256(b"xyz").hexdigest())
        self.assertTrue(self.origin.wait_for_requests(3, 1))
        self.assertEqual(self.origin.connections_accepted, 1)
        self.assertEqual(self.origin.last_request.body, b"xyz")

    def test_chunked_upload_and_downloads(self):
        c = self.client()
        body = pattern_bytes(0, 300000)
        c.send(request("POST", "/echo", [("Transfer-Encoding", "chunked")]) + chunked(body, 7000))
        self.assertEqual(c.read_response().json()["body_sha256"], hashlib.sha256(body).hexdigest())
        for target in ("/bytes?n=200000", "/chunked?n=200000"):
            checker = PatternChecker()
            r = c.get(target)
            checker.feed(r.body)
            self.assertEqual((r.status, checker.count, checker.ok), (200, 200000, True), target)
        r = c.get("/close-delimited?n=70000")
        self.assertEqual((r.framing, r.body_len), ("close", 70000))
        self.assertTrue(c.eof)

    def test_head_expect_status_and_hold(self):
        c = self.client()
        c.send(request("HEAD", "/head-test"))
        r = c.read_response(head_request=True)
        self.assertEqual((r.status, r.header("content-length")), (200, "11"))
        c.send(request("POST", "/echo", [("Expect", "100-continue"), ("Content-Length", "4")]))
        self.assertEqual(c.read_response().status, 100)
        c.send(b"abcd")
        self.assertEqual(c.read_response().json()["body_len"], 4)
        self.assertEqual(c.get("/status?code=503").status, 503)
        c.send(request("GET", "/hold?key=k1"))
        self.assertTrue(self.origin.wait_for_requests(4, 2))
        self.origin.release("k1")
        self.assertEqual(c.read_response(timeout=2).body, b"released k1")

    def test_broken_responses(self):
        c = self.client()
        c.send(request("GET", "/close-mid-body"))
        with self.assertRaises(IncompleteResponse) as cm:
            c.read_response(timeout=3)
        self.assertEqual(cm.exception.partial.body_len, 10)
        c2 = self.client()
        c2.send(request("GET", "/garbage"))
        self.assertIn(b"not HTTP", c2.read_all_until_close(timeout=3))

    def test_rejects_bad_framing(self):
        c = self.client()
        c.send(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")
        self.assertEqual(c.read_response().status, 400)
        self.assertTrue(c.is_closed(2))
        self.assertEqual((self.origin.requests, self.origin.bad_requests), (0, 1))

    def test_websocket_echo(self):
        c = self.client()
        r, key = c.ws_handshake()
        self.assertEqual(r.status, 101)
        self.assertEqual(r.header("sec-websocket-accept"), RawClient.ws_expected_accept(key))
        c.send_ws(0x1, "hi there")
        self.assertEqual(c.read_ws_frame(), (True, 0x1, b"hi there"))
        big = pattern_bytes(0, MiB)
        c.send_ws(0x2, big)
        self.assertEqual(c.read_ws_frame(), (True, 0x2, big))
        c.send_ws(0x8, (1000).to_bytes(2, "big"))
        self.assertEqual(c.read_ws_frame()[1], 0x8)
        self.assertTrue(c.is_closed(2))

    def test_big_download_rate(self):
        c = self.client()
        n = 64 * MiB
        checker = PatternChecker()
        t = time.monotonic()
        c.send(request("GET", "/bytes?n=%d" % n))
        r = c.read_response(timeout=60, body_sink=checker.feed)
        self.assertEqual((r.status, checker.count, checker.ok), (200, n, True))
        print("64 MiB direct in %.2fs" % (time.monotonic() - t))

    def test_close_idle_connections_and_early_routes(self):
        c = self.client()
        self.assertEqual(c.get("/hello").status, 200)
        self.assertTrue(self.origin.wait_for_idle(1, 2))
        self.assertEqual(self.origin.close_idle_connections(), 1)
        self.assertTrue(c.is_closed(2))

        def early(ctx):
            ctx.respond(403, b"early")
            ctx.lingering_close(timeout=2)
        self.origin.add_route("/early", early, read_body=False)
        c2 = self.client()
        c2.send(request("POST", "/early", [("Content-Length", "1000000")]) + b"x" * 1000)
        self.assertEqual(c2.read_response().body, b"early")
        self.assertEqual(self.origin.requests_completed, 1)

    def test_stop_is_bounded_with_open_holds(self):
        c = self.client()
        c.send(request("GET", "/hold?key=never"))
        self.assertTrue(self.origin.wait_for_requests(1, 2))
        t = time.monotonic()
        self.origin.stop()
        self.assertLess(time.monotonic() - t, 3)


class OtherServersTest(unittest.TestCase):
    def test_refusing_port(self):
        with RefusingPort() as r:
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", r.port), timeout=2)

    def test_silent_origin(self):
        with SilentOrigin() as s:
            c = RawClient(s.port)
            c.send(request("GET", "/"))
            self.assertTrue(s.wait_for_connections(1, 2))
            self.assertFalse(c.is_closed(0.3))
            c.close()

    def test_free_port_is_bindable(self):
        p = free_port()
        with socket.create_server(("127.0.0.1", p)):
            pass


if __name__ == "__main__":
    unittest.main()
