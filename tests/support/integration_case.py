"""IntegrationCase: the unittest base class of tests/integration.

It owns what a test starts (origins, gatehouse processes, clients) and stops it on teardown,
even on failure; on failure it prints each gatehouse's diagnostics (config, stderr tail,
access log tail) so the ctest log says why. A stack dump is printed if a test hangs.
"""

import faulthandler
import os
import signal
import sys
import threading
import time
import unittest

from gatehouse_process import GatehouseProcess, base_config, gatehouse_bin
from raw_client import RawClient
from test_origin import RefusingPort, SilentOrigin, TestOrigin

GiB = 1024 ** 3
MiB = 1024 ** 2
KiB = 1024
HANG_DUMP_SECONDS = 120
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer")


def big_bytes():
    """Size of the big streaming tests: env GATEHOUSE_BIG_BYTES, default 1 GiB."""
    return int(os.environ.get("GATEHOUSE_BIG_BYTES", str(GiB)))


def sanitizer_report(gh):
    """Stops gatehouse gently (so an ASan build can report leaks at exit); the sanitizer report
    on its stderr, or None."""
    if gh.is_running():
        gh.send_signal(signal.SIGTERM)
        if gh.wait(timeout=3) is None:
            gh.kill()
    text = gh.stderr_text()
    for marker in SANITIZER_MARKERS:
        if marker in text:
            start = text.index(marker)
            return "sanitizer report in gatehouse stderr:\n%s" % text[max(0, start - 200):start + 6000]
    return None


class IntegrationCase(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(gatehouse_bin()):
            raise unittest.SkipTest("no gatehouse binary at %s (set GATEHOUSE_BIN)" % gatehouse_bin())

    def setUp(self):
        self._gatehouses = list(getattr(type(self), "_class_gatehouses", []))
        faulthandler.dump_traceback_later(HANG_DUMP_SECONDS, exit=False, file=sys.stderr)
        self.addCleanup(faulthandler.cancel_dump_traceback_later)

    # -- things a test starts ---------------------------------------------------------------
    def origin(self, name="a1", **kw):
        o = TestOrigin(name=name, **kw)
        self.addCleanup(o.stop)
        return o

    def silent_origin(self):
        o = SilentOrigin()
        self.addCleanup(o.stop)
        return o

    def refusing_port(self):
        r = RefusingPort()
        self.addCleanup(r.close)
        return r

    def gatehouse(self, config, **kw):
        gh = GatehouseProcess(config, start=False, **kw)
        self.addCleanup(gh.close)
        self.addCleanup(self._check_sanitizers, gh)  # cleanups are LIFO: these run before close
        self.addCleanup(self._dump_if_failed, gh)
        self._gatehouses.append(gh)
        gh.start()
        return gh

    # -- one gatehouse for a whole class (suites of many small cases) ---------------------
    @classmethod
    def class_origin(cls, name="a1", **kw):
        o = TestOrigin(name=name, **kw)
        cls.addClassCleanup(o.stop)
        return o

    @classmethod
    def class_gatehouse(cls, config, **kw):
        """A gatehouse shared by every test of the class (started now, stopped after the last
        one); each test's diagnostics include it, and a sanitizer report fails the class."""
        gh = GatehouseProcess(config, start=False, **kw)
        cls.addClassCleanup(gh.close)
        cls.addClassCleanup(cls._check_class_sanitizers, gh)
        cls._class_gatehouses = getattr(cls, "_class_gatehouses", []) + [gh]
        gh.start()
        return gh

    @staticmethod
    def _check_class_sanitizers(gh):
        report = sanitizer_report(gh)
        if report:
            raise AssertionError(report)

    def start(self, servers, **overrides):
        """base_config(servers, **overrides), started."""
        return self.gatehouse(base_config(servers, **overrides))

    def client(self, gh_or_port, **kw):
        port = gh_or_port if isinstance(gh_or_port, int) else gh_or_port.port
        c = RawClient(port, **kw)
        self.addCleanup(c.close)
        return c

    # -- diagnostics ------------------------------------------------------------------------
    def diag(self, *extra):
        """Text for assertion messages: the extras, then every gatehouse's diagnostics."""
        parts = [str(e) for e in extra]
        parts += [gh.diagnostics(lines=25) for gh in self._gatehouses]
        return "\n" + "\n".join(parts)

    def _failed(self):
        outcome = getattr(self, "_outcome", None)
        return outcome is not None and not getattr(outcome, "success", True)

    def _dump_if_failed(self, gh):
        if self._failed():
            sys.stderr.write("\n=== %s failed; gatehouse diagnostics:\n%s\n" % (self.id(), gh.diagnostics()))

    def _check_sanitizers(self, gh):
        report = sanitizer_report(gh)
        if report:
            self.fail(report)

    # -- assertions -------------------------------------------------------------------------
    def assertStatus(self, resp, status, *extra):
        statuses = status if isinstance(status, (set, tuple, list)) else (status,)
        self.assertIn(resp.status, statuses, self.diag("response: %r" % resp, *extra))

    def run_threads(self, fns):
        """Start each fn on its own thread: (threads, results, errors), filled in as they end.
        Pair with join_threads(threads, timeout)."""
        results = [None] * len(fns)
        errors = [None] * len(fns)

        def wrap(i, fn):
            try:
                results[i] = fn()
            except BaseException as e:  # reported below
                errors[i] = e

        threads = [threading.Thread(target=wrap, args=(i, fn), daemon=True) for i, fn in enumerate(fns)]
        for t in threads:
            t.start()
        return threads, results, errors

    def join_threads(self, threads, timeout):
        deadline = time.monotonic() + timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        alive = [t for t in threads if t.is_alive()]
        self.assertFalse(alive, self.diag("%d client threads still running after %.1fs" % (len(alive), timeout)))
