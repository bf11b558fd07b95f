"""Issue 14: the cache can be neither poisoned nor emptied by a client. One case per defect, each
of which failed before its fix:
  defect 2  a GET with a body filled the cache with what the origin made of that body;
  defect 4  a route's cache_ttl stored error pages (404, 405, 410, 414, 501) for everyone;
  defect 6  read-only mode stored `private` responses for everyone, and kept what it had
            stored past the origin's freshness after the mode ended;
  defect 7  any client could evict a page with unsafe requests the app answers 2xx;
  Vary      (issue 15 item 6) variants per URL were unbounded, and a 304 could store Vary: *.
The origin is scripted to answer what an attacker would make it answer."""

from admin_support import AdminCase, parse_prometheus
from cache_test import CACHE, CountingOrigin, cached_routes
from raw_client import chunked, request


class CachePoisoningTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.o = self.origin("a1")
        self.co = CountingOrigin(self.o)

    def start_cache(self, cache=None, routes=None, **kw):
        gh, self.admin = self.start_with_admin([self.o], cache=cache or CACHE,
                                               routes=routes or cached_routes(), **kw)
        return gh

    def send(self, gh, method, path, headers=(), body=b""):
        c = self.client(gh)
        c.send(request(method, path, headers, body))
        r = c.read_response(head_request=(method == "HEAD"))
        c.close()
        return r

    def get(self, gh, path, headers=()):
        return self.send(gh, "GET", path, headers)

    def metrics(self):
        return parse_prometheus(self.admin.get("/metrics").text)

    def route(self, path, respond):
        """`respond(ctx, n)` answers the n-th request for path."""
        self.o.add_route(path, lambda ctx: respond(ctx, self.co.hit(path)))

    # -- defect 2 ---------------------------------------------------------------------------
    def reflecting_search(self):
        # An app that reads a GET's body (some search APIs do) and says its answer may be cached.
        def respond(ctx, n):
            ctx.respond(200, b"results for " + (ctx.request.body or b"everything"),
                        headers=[("Cache-Control", "max-age=600")])
        self.route("/search", respond)

    def test_get_with_a_body_never_fills_the_cache(self):
        self.reflecting_search()
        gh = self.start_cache()
        evil = self.send(gh, "GET", "/search", body=b"<script>steal()</script>")
        self.assertEqual(evil.body, b"results for <script>steal()</script>")
        self.assertIn("fwd=bypass", evil.header("cache-status"), self.diag(evil))
        c = self.client(gh)
        c.send(request("GET", "/search", [("Transfer-Encoding", "chunked")],
                       chunked(b"<img onerror=x>"), content_length=False))
        self.assertEqual(c.read_response().body, b"results for <img onerror=x>")
        victim = self.get(gh, "/search")
        self.assertEqual(victim.body, b"results for everything", self.diag(victim))
        self.assertEqual(self.get(gh, "/search").body, b"results for everything")
        self.assertEqual(self.co.count("/search"), 3)  # the clean GET filled; the next one hit
        m = self.metrics()
        self.assertEqual(m["gatehouse_cache_request_body_passes_total"].value(), 2)

    def test_get_with_a_body_is_never_answered_from_the_cache(self):
        self.reflecting_search()
        gh = self.start_cache()
        self.assertEqual(self.get(gh, "/search").body, b"results for everything")
        r = self.send(gh, "GET", "/search", body=b"cats")
        self.assertEqual(r.body, b"results for cats", self.diag(r))
        head = self.send(gh, "HEAD", "/search", body=b"dogs")
        self.assertStatus(head, 200)
        self.assertNotIn("hit", head.header("cache-status"))
        self.assertEqual(self.co.count("/search"), 3)

    # -- defect 4 ---------------------------------------------------------------------------
    def test_a_forced_ttl_never_stores_an_error_page_for_everyone(self):
        # The first client's odd request gets an error page; everyone after it gets the page.
        errors = [404, 405, 410, 414, 501]
        for status in errors:
            def respond(ctx, n, status=status):
                ctx.respond(status if n == 1 else 200, b"answer %d" % n)
            self.route("/e%d" % status, respond)
        self.route("/ok", lambda ctx, n: ctx.respond(200, b"answer %d" % n))
        gh = self.start_cache(routes=cached_routes(cache_ttl="60s"))
        for status in errors:
            path = "/e%d" % status
            self.assertEqual(self.get(gh, path).status, status)
            after = self.get(gh, path)
            self.assertEqual((after.status, after.body), (200, b"answer 2"), self.diag(after))
        # Still forced for the statuses a user expects: an unmarked 200 is kept 60 s.
        self.get(gh, "/ok")
        self.assertEqual(self.get(gh, "/ok").body, b"answer 1")

    def test_cache_ttl_statuses_lists_the_statuses_a_forced_ttl_applies_to(self):
        self.route("/gone", lambda ctx, n: ctx.respond(410, b"gone %d" % n))
        self.route("/page", lambda ctx, n: ctx.respond(200, b"page %d" % n))
        gh = self.start_cache(routes=cached_routes(cache_ttl="60s", cache_ttl_statuses=[410]))
        self.assertEqual([self.get(gh, "/gone").body for _ in range(2)], [b"gone 1"] * 2)
        self.assertEqual([self.get(gh, "/page").body for _ in range(2)], [b"page 1", b"page 2"])

    # -- defect 6 ---------------------------------------------------------------------------
    def read_only(self, on):
        r = self.admin.request("PUT", "/read-only", {"enabled": on, "reason": "test"})
        self.assertEqual(r.status, 200, r)

    def test_read_only_never_serves_a_private_response_to_another_client(self):
        # The app knows its users by something the gate does not strip (an API key here, a
        # client certificate or an address elsewhere), and says so with `private`.
        def respond(ctx, n):
            ctx.respond(200, b"account of " + ctx.request.header("x-api-key", "nobody").encode(),
                        headers=[("Cache-Control", "private, max-age=60")])
        self.route("/account", respond)
        gh = self.start_cache(read_only={"min_ttl": "60s"})
        self.read_only(True)
        alice = self.get(gh, "/account", [("X-Api-Key", "alice")])
        bob = self.get(gh, "/account", [("X-Api-Key", "bob")])
        self.assertEqual((alice.body, bob.body), (b"account of alice", b"account of bob"),
                         self.diag(bob))
        self.read_only(False)
        carol = self.get(gh, "/account", [("X-Api-Key", "carol")])
        self.assertEqual(carol.body, b"account of carol", self.diag(carol))

    def test_what_read_only_kept_past_the_origins_freshness_ends_with_the_mode(self):
        self.route("/news", lambda ctx, n: ctx.respond(
            200, b"news %d" % n, headers=[("Cache-Control", "no-cache")]))
        self.route("/about", lambda ctx, n: ctx.respond(
            200, b"about %d" % n, headers=[("Cache-Control", "max-age=600")]))
        gh = self.start_cache(read_only={"min_ttl": "60s"})
        self.read_only(True)
        for path in ("/news", "/about"):
            self.get(gh, path)
            self.assertIn("; hit", self.get(gh, path).header("cache-status"))
        self.read_only(False)
        news = self.get(gh, "/news")
        self.assertEqual(news.body, b"news 2", self.diag(news))
        self.assertEqual(self.get(gh, "/about").body, b"about 1")  # its own freshness: kept
        m = self.metrics()
        self.assertEqual(m["gatehouse_cache_invalidations_total"].value(cause="read_only_off"), 1)

    # -- defect 7 ---------------------------------------------------------------------------
    def hot_page_and_form(self):
        self.route("/hot", lambda ctx, n: ctx.respond(
            200, b"hot %d" % n, headers=[("Cache-Control", "max-age=600")]))

    def post(self, gh, path, headers=()):
        return self.send(gh, "POST", path, [("Content-Type", "text/plain")] + list(headers), b"x")

    def test_anonymous_unsafe_requests_cannot_evict_a_page_on_a_session_route(self):
        self.hot_page_and_form()
        gh = self.start_cache(routes=cached_routes(invalidate_on_unsafe="session"))
        self.get(gh, "/hot")
        for _ in range(20):
            self.assertStatus(self.post(gh, "/hot", [("Cookie", "_ga=GA1.2")]), 200)
        hit = self.get(gh, "/hot")
        self.assertIn("; hit", hit.header("cache-status"), self.diag(hit))
        self.post(gh, "/hot", [("Cookie", "session=alice")])
        self.assertNotIn("; hit", self.get(gh, "/hot").header("cache-status"))
        m = self.metrics()
        self.assertEqual(m["gatehouse_cache_invalidations_total"].value(cause="unsafe_session"), 1)
        self.assertEqual(m["gatehouse_cache_invalidations_skipped_total"].value(), 20)

    def test_a_route_may_keep_its_pages_whatever_unsafe_requests_say(self):
        self.hot_page_and_form()
        gh = self.start_cache(routes=cached_routes(invalidate_on_unsafe=False))
        self.get(gh, "/hot")
        self.post(gh, "/hot", [("Authorization", "Bearer admin")])
        self.assertIn("; hit", self.get(gh, "/hot").header("cache-status"))
        self.assertEqual(self.co.count("/hot"), 2)  # the GET, then the POST

    def test_by_default_an_unsafe_success_still_invalidates_and_is_counted(self):
        self.hot_page_and_form()
        gh = self.start_cache()
        self.get(gh, "/hot")
        self.post(gh, "/hot")
        self.assertNotIn("; hit", self.get(gh, "/hot").header("cache-status"))
        m = self.metrics()
        self.assertEqual(m["gatehouse_cache_invalidations_total"].value(cause="unsafe_anonymous"),
                         1)

    # -- Vary -------------------------------------------------------------------------------
    def test_variants_of_one_url_are_capped_and_the_rest_pass(self):
        self.route("/v", lambda ctx, n: ctx.respond(
            200, b"variant " + ctx.request.header("x-junk", "-").encode(),
            headers=[("Cache-Control", "max-age=600"), ("Vary", "X-Junk")]))
        cache = dict(CACHE, max_variants=4)
        gh = self.start_cache(cache=cache)
        for i in range(12):
            self.assertEqual(self.get(gh, "/v", [("X-Junk", str(i))]).body, b"variant %d" % i)
        self.assertIn("; hit", self.get(gh, "/v", [("X-Junk", "0")]).header("cache-status"))
        over = self.get(gh, "/v", [("X-Junk", "11")])
        self.assertEqual(over.body, b"variant 11")
        self.assertNotIn("; hit", over.header("cache-status"))
        m = self.metrics()
        self.assertEqual(m["gatehouse_cache_objects"].value(), 4)
        self.assertEqual(m["gatehouse_cache_variant_limit_total"].value(), 9)

    def test_vary_star_is_never_stored_even_from_a_304(self):
        def respond(ctx, n):
            if ctx.request.header("if-none-match") == '"v1"':
                ctx.respond(304, headers=[("ETag", '"v1"'), ("Vary", "*"),
                                          ("Cache-Control", "max-age=600")])
            else:
                ctx.respond(200, b"body %d" % n, headers=[("ETag", '"v1"'),
                                                          ("Cache-Control", "no-cache")])
        self.route("/star", respond)
        gh = self.start_cache()
        self.get(gh, "/star")
        self.assertIn("fwd-status=304", self.get(gh, "/star").header("cache-status"))
        third = self.get(gh, "/star")
        self.assertNotIn("; hit", third.header("cache-status"), self.diag(third))
        self.assertEqual(self.co.count("/star"), 3)


if __name__ == "__main__":
    import unittest
    unittest.main()
