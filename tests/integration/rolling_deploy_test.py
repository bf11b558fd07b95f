"""The headline: examples/rolling-deploy/rolling-deploy.sh restarts every server of a pool
(separate origin processes, really killed and started again) while clients send requests back
to back the whole time, and not one of them fails: zero non-2xx, zero connection errors, no
retrying in the client. And a pool of one server restarted between `ctl pause` and
`ctl resume`: the requests sent meanwhile wait and all succeed."""

import os
import subprocess
import unittest

from admin_support import parse_prometheus
from backend_support import BackendCase, LoadLoop, at_least, fast_health, get
from gatehouse_process import _set_pdeathsig, free_ports, gatehouse_bin, pool
from origin_processes import OriginProcesses

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "examples", "rolling-deploy", "rolling-deploy.sh")


class RollingDeployTest(BackendCase):
    def origins(self, names):
        o = OriginProcesses(self.tmp, names, free_ports(len(names)))
        self.addCleanup(o.stop_all)
        return o

    def start(self, origins, **pool_extra):
        servers = [(n, origins.address(n)) for n in origins.names]
        extra = {"health": fast_health(), "retries": 1}
        extra.update(pool_extra)
        return self.start_with_admin(servers, backends={"app": pool(servers, **extra)})

    def ctl_words(self, admin):
        return "%s ctl --admin %s --token-file %s" % (gatehouse_bin(), admin.url, admin.token_file)

    def deploy(self, admin, restart, *options):
        p = subprocess.run(["sh", SCRIPT, "--ctl", self.ctl_words(admin), "--drain-timeout", "30s",
                            "--healthy-timeout", "30"] + list(options) + ["app", restart],
                           capture_output=True, timeout=180, stdin=subprocess.DEVNULL,
                           preexec_fn=_set_pdeathsig)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def test_rolling_deploy_under_continuous_load_fails_no_request(self):
        origins = self.origins(["s1", "s2", "s3"])
        gh, admin = self.start(origins)
        for n in origins.names:
            self.wait_for_server(admin, "app", n, health="up", checks_passed=at_least(1))
        pids_before = {n: origins.pid(n) for n in origins.names}
        with LoadLoop(gh.port, threads=4) as load:
            self.assertTrue(load.wait_for_count(200), load.summary())
            rc, out, err = self.deploy(admin, origins.restart_command())
            count_during = load.count
            self.assertTrue(load.wait_for_count(count_during + 200), load.summary())
        self.assertEqual(rc, 0, self.diag(out, err))
        self.assertIn("all 3 server(s) of app restarted", out)
        load.assert_all_ok(self, out + err)
        for n in origins.names:
            self.assertNotEqual(origins.pid(n), pids_before[n], "%s was not restarted" % n)
            s = self.server(admin, "app", n)
            self.assertEqual((s["state"], s["health"]), ("ready", "up"), s)
        self.assertEqual(set(load.origins), {"s1", "s2", "s3"})
        print("\nrolling deploy: %s" % load.summary())

    def test_a_failed_restart_stops_the_deploy_and_the_rest_keep_serving(self):
        origins = self.origins(["s1", "s2", "s3"])
        gh, admin = self.start(origins)
        for n in origins.names:
            self.wait_for_server(admin, "app", n, health="up", checks_passed=at_least(1))
        restart = '[ "$SERVER" != s2 ] && %s' % origins.restart_command()
        with LoadLoop(gh.port, threads=2) as load:
            self.assertTrue(load.wait_for_count(50), load.summary())
            rc, out, err = self.deploy(admin, restart)
            self.assertTrue(load.wait_for_count(load.count + 50), load.summary())
        self.assertEqual(rc, 1, self.diag(out, err))
        self.assertIn("app/s2: the restart command failed; the server stays drained", err)
        load.assert_all_ok(self, out + err)
        states = {n: self.server(admin, "app", n)["state"] for n in origins.names}
        self.assertEqual(states, {"s1": "ready", "s2": "drain", "s3": "ready"})

    def test_a_server_that_does_not_drain_in_time_is_set_back_and_the_deploy_stops(self):
        origins = self.origins(["s1", "s2"])
        gh, admin = self.start(origins)
        pids_before = {n: origins.pid(n) for n in origins.names}
        # One slow request on each server (round robin), still running during the drain: long
        # enough that a loaded machine (the ASan run beside other builds) cannot finish it
        # before the 1 s drain timeout is even asked for.
        threads, results, _ = self.run_threads([lambda: get(gh.port, "/delay?ms=8000")] * 2)
        self.wait_for_server(admin, "app", "s1", in_flight=1)
        rc, out, err = self.deploy(admin, origins.restart_command(), "--drain-timeout", "1s")
        self.assertEqual(rc, 1, self.diag(out, err))
        self.assertIn("app/s1 did not drain within 1s; set back to ready; stopping", err)
        self.assertEqual(self.server(admin, "app", "s1")["state"], "ready")
        self.assertEqual({n: origins.pid(n) for n in origins.names}, pids_before)
        self.join_threads(threads, 20)
        self.assertEqual([r[0] for r in results], [200, 200])

    def test_one_server_pool_restarted_between_pause_and_resume_fails_no_request(self):
        origins = self.origins(["only"])
        gh, admin = self.start(origins, hold="20s")
        self.wait_for_server(admin, "app", "only", health="up", checks_passed=at_least(1))
        pid_before = origins.pid("only")
        with LoadLoop(gh.port, threads=4) as load:
            self.assertTrue(load.wait_for_count(100), load.summary())
            r = self.ctl(admin, "pause", "app", "--wait", "30s")
            self.assertEqual(r.rc, 0, r)
            p = subprocess.run(["sh", "-c", origins.restart_command()], timeout=60,
                               env=dict(os.environ, SERVER="only"), capture_output=True)
            self.assertEqual(p.returncode, 0, p)
            holding = admin.get("/backends/app").json()["holding"]
            r = self.ctl(admin, "resume", "app")
            self.assertEqual(r.rc, 0, r)
            self.assertTrue(load.wait_for_count(load.count + 100), load.summary())
        load.assert_all_ok(self)
        self.assertNotEqual(origins.pid("only"), pid_before)
        self.assertGreater(holding, 0, "no request was waiting while paused")
        families = parse_prometheus(admin.get("/metrics").text)
        waits = families["gatehouse_backend_hold_waits_total"].value(pool="app")
        self.assertGreaterEqual(waits, holding)
        self.assertEqual(families["gatehouse_backend_hold_timeouts_total"].value(pool="app"), 0)
        print("\npause/resume: %s, held %d" % (load.summary(), waits))


if __name__ == "__main__":
    unittest.main()
