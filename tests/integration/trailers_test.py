"""Trailer fields pass through in both directions: chunked HTTP/1.1 to and from the backend,
and HTTP/2 toward clients (a HEADERS frame after the last DATA)."""
import shutil
import subprocess
import unittest

from gatehouse_process import base_config, free_port
from integration_case import IntegrationCase
from raw_client import chunked, request

TRAILER_RESPONSE = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
                    b"5\r\nhello\r\n0\r\nX-Checksum: abc123\r\n\r\n")


class TrailersTest(IntegrationCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")
        self.a1.add_route("/trailers", lambda ctx: ctx.send(TRAILER_RESPONSE))

    def test_request_trailers_reach_the_backend(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        body = chunked(b"0123456789" * 100, 300)
        assert body.endswith(b"0\r\n\r\n")
        body = body[:-2] + b"X-Checksum: abc123\r\n\r\n"
        c.send(request("POST", "/echo", [("Transfer-Encoding", "chunked")]) + body)
        r = c.read_response()
        self.assertStatus(r, 200)
        echo = r.json()
        self.assertEqual(echo["body_len"], 1000, self.diag(r))
        self.assertEqual(echo["trailers"], [["X-Checksum", "abc123"]], self.diag(r))

    def test_response_trailers_reach_an_http11_client(self):
        gh = self.start([self.a1])
        c = self.client(gh)
        c.send(request("GET", "/trailers", [("Connection", "close")]))
        raw = c.read_all_until_close(timeout=5)
        self.assertIn(b"\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc123\r\n\r\n", raw, self.diag(raw))

    def test_response_trailers_reach_an_http2_client(self):
        if not shutil.which("nghttp"):
            self.skipTest("nghttp not installed")
        h2c_port = free_port()
        gh = self.gatehouse(base_config(
            [self.a1], listeners=[{"address": "127.0.0.1:%d" % h2c_port, "h2c": True}]))
        self.assertIsNotNone(gh)
        out = subprocess.run(["nghttp", "-v", "http://127.0.0.1:%d/trailers" % h2c_port],
                             capture_output=True, timeout=10, text=True).stdout
        self.assertIn("hello", out, self.diag(out))
        # The trailer is a second HEADERS frame, after the DATA, ending the stream.
        data_at = out.find("recv DATA frame")
        trailer_at = out.find("x-checksum: abc123")
        self.assertGreater(data_at, -1, self.diag(out))
        self.assertGreater(trailer_at, data_at, self.diag(out))


if __name__ == "__main__":
    unittest.main()
