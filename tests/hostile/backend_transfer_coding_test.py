"""Issue 14, defect 9: a backend's `Transfer-Encoding: gzip, chunked` was de-chunked and relayed
as raw gzip with no Content-Encoding (Transfer-Encoding is hop-by-hop, so nothing said the bytes
were compressed), and could be cached so; `Transfer-Encoding: gzip` alone was relayed until
close just as mislabelled. A transfer coding other than chunked from a backend is now a 502, and
nothing of it is stored. Clients were and are refused the same codings (400)."""

import gzip

from integration_case import IntegrationCase
from raw_client import chunked, request

PLAIN = b"the representation, uncompressed\n" * 20


def coded_response(codings, body, close):
    def handler(ctx):
        ctx.keep_alive = not close
        ctx.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nCache-Control: max-age=600\r\n"
                 b"Transfer-Encoding: " + codings + b"\r\n\r\n" + body)
        if close:
            ctx.lingering_close(timeout=1)
    return handler


class BackendTransferCodingTest(IntegrationCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")
        packed = gzip.compress(PLAIN)
        self.a1.add_route("/gzip-chunked", coded_response(b"gzip, chunked", chunked(packed, 100), False))
        self.a1.add_route("/gzip", coded_response(b"gzip", packed, True))
        self.a1.add_route("/chunked-twice", coded_response(b"chunked, chunked", chunked(chunked(PLAIN)), False))

    def get(self, gh, path):
        c = self.client(gh)
        c.send(request("GET", path))
        return c.read_response(timeout=5)

    def test_gzip_then_chunked_from_a_backend_is_a_502(self):
        gh = self.start([self.a1])
        r = self.get(gh, "/gzip-chunked")
        self.assertStatus(r, 502, "relayed as %r" % r.body[:40])
        self.assertNotEqual(r.body[:2], b"\x1f\x8b", "gzip bytes reached the client")

    def test_gzip_alone_until_close_from_a_backend_is_a_502(self):
        gh = self.start([self.a1])
        self.assertStatus(self.get(gh, "/gzip"), 502)

    def test_chunked_applied_twice_is_a_502(self):
        gh = self.start([self.a1])
        self.assertStatus(self.get(gh, "/chunked-twice"), 502)

    def test_a_cached_route_stores_nothing_of_it(self):
        gh = self.start([self.a1], cache={"memory": "16MiB"},
                        routes=[{"host": "*", "path_prefix": "/", "backend": "app", "cache": True}])
        self.assertStatus(self.get(gh, "/gzip-chunked"), 502)
        self.assertStatus(self.get(gh, "/gzip-chunked"), 502)
        self.assertEqual(self.a1.paths().count("/gzip-chunked"), 2, "the second came from a cache")

    def test_clients_are_refused_the_same_codings(self):
        gh = self.start([self.a1])
        for codings in ("gzip, chunked", "gzip", "chunked, chunked"):
            c = self.client(gh)
            c.send(request("POST", "/echo", [("Transfer-Encoding", codings)])
                   + chunked(gzip.compress(PLAIN)))
            self.assertStatus(c.read_response(timeout=5), 400, codings)
            self.assertTrue(c.is_closed(timeout=3), codings)
        self.assertEqual(self.a1.requests, 0)
