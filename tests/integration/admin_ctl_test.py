"""`gatehouse ctl status|reload` against a running gatehouse: where it finds the admin API and
its token (--admin/--token-file, -c CONFIG, $GATEHOUSE_ADMIN_TOKEN), human and --json output,
and the exit codes: 0 done, 1 refused or failed, 2 usage."""

import json
import os
import re
import subprocess
import unittest

from admin_support import AdminCase
from gatehouse_process import _set_pdeathsig, free_port, gatehouse_bin


class Ctl:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def __repr__(self):
        return "ctl rc=%d\n--- stdout:\n%s--- stderr:\n%s" % (self.rc, self.out, self.err)


class AdminCtlTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")

    def ctl(self, *args, env=None, timeout=30):
        """gatehouse ctl ARGS with a clean environment (no $GATEHOUSE_ADMIN_TOKEN unless given)."""
        e = {k: v for k, v in os.environ.items() if k != "GATEHOUSE_ADMIN_TOKEN"}
        e.update(env or {})
        p = subprocess.run([gatehouse_bin(), "ctl"] + list(args), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout, env=e, preexec_fn=_set_pdeathsig)
        return Ctl(p.returncode, p.stdout.decode("utf-8", "replace"),
                   p.stderr.decode("utf-8", "replace"))

    def started(self):
        gh, admin = self.start_with_admin([self.a1])
        return gh, admin, ["--admin", admin.url, "--token-file", admin.token_file]

    def test_status_prints_for_people_and_exits_0(self):
        gh, admin, where = self.started()
        r = self.ctl(*where, "status")
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.out, r"^gatehouse \d+\.\d+\.\d+, up ", r)
        for line in (r"workers\s+2", r"connections\s+\d+", r"config\s+" + re.escape(gh.config_path),
                     r"last reload\s+never", r"read-only\s+off"):
            self.assertRegex(r.out, line, r)
        self.assertEqual(r.err, "")

    def test_json_prints_the_answer_as_it_came(self):
        gh, admin, where = self.started()
        for args in (["--json", "status"], ["status", "--json"]):
            r = self.ctl(*where, *args)
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(json.loads(r.out)["config"], gh.config_path, r)
        r = self.ctl(*where, "--json", "reload")
        self.assertEqual((r.rc, json.loads(r.out)), (0, {"reloaded": True}), r)

    def test_config_file_gives_the_address_and_token(self):
        gh, admin, _ = self.started()
        r = self.ctl("-c", gh.config_path, "status")
        self.assertEqual(r.rc, 0, r)
        # Even while the rest of the file is broken: then reload shows the server's verdict.
        with open(gh.config_path, "a") as f:
            f.write("workers: many\n")
        r = self.ctl("-c", gh.config_path, "reload")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("422", r.err)
        self.assertRegex(r.err, r"%s:\d+:\d+: workers: " % re.escape(gh.config_path), r)

    def test_token_from_the_environment(self):
        gh, admin, _ = self.started()
        r = self.ctl("--admin", "127.0.0.1:%d" % admin.port, "status",
                     env={"GATEHOUSE_ADMIN_TOKEN": admin.token})
        self.assertEqual(r.rc, 0, r)

    def test_reload_applies_and_exits_0(self):
        gh, admin, where = self.started()
        r = self.ctl(*where, "reload")
        self.assertEqual((r.rc, r.out), (0, "reloaded\n"), r)
        self.assertNotEqual(admin.get("/status").json()["last_reload"], None)

    def test_refusals_and_failures_exit_1_with_the_reason_on_stderr(self):
        gh, admin, where = self.started()
        wrong = self.write("wrong.token", "wrong\n")
        r = self.ctl("--admin", admin.url, "--token-file", wrong, "reload")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("401", r.err)
        self.assertIsNone(admin.get("/status").json()["last_reload"])
        r = self.ctl("--admin", "127.0.0.1:%d" % free_port(), "--token-file", wrong, "status")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("Connection refused", r.err)
        self.assertEqual(r.out, "")

    def test_usage_errors_exit_2(self):
        gh, admin, where = self.started()
        for args in ([], ["bogus"], [*where], ["--nope", "status"],
                     ["--admin", "https://127.0.0.1:1", "--token-file", admin.token_file, "status"],
                     ["--admin", admin.url, "status"],  # no token anywhere
                     ["--admin", admin.url, "--token-file", "/nonexistent", "status"],
                     ["-c", "/nonexistent.yaml", "status"]):
            r = self.ctl(*args)
            self.assertEqual(r.rc, 2, "%r: %r" % (args, r))
            self.assertNotEqual(r.err, "", r)
        self.assertEqual(self.ctl("--help").rc, 0)


if __name__ == "__main__":
    unittest.main()
