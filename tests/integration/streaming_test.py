"""Streaming: big bodies flow through with bounded memory, in both directions, and a slow
client pushes back on the origin instead of filling gatehouse's buffers.

GATEHOUSE_BIG_BYTES scales the big transfers (default 1 GiB); GATEHOUSE_RSS_LIMIT_KIB sets the
RSS ceiling (default 64 MiB; an ASan build needs more).
"""

import os
import threading
import time
import unittest

from gatehouse_process import RssSampler
from integration_case import GiB, MiB, IntegrationCase, big_bytes
from raw_client import request
from test_origin import PatternChecker, pattern_bytes, pattern_sha256

RSS_LIMIT_KIB = int(os.environ.get("GATEHOUSE_RSS_LIMIT_KIB", str(64 * 1024)))
SEND_BLOCK = 256 * 1024


def transfer_timeout(n):
    """Generous: 30 s + 1 s per 10 MiB (a shared 2-core machine moves ~100+ MiB/s here)."""
    return 30.0 + n / (10 * MiB)


class StreamingTest(IntegrationCase):
    def setUp(self):
        super().setUp()
        self.n = big_bytes()
        self.a1 = self.origin("a1")
        limit_mib = self.n // MiB + 64
        self.gh = self.start([self.a1], limits={"body": "%dMiB" % limit_mib})

    def assertRssBounded(self, sampler, what):
        self.assertTrue(sampler.samples, self.diag("no RSS samples taken"))
        self.assertLess(sampler.max_kib, RSS_LIMIT_KIB,
                        self.diag("%s: %s (limit %d KiB)" % (what, sampler.summary(), RSS_LIMIT_KIB)))

    def test_big_download_content_length(self):
        self._download("/bytes?n=%d" % self.n, "length")

    def test_big_download_chunked(self):
        self._download("/chunked?n=%d" % self.n, "chunked")

    def test_close_delimited_download(self):
        n = min(self.n, 64 * MiB)
        c = self.client(self.gh)
        checker = PatternChecker()
        c.send(request("GET", "/close-delimited?n=%d" % n))
        r = c.read_response(timeout=transfer_timeout(n), body_sink=checker.feed)
        self.assertStatus(r, 200)
        self.assertEqual((checker.count, checker.ok), (n, True),
                         self.diag("first mismatch at %s" % checker.first_mismatch, r))

    def _download(self, target, framing):
        c = self.client(self.gh)
        checker = PatternChecker()
        started = time.monotonic()
        with RssSampler(self.gh) as rss:
            c.send(request("GET", target))
            r = c.read_response(timeout=transfer_timeout(self.n), body_sink=checker.feed)
        elapsed = time.monotonic() - started
        self.assertStatus(r, 200)
        self.assertEqual(checker.count, self.n, self.diag(r))
        self.assertTrue(checker.ok, self.diag("body differs from the pattern at byte %d" % (checker.first_mismatch or -1)))
        self.assertRssBounded(rss, "download %s" % target)
        print("\n  %s: %d bytes in %.1fs (%.0f MiB/s), %s"
              % (target, self.n, elapsed, self.n / MiB / max(elapsed, 1e-3), rss.summary()))
        # The connection is still usable afterwards.
        self.assertStatus(c.get("/hello"), 200)

    def _upload(self, use_chunked):
        c = self.client(self.gh)
        framing = [("Transfer-Encoding", "chunked")] if use_chunked else [("Content-Length", str(self.n))]
        expected_sha = pattern_sha256(self.n)  # computed before the clock starts
        started = time.monotonic()
        deadline = started + transfer_timeout(self.n)
        with RssSampler(self.gh) as rss:
            c.send(request("POST", "/echo", framing + [("Content-Type", "application/octet-stream")]))
            offset = 0
            while offset < self.n:
                self.assertLess(time.monotonic(), deadline, self.diag("upload too slow at %d" % offset))
                take = min(SEND_BLOCK, self.n - offset)
                data = pattern_bytes(offset, take)
                c.send(b"%x\r\n%s\r\n" % (take, data) if use_chunked else data, timeout=30)
                offset += take
            if use_chunked:
                c.send(b"0\r\n\r\n")
            r = c.read_response(timeout=max(5.0, deadline - time.monotonic()))
        elapsed = time.monotonic() - started
        self.assertStatus(r, 200)
        echo = r.json()
        self.assertEqual((echo["body_len"], echo["body_sha256"]), (self.n, expected_sha), self.diag(echo))
        self.assertRssBounded(rss, "upload (%s)" % ("chunked" if use_chunked else "content-length"))
        print("\n  upload %s: %d bytes in %.1fs, %s"
              % ("chunked" if use_chunked else "CL", self.n, elapsed, rss.summary()))

    def test_big_upload_content_length(self):
        self._upload(use_chunked=False)

    def test_big_upload_chunked(self):
        self._upload(use_chunked=True)

    def test_slow_client_gets_backpressure(self):
        """Read 10 MiB, pause 2 s, twice: gatehouse must stop reading from the origin meanwhile."""
        n = max(self.n, 256 * MiB)  # enough that an unbounded buffer would show
        c = self.client(self.gh, rcvbuf=256 * 1024)
        checker = PatternChecker()
        c.send(request("GET", "/bytes?n=%d" % n))
        resp = c.read_head(timeout=10)
        self.assertStatus(resp, 200)
        with RssSampler(self.gh) as rss:
            for _ in range(2):
                c.read_body(10 * MiB, timeout=30, sink=checker.feed)
                threading.Event().wait(2.0)  # the slow reader's pause is the point of the test
        self.assertTrue(checker.ok, self.diag("body differs at %s" % checker.first_mismatch))
        self.assertRssBounded(rss, "slow client")
        c.close()
        # The proxy survives the client going away mid-body and keeps serving.
        self.assertStatus(self.client(self.gh).get("/hello"), 200)

    def test_many_concurrent_medium_downloads(self):
        n = min(self.n, 16 * MiB)
        clients = [self.client(self.gh) for _ in range(8)]
        checkers = [PatternChecker() for _ in clients]
        for c in clients:
            c.send(request("GET", "/bytes?n=%d" % n))

        def reader(c, ck):
            return lambda: c.read_response(timeout=transfer_timeout(n * 8), body_sink=ck.feed).status

        with RssSampler(self.gh) as rss:
            threads, results, errors = self.run_threads([reader(c, ck) for c, ck in zip(clients, checkers)])
            self.join_threads(threads, transfer_timeout(n * 8) + 5)
        self.assertEqual(errors, [None] * 8, self.diag(errors))
        self.assertEqual(results, [200] * 8, self.diag(results))
        self.assertEqual([(ck.count, ck.ok) for ck in checkers], [(n, True)] * 8)
        self.assertRssBounded(rss, "8 concurrent downloads")


if __name__ == "__main__":
    unittest.main()
