"""Certificate reload on SIGHUP: new handshakes get the new chain within 2 s while a download
that started before goes on intact; a reload that fails (bad YAML, a bad certificate, a key that
does not match) is logged with the file named and changes nothing.

GATEHOUSE_RELOAD_BYTES sets the size of the long download (default 512 MiB).
"""

import os
import re
import shutil
import signal
import tempfile
import threading
import time
import unittest

from gatehouse_process import base_config, free_port, to_yaml
from integration_case import IntegrationCase, MiB
from raw_client import request
from test_origin import PatternChecker
from tls_material import curl, missing_tools, s_client, test_pki, tls_client, tls_listener

LONG_BYTES = int(os.environ.get("GATEHOUSE_RELOAD_BYTES", str(512 * MiB)))
SWAP_DEADLINE = 2.0


class TlsReloadTest(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if missing_tools("openssl"):
            raise unittest.SkipTest("openssl CLI not installed (needed for the test PKI)")
        cls.pki = test_pki()
        # A second chain for a.test (new key, new serial): what the operator deploys.
        cls.a_new = cls.pki.issue("a-renewed", ["a.test", "*.wild.test"], key_type="ec")

    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")
        # The files gatehouse reads, in a dir of this test: the test replaces them.
        self.dir = tempfile.mkdtemp(prefix="gatehouse-reload-certs-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.cert = os.path.join(self.dir, "site.pem")
        self.key = os.path.join(self.dir, "site.key")
        self.install(self.pki.a)

    def install(self, leaf):
        """Put leaf's cert and key at the configured paths, each by an atomic rename (as a
        deploy tool does, so gatehouse never reads half a file)."""
        for src, dst in ((leaf.cert, self.cert), (leaf.key, self.key)):
            tmp = dst + ".tmp"
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)

    def start(self, **overrides):
        self.port = free_port()
        listener = tls_listener(self.port, [{"cert": self.cert, "key": self.key}])
        self.cfg = base_config([self.a1], workers=2, listeners=[listener], **overrides)
        self.gh = self.gatehouse(self.cfg)
        return self.gh

    def serial(self):
        h = s_client(self.port, servername="a.test", cafile=self.pki.ca)
        return h.serial, h

    def wait_for_serial(self, want, timeout):
        """(seconds it took, last Handshake) once a new handshake shows serial `want`;
        (None, last) at the deadline."""
        started = time.monotonic()
        deadline = started + timeout
        while True:
            serial, h = self.serial()
            if serial == want:
                return time.monotonic() - started, h
            if time.monotonic() > deadline:
                return None, h
            time.sleep(0.05)  # poll interval, bounded by the deadline

    def wait_for_stderr(self, pattern, timeout=5.0):
        """The first match of regex pattern in gatehouse's stderr, or None at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.gh.stderr_text(), re.M)
            if m or time.monotonic() > deadline:
                return m
            time.sleep(0.05)  # poll interval, bounded by the deadline

    def assertServesWith(self, leaf, what):
        serial, h = self.serial()
        self.assertEqual(serial, leaf.serial, self.diag("%s: handshake shows serial %X, want %X"
                                                        % (what, serial or 0, leaf.serial), h))
        r = curl(self.port, "/hello", cafile=self.pki.ca, http="--http2")
        self.assertEqual((r.rc, r.status, r.body), (0, 200, b"hello"), self.diag(what, r))

    # -------------------------------------------------------------------------------------------
    def test_new_chain_after_sighup_while_a_long_download_continues(self):
        self.start()
        self.assertServesWith(self.pki.a, "before the reload")
        # An established keep-alive connection, idle across the reload.
        idle = tls_client(self.port, "a.test", self.pki.ca)
        self.addCleanup(idle.close)
        self.assertEqual(idle.get("/hello", host="a.test").status, 200)

        # The long download: read slowly until the reload is done, then at full speed.
        c = tls_client(self.port, "a.test", self.pki.ca, rcvbuf=256 * 1024)
        self.addCleanup(c.close)
        c.send(request("GET", "/bytes?n=%d" % LONG_BYTES, host="a.test"))
        head = c.read_head(timeout=10)
        self.assertStatus(head, 200)
        self.assertEqual(head.header("content-length"), str(LONG_BYTES), self.diag(head))
        checker = PatternChecker()
        fast = threading.Event()
        result = {}

        def download():
            left = LONG_BYTES
            while left and not fast.is_set():
                take = min(left, 128 * 1024)
                c.read_body(take, timeout=30, sink=checker.feed)
                left -= take
                fast.wait(0.02)  # the slow phase: ~6 MiB/s, so the transfer spans the reload
            c.read_body(left, timeout=30 + left / (10 * MiB), sink=checker.feed)
            result["done"] = time.monotonic()

        threads, _, errors = self.run_threads([download])
        self.assertTrue(self._wait(lambda: checker.count >= 2 * MiB, 10),
                        self.diag("download not started: %d bytes" % checker.count))

        self.install(self.a_new)
        sent = time.monotonic()
        self.gh.send_signal(signal.SIGHUP)
        took, h = self.wait_for_serial(self.a_new.serial, SWAP_DEADLINE)
        at_swap = checker.count
        self.assertIsNotNone(took, self.diag("new handshakes still show serial %X %.1fs after SIGHUP"
                                             % (h.serial or 0, time.monotonic() - sent), h))
        self.assertEqual(h.verify_code, 0, self.diag(h))
        self.assertLess(at_swap, LONG_BYTES, "the download ended before the swap: make it bigger")
        self.assertServesWith(self.a_new, "after the reload")

        # Established connections keep going: the idle one serves another request...
        r = idle.get("/hello", host="a.test")
        self.assertEqual((r.status, r.body), (200, b"hello"), self.diag(r))
        # ...and the download finishes intact.
        fast.set()
        self.join_threads(threads, 60 + LONG_BYTES / (10 * MiB))
        self.assertEqual(errors, [None], self.diag(errors, "%d bytes read" % checker.count))
        self.assertEqual((checker.count, checker.ok), (LONG_BYTES, True),
                         self.diag("first mismatch at %s" % checker.first_mismatch))
        print("\n  new serial after %.2fs; download at %d MiB then, %d MiB in all"
              % (took, at_swap // MiB, checker.count // MiB))

    def test_config_change_to_another_chain(self):
        self.start()
        self.assertServesWith(self.pki.a, "before")
        # The config gains a second chain (b.test); the first stays the default.
        self.cfg["listeners"][0]["tls"]["certificates"].append(self.pki.b.files())
        with open(self.gh.config_path, "w") as f:
            f.write(to_yaml(self.cfg))
        self.gh.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + SWAP_DEADLINE
        h = s_client(self.port, servername="b.test", cafile=self.pki.ca)
        while h.subject != "CN=b.test" and time.monotonic() < deadline:
            time.sleep(0.05)  # poll interval, bounded by the deadline
            h = s_client(self.port, servername="b.test", cafile=self.pki.ca)
        self.assertEqual(h.subject, "CN=b.test", self.diag("the added chain is not served", h))
        self.assertServesWith(self.pki.a, "a.test after adding b")

    def test_bad_yaml_on_sighup_keeps_the_old_config_and_names_file_line_col(self):
        self.start()
        good = self.gh.yaml
        lines = good.splitlines()
        bad_line = next(i for i, l in enumerate(lines) if l.startswith("backends:")) + 2
        lines.insert(bad_line - 1, "  oops: [unclosed, {")
        self.install(self.a_new)  # would be visible if the broken reload applied anything
        with open(self.gh.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.gh.send_signal(signal.SIGHUP)
        m = self.wait_for_stderr(re.escape(self.gh.config_path) + r":(\d+):(\d+):")
        self.assertTrue(m, self.diag("no FILE:LINE:COL error for the broken config on SIGHUP"))
        self.assertGreaterEqual(int(m.group(1)), bad_line, self.diag(m.group(0)))
        self.assertTrue(self.gh.is_running(), self.diag("gatehouse exited on a bad reload"))
        self.assertServesWith(self.pki.a, "after a failed reload")
        # Fixed and reloaded again: now the renewed chain is picked up.
        with open(self.gh.config_path, "w") as f:
            f.write(good)
        self.gh.send_signal(signal.SIGHUP)
        took, h = self.wait_for_serial(self.a_new.serial, SWAP_DEADLINE)
        self.assertIsNotNone(took, self.diag("reload after fixing the config did not apply", h))

    def test_bad_certificate_on_sighup_keeps_the_old_chain_and_names_the_file(self):
        self.start()
        with open(self.cert + ".tmp", "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n")
        os.replace(self.cert + ".tmp", self.cert)
        self.gh.send_signal(signal.SIGHUP)
        m = self.wait_for_stderr(re.escape(self.cert))
        self.assertTrue(m, self.diag("no error naming %s after SIGHUP" % self.cert))
        self.assertTrue(self.gh.is_running(), self.diag("gatehouse exited on a bad certificate"))
        self.assertServesWith(self.pki.a, "after a reload with a broken certificate")

    def test_mismatched_key_on_sighup_keeps_the_old_chain_and_names_the_key(self):
        self.start()
        shutil.copyfile(self.pki.mismatched_key, self.key + ".tmp")
        os.replace(self.key + ".tmp", self.key)
        self.gh.send_signal(signal.SIGHUP)
        m = self.wait_for_stderr(re.escape(self.key))
        self.assertTrue(m, self.diag("no error naming %s after SIGHUP" % self.key))
        self.assertServesWith(self.pki.a, "after a reload with a key that does not match")

    def test_sessions_resume_across_a_reload(self):
        """Ticket keys are process-wide and rotate on their 12 h clock, not on SIGHUP: a session
        from before a reload (same certificate) still resumes after it."""
        self.start()
        sess = os.path.join(self.dir, "session.pem")
        req = request("GET", "/hello", [("Connection", "close")], host="a.test")
        first = s_client(self.port, servername="a.test", cafile=self.pki.ca, sess_out=sess, request=req)
        self.assertEqual((first.protocol, first.reused), ("TLSv1.3", False), self.diag(first))
        self.gh.send_signal(signal.SIGHUP)
        self.assertTrue(self.wait_for_stderr(r"\breloaded\b", timeout=5),
                        self.diag("no 'reloaded' line after SIGHUP"))
        again = s_client(self.port, servername="a.test", cafile=self.pki.ca, sess_in=sess, request=req)
        self.assertTrue(again.reused, self.diag("a session from before SIGHUP was not resumed", again))

    def test_many_reloads_under_load_do_not_leak_or_break(self):
        """20 SIGHUPs while h2 requests run: every request succeeds, no file descriptors leak."""
        self.start()
        fds_before = len(os.listdir("/proc/%d/fd" % self.gh.pid))
        stop = threading.Event()
        failures = []
        done = [0]

        def load():
            while not stop.is_set():
                r = curl(self.port, "/hello", cafile=self.pki.ca, http="--http2", timeout=10)
                if (r.rc, r.status) != (0, 200):
                    failures.append(r)
                done[0] += 1

        threads, _, errors = self.run_threads([load])
        for i in range(20):
            self.install(self.a_new if i % 2 == 0 else self.pki.a)
            self.gh.send_signal(signal.SIGHUP)
            time.sleep(0.1)  # spacing between reloads is the point of the test
        self.install(self.a_new)
        self.gh.send_signal(signal.SIGHUP)
        took, h = self.wait_for_serial(self.a_new.serial, SWAP_DEADLINE)
        stop.set()
        self.join_threads(threads, 20)
        self.assertEqual(errors, [None], self.diag(errors))
        self.assertEqual(failures, [], self.diag(*failures[:3]))
        self.assertIsNotNone(took, self.diag("last reload not applied", h))
        self.assertTrue(self.gh.is_running(), self.diag())
        fds_after = len(os.listdir("/proc/%d/fd" % self.gh.pid))
        self.assertLess(fds_after, fds_before + 10, self.diag("fds %d -> %d after 21 reloads (%d requests)"
                                                             % (fds_before, fds_after, done[0])))

    def _wait(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)  # poll interval, bounded by the deadline
        return True


if __name__ == "__main__":
    unittest.main()
