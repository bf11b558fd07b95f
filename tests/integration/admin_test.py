"""The admin API (docs/INTERFACE.md): /healthz without a token, 401 for everything else without
the right one (and nothing changes), /status, /metrics as Prometheus text whose counters move
with traffic, POST /reload (422 with FILE:LINE:COL and the old config serving; a good config
applies), and the body rules (400, 413) and routing answers (404, 405)."""

import re
import shutil
import subprocess
import time
import unittest

from admin_support import AdminCase, parse_prometheus
from gatehouse_process import base_config, pool
from raw_client import chunked, request


class AdminTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")

    # -- auth -------------------------------------------------------------------------------
    def test_healthz_answers_without_a_token(self):
        gh, admin = self.start_with_admin([self.a1])
        r = admin.get("/healthz", token=None)
        self.assertEqual((r.status, r.json()), (200, {"status": "ok"}), self.diag(r))
        self.assertEqual(r.headers["content-type"], "application/json")

    def test_everything_else_needs_the_right_token(self):
        gh, admin = self.start_with_admin([self.a1])
        for token in (None, "wrong", admin.token + "x", admin.token[:-1]):
            for method, path in (("GET", "/status"), ("GET", "/metrics"), ("POST", "/reload"),
                                 ("GET", "/nope")):
                r = admin.request(method, path, token=token)
                self.assertEqual(r.status, 401, self.diag(method, path, token, r))
                self.assertTrue(r.headers["www-authenticate"].startswith("Bearer"), r)
                self.assertIn("error", r.json())
        r = admin.request("GET", "/status", token=None,
                          headers={"Authorization": "Basic " + admin.token})
        self.assertEqual(r.status, 401, r)

    def test_a_reload_with_a_wrong_token_changes_nothing(self):
        b1 = self.origin("b1")
        gh, admin = self.start_with_admin([self.a1])
        self.assertEqual(self.client(gh).get("/hello").header("x-origin"), "a1")
        # A new pool and a route that sends /hello to it: visible once applied.
        cfg = dict(gh.config)
        cfg["backends"] = {"app": pool([self.a1]), "new": pool([b1])}
        cfg["routes"] = [{"path_prefix": "/hello", "backend": "new"}] + cfg["routes"]
        self.rewrite_config(gh, cfg)
        r = admin.post("/reload", token="wrong")
        self.assertEqual(r.status, 401, r)
        self.assertEqual(self.client(gh).get("/hello").header("x-origin"), "a1", self.diag())
        self.assertIsNone(admin.get("/status").json()["last_reload"])
        self.assertNotIn("reloaded", gh.stderr_text())
        # The right token applies it, and the change is logged with who asked.
        r = admin.post("/reload")
        self.assertEqual((r.status, r.json()), (200, {"reloaded": True}), self.diag(r))
        self.assertEqual(self.client(gh).get("/hello").header("x-origin"), "b1", self.diag())
        self.assertRegex(gh.stderr_text(), r"admin: reload requested by 127\.0\.0\.1:\d+")

    # -- status -----------------------------------------------------------------------------
    def test_status_shows_the_process(self):
        gh, admin = self.start_with_admin([self.a1])
        c = self.client(gh)  # one open client connection
        self.assertEqual(c.get("/hello").status, 200)
        # The harness's readiness probe may still be closing on the worker's side.
        self.wait_until(lambda: admin.get("/status").json()["connections"] == 1, "1 connection")
        r = admin.get("/status")
        self.assertEqual(r.status, 200, r)
        s = r.json()
        self.assertEqual(set(s), {"version", "uptime_s", "started", "workers", "connections",
                                  "config", "last_reload", "read_only", "traffic", "cache",
                                  "pools"}, s)
        self.assertEqual(s["pools"], [{"name": "app", "status": "serving", "available": 1,
                                       "servers": 1}])
        self.assertRegex(s["version"], r"^\d+\.\d+\.\d+")
        self.assertIsInstance(s["uptime_s"], int)
        self.assertRegex(s["started"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(s["workers"], 2)
        self.assertEqual(s["connections"], 1, s)
        self.assertEqual(s["config"], gh.config_path)
        self.assertIsNone(s["last_reload"])
        self.assertEqual(s["read_only"], {"enabled": False, "reason": "", "since": None})
        self.assertEqual(admin.post("/reload").status, 200)
        self.assertRegex(admin.get("/status").json()["last_reload"], r"Z$")

    # -- metrics ----------------------------------------------------------------------------
    def scrape(self, admin):
        r = admin.get("/metrics")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers["content-type"].startswith("text/plain; version=0.0.4"), r)
        return parse_prometheus(r.text)

    def test_promtool_check_metrics_is_clean(self):
        # Prometheus's own linter (naming, units, counters' _total, HELP and TYPE): what a
        # scrape would warn about. Skips where promtool (Debian's prometheus) is absent.
        promtool = shutil.which("promtool")
        if not promtool:
            self.skipTest("promtool is not installed (Debian package prometheus)")
        gh, admin = self.start_with_admin([self.a1], cache={"memory": "8MiB"})
        self.assertEqual(self.client(gh).get("/hello").status, 200)
        text = admin.get("/metrics").text
        p = subprocess.run([promtool, "check", "metrics"], input=text.encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        self.assertEqual((p.returncode, p.stdout.decode()), (0, ""))

    def test_metrics_parse_and_count_traffic(self):
        gh, admin = self.start_with_admin([self.a1])
        before = self.scrape(admin)
        for name in ("gatehouse_http_requests_total", "process_resident_memory_bytes",
                     "process_cpu_seconds_total", "process_open_fds", "process_start_time_seconds",
                     "gatehouse_backend_response_time_seconds", "gatehouse_http_request_duration_seconds",
                     "gatehouse_connections_open", "gatehouse_backend_up",
                     "gatehouse_backend_state", "gatehouse_build_info",
                     "gatehouse_tls_handshakes_total", "gatehouse_uptime_seconds"):
            self.assertIn(name, before)
        self.assertEqual(before["gatehouse_http_request_duration_seconds"].type, "histogram")
        self.assertEqual(before["gatehouse_backend_up"].value(pool="app", server="a1"), 1)
        self.assertEqual(before["gatehouse_backend_state"].value(
            pool="app", server="a1", state="ready"), 1)

        c = self.client(gh)
        for _ in range(3):
            self.assertEqual(c.get("/hello").status, 200)
        self.assertEqual(c.get("/status?code=404").status, 404)
        c.send(request("POST", "/echo", body=b"x" * 1000))
        self.assertEqual(c.read_response().status, 200)

        def moved():
            after = self.scrape(admin)
            two = after["gatehouse_http_requests_total"].total(**{"class": "2xx"}) - \
                before["gatehouse_http_requests_total"].total(**{"class": "2xx"})
            return after if two >= 4 else None
        after = self.wait_until(moved, "2xx responses counted")
        def delta(family, sample=None, **labels):
            return after[family].value(sample, **labels) - before[family].value(sample, **labels)

        self.assertEqual(after["gatehouse_http_requests_total"].total(**{"class": "4xx"}) -
                         before["gatehouse_http_requests_total"].total(**{"class": "4xx"}), 1)
        rt = "gatehouse_backend_response_time_seconds"
        self.assertEqual(delta(rt, rt + "_count", pool="app", server="a1"), 5)
        self.assertGreater(after["process_resident_memory_bytes"].value(), 1e6)
        # jemalloc's account (admin-api/allocator_metrics.cc): only where it is linked (not ASan).
        if "libjemalloc" in open("/proc/%d/maps" % gh.pid).read():
            heap = {kind: after["gatehouse_allocator_bytes"].value(kind=kind)
                    for kind in ("allocated", "active", "resident", "metadata", "retained")}
            self.assertGreater(heap["allocated"], 1e5, heap)
            self.assertGreaterEqual(heap["active"], heap["allocated"], heap)
            self.assertGreaterEqual(heap["resident"], heap["active"], heap)
            self.assertGreater(heap["metadata"], 0, heap)
            self.assertLess(heap["resident"], after["process_resident_memory_bytes"].value(), heap)
        else:  # the family is described (HELP, TYPE) but has no sample
            self.assertEqual(after["gatehouse_allocator_bytes"].samples, [])
        self.assertGreater(after["process_open_fds"].value(), 3)
        self.assertGreaterEqual(delta("gatehouse_http_request_bytes_total"), 1000)
        self.assertGreater(delta("gatehouse_http_response_bytes_total"), 0)
        self.assertGreaterEqual(delta("gatehouse_connections_accepted_total"), 1)
        self.assertEqual(delta("gatehouse_backend_requests_total", pool="app", server="a1"), 5)
        h = "gatehouse_http_request_duration_seconds"
        self.assertEqual(delta(h, h + "_count"), 5)
        self.assertGreater(delta(h, h + "_sum"), 0)

    def wait_until(self, fn, what, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            result = fn()
            if result:
                return result
            if time.monotonic() > deadline:
                self.fail(self.diag("timed out waiting for: " + what))
            time.sleep(0.05)  # poll interval, bounded by the deadline

    # -- reload -----------------------------------------------------------------------------
    def test_a_broken_config_is_refused_with_its_errors_and_the_old_one_serves(self):
        gh, admin = self.start_with_admin([self.a1])
        cfg = dict(gh.config)
        cfg["routes"] = [{"path_prefix": "/", "backend": "nope"}]
        cfg["workers"] = 0
        self.rewrite_config(gh, cfg)
        r = admin.post("/reload")
        self.assertEqual(r.status, 422, r)
        lines = r.json()["error"].split("\n")
        self.assertGreaterEqual(len(lines), 2, lines)
        for line in lines:
            self.assertRegex(line, r"^%s:\d+:\d+: [a-z_.\[\]0-9]+: " % re.escape(gh.config_path))
        self.assertEqual(self.client(gh).get("/hello").status, 200, self.diag())
        self.assertIsNone(admin.get("/status").json()["last_reload"])

    def test_a_reload_picks_up_a_rotated_token(self):
        gh, admin = self.start_with_admin([self.a1])
        with open(admin.token_file, "w") as f:
            f.write("rotated-token-abcdef\n")
        self.assertEqual(admin.post("/reload").status, 200)
        self.assertEqual(admin.get("/status").status, 401)
        self.assertEqual(admin.get("/status", token="rotated-token-abcdef").status, 200)

    # -- bodies and routing -----------------------------------------------------------------
    def test_bodies_are_checked_before_anything_happens(self):
        gh, admin = self.start_with_admin([self.a1])
        r = admin.post("/reload", body={"force": True})
        self.assertEqual((r.status, r.json()), (400, {"error": 'unknown field "force"'}), r)
        r = admin.post("/reload", body=b"{nope", headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400, r)
        self.assertIn("not valid JSON", r.json()["error"])
        r = admin.post("/reload", body=b"{" + b" " * 70000 + b"}")
        self.assertEqual(r.status, 413, r)
        # A chunked body gives no length: refused once it passes 64 KiB.
        c = self.client(admin.port)
        c.send(request("POST", "/reload", [("Authorization", "Bearer " + admin.token),
                                           ("Transfer-Encoding", "chunked")])
               + chunked(b" " * 70000, 8192))
        r = c.read_response()
        self.assertEqual(r.status, 413, r)
        self.assertIsNone(admin.get("/status").json()["last_reload"])
        self.assertEqual(admin.post("/reload", body={}).status, 200)

    def test_unknown_paths_and_methods_answer_in_json(self):
        gh, admin = self.start_with_admin([self.a1])
        r = admin.get("/nope")
        self.assertEqual((r.status, r.json()), (404, {"error": "no such endpoint: /nope"}), r)
        r = admin.get("/reload")
        self.assertEqual(r.status, 405, r)
        self.assertEqual(r.headers["allow"], "POST")
        r = admin.request("DELETE", "/status")
        self.assertEqual((r.status, r.headers["allow"]), (405, "GET, HEAD"), r)
        r = admin.request("HEAD", "/status")
        self.assertEqual((r.status, r.body), (200, b""), r)

    def test_without_an_admin_section_nothing_listens(self):
        gh = self.start([self.a1])
        self.assertNotIn("admin API", gh.stderr_text())


if __name__ == "__main__":
    unittest.main()
