"""Issue 14, paths: routing and read_only.allow matched raw paths. "/public/../admin" was routed
by its "/public/" prefix and forwarded as it was, so a backend resolving the dot-segment served
"/admin" under another route's rules; encoded dots ("%2e%2e") did the same; and a prefix "/api"
took "/apifoo". Paths with a dot-segment (raw or encoded, '\\' and %2F/%5C read as separators)
are now answered 400 before routing, and prefixes match on segment boundaries, for routes and
for read_only.allow alike (proxy/http/request_path.h)."""

from admin_support import AdminCase, parse_prometheus
from raw_client import request


class PathsTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.public = self.origin("public")
        self.app = self.origin("app")
        for o in (self.public, self.app):
            for path in ("/public/page", "/admin", "/api", "/apifoo", "/login", "/login-as-admin",
                         "/login/sso"):
                o.add_route(path, lambda ctx: ctx.respond(200, b"ok"))

    def start_paths(self, **overrides):
        backends = {"public": {"servers": [{"name": "p1", "address": self.public.address}]},
                    "app": {"servers": [{"name": "a1", "address": self.app.address}]}}
        routes = [{"host": "*", "path_prefix": "/public/", "backend": "public"},
                  {"host": "*", "path_prefix": "/api", "backend": "public"},
                  {"host": "*", "path_prefix": "/", "backend": "app"}]
        return self.start_with_admin([self.app], backends=backends, routes=routes, **overrides)

    def test_dot_segments_are_refused_before_routing_raw_or_encoded(self):
        gh, admin = self.start_paths()
        c = self.client(gh)
        for target in ("/public/../admin", "/public/%2e%2e/admin", "/public/%2E%2E/admin",
                       "/public/.%2e/admin", "/public/..%2Fadmin", "/public/..%5cadmin",
                       "/public/..\\admin", "/public/./page", "/public/../admin?x=1"):
            r = c.get(target)
            self.assertStatus(r, 400, target)
        self.assertEqual(self.public.paths() + self.app.paths(), [], self.diag())
        m = parse_prometheus(admin.get("/metrics").text)
        self.assertEqual(m["gatehouse_http_requests_refused_total"].value(reason="dot_segment"), 9)

    def test_ordinary_paths_still_route(self):
        gh, admin = self.start_paths()
        c = self.client(gh)
        self.assertStatus(c.get("/public/page?next=../x"), 200)
        self.assertEqual(self.public.paths(), ["/public/page"], self.diag())

    def test_a_prefix_without_a_trailing_slash_matches_whole_segments(self):
        gh, admin = self.start_paths()
        c = self.client(gh)
        self.assertStatus(c.get("/api"), 200)
        self.assertStatus(c.get("/apifoo"), 200)
        self.assertEqual(self.public.paths(), ["/api"], self.diag())
        self.assertEqual(self.app.paths(), ["/apifoo"], self.diag())

    def test_read_only_allow_matches_whole_segments(self):
        gh, admin = self.start_paths(read_only={"default": True, "allow": ["/login"]})
        c = self.client(gh)
        for target, status in (("/login", 200), ("/login/sso", 200), ("/login-as-admin", 503)):
            c.send(request("POST", target, body=b"x"))
            r = c.read_response()
            self.assertStatus(r, status, target)
        self.assertEqual(self.app.paths(), ["/login", "/login/sso"], self.diag())
