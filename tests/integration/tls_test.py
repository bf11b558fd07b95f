"""TLS termination: curl over HTTP/1.1 and HTTP/2, the chain chosen by SNI, ALPN, protocol
versions, session resumption across workers, HSTS, the https redirect listener, h2c, garbage
handshakes, and `gatehouse check` on bad certificates.

Client tools: openssl (s_client; also makes the PKI) and curl. A test whose tool is missing is
skipped (skipTest) with the tool's name.
"""

import hashlib
import json
import os
import re
import socket
import tempfile
import time
import unittest

from gatehouse_process import base_config, free_port, run_check, run_gatehouse, to_yaml, write_config
from integration_case import IntegrationCase
from raw_client import request
from tls_material import curl, missing_tools, s_client, test_pki, tls_client, tls_listener

FILE_LINE_COL = re.compile(r"^(?P<file>\S*gatehouse\.yaml):(?P<line>\d+):(?P<col>\d+): (?P<rest>.+)$", re.M)


def echo_values(result, name):
    """Values of header `name` in a /echo JSON body (what the origin received)."""
    echo = json.loads(result.body)
    return [v for k, v in echo["headers"] if k.lower() == name.lower()]


class TlsCase(IntegrationCase):
    """Starts gatehouse with a TLS listener (chains a, b) in front of one TestOrigin."""

    tools = ("openssl",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if missing_tools("openssl"):
            raise unittest.SkipTest("openssl CLI not installed (needed for the test PKI)")
        cls.pki = test_pki()

    def setUp(self):
        super().setUp()
        self.need(*self.tools)
        self.a1 = self.origin("a1")

    def need(self, *tools):
        missing = missing_tools(*tools)
        if missing:
            self.skipTest("not installed: %s" % ", ".join(missing))

    def start_tls(self, leaves=None, hsts=None, extra_listeners=(), workers=2, tls=None, servers=None,
                  **overrides):
        """gatehouse with a TLS listener first (self.tls_port) and extra_listeners after it, in
        front of servers (default: the origin a1)."""
        self.tls_port = free_port()
        listeners = [tls_listener(self.tls_port, leaves or [self.pki.a, self.pki.b], hsts=hsts,
                                  **(tls or {}))]
        listeners += list(extra_listeners)
        cfg = base_config(servers or [self.a1], workers=workers, listeners=listeners, **overrides)
        return self.gatehouse(cfg)

    def assertCurl(self, result, status, *extra):
        self.assertEqual((result.rc, result.status), (0, status), self.diag(result, *extra))

    def handshake(self, **kw):
        return s_client(self.tls_port, cafile=self.pki.ca, **kw)


class TlsTest(TlsCase):
    tools = ("openssl", "curl")

    # -- requests over TLS --------------------------------------------------------------------
    def test_http1_over_tls_reaches_the_origin_with_forwarded_proto_https(self):
        gh = self.start_tls()
        r = curl(self.tls_port, "/echo", cafile=self.pki.ca, http="--http1.1")
        self.assertCurl(r, 200)
        self.assertEqual(r.http_version, "1.1", self.diag(r))
        self.assertEqual(echo_values(r, "x-forwarded-proto"), ["https"], self.diag(r))
        self.assertEqual(echo_values(r, "host"), ["a.test:%d" % self.tls_port], self.diag(r))
        entries = gh.wait_for_access_log(lambda e: e.get("path") == "/echo")
        self.assertEqual([e.get("protocol") for e in entries], ["HTTP/1.1"], self.diag(entries))

    def test_http2_over_tls_reaches_the_origin_with_forwarded_proto_https(self):
        gh = self.start_tls()
        r = curl(self.tls_port, "/echo", cafile=self.pki.ca, http="--http2")
        self.assertCurl(r, 200)
        self.assertEqual(r.http_version, "2", self.diag(r))
        self.assertEqual(echo_values(r, "x-forwarded-proto"), ["https"], self.diag(r))
        self.assertEqual(self.a1.last_request.version, "HTTP/1.1")  # backends stay HTTP/1.1
        entries = gh.wait_for_access_log(lambda e: e.get("path") == "/echo")
        self.assertEqual([(e.get("protocol"), e.get("host")) for e in entries],
                         [("HTTP/2.0", "a.test:%d" % self.tls_port)], self.diag(entries))

    def test_forwarded_proto_from_the_client_is_replaced(self):
        plain = free_port()
        self.start_tls(extra_listeners=[{"address": "127.0.0.1:%d" % plain}])
        for http in ("--http1.1", "--http2"):
            with self.subTest(http=http):
                r = curl(self.tls_port, "/echo", cafile=self.pki.ca, http=http,
                         extra=["-H", "X-Forwarded-Proto: http"])
                self.assertCurl(r, 200)
                self.assertEqual(echo_values(r, "x-forwarded-proto"), ["https"], self.diag(r))
        c = self.client(plain)
        c.send(request("GET", "/echo", [("X-Forwarded-Proto", "https")], host="a.test"))
        r = c.read_response()
        self.assertStatus(r, 200)
        got = [v for k, v in r.json()["headers"] if k.lower() == "x-forwarded-proto"]
        self.assertEqual(got, ["http"], self.diag("a plain client claimed https", r))

    def test_http10_request_without_host_reaches_the_origin_with_a_host(self):
        """An HTTP/1.0 request may omit Host; gatehouse forwards HTTP/1.1, which needs one, and
        an empty `Host:` makes common origins (nginx) answer 400. Seen with `openssl s_time -www`."""
        self.start_tls()
        c = tls_client(self.tls_port, "a.test", self.pki.ca)
        self.addCleanup(c.close)
        c.send(b"GET /echo HTTP/1.0\r\n\r\n")
        r = c.read_response(timeout=5)
        self.assertStatus(r, 200)
        echo = r.json()
        hosts = [v for k, v in echo["headers"] if k.lower() == "host"]
        self.assertEqual(len(hosts), 1, self.diag(echo))
        self.assertNotEqual(hosts[0].strip(), "", self.diag("empty Host toward the origin", echo))
        self.assertNotIn("", [v.strip() for k, v in echo["headers"] if k.lower() == "x-forwarded-host"],
                         self.diag("empty X-Forwarded-Host", echo))

    def test_a_body_goes_both_ways_over_tls(self):
        self.start_tls()
        with tempfile.NamedTemporaryFile(prefix="gatehouse-tls-body-") as f:
            body = os.urandom(300 * 1024)
            f.write(body)
            f.flush()
            for http in ("--http1.1", "--http2"):
                with self.subTest(http=http):
                    r = curl(self.tls_port, "/echo", cafile=self.pki.ca, http=http,
                             extra=["--data-binary", "@" + f.name])
                    self.assertCurl(r, 200)
                    echo = json.loads(r.body)
                    self.assertEqual((echo["method"], echo["body_len"], echo["body_sha256"]),
                                     ("POST", len(body), hashlib.sha256(body).hexdigest()), self.diag(r))

    # -- certificates by SNI ------------------------------------------------------------------
    def test_sni_picks_the_chain(self):
        self.start_tls()
        a, b = self.pki.a, self.pki.b
        cases = [("a.test", a, 256), ("b.test", b, 2048), ("x.wild.test", a, 256),
                 ("B.TEST", b, 2048), (None, a, 256), ("unknown.test", a, 256)]
        for name, leaf, bits in cases:
            with self.subTest(servername=name):
                h = self.handshake(servername=name)
                self.assertEqual((h.subject, h.serial), (leaf.subject, leaf.serial), self.diag(h))
                self.assertEqual(h.verify_code, 0, self.diag(h))
                self.assertIn("Server public key is %d bit" % bits, h.out, self.diag(h))

    def test_the_first_chain_is_the_default(self):
        self.start_tls(leaves=[self.pki.b, self.pki.a])
        h = self.handshake(servername=None)
        self.assertEqual(h.subject, "CN=b.test", self.diag(h))
        self.assertEqual(self.handshake(servername="a.test").subject, "CN=a.test")

    def test_wildcard_covers_one_label_only(self):
        self.start_tls(leaves=[self.pki.b, self.pki.a])  # b is the default: a wrong match shows
        self.assertEqual(self.handshake(servername="x.wild.test").subject, "CN=a.test")
        h = self.handshake(servername="y.x.wild.test")
        self.assertEqual(h.subject, "CN=b.test", self.diag("*.wild.test must not match y.x.wild.test", h))
        h = self.handshake(servername="wild.test")
        self.assertEqual(h.subject, "CN=b.test", self.diag("*.wild.test must not match wild.test", h))

    def test_curl_verifies_each_name(self):
        self.start_tls()
        for host in ("a.test", "b.test", "x.wild.test"):
            with self.subTest(host=host):
                self.assertCurl(curl(self.tls_port, "/hello", host=host, cafile=self.pki.ca), 200)

    def test_ocsp_response_is_stapled(self):
        leaf = dict(self.pki.a.files(), ocsp=self.pki.a.ocsp)
        self.start_tls(leaves=[leaf, self.pki.b])
        h = self.handshake(servername="a.test", status=True)
        self.assertTrue(h.ocsp_stapled, self.diag(h))
        h = self.handshake(servername="b.test", status=True)
        self.assertFalse(h.ocsp_stapled, self.diag("b has no ocsp file", h))

    # -- ALPN ---------------------------------------------------------------------------------
    def test_alpn(self):
        self.start_tls()
        for offer, want in (("h2", "h2"), ("http/1.1", "http/1.1"), ("h2,http/1.1", "h2"),
                            ("http/1.1,h2", "h2"), ("spdy/3,foo", None)):
            with self.subTest(offer=offer):
                h = self.handshake(servername="a.test", alpn=offer)
                self.assertEqual((h.protocol, h.alpn), ("TLSv1.3", want), self.diag(h))

    def test_without_alpn_overlap_http1_works(self):
        self.start_tls()
        for alpn in (["foo"], None):
            with self.subTest(alpn=alpn):
                c = tls_client(self.tls_port, "a.test", self.pki.ca, alpn=alpn)
                self.addCleanup(c.close)
                self.assertIsNone(c.sock.selected_alpn_protocol())
                r = c.get("/hello", host="a.test")
                self.assertEqual((r.status, r.body), (200, b"hello"), self.diag(r))
        self.assertCurl(curl(self.tls_port, "/hello", cafile=self.pki.ca, extra=["--no-alpn"]), 200)

    def test_alpn_list_from_config(self):
        self.start_tls(tls={"alpn": ["http/1.1"]})
        h = self.handshake(servername="a.test", alpn="h2,http/1.1")
        self.assertEqual(h.alpn, "http/1.1", self.diag(h))
        r = curl(self.tls_port, "/hello", cafile=self.pki.ca, http="--http2")
        self.assertCurl(r, 200)
        self.assertEqual(r.http_version, "1.1", self.diag("h2 not offered by the server", r))

    # -- versions -----------------------------------------------------------------------------
    def test_tls13_by_default_and_tls12_when_the_client_forces_it(self):
        self.start_tls()
        self.assertEqual(self.handshake(servername="a.test").protocol, "TLSv1.3")
        h = self.handshake(servername="a.test", version="tls1_2")
        self.assertEqual(h.protocol, "TLSv1.2", self.diag(h))
        h = self.handshake(servername="b.test", version="tls1_2")  # RSA chain over 1.2 too
        self.assertEqual((h.protocol, h.subject), ("TLSv1.2", "CN=b.test"), self.diag(h))
        for http in ("--http1.1", "--http2"):
            r = curl(self.tls_port, "/hello", cafile=self.pki.ca, http=http,
                     extra=["--tlsv1.2", "--tls-max", "1.2"])
            self.assertCurl(r, 200, http)

    def test_cipher_lists_from_config(self):
        self.start_tls(tls={"ciphers": "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
                            "ciphersuites": "TLS_CHACHA20_POLY1305_SHA256"})
        h = self.handshake(servername="a.test")
        self.assertEqual((h.protocol, h.cipher), ("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256"), self.diag(h))
        h = self.handshake(servername="a.test", version="tls1_2")
        self.assertEqual((h.protocol, h.cipher), ("TLSv1.2", "ECDHE-ECDSA-CHACHA20-POLY1305"), self.diag(h))
        h = self.handshake(servername="a.test", version="tls1_2", extra=["-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"])
        self.assertIsNone(h.protocol, self.diag("a cipher outside the list was accepted", h))
        h = self.handshake(servername="a.test", extra=["-ciphersuites", "TLS_AES_128_GCM_SHA256"])
        self.assertIsNone(h.protocol, self.diag("a TLS 1.3 suite outside the list was accepted", h))

    def test_min_version_tls13_refuses_tls12(self):
        self.start_tls(tls={"min_version": "TLSv1.3"})
        h = self.handshake(servername="a.test", version="tls1_2")
        self.assertIsNone(h.protocol, self.diag("TLSv1.2 must be refused", h))
        self.assertNotEqual(h.rc, 0, self.diag(h))
        r = curl(self.tls_port, "/hello", cafile=self.pki.ca, extra=["--tls-max", "1.2"])
        self.assertNotEqual(r.rc, 0, self.diag(r))
        self.assertEqual(self.handshake(servername="a.test", version="tls1_3").protocol, "TLSv1.3")
        self.assertCurl(curl(self.tls_port, "/hello", cafile=self.pki.ca), 200)

    # -- resumption ---------------------------------------------------------------------------
    def _resume_many(self, version, want_protocol, times=10):
        """A full handshake saves a session; `times` new connections (spread over the workers by
        SO_REUSEPORT's hash of the client port: all on one worker has odds 2^-(times-1)) offer it."""
        sess = os.path.join(tempfile.mkdtemp(prefix="gatehouse-sess-"), "session.pem")
        self.addCleanup(lambda: os.path.exists(sess) and os.unlink(sess))
        req = request("GET", "/hello", [("Connection", "close")], host="a.test")
        first = self.handshake(servername="a.test", version=version, sess_out=sess, request=req)
        self.assertEqual((first.protocol, first.reused), (want_protocol, False), self.diag(first))
        self.assertIn("HTTP/1.1 200", first.out, self.diag(first))
        results = []
        for _ in range(times):
            h = self.handshake(servername="a.test", version=version, sess_in=sess, request=req)
            results.append(h)
        reused = [h.reused for h in results]
        self.assertEqual(reused, [True] * times,
                         self.diag("resumed %d of %d" % (sum(reused), times),
                                   *[h for h in results if not h.reused][:2]))
        self.assertEqual({h.protocol for h in results}, {want_protocol})
        self.assertTrue(all("HTTP/1.1 200" in h.out for h in results), self.diag(results[0]))

    def test_session_resumption_tls13_across_workers(self):
        self.start_tls(workers=2)
        self._resume_many(None, "TLSv1.3")

    def test_session_resumption_tls12_across_workers(self):
        self.start_tls(workers=2)
        self._resume_many("tls1_2", "TLSv1.2")

    def _resumed(self, version):
        """Whether a second connection offering the first one's session resumed it."""
        sess = os.path.join(tempfile.mkdtemp(prefix="gatehouse-sess-"), "session.pem")
        self.addCleanup(lambda: os.path.exists(sess) and os.unlink(sess))
        req = request("GET", "/hello", [("Connection", "close")], host="a.test")
        first = self.handshake(servername="a.test", version=version, sess_out=sess, request=req)
        self.assertIn("HTTP/1.1 200", first.out, self.diag(first))
        if not os.path.exists(sess) or os.path.getsize(sess) == 0:
            return False  # the server gave nothing to resume (no ticket, no session ID)
        second = self.handshake(servername="a.test", version=version, sess_in=sess, request=req)
        self.assertIn("HTTP/1.1 200", second.out, self.diag(second))
        return second.reused

    def test_resumption_is_off_with_session_tickets_and_session_cache_false(self):
        # Issue 16: nginx's `ssl_session_tickets off`, HAProxy's `no-tls-tickets`; with both off
        # every handshake is a full one (strict forward secrecy, handshake benchmarks).
        self.start_tls(workers=1, tls={"session_tickets": False, "session_cache": False})
        self.assertFalse(self._resumed(None))
        self.assertFalse(self._resumed("tls1_2"))

    def test_session_cache_alone_still_resumes(self):
        self.start_tls(workers=2, tls={"session_tickets": False})
        self.assertTrue(self._resumed("tls1_2"))
        self.assertTrue(self._resumed(None))

    # -- listeners: hsts, redirect_https, h2c -------------------------------------------------
    def test_hsts_on_the_tls_listener_only(self):
        plain = free_port()
        self.start_tls(hsts=31536000, extra_listeners=[{"address": "127.0.0.1:%d" % plain}])
        for http in ("--http1.1", "--http2"):
            with self.subTest(http=http):
                r = curl(self.tls_port, "/hello", cafile=self.pki.ca, http=http)
                self.assertCurl(r, 200)
                self.assertEqual(r.header("strict-transport-security"), "max-age=31536000", self.diag(r))
        r = self.client(plain).get("/hello", host="a.test")
        self.assertStatus(r, 200)
        self.assertIsNone(r.header("strict-transport-security"), self.diag(r))
        # Any status carries it (here the origin's 404).
        r = curl(self.tls_port, "/status?code=404", cafile=self.pki.ca)
        self.assertEqual(r.header("strict-transport-security"), "max-age=31536000", self.diag(r))
        # An origin that sets its own policy: one header reaches the client, never two.
        self.a1.add_route("/sts", lambda ctx: ctx.respond(200, b"x", headers=[
            ("Strict-Transport-Security", "max-age=5")]))
        r = curl(self.tls_port, "/sts", cafile=self.pki.ca)
        self.assertEqual(len([v for k, v in r.headers if k == "strict-transport-security"]), 1, self.diag(r))

    def test_hsts_on_responses_gatehouse_makes_itself(self):
        refusing = self.refusing_port()
        self.start_tls(hsts=600, servers=[refusing])
        for http in ("--http1.1", "--http2"):
            with self.subTest(http=http):
                r = curl(self.tls_port, "/hello", cafile=self.pki.ca, http=http)
                self.assertEqual((r.rc, r.status), (0, 502), self.diag(r))
                self.assertEqual(r.header("strict-transport-security"), "max-age=600", self.diag(r))

    def test_redirect_https_listener(self):
        plain = free_port()
        self.start_tls(extra_listeners=[{"address": "127.0.0.1:%d" % plain, "redirect_https": True}])
        c = self.client(plain)
        for target, host, location in (("/path?q", "a.test:%d" % plain, "https://a.test/path?q"),
                                       ("/", "a.test", "https://a.test/"),
                                       ("/a/b?x=1&y=2", "B.test", "https://B.test/a/b?x=1&y=2")):
            with self.subTest(target=target, host=host):
                c.send(request("GET", target, host=host))
                r = c.read_response(timeout=5)
                self.assertStatus(r, 301)
                # The host may come back lowercased (names are case-insensitive), nothing else.
                self.assertIn(r.header("location"), {location, location.replace("B.test", "b.test")},
                              self.diag(r))
        c.send(request("HEAD", "/path?q", host="a.test"))
        r = c.read_response(timeout=5, head_request=True)
        self.assertStatus(r, 301)
        for host, location in (("[::1]:8080", "https://[::1]/p"), ("[::1]", "https://[::1]/p")):
            with self.subTest(host=host):
                c = self.client(plain)
                c.send(request("GET", "/p", host=host))
                r = c.read_response(timeout=5)
                self.assertEqual((r.status, r.header("location")), (301, location), self.diag(r))
        with self.subTest(case="absolute-form target"):  # its authority wins over Host (RFC 9112 §3.2.2)
            c = self.client(plain)
            c.send(b"GET http://other.test:81/abs?x HTTP/1.1\r\nHost: a.test\r\n\r\n")
            r = c.read_response(timeout=5)
            self.assertEqual((r.status, r.header("location")), (301, "https://other.test/abs?x"), self.diag(r))
        for raw in (b"GET /p HTTP/1.0\r\n\r\n", b"GET /p HTTP/1.1\r\nHost: evil.test/x\r\n\r\n"):
            with self.subTest(request=raw):  # nowhere to send it: 400, not "https:///p"
                c = self.client(plain)
                c.send(raw)
                r = c.read_response(timeout=5)
                self.assertStatus(r, 400)
        self.assertEqual(self.a1.requests, 0, self.diag("the origin must not see redirected requests",
                                                      self.a1.snapshot()))

    def test_redirect_https_names_the_configured_https_port(self):
        # Issue 16: `redirect_https: PORT` keeps the https port instead of dropping it.
        plain = free_port()
        self.start_tls(extra_listeners=[{"address": "127.0.0.1:%d" % plain,
                                         "redirect_https": 8443}])
        for host in ("a.test:%d" % plain, "a.test"):
            c = self.client(plain)
            c.send(request("GET", "/p?q", host=host))
            r = c.read_response(timeout=5)
            self.assertEqual((r.status, r.header("location")), (301, "https://a.test:8443/p?q"),
                             self.diag(r))

    def test_h2c_listener_takes_prior_knowledge_and_http1(self):
        h2c = free_port()
        self.start_tls(extra_listeners=[{"address": "127.0.0.1:%d" % h2c, "h2c": True}])
        r = curl(h2c, "/echo", http="--http2-prior-knowledge")
        self.assertCurl(r, 200)
        self.assertEqual(r.http_version, "2", self.diag(r))
        self.assertEqual(echo_values(r, "x-forwarded-proto"), ["http"], self.diag(r))
        r = self.client(h2c).get("/hello", host="a.test")
        self.assertEqual((r.status, r.body), (200, b"hello"), self.diag(r))
        r = curl(h2c, "/hello", http="--http1.1", scheme="http")
        self.assertCurl(r, 200)
        self.assertEqual(r.http_version, "1.1", self.diag(r))

    # -- hostile handshakes -------------------------------------------------------------------
    def test_garbage_handshakes_do_not_hurt(self):
        gh = self.start_tls()
        inputs = [os.urandom(517), b"\x16\x03\x01\xff\xff" + os.urandom(300),  # record > 16 KiB
                  b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", b"\x16\x03\x01\x00\x40" + b"\x01" * 20,
                  b"\x00" * 4096]
        for i, data in enumerate(inputs):
            with self.subTest(input=i):
                c = self.client(gh)
                try:
                    c.send(data)
                except OSError:
                    pass  # already reset: fine
                if i == 3:
                    c.sock.shutdown(socket.SHUT_WR)  # half a ClientHello, then EOF
                closed = c.is_closed(timeout=12)
                self.assertTrue(closed, self.diag("connection %d not closed after garbage; got %r"
                                                  % (i, c.pending()[:100])))
                self.assertTrue(gh.is_running(), self.diag("gatehouse died after garbage %d" % i))
        self.assertCurl(curl(self.tls_port, "/hello", cafile=self.pki.ca, http="--http2"), 200)
        self.assertCurl(curl(self.tls_port, "/hello", cafile=self.pki.ca), 200)

    def test_a_silent_client_after_the_handshake_is_closed(self):
        """Handshake done, then nothing: both HTTP/1.1 and h2 (no preface, no stream yet) wait
        client_header for a first request, not client_idle."""
        self.start_tls(timeouts={"client_header": "1s", "client_idle": "2s"})
        for alpn in (["http/1.1"], ["h2"]):
            with self.subTest(alpn=alpn):
                c = tls_client(self.tls_port, "a.test", self.pki.ca, alpn=alpn)
                self.addCleanup(c.close)
                started = time.monotonic()
                self.assertTrue(c.is_closed(timeout=6),
                                self.diag("%s: a silent TLS client still connected after 6 s" % alpn))
                elapsed = time.monotonic() - started
                self.assertLess(elapsed, 1.9, self.diag("%s: closed after %.1fs, not client_header" %
                                                        (alpn, elapsed)))

    def test_a_client_that_stalls_mid_handshake_does_not_block_others(self):
        gh = self.start_tls(workers=1, timeouts={"client_header": "2s"})
        stalled = [self.client(gh) for _ in range(20)]
        for c in stalled:
            c.send(b"\x16\x03\x01\x02\x00\x01")  # a ClientHello that never finishes
        started = time.monotonic()
        r = curl(self.tls_port, "/hello", cafile=self.pki.ca, timeout=10)
        self.assertCurl(r, 200)
        self.assertLess(time.monotonic() - started, 2.0, self.diag("a handshake waited on stalled ones"))
        # The stalled ones are dropped in bounded time (the handshake counts as the header wait).
        self.assertTrue(stalled[0].is_closed(timeout=15), self.diag("stalled handshake never timed out"))


class TlsConfigCheckTest(TlsCase):
    """`gatehouse check` (and run) on TLS listeners whose files are wrong."""

    def config_text(self, cert, key, extra_tls=None):
        tls = {"certificates": [{"cert": cert, "key": key}]}
        tls.update(extra_tls or {})
        cfg = base_config([("a1", "127.0.0.1:8081")], port=free_port(),
                          listeners=[{"address": "127.0.0.1:%d" % free_port(), "tls": tls}])
        return to_yaml(cfg)

    def assertNamesFile(self, text, path, expect_key, out):
        m = FILE_LINE_COL.search(out)
        self.assertTrue(m, "no FILE:LINE:COL: in:\n%s" % out)
        lines = text.splitlines()
        line = int(m.group("line"))
        self.assertIn(expect_key + ":", lines[line - 1] if 0 < line <= len(lines) else "",
                      "message points at line %d, not the `%s:` line:\n%s\n--- config:\n%s"
                      % (line, expect_key, out, text))
        self.assertGreaterEqual(int(m.group("col")), 1, out)
        self.assertIn(path, out, "the file is not named:\n%s" % out)

    def test_good_tls_config_passes(self):
        text = self.config_text(self.pki.a.cert, self.pki.a.key, {"min_version": "TLSv1.3"})
        rc, out = run_check(text)
        self.assertEqual(rc, 0, out + "\n" + text)

    def test_mismatched_key_is_an_error_naming_the_key_file(self):
        text = self.config_text(self.pki.a.cert, self.pki.mismatched_key)
        rc, out = run_check(text)
        self.assertEqual(rc, 1, out + "\n" + text)
        self.assertIn(self.pki.mismatched_key, out)
        # `run` refuses the same config with the same words.
        path = write_config(text)
        rc, out2 = run_gatehouse(["run", "-c", path], timeout=10)
        self.assertNotEqual(rc, 0, out2)
        self.assertIn(self.pki.mismatched_key, out2)

    def test_key_of_the_other_chain_is_an_error(self):
        text = self.config_text(self.pki.b.cert, self.pki.a.key)  # RSA cert, ECDSA key
        rc, out = run_check(text)
        self.assertEqual(rc, 1, out + "\n" + text)
        self.assertIn(self.pki.a.key, out)

    def test_unreadable_cert_names_the_file_with_line_and_col(self):
        missing = os.path.join(self.pki.dir, "does-not-exist.pem")
        text = self.config_text(missing, self.pki.a.key)
        rc, out = run_check(text)
        self.assertEqual(rc, 1, out)
        self.assertNamesFile(text, missing, "cert", out)

    def test_unreadable_key_names_the_file_with_line_and_col(self):
        missing = os.path.join(self.pki.dir, "does-not-exist.key")
        text = self.config_text(self.pki.a.cert, missing)
        rc, out = run_check(text)
        self.assertEqual(rc, 1, out)
        self.assertNamesFile(text, missing, "key", out)

    def test_a_file_that_is_not_a_certificate_names_the_file(self):
        bad = os.path.join(tempfile.mkdtemp(prefix="gatehouse-badcert-"), "garbage.pem")
        with open(bad, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n")
        text = self.config_text(bad, self.pki.a.key)
        rc, out = run_check(text)
        self.assertEqual(rc, 1, out)
        self.assertIn(bad, out)

    def test_certificate_content_errors_point_at_the_line_too(self):
        """INTERFACE.md: check prints FILE:LINE:COL: key: why for every error, so a key that does
        not match its certificate points at that `key:` line like an unreadable file does."""
        text = self.config_text(self.pki.a.cert, self.pki.mismatched_key)
        rc, out = run_check(text)
        self.assertEqual(rc, 1, out)
        self.assertNamesFile(text, self.pki.mismatched_key, "key", out)


if __name__ == "__main__":
    unittest.main()
