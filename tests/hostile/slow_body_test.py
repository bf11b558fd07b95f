"""Issue 14, defect 12: a request body sent at 1 byte/s was accepted for as long as the client
liked, and streamed to the origin (holding a backend connection and a worker's attention; a
per-read timeout alone, like nginx's, never cuts a body that keeps trickling). A minimum body
rate now cuts it with a 408, counted: timeouts.client_body bounds the wait for the first byte
and each later window, in which limits.min_body_rate must be met. Both protocols. Windows are
300 ms here (1 KiB/s: 307 bytes a window)."""

import time

from admin_support import AdminCase, parse_prometheus
from gatehouse_process import free_port
from h2_frames import DATA, END_STREAM, GOAWAY, H2Client, RST_STREAM, frame, headers_frame, \
    request_block
from raw_client import request

WINDOW = {"client_body": "300ms"}
RATE = {"min_body_rate": "1KiB"}


class SlowBodyTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")

    def start_timed(self, **overrides):
        return self.start_with_admin([self.a1], timeouts=WINDOW, limits=RATE, **overrides)

    def timeouts(self, admin, protocol):
        family = parse_prometheus(admin.get("/metrics").text)["gatehouse_http_request_body_timeouts_total"]
        return family.value(protocol=protocol)

    def trickle(self, send, piece, every, limit):
        """Calls send(piece) every `every` seconds until it returns False or `limit` passes."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if not send(piece):
                return
            time.sleep(every)  # the trickle itself is the subject: its pace is the test

    def test_an_http1_body_at_a_trickle_gets_408_and_never_completes_at_the_origin(self):
        gh, admin = self.start_timed()
        c = self.client(gh)
        c.send(request("POST", "/echo", [("Content-Length", "100000")]))
        started = time.monotonic()

        def send(piece):
            try:
                c.sock.sendall(piece)
                return True
            except OSError:
                return False

        threads, _, _ = self.run_threads([lambda: self.trickle(send, b"x", 0.03, 5)])
        r = c.read_response(timeout=5)
        self.assertStatus(r, 408)
        self.assertEqual(r.header("connection"), "close")
        self.assertLess(time.monotonic() - started, 3, "cut after two windows, not at the client's pace")
        self.assertTrue(c.is_closed(timeout=3))
        self.join_threads(threads, 10)
        self.assertEqual(self.a1.requests_completed, 0, "the trickled body never completed upstream")
        self.assertEqual(self.timeouts(admin, "http1"), 1)

    def test_an_http1_body_that_never_starts_gets_408(self):
        gh, admin = self.start_timed()
        c = self.client(gh)
        c.send(request("POST", "/echo", [("Content-Length", "10")]))
        self.assertStatus(c.read_response(timeout=5), 408)
        self.assertEqual(self.timeouts(admin, "http1"), 1)

    def test_an_upload_above_the_rate_passes(self):
        gh, admin = self.start_timed()
        c = self.client(gh)
        body = b"u" * (1 << 20)
        c.send(request("POST", "/echo", body=body))
        r = c.read_response(timeout=10)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["body_len"], len(body))
        self.assertEqual(self.timeouts(admin, "http1"), 0)

    def test_an_http2_body_at_a_trickle_gets_408(self):
        h2c_port = free_port()
        gh, admin = self.start_timed(
            listeners=[{"address": "127.0.0.1:%d" % h2c_port, "h2c": True}])
        c = H2Client(h2c_port, tls=False)
        self.addCleanup(c.close)
        block = request_block("/echo", "POST", scheme="http",
                              extra=[("content-length", "100000")])
        c.start(headers_frame(1, block, end_stream=False))
        threads, _, _ = self.run_threads(
            [lambda: self.trickle(lambda p: c.send(frame(DATA, 0, 1, p)), b"x", 0.03, 5)])
        body, ended = b"", None
        deadline = time.monotonic() + 5
        while ended is None:
            f = c.read_frame(deadline)
            self.assertIsNotNone(f, self.diag("closed: " + c.summary()))
            ftype, flags, sid, payload = f
            if ftype == GOAWAY:
                ended = "goaway"
            elif sid == 1 and ftype == DATA:
                body += payload
                if flags & END_STREAM:
                    ended = "response"
            elif sid == 1 and ftype == RST_STREAM:
                ended = "reset"
        c.close()
        self.join_threads(threads, 10)
        self.assertIn(b"408", body, self.diag(ended, body[:300], c.summary()))
        self.assertEqual(self.timeouts(admin, "http2"), 1)
        self.assertEqual(self.a1.requests_completed, 0)
