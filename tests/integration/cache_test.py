"""The cache (issue 4) against the real binary and a test origin that counts requests: hits,
coalescing, what must never be shared, Vary, conditional and range requests from memory, grace,
purge and ban, invalidation by unsafe methods, and the memory bound."""

import json
import os
import shutil
import subprocess
import threading
import time
import unittest

from admin_support import AdminCase, parse_prometheus
from gatehouse_process import free_port, gatehouse_bin
from tls_material import curl, missing_tools, test_pki, tls_listener
from raw_client import request

CACHE = {"memory": "8MiB", "max_object": "1MiB", "grace": "1h", "coalesce_timeout": "5s",
         "anonymous_ignore_cookies": ["_ga"]}


def cached_routes(**route):
    r = {"host": "*", "path_prefix": "/", "backend": "app", "cache": True}
    r.update(route)
    return [r]


class CountingOrigin:
    """Routes on a TestOrigin whose answers say how often they were asked."""

    def __init__(self, origin):
        self.origin = origin
        self.counts = {}
        self.lock = threading.Lock()
        self.down = set()  # paths answering 503 for now

    def hit(self, path):
        with self.lock:
            self.counts[path] = self.counts.get(path, 0) + 1
            return self.counts[path]

    def count(self, path):
        with self.lock:
            return self.counts.get(path, 0)

    def route(self, path, headers=(), status=200, body=None, delay=0.0, per_request=None):
        def handler(ctx):
            n = self.hit(path)
            if delay:
                time.sleep(delay)
            if path in self.down:
                ctx.respond(503, b"down")
                return
            hdrs = list(headers)
            if per_request:
                hdrs += per_request(ctx, n)
            b = body if body is not None else ("%s #%d" % (path, n)).encode()
            ctx.respond(status, b, headers=hdrs)
        self.origin.add_route(path, handler)


class CacheTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.o = self.origin("a1")
        self.co = CountingOrigin(self.o)

    def start_cache(self, cache=None, routes=None, **kw):
        gh, admin = self.start_with_admin([self.o], cache=cache or CACHE,
                                          routes=routes or cached_routes(), **kw)
        self.admin = admin
        return gh

    def get(self, gh, path, headers=(), method="GET"):
        c = self.client(gh)
        if any(k.lower() == "host" for k, _ in headers):
            host = [v for k, v in headers if k.lower() == "host"][0]
            c.send(request(method, path, [h for h in headers if h[0].lower() != "host"], host=host))
            return c.read_response(head_request=(method == "HEAD"))
        c.send(request(method, path, headers))
        return c.read_response(head_request=(method == "HEAD"))

    def metrics(self):
        return parse_prometheus(self.admin.get("/metrics").text)

    # -- hits -----------------------------------------------------------------------------
    def test_a_hit_does_not_reach_the_origin(self):
        self.co.route("/page", [("Cache-Control", "max-age=60")])
        gh = self.start_cache()
        first = self.get(gh, "/page")
        self.assertStatus(first, 200)
        self.assertIn("fwd=uri-miss", first.header("cache-status"), self.diag(first))
        self.assertIn("stored", first.header("cache-status"))
        second = self.get(gh, "/page")
        self.assertStatus(second, 200)
        self.assertEqual(second.body, b"/page #1")
        self.assertIn("; hit", second.header("cache-status"), self.diag(second))
        self.assertIsNotNone(second.header("age"))
        self.assertEqual(self.co.count("/page"), 1)
        m = self.metrics()
        self.assertEqual(m["gatehouse_cache_requests_total"].value(result="hit"), 1)
        self.assertEqual(m["gatehouse_cache_stored_total"].value(), 1)

    def test_head_is_answered_from_a_stored_get(self):
        self.co.route("/h", [("Cache-Control", "max-age=60")])
        gh = self.start_cache()
        self.assertStatus(self.get(gh, "/h"), 200)
        r = self.get(gh, "/h", method="HEAD")
        self.assertStatus(r, 200)
        self.assertEqual(r.header("content-length"), str(len(b"/h #1")))
        self.assertEqual(r.body, b"")
        self.assertEqual(self.co.count("/h"), 1)

    def test_query_strings_are_separate_objects(self):
        self.co.route("/q", [("Cache-Control", "max-age=60")])
        gh = self.start_cache()
        self.assertEqual(self.get(gh, "/q?a=1").body, b"/q #1")
        self.assertEqual(self.get(gh, "/q?a=2").body, b"/q #2")
        self.assertEqual(self.get(gh, "/q?a=1").body, b"/q #1")

    def test_routes_without_cache_are_not_cached(self):
        self.co.route("/nc", [("Cache-Control", "max-age=60")])
        gh = self.start_cache(routes=[{"host": "*", "path_prefix": "/", "backend": "app"}])
        self.get(gh, "/nc")
        self.get(gh, "/nc")
        self.assertEqual(self.co.count("/nc"), 2)

    # -- coalescing -------------------------------------------------------------------------
    def test_concurrent_misses_reach_the_origin_once(self):
        self.co.route("/slow", [("Cache-Control", "max-age=60")], delay=0.5)
        gh = self.start_cache()
        fns = [lambda: self.get(gh, "/slow") for _ in range(100)]
        threads, results, errors = self.run_threads(fns)
        self.join_threads(threads, 30)
        self.assertEqual([e for e in errors if e], [])
        self.assertEqual({r.status for r in results}, {200})
        self.assertEqual({r.body for r in results}, {b"/slow #1"})
        self.assertEqual(self.co.count("/slow"), 1, self.diag())
        self.assertGreater(self.metrics()["gatehouse_cache_coalesced_total"].value(), 0)

    def test_waiters_fetch_alone_when_the_response_is_not_storable(self):
        self.co.route("/private", [("Cache-Control", "private")], delay=0.3)
        gh = self.start_cache()
        threads, results, errors = self.run_threads([lambda: self.get(gh, "/private")] * 5)
        self.join_threads(threads, 30)
        self.assertEqual({r.status for r in results}, {200})
        # Each client got its own answer: nothing private was shared.
        self.assertEqual(len({r.body for r in results}), 5)
        self.assertEqual(self.co.count("/private"), 5)

    # -- never shared -----------------------------------------------------------------------
    def test_set_cookie_responses_are_never_served_to_another_client(self):
        self.co.route("/login", [("Cache-Control", "max-age=60")],
                      per_request=lambda ctx, n: [("Set-Cookie", "session=s%d" % n)])
        gh = self.start_cache()
        a = self.get(gh, "/login")
        b = self.get(gh, "/login")
        self.assertEqual(a.header("set-cookie"), "session=s1")
        self.assertEqual(b.header("set-cookie"), "session=s2")
        self.assertEqual(self.co.count("/login"), 2)

    def test_a_route_may_strip_set_cookie_to_cache(self):
        self.co.route("/tracked", [("Cache-Control", "max-age=60"), ("Set-Cookie", "t=1")])
        gh = self.start_cache(routes=cached_routes(strip_set_cookie=True))
        a = self.get(gh, "/tracked")
        b = self.get(gh, "/tracked")
        self.assertIsNone(a.header("set-cookie"))
        self.assertIsNone(b.header("set-cookie"))
        self.assertEqual(self.co.count("/tracked"), 1)

    def test_requests_with_authorization_or_cookies_bypass_the_cache(self):
        self.co.route("/me", [("Cache-Control", "max-age=60")])
        gh = self.start_cache()
        r1 = self.get(gh, "/me", [("Authorization", "Bearer alice")])
        r2 = self.get(gh, "/me", [("Cookie", "session=bob")])
        r3 = self.get(gh, "/me")
        r4 = self.get(gh, "/me")
        self.assertEqual([r.body for r in (r1, r2, r3, r4)],
                         [b"/me #1", b"/me #2", b"/me #3", b"/me #3"])
        self.assertIn("fwd=bypass", r1.header("cache-status"))

    def test_ignored_cookies_keep_a_request_anonymous_and_never_reach_the_origin(self):
        self.co.route("/anon", [("Cache-Control", "max-age=60")])
        gh = self.start_cache()
        r1 = self.get(gh, "/anon", [("Cookie", "_ga=GA1.2.3")])
        r2 = self.get(gh, "/anon", [("Cookie", "_ga=GA9.9.9")])
        self.assertEqual((r1.body, r2.body), (b"/anon #1", b"/anon #1"))
        self.assertIsNone(self.o.last_request.header("cookie"))

    def test_private_and_no_store_are_never_stored(self):
        self.co.route("/p", [("Cache-Control", "private, max-age=60")])
        self.co.route("/ns", [("Cache-Control", "no-store")])
        gh = self.start_cache()
        for _ in range(2):
            self.get(gh, "/p")
            self.get(gh, "/ns")
        self.assertEqual((self.co.count("/p"), self.co.count("/ns")), (2, 2))

    def test_responses_without_freshness_or_validators_are_not_stored(self):
        self.co.route("/plain", [])
        gh = self.start_cache()
        self.get(gh, "/plain")
        self.get(gh, "/plain")
        self.assertEqual(self.co.count("/plain"), 2)

    def test_forced_ttl_caches_what_the_origin_did_not_mark(self):
        self.co.route("/plain", [])
        gh = self.start_cache(routes=cached_routes(cache_ttl="30s"))
        self.get(gh, "/plain")
        self.assertEqual(self.get(gh, "/plain").body, b"/plain #1")
        self.assertEqual(self.co.count("/plain"), 1)

    # -- variants ---------------------------------------------------------------------------
    def test_vary_variants_are_kept_apart(self):
        self.co.route("/v", [("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")],
                      per_request=lambda ctx, n: [("Content-Language",
                                                   ctx.request.header("accept-language", "-"))])
        gh = self.start_cache()
        en = self.get(gh, "/v", [("Accept-Language", "en")])
        fr = self.get(gh, "/v", [("Accept-Language", "fr")])
        en2 = self.get(gh, "/v", [("Accept-Language", "en")])
        fr2 = self.get(gh, "/v", [("Accept-Language", "fr")])
        self.assertEqual([r.header("content-language") for r in (en, fr, en2, fr2)],
                         ["en", "fr", "en", "fr"])
        self.assertEqual((en2.body, fr2.body), (en.body, fr.body))
        self.assertEqual(self.co.count("/v"), 2)

    def test_accept_encoding_variants_are_normalised(self):
        self.co.route("/ae", [("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding")],
                      per_request=lambda ctx, n: [("X-Seen-AE",
                                                   ctx.request.header("accept-encoding", "none"))])
        gh = self.start_cache()
        spellings = ["gzip, deflate", "deflate, gzip;q=0.8", "gzip", "br, gzip", "gzip, br;q=1"]
        results = [self.get(gh, "/ae", [("Accept-Encoding", s)]) for s in spellings]
        self.assertEqual([r.header("x-seen-ae") for r in results],
                         ["gzip", "gzip", "gzip", "br", "br"])
        self.assertEqual(self.co.count("/ae"), 2)

    def test_vary_star_is_not_stored(self):
        self.co.route("/star", [("Cache-Control", "max-age=60"), ("Vary", "*")])
        gh = self.start_cache()
        self.get(gh, "/star")
        self.get(gh, "/star")
        self.assertEqual(self.co.count("/star"), 2)

    # -- conditional and range requests from memory -----------------------------------------
    def test_conditional_requests_are_answered_304_from_the_cache(self):
        self.co.route("/etag", [("Cache-Control", "max-age=60"), ("ETag", '"v1"'),
                                ("Last-Modified", "Tue, 01 Jan 2030 00:00:00 GMT")])
        gh = self.start_cache()
        self.get(gh, "/etag")
        inm = self.get(gh, "/etag", [("If-None-Match", 'W/"v1"')])
        ims = self.get(gh, "/etag", [("If-Modified-Since", "Wed, 02 Jan 2030 00:00:00 GMT")])
        other = self.get(gh, "/etag", [("If-None-Match", '"v0"')])
        self.assertEqual((inm.status, ims.status, other.status), (304, 304, 200))
        self.assertEqual(inm.header("etag"), '"v1"')
        self.assertEqual(self.co.count("/etag"), 1)

    def test_ranges_are_answered_206_from_the_cache(self):
        body = bytes(range(256)) * 4
        self.co.route("/r", [("Cache-Control", "max-age=60"), ("ETag", '"r1"')], body=body)
        gh = self.start_cache()
        self.get(gh, "/r")
        first = self.get(gh, "/r", [("Range", "bytes=0-9")])
        suffix = self.get(gh, "/r", [("Range", "bytes=-6")])
        bad = self.get(gh, "/r", [("Range", "bytes=5000-")])
        stale_if_range = self.get(gh, "/r", [("Range", "bytes=0-9"), ("If-Range", '"old"')])
        self.assertEqual((first.status, first.body), (206, body[:10]))
        self.assertEqual(first.header("content-range"), "bytes 0-9/1024")
        self.assertEqual((suffix.status, suffix.body), (206, body[-6:]))
        self.assertEqual((bad.status, bad.header("content-range")), (416, "bytes */1024"))
        self.assertEqual((stale_if_range.status, len(stale_if_range.body)), (200, 1024))
        self.assertEqual(self.co.count("/r"), 1)

    def test_issue13_a_cached_object_answers_ranges_like_a_static_file(self):
        # Issue 13: the cache and static files each had a Range parser, and they disagreed on
        # these fields. The same 100 bytes, cached and static, now get the same answers.
        body = bytes(range(100))
        root = os.path.join(self.tmp, "static-root")
        os.makedirs(root)
        with open(os.path.join(root, "hundred.bin"), "wb") as f:
            f.write(body)
        self.co.route("/hundred.bin", [("Cache-Control", "max-age=60"),
                                       ("Content-Type", "application/octet-stream")], body=body)
        gh = self.start_cache(static=[{"prefix": "/static/", "root": root}])
        self.get(gh, "/hundred.bin")
        cases = [("BYTES = 5-5", (200, None, body)),  # no whitespace around "=": ignored
                 ("BYTES=5-5", (206, "bytes 5-5/100", body[5:6])),  # the unit in any case
                 ("bytes=0-9,20000-", (206, "bytes 0-9/100", body[:10]))]  # one satisfiable
        for spec, want in cases:
            cached = self.get(gh, "/hundred.bin", [("Range", spec)])
            static = self.get(gh, "/static/hundred.bin", [("Range", spec)])
            for r in (cached, static):
                self.assertEqual((r.status, r.header("content-range"), r.body), want, spec)
        self.assertEqual(self.co.count("/hundred.bin"), 1)

    def test_stale_objects_are_revalidated_and_a_304_refreshes_them(self):
        def validators(ctx, n):
            if ctx.request.header("if-none-match") == '"same"':
                return []
            return []
        hits = []

        def handler(ctx):
            hits.append(ctx.request.header("if-none-match"))
            if ctx.request.header("if-none-match") == '"same"':
                ctx.respond(304, b"", headers=[("ETag", '"same"'), ("Cache-Control", "max-age=60")])
            else:
                ctx.respond(200, b"body", headers=[("ETag", '"same"'), ("Cache-Control", "no-cache")])
        self.o.add_route("/reval", handler)
        gh = self.start_cache()
        a = self.get(gh, "/reval")
        b = self.get(gh, "/reval")
        c = self.get(gh, "/reval")
        self.assertEqual([r.status for r in (a, b, c)], [200, 200, 200])
        self.assertEqual([r.body for r in (a, b, c)], [b"body"] * 3)
        self.assertIn("fwd-status=304", b.header("cache-status"), self.diag(b))
        self.assertEqual(hits, [None, '"same"'])  # the third was fresh after the 304

    # -- grace ------------------------------------------------------------------------------
    # The first answer arrives as old as its max-age (Age, as from a cache upstream), so it is
    # stored stale and within grace at once: nothing waits for wall-clock expiry. The unit
    # tests (tests/unit/proxy/pipeline/background_refresh_test.cc) walk the same on a FakeClock.
    def stale_on_arrival(self, path):
        self.co.route(path, [("Cache-Control", "max-age=60")],
                      per_request=lambda ctx, n: [("Age", "60")] if n == 1 else [])

    def test_grace_serves_stale_while_the_origin_is_down_then_refreshes(self):
        self.stale_on_arrival("/g")
        gh = self.start_cache()
        self.assertEqual(self.get(gh, "/g").body, b"/g #1")
        self.co.down.add("/g")
        stale = self.get(gh, "/g")
        self.assertStatus(stale, 200)
        self.assertEqual(stale.body, b"/g #1")
        self.assertIn("stale-while-revalidate", stale.header("cache-status"), self.diag(stale))
        self.wait_for(lambda: self.co.count("/g") >= 2)  # the background refresh failed...
        self.wait_for(lambda: "stale-if-error" in self.get(gh, "/g").header("cache-status"))
        again = self.get(gh, "/g")
        self.assertEqual((again.status, again.body), (200, b"/g #1"))  # ...and stale stays
        self.co.down.discard("/g")
        self.wait_for(lambda: self.get(gh, "/g").body != b"/g #1")
        fresh = self.get(gh, "/g")
        self.assertIn("; hit", fresh.header("cache-status"))
        self.assertNotEqual(fresh.body, b"/g #1")
        m = self.metrics()
        self.assertGreaterEqual(m["gatehouse_cache_requests_total"].value(
            result="stale_while_revalidate"), 1)
        self.assertGreaterEqual(m["gatehouse_cache_refresh_failures_total"].value(), 1)
        self.assertGreaterEqual(m["gatehouse_cache_requests_total"].value(result="stale_if_error"), 1)

    def wait_for(self, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        self.fail(self.diag("condition not met within %.1fs" % timeout))

    def test_stale_is_served_while_no_server_can_take_the_request(self):
        self.stale_on_arrival("/m")
        gh = self.start_cache()
        self.assertEqual(self.get(gh, "/m").body, b"/m #1")
        r = self.admin.request("PUT", "/backends/app/a1", {"state": "maint"})
        self.assertEqual(r.status, 200, r)
        first = self.get(gh, "/m")
        self.assertEqual((first.status, first.body), (200, b"/m #1"), self.diag(first))
        # The refresh found no server: later hits say why they are stale.
        self.wait_for(lambda: "stale-if-error" in self.get(gh, "/m").header("cache-status"))
        self.assertEqual(self.co.count("/m"), 1)
        # A URL never cached gets the pool's 503.
        self.co.route("/never", [("Cache-Control", "max-age=60")])
        self.assertEqual(self.get(gh, "/never").status, 503)

    # -- invalidation -----------------------------------------------------------------------
    def test_purge_takes_effect_at_once(self):
        self.co.route("/purge-me", [("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")])
        gh = self.start_cache()
        self.get(gh, "/purge-me", [("Accept-Language", "en")])
        self.get(gh, "/purge-me", [("Accept-Language", "fr")])
        r = self.admin.post("/cache/purge", {"url": "http://test.local/purge-me"})
        self.assertEqual((r.status, r.json()), (200, {"purged": 2}), r)
        self.get(gh, "/purge-me", [("Accept-Language", "en")])
        self.assertEqual(self.co.count("/purge-me"), 3)

    def test_ban_by_prefix_and_by_tag(self):
        self.co.route("/blog/a", [("Cache-Control", "max-age=60"), ("Surrogate-Key", "post-1 blog")])
        self.co.route("/blog/b", [("Cache-Control", "max-age=60"), ("Cache-Tag", "post-2,blog")])
        self.co.route("/about", [("Cache-Control", "max-age=60"), ("Surrogate-Key", "page")])
        gh = self.start_cache()
        for p in ("/blog/a", "/blog/b", "/about"):
            r = self.get(gh, p)
            self.assertIsNone(r.header("surrogate-key"))
            self.assertIsNone(r.header("cache-tag"))
        r = self.admin.post("/cache/ban", {"tag": "post-2"})
        self.assertEqual(r.json(), {"purged": 1}, r)
        self.get(gh, "/blog/b")
        self.get(gh, "/blog/a")
        self.assertEqual((self.co.count("/blog/a"), self.co.count("/blog/b")), (1, 2))
        r = self.admin.post("/cache/ban", {"prefix": "/blog/"})
        self.assertEqual(r.json(), {"purged": 2}, r)
        for p in ("/blog/a", "/blog/b", "/about"):
            self.get(gh, p)
        self.assertEqual([self.co.count(p) for p in ("/blog/a", "/blog/b", "/about")], [2, 3, 1])

    def ctl(self, *args):
        p = subprocess.run([gatehouse_bin(), "ctl", "--admin", self.admin.url, "--token-file",
                            self.admin.token_file] + list(args), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr

    def test_ctl_purge_ban_and_ban_tag(self):
        self.co.route("/x", [("Cache-Control", "max-age=60"), ("Surrogate-Key", "t1")])
        self.co.route("/news/1", [("Cache-Control", "max-age=60")])
        gh = self.start_cache()
        self.get(gh, "/x")
        self.get(gh, "/news/1")
        self.assertEqual(self.ctl("purge", "http://test.local/x"), (0, "purged 1 objects\n", ""))
        self.assertEqual(self.ctl("ban", "/news/")[:2], (0, "purged 1 objects\n"))
        self.get(gh, "/x")
        code, out, _ = self.ctl("--json", "ban-tag", "t1")
        self.assertEqual((code, json.loads(out)), (0, {"purged": 1}))
        self.assertEqual(self.ctl("purge", "not-a-url")[0], 1)
        self.assertEqual(self.ctl("purge")[0], 2)
        self.assertEqual(self.co.count("/x"), 2)

    def test_bad_invalidation_requests_are_refused(self):
        gh = self.start_cache()
        self.assertEqual(self.admin.post("/cache/purge", {"url": "/relative"}).status, 400)
        self.assertEqual(self.admin.post("/cache/ban", {"prefix": "/a", "tag": "b"}).status, 400)
        self.assertEqual(self.admin.post("/cache/ban", {"prefx": "/a"}).status, 400)
        self.assertEqual(self.admin.post("/cache/purge", {"url": "http://x/"}, token="wrong").status,
                         401)

    def test_a_successful_unsafe_request_invalidates_its_uri_and_location(self):
        self.co.route("/item", [("Cache-Control", "max-age=60")])
        self.co.route("/list", [("Cache-Control", "max-age=60")])
        self.o.add_route("/write", lambda ctx: ctx.respond(
            201, b"ok", headers=[("Location", "/list")]))
        gh = self.start_cache()
        self.get(gh, "/item")
        self.get(gh, "/list")
        c = self.client(gh)
        c.send(request("POST", "/item", [("Content-Type", "text/plain")], b"x"))
        self.assertEqual(c.read_response().status, 200)
        c.send(request("PUT", "/write", [("Content-Type", "text/plain")], b"x"))
        self.assertEqual(c.read_response().status, 201)
        self.get(gh, "/item")
        self.get(gh, "/list")
        # /item: GET, POST (its own route answers any method), GET again; /list: twice.
        self.assertEqual((self.co.count("/item"), self.co.count("/list")), (3, 2))

    # -- read-only mode ---------------------------------------------------------------------
    def test_read_only_mode_caches_every_get_for_at_least_min_ttl(self):
        # Anonymous views only: `private` stays personal even then (issue 14, defect 6; see
        # tests/hostile/cache_poisoning_test.py).
        self.co.route("/account", [("Cache-Control", "no-cache")],
                      per_request=lambda ctx, n: [("Set-Cookie", "session=s%d" % n),
                                                  ("X-Saw-Cookie", ctx.request.header("cookie", "-"))])
        gh = self.start_cache(routes=[{"host": "*", "path_prefix": "/", "backend": "app"}],
                              read_only={"min_ttl": "60s"})
        r = self.admin.request("PUT", "/read-only", {"enabled": True, "reason": "migration"})
        self.assertEqual(r.status, 200, r)
        a = self.get(gh, "/account", [("Cookie", "session=alice")])
        b = self.get(gh, "/account", [("Cookie", "session=bob")])
        self.assertEqual((a.status, b.status), (200, 200))
        self.assertEqual(b.body, a.body)
        self.assertIn("; hit", b.header("cache-status"), self.diag(b))
        self.assertIsNone(a.header("set-cookie"))
        self.assertIsNone(b.header("set-cookie"))
        self.assertEqual(a.header("x-saw-cookie"), "-")
        self.assertEqual(self.co.count("/account"), 1)
        self.assertEqual(self.admin.request("PUT", "/read-only", {"enabled": False}).status, 200)
        c = self.get(gh, "/account", [("Cookie", "session=carol")])
        self.assertEqual(c.header("set-cookie"), "session=s2")
        self.assertEqual(self.co.count("/account"), 2)

    # -- the memory bound -------------------------------------------------------------------
    def test_memory_stays_under_the_bound_while_ten_times_it_is_requested(self):
        size = 64 * 1024
        for i in range(10):
            self.co.route("/big%d" % i, [("Cache-Control", "max-age=600")], body=b"x" * size)
        gh = self.start_cache(cache={"memory": "2MiB", "max_object": "256KiB"})
        # 320 distinct URLs x 64 KiB = 20 MiB through a 2 MiB cache.
        c = self.client(gh)
        for n in range(320):
            c.send(request("GET", "/big%d?n=%d" % (n % 10, n)))
            r = c.read_response()
            self.assertEqual((r.status, len(r.body)), (200, size))
        m = self.metrics()
        used = m["gatehouse_cache_bytes"].value()
        self.assertLessEqual(used, 2 * 1024 * 1024, m["gatehouse_cache_bytes"].samples)
        self.assertGreater(used, 1 * 1024 * 1024)
        self.assertGreater(m["gatehouse_cache_evicted_total"].value(), 250)

    def test_hits_over_http2_are_whole_and_marked(self):
        if not shutil.which("curl"):
            self.skipTest("curl is not installed")
        body = bytes(range(256)) * 1024  # 256 KiB: several DATA frames from one reference
        self.co.route("/h2", [("Cache-Control", "max-age=60")], body=body)
        port = free_port()
        gh = self.start_cache(listeners=[{"address": "127.0.0.1:%d" % port, "h2c": True}])
        outs = []
        for _ in range(3):
            out = subprocess.run(
                ["curl", "-s", "--http2-prior-knowledge", "-D", "-", "-o", "/dev/stdout",
                 "http://127.0.0.1:%d/h2" % port], capture_output=True, timeout=30)
            outs.append(out.stdout)
        for raw in outs:
            head, _, got = raw.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/2 200"), head)
            self.assertEqual(got, body)
        self.assertIn(b"cache-status: gatehouse; hit", outs[2])
        self.assertEqual(self.co.count("/h2"), 1)
        m = self.metrics()
        self.assertEqual(m["gatehouse_http2_streams_total"].value(), 3)
        self.assertEqual(m["gatehouse_http2_sessions_total"].value(), 3)

    def test_tls_and_plaintext_are_separate_and_https_purges_find_tls_entries(self):
        if missing_tools("openssl", "curl"):
            self.skipTest("openssl and curl are needed")
        pki = test_pki()
        self.co.route("/s", [("Cache-Control", "max-age=60")],
                      per_request=lambda ctx, n: [("X-Proto", ctx.request.header("x-forwarded-proto"))])
        tls_port, plain_port = free_port(), free_port()
        gh = self.start_cache(listeners=[tls_listener(tls_port, [pki.a]),
                                         {"address": "127.0.0.1:%d" % plain_port}])
        def via_tls(http):
            return curl(tls_port, "/s", cafile=pki.ca, http=http)
        plain = self.get(plain_port, "/s", [("Host", "a.test")])
        t1, t2 = via_tls("--http1.1"), via_tls("--http2")
        self.assertEqual(plain.header("x-proto"), "http")
        self.assertEqual((t1.status, t2.status), (200, 200), self.diag(t1, t2))
        self.assertEqual([t1.header("x-proto"), t2.header("x-proto")], ["https", "https"])
        self.assertIn("; hit", t2.header("cache-status"))
        self.assertEqual(self.co.count("/s"), 2)
        r = self.admin.post("/cache/purge", {"url": "https://a.test:%d/s" % tls_port})
        self.assertEqual(r.json(), {"purged": 1}, r)
        self.assertEqual(via_tls("--http1.1").body, b"/s #3")
        self.assertEqual(self.get(plain_port, "/s", [("Host", "a.test")]).body, b"/s #1")

    def test_a_304_naming_another_representation_is_not_merged(self):
        def handler(ctx):
            n = self.co.hit("/etag-change")
            if n == 2:  # the revalidation: "not modified", but with another strong ETag
                ctx.respond(304, b"", headers=[("ETag", '"v2"'), ("Cache-Control", "max-age=60")])
            else:
                ctx.respond(200, ("body %d" % n).encode(),
                            headers=[("ETag", '"v%d"' % n), ("Cache-Control", "no-cache")])
        self.o.add_route("/etag-change", handler)
        gh = self.start_cache()
        self.assertEqual(self.get(gh, "/etag-change").body, b"body 1")
        r = self.get(gh, "/etag-change")
        self.assertEqual((r.status, r.body), (200, b"body 3"), self.diag(r))

    def test_if_match_and_upgrade_requests_are_passed(self):
        self.co.route("/pre", [("Cache-Control", "max-age=60")])
        gh = self.start_cache()
        self.get(gh, "/pre")
        r = self.get(gh, "/pre", [("If-Match", '"x"')])
        self.assertIn("fwd=bypass", r.header("cache-status"))
        self.assertEqual(self.co.count("/pre"), 2)

    def test_objects_over_max_object_pass_through(self):
        self.co.route("/huge", [("Cache-Control", "max-age=60")], body=b"y" * (300 * 1024))
        gh = self.start_cache(cache={"memory": "4MiB", "max_object": "256KiB"})
        for _ in range(2):
            r = self.get(gh, "/huge")
            self.assertEqual(len(r.body), 300 * 1024)
        self.assertEqual(self.co.count("/huge"), 2)


if __name__ == "__main__":
    unittest.main()
