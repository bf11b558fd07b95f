"""POST /reload and `ctl reload` with configs the running process cannot take: the old config
keeps serving, and the answer says FILE:LINE:COL: key: why, also for a changed listener (which
needs a restart)."""

import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from admin_support import AdminCase
from gatehouse_process import _set_pdeathsig, free_port, free_ports, gatehouse_bin
from raw_client import request


class ReloadTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")

    def assertStillServing(self, gh, admin):
        self.assertEqual(self.client(gh).get("/hello").status, 200, self.diag())
        self.assertIsNone(admin.get("/status").json()["last_reload"])

    def test_a_sighup_while_starting_does_not_kill_the_server(self):
        # SIGHUPs sent from the first log line on, while the server still binds (40 listeners
        # make that take a while): before the fix, the default action killed it every time.
        ports = free_ports(40)
        path = os.path.join(tempfile.mkdtemp(dir=self.tmp), "gatehouse.yaml")
        with open(path, "w") as f:
            f.write("workers: 2\nlisteners:\n"
                    + "".join('  - { address: "127.0.0.1:%d" }\n' % p for p in ports)
                    + 'backends:\n  app:\n    servers: [ { name: a1, address: "%s" } ]\n'
                    % self.a1.address
                    + 'routes: [ { host: "*", path_prefix: /, backend: app } ]\n'
                    + "log: { level: info }\n")
        p = subprocess.Popen([gatehouse_bin(), "run", "-c", path], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             preexec_fn=_set_pdeathsig)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        p.stdout.readline()  # the server is in main(): from here on a SIGHUP is its business
        for _ in range(200):
            if p.poll() is not None:
                break
            os.kill(p.pid, signal.SIGHUP)
            time.sleep(0.001)
        self.assertIsNone(p.poll(), "gatehouse died of a SIGHUP while starting")
        deadline = time.monotonic() + 10
        while True:
            try:
                s = socket.create_connection(("127.0.0.1", ports[-1]), timeout=2)
                break
            except OSError:
                self.assertLess(time.monotonic(), deadline, "never listening")
                time.sleep(0.05)
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        s.settimeout(5)
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        s.close()
        self.assertTrue(got.startswith(b"HTTP/1.1 200"), got[:200])

    def test_a_changed_listener_is_refused_pointing_at_its_line(self):
        gh, admin = self.start_with_admin([self.a1])
        cfg = dict(gh.config)
        cfg["listeners"] = [dict(cfg["listeners"][0]), {"address": "127.0.0.1:%d" % free_port()}]
        self.rewrite_config(gh, cfg)
        r = admin.post("/reload")
        self.assertEqual(r.status, 422, r)
        self.assertRegex(r.json()["error"],
                         r"^%s:\d+:\d+: listeners\[1\]: a new listener; listeners are bound at "
                         r"start: restart to apply$" % re.escape(gh.config_path))
        self.assertStillServing(gh, admin)

        cfg["listeners"] = [{"address": "127.0.0.1:%d" % free_port()}]
        self.rewrite_config(gh, cfg)
        r = admin.post("/reload")
        self.assertEqual(r.status, 422, r)
        m = re.match(r"^%s:(\d+):(\d+): listeners\[0\]: changed from 127\.0\.0\.1:%d to "
                     r"127\.0\.0\.1:\d+; listeners are bound at start: restart to apply$"
                     % (re.escape(gh.config_path), gh.port), r.json()["error"])
        self.assertTrue(m, r.json())
        with open(gh.config_path) as f:
            line = f.read().split("\n")[int(m.group(1)) - 1]
        self.assertIn("address:", line)
        self.assertStillServing(gh, admin)

    def test_a_reload_applies_new_read_only_settings_and_keeps_the_mode(self):
        page = self.write("ro.html", "<p>one</p>\n")
        gh, admin = self.start_with_admin([self.a1], read_only={"retry_after": "60s",
                                                                "page": page})
        r = admin.request("PUT", "/read-only", body={"enabled": True, "reason": "db"})
        self.assertEqual(r.status, 200, r)
        c = self.client(gh)
        c.send(request("POST", "/x", body=b"1"))
        r = c.read_response()
        self.assertEqual((r.status, r.header("retry-after"), r.body), (503, "60", b"<p>one</p>\n"))

        cfg = dict(gh.config)
        cfg["read_only"] = {"retry_after": "90s", "page": page}
        self.rewrite_config(gh, cfg)
        with open(page, "w") as f:
            f.write("<p>two</p>\n")
        self.assertEqual(admin.post("/reload").status, 200)
        c = self.client(gh)
        c.send(request("POST", "/x", body=b"1"))
        r = c.read_response()
        self.assertEqual((r.status, r.header("retry-after"), r.body), (503, "90", b"<p>two</p>\n"))
        j = admin.get("/read-only").json()
        self.assertEqual((j["enabled"], j["reason"], j["retry_after_s"]), (True, "db", 90), j)

        # A page that cannot be read is a config error: refused, and the old page stays.
        cfg["read_only"] = {"retry_after": "30s", "page": page + ".missing"}
        self.rewrite_config(gh, cfg)
        r = admin.post("/reload")
        self.assertEqual(r.status, 422, r)
        self.assertRegex(r.json()["error"], r"^%s:\d+:\d+: read_only\.page: cannot read "
                                            % re.escape(gh.config_path))
        c = self.client(gh)
        c.send(request("POST", "/x", body=b"1"))
        r = c.read_response()
        self.assertEqual((r.status, r.header("retry-after"), r.body), (503, "90", b"<p>two</p>\n"))

    def test_ctl_reload_of_a_broken_config_exits_1_with_the_errors_and_the_old_one_serves(self):
        gh, admin = self.start_with_admin([self.a1])
        cfg = dict(gh.config)
        cfg["routes"] = [{"path_prefix": "/", "backend": "nope"}]
        self.rewrite_config(gh, cfg)
        e = {k: v for k, v in os.environ.items() if k != "GATEHOUSE_ADMIN_TOKEN"}
        p = subprocess.run([gatehouse_bin(), "ctl", "--admin", admin.url, "--token-file",
                            admin.token_file, "reload"], capture_output=True, timeout=30, env=e,
                           stdin=subprocess.DEVNULL, preexec_fn=_set_pdeathsig)
        self.assertEqual(p.returncode, 1, p)
        self.assertRegex(p.stderr.decode(), r"gatehouse ctl reload: 422 [^\n]*: %s:\d+:\d+: "
                                             r"routes\[0\]\.backend: " % re.escape(gh.config_path))
        self.assertStillServing(gh, admin)


if __name__ == "__main__":
    unittest.main()
