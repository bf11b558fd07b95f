"""Issue 14, defect 1: streams that never finish pinned resources for ever.

- A HEADERS frame without END_HEADERS, never continued, kept the HTTP/2 connection open: a
  stream had no deadline for its head. Every header block now has timeouts.client_header.
- A client that set SETTINGS_INITIAL_WINDOW_SIZE=0 and opened streams for large responses held
  one backend connection per stream, with no timeout. Such a stream is now reset after
  timeouts.client_send and its backend connection released.
- A backend connection paused for a client that does not read had no timeout at all (pausing
  disarmed it); the pause now keeps backend_response.
- A client that stops reading was kept for client_idle (HTTP/1) and the connection's idle time
  (HTTP/2); both now close after timeouts.client_send.

Deadlines are set to 300 ms in each test's config; every wait is bounded.
"""

import socket
import time
import unittest

from admin_support import AdminCase, parse_prometheus
from gatehouse_process import free_port
from h2_frames import (ACK, INITIAL_WINDOW_SIZE, PING, PREFACE, PROTOCOL_ERROR, RST_STREAM,
                       SETTINGS, WINDOW_UPDATE, H2Client, describe, frame, headers_frame,
                       request_block, settings)

SHORT = "300ms"


class H2StallsTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")

    def start(self, timeouts):
        """gatehouse with one h2c listener (HTTP/1.1 too) and an admin API for /metrics."""
        self.port = free_port()
        self.gh, self.admin = self.start_with_admin(
            [self.a1], workers=1, timeouts=timeouts,
            listeners=[{"address": "127.0.0.1:%d" % self.port, "h2c": True}])

    def metric(self, name, **labels):
        return parse_prometheus(self.admin.get("/metrics").text)[name].value(**labels)

    def h2(self):
        c = H2Client(self.port, tls=False)
        self.addCleanup(c.close)
        return c

    def read_resets(self, c, streams, timeout):
        """Reads frames until every stream in streams got RST_STREAM (or the deadline, or the
        end of the connection); answers SETTINGS and PING as a client must. The reset ones."""
        deadline = time.monotonic() + timeout
        reset = set()
        try:
            while reset != set(streams):
                f = c.read_frame(deadline)
                if f is None:
                    break
                ftype, flags, sid, payload = f
                if ftype == RST_STREAM:
                    reset.add(sid)
                elif ftype == SETTINGS and not flags & ACK:
                    c.send(settings(ack=True))
                elif ftype == PING and not flags & ACK:
                    c.send(frame(PING, ACK, 0, payload))
        except socket.timeout:
            pass
        return reset

    def test_a_header_block_never_continued_ends_the_connection_after_client_header(self):
        self.start({"client_header": SHORT, "client_idle": "60s"})
        c = self.h2()
        started = time.monotonic()
        c.start(headers_frame(1, request_block("/hello"), end_headers=False))
        end = c.wait_for_end(timeout=5, answer=False)  # not even a SETTINGS ACK mid-block
        waited = time.monotonic() - started
        self.assertIn(end[0], ("goaway", "closed"),
                      self.diag("the connection stayed open with a header block pending: "
                                + c.summary()))
        if end[0] == "goaway":
            self.assertEqual(end[1], PROTOCOL_ERROR, self.diag(describe(end)))
        self.assertLess(waited, 3, self.diag("ended after %.1fs, not at client_header" % waited))
        self.assertEqual(self.a1.requests, 0)
        self.assertGreaterEqual(self.metric("gatehouse_http2_header_timeouts_total"), 1,
                                self.diag(describe(end)))

    def test_streams_a_zero_window_holds_back_are_reset_and_release_their_backend(self):
        self.start({"client_send": SHORT})
        c = self.h2()
        streams = [1 + 2 * i for i in range(8)]
        c.send(PREFACE + settings([(INITIAL_WINDOW_SIZE, 0)])
               + b"".join(headers_frame(s, request_block("/bytes?n=%d" % (8 << 20)))
                          for s in streams))
        self.assertTrue(self.a1.wait_for_requests(8, 5), self.diag(self.a1.snapshot()))
        reset = self.read_resets(c, streams, timeout=5)
        self.assertEqual(reset, set(streams),
                         self.diag("streams held back by a shut window were not reset: "
                                   + c.summary()))
        self.assertTrue(self.a1.wait_for_open_connections(0, 5),
                        self.diag("backend connections still held: %d" % self.a1.open_connections))
        self.assertGreaterEqual(self.metric("gatehouse_http2_stream_send_timeouts_total"), 8)

    def test_a_paused_backend_response_times_out_after_backend_response(self):
        # client_send keeps its default (30 s): here the backend side's own deadline acts.
        self.start({"backend_response": SHORT})
        c = self.h2()
        c.send(PREFACE + settings([(INITIAL_WINDOW_SIZE, 0)])
               + headers_frame(1, request_block("/bytes?n=%d" % (8 << 20))))
        self.assertTrue(self.a1.wait_for_requests(1, 5), self.diag(self.a1.snapshot()))
        self.assertEqual(self.read_resets(c, [1], timeout=5), {1},
                         self.diag("a paused backend response never timed out: " + c.summary()))
        self.assertTrue(self.a1.wait_for_open_connections(0, 5), self.diag(self.a1.snapshot()))
        self.assertGreaterEqual(self.metric("gatehouse_backend_paused_timeouts_total"), 1)
        # Not the server's fault: it is not ejected, and still serves.
        backends = self.admin.get("/backends/app/a1").json()
        self.assertEqual(backends["health"], "up", self.diag(backends))

    def test_an_http2_client_that_stops_reading_is_closed_after_client_send(self):
        self.start({"client_send": SHORT, "client_idle": "60s"})
        c = self.h2()
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.send(PREFACE
               + settings([(INITIAL_WINDOW_SIZE, 0x7FFFFFFF)])
               + frame(WINDOW_UPDATE, 0, 0, (0x7FFFFFFF - 65535).to_bytes(4, "big"))
               + headers_frame(1, request_block("/bytes?n=%d" % (256 << 20))))
        self.assertTrue(self.a1.wait_for_requests(1, 5), self.diag(self.a1.snapshot()))
        # The client reads nothing: gatehouse's socket fills and stays full.
        self.assertTrue(self.a1.wait_for_open_connections(0, 5),
                        self.diag("the backend is still held by a client that does not read"))
        self.assertGreaterEqual(self.metric("gatehouse_client_send_timeouts_total"), 1)

    def test_an_http1_client_that_stops_reading_is_closed_after_client_send(self):
        self.start({"client_send": SHORT, "client_idle": "60s"})
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", self.port))
        self.addCleanup(s.close)
        s.sendall(b"GET /bytes?n=%d HTTP/1.1\r\nHost: a.test\r\n\r\n" % (256 << 20))
        self.assertTrue(self.a1.wait_for_requests(1, 5), self.diag(self.a1.snapshot()))
        self.assertTrue(self.a1.wait_for_open_connections(0, 5),
                        self.diag("the backend is still held by a client that does not read"))
        log = self.gh.wait_for_access_log(lambda e: "/bytes" in e.get("path", ""))
        self.assertTrue(log, self.diag("no access log line: the exchange never ended"))
        self.assertGreaterEqual(self.metric("gatehouse_client_send_timeouts_total"), 1)


if __name__ == "__main__":
    unittest.main()
