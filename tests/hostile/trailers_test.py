"""Issue 14: request trailers were forwarded to the backend unfiltered, over chunked HTTP/1.1 and
HTTP/2 alike. A backend that merges trailers into the head (many frameworks do) then saw a Host,
an Authorization, a Content-Length or an X-Forwarded-For that gatehouse never checked or set.
Fields that are not allowed in trailers (RFC 9110 §6.5.1: framing, routing, authentication,
request modifiers, content-*; and the fields gatehouse itself vouches for) are dropped, and
counted; the others still pass. A backend's response trailers get the same rule before the
client sees them."""

import json
import time

from admin_support import AdminCase, parse_prometheus
from h2_frames import DATA, END_STREAM, H2Client, HEADERS, frame, headers_frame, hpack_literal, \
    request_block
from gatehouse_process import free_port
from raw_client import chunked, request

FORBIDDEN = [("Host", "evil.test"), ("Content-Length", "5"), ("Authorization", "Bearer stolen"),
             ("X-Forwarded-For", "10.0.0.1"), ("Transfer-Encoding", "chunked"),
             ("Content-Type", "text/evil"), ("Cookie", "session=forged")]
ALLOWED = [("X-Checksum", "abc123"), ("Server-Timing", "db;dur=53")]


class TrailersTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")

    def dropped(self, admin):
        return parse_prometheus(admin.get("/metrics").text)[
            "gatehouse_http_request_trailers_dropped_total"].value()

    def assertOnlyAllowed(self, trailers):
        names = [name.lower() for name, _ in trailers]
        for name, _ in FORBIDDEN:
            self.assertNotIn(name.lower(), names, self.diag("trailers at the origin: %r" % trailers))
        self.assertEqual([(n.lower(), v) for n, v in trailers],
                         [(n.lower(), v) for n, v in ALLOWED], self.diag())

    def test_forbidden_trailer_fields_of_a_chunked_request_do_not_reach_the_backend(self):
        gh, admin = self.start_with_admin([self.a1])
        body = chunked(b"0123456789" * 10)[:-2]
        body += b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in FORBIDDEN + ALLOWED)
        c = self.client(gh)
        c.send(request("POST", "/echo", [("Transfer-Encoding", "chunked")]) + body + b"\r\n")
        r = c.read_response(timeout=5)
        self.assertStatus(r, 200)
        self.assertOnlyAllowed([tuple(t) for t in r.json()["trailers"]])
        self.assertEqual(self.dropped(admin), len(FORBIDDEN))

    def test_forbidden_trailer_fields_of_an_http2_request_do_not_reach_the_backend(self):
        gh, admin = self.start_with_admin([self.a1], listeners=[self.h2c_listener()])
        c = H2Client(self.h2c_port, tls=False)
        self.addCleanup(c.close)
        # nghttp2 itself refuses these three in trailers (the stream fails): the rest is ours.
        refused = ("host", "transfer-encoding", "content-length")
        sent = [(k, v) for k, v in FORBIDDEN if k.lower() not in refused]
        trailers = b"".join(hpack_literal(k.lower(), v) for k, v in sent + ALLOWED)
        c.start(headers_frame(1, request_block("/echo", "POST", scheme="http"), end_stream=False)
                + frame(DATA, 0, 1, b"0123456789")
                + headers_frame(1, trailers, end_stream=True))
        body = self.read_h2_body(c, 1)
        echo = json.loads(body)
        self.assertOnlyAllowed([tuple(t) for t in echo["trailers"]])
        self.assertEqual(self.dropped(admin), len(sent))

    def test_forbidden_trailer_fields_of_a_response_do_not_reach_the_client(self):
        # A backend (or whatever answers in its name) that puts head fields in its trailers: a
        # client that merges trailers into the head would take a Set-Cookie, a Location or a
        # Content-Length that gatehouse never saw in the head.
        forbidden = [("Set-Cookie", "session=planted"), ("Location", "https://evil.test/"),
                     ("Content-Length", "5"), ("Content-Type", "text/evil")]
        trailer = b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in forbidden + ALLOWED)
        self.a1.add_route("/t", lambda ctx: ctx.send(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
            + trailer + b"\r\n"))
        gh, admin = self.start_with_admin([self.a1])
        c = self.client(gh)
        c.send(request("GET", "/t"))
        r = c.read_response(timeout=5)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"hello")
        self.assertEqual([(n.lower(), v) for n, v in r.trailers],
                         [(n.lower(), v) for n, v in ALLOWED], self.diag(r))
        dropped = parse_prometheus(admin.get("/metrics").text)[
            "gatehouse_http_response_trailers_dropped_total"].value()
        self.assertEqual(dropped, len(forbidden))

    # -- HTTP/2 helpers ---------------------------------------------------------------------
    def h2c_listener(self):
        self.h2c_port = free_port()
        return {"address": "127.0.0.1:%d" % self.h2c_port, "h2c": True}

    def read_h2_body(self, c, stream_id, timeout=5.0):
        deadline = time.monotonic() + timeout
        body = b""
        while True:
            f = c.read_frame(deadline)
            self.assertIsNotNone(f, self.diag("closed: " + c.summary()))
            ftype, flags, sid, payload = f
            if sid != stream_id:
                continue
            if ftype == DATA:
                body += payload
            if ftype in (DATA, HEADERS) and flags & END_STREAM:
                return body
