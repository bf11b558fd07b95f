"""Read-only mode against the real binary (issue 5): PUT /read-only and `ctl read-only`, the
gate on the data path (503 + Retry-After + page for unsafe methods, never seen by the origin;
GET served anonymised, Set-Cookie dropped; read_only.allow prefixes still write), the state
file (a restart and a kill -9 come back read-only; a corrupt file is reported and the
configured default used), /status and /metrics (parsed by prometheus_client when installed,
and by admin_support's strict parser)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import unittest

from admin_support import AdminApi, AdminCase, parse_prometheus
from gatehouse_process import _set_pdeathsig, gatehouse_bin
from h2spec_conn import SpecConn
from raw_client import request

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # python3-prometheus-client (packaging/install-deps.sh --test)
    text_string_to_metric_families = None

PAGE = "<!doctype html><h1>Back in a moment</h1>\n"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def _cookie_origin(ctx):
    """Answers with the Cookie and Authorization it saw, and tries to log the client in."""
    ctx.respond_json(200, {"method": ctx.request.method,
                           "cookie": ctx.request.header("cookie"),
                           "authorization": ctx.request.header("authorization")},
                     headers=[("Set-Cookie", "session=new; Path=/"),
                              ("Set-Cookie", "tracking=1")])


class ReadOnlyCase(AdminCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")
        for path in ("/page", "/orders", "/api/webhooks/stripe", "/api/orders"):
            self.a1.add_route(path, _cookie_origin)
        self.page = self.write("read-only.html", PAGE)
        self.state_path = os.path.join(self.tmp, "state.json")

    def config(self, **read_only):
        ro = {"retry_after": "120s", "page": self.page}
        ro.update(read_only)
        cfg, token = self.admin_config([self.a1], state_file=self.state_path, read_only=ro)
        return cfg, token

    def start_ro(self, **read_only):
        cfg, token = self.config(**read_only)
        gh = self.gatehouse(cfg)
        port = int(cfg["admin"]["address"].rsplit(":", 1)[1])
        admin = AdminApi(port, token, cfg["admin"]["token_file"])
        admin.wait_ready()
        return gh, admin

    def restart(self, gh, admin, how):
        """Stops gh (SIGTERM, or SIGKILL for a crash) and starts it again on the same config."""
        if how == "kill":
            gh.kill()
        else:
            self.assertEqual(gh.stop(signal.SIGTERM), 0, self.diag())
        for f in (gh._out, gh._err):  # start() opens them again
            f.close()
        gh.start()
        admin.wait_ready()

    def put(self, admin, body, **kw):
        return admin.request("PUT", "/read-only", body=body, **kw)

    def send(self, gh, method, target, headers=(), body=b""):
        c = self.client(gh)
        c.send(request(method, target, headers, body=body))
        return c.read_response(head_request=method == "HEAD")

    def assertBlocked(self, resp):
        self.assertStatus(resp, 503)
        self.assertEqual(resp.header("retry-after"), "120", resp)
        self.assertEqual(resp.header("content-type"), "text/html; charset=utf-8", resp)
        self.assertEqual(resp.body, PAGE.encode(), resp)

    def assertWritesFlow(self, gh):
        before = self.a1.requests
        self.assertStatus(self.send(gh, "POST", "/orders", body=b"x=1"), 200)
        self.assertEqual(self.a1.requests, before + 1)


class ReadOnlyApiTest(ReadOnlyCase):
    def test_without_or_with_a_wrong_token_it_is_401_and_nothing_changes(self):
        gh, admin = self.start_ro()
        for token in (None, "wrong-token", ""):
            r = self.put(admin, {"enabled": True, "reason": "x"}, token=token)
            self.assertEqual(r.status, 401, r)
            r = admin.get("/read-only", token=token)
            self.assertEqual(r.status, 401, r)
        self.assertFalse(admin.get("/read-only").json()["enabled"])
        self.assertFalse(os.path.exists(self.state_path))
        self.assertNotIn("read-only mode ON", gh.stderr_text())
        self.assertWritesFlow(gh)

    def test_bad_bodies_get_400_naming_the_problem_and_change_nothing(self):
        gh, admin = self.start_ro()
        for body, message in (({"enabled": True, "reasn": "typo"}, 'unknown field "reasn"'),
                              ({"enabled": "yes"}, '"enabled"'),
                              ({"reason": "no switch"}, '"enabled"'),
                              ({"enabled": True, "reason": "two\nlines"}, "control characters"),
                              ({"enabled": True, "reason": "r" * 501}, "longer than 500")):
            r = self.put(admin, body)
            self.assertEqual(r.status, 400, r)
            self.assertIn(message, r.json()["error"], r)
        self.assertFalse(admin.get("/read-only").json()["enabled"])
        self.assertWritesFlow(gh)

    def test_on_and_off_are_logged_shown_in_status_and_saved(self):
        gh, admin = self.start_ro(allow=["/api/webhooks/"])
        r = self.put(admin, {"enabled": True, "reason": "db migration"})
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertEqual((j["enabled"], j["reason"], j["changed"], j["persisted"]),
                         (True, "db migration", True, True), j)
        self.assertRegex(j["since"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual((j["retry_after_s"], j["allow"], j["state_file"]),
                         (120, ["/api/webhooks/"], self.state_path), j)
        self.assertRegex(gh.stderr_text(), r'admin: read-only mode ON \(was off\), reason "db '
                                           r'migration" \(was ""\), by 127\.0\.0\.1:\d+')
        status = admin.get("/status").json()["read_only"]
        self.assertEqual(status, {"enabled": True, "reason": "db migration", "since": j["since"]})
        with open(self.state_path) as f:
            saved = json.load(f)
        self.assertEqual(saved["read_only"], {"enabled": True, "reason": "db migration",
                                              "message": "", "since": j["since"]})
        # The same again changes nothing and logs nothing.
        r = self.put(admin, {"enabled": True, "reason": "db migration"})
        self.assertEqual((r.status, r.json()["changed"]), (200, False), r)
        self.assertEqual(gh.stderr_text().count("read-only mode ON"), 1)
        r = self.put(admin, {"enabled": False})
        self.assertEqual((r.status, r.json()["enabled"]), (200, False), r)
        self.assertRegex(gh.stderr_text(), r'read-only mode off \(was on\), reason "" \(was "db '
                                           r'migration"\), by 127\.0\.0\.1:\d+')
        self.assertWritesFlow(gh)


class ReadOnlyGateTest(ReadOnlyCase):
    def test_unsafe_methods_get_503_and_never_reach_the_origin(self):
        gh, admin = self.start_ro()
        self.assertEqual(self.put(admin, {"enabled": True, "reason": "db",
                                          "message": "Back at 14:00"}).status, 200)
        before = self.a1.requests
        for method in UNSAFE + ("PROPFIND",):
            self.assertBlocked(self.send(gh, method, "/orders", body=b'{"x": 1}'))
        # A blocked request's body is never read; the connection stays usable or closes
        # cleanly, and either way the origin saw nothing.
        self.assertEqual(self.a1.requests, before, self.a1.paths())
        # Clients that prefer JSON get JSON.
        r = self.send(gh, "POST", "/orders", headers=[("Accept", "application/json")],
                      body=b"{}")
        self.assertStatus(r, 503)
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertEqual(r.json()["error"], "read_only")
        # The operator's reason stays internal; the public sees the message (issue 17).
        self.assertNotIn("reason", r.json())
        self.assertEqual(r.json()["message"], "Back at 14:00")
        self.assertEqual(r.header("retry-after"), "120")
        self.assertEqual(self.a1.requests, before)
        self.assertEqual(admin.get("/read-only").json()["blocked"], 6)

    def test_a_blocked_body_is_never_read_as_a_request(self):
        gh, admin = self.start_ro()
        self.assertEqual(self.put(admin, {"enabled": True}).status, 200)
        smuggled = b"GET /orders?smuggled=1 HTTP/1.1\r\nHost: test.local\r\n\r\n"
        c = self.client(gh)
        c.send(request("POST", "/orders", body=smuggled) +
               request("GET", "/page"))
        self.assertBlocked(c.read_response())
        # The connection either goes on with the next real request or closes; the body's
        # bytes are never a request of their own.
        if not c.is_closed(timeout=0.5):
            r = c.read_response()
            self.assertStatus(r, 200)
            self.assertEqual(r.json()["method"], "GET")
        self.assertNotIn("/orders", self.a1.paths())
        chunked_body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled), smuggled)
        c2 = self.client(gh)
        c2.send(request("PUT", "/orders", [("Transfer-Encoding", "chunked")]) + chunked_body)
        self.assertBlocked(c2.read_response())
        self.assertNotIn("/orders", self.a1.paths())

    def test_get_is_served_anonymised_both_ways(self):
        gh, admin = self.start_ro()
        creds = [("Cookie", "session=abc; theme=dark"), ("Authorization", "Bearer user")]
        r = self.send(gh, "GET", "/page", creds)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["cookie"], "session=abc; theme=dark")  # off: untouched
        self.assertEqual(len(r.header_all("set-cookie")), 2)
        self.assertEqual(self.put(admin, {"enabled": True}).status, 200)
        for method in ("GET", "HEAD"):
            r = self.send(gh, method, "/page", creds)
            self.assertStatus(r, 200)
            self.assertEqual(r.header_all("set-cookie"), [], r)
        seen = self.a1.last_request
        self.assertIsNone(seen.header("cookie"), seen.headers)
        self.assertIsNone(seen.header("authorization"), seen.headers)
        r = self.send(gh, "GET", "/page", creds)
        self.assertEqual((r.json()["cookie"], r.json()["authorization"]), (None, None))

    def test_allowed_prefixes_still_write_with_their_credentials(self):
        gh, admin = self.start_ro(allow=["/api/webhooks/"])
        self.assertEqual(self.put(admin, {"enabled": True}).status, 200)
        before = self.a1.requests
        r = self.send(gh, "POST", "/api/webhooks/stripe", [("Authorization", "Bearer hook")],
                      body=b"{}")
        self.assertStatus(r, 200)
        self.assertEqual(r.json(), {"method": "POST", "cookie": None,
                                    "authorization": "Bearer hook"})
        self.assertEqual(len(r.header_all("set-cookie")), 2)
        self.assertEqual(self.a1.requests, before + 1)
        # Neither a neighbour nor a way out of the prefix is allowed.
        for target in ("/api/orders", "/api/webhooks/../orders", "/api/webhooks/%2e%2e/orders"):
            self.assertBlocked(self.send(gh, "POST", target, body=b"{}"))
        self.assertEqual(self.a1.requests, before + 1)

    def test_off_lets_writes_flow_again(self):
        gh, admin = self.start_ro()
        self.assertEqual(self.put(admin, {"enabled": True}).status, 200)
        self.assertBlocked(self.send(gh, "POST", "/orders", body=b"x"))
        self.assertEqual(self.put(admin, {"enabled": False}).status, 200)
        self.assertWritesFlow(gh)
        r = self.send(gh, "GET", "/page", [("Cookie", "session=abc")])
        self.assertEqual(r.json()["cookie"], "session=abc")


class FullBacklogOrigin:
    """A listener whose accept queue is full, so that a new connection waits in SYN
    retransmission until drain() starts accepting (and counting what arrives)."""

    def __init__(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.address = "127.0.0.1:%d" % self.listener.getsockname()[1]
        self.fillers = []
        # Connect until one stays pending: the queue is then full and further SYNs are dropped.
        for _ in range(8):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(0.3)
            self.fillers.append(s)
            try:
                s.connect(self.listener.getsockname())
            except (socket.timeout, BlockingIOError):
                break
        self.bytes_received = 0
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, daemon=True)

    def drain(self):
        self._thread.start()

    def _drain(self):
        self.listener.settimeout(0.1)
        conns = []
        while not self._stop.is_set():
            try:
                c, _ = self.listener.accept()
                c.setblocking(False)
                conns.append(c)
                self.accepted += 1
            except socket.timeout:
                pass
            for c in conns:
                try:
                    self.bytes_received += len(c.recv(65536))
                except (BlockingIOError, OSError):
                    pass
        for c in conns:
            c.close()

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        for s in self.fillers:
            s.close()
        self.listener.close()


class ReadOnlyQueuedTest(ReadOnlyCase):
    def test_a_write_waiting_for_a_backend_connection_is_blocked_when_the_mode_switches(self):
        slow = FullBacklogOrigin()
        self.addCleanup(slow.stop)
        if len(slow.fillers) == 8:
            self.skipTest("could not fill the accept queue")
        cfg, token = self.config()
        cfg["backends"]["app"]["servers"] = [{"name": "slow", "address": slow.address}]
        cfg["backends"]["app"]["retries"] = 0
        cfg["timeouts"]["backend_connect"] = "20s"
        gh = self.gatehouse(cfg)
        admin = AdminApi(int(cfg["admin"]["address"].rsplit(":", 1)[1]), token,
                         cfg["admin"]["token_file"])
        admin.wait_ready()
        c = self.client(gh)
        c.send(request("POST", "/orders", body=b"x=1"))
        # The request is with the backend pool (connecting) once it is counted there.
        deadline = time.monotonic() + 10
        while parse_prometheus(admin.get("/metrics").text)[
                "gatehouse_backend_requests_total"].value(pool="app", server="slow") < 1:
            self.assertLess(time.monotonic(), deadline, "the POST never reached the pool")
            time.sleep(0.02)  # poll interval, bounded by the deadline
        self.assertEqual(self.put(admin, {"enabled": True}).status, 200)
        slow.drain()  # the connection completes at its next SYN retransmission
        r = c.read_response(timeout=15)
        self.assertBlocked(r)
        self.assertEqual(slow.bytes_received, 0)
        self.assertEqual(admin.get("/read-only").json()["blocked"], 1)


class ReadOnlyHttp2Test(ReadOnlyCase):
    """The gate sees Exchanges, so HTTP/2 (h2c here, with curl) is blocked and anonymised too."""

    def curl(self, port, *args):
        p = subprocess.run(["curl", "-s", "--http2-prior-knowledge", "-D", "-", "--max-time", "10"]
                           + list(args), capture_output=True, timeout=30)
        head, _, body = p.stdout.decode("utf-8", "replace").partition("\r\n\r\n")
        return p.returncode, head.lower(), body

    def test_http2_writes_are_blocked_and_reads_anonymised(self):
        if not shutil.which("curl"):
            self.skipTest("curl is not installed")
        gh, _ = self.start_h2c_read_only()
        url = "http://127.0.0.1:%d" % gh.port
        before = self.a1.requests
        rc, head, body = self.curl(gh.port, "-X", "POST", "--data-binary", "x=1", url + "/orders")
        self.assertEqual(rc, 0, head)
        self.assertTrue(head.startswith("http/2 503"), head)
        self.assertIn("retry-after: 120", head)
        self.assertEqual(body, PAGE)
        self.assertEqual(self.a1.requests, before)
        rc, head, body = self.curl(gh.port, "-H", "Cookie: a=1", "-H", "Cookie: b=2",
                                   "-H", "Authorization: Bearer u", url + "/page")
        self.assertTrue(head.startswith("http/2 200"), head)
        self.assertNotIn("set-cookie", head)
        self.assertEqual(json.loads(body)["cookie"], None, body)
        self.assertEqual(json.loads(body)["authorization"], None, body)


    def start_h2c_read_only(self):
        cfg, token = self.config()
        cfg["listeners"][0]["h2c"] = True
        gh = self.gatehouse(cfg)
        admin = AdminApi(int(cfg["admin"]["address"].rsplit(":", 1)[1]), token,
                         cfg["admin"]["token_file"])
        admin.wait_ready()
        self.assertEqual(self.put(admin, {"enabled": True}).status, 200)
        return gh, admin

    def blocked_post_head(self, gh, length):
        """A POST announcing `length` body bytes, its HEADERS sent alone: the 503 comes at once."""
        c = SpecConn(gh.port, "127.0.0.1:%d" % gh.port, path="/orders", timeout=2.0)
        self.addCleanup(c.close)
        c.handshake()
        c.write_headers(1, c.block(c.common("POST") + [("content-length", str(length))]),
                        end_stream=False)
        c.verify_headers_frame(1)
        c.verify_stream_close()  # the page's DATA with END_STREAM
        return c

    def test_the_rest_of_a_small_body_is_dropped_not_reset_after_the_503(self):
        # curl 7.88 reads its answer only once its upload is done: a reset right after the 503
        # made it exit 92 without showing the answer.
        gh, admin = self.start_h2c_read_only()
        c = self.blocked_post_head(gh, 3)
        self.assertEqual(c.wait_event(), "timeout", "the stream was not left to the client")
        c.write_data(1, b"x=1", end_stream=True)
        c.write_ping(b"12345678")
        c.verify_ping_ack(b"12345678")  # the connection is well, and no RST_STREAM came before
        families = parse_prometheus(admin.get("/metrics").text)
        self.assertEqual(families["gatehouse_http_body_discard_closes_total"].value(
            protocol="http2"), 0)
        for _ in range(20):  # and a real client sees every answer
            rc, head, body = self.curl(gh.port, "-X", "POST", "--data-binary", "x=1",
                                       "http://127.0.0.1:%d/orders" % gh.port)
            self.assertEqual((rc, head[:10], body), (0, "http/2 503", PAGE), head)

    def test_a_body_over_the_discard_budget_is_reset_with_no_error_after_the_503(self):
        gh, admin = self.start_h2c_read_only()
        c = self.blocked_post_head(gh, 2 << 20)
        c.verify_stream_error(0)  # RST_STREAM NO_ERROR (RFC 9113 §8.1)
        families = parse_prometheus(admin.get("/metrics").text)
        self.assertEqual(families["gatehouse_http_body_discard_closes_total"].value(
            protocol="http2"), 1)


class ReadOnlyStateFileTest(ReadOnlyCase):
    def test_read_only_survives_a_restart_and_a_kill_9(self):
        gh, admin = self.start_ro()
        r = self.put(admin, {"enabled": True, "reason": "db migration"})
        self.assertEqual(r.status, 200, r)
        since = r.json()["since"]
        for how in ("term", "kill"):
            self.restart(gh, admin, how)
            j = admin.get("/read-only").json()
            self.assertEqual((j["enabled"], j["reason"], j["since"]),
                             (True, "db migration", since), (how, j))
            self.assertBlocked(self.send(gh, "POST", "/orders", body=b"x"))
            self.assertIn("read-only mode is ON, restored from " + self.state_path,
                          gh.stderr_text())
        self.assertEqual(self.put(admin, {"enabled": False}).status, 200)
        self.restart(gh, admin, "kill")
        self.assertFalse(admin.get("/read-only").json()["enabled"])
        self.assertWritesFlow(gh)

    def test_a_corrupt_state_file_is_reported_and_the_default_used(self):
        for default in (True, False):
            with open(self.state_path, "w") as f:
                f.write('{"read_only": {"enabled": tr')
            gh, admin = self.start_ro(default=default)
            self.assertIn("state file unusable: %s: not valid JSON" % self.state_path,
                          gh.stderr_text())
            j = admin.get("/read-only").json()
            self.assertEqual(j["enabled"], default, j)
            if default:
                self.assertBlocked(self.send(gh, "POST", "/orders", body=b"x"))
            else:
                self.assertWritesFlow(gh)
            # The next change replaces the bad file with a good one.
            self.assertEqual(self.put(admin, {"enabled": True, "reason": "fixed"}).status, 200)
            with open(self.state_path) as f:
                self.assertEqual(json.load(f)["read_only"]["reason"], "fixed")
            gh.stop()

    def test_without_a_state_file_the_default_applies_and_changes_are_not_saved(self):
        cfg, token = self.config(default=True)
        del cfg["state_file"]
        gh = self.gatehouse(cfg)
        admin = AdminApi(int(cfg["admin"]["address"].rsplit(":", 1)[1]), token,
                         cfg["admin"]["token_file"])
        admin.wait_ready()
        j = admin.get("/read-only").json()
        self.assertEqual((j["enabled"], j["reason"], j["state_file"]),
                         (True, "read_only.default", None), j)
        r = self.put(admin, {"enabled": False})
        self.assertEqual((r.status, r.json()["persisted"]), (200, False), r)

    def test_a_state_file_that_cannot_be_written_fails_the_change_loudly(self):
        gh, admin = self.start_ro()
        # A directory where the temporary file would go makes every write fail, even for root.
        os.rename(self.tmp, self.tmp + ".moved")
        self.addCleanup(lambda: os.path.exists(self.tmp + ".moved") and
                        os.rename(self.tmp + ".moved", self.tmp))
        r = self.put(admin, {"enabled": True, "reason": "db"})
        os.rename(self.tmp + ".moved", self.tmp)
        self.assertEqual(r.status, 500, r)
        self.assertIn("could not be saved", r.json()["error"])
        # The switch itself took effect: blocking writes matters more than remembering it.
        self.assertTrue(r.json()["enabled"])
        self.assertBlocked(self.send(gh, "POST", "/orders", body=b"x"))


class ReadOnlyCtlTest(ReadOnlyCase):
    def ctl(self, *args):
        e = {k: v for k, v in os.environ.items() if k != "GATEHOUSE_ADMIN_TOKEN"}
        p = subprocess.run([gatehouse_bin(), "ctl"] + list(args), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=30, env=e, preexec_fn=_set_pdeathsig)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def test_on_status_off_with_exit_codes(self):
        gh, admin = self.start_ro(allow=["/api/webhooks/"])
        where = ["-c", gh.config_path]
        rc, out, err = self.ctl(*where, "read-only", "on", "--reason", "db migration")
        self.assertEqual(rc, 0, (out, err))
        self.assertRegex(out, r"^read-only: ON since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ "
                              r"\(db migration\)\nblocked 0 unsafe request\(s\); allowed "
                              r"prefixes: /api/webhooks/\n$")
        self.assertBlocked(self.send(gh, "DELETE", "/orders"))
        rc, out, err = self.ctl(*where, "read-only", "status")
        self.assertEqual(rc, 0, err)
        self.assertIn("blocked 1 unsafe request(s)", out)
        rc, out, err = self.ctl(*where, "--json", "read-only", "status")
        self.assertEqual((rc, json.loads(out)["enabled"]), (0, True), (out, err))
        rc, out, err = self.ctl(*where, "read-only", "status", "--json")
        self.assertEqual((rc, json.loads(out)["reason"]), (0, "db migration"), (out, err))
        rc, out, err = self.ctl(*where, "status")
        self.assertRegex(out, r"read-only\s+on since \S+Z \(db migration\)\n")
        rc, out, err = self.ctl(*where, "read-only", "off")
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("read-only: off since "), out)
        self.assertWritesFlow(gh)

    def test_refusals_exit_1_and_usage_errors_exit_2(self):
        gh, admin = self.start_ro()
        bad_token = self.write("bad.token", "not-the-token\n")
        rc, out, err = self.ctl("--admin", admin.url, "--token-file", bad_token,
                                "read-only", "on")
        self.assertEqual(rc, 1, (out, err))
        self.assertIn("gatehouse ctl read-only on: 401", err)
        self.assertFalse(admin.get("/read-only").json()["enabled"])
        for args in (["read-only"], ["read-only", "maybe"], ["read-only", "on", "--bogus"],
                     ["read-only", "on", "--reason"]):
            rc, out, err = self.ctl("-c", gh.config_path, *args)
            self.assertEqual(rc, 2, (args, out, err))
        self.assertFalse(admin.get("/read-only").json()["enabled"])


class DbMigrationExampleTest(ReadOnlyCase):
    """examples/db-migration: the config checks, and migrate.sh runs a command read-only."""

    SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples",
                          "db-migration", "migrate.sh")
    # What the "migration" sees: a POST blocked with 503 (exit 0), else exit 3.
    PROBE = ("import http.client, sys\n"
             "c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]), timeout=10)\n"
             "c.request('POST', '/orders', body=b'x')\n"
             "sys.exit(0 if c.getresponse().status == 503 else 3)\n")

    def migrate(self, gh, *command):
        env = dict(os.environ, GATEHOUSE_BIN=gatehouse_bin())
        env.pop("GATEHOUSE_ADMIN_TOKEN", None)
        p = subprocess.run([self.SCRIPT, "-c", gh.config_path, "--reason", "schema v42", "--"]
                           + list(command), capture_output=True, timeout=60, env=env,
                           stdin=subprocess.DEVNULL, preexec_fn=_set_pdeathsig)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def test_the_example_config_checks(self):
        example = os.path.join(os.path.dirname(self.SCRIPT), "gatehouse.yaml")
        p = subprocess.run([gatehouse_bin(), "check", "-c", example], capture_output=True,
                           timeout=30, env=dict(os.environ, GATEHOUSE_ADMIN_TOKEN="example"))
        self.assertEqual(p.returncode, 0, p)

    def test_migrate_sh_runs_the_command_read_only_and_switches_off_after(self):
        gh, admin = self.start_ro()
        rc, out, err = self.migrate(gh, "/usr/bin/python3", "-c", self.PROBE, str(gh.port))
        self.assertEqual(rc, 0, (out, err))
        self.assertIn("read-only: ON since", out)
        self.assertIn("(schema v42)", out)
        self.assertFalse(admin.get("/read-only").json()["enabled"])
        self.assertWritesFlow(gh)
        # A failing migration: its exit code, and read-only is off again all the same.
        rc, out, err = self.migrate(gh, "/bin/sh", "-c", "exit 7")
        self.assertEqual(rc, 7, (out, err))
        self.assertIn("the migration failed (exit 7)", err)
        self.assertFalse(admin.get("/read-only").json()["enabled"])


class ReadOnlyMetricsTest(ReadOnlyCase):
    def test_metrics_show_the_mode_and_the_blocked_requests(self):
        gh, admin = self.start_ro()
        self.assertEqual(self.put(admin, {"enabled": True, "reason": "db"}).status, 200)
        for method in UNSAFE:
            self.assertBlocked(self.send(gh, method, "/orders", body=b"x"))
        self.send(gh, "GET", "/page", [("Cookie", "a=b")])
        text = admin.get("/metrics").text
        families = parse_prometheus(text)
        self.assertEqual(families["gatehouse_read_only"].value(), 1)
        self.assertEqual(families["gatehouse_read_only_blocked_total"].value(), 4)
        self.assertEqual(families["gatehouse_read_only_anonymized_total"].value(), 1)
        self.assertEqual(families["gatehouse_read_only_set_cookie_dropped_total"].value(), 1)
        self.assertGreater(families["gatehouse_read_only_since_timestamp_seconds"].value(), 1.7e9)
        if text_string_to_metric_families is None:
            self.skipTest("python3-prometheus-client is not installed")
        parsed = {f.name: f for f in text_string_to_metric_families(text)}
        # prometheus_client drops the _total suffix from counter family names.
        self.assertEqual(parsed["gatehouse_read_only"].type, "gauge")
        self.assertEqual(parsed["gatehouse_read_only_blocked"].type, "counter")
        blocked = [s for s in parsed["gatehouse_read_only_blocked"].samples
                   if s.name == "gatehouse_read_only_blocked_total"]
        self.assertEqual([s.value for s in blocked], [4.0])


if __name__ == "__main__":
    unittest.main()
