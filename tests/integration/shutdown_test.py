"""Graceful stop: SIGTERM stops accepting, lets in-flight requests finish within
shutdown_grace, and exits 0; past the grace the process exits anyway."""

import errno
import signal
import socket
import time
import unittest

from integration_case import IntegrationCase
from raw_client import IncompleteResponse, RawClient, ResponseTimeout, request


def connect_is_refused(port):
    """True if a new connection to port is refused or closed without an answer."""
    try:
        c = RawClient(port, connect_timeout=1.0)
    except ConnectionRefusedError:
        return True
    except OSError as e:
        return e.errno in (errno.ECONNREFUSED, errno.ECONNRESET)
    with c:
        try:
            c.send(request("GET", "/hello"))
            c.read_response(timeout=1.0)
        except (IncompleteResponse, BrokenPipeError, ConnectionResetError):
            return True
        except ResponseTimeout:
            return False  # accepted and left hanging: not refused
        return False


class ShutdownTest(IntegrationCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")

    def test_in_flight_requests_complete_and_exit_is_zero(self):
        gh = self.start([self.a1], shutdown_grace="5s")
        clients = [self.client(gh) for _ in range(10)]
        for c in clients:
            c.send(request("GET", "/delay?ms=1500"))
        self.assertTrue(self.a1.wait_for_requests(10, 5), self.diag(self.a1.snapshot()))
        threads, results, errors = self.run_threads(
            [lambda c=c: c.read_response(timeout=10) for c in clients])
        sent_at = time.monotonic()
        gh.send_signal(signal.SIGTERM)

        # New connections are refused soon after SIGTERM, while the old ones still run.
        refused = False
        while not refused and time.monotonic() - sent_at < 1.2:
            refused = connect_is_refused(gh.port)
            if not refused:
                time.sleep(0.05)  # poll interval, bounded by the 1.2 s above
        self.assertTrue(refused, self.diag("new connections still served 1.2 s after SIGTERM"))

        self.join_threads(threads, 10)
        self.assertEqual(errors, [None] * 10, self.diag(errors))
        self.assertEqual([(r.status, r.body) for r in results], [(200, b"delayed 1500 ms")] * 10,
                         self.diag(results))
        rc = gh.wait(timeout=8)
        elapsed = time.monotonic() - sent_at
        self.assertEqual(rc, 0, self.diag("exit code %s" % rc))
        self.assertLess(elapsed, 5.0 + 1.0, self.diag("exit took %.2fs with grace 5s" % elapsed))

    def test_exit_after_grace_when_a_request_never_finishes(self):
        gh = self.start([self.a1], shutdown_grace="1s")
        c = self.client(gh)
        c.send(request("GET", "/hold?key=never"))
        self.assertTrue(self.a1.wait_for_requests(1, 5), self.diag(self.a1.snapshot()))
        sent_at = time.monotonic()
        gh.send_signal(signal.SIGTERM)
        rc = gh.wait(timeout=6)
        elapsed = time.monotonic() - sent_at
        self.assertIsNotNone(rc, self.diag("still running 6 s after SIGTERM with grace 1s"))
        self.assertEqual(rc, 0, self.diag("exit code %s" % rc))
        self.assertGreater(elapsed, 0.8, self.diag("exited after %.2fs, before the grace" % elapsed))
        self.assertLess(elapsed, 3.5, self.diag("exited after %.2fs with grace 1s" % elapsed))
        self.assertTrue(c.is_closed(2), self.diag("client connection not closed at exit"))

    def test_idle_keepalive_connections_do_not_hold_the_exit(self):
        gh = self.start([self.a1], shutdown_grace="5s")
        c = self.client(gh)
        self.assertStatus(c.get("/hello"), 200)
        sent_at = time.monotonic()
        rc = gh.stop(signal.SIGTERM, timeout=8)
        elapsed = time.monotonic() - sent_at
        self.assertEqual(rc, 0, self.diag("exit code %s" % rc))
        self.assertLess(elapsed, 5.0 + 1.0, self.diag("exit took %.2fs" % elapsed))
        self.assertTrue(c.is_closed(2))

    def test_sigint_also_stops_gracefully(self):
        gh = self.start([self.a1], shutdown_grace="5s")
        self.assertStatus(self.client(gh).get("/hello"), 200)
        rc = gh.stop(signal.SIGINT, timeout=8)
        self.assertEqual(rc, 0, self.diag("exit code %s" % rc))

    def test_open_websocket_does_not_hold_the_exit_beyond_grace(self):
        gh = self.start([self.a1], shutdown_grace="1s")
        c = self.client(gh)
        r, _ = c.ws_handshake("/ws")
        self.assertStatus(r, 101)
        sent_at = time.monotonic()
        gh.send_signal(signal.SIGTERM)
        rc = gh.wait(timeout=6)
        elapsed = time.monotonic() - sent_at
        self.assertEqual(rc, 0, self.diag("exit code %s after %.2fs" % (rc, elapsed)))
        self.assertLess(elapsed, 3.5, self.diag("exit took %.2fs with grace 1s" % elapsed))
        self.assertTrue(c.is_closed(2))

    def test_download_in_progress_completes_within_grace(self):
        """SIGTERM while a response streams: the client still gets every byte. The loss was
        intermittent (the process exited with response bytes still unwritten), so try a few."""
        n = 64 * 1024 * 1024
        for attempt in range(5):
            with self.subTest(attempt=attempt):
                gh = self.start([self.a1], shutdown_grace="10s")
                c = self.client(gh)
                c.send(request("GET", "/bytes?n=%d" % n))
                self.assertStatus(c.read_head(timeout=5), 200)
                got = len(c.read_body(1024 * 1024, timeout=5))
                gh.send_signal(signal.SIGTERM)
                try:
                    got += len(c.read_body(n - got, timeout=30))
                except IncompleteResponse as e:
                    self.fail(self.diag("attempt %d: download cut by the graceful stop: %s" % (attempt, e)))
                self.assertEqual(got, n)
                self.assertEqual(gh.wait(timeout=10), 0, self.diag())

if __name__ == "__main__":
    unittest.main()
