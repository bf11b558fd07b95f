"""Issue 17: Varnish-compatible invalidation on the public listeners. PURGE, BAN, xkey /
Surrogate-Key tag purges and WordPress' regex purge are answered by gatehouse itself (never by
the origin), from cache.purge_from networks or with the admin token; a purge that matched
nothing says so, with what is cached under the same path elsewhere, and `ctl purge` exits 1."""

import json
import subprocess
import unittest

from admin_support import AdminCase, parse_prometheus
from cache_test import CACHE, CountingOrigin, cached_routes
from gatehouse_process import gatehouse_bin
from raw_client import request


class PurgeTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.o = self.origin("a1")
        self.co = CountingOrigin(self.o)
        self.co.route("/a", [("Cache-Control", "max-age=60"), ("Surrogate-Key", "post-1 blog")])
        self.co.route("/blog/b", [("Cache-Control", "max-age=60")])
        self.co.route("/blog/c", [("Cache-Control", "max-age=60")])

    def start(self, purge_from):
        cache = dict(CACHE, purge_from=purge_from)
        gh, self.admin = self.start_with_admin([self.o], cache=cache, routes=cached_routes())
        return gh

    def send(self, gh, method, path, headers=(), host="test.local"):
        c = self.client(gh)
        c.send(request(method, path, list(headers), host=host))
        return c.read_response(head_request=(method == "HEAD"))

    def test_purge_from_an_allowed_network_is_answered_by_gatehouse(self):
        gh = self.start(["10.0.0.0/8", "127.0.0.0/8"])
        self.send(gh, "GET", "/a")
        r = self.send(gh, "PURGE", "/a")
        self.assertStatus(r, 200)
        self.assertEqual(r.json(), {"url": "http://test.local/a", "purged": 1})
        self.send(gh, "GET", "/a")
        self.assertEqual(self.co.count("/a"), 2)  # the origin never saw the PURGE, only GETs
        self.assertNotIn("PURGE", [r.method for r in self.o.request_log])
        # Tags (Varnish xkey, Fastly Surrogate-Key), BAN by prefix, WordPress' regex purge.
        r = self.send(gh, "PURGE", "/", [("xkey", "blog other")])
        self.assertEqual(r.json()["purged"], 1, r.body)
        for p in ("/a", "/blog/b", "/blog/c"):
            self.send(gh, "GET", p)
        r = self.send(gh, "BAN", "/blog/")
        self.assertEqual(r.json(), {"prefix": "/blog/", "purged": 2})
        self.send(gh, "GET", "/blog/b")
        r = self.send(gh, "PURGE", "/blog/.*", [("X-Purge-Method", "regex")])
        self.assertEqual(r.json(), {"prefix": "/blog/", "purged": 1})
        m = parse_prometheus(self.admin.get("/metrics").text)
        self.assertEqual(m["gatehouse_cache_purge_requests_total"].value(result="purged"), 4)

    def test_purge_from_elsewhere_is_refused_unless_it_carries_the_admin_token(self):
        gh = self.start(["10.0.0.0/8"])
        self.send(gh, "GET", "/a")
        r = self.send(gh, "PURGE", "/a")
        self.assertStatus(r, 403)
        self.assertIn("PURGE is not allowed from 127.0.0.1", r.json()["error"])
        self.assertStatus(self.send(gh, "BAN", "/"), 403)
        self.send(gh, "GET", "/a")
        self.assertEqual(self.co.count("/a"), 1)  # still cached, and no PURGE went upstream
        r = self.send(gh, "PURGE", "/a", [("Authorization", "Bearer wrong")])
        self.assertStatus(r, 403)
        r = self.send(gh, "PURGE", "/a", [("Authorization", "Bearer " + self.admin.token)])
        self.assertEqual((r.status, r.json()["purged"]), (200, 1))
        m = parse_prometheus(self.admin.get("/metrics").text)
        self.assertEqual(m["gatehouse_cache_purge_requests_total"].value(result="refused"), 3)
        self.assertIn("PURGE /a from 127.0.0.1 refused", gh.stderr_text())

    def test_a_purge_that_matched_nothing_says_what_is_cached_under_that_path(self):
        gh = self.start(["127.0.0.1"])
        self.send(gh, "GET", "/a", host="www.test.local:8443")
        r = self.send(gh, "PURGE", "/a")
        self.assertEqual(r.json()["purged"], 0)
        self.assertIn("http://www.test.local:8443/a", r.json()["hint"])
        r = self.admin.post("/cache/purge", {"url": "https://www.test.local/a"})
        self.assertEqual(r.json()["purged"], 0, r)
        self.assertIn("http://www.test.local:8443/a", r.json()["hint"])
        p = subprocess.run([gatehouse_bin(), "ctl", "--admin", self.admin.url, "--token-file",
                            self.admin.token_file, "purge", "https://www.test.local/a"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("nothing purged", p.stderr)
        self.assertIn("http://www.test.local:8443/a", p.stderr)
        p = subprocess.run([gatehouse_bin(), "ctl", "--admin", self.admin.url, "--token-file",
                            self.admin.token_file, "ban-tag", "nope"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("Surrogate-Key", p.stderr)


if __name__ == "__main__":
    unittest.main()
