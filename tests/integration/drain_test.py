"""Drain, maintenance and ready; pause, resume and hold; what the admin API and `ctl` show and
log; and that a reload keeps all of it."""

import json
import os
import socket
import threading
import time
import unittest

from admin_support import AdminApi, parse_prometheus
from backend_support import BackendCase, Client, fast_health, get
from gatehouse_process import pool


class DrainTest(BackendCase):
    def two(self, **pool_extra):
        a1, a2 = self.origin("a1"), self.origin("a2")
        gh, admin = self.start_with_admin([a1, a2], backends={"app": pool([a1, a2], **pool_extra)})
        return a1, a2, gh, admin

    def hold_on(self, gh, origin, key):
        """A request held at `origin` (retried until one lands there): (thread, result dict)."""
        result = {}
        c = self.keepalive(gh)

        def run():
            result["response"] = c.get("/hold?key=" + key)

        for _ in range(10):
            t = threading.Thread(target=run, daemon=True)
            t.start()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not origin.held(key) and t.is_alive():
                time.sleep(0.01)
            if origin.held(key):
                return t, result
            # It went to the other origin: let it finish and try again.
            for o in self._origins_released:
                o.release(key)
            t.join(5)
        self.fail("no request reached %s" % origin.name)

    def setUp(self):
        super().setUp()
        self._origins_released = []

    def test_drain_takes_no_new_requests_lets_in_flight_finish_and_closes_idle(self):
        a1, a2, gh, admin = self.two()
        self._origins_released = [a2]
        c = self.keepalive(gh)
        for _ in range(4):
            self.assertEqual(c.get("/hello")[0], 200)  # warm pooled connections to both
        self.assertTrue(a1.wait_for_idle(1, 5))
        t, result = self.hold_on(gh, a1, "k1")
        s = self.put_state(admin, "app", "a1", "drain")
        self.assertEqual((s["state"], s["in_flight"], s["drained"]), ("drain", 1, False))
        for _ in range(20):
            status, headers, _ = c.get("/hello")
            self.assertEqual((status, headers.get("x-origin")), (200, "a2"))
        # Idle pooled connections to a1 are closed; the busy one stays until its response.
        self.assertTrue(a1.wait_for_open_connections(1, 5), self.diag(a1.open_connections))
        a1.release("k1")
        t.join(10)
        self.assertEqual(result["response"][0], 200)
        # ... and then closes instead of going back to the pool.
        self.assertTrue(a1.wait_for_open_connections(0, 5), self.diag(a1.open_connections))
        s = self.wait_for_server(admin, "app", "a1", drained=True)
        log = gh.stderr_text()
        self.assertRegex(log, r"admin: backend app/a1 state ready -> drain \(by 127\.0\.0\.1:\d+")
        # ready: back in rotation.
        self.put_state(admin, "app", "a1", "ready")
        seen = {c.get("/hello")[1].get("x-origin") for _ in range(10)}
        self.assertEqual(seen, {"a1", "a2"})

    def test_ctl_drain_wait_exits_1_at_the_deadline_and_0_once_drained(self):
        a1, a2, gh, admin = self.two()
        self._origins_released = [a2]
        t, result = self.hold_on(gh, a1, "long")
        r = self.ctl(admin, "drain", "app/a1", "--wait", "1s")
        self.assertEqual(r.rc, 1, r)
        self.assertGreaterEqual(r.seconds, 1.0, r)
        self.assertIn("app/a1: drain (1 in flight)", r.out)
        self.assertIn("app/a1 not drained after 1s: 1 request(s) still in flight", r.err)
        # Waiting while the long request finishes.
        out = {}
        waiter = threading.Thread(
            target=lambda: out.setdefault("r", self.ctl(admin, "drain", "app/a1", "--wait", "30s")),
            daemon=True)
        waiter.start()
        time.sleep(0.5)  # let the waiter poll at least once while the request runs
        self.assertTrue(waiter.is_alive())
        a1.release("long")
        waiter.join(30)
        self.assertEqual(out["r"].rc, 0, out["r"])
        self.assertIn("app/a1: drained", out["r"].out)
        t.join(10)
        self.assertEqual(result["response"][0], 200)
        # Already drained: at once.
        r = self.ctl(admin, "drain", "app/a1", "--wait", "5s")
        self.assertEqual(r.rc, 0, r)
        self.assertLess(r.seconds, 3, r)

    def test_maint_and_ready_and_what_ctl_shows(self):
        a1, a2, gh, admin = self.two()
        r = self.ctl(admin, "maint", "app/a2")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("app/a2: maint", r.out)
        for _ in range(10):
            self.assertEqual(get(gh.port, "/hello")[1].get("x-origin"), "a1")
        r = self.ctl(admin, "backends")
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.out, r"app/a1\s+ready\s+up\s+0\s+1\s+\d+\s+127\.0\.0\.1:%d" % a1.port)
        self.assertRegex(r.out, r"app/a2\s+maint\s+up\s+0")
        self.assertIn("pool app: serving, 0 in flight", r.out)
        r = self.ctl(admin, "--json", "backends", "app/a2")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(json.loads(r.out)["state"], "maint")
        r = self.ctl(admin, "backends", "app/a2")
        self.assertIn("drained    true", r.out)
        r = self.ctl(admin, "ready", "app/a2")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("app/a2: ready (health up)", r.out)
        seen = {get(gh.port, "/hello")[1].get("x-origin") for _ in range(10)}
        self.assertEqual(seen, {"a1", "a2"})
        families = parse_prometheus(admin.get("/metrics").text)
        self.assertEqual(families["gatehouse_backend_state"].value(
            pool="app", server="a2", state="ready"), 1)

    def test_admin_and_ctl_refuse_bad_targets_and_states(self):
        a1, a2, gh, admin = self.two()
        r = admin.request("PUT", "/backends/app/a1", body={"state": "down"})
        self.assertEqual(r.status, 400, r)
        self.assertIn("expected \"ready\", \"drain\" or \"maint\"", r.json()["error"])
        r = admin.request("PUT", "/backends/app/nope", body={"state": "drain"})
        self.assertEqual((r.status, r.json()), (404, {"error": "no server \"nope\" in pool \"app\""}))
        r = admin.request("PUT", "/backends/nope", body={"paused": True})
        self.assertEqual(r.status, 404, r)
        r = admin.request("PUT", "/backends/app", body={"paused": "yes"})
        self.assertEqual(r.status, 400, r)
        r = admin.request("PUT", "/backends/app/a1", body={"state": "drain"}, token="wrong")
        self.assertEqual(r.status, 401, r)
        self.assertEqual(self.server(admin, "app", "a1")["state"], "ready")
        self.assertEqual(self.ctl(admin, "drain", "app").rc, 2)
        self.assertEqual(self.ctl(admin, "drain", "app/a1", "--wait", "soon").rc, 2)
        self.assertEqual(self.ctl(admin, "pause", "app/a1").rc, 2)
        r = self.ctl(admin, "drain", "app/zz")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("404", r.err)

    def test_pause_holds_requests_until_resume(self):
        a1 = self.origin("a1")
        gh, admin = self.start_with_admin([a1], backends={"app": pool([a1], hold="10s")})
        r = self.ctl(admin, "pause", "app", "--wait", "5s")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("pool app: paused", r.out)
        before = a1.requests
        threads, results, errors = self.run_threads([lambda: get(gh.port, "/hello")] * 5)
        deadline = time.monotonic() + 5
        while self.put_paused(admin, "app", True)["holding"] < 5:
            self.assertLess(time.monotonic(), deadline, self.diag("requests not held"))
            time.sleep(0.02)
        self.assertEqual(a1.requests, before)  # nothing reached the origin while paused
        r = self.ctl(admin, "resume", "app")
        self.assertEqual(r.rc, 0, r)
        self.join_threads(threads, 10)
        self.assertEqual([x[0] for x in results], [200] * 5, errors)
        families = parse_prometheus(admin.get("/metrics").text)
        self.assertEqual(families["gatehouse_backend_hold_waits_total"].value(pool="app"), 5)
        self.assertEqual(families["gatehouse_backend_hold_resumed_total"].value(pool="app"), 5)
        self.assertEqual(families["gatehouse_backend_pool_holding"].value(pool="app"), 0)
        self.assertRegex(gh.stderr_text(), r"admin: pool app paused \(by 127\.0\.0\.1:\d+")

    def test_hold_runs_out_with_a_clear_503_and_hold_max_refuses_at_once(self):
        a1 = self.origin("a1")
        gh, admin = self.start_with_admin(
            [a1], backends={"app": pool([a1], hold="400ms", hold_max=1)})
        self.put_paused(admin, "app", True)
        threads, results, _ = self.run_threads([lambda: get(gh.port, "/hello")])
        deadline = time.monotonic() + 5
        while self.put_paused(admin, "app", True)["holding"] < 1:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.01)
        start = time.monotonic()
        status, headers, body = get(gh.port, "/hello")  # over hold_max: at once
        self.assertEqual(status, 503)
        self.assertLess(time.monotonic() - start, 0.3)
        self.join_threads(threads, 5)
        status, headers, body = results[0]
        self.assertEqual(status, 503)
        self.assertEqual(headers.get("retry-after"), "5")
        self.assertIn(b"paused for maintenance", body)
        families = parse_prometheus(admin.get("/metrics").text)
        self.assertEqual(families["gatehouse_backend_hold_timeouts_total"].value(pool="app"), 1)
        self.assertEqual(families["gatehouse_backend_hold_overflows_total"].value(pool="app"), 1)
        self.assertEqual(families["gatehouse_backend_unavailable_total"].value(pool="app"), 2)

    def test_a_request_held_while_every_server_is_out_goes_when_one_is_ready(self):
        a1, a2, gh, admin = self.two(hold="10s", health=fast_health())
        self.put_state(admin, "app", "a1", "maint")
        self.put_state(admin, "app", "a2", "drain")
        threads, results, _ = self.run_threads([lambda: get(gh.port, "/hello")])
        deadline = time.monotonic() + 5
        while admin.get("/backends/app").json()["holding"] < 1:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.01)
        self.put_state(admin, "app", "a2", "ready")
        self.join_threads(threads, 10)
        self.assertEqual((results[0][0], results[0][1].get("x-origin")), (200, "a2"))

    def test_with_every_server_down_the_503_comes_at_once_not_after_hold(self):
        # Issue 17: `hold` is for pauses and deploys; with every server down by its checks there
        # is nothing to wait for. A held request would outlast the client's 20 s timeout.
        a1, a2, gh, admin = self.two(hold="60s", health=fast_health())
        self.put_state(admin, "app", "a1", "maint")  # down and in maint: still nothing to wait for
        a1.stop()
        a2.stop()
        self.wait_for_server(admin, "app", "a1", health="down")
        self.wait_for_server(admin, "app", "a2", health="down")
        c = Client(gh.port, timeout=20)
        self.addCleanup(c.close)
        status, headers, _ = c.get("/hello")
        self.assertEqual((status, headers.get("retry-after")), (503, "5"))
        families = parse_prometheus(admin.get("/metrics").text)
        self.assertEqual(families["gatehouse_backend_hold_skipped_total"].value(pool="app"), 1)
        self.assertEqual(families["gatehouse_backend_hold_waits_total"].value(pool="app"), 0)
        # A server being drained is a deploy under way: then the request waits.
        self.put_state(admin, "app", "a2", "drain")
        with socket.create_connection(("127.0.0.1", gh.port), timeout=5) as held:
            held.sendall(b"GET /hello HTTP/1.1\r\nHost: test.local\r\n\r\n")
            deadline = time.monotonic() + 5
            while admin.get("/backends/app").json()["holding"] < 1:
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.01)
        # The client gave up: its request leaves the hold.
        deadline = time.monotonic() + 5
        while admin.get("/backends/app").json()["holding"] > 0:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.01)

    def test_reload_keeps_states_pause_and_counters(self):
        a1, a2 = self.origin("a1"), self.origin("a2")
        cfg, token = self.admin_config([a1, a2], backends={"app": pool([a1, a2], hold="5s")})
        gh = self.gatehouse(cfg)
        admin = AdminApi(int(cfg["admin"]["address"].rsplit(":", 1)[1]), token,
                         cfg["admin"]["token_file"])
        admin.wait_ready()
        for _ in range(6):
            self.assertEqual(get(gh.port, "/hello")[0], 200)
        self.put_state(admin, "app", "a1", "drain")
        self.put_state(admin, "app", "a2", "maint")
        self.put_paused(admin, "app", True)
        requests_before = self.server(admin, "app", "a1")["requests"]
        # A reload that changes the pool (a weight) but not the servers' addresses.
        cfg["backends"]["app"]["servers"][1]["weight"] = 3
        self.rewrite_config(gh, cfg)
        r = admin.post("/reload")
        self.assertEqual(r.status, 200, r)
        s1, s2 = self.server(admin, "app", "a1"), self.server(admin, "app", "a2")
        self.assertEqual((s1["state"], s2["state"], s2["weight"]), ("drain", "maint", 3))
        self.assertEqual(s1["requests"], requests_before)
        self.assertTrue(admin.get("/backends/app").json()["paused"])
        # And it still works once put back.
        self.put_paused(admin, "app", False)
        self.put_state(admin, "app", "a1", "ready")
        self.assertEqual(get(gh.port, "/hello")[0], 200)
        self.assertEqual(self.server(admin, "app", "a1")["requests"], requests_before + 1)

    def test_a_reload_that_removes_health_checks_brings_a_down_server_back(self):
        a1 = self.origin("a1")
        cfg, token = self.admin_config([a1], backends={"app": pool([a1], health=fast_health(
            path="/missing"))})
        gh = self.gatehouse(cfg)
        admin = AdminApi(int(cfg["admin"]["address"].rsplit(":", 1)[1]), token,
                         cfg["admin"]["token_file"])
        admin.wait_ready()
        self.wait_for_server(admin, "app", "a1", health="down")  # /missing answers 404
        del cfg["backends"]["app"]["health"]
        self.rewrite_config(gh, cfg)
        self.assertEqual(admin.post("/reload").status, 200)
        s = self.server(admin, "app", "a1")
        self.assertEqual((s["health"], s["checked"]), ("up", False))
        self.assertEqual(get(gh.port, "/hello")[0], 200)

    def test_states_and_pause_survive_a_restart_through_the_state_file(self):
        a1, a2 = self.origin("a1"), self.origin("a2")
        state_file = os.path.join(self.tmp, "state.json")
        cfg, token = self.admin_config([a1, a2], state_file=state_file,
                                       backends={"app": pool([a1, a2], hold="5s")})
        gh = self.gatehouse(cfg)
        admin = AdminApi(int(cfg["admin"]["address"].rsplit(":", 1)[1]), token,
                         cfg["admin"]["token_file"])
        admin.wait_ready()
        self.assertTrue(self.put_state(admin, "app", "a1", "maint")["persisted"])
        self.put_state(admin, "app", "a2", "drain")
        self.assertTrue(self.put_paused(admin, "app", True)["persisted"])
        with open(state_file) as f:
            saved = json.load(f)["backends"]
        self.assertEqual(saved, {"app": {"paused": True,
                                         "servers": {"a1": "maint", "a2": "drain"}}})
        gh.kill()  # a crash, not a clean stop
        gh2 = self.gatehouse(cfg)
        admin.wait_ready()
        self.assertEqual(self.server(admin, "app", "a1")["state"], "maint")
        self.assertEqual(self.server(admin, "app", "a2")["state"], "drain")
        self.assertTrue(admin.get("/backends/app").json()["paused"])
        self.assertIn("backend app/a1 is in state maint, restored from", gh2.stderr_text())
        self.assertIn("pool app is PAUSED, restored from", gh2.stderr_text())
        self.put_paused(admin, "app", False)
        self.put_state(admin, "app", "a2", "ready")
        status, headers, _ = get(gh2.port, "/hello")
        self.assertEqual((status, headers.get("x-origin")), (200, "a2"))


if __name__ == "__main__":
    unittest.main()
