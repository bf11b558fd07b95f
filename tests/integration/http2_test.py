"""HTTP/2 toward clients (TLS with ALPN h2, and h2c): multiplexing, big bodies both ways with
bounded memory, HEAD and 204, a slow stream beside fast ones, and the defences: rapid reset
(CVE-2023-44487), malformed frames and a CONTINUATION flood end the connection (GOAWAY or close),
never the process.

Client tools: curl, h2load and nghttp (skipTest when missing) and raw frames
(tests/support/h2_frames.py, stdlib ssl). Backends stay HTTP/1.1 (the TestOrigin).
"""

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from gatehouse_process import RssSampler, base_config, free_port
from h2_frames import (ACK, CANCEL, COMPRESSION_ERROR, CONTINUATION, DATA, END_HEADERS,
                       END_STREAM, ENHANCE_YOUR_CALM, ERROR_NAMES, FRAME_SIZE_ERROR, GOAWAY,
                       H2Client, HEADERS, NO_ERROR, PING, PREFACE, PROTOCOL_ERROR, RST_STREAM,
                       SETTINGS, WINDOW_UPDATE, describe, frame, headers_frame,
                       hpack_indexed_literal, hpack_literal, request_block, rst_stream, settings)
from integration_case import IntegrationCase, MiB
from test_origin import PatternChecker, pattern_bytes, pattern_sha256
from tls_material import curl, curl_args, missing_tools, run_tool, test_pki, tls_listener

# 96 MiB, or more where GATEHOUSE_RSS_LIMIT_KIB says so (an ASan build sets 1 GiB).
RSS_LIMIT_KIB = max(96 * 1024, int(os.environ.get("GATEHOUSE_RSS_LIMIT_KIB", "0")))
BIG = 64 * MiB

