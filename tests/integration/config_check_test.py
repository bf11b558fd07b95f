"""`gatehouse check` and `gatehouse run` on good and bad configs: errors are
`FILE:LINE:COL: key: why`, with the line of the offending key."""

import os
import re
import tempfile
import unittest

from gatehouse_process import free_port, run_check, run_gatehouse, write_config
from integration_case import IntegrationCase

GOOD = """\
workers: 2
shutdown_grace: 5s
listeners: [ { address: "127.0.0.1:{PORT}" } ]
backends:
  app:
    balance: round_robin
    retries: 1
    max_idle: 32
    servers: [ { name: a1, address: "127.0.0.1:{ORIGIN}", weight: 1 } ]
routes: [ { host: "*", path_prefix: /, backend: app } ]
timeouts: { client_header: 10s, client_idle: 60s, backend_connect: 3s, backend_response: 60s }
limits: { request_line: 8KiB, headers: 64KiB, header_count: 100, body: 100MiB }
log: { access: stdout, format: json, level: info }
"""

BLOCK = """\
workers: 2
shutdown_grace: 5s
listeners:
  - address: "127.0.0.1:{PORT}"
backends:
  app:
    balance: round_robin
    servers:
      - name: a1
        address: "127.0.0.1:{ORIGIN}"
        weight: 1
      - name: a2
        address: "127.0.0.1:{ORIGIN2}"
routes:
  - host: "*"
    path_prefix: /
    backend: app
log:
  access: stdout
  format: json
"""
# Lines of BLOCK (1-based) that the bad variants below touch.
LINE_WORKERS = 1
LINE_LISTENER_ADDRESS = 4
LINE_BALANCE = 7
LINE_A2_NAME = 12
LINE_A2_ADDRESS = 13
LINE_ROUTE_BACKEND = 17
LINE_LOG_FORMAT = 20


def fill(text):
    return (text.replace("{PORT}", str(free_port())).replace("{ORIGIN}", "8081")
            .replace("{ORIGIN2}", "8082"))


def replace_line(text, line, new):
    lines = text.splitlines()
    lines[line - 1] = new
    return "\n".join(lines) + "\n"


# name -> (yaml, line, words that must appear in the message)
BAD = {
    "unknown_top_level_key": (replace_line(BLOCK, LINE_WORKERS, "wrokers: 2"), LINE_WORKERS, ["wrokers"]),
    "unknown_nested_key": (replace_line(BLOCK, LINE_BALANCE, "    balnce: round_robin"), LINE_BALANCE,
                           ["balnce"]),
    "bad_listener_address": (replace_line(BLOCK, LINE_LISTENER_ADDRESS, '  - address: "not-an-address"'),
                             LINE_LISTENER_ADDRESS, ["address"]),
    "bad_listener_port": (replace_line(BLOCK, LINE_LISTENER_ADDRESS, '  - address: "127.0.0.1:99999"'),
                          LINE_LISTENER_ADDRESS, ["address"]),
    "bad_server_address": (replace_line(BLOCK, LINE_A2_ADDRESS, '        address: "127.0.0.1"'),
                           LINE_A2_ADDRESS, ["address"]),
    "route_to_unknown_pool": (replace_line(BLOCK, LINE_ROUTE_BACKEND, "    backend: nope"),
                              LINE_ROUTE_BACKEND, ["backend", "nope"]),
    "duplicate_server_name": (replace_line(BLOCK, LINE_A2_NAME, "      - name: a1"), LINE_A2_NAME,
                              ["name", "a1"]),
    "bad_enum_value": (replace_line(BLOCK, LINE_LOG_FORMAT, "  format: xml"), LINE_LOG_FORMAT,
                       ["format"]),
    "bad_duration": (replace_line(BLOCK, 2, "shutdown_grace: soon"), 2, ["shutdown_grace"]),
}

MESSAGE = re.compile(r"^(?P<file>[^\s:]*gatehouse\.yaml):(?P<line>\d+):(?P<col>\d+): (?P<rest>.+)$", re.M)


