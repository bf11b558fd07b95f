"""Issue 17: the status page in a real browser. Headless Chromium (driven over the DevTools
protocol, tests/support/browser.py) loads GET / on the admin listener, logs in with the admin
token (an HttpOnly session cookie, never the token in a URL or in reach of scripts), shows the
numbers /status and /backends give, switches read-only mode and drains a server with its
buttons, and leaves a screenshot in the build folder (artifacts/status_page.png).

Labelled `browser` as well as `integration`: without chromium and python3-websocket it is
skipped, loudly (`ctest -LE browser` leaves it out on purpose)."""

import json
import os
import sys
import time
import unittest

from admin_support import AdminCase
from backend_support import BackendCase, fast_health, get
from browser import Browser
from gatehouse_process import gatehouse_bin, pool

MISSING = Browser.missing()
if MISSING:
    sys.stderr.write("\n" + "!" * 78 + "\nSKIPPING the status page browser test: %s is not "
                     "installed.\n" % MISSING + "!" * 78 + "\n\n")


def artifacts_dir():
    d = os.path.join(os.path.dirname(os.path.abspath(gatehouse_bin())), "artifacts")
    os.makedirs(d, exist_ok=True)
    return d


@unittest.skipIf(MISSING, "status page test needs %s" % MISSING)
class StatusPageTest(BackendCase):
    def wait_until(self, fn, what, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not fn():
            self.assertLess(time.monotonic(), deadline, "never: " + what)
            time.sleep(0.02)

    def test_login_numbers_read_only_switch_and_drain_button(self):
        a1, a2 = self.origin("a1"), self.origin("a2")
        gh, admin = self.start_with_admin(
            [a1, a2], backends={"app": pool([a1, a2], health=fast_health())},
            cache={"memory": "8MiB"})
        for _ in range(10):
            self.assertEqual(get(gh.port, "/hello")[0], 200)
        page = "http://127.0.0.1:%d/" % admin.port
        with Browser(self.tmp) as b:
            b.navigate(page)
            # Not logged in: the page asks for the token and shows no data.
            b.wait_for("!document.getElementById('login').hidden")
            self.assertTrue(b.evaluate("document.getElementById('app').hidden"))
            b.evaluate("document.getElementById('token').value = %s" % json.dumps("wrong"))
            b.evaluate("document.getElementById('login-form').requestSubmit()")
            b.wait_for("document.getElementById('login-error').textContent != ''")
            b.evaluate("document.getElementById('token').value = %s" % json.dumps(admin.token))
            b.evaluate("document.getElementById('login-form').requestSubmit()")
            try:
                b.wait_for("!document.getElementById('app').hidden && "
                           "document.querySelector('[data-server=\"app/a1\"]')")
            except AssertionError:
                self.fail(self.diag("the page after login: " + json.dumps(b.evaluate(
                    "({updated: document.getElementById('updated').textContent, "
                    "error: document.getElementById('login-error').textContent, "
                    "app: !document.getElementById('app').hidden})"))))
            # The session is an HttpOnly cookie: scripts cannot read it; the URL has no token.
            self.assertNotIn("gatehouse_session", b.evaluate("document.cookie"))
            self.assertEqual(b.evaluate("location.href"), page)

            # The numbers are /status's and /backends'.
            status = admin.get("/status").json()
            self.assertEqual(b.evaluate("document.getElementById('version').textContent"),
                             "v" + status["version"])
            self.assertEqual(b.evaluate("document.getElementById('ro-state').textContent"), "off")
            # The page and /backends are two snapshots: a health check may land between them,
            # or fail once (both happened under ASan on a busy machine), so they are compared
            # until they agree with both servers up, a bounded number of times (the page
            # refreshes itself every 2 s).
            for _ in range(40):
                cells = b.evaluate("""Array.from(document.querySelectorAll('[data-server]')).map(
                    r => [r.dataset.server, r.querySelector('[data-field=state]').textContent,
                          r.querySelector('[data-field=health]').textContent,
                          r.querySelector('[data-field=in_flight]').textContent])""")
                servers = [("app/" + s["name"], "up" if s["health"] == "up" else "down",
                            s["health"], str(s["in_flight"]))
                           for s in admin.get("/backends/app").json()["servers"]]
                if [tuple(c) for c in cells] == servers and all(c[1] == "up" for c in servers):
                    break
                time.sleep(0.25)
            self.assertEqual([tuple(c) for c in cells], servers)
            self.assertEqual(b.evaluate("document.querySelector('[data-pool=app] "
                                        "[data-field=pool-status]').textContent"),
                             "serving (2 of 2 up)")
            self.assertEqual(b.evaluate("document.getElementById('objects').textContent"),
                             str(admin.get("/status").json()["cache"]["objects"]))

            # The read-only switch asks for confirmation, then switches.
            b.click("#ro-toggle")
            self.assertEqual(len(b.dialogs()), 1)
            self.wait_until(lambda: admin.get("/read-only").json()["enabled"], "read-only on")
            b.wait_for("document.getElementById('ro-state').textContent == 'ON'")
            b.click("#ro-toggle")
            self.wait_until(lambda: not admin.get("/read-only").json()["enabled"],
                            "read-only off")

            # The drain button of app/a1 drains it.
            b.click("[data-server='app/a1'] [data-action=drain]")
            self.wait_for_server(admin, "app", "a1", state="drain")
            b.wait_for("document.querySelector(\"[data-server='app/a1'] [data-field=state]\")"
                       ".textContent == 'drain'")
            self.assertRegex(gh.stderr_text(), r"admin: backend app/a1 state ready -> drain")
            b.screenshot(os.path.join(artifacts_dir(), "status_page.png"))

            # Logged out, the cookie no longer opens anything.
            b.click("#logout")
            b.wait_for("!document.getElementById('login').hidden")

        # Without the X-Gatehouse-Request header a cookie cannot change anything (CSRF).
        r = admin.request("POST", "/login", body={"token": admin.token}, token=None)
        self.assertEqual(r.status, 200, r)
        cookie = r.headers["set-cookie"].split(";")[0]
        self.assertIn("HttpOnly", r.headers["set-cookie"])
        self.assertIn("SameSite=Strict", r.headers["set-cookie"])
        r = admin.request("GET", "/status", token=None, headers={"Cookie": cookie})
        self.assertEqual(r.status, 200, r)
        r = admin.request("PUT", "/read-only", body={"enabled": True}, token=None,
                          headers={"Cookie": cookie})
        self.assertEqual(r.status, 403, r)
        self.assertFalse(admin.get("/read-only").json()["enabled"])


if __name__ == "__main__":
    unittest.main()