# ---------------------------------------------------------------------------------------------
class Http2Test(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if missing_tools("openssl"):
            raise unittest.SkipTest("openssl CLI not installed (needed for the test PKI)")
        cls.pki = test_pki()

    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")

    def need(self, *tools):
        missing = missing_tools(*tools)
        if missing:
            self.skipTest("not installed: %s" % ", ".join(missing))

    def start_h2(self, workers=1, http2=None, h2c=False, **overrides):
        """gatehouse with a TLS listener (self.port) and, with h2c, a plain one (self.h2c_port)."""
        self.port = free_port()
        listeners = [tls_listener(self.port, [self.pki.a, self.pki.b])]
        if h2c:
            self.h2c_port = free_port()
            listeners.append({"address": "127.0.0.1:%d" % self.h2c_port, "h2c": True})
        if http2 is not None:
            overrides["http2"] = http2
        overrides.setdefault("limits", {"body": "200MiB"})
        cfg = base_config([self.a1], workers=workers, listeners=listeners, **overrides)
        self.gh = self.gatehouse(cfg)
        return self.gh

    def curl2(self, path, **kw):
        kw.setdefault("cafile", self.pki.ca)
        kw.setdefault("http", "--http2")
        return curl(self.port, path, **kw)

    def assertServing(self, what):
        """The process is alive and a fresh HTTP/2 client gets 200 within 2 s."""
        self.assertTrue(self.gh.is_running(), self.diag("gatehouse exited after %s" % what))
        started = time.monotonic()
        r = self.curl2("/hello", extra=["--max-time", "2"], timeout=5)
        elapsed = time.monotonic() - started
        self.assertEqual((r.rc, r.status, r.http_version, r.body), (0, 200, "2", b"hello"),
                         self.diag("after %s (%.2fs)" % (what, elapsed), r))
        self.assertLess(elapsed, 2.0, self.diag("after %s a request took %.2fs" % (what, elapsed)))

    def assertRssBounded(self, sampler, what):
        self.assertTrue(sampler.samples, self.diag("no RSS samples"))
        self.assertLess(sampler.max_kib, RSS_LIMIT_KIB,
                        self.diag("%s: %s (limit %d KiB)" % (what, sampler.summary(), RSS_LIMIT_KIB)))

    def h2(self, tls=True):
        c = H2Client(self.port if tls else self.h2c_port, tls=tls)
        self.addCleanup(c.close)
        return c

    # -- multiplexing -------------------------------------------------------------------------
    def _h2load(self, url, n=200, c=2, m=10, timeout=60):
        rc, out, err = run_tool(["h2load", "-n", str(n), "-c", str(c), "-m", str(m), url], timeout=timeout)
        m_req = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                          r"(\d+) errored, (\d+) timeout", out)
        self.assertTrue(m_req, self.diag("h2load printed no summary (rc %d):\n%s\n%s" % (rc, out, err)))
        total, _, done, ok, failed, errored, timeouts = (int(x) for x in m_req.groups())
        self.assertEqual((done, ok, failed, errored, timeouts), (n, n, 0, 0, 0),
                         self.diag("h2load %s:\n%s\n%s" % (url, out, err)))
        self.assertIn("status codes: %d 2xx" % n, out, self.diag(out))
        return out

    def test_h2load_multiplexed_streams_over_tls(self):
        self.need("h2load")
        self.start_h2(workers=2)
        out = self._h2load("https://127.0.0.1:%d/hello" % self.port)
        self.assertRegex(out, r"Application protocol: h2\b", self.diag(out))
        self.assertTrue(self.a1.wait_for_completed(200, 5), self.diag(self.a1.snapshot()))
        log = self.gh.wait_for_access_log(lambda e: e.get("protocol") == "HTTP/2.0", count=200)
        self.assertEqual(len(log), 200, self.diag("%d HTTP/2.0 access log lines" % len(log)))

    def test_h2load_over_h2c(self):
        self.need("h2load")
        self.start_h2(h2c=True)
        out = self._h2load("http://127.0.0.1:%d/hello" % self.h2c_port)
        self.assertRegex(out, r"Application protocol: h2c\b", self.diag(out))

    def test_slow_stream_does_not_hold_back_the_others(self):
        self.need("nghttp")
        self.start_h2()
        base = "https://127.0.0.1:%d" % self.port
        urls = [base + "/delay?ms=1000"] + [base + "/hello?i=%d" % i for i in range(20)]
        rc, out, err = run_tool(["nghttp", "-ns", "--timeout=10"] + urls, timeout=30)
        self.assertEqual(rc, 0, self.diag(out, err))
        rows = {}
        for m in re.finditer(r"^\s*(\d+)\s+\+([\d.]+)(us|ms|s)\s+\+\S+\s+\S+\s+(\d{3})\s+\d+\s+(\S+)\s*$", out, re.M):
            seconds = float(m.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(3)]
            rows[m.group(5)] = (int(m.group(4)), seconds, int(m.group(1)))
        self.assertEqual(len(rows), 21, self.diag("nghttp rows %s:\n%s\n%s" % (rows, out, err)))
        self.assertEqual({code for code, _, _ in rows.values()}, {200}, self.diag(out))
        self.assertEqual(len({sid for _, _, sid in rows.values()}), 21, "one stream each")
        slow = rows.pop("/delay?ms=1000")[1]
        fast = max(t for _, t, _ in rows.values())
        self.assertGreaterEqual(slow, 0.95, self.diag(out))
        self.assertLess(fast, 0.9, self.diag("fast streams waited for the slow one:\n" + out))
        self.assertEqual(len(self.gh.wait_for_access_log(lambda e: e.get("protocol") == "HTTP/2.0",
                                                         count=21)), 21)

    # -- big bodies ---------------------------------------------------------------------------
    def test_large_download_over_h2_keeps_memory_bounded(self):
        self.need("curl")
        self.start_h2()
        args = curl_args(self.port, "/bytes?n=%d" % BIG, cafile=self.pki.ca, http="--http2",
                         extra=["-o", "-", "-w", "%{stderr}status=%{http_code} version=%{http_version}\\n"])
        checker = PatternChecker()
        started = time.monotonic()
        with RssSampler(self.gh, interval=0.02) as rss:
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.addCleanup(self._reap, proc)
            deadline = started + 120
            while time.monotonic() < deadline:
                data = proc.stdout.read1(1 << 20) if hasattr(proc.stdout, "read1") else proc.stdout.read(1 << 20)
                if not data:
                    break
                checker.feed(data)
            try:
                rc = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = "killed after 120 s"
            err = proc.stderr.read().decode("utf-8", "replace")
        elapsed = time.monotonic() - started
        self.assertEqual(rc, 0, self.diag(err, "%d bytes read" % checker.count))
        self.assertIn("status=200 version=2", err, self.diag(err))
        self.assertEqual((checker.count, checker.ok), (BIG, True),
                         self.diag("first mismatch at %s" % checker.first_mismatch))
        self.assertRssBounded(rss, "64 MiB download over h2")
        print("\n  h2 download: %d MiB in %.1fs, %s" % (BIG // MiB, elapsed, rss.summary()))

    @staticmethod
    def _reap(proc):
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)  # closes the pipes

    def test_slow_h2_reader_pushes_back_on_the_origin(self):
        """A client reading 1 MiB/s of a 512 MiB body for 4 s: gatehouse must stop reading from
        the origin once the stream's window and its own buffers are full, not hold the body."""
        self.need("curl")
        self.start_h2()
        n = 512 * MiB
        args = curl_args(self.port, "/bytes?n=%d" % n, cafile=self.pki.ca, http="--http2",
                         extra=["-o", "/dev/null", "--limit-rate", "1M"])
        with RssSampler(self.gh, interval=0.05) as rss:
            proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self.addCleanup(self._reap, proc)
            self.assertTrue(self.a1.wait_for_requests(1, 5), self.diag(self.a1.snapshot()))
            time.sleep(4)  # the slow reader's pace is the point of the test
            if proc.poll() is not None:
                self.fail(self.diag("curl ended early (rc %s): %s" % (proc.returncode, proc.stderr.read())))
        self.assertRssBounded(rss, "a slow HTTP/2 reader of a 512 MiB body")
        proc.kill()
        self.assertServing("a slow reader went away mid-body")
        print("\n  slow h2 reader: %s" % rss.summary())

    def test_large_upload_over_h2_keeps_memory_bounded(self):
        self.need("curl")
        self.start_h2()
        fd, path = tempfile.mkstemp(prefix="gatehouse-h2-upload-")
        self.addCleanup(os.unlink, path)
        with os.fdopen(fd, "wb") as f:
            for offset in range(0, BIG, 1 << 20):
                f.write(pattern_bytes(offset, 1 << 20))
        want = pattern_sha256(BIG)
        started = time.monotonic()
        with RssSampler(self.gh, interval=0.02) as rss:
            r = self.curl2("/echo", extra=["--data-binary", "@" + path,
                                           "-H", "Content-Type: application/octet-stream"],
                           timeout=150)
        elapsed = time.monotonic() - started
        self.assertEqual((r.rc, r.status, r.http_version), (0, 200, "2"), self.diag(r))
        echo = json.loads(r.body)
        self.assertEqual((echo["method"], echo["body_len"], echo["body_sha256"]), ("POST", BIG, want),
                         self.diag(echo))
        self.assertRssBounded(rss, "64 MiB upload over h2")
        print("\n  h2 upload: %d MiB in %.1fs, %s" % (BIG // MiB, elapsed, rss.summary()))

    def test_upload_without_content_length(self):
        """An h2 request body without content-length reaches the origin whole (chunked, or
        buffered by gatehouse into a Content-Length; either way one framing)."""
        self.need("curl")
        self.start_h2()
        body = os.urandom(200 * 1024)
        r = self.curl2("/echo", extra=["-T", "-", "-X", "POST"], input=body)  # stdin: no length
        self.assertEqual((r.rc, r.status), (0, 200), self.diag(r))
        echo = json.loads(r.body)
        self.assertEqual((echo["body_len"], echo["body_sha256"]), (len(body), hashlib.sha256(body).hexdigest()),
                         self.diag(echo))

    # -- responses without a body -------------------------------------------------------------
    def test_head_over_h2(self):
        self.need("curl")
        self.start_h2()
        r = self.curl2("/head-test", extra=["-I"])
        self.assertEqual((r.rc, r.status, r.http_version), (0, 200, "2"), self.diag(r))
        self.assertEqual(r.header("content-length"), "11", self.diag(r))
        self.assertEqual(self.a1.last_request.method, "HEAD")
        r = self.curl2("/bytes?n=100000", extra=["-I"])
        self.assertEqual((r.rc, r.status, r.header("content-length")), (0, 200, "100000"), self.diag(r))

    def test_204_over_h2(self):
        self.need("curl")
        self.start_h2()
        # Three URLs on one connection (curl_args puts the extra one first): a 204 that sent
        # body bytes would show in the output or break the stream after it.
        base = "https://a.test:%d" % self.port
        r = self.curl2("/status?code=204", extra=[base + "/status?code=204", base + "/hello"])
        self.assertEqual((r.rc, r.status, r.body), (0, 204, b"hello"), self.diag(r))
        self.assertEqual(re.findall(r"^HTTP/2 (\d+)", r.head_text, re.M), ["204", "200", "204"], self.diag(r))
        r = self.curl2("/status?code=204", extra=["-w", "%{http_code} %{size_download}"])
        self.assertEqual((r.rc, r.body), (0, b"204 0"), self.diag(r))

    # -- defences -----------------------------------------------------------------------------
    def test_rapid_reset_gets_goaway_and_others_are_served(self):
        self.start_h2(http2={"max_resets": 200})
        c = self.h2()
        self.assertTrue(c.start(), "preface not sent")
        sent = 0
        batch = []
        for i in range(2000):
            sid = 1 + 2 * i
            batch.append(headers_frame(sid, request_block("/hello?rr=%d" % i)) + rst_stream(sid))
            if len(batch) == 100:
                if not c.send(b"".join(batch)):
                    break
                sent += len(batch)
                batch = []
        if batch and c.send(b"".join(batch)):
            sent += len(batch)
        # Another client is served meanwhile, within 2 s.
        self.assertServing("a rapid-reset flood of %d streams" % sent)
        end = c.wait_for_end(timeout=10)
        self.assertIn(end[0], ("goaway", "closed"),
                      self.diag("after %d HEADERS+RST_STREAM the connection is still open: %s"
                                % (sent, c.summary())))
        if end[0] == "goaway":
            self.assertEqual(end[1], ENHANCE_YOUR_CALM, self.diag(describe(end), c.summary()))
        # The origin saw a fraction of them: wait for stragglers to settle, then count.
        settle_deadline = time.monotonic() + 3
        last = -1
        while time.monotonic() < settle_deadline and last != self.a1.requests:
            last = self.a1.requests
            time.sleep(0.3)  # settle interval, bounded by the 3 s deadline
        reached = sum(1 for r in self.a1.request_log if r.query.get("rr") is not None)
        self.assertLess(reached, 500, self.diag("%d of the %d reset requests reached the origin (%s)"
                                                % (reached, sent, describe(end))))
        print("\n  rapid reset: %d streams sent, ended by %s, %d reached the origin"
              % (sent, describe(end), reached))

    def _malformed(self, name, payload, codes, preface=True, tls=True):
        """Send payload on a fresh connection (after preface + SETTINGS if preface); the server
        must end the connection with GOAWAY(code in codes) or close it within 5 s."""
        c = self.h2(tls=tls)
        if preface:
            c.start()
        c.send(payload)
        end = c.wait_for_end(timeout=5)
        self.assertIn(end[0], ("goaway", "closed"), self.diag("%s: connection left open; %s" % (name, c.summary())))
        if end[0] == "goaway":
            self.assertIn(end[1], codes, self.diag("%s: %s; want %s" % (name, describe(end),
                                                                       [ERROR_NAMES[x] for x in codes])))
            # After GOAWAY for a connection error the server closes too.
            self.assertIn(c.wait_for_end(timeout=5)[0], ("closed", "goaway"),
                          self.diag("%s: GOAWAY sent but the connection stays open" % name))
        return end

    def test_malformed_frames_end_the_connection_not_the_process(self):
        self.start_h2()
        block = request_block("/hello")
        cases = [
            ("DATA on stream 0", frame(DATA, 0, 0, b"x" * 10), {PROTOCOL_ERROR}),
            ("frame larger than SETTINGS_MAX_FRAME_SIZE",
             frame(DATA, 0, 1, b"\0" * 20000), {FRAME_SIZE_ERROR, PROTOCOL_ERROR}),
            ("HEADERS larger than SETTINGS_MAX_FRAME_SIZE",
             frame(HEADERS, END_HEADERS | END_STREAM, 1, block + b"\0" * 17000),
             {FRAME_SIZE_ERROR, PROTOCOL_ERROR}),
            ("SETTINGS with a length not a multiple of 6", frame(SETTINGS, 0, 0, b"\0" * 7),
             {FRAME_SIZE_ERROR}),
            ("WINDOW_UPDATE of 0 on the connection", frame(WINDOW_UPDATE, 0, 0, b"\0\0\0\0"),
             {PROTOCOL_ERROR}),
            ("CONTINUATION without HEADERS", frame(CONTINUATION, END_HEADERS, 1, block),
             {PROTOCOL_ERROR}),
            ("HEADERS with a bad HPACK index", frame(HEADERS, END_HEADERS | END_STREAM, 1, b"\xff\xff\xff\x7f"),
             {COMPRESSION_ERROR}),
            ("even (server) stream id", headers_frame(2, block), {PROTOCOL_ERROR}),
            ("text after the preface and SETTINGS", b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n",
             {FRAME_SIZE_ERROR, PROTOCOL_ERROR}),
        ]
        for name, payload, codes in cases:
            with self.subTest(case=name):
                end = self._malformed(name, payload, codes)
                print("\n  %s: %s" % (name, describe(end)), end="")
                self.assertTrue(self.gh.is_running(), self.diag("gatehouse died on: " + name))
        with self.subTest(case="bad preface"):
            self._malformed("bad preface", b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + settings(),
                            {PROTOCOL_ERROR}, preface=False)
        with self.subTest(case="garbage after the preface, instead of SETTINGS"):
            self._malformed("garbage after the preface", PREFACE + b"\xfe" * 9 + b"not a frame" * 8,
                            {PROTOCOL_ERROR, FRAME_SIZE_ERROR}, preface=False)
        with self.subTest(case="garbage instead of the preface"):
            self._malformed("garbage instead of the preface", os.urandom(100), {PROTOCOL_ERROR},
                            preface=False)
        self.assertServing("malformed frames")

    def test_malformed_frames_over_h2c(self):
        self.start_h2(h2c=True)
        self._malformed("DATA on stream 0 (h2c)", frame(DATA, 0, 0, b"x"), {PROTOCOL_ERROR}, tls=False)
        self._malformed("oversized frame (h2c)", frame(DATA, 0, 1, b"\0" * 20000),
                        {FRAME_SIZE_ERROR, PROTOCOL_ERROR}, tls=False)
        self.assertServing("malformed h2c frames")

    def test_continuation_flood_is_bounded(self):
        """HEADERS without END_HEADERS, then CONTINUATIONs carrying ~8 MiB of header fields
        (beyond max_header_list): gatehouse must not buffer them all; it ends the stream or the
        connection, and keeps serving others."""
        self.start_h2(http2={"max_header_list": "64KiB"})
        c = self.h2()
        c.start(headers_frame(1, request_block("/hello"), end_headers=False))
        field = hpack_literal("x-flood", "v" * 16000)
        alive = True
        with RssSampler(self.gh) as rss:
            for _ in range(512):
                if not c.send(frame(CONTINUATION, 0, 1, field)):
                    alive = False
                    break
            if alive:
                c.send(frame(CONTINUATION, END_HEADERS, 1, b""))
            end = c.wait_for_end(timeout=5)
        reacted = (end[0] != "open" or any(t in (RST_STREAM, HEADERS) and sid == 1 for t, _, sid, _ in c.frames))
        self.assertTrue(reacted, self.diag("no reaction to an 8 MiB header block: " + c.summary()))
        self.assertRssBounded(rss, "CONTINUATION flood")
        self.assertEqual(self.a1.requests, 0, self.diag("the flooded request reached the origin",
                                                        self.a1.snapshot()))
        self.assertServing("a CONTINUATION flood (%s)" % describe(end))

    def test_h2_to_h1_smuggling_attempts_do_not_reach_the_origin(self):
        """Requests that are malformed in HTTP/2 (RFC 9113 §8.1.1, §8.2) but would turn into
        something else once written as HTTP/1.1: a body longer than its content-length,
        transfer-encoding, CR/LF in a value, connection-specific fields, upper case names, a Host
        that disagrees with :authority. Each must be refused (stream reset, 4xx or connection
        error); none may reach the origin as a smuggled request, header or Host."""
        self.start_h2()
        smuggled = b"GET /smuggled HTTP/1.1\r\nHost: a.test\r\n\r\n"
        cases = [
            ("body longer than content-length",
             request_block("/echo?case=cl", "POST", extra=[("content-length", "5")]),
             b"hello" + smuggled),
            ("transfer-encoding chunked",
             request_block("/echo?case=te", "POST", extra=[("transfer-encoding", "chunked")]),
             b"0\r\n\r\n" + smuggled),
            ("CR LF in a header value",
             request_block("/echo?case=crlf", extra=[("x-a", "b\r\nx-injected: 1")]), None),
            ("LF in a header value",
             request_block("/echo?case=lf", extra=[("x-a", "b\nx-injected: 1")]), None),
            ("CR LF in :path",
             request_block("/echo?case=path HTTP/1.1\r\nx-injected: 1\r\nx-b: c"), None),
            ("space in :path", request_block("/echo?case=space x"), None),
            ("connection header", request_block("/echo?case=conn", extra=[("connection", "close")]), None),
            ("keep-alive header", request_block("/echo?case=ka", extra=[("keep-alive", "timeout=5")]), None),
            ("upper case name", request_block("/echo?case=upper", extra=[("X-Upper", "1")]), None),
            ("colon in a name", request_block("/echo?case=colon", extra=[("x-a:b", "1")]), None),
            ("two different content-lengths",
             request_block("/echo?case=cl2", "POST", extra=[("content-length", "5"), ("content-length", "6")]),
             b"hello"),
            ("host differs from :authority",
             request_block("/echo?case=host", extra=[("host", "evil.test")]), None),
        ]
        for i, (name, block, body) in enumerate(cases):
            with self.subTest(case=name):
                c = self.h2()
                c.start(headers_frame(1, block, end_stream=body is None))
                if body is not None:
                    c.send(frame(DATA, END_STREAM, 1, body))
                end = c.wait_for_stream_end(1, timeout=5)
                self.assertNotEqual(end, "open", self.diag("%s: no answer in 5 s; %s" % (name, c.summary())))
                print("\n  %s: %s" % (name, end), end="")
        time.sleep(0.3)  # let anything forwarded land in the origin's log (bounded; it is a check for absence)
        log = self.a1.request_log
        self.assertNotIn("/smuggled", [r.path for r in log], self.diag([r.as_dict() for r in log]))
        for r in log:
            names = [k.lower() for k, _ in r.headers]
            self.assertNotIn("x-injected", names, self.diag("injected header reached the origin", r.as_dict()))
            self.assertNotIn("evil.test", r.header_all("host"), self.diag("Host differs from :authority", r.as_dict()))
            self.assertNotIn("transfer-encoding", names, self.diag(r.as_dict()))
            if r.query.get("case") in ("cl", "cl2"):
                self.assertLessEqual(r.body_len, 5, self.diag(r.as_dict()))
        print("\n  reached the origin: %s" % [r.target for r in log], end="")
        self.assertServing("smuggling attempts")

    def test_hpack_bomb_is_bounded(self):
        """One 4000-byte field put in the dynamic table, then referenced 20000 times (1 byte each):
        an 80 MB header list from 20 KB on the wire. Refused by max_header_list, not forwarded,
        memory bounded."""
        self.start_h2(http2={"max_header_list": "64KiB"})
        c = self.h2()
        block = request_block("/hello?bomb=1") + hpack_indexed_literal("x-bomb", "a" * 4000) + b"\xbe" * 20000
        frames = headers_frame(1, block[:16000], end_headers=False)
        for off in range(16000, len(block), 16000):
            last = off + 16000 >= len(block)
            frames += frame(CONTINUATION, END_HEADERS if last else 0, 1, block[off:off + 16000])
        with RssSampler(self.gh, interval=0.02) as rss:
            c.start(frames)
            end = c.wait_for_stream_end(1, timeout=5)
        self.assertNotEqual(end, "open", self.diag("no answer to an HPACK bomb; " + c.summary()))
        self.assertRssBounded(rss, "HPACK bomb")
        self.assertEqual([r.target for r in self.a1.request_log if "bomb" in r.target], [],
                         self.diag("the bomb reached the origin"))
        self.assertServing("an HPACK bomb (%s)" % end)

    def test_ping_flood_from_a_client_that_does_not_read(self):
        """200k PINGs from a client that never reads their ACKs: gatehouse must not queue the ACKs
        without bound (it stops reading or closes), and keeps serving others."""
        self.start_h2()
        c = self.h2()
        c.start()
        ping = frame(PING, 0, 0, b"\0" * 8)
        done = threading.Event()

        def flood():
            for _ in range(200):
                if not c.send(ping * 1000) or done.is_set():
                    return

        with RssSampler(self.gh, interval=0.05) as rss:
            threads, _, errors = self.run_threads([flood])
            for t in threads:
                t.join(10)  # the flood ends, is refused, or stalls on a full socket
            done.set()
            self.assertServing("a PING flood")
        self.assertRssBounded(rss, "PING flood without reading")
        c.close()
        self.join_threads(threads, 15)

    def test_idle_h2_connection_gets_goaway(self):
        self.start_h2(timeouts={"client_idle": "1s"})
        c = self.h2()
        c.start(headers_frame(1, request_block("/hello")))
        self.assertEqual(c.wait_for_stream_end(1, 5), "response", self.diag(c.summary()))
        started = time.monotonic()
        end = c.wait_for_end(timeout=5)
        waited = time.monotonic() - started
        self.assertIn(end[0], ("goaway", "closed"), self.diag("idle h2 connection kept; " + c.summary()))
        if end[0] == "goaway":
            self.assertEqual(end[1], NO_ERROR, self.diag(describe(end)))
        self.assertGreater(waited, 0.5, self.diag("closed after %.2fs, before client_idle" % waited))

    def test_graceful_stop_finishes_h2_streams(self):
        """SIGTERM with an h2 stream in flight: GOAWAY to the client, the stream completes, the
        process exits 0."""
        self.need("curl")
        self.start_h2(shutdown_grace="5s")
        raw = self.h2()
        raw.start(headers_frame(1, request_block("/hello")))
        self.assertEqual(raw.wait_for_stream_end(1, 5), "response", self.diag(raw.summary()))
        threads, results, errors = self.run_threads([lambda: self.curl2("/delay?ms=1500", timeout=10)])
        self.assertTrue(self.a1.wait_for_requests(2, 5), self.diag(self.a1.snapshot()))
        self.gh.send_signal(signal.SIGTERM)
        end = raw.wait_for_end(timeout=5)
        self.assertEqual(end[0], "goaway", self.diag("no GOAWAY to an idle h2 client on SIGTERM; " + raw.summary()))
        self.assertEqual(end[1], NO_ERROR, self.diag(describe(end)))
        self.join_threads(threads, 10)
        self.assertEqual(errors, [None], self.diag(errors))
        r = results[0]
        self.assertEqual((r.rc, r.status, r.body), (0, 200, b"delayed 1500 ms"), self.diag(r))
        rc = self.gh.wait(timeout=8)
        self.assertEqual(rc, 0, self.diag("exit code %s" % rc))

    def test_body_over_the_limit_gets_413(self):
        self.need("curl")
        self.start_h2(limits={"body": "1MiB"})
        body = b"x" * (3 * MiB)
        for extra, what in ((["--data-binary", "@-"], "with content-length"),
                            (["-T", "-", "-X", "POST"], "without content-length")):
            with self.subTest(what=what):
                r = self.curl2("/echo", extra=extra, input=body, timeout=30)
                self.assertIn(r.status, (413,), self.diag(what, r))
        self.assertEqual([r.body_len for r in self.a1.request_log if r.body_len > MiB], [],
                         self.diag("more than the limit reached the origin"))
        self.assertServing("bodies over the limit")

    def test_a_stream_blocked_by_flow_control_holds_neither_memory_nor_the_others(self):
        """The client opens no window for stream 1 (a 256 MiB download): gatehouse must stop
        reading that body from the origin instead of buffering it, while stream 3 on the same
        connection, given a window, completes."""
        self.start_h2()
        c = self.h2()
        SETTINGS_INITIAL_WINDOW_SIZE = 0x4
        c.send(PREFACE + settings([(SETTINGS_INITIAL_WINDOW_SIZE, 0)])
               + frame(WINDOW_UPDATE, 0, 0, (64 * MiB).to_bytes(4, "big"))  # connection window
               + headers_frame(1, request_block("/bytes?n=%d" % (256 * MiB))))
        self.assertTrue(self.a1.wait_for_requests(1, 5), self.diag(self.a1.snapshot()))
        with RssSampler(self.gh, interval=0.05) as rss:
            time.sleep(2)  # time for an unbounded buffer to fill: the point of the test
            c.send(headers_frame(3, request_block("/hello"))
                   + frame(WINDOW_UPDATE, 0, 3, (1 << 16).to_bytes(4, "big")))
            end = c.wait_for_stream_end(3, 5)
        self.assertEqual(end, "response", self.diag("stream 3 did not complete: " + c.summary()))
        data_on_1 = sum(len(p) for t, _, sid, p in c.frames if t == DATA and sid == 1)
        self.assertEqual(data_on_1, 0, self.diag("DATA sent on stream 1 without a window"))
        self.assertRssBounded(rss, "a 256 MiB body on a stream with no window")
        print("\n  window-blocked stream: %s" % rss.summary())

    def test_client_reset_mid_download_does_not_poison_the_backend_pool(self):
        """RST_STREAM in the middle of a big body: gatehouse must drop that backend connection
        (its response is unread), not return it to the pool; later requests get clean answers."""
        self.need("curl")
        self.start_h2(workers=1)
        for i in range(3):
            c = self.h2()
            c.start(headers_frame(1, request_block("/bytes?n=%d" % (64 * MiB))))
            deadline = time.monotonic() + 5
            got = 0
            while got < 32 * 1024:  # within the default 64 KiB window: the rest waits at gatehouse
                f = c.read_frame(deadline)
                self.assertIsNotNone(f, self.diag("closed before the body: " + c.summary()))
                if f[0] == DATA and f[2] == 1:
                    got += len(f[3])
            c.send(rst_stream(1, CANCEL))
            c.close()
        for i in range(20):
            r = self.curl2("/echo?after-reset=%d" % i)
            self.assertEqual((r.rc, r.status), (0, 200), self.diag("request %d after resets" % i, r))
            self.assertEqual(json.loads(r.body)["target"], "/echo?after-reset=%d" % i, self.diag(r))

    def test_connect_method_is_not_forwarded(self):
        """A plain CONNECT (no extended CONNECT is offered) must not become a tunnel or an
        origin request."""
        self.start_h2()
        c = self.h2()
        block = hpack_literal(":method", "CONNECT") + hpack_literal(":authority", "127.0.0.1:%d" % self.a1.port)
        c.start(headers_frame(1, block, end_stream=False))
        end = c.wait_for_stream_end(1, 5)
        if end == "open":  # a 2xx and an open stream would mean a tunnel
            self.fail(self.diag("CONNECT left open: " + c.summary()))
        self.assertEqual(self.a1.requests, 0, self.diag("CONNECT reached the origin", self.a1.snapshot()))
        print("\n  CONNECT: %s" % end, end="")

    def test_more_streams_than_max_concurrent_streams_are_refused_not_queued(self):
        """With max_concurrent_streams 10, opening 30 held streams at once: at most 10 reach the
        origin; the excess get RST_STREAM (REFUSED_STREAM / PROTOCOL_ERROR) or the connection
        ends; nothing waits unbounded."""
        self.start_h2(http2={"max_concurrent_streams": 10})
        c = self.h2()
        c.start(b"".join(headers_frame(1 + 2 * i, request_block("/hold?key=mcs")) for i in range(30)))
        self.a1.wait_for_requests(10, 5)
        deadline = time.monotonic() + 3
        refused = 0
        ended = None
        try:
            while time.monotonic() < deadline and refused < 20:
                f = c.read_frame(deadline)
                if f is None:
                    ended = "closed"
                    break
                if f[0] == RST_STREAM:
                    refused += 1
                elif f[0] == GOAWAY:
                    ended = "goaway %s" % ERROR_NAMES.get(int.from_bytes(f[3][4:8], "big"))
                    break
                elif f[0] == SETTINGS and not f[1] & ACK:
                    c.send(settings(ack=True))
        except socket.timeout:
            pass
        self.assertLessEqual(self.a1.held("mcs"), 10, self.diag(self.a1.snapshot()))
        self.assertTrue(refused == 20 or ended, self.diag("%d RST_STREAM, ended=%s; %s"
                                                          % (refused, ended, c.summary())))
        self.a1.release("mcs")
        self.assertServing("max_concurrent_streams overflow")


if __name__ == "__main__":
    unittest.main()
