"""What the cluster suites (cluster_test.py, cluster_tls_test.py) share: a class-wide temp dir
holding Redis' password file and the admin token file, the instances in `cls.nodes` (name ->
(GatehouseProcess, AdminApi)), and bounded waits whose failure shows every instance's stderr
and Redis' log."""

import os
import shutil
import tempfile
import time

from admin_support import AdminApi, parse_prometheus
from backend_support import BackendCase

TOKEN = "it-token-0123456789abcdef"


class ClusterCase(BackendCase):
    @classmethod
    def set_up_secrets(cls, password, prefix):
        """cls.tmpdir (removed after the class), cls.password_file, cls.token, cls.token_file."""
        cls.tmpdir = tempfile.mkdtemp(prefix=prefix)
        cls.addClassCleanup(shutil.rmtree, cls.tmpdir, True)
        cls.password_file = os.path.join(cls.tmpdir, "redis.password")
        with open(cls.password_file, "w") as f:
            f.write(password + "\n")
        cls.token = TOKEN
        cls.token_file = os.path.join(cls.tmpdir, "admin.token")
        with open(cls.token_file, "w") as f:
            f.write(cls.token + "\n")
        cls.nodes = {}

    @classmethod
    def start_node(cls, cfg, admin_port, **kw):
        """A class-wide gatehouse for cfg, ready; returns (GatehouseProcess, AdminApi)."""
        gh = cls.class_gatehouse(cfg, **kw)
        admin = AdminApi(admin_port, cls.token, cls.token_file)
        admin.wait_ready()
        return gh, admin

    def admin(self, name):
        return self.nodes[name][1]

    def metrics(self, name):
        return parse_prometheus(self.admin(name).get("/metrics").text)

    def wait_until(self, predicate, timeout, what):
        """Seconds until predicate() held; fails with `what` at the deadline."""
        start = time.monotonic()
        while not predicate():
            if time.monotonic() - start > timeout:
                self.fail(self.diag("%s: not within %.1fs" % (what, timeout)))
            time.sleep(0.01)  # bounded by the deadline
        return time.monotonic() - start

    def diag(self, *extra):
        parts = list(extra)
        for name, (gh, _) in self.nodes.items():
            parts.append("--- %s stderr:\n%s" % (name, gh.stderr_tail(25)))
        redis = getattr(self, "redis", None)
        if redis is not None:
            parts.append("--- redis log:\n%s" % redis.log_text()[-1500:])
        return "\n".join(str(p) for p in parts)
