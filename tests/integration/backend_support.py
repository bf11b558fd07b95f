"""Shared by health_test.py, drain_test.py and rolling_deploy_test.py: a gatehouse with an admin
API in front of several origins, a keep-alive client, `gatehouse ctl`, and LoadLoop, a client
that sends requests back to back for as long as a test runs and records every outcome.

    gh, admin = self.start_with_admin([a1, a2], backends={"app": pool([a1, a2], health=...)})
    self.wait_for_server(admin, "app", "a2", health="down", timeout=3)
    with LoadLoop(gh.port) as load: ... ; load.stop(); load.assert_all_ok(self)
"""

import http.client
import os
import subprocess
import threading
import time

from admin_support import AdminCase
from gatehouse_process import _set_pdeathsig, gatehouse_bin


def at_least(n):
    """For wait_for_server: a counter at n or beyond."""
    return lambda value: value is not None and value >= n


def fast_health(interval="200ms", timeout="150ms", rise=2, fall=2, **extra):
    """Checks fast enough for tests (INTERFACE.md's defaults are seconds)."""
    h = {"path": "/hello", "interval": interval, "timeout": timeout, "rise": rise, "fall": fall}
    h.update(extra)
    return h


class Client:
    """One keep-alive HTTP/1.1 connection to gatehouse; reconnects only when gatehouse closed
    it cleanly between responses (as any browser does), never after a failed request."""

    def __init__(self, port, timeout=30.0):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def get(self, path, method="GET", body=None, headers=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        h = {"Host": "test.local"}
        h.update(headers or {})
        self.conn.request(method, path, body=body, headers=h)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.will_close:
            self.close()
        return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), data

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def get(port, path, **kw):
    c = Client(port)
    try:
        return c.get(path, **kw)
    finally:
        c.close()


class Ctl:
    def __init__(self, rc, out, err, seconds):
        self.rc, self.out, self.err, self.seconds = rc, out, err, seconds

    def __repr__(self):
        return "ctl rc=%d (%.2fs)\n--- stdout:\n%s--- stderr:\n%s" % (self.rc, self.seconds,
                                                                     self.out, self.err)


class LoadLoop:
    """`threads` clients, each sending GET `path` in a loop on a keep-alive connection until
    stop(). Every response and every connection error is recorded; nothing is retried. A
    connection that gatehouse closes cleanly after a complete response (Connection: close) is
    reopened, as a browser would."""

    def __init__(self, port, path="/hello", threads=4):
        self.port = port
        self.path = path
        self.statuses = {}
        self.origins = {}
        self.errors = []
        self.count = 0
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def __enter__(self):
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _run(self):
        c = Client(self.port)
        while not self._stop.is_set():
            try:
                status, headers, _ = c.get(self.path)
                with self._lock:
                    self.count += 1
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                    o = headers.get("x-origin", "?")
                    self.origins[o] = self.origins.get(o, 0) + 1
            except (OSError, http.client.HTTPException) as e:
                with self._lock:
                    self.errors.append("%.3f %r" % (time.monotonic(), e))
                c.close()
        c.close()

    def wait_for_count(self, n, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.count >= n:
                    return True
            time.sleep(0.01)
        return False

    def stop(self, timeout=30.0):
        self._stop.set()
        for t in self._threads:
            t.join(timeout)

    def summary(self):
        with self._lock:
            return "requests %d, statuses %r, origins %r, errors %d %r" % (
                self.count, self.statuses, self.origins, len(self.errors), self.errors[:5])

    def assert_all_ok(self, case, extra=""):
        with self._lock:
            bad = {s: n for s, n in self.statuses.items() if not 200 <= s < 300}
            case.assertEqual((bad, self.errors), ({}, []), case.diag(self.summary(), extra))
            case.assertGreater(self.count, 0)


class BackendCase(AdminCase):
    def keepalive(self, gh):
        """A keep-alive Client to gh, closed at the end of the test."""
        c = Client(gh.port)
        self.addCleanup(c.close)
        return c

    def ctl(self, admin, *args, timeout=60):
        e = {k: v for k, v in os.environ.items() if k != "GATEHOUSE_ADMIN_TOKEN"}
        start = time.monotonic()
        p = subprocess.run([gatehouse_bin(), "ctl", "--admin", admin.url, "--token-file",
                            admin.token_file] + list(args), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout, env=e, preexec_fn=_set_pdeathsig)
        return Ctl(p.returncode, p.stdout.decode("utf-8", "replace"),
                   p.stderr.decode("utf-8", "replace"), time.monotonic() - start)

    def server(self, admin, pool, name):
        r = admin.get("/backends/%s/%s" % (pool, name))
        self.assertEqual(r.status, 200, r)
        return r.json()

    def wait_for_server(self, admin, pool, name, timeout=5.0, **want):
        """Polls GET /backends/POOL/SERVER until its fields match `want` (a value, or a predicate
        such as at_least(1) for a counter that may move on between two polls); the seconds it
        took."""
        start = time.monotonic()
        deadline = start + timeout
        while True:
            s = self.server(admin, pool, name)
            if all(v(s.get(k)) if callable(v) else s.get(k) == v for k, v in want.items()):
                return time.monotonic() - start
            if time.monotonic() > deadline:
                self.fail(self.diag("%s/%s never matched %r in %.1fs: %r" % (pool, name, want,
                                                                         timeout, s)))
            time.sleep(0.02)  # polling an API: bounded by the deadline

    def put_state(self, admin, pool, name, state):
        r = admin.request("PUT", "/backends/%s/%s" % (pool, name), body={"state": state})
        self.assertEqual(r.status, 200, r)
        return r.json()

    def put_paused(self, admin, pool, paused):
        r = admin.request("PUT", "/backends/%s" % pool, body={"paused": paused})
        self.assertEqual(r.status, 200, r)
        return r.json()
