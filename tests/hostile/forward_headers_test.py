"""Issue 14, defects 3 and 11: what of a client's request reaches the origin.

Defect 3: request fields the cache key does not see (X-Original-URL, X-HTTP-Method-Override,
X-Real-IP, ...) reached the origin unchanged; a request with `X-Original-URL: /admin` was stored
under the URL and served to the next client. They are stripped unless forward.allow_headers
lists them; X-Real-IP is set from the client's address.

Defect 11: any Upgrade token was relayed, h2c included, handing the client a tunnel past
routing, the cache and the read-only gate. Only forward.upgrade_tokens (websocket) are relayed;
any other Upgrade is dropped and the request forwarded as an ordinary one."""

from admin_support import AdminCase, parse_prometheus
from raw_client import request

CACHE = {"memory": "8MiB", "max_object": "1MiB"}
ROUTES = [{"host": "*", "path_prefix": "/", "backend": "app", "cache": True}]
FIELDS = ["X-Original-URL", "X-Rewrite-URL", "X-HTTP-Method-Override", "X-Forwarded-Port",
          "X-Forwarded-Prefix", "X-Real-IP", "True-Client-IP", "Proxy-Authorization"]


class ForwardHeadersTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.o = self.origin("a1")

        def rewriting_app(ctx):
            # As IIS with URL Rewrite (or Symfony trusting the header) does.
            page = ctx.request.header("x-original-url") or ctx.request.path
            ctx.respond(200, ("page for %s" % page).encode(),
                        headers=[("Cache-Control", "max-age=60")])
        self.o.add_route("/page", rewriting_app)

    def get(self, gh, path, headers=()):
        c = self.client(gh)
        c.send(request("GET", path, headers))
        return c.read_response()

    def echoed(self, response):
        return {k.lower(): v for k, v in response.json()["headers"]}

    def test_x_original_url_never_reaches_the_origin_nor_the_cache(self):
        gh, admin = self.start_with_admin([self.o], cache=CACHE, routes=ROUTES)
        poisoned = self.get(gh, "/page", [("X-Original-URL", "/admin")])
        self.assertEqual(poisoned.body, b"page for /page", self.diag(poisoned))
        self.assertIsNone(self.o.last_request.header("x-original-url"))
        after = self.get(gh, "/page")
        self.assertEqual(after.body, b"page for /page")

    def test_every_client_controlled_field_is_stripped_and_counted(self):
        gh, admin = self.start_with_admin([self.o])
        r = self.get(gh, "/echo", [(name, "forged") for name in FIELDS])
        seen = self.echoed(r)
        for name in FIELDS:
            if name == "X-Real-IP":
                self.assertEqual(seen.get("x-real-ip"), "127.0.0.1")
            else:
                self.assertNotIn(name.lower(), seen, name)
        m = parse_prometheus(admin.get("/metrics").text)
        family = m["gatehouse_forward_fields_stripped_total"]
        for name in FIELDS:
            self.assertEqual(family.value(field=name), 1, name)

    def test_allow_headers_passes_a_listed_field(self):
        gh, admin = self.start_with_admin(
            [self.o], forward={"allow_headers": ["x-original-url", "X-Real-IP"]})
        seen = self.echoed(self.get(gh, "/echo", [("X-Original-URL", "/a"), ("X-Real-IP", "1.2.3.4"),
                                                  ("X-Rewrite-URL", "/b")]))
        self.assertEqual(seen.get("x-original-url"), "/a")
        self.assertEqual(seen.get("x-real-ip"), "1.2.3.4")
        self.assertNotIn("x-rewrite-url", seen)

    def test_an_h2c_upgrade_is_forwarded_as_an_ordinary_request(self):
        gh, admin = self.start_with_admin([self.o])
        r = self.get(gh, "/echo", [("Connection", "Upgrade, HTTP2-Settings"), ("Upgrade", "h2c"),
                                   ("HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA")])
        self.assertEqual(r.status, 200, self.diag(r))
        seen = self.echoed(r)
        self.assertNotIn("upgrade", seen)
        self.assertNotIn("http2-settings", seen)
        m = parse_prometheus(admin.get("/metrics").text)
        self.assertEqual(m["gatehouse_forward_upgrades_refused_total"].value(), 1)

    def test_only_the_relayed_protocols_of_an_upgrade_list_reach_the_origin(self):
        gh, admin = self.start_with_admin([self.o], forward={"upgrade_tokens": ["foo"]})
        c = self.client(gh)
        c.send(request("GET", "/echo", [("Connection", "Upgrade"), ("Upgrade", "h2c, foo/2")]))
        r = c.read_response()
        self.assertEqual(self.o.last_request.header("upgrade"), "foo/2", self.diag(r))
