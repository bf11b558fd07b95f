"""Active and passive health checks, balancing and retries against real origins: a killed
server goes DOWN within fall x interval (+ timeout) and gets no more traffic, and comes back
after `rise`; passive ejection on live 5xx, re-admitted by the active checks; least_conn prefers
the idle server; a refused connect moves to another server; weights hold over 10k requests."""

import threading
import time
import unittest

from admin_support import parse_prometheus
from backend_support import BackendCase, Client, at_least, fast_health, get
from gatehouse_process import pool
from test_origin import TestOrigin


class HealthTest(BackendCase):
    def test_killed_server_goes_down_within_fall_intervals_and_comes_back_after_rise(self):
        a1, a2 = self.origin("a1"), self.origin("a2")
        interval, timeout, rise, fall = 0.2, 0.15, 2, 2
        gh, admin = self.start_with_admin(
            [a1, a2], backends={"app": pool([a1, a2], health=fast_health(rise=rise, fall=fall),
                                            retries=0)})
        self.wait_for_server(admin, "app", "a2", health="up", checks_passed=at_least(1))
        port = a2.port
        a2.stop()
        took = self.wait_for_server(admin, "app", "a2", timeout=5, health="down")
        # fall checks, each up to an interval (+10% jitter) apart, the last one up to `timeout`.
        bound = fall * interval * 1.1 + timeout + 0.4  # + the poll and scheduling slack
        self.assertLess(took, bound, self.diag("DOWN after %.2fs" % took))
        c = self.keepalive(gh)
        for _ in range(20):
            status, headers, _ = c.get("/hello")
            self.assertEqual((status, headers.get("x-origin")), (200, "a1"))
        before = self.server(admin, "app", "a2")
        self.assertEqual(before["available"], False)
        # Back on the same port: up after `rise` passes.
        b2 = TestOrigin(name="a2", port=port)
        self.addCleanup(b2.stop)
        took = self.wait_for_server(admin, "app", "a2", timeout=5, health="up")
        self.assertLess(took, rise * interval * 1.1 + timeout + 0.5)
        seen = set()
        for _ in range(10):
            status, headers, _ = c.get("/hello")
            self.assertEqual(status, 200)
            seen.add(headers.get("x-origin"))
        self.assertEqual(seen, {"a1", "a2"})
        s = self.server(admin, "app", "a2")
        self.assertGreaterEqual(s["went_down"], 1)
        self.assertGreaterEqual(s["went_up"], 1)
        self.assertGreaterEqual(s["checks_failed"], fall)
        families = parse_prometheus(admin.get("/metrics").text)
        self.assertGreaterEqual(families["gatehouse_backend_health_transitions_total"].value(
            pool="app", server="a2", to="down"), 1)
        self.assertGreaterEqual(families["gatehouse_backend_checks_total"].value(
            pool="app", server="a2", result="fail"), fall)
        self.assertIn("backend app/a2: health down", gh.stderr_text())
        self.assertIn("backend app/a2: health up", gh.stderr_text())

    def test_ready_sends_requests_only_once_the_checks_pass(self):
        a1, a2 = self.origin("a1"), self.origin("a2")
        gh, admin = self.start_with_admin(
            [a1, a2], backends={"app": pool([a1, a2], health=fast_health(), retries=0)})
        self.put_state(admin, "app", "a2", "maint")
        port = a2.port
        a2.stop()
        self.wait_for_server(admin, "app", "a2", health="down")
        s = self.put_state(admin, "app", "a2", "ready")
        self.assertEqual((s["state"], s["health"], s["available"]), ("ready", "down", False))
        c = self.keepalive(gh)
        for _ in range(10):
            status, headers, _ = c.get("/hello")
            self.assertEqual((status, headers.get("x-origin")), (200, "a1"))
        b2 = TestOrigin(name="a2", port=port)
        self.addCleanup(b2.stop)
        self.wait_for_server(admin, "app", "a2", health="up", available=True)
        seen = {c.get("/hello")[1].get("x-origin") for _ in range(10)}
        self.assertEqual(seen, {"a1", "a2"})

    def test_expect_and_host_decide_what_passes(self):
        a1 = self.origin("a1")
        hosts = []

        def health(ctx):
            hosts.append(ctx.request.header("host"))
            ctx.respond(503, b"not yet")

        a1.add_route("/health", health)
        gh, admin = self.start_with_admin(
            [a1], backends={"app": pool([a1], health=fast_health(
                path="/health", host="app.internal", expect=["200-299"], fall=1))})
        self.wait_for_server(admin, "app", "a1", health="down")
        self.assertIn("app.internal", hosts)
        # No server: a clear 503.
        status, headers, body = get(gh.port, "/hello")
        self.assertEqual(status, 503)
        self.assertEqual(headers.get("retry-after"), "5")
        self.assertIn(b"No backend server is available", body)
        a1.add_route("/health", lambda ctx: ctx.respond(204, b""))
        self.wait_for_server(admin, "app", "a1", health="up")
        self.assertEqual(get(gh.port, "/hello")[0], 200)

    def test_passive_5xx_ejects_and_the_active_checks_bring_it_back(self):
        a1, a2 = self.origin("a1"), self.origin("a2")
        a1.add_route("/page", lambda ctx: ctx.respond(200, b"ok"))
        broken = {"on": True}
        a2.add_route("/page", lambda ctx: ctx.respond(500 if broken["on"] else 200, b"x"))
        gh, admin = self.start_with_admin(
            [a1, a2], backends={"app": pool([a1, a2], health=fast_health(
                interval="300ms", passive={"fall": 3, "on": ["5xx"]}))})
        c = self.keepalive(gh)
        fives = 0
        for _ in range(40):
            status, _, _ = c.get("/page")
            fives += status == 500
            if self.server(admin, "app", "a2")["health"] == "down":
                break
        s = self.server(admin, "app", "a2")
        self.assertEqual((s["health"], s["ejections"]), ("down", 1), s)
        self.assertEqual(fives, 3)  # ejected on the third 5xx in a row
        for _ in range(10):
            self.assertEqual(c.get("/page")[0], 200)
        broken["on"] = False
        # /hello passes the active checks all along: back after `rise` of them.
        self.wait_for_server(admin, "app", "a2", timeout=5, health="up")
        self.assertIn("ejected after 3 consecutive failures", gh.stderr_text())

    def test_least_conn_prefers_the_idle_server(self):
        a1, a2 = self.origin("a1"), self.origin("a2")
        gh, admin = self.start_with_admin(
            [a1, a2], backends={"app": pool([a1, a2], balance="least_conn")})
        slow = self.keepalive(gh)
        t = threading.Thread(target=lambda: slow.get("/hold?key=slow"), daemon=True)
        t.start()
        self.assertTrue(a1.wait_for_requests(1, 5) or a2.wait_for_requests(1, 5))
        busy, idle = (a1, a2) if a1.held("slow") else (a2, a1)
        c = self.keepalive(gh)
        for _ in range(20):
            status, headers, _ = c.get("/hello")
            self.assertEqual((status, headers.get("x-origin")), (200, idle.name))
        busy.release("slow")
        t.join(10)
        self.assertFalse(t.is_alive())

    def test_a_refused_connect_is_retried_on_another_server(self):
        refusing = self.refusing_port()
        a1 = self.origin("a1")
        gh, admin = self.start_with_admin(
            [("dead", refusing.address), a1],
            backends={"app": pool([("dead", refusing.address), ("a1", a1.address)], retries=1)})
        c = self.keepalive(gh)
        for _ in range(20):
            status, headers, _ = c.get("/hello")
            self.assertEqual((status, headers.get("x-origin")), (200, "a1"))
        # A POST too: nothing of it had been sent when the connect failed.
        status, headers, _ = c.get("/echo", method="POST", body=b"x" * 1000)
        self.assertEqual((status, headers.get("x-origin")), (200, "a1"))
        dead = self.server(admin, "app", "dead")
        self.assertGreaterEqual(dead["retries"], 10)
        families = parse_prometheus(admin.get("/metrics").text)
        self.assertGreaterEqual(
            families["gatehouse_backend_retries_total"].value(pool="app", server="dead"), 10)

    def test_a_request_whose_body_went_out_is_never_retried(self):
        a1, a2 = self.origin("a1"), self.origin("a2")

        def swallow(ctx):  # reads the whole body, then hangs up without an answer
            ctx.keep_alive = False

        for o in (a1, a2):
            o.add_route("/upload", swallow)
        gh, admin = self.start_with_admin([a1, a2], backends={"app": pool([a1, a2], retries=1)})
        status, _, _ = self.keepalive(gh).get("/upload", method="POST", body=b"y" * 100000)
        self.assertEqual(status, 502)
        self.assertTrue(a1.wait_for_completed(1, 0.2) or a2.wait_for_completed(1, 0.2))
        seen = [r.path for o in (a1, a2) for r in o.request_log]
        self.assertEqual(seen, ["/upload"], "the POST reached a backend more than once")

    def test_weights_hold_within_5_percent_over_10000_requests(self):
        a1, a2, a3 = self.origin("a1"), self.origin("a2"), self.origin("a3")
        servers = [("a1", a1.address, 5), ("a2", a2.address, 3), ("a3", a3.address, 2)]
        gh, admin = self.start_with_admin(servers, backends={"app": pool(servers)})
        counts = {}
        lock = threading.Lock()

        def run(n):
            c = self.keepalive(gh)
            for _ in range(n):
                status, headers, _ = c.get("/hello")
                self.assertEqual(status, 200)
                with lock:
                    o = headers.get("x-origin")
                    counts[o] = counts.get(o, 0) + 1
            c.close()

        threads, _, errors = self.run_threads([lambda: run(2500)] * 4)
        self.join_threads(threads, 120)
        self.assertEqual(errors, [None] * 4)
        total = sum(counts.values())
        self.assertEqual(total, 10000)
        for name, _, weight in servers:
            share = counts.get(name, 0) / total
            self.assertAlmostEqual(share, weight / 10, delta=0.05 * weight / 10,
                                   msg="%s: %r" % (name, counts))

    def test_slow_start_ramps_a_server_back_in(self):
        a1, a2 = self.origin("a1"), self.origin("a2")
        gh, admin = self.start_with_admin(
            [a1, a2], backends={"app": pool([a1, a2], slow_start="3s")})
        self.put_state(admin, "app", "a2", "maint")
        s = self.put_state(admin, "app", "a2", "ready")
        self.assertLess(s["effective_weight"], 0.3, s)
        c = self.keepalive(gh)
        early = [c.get("/hello")[1].get("x-origin") for _ in range(200)].count("a2")
        self.assertLess(early, 60)  # an equal share would be 100
        time.sleep(3.1)  # the ramp is defined in wall time
        self.assertEqual(self.server(admin, "app", "a2")["effective_weight"], 1)
        late = [c.get("/hello")[1].get("x-origin") for _ in range(200)].count("a2")
        self.assertEqual(late, 100)


if __name__ == "__main__":
    unittest.main()
