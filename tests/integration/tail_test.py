"""Issue 17: `ctl tail` and `ctl top` read the running process's access entries from the admin
API (GET /tail, JSON lines), filtered by status, path, server and cache outcome, without touching
the log files; a tail costs nothing while nobody listens (gatehouse_tail_listeners)."""

import json
import os
import subprocess
import time
import unittest

from admin_support import parse_prometheus
from backend_support import BackendCase, get
from gatehouse_process import _set_pdeathsig, gatehouse_bin, pool


class TailTest(BackendCase):
    def start(self):
        a1, a2 = self.origin("a1"), self.origin("a2")
        gh, admin = self.start_with_admin([a1, a2], backends={"app": pool([a1, a2])},
                                          log={"access": "off"})
        return gh, admin

    def spawn(self, admin, *args):
        e = {k: v for k, v in os.environ.items() if k != "GATEHOUSE_ADMIN_TOKEN"}
        p = subprocess.Popen([gatehouse_bin(), "ctl", "--admin", admin.url, "--token-file",
                              admin.token_file] + list(args), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e,
                             preexec_fn=_set_pdeathsig)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        return p

    def listeners(self, admin):
        return parse_prometheus(admin.get("/metrics").text)["gatehouse_tail_listeners"].value()

    def wait_listening(self, admin, n=1):
        deadline = time.monotonic() + 10
        while self.listeners(admin) != n:
            self.assertLess(time.monotonic(), deadline, "never %d tail listener(s)" % n)
            time.sleep(0.02)

    def test_tail_streams_only_the_filtered_entries(self):
        gh, admin = self.start()
        self.assertEqual(self.listeners(admin), 0)
        p = self.spawn(admin, "tail", "--filter", "status>=500", "--count", "2", "--json")
        self.wait_listening(admin)
        for path in ("/hello", "/status?code=503", "/hello", "/status?code=502", "/hello"):
            get(gh.port, path)
        out, err = p.communicate(timeout=20)
        self.assertEqual(p.returncode, 0, err)
        lines = [json.loads(l) for l in out.decode().splitlines()]
        self.assertEqual([(l["status"], l["target"]) for l in lines],
                         [(503, "/status?code=503"), (502, "/status?code=502")], out)
        self.assertEqual(lines[0]["method"], "GET")
        self.assertIn(lines[0]["server"], ("app/a1", "app/a2"))
        self.assertGreaterEqual(lines[0]["ms"], 0)
        # The tail left: the tap is off again.
        self.wait_listening(admin, 0)

    def test_tail_by_path_and_server_for_people(self):
        gh, admin = self.start()
        p = self.spawn(admin, "tail", "--path", "/api/", "--server", "app/a1", "--count", "3")
        self.wait_listening(admin)
        c = self.keepalive(gh)
        deadline = time.monotonic() + 20
        while p.poll() is None and time.monotonic() < deadline:
            c.get("/api/x")
            c.get("/other")
            time.sleep(0.01)
        out, err = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 0, err)
        lines = out.decode().splitlines()
        self.assertEqual(len(lines), 3, out)
        for line in lines:
            self.assertRegex(line, r"^\d\d:\d\d:\d\d 127\.0\.0\.1 GET test\.local/api/x \d+ \d+B "
                                   r"[\d.]+ms app/a1 -$")

    def test_top_counts_the_busiest_urls_clients_and_servers(self):
        gh, admin = self.start()
        p = self.spawn(admin, "top", "--for", "3s")
        self.wait_listening(admin)
        c = self.keepalive(gh)
        for i in range(30):
            c.get("/busy")
            if i % 3 == 0:
                c.get("/quiet")
        out, err = p.communicate(timeout=20)
        self.assertEqual(p.returncode, 0, err)
        text = out.decode()
        urls = text.split("URL")[1].split("CLIENT")[0]
        self.assertLess(urls.index("test.local/busy"), urls.index("test.local/quiet"), text)
        self.assertIn("127.0.0.1", text)
        self.assertIn("app/a1", text)

    def test_a_bad_filter_is_refused(self):
        gh, admin = self.start()
        r = subprocess.run([gatehouse_bin(), "ctl", "--admin", admin.url, "--token-file",
                            admin.token_file, "tail", "--filter", "status>>5"],
                           capture_output=True, timeout=20)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(b"status", r.stderr)
        self.assertEqual(admin.get("/tail?color=red").status, 400)


if __name__ == "__main__":
    unittest.main()
