"""The cache's RFC rules end to end (issue 15) against the real binary and a scripted origin: a 304
updates what this request and the next hit serve (RFC 9111 §4.3.4), CDN-Cache-Control governs
this cache and is removed (RFC 9213), a response stale on arrival is revalidated, not served
(§4.2.3, §4.2.4), and 103 Early Hints reach HTTP/1.1 and HTTP/2 clients (curl, nghttp) before
the final response, without being stored (RFC 8297, RFC 9110 §15.2).

The unit tables (tests/unit/cache/*_rfc9111_test.cc, targeted_cache_control_test.cc) hold each
rule; these check that the binary wires them up."""

import subprocess
import threading
import time

from admin_support import AdminCase
from gatehouse_process import free_port
from raw_client import request
from tls_material import missing_tools, run_tool

CACHE = {"memory": "8MiB", "max_object": "1MiB", "coalesce_timeout": "5s"}
HINT = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"


class CacheRfcTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.o = self.origin("a1")
        self.counts = {}
        self.lock = threading.Lock()

    def count(self, path):
        with self.lock:
            return self.counts.get(path, 0)

    def route(self, path, answers):
        """answers(ctx, n): the n-th answer (1-based) for path."""
        def handler(ctx):
            with self.lock:
                self.counts[path] = self.counts.get(path, 0) + 1
                n = self.counts[path]
            answers(ctx, n)
        self.o.add_route(path, handler)

    def start(self, h2c=False, cache=None):
        listeners = [{"address": "127.0.0.1:%d" % free_port()}]
        if h2c:
            self.h2c_port = free_port()
            listeners.append({"address": "127.0.0.1:%d" % self.h2c_port, "h2c": True})
        gh, self.admin = self.start_with_admin(
            [self.o], cache=dict(CACHE, **(cache or {})), listeners=listeners,
            routes=[{"host": "*", "path_prefix": "/", "backend": "app", "cache": True}])
        return gh

    def get(self, gh, path, headers=()):
        c = self.client(gh)
        c.send(request("GET", path, list(headers)))
        return c.read_response(skip_informational=True)

    # -- RFC 9111 §4.3.4: a 304 updates the stored head -----------------------------------------
    def test_a_304_updates_what_this_request_and_the_next_hit_serve(self):
        def answers(ctx, n):
            if n == 1:
                # Stored already stale (Age past max-age), with a validator: the next request
                # revalidates, and is not served the stale head (no stale-while-revalidate).
                ctx.respond(200, b"body", headers=[("Cache-Control", "max-age=1"), ("Age", "2"),
                                                   ("ETag", '"v1"'), ("X-Version", "a")])
            else:
                self.assertEqual(ctx.request.header("if-none-match"), '"v1"')
                ctx.respond(304, headers=[("ETag", '"v1"'), ("Cache-Control", "max-age=60"),
                                          ("X-Version", "b")])
        self.route("/u", answers)
        gh = self.start()
        self.assertEqual(self.get(gh, "/u").header("x-version"), "a")
        r = self.get(gh, "/u")
        self.assertEqual((r.status, r.body, r.header("x-version")), (200, b"body", "b"),
                         self.diag(repr(r)))
        self.assertEqual(r.header("cache-control"), "max-age=60")
        hit = self.get(gh, "/u")
        self.assertEqual((hit.header("x-version"), self.count("/u")), ("b", 2), self.diag(repr(hit)))
        self.assertIn("hit", hit.header("cache-status"))

    # -- RFC 9111 §4.3.5: a HEAD's answer freshens (or invalidates) the stored GET response ---
    def test_a_head_answer_updates_the_stale_stored_response_or_drops_it(self):
        def answers(path, changed_etag):
            def handler(ctx, n):
                if ctx.request.method == "GET":
                    # Stored already stale, with a validator.
                    ctx.respond(200, b"body", headers=[("Cache-Control", "max-age=1"), ("Age", "2"),
                                                       ("ETag", '"v1"'), ("X-Version", "a")])
                    return
                etag = '"v2"' if changed_etag else '"v1"'
                ctx.send_head(200, [("ETag", etag), ("Cache-Control", "max-age=60"),
                                    ("X-Version", "b"), ("Content-Length", "4")])
            self.route(path, handler)
        answers("/h-same", False)
        answers("/h-changed", True)
        gh = self.start()
        for path in ("/h-same", "/h-changed"):
            self.get(gh, path)
            c = self.client(gh)
            c.send(request("HEAD", path, []))
            head = c.read_response(head_request=True)
            self.assertEqual(head.status, 200, self.diag(repr(head)))
        hit = self.get(gh, "/h-same")
        self.assertEqual((hit.body, hit.header("x-version"), self.count("/h-same")),
                         (b"body", "b", 2), self.diag(repr(hit)))
        self.assertIn("hit", hit.header("cache-status"))
        again = self.get(gh, "/h-changed")
        self.assertEqual(self.count("/h-changed"), 3,
                         self.diag("another ETag on HEAD drops the stored GET response: %r" % again))

    # -- RFC 9111 §4.2.3/§4.2.4: stale on arrival, and no stale-while-revalidate by default -----
    def test_a_response_stale_on_arrival_is_revalidated_not_served(self):
        self.route("/old", lambda ctx, n: ctx.respond(
            200, b"old #%d" % n, headers=[("Cache-Control", "max-age=3600"), ("Age", "4000"),
                                          ("ETag", '"o%d"' % n)]))
        gh = self.start()
        self.get(gh, "/old")
        r = self.get(gh, "/old")
        self.assertEqual((r.body, self.count("/old")), (b"old #2", 2), self.diag(repr(r)))

    # -- RFC 9213: CDN-Cache-Control ----------------------------------------------------------
    def test_cdn_cache_control_governs_this_cache_and_is_removed(self):
        self.route("/cdn", lambda ctx, n: ctx.respond(
            200, b"cdn #%d" % n, headers=[("Cache-Control", "no-store"),
                                          ("CDN-Cache-Control", "max-age=60")]))
        self.route("/bad", lambda ctx, n: ctx.respond(
            200, b"bad #%d" % n, headers=[("Cache-Control", "no-store"),
                                          ("CDN-Cache-Control", "max-age=60, &&&")]))
        gh = self.start()
        first = self.get(gh, "/cdn")
        self.assertIsNone(first.header("cdn-cache-control"), self.diag(repr(first)))
        self.assertEqual(first.header("cache-control"), "no-store")
        again = self.get(gh, "/cdn")
        self.assertEqual((again.body, self.count("/cdn")), (b"cdn #1", 1), self.diag(repr(again)))
        self.get(gh, "/bad")
        self.get(gh, "/bad")
        self.assertEqual(self.count("/bad"), 2, "an invalid CDN-Cache-Control is ignored whole")

    # -- RFC 8297: 103 Early Hints ------------------------------------------------------------
    def early_hints_route(self, path, release=None):
        """The origin sends a 103, then (after `release` is set, when given) the page."""
        def answers(ctx, n):
            ctx.send(HINT)
            if release is not None:
                release.wait(10)
            ctx.respond(200, b"page #%d" % n, headers=[("Cache-Control", "max-age=60")])
        self.route(path, answers)

    def test_a_103_reaches_an_http1_client_before_the_final_response_and_is_not_stored(self):
        release = threading.Event()
        self.addCleanup(release.set)
        self.early_hints_route("/page", release)
        gh = self.start()
        c = self.client(gh)
        c.send(request("GET", "/page", []))
        hint = c.read_response()  # the origin holds the page until the hint was read here
        self.assertEqual((hint.status, hint.header("link")),
                         (103, "</style.css>; rel=preload; as=style"), self.diag(repr(hint)))
        release.set()
        page = c.read_response()
        self.assertEqual((page.status, page.body), (200, b"page #1"), self.diag(repr(page)))

        hit = self.client(gh)
        hit.send(request("GET", "/page", []))
        r = hit.read_response()
        self.assertEqual((r.status, r.body, self.count("/page")), (200, b"page #1", 1),
                         "the hit is the 200, not a stored 103: %r" % r)

    def test_an_http10_client_gets_no_103(self):
        self.early_hints_route("/page10")
        gh = self.start()
        c = self.client(gh)
        c.send(b"GET /page10 HTTP/1.0\r\nHost: a.test\r\n\r\n")
        r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b"page #1"), self.diag(repr(r)))

    def test_a_103_reaches_curl_and_nghttp_over_http2_before_the_final_response(self):
        missing = missing_tools("curl", "nghttp")
        if missing:
            self.skipTest("missing: %s" % ", ".join(missing))
        release = threading.Event()
        self.addCleanup(release.set)
        self.early_hints_route("/h2", release)
        self.early_hints_route("/h2-nghttp")
        self.start(h2c=True)

        # curl: the origin holds the page until curl has printed the 103.
        proc = subprocess.Popen(["curl", "-sS", "-v", "--http2-prior-knowledge", "--max-time", "20",
                                 "http://127.0.0.1:%d/h2" % self.h2c_port],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(proc.kill)
        seen, deadline = [], time.monotonic() + 15
        while time.monotonic() < deadline:
            line = proc.stderr.readline().decode("latin-1")
            if not line:
                break
            seen.append(line)
            if line.startswith("< HTTP/2 103"):
                break
        self.assertTrue(seen and seen[-1].startswith("< HTTP/2 103"),
                        self.diag("curl saw no 103 first:\n%s" % "".join(seen)))
        release.set()
        out, err = proc.communicate(timeout=20)
        self.assertEqual(out, b"page #1", self.diag(err.decode("latin-1")))
        self.assertIn("< HTTP/2 200", err.decode("latin-1"))

        # nghttp: the HEADERS frames in the order they came.
        rc, out, err = run_tool(["nghttp", "-v", "--timeout=10",
                                 "http://127.0.0.1:%d/h2-nghttp" % self.h2c_port], timeout=30)
        self.assertEqual(rc, 0, self.diag(out + err))
        hint, final = out.find(":status: 103"), out.find(":status: 200")
        self.assertTrue(0 <= hint < final, self.diag("nghttp output:\n%s" % out))
        self.assertIn("link: </style.css>; rel=preload; as=style", out)

    # -- cache.replay_early_hints: a hit replays the 103 the fill saw ---------------------------
    def test_a_hit_replays_the_103_the_fill_saw_over_http1_and_http2(self):
        self.early_hints_route("/replayed")
        gh = self.start(h2c=True, cache={"replay_early_hints": True})
        fill = self.client(gh)
        fill.send(request("GET", "/replayed", []))
        self.assertEqual(fill.read_response().status, 103)
        self.assertEqual(fill.read_response().body, b"page #1")

        hit = self.client(gh)
        hit.send(request("GET", "/replayed", []))
        hint = hit.read_response()
        self.assertEqual((hint.status, hint.header("link")),
                         (103, "</style.css>; rel=preload; as=style"), self.diag(repr(hint)))
        page = hit.read_response()
        self.assertEqual((page.status, page.body), (200, b"page #1"), self.diag(repr(page)))
        self.assertIn("hit", page.header("cache-status"))

        missing = missing_tools("curl", "nghttp")
        if missing:
            self.skipTest("missing: %s" % ", ".join(missing))
        # The key has the authority (127.0.0.1:port here, not the raw client's Host): one fill
        # for it first, then hits.
        url = "http://127.0.0.1:%d/replayed" % self.h2c_port
        curl = ["curl", "-sS", "-v", "--http2-prior-knowledge", "--max-time", "10", url]
        subprocess.run(curl, capture_output=True, timeout=20)
        proc = subprocess.run(curl, capture_output=True, timeout=20)
        err = proc.stderr.decode("latin-1")
        hint_at, final_at = err.find("< HTTP/2 103"), err.find("< HTTP/2 200")
        self.assertTrue(0 <= hint_at < final_at, self.diag("curl:\n%s" % err))
        self.assertEqual(proc.stdout, b"page #2")
        self.assertIn("hit", err)
        rc, out, err = run_tool(["nghttp", "-v", "--timeout=10", url], timeout=30)
        self.assertEqual(rc, 0, self.diag(out + err))
        hint_at, final_at = out.find(":status: 103"), out.find(":status: 200")
        self.assertTrue(0 <= hint_at < final_at, self.diag("nghttp output:\n%s" % out))
        self.assertIn("link: </style.css>; rel=preload; as=style", out)
        self.assertEqual(self.count("/replayed"), 2, "one fill per authority, then hits")
