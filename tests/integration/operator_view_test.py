"""Issue 17: what operators see and touch. `ctl status` tells the truth at a glance (traffic,
cache, and each pool serving / degraded / DOWN / paused); runtime weights (`ctl weight`, PUT
/backends/POOL/SERVER {"weight": N}) take effect, survive a reload and, with a state file, a
restart."""

import json
import os
import time
import unittest

from admin_support import AdminApi, parse_prometheus
from backend_support import BackendCase, fast_health, get
from gatehouse_process import pool


class StatusTruthTest(BackendCase):
    def test_ctl_status_says_serving_degraded_down_and_paused(self):
        a1, a2, b1 = self.origin("a1"), self.origin("a2"), self.origin("b1")
        gh, admin = self.start_with_admin(
            [a1, a2, b1], backends={"app": pool([a1, a2], health=fast_health()),
                                    "api": pool([b1], health=fast_health())})
        for _ in range(20):
            self.assertEqual(get(gh.port, "/hello")[0], 200)
        r = self.ctl(admin, "status")
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.out, r"pool app\s+serving \(2 of 2 up\)", r)
        self.assertRegex(r.out, r"pool api\s+serving \(1 of 1 up\)", r)
        a2.stop()
        b1.stop()
        self.wait_for_server(admin, "app", "a2", health="down")
        self.wait_for_server(admin, "api", "b1", health="down")
        r = self.ctl(admin, "status")
        self.assertRegex(r.out, r"pool app\s+degraded \(1 of 2 up\)", r)
        self.assertRegex(r.out, r"pool api\s+DOWN \(no server up", r)
        self.put_paused(admin, "app", True)
        self.assertRegex(self.ctl(admin, "status").out, r"pool app\s+PAUSED")
        s = admin.get("/status").json()
        self.assertEqual([(p["name"], p["status"]) for p in s["pools"]],
                         [("app", "paused"), ("api", "down")], s)

    def test_status_shows_the_request_rate_of_the_last_seconds(self):
        a1 = self.origin("a1")
        gh, admin = self.start_with_admin([a1])
        c = self.keepalive(gh)
        # Two samples a second apart are needed: keep sending until the rate shows the traffic.
        deadline = time.monotonic() + 10
        while True:
            self.assertEqual(c.get("/hello")[0], 200)
            t = admin.get("/status").json()["traffic"]
            if t["requests_per_s"] and t["requests_per_s"] > 0:
                break
            self.assertLess(time.monotonic(), deadline, t)
        self.assertEqual(t["errors_5xx_ratio"], 0, t)
        r = self.ctl(admin, "status")
        self.assertRegex(r.out, r"traffic\s+\d+\.\d req/s, 5xx 0\.00% \(last \d+s\)", r)
        # And each server's own rate and response times.
        deadline = time.monotonic() + 10
        while True:
            self.assertEqual(c.get("/hello")[0], 200)
            s = self.server(admin, "app", "a1")
            if s["requests_per_s"] and s["p50_ms"] is not None:
                break
            self.assertLess(time.monotonic(), deadline, s)
        self.assertGreater(s["p99_ms"], 0)
        self.assertGreaterEqual(s["p99_ms"], s["p50_ms"])


class WeightTest(BackendCase):
    def start(self, state_file=None):
        a1, a2 = self.origin("a1"), self.origin("a2")
        extra = {"state_file": state_file} if state_file else {}
        cfg, token = self.admin_config([a1, a2], backends={"app": pool([a1, a2])}, **extra)
        gh = self.gatehouse(cfg)
        admin = AdminApi(int(cfg["admin"]["address"].rsplit(":", 1)[1]), token,
                         cfg["admin"]["token_file"])
        admin.wait_ready()
        return cfg, gh, admin

    def shares(self, gh, n=40):
        seen = {}
        c = self.keepalive(gh)
        for _ in range(n):
            status, headers, _ = c.get("/hello")
            self.assertEqual(status, 200)
            seen[headers.get("x-origin")] = seen.get(headers.get("x-origin"), 0) + 1
        return seen

    def test_weight_changes_the_share_survives_reload_and_restart(self):
        state_file = os.path.join(self.tmp, "state.json")
        cfg, gh, admin = self.start(state_file)
        r = self.ctl(admin, "weight", "app/a1", "3")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("app/a1: weight 3 (config: 1)", r.out)
        s = self.server(admin, "app", "a1")
        self.assertEqual((s["weight"], s["config_weight"]), (3, 1))
        seen = self.shares(gh)
        self.assertAlmostEqual(seen.get("a1", 0), 30, delta=2, msg=seen)
        self.assertRegex(gh.stderr_text(), r"admin: backend app/a1 weight 1 -> 3 \(by 127\.0\.0\.1")
        with open(state_file) as f:
            self.assertEqual(json.load(f)["backends"]["app"]["weights"], {"a1": 3})
        # A reload keeps the operator's weight.
        self.assertEqual(admin.post("/reload").status, 200)
        self.assertEqual(self.server(admin, "app", "a1")["weight"], 3)
        # Weight 0 parks the server.
        r = admin.request("PUT", "/backends/app/a2", body={"weight": 0})
        self.assertEqual((r.status, r.json()["available"]), (200, False), r)
        self.assertEqual(self.shares(gh, 10), {"a1": 10})
        # Bad weights are refused and change nothing.
        for body in ({"weight": 257}, {"weight": -1}, {"weight": 1.5}, {"weight": "2"}, {}):
            r = admin.request("PUT", "/backends/app/a1", body=body)
            self.assertEqual(r.status, 400, (body, r))
        self.assertEqual(self.ctl(admin, "weight", "app/a1", "300").rc, 2)
        # A restart restores them from the state file.
        gh.stop()
        self.gatehouse(cfg)
        admin.wait_ready()
        self.assertEqual(self.server(admin, "app", "a1")["weight"], 3)
        self.assertEqual(self.server(admin, "app", "a2")["weight"], 0)
        # The config's own value clears the override.
        self.assertEqual(self.ctl(admin, "weight", "app/a2", "1").rc, 0)
        with open(state_file) as f:
            self.assertEqual(json.load(f)["backends"]["app"]["weights"], {"a1": 3})
        families = parse_prometheus(admin.get("/metrics").text)
        self.assertEqual(families["gatehouse_backend_effective_weight"].value(pool="app",
                                                                              server="a1"), 3)


if __name__ == "__main__":
    unittest.main()
