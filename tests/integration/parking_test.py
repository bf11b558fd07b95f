"""Parked idle connections (issue 18, timeouts.client_park): a kept-alive HTTP/1 connection idle
for client_park gives back its buffers and codec and keeps its socket (and TLS session); the
client's next request wakes it and is answered on the same connection, client_idle still closes
it on time, and a graceful stop still ends it. An HTTP/2 connection without a stream for
client_park gives back its frame buffer's pages and answers its next streams as before. One
gatehouse (a plain, a TLS and an h2c listener) serves every case."""

import json

import time
import unittest

from admin_support import AdminCase, parse_prometheus
from gatehouse_process import free_port
from h2_frames import DATA, END_STREAM, HEADERS, SETTINGS, ACK, H2Client, headers_frame, \
    request_block, settings
from tls_material import test_pki, tls_client, tls_listener

PARK = "50ms"
IDLE_S = 2


class ParkingTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")
        self.pki = test_pki()
        self.tls_port, plain, self.h2c_port = free_port(), free_port(), free_port()
        self.gh, self.admin = self.start_with_admin(
            [self.a1], workers=1,
            listeners=[{"address": "127.0.0.1:%d" % plain},
                       tls_listener(self.tls_port, [self.pki.a], alpn=["http/1.1"]),
                       {"address": "127.0.0.1:%d" % self.h2c_port, "h2c": True}],
            timeouts={"client_park": PARK, "client_idle": "%ds" % IDLE_S})
        self.plain_port = plain

    def parked(self):
        r = self.admin.get("/metrics")
        self.assertEqual(r.status, 200, r)
        return parse_prometheus(r.text)["gatehouse_connections_parked"].value()

    def h2_parks(self):
        r = self.admin.get("/metrics")
        self.assertEqual(r.status, 200, r)
        return parse_prometheus(r.text)["gatehouse_http2_parks_total"].value()

    def h2_response(self, c, stream, timeout=5.0):
        """(first byte of the HEADERS block, body) of stream's response."""
        deadline = time.monotonic() + timeout
        first, body = None, b""
        while True:
            f = c.read_frame(deadline)
            self.assertIsNotNone(f, "closed before stream %d ended: %s" % (stream, c.summary()))
            ftype, flags, sid, payload = f
            if ftype == SETTINGS and not flags & ACK:
                c.send(settings(ack=True))
            if sid != stream:
                continue
            if ftype == HEADERS and first is None:
                first = payload[0]
            elif ftype == DATA:
                body += payload
            if ftype in (HEADERS, DATA) and flags & END_STREAM:
                return first, body

    def test_http2_connection_gives_back_its_frame_buffer_and_answers_after(self):
        c = H2Client(self.h2c_port, tls=False)
        self.addCleanup(c.close)
        before = self.h2_parks()
        self.assertTrue(c.start())
        for stream in (1, 3, 5):
            target = "/echo?stream=%d" % stream
            c.send(headers_frame(stream, request_block(target, scheme="http")))
            first, body = self.h2_response(c, stream)
            self.assertEqual(first, 0x88, "HEADERS must start with :status 200 (indexed)")
            self.assertEqual(json.loads(body)["target"], target)
            # Idle for client_park: the pages go; the next stream's frames take fresh ones.
            self.wait_until(lambda: self.h2_parks() >= before + 1, "an HTTP/2 park")
            before = self.h2_parks()
        self.assertFalse(c.closed, c.summary())

    def wait_until(self, fn, what, timeout=5.0):
        deadline = time.monotonic() + timeout
        while not fn():
            if time.monotonic() > deadline:
                self.fail(self.diag("timed out waiting for: " + what))
            time.sleep(0.02)  # poll interval, bounded by the deadline

    def wait_parked(self, n, what):
        self.wait_until(lambda: self.parked() == n, "%d connection(s) parked: %s" % (n, what))

    def exercise(self, c, what):
        # A parked connection answers its next requests on the same socket, and parks again.
        self.assertEqual(c.get("/hello").status, 200, self.diag(what))
        self.wait_parked(1, what)
        for i in range(3):
            r = c.get("/echo?i=%d" % i)
            self.assertStatus(r, 200, what)
            self.assertEqual(r.json()["target"], "/echo?i=%d" % i, self.diag(what, r))
            self.assertFalse(c.eof, self.diag(what + ": closed after waking"))
            self.wait_parked(1, what + " again")
        # client_idle counts from the last response, parked or not.
        start = time.monotonic()
        self.assertTrue(c.is_closed(IDLE_S + 5), self.diag(what + ": not closed by client_idle"))
        self.assertLess(time.monotonic() - start, IDLE_S + 4, self.diag(what))
        self.wait_parked(0, what + " closed")

    def test_plain_connection_parks_wakes_and_times_out(self):
        self.exercise(self.client(self.plain_port), "plain")

    def test_tls_connection_parks_wakes_and_times_out(self):
        c = tls_client(self.tls_port, alpn=["http/1.1"])
        self.addCleanup(c.close)
        self.exercise(c, "TLS")

    def test_a_graceful_stop_closes_parked_connections(self):
        c = self.client(self.plain_port)
        self.assertEqual(c.get("/hello").status, 200)
        t = tls_client(self.tls_port, alpn=["http/1.1"])
        self.addCleanup(t.close)
        self.assertEqual(t.get("/hello").status, 200)
        self.wait_parked(2, "before the stop")
        self.gh.stop()
        self.assertTrue(c.is_closed(5), self.diag("parked plain connection left open at stop"))
        self.assertTrue(t.is_closed(5), self.diag("parked TLS connection left open at stop"))


if __name__ == "__main__":
    unittest.main()