class ConfigCheckTest(IntegrationCase):
    def assertDiagnostic(self, name, output, line, words):
        matches = list(MESSAGE.finditer(output))
        self.assertTrue(matches, "%s: no FILE:LINE:COL: message in output:\n%s" % (name, output))
        m = matches[0]
        self.assertEqual(os.path.basename(m.group("file")), "gatehouse.yaml", output)
        self.assertEqual(int(m.group("line")), line, "%s: wrong line in:\n%s" % (name, output))
        self.assertGreaterEqual(int(m.group("col")), 1, output)
        self.assertRegex(m.group("rest"), r"^\S[^:]*: \S", "%s: not 'key: why':\n%s" % (name, output))
        for w in words:
            self.assertIn(w, m.group("rest"), "%s: %r not named in:\n%s" % (name, w, output))

    def test_good_configs_pass(self):
        for text in (GOOD, BLOCK):
            rc, out = run_check(fill(text))
            self.assertEqual(rc, 0, out)

    def test_bad_configs_fail_with_file_line_col_key_why(self):
        for name, (text, line, words) in BAD.items():
            with self.subTest(case=name):
                rc, out = run_check(fill(text))
                self.assertEqual(rc, 1, "%s: exit code %d, output:\n%s" % (name, rc, out))
                self.assertDiagnostic(name, out, line, words)

    def test_every_example_config_passes(self):
        examples = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
        # db-migration reads its admin token from the environment.
        os.environ.setdefault("GATEHOUSE_ADMIN_TOKEN", "example-token-0123456789")
        configs = sorted(os.path.join(examples, d, "gatehouse.yaml") for d in os.listdir(examples)
                         if os.path.exists(os.path.join(examples, d, "gatehouse.yaml")))
        self.assertGreaterEqual(len(configs), 3)
        for path in configs:
            with self.subTest(config=path):
                rc, out = run_gatehouse(["check", "-c", path])
                self.assertEqual(rc, 0, out)

    def test_check_creates_no_folder(self):
        # `gatehouse check` often runs as root before the service starts as its own user: a
        # versions_dir it made would be root's, and the first start could not write in it.
        work = tempfile.mkdtemp(prefix="gatehouse-check-")
        root = os.path.join(work, "static")
        os.makedirs(root)
        with open(os.path.join(root, "app.css"), "w") as f:
            f.write("body{}")
        versions = os.path.join(work, "state", "versions")
        text = fill(GOOD) + ("static:\n  - prefix: /static/\n    root: %s\n    versioned: true\n"
                             "    keep_versions: 1h\n    versions_dir: %s\n" % (root, versions))
        rc, out = run_check(text)
        self.assertEqual(rc, 0, out)
        self.assertFalse(os.path.exists(os.path.join(work, "state")), "check made a folder")
        # A versions_dir that could never be made (a file stands in its way) is still an error.
        bad = text.replace(versions, os.path.join(root, "app.css", "versions"))
        rc, out = run_check(bad)
        self.assertEqual(rc, 1, out)
        self.assertIn("versions_dir", out)

    def test_missing_file_fails(self):
        rc, out = run_gatehouse(["check", "-c", "/nonexistent/gatehouse.yaml"])
        self.assertNotEqual(rc, 0, out)
        self.assertIn("/nonexistent/gatehouse.yaml", out)

    def test_yaml_syntax_error_has_a_position(self):
        text = BLOCK.replace("  app:\n", "  app:\n   bad: [unclosed\n", 1)
        rc, out = run_check(fill(text))
        self.assertEqual(rc, 1, out)
        self.assertTrue(MESSAGE.search(out), "no FILE:LINE:COL: in:\n%s" % out)

    def test_run_with_a_bad_config_exits_nonzero_with_the_same_message(self):
        text, line, words = BAD["route_to_unknown_pool"]
        path = write_config(fill(text))
        rc, out = run_gatehouse(["run", "-c", path], timeout=10)
        self.assertNotEqual(rc, 0, out)
        self.assertDiagnostic("run", out, line, words)
        rc2, out2 = run_gatehouse(["check", "-c", path], timeout=10)
        self.assertEqual(MESSAGE.search(out).group(0), MESSAGE.search(out2).group(0))


if __name__ == "__main__":
    unittest.main()
