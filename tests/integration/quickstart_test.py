"""Issue 17: the quickstart's whole front door, end to end, as its README walks through it:
`examples/quickstart/run.sh --full` starts two demo apps and gatehouse with TLS (a generated
self-signed certificate), versioned static files, the cache, read-only mode, the admin API and
the status page; then the README's curl and ctl lines work."""

import json
import os
import signal
import ssl
import subprocess
import tempfile
import shutil
import time
import unittest
import urllib.error
import urllib.request

from gatehouse_process import free_ports, gatehouse_bin

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUN = os.path.join(REPO, "examples", "quickstart", "run.sh")


def fetch(url, method="GET", headers=None, data=None, insecure=False):
    """(status, headers, body) of one request; HTTP errors are answers too."""
    ctx = ssl._create_unverified_context() if insecure else None
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


class QuickstartTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="gatehouse-qs-")
        self.addCleanup(shutil.rmtree, self.work, True)
        names = ("QS_HTTP", "QS_HTTPS", "QS_ADMIN", "QS_APP1", "QS_APP2")
        self.ports = dict(zip(names, free_ports(len(names))))
        env = dict(os.environ, QS_WORK=self.work, GATEHOUSE_BIN=gatehouse_bin(),
                   **{k: str(v) for k, v in self.ports.items()})
        self.log = open(os.path.join(self.work, "run.log"), "wb")
        self.proc = subprocess.Popen([RUN, "--full"], env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.addCleanup(self.stop)
        self.http = "http://127.0.0.1:%d" % self.ports["QS_HTTP"]
        self.https = "https://127.0.0.1:%d" % self.ports["QS_HTTPS"]
        self.admin = "http://127.0.0.1:%d" % self.ports["QS_ADMIN"]
        deadline = time.monotonic() + 30
        while True:
            try:
                if fetch(self.admin + "/healthz")[0] == 200 and \
                        fetch(self.http + "/health")[0] == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.fail("the quickstart did not come up:\n" + self.output())
            time.sleep(0.1)
        with open(os.path.join(self.work, "admin.token")) as f:
            self.token = f.read().strip()

    def output(self):
        self.log.flush()
        with open(os.path.join(self.work, "run.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # as Ctrl-C would: gatehouse and the apps
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()

    def ctl(self, *args):
        return subprocess.run([gatehouse_bin(), "ctl", "-c", os.path.join(self.work,
                               "gatehouse.yaml")] + list(args), capture_output=True, text=True,
                              timeout=30)

    def test_the_readme_walkthrough(self):
        # Balancing, over HTTP and TLS.
        served = {fetch(self.http + "/")[1].get("x-served-by") for _ in range(4)}
        self.assertEqual(served, {"app1", "app2"})
        status, headers, _ = fetch(self.https + "/", insecure=True)
        self.assertEqual(status, 200)
        self.assertIn("max-age=300", headers.get("strict-transport-security", ""))
        # The cache, visible in Cache-Status.
        first = fetch(self.http + "/api/news")[1]["cache-status"]
        second = fetch(self.http + "/api/news")[1]["cache-status"]
        self.assertIn("fwd=uri-miss", first)
        self.assertIn("hit", second)
        # Static files under content-hashed names, from the manifest gatehouse serves.
        status, _, body = fetch(self.http + "/static/manifest.json")
        self.assertEqual(status, 200, body)
        hashed = json.loads(body)["app.css"]
        self.assertRegex(hashed, r"^/static/app\.[0-9a-f]{16}\.css$")
        status, headers, _ = fetch(self.http + hashed)
        self.assertEqual(status, 200)
        self.assertIn("immutable", headers.get("cache-control", ""))
        # PURGE from this machine, by tag.
        status, _, body = fetch(self.http + "/api/news", method="PURGE",
                                headers={"xkey": "news"})
        self.assertEqual((status, json.loads(body)["purged"]), (200, 1), body)
        # ctl status, read-only on and off.
        r = self.ctl("status")
        self.assertEqual(r.returncode, 0, r)
        self.assertRegex(r.stdout, r"pool app\s+serving \(2 of 2 up\)")
        r = self.ctl("read-only", "on", "--reason", "quickstart", "--message", "Back soon")
        self.assertEqual(r.returncode, 0, r)
        status, _, body = fetch(self.http + "/api/echo", method="POST", data=b"{}",
                                headers={"Accept": "application/json"})
        self.assertEqual((status, json.loads(body)["message"]), (503, "Back soon"))
        self.assertEqual(self.ctl("read-only", "off").returncode, 0)
        status, _, _ = fetch(self.http + "/api/echo", method="POST", data=b"{}")
        self.assertEqual(status, 200)
        # The admin API and the status page.
        status, _, body = fetch(self.admin + "/backends",
                                headers={"Authorization": "Bearer " + self.token})
        self.assertEqual(status, 200)
        self.assertEqual(len(json.loads(body)["pools"][0]["servers"]), 2)
        status, headers, body = fetch(self.admin + "/")
        self.assertEqual(status, 200)
        self.assertIn(b"gatehouse status", body)


if __name__ == "__main__":
    unittest.main()
