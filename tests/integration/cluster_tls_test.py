"""Issue 19, point 1's "TLS optional": the cluster reaches Redis over TLS (`rediss://`).

hiredis 0.14 has no TLS, so gatehouse bridges: hiredis talks to a private Unix socket and an
in-process bridge relays over TLS (proxy/net/tls_bridge.h). One redis-server started here with
a TLS port only (certificates from tests/support/tls_material.py, signed by the test CA; client
certificates required, Redis' default) and two instances A and B reaching it with
`redis: rediss://127.0.0.1:PORT/0`, the CA, and a client certificate: read-only switched on
one is enforced on the other. A third instance C trusts another CA: its connection fails with
OpenSSL's reason logged and counted (gatehouse_cluster_connects_total{result="tls_failed"},
/cluster's error), while it serves on. The same with no client certificate (Redis refuses it).
`gatehouse check` names a TLS file OpenSSL cannot use (FILE:LINE:COL: cluster.tls.KEY).

Skips (exit 77) when redis-server is not installed (packaging/install-deps.sh --test installs
it), or the openssl CLI for the certificates."""

import os
import sys
import unittest

from redis_server import REDIS, RedisServer
from tls_material import missing_tools, run_tool, test_pki

if REDIS is None or missing_tools("openssl"):
    print("SKIP: redis-server or openssl is not installed (packaging/install-deps.sh --test)")
    sys.exit(77)

from admin_support import parse_prometheus  # noqa: E402
from backend_support import Client  # noqa: E402
from cluster_support import ClusterCase  # noqa: E402
from gatehouse_process import base_config, free_port, pool, run_check, to_yaml  # noqa: E402

PASSWORD = "it-redis-tls-secret"
APPLY_WITHIN = 1.0  # the issue's promise, over TLS too


class ClusterTlsTest(ClusterCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_up_secrets(PASSWORD, "gatehouse-cluster-tls-")
        pki = cls.pki = test_pki()
        # Redis' certificate names the address the URL uses (checked as an IP address).
        cls.redis_leaf = pki.issue("redis", ["redis.test"], ips=["127.0.0.1"])
        cls.client_leaf = pki.issue("gatehouse-client", ["gatehouse.test"], usage="clientAuth")
        cls.redis = RedisServer(free_port(), cls.tmpdir, PASSWORD,
                                tls={"cert": cls.redis_leaf.cert, "key": cls.redis_leaf.key,
                                     "ca": pki.ca})
        cls.redis.start()
        cls.addClassCleanup(lambda: cls.redis.kill())
        cls.origin = cls.class_origin("a1")
        cls.tls = {"ca_file": pki.ca, "cert_file": cls.client_leaf.cert,
                   "key_file": cls.client_leaf.key}
        for name in ("A", "B"):
            cls.nodes[name] = cls.start_instance(name, cls.tls)

    @classmethod
    def start_instance(cls, name, tls):
        admin_port = free_port()
        cfg = base_config(
            [cls.origin], backends={"app": pool([cls.origin], hold="0s")},
            admin={"address": "127.0.0.1:%d" % admin_port, "token_file": cls.token_file},
            state_file=os.path.join(cls.tmpdir, "state-%s.json" % name),
            cluster={"redis": "rediss://127.0.0.1:%d/0" % cls.redis.port, "name": "it-tls-site",
                     "instance": name, "password_file": cls.password_file, "tls": tls,
                     "heartbeat": "200ms", "instance_ttl": "2s", "timeout": "500ms",
                     "retry_max": "300ms"})
        # The bridge's private directories go here, to be looked at.
        tmp = os.path.join(cls.tmpdir, "tmp-" + name)
        os.mkdir(tmp)
        gh, admin = cls.start_node(cfg, admin_port, env={"TMPDIR": tmp})
        gh.bridge_tmp = tmp
        return gh, admin

    # -- helpers ----------------------------------------------------------------------------
    def post_status(self, gh):
        c = Client(gh.port)
        try:
            return c.get("/hello", method="POST", body=b"x")[0]
        finally:
            c.close()

    def metrics_of(self, admin):
        return parse_prometheus(admin.get("/metrics").text)

    def assert_fails_over_tls_and_serves_on(self, name, tls, reason):
        """An instance whose TLS to Redis fails: serves, says why (log, /cluster, metric)."""
        gh, admin = self.start_instance(name, tls)
        try:
            self.assertEqual(self.post_status(gh), 200)  # serving, with its own state
            connects = lambda: self.metrics_of(admin)["gatehouse_cluster_connects_total"]
            try:
                self.wait_until(lambda: connects().value(result="tls_failed") >= 2, 5,
                                "%s counts its TLS failures" % name)
            except AssertionError as e:
                self.fail("%s\n--- %s: %s\n%s" % (e, name, connects().samples,
                                                    gh.stderr_tail(15)))
            m = self.metrics_of(admin)
            self.assertEqual(m["gatehouse_cluster_connected"].value(), 0)
            self.assertEqual(m["gatehouse_cluster_connects_total"].value(result="ok"), 0)
            view = admin.get("/cluster").json()
            self.assertFalse(view["connected"])
            self.assertRegex(view["error"], reason)
            self.assertRegex(gh.stderr_text(),
                             r"cluster: cannot reach Redis rediss://127\.0\.0\.1:\d+/0 \(TLS .*"
                             + reason)
            self.assertEqual(self.post_status(gh), 200)
        finally:
            gh.stop()
        self.assertEqual(os.listdir(gh.bridge_tmp), [], "bridge directories left behind")

    # -- the tests --------------------------------------------------------------------------
    def test_1_read_only_switched_on_one_is_enforced_on_the_other_over_tls(self):
        for n in "AB":
            self.wait_until(lambda: self.admin(n).get("/cluster").json()["connected"], 10,
                            "%s connected to Redis over TLS" % n)
        a, b = self.nodes["A"][0], self.nodes["B"][0]
        self.assertEqual(self.post_status(b), 200)
        r = self.admin("A").request("PUT", "/read-only",
                                    body={"enabled": True, "reason": "over tls"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["cluster"], {"shared": True})
        took = self.wait_until(lambda: self.post_status(b) == 503, 5, "read-only on B")
        self.assertLess(took, APPLY_WITHIN, "read-only reached B after %.2fs" % took)
        self.assertEqual(self.admin("B").get("/read-only").json()["reason"], "over tls")
        r = self.admin("B").request("PUT", "/read-only", body={"enabled": False})
        self.assertEqual(r.status, 200, r)
        self.wait_until(lambda: self.post_status(a) == 200, APPLY_WITHIN * 5, "read-only off on A")
        m = self.metrics("B")
        self.assertGreaterEqual(m["gatehouse_cluster_connects_total"].value(result="ok"), 1)
        self.assertEqual(m["gatehouse_cluster_connects_total"].value(result="tls_failed"), 0)
        self.assertRegex(a.stderr_text(), r"cluster: site it-tls-site, instance A, Redis "
                         r"rediss://127\.0\.0\.1:\d+/0 \(TLS, certificate checked for 127\.0\.0\.1")
        # One bridge, in a directory of its own that only this user may enter (the failed or
        # lost attempts' bridges are gone with their directories).
        dirs = os.listdir(a.bridge_tmp)
        self.assertEqual(len(dirs), 1, dirs)
        bridge_dir = os.path.join(a.bridge_tmp, dirs[0])
        self.assertEqual(os.stat(bridge_dir).st_mode & 0o777, 0o700)
        self.assertEqual(os.listdir(bridge_dir), ["redis.sock"])

    def test_2_a_wrong_ca_fails_with_the_reason_logged_and_counted_while_serving(self):
        other_ca_key = os.path.join(self.tmpdir, "other-ca.key")
        other_ca = os.path.join(self.tmpdir, "other-ca.pem")
        run_tool(["openssl", "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:P-256", "-nodes", "-keyout", other_ca_key, "-out", other_ca,
                  "-days", "30", "-subj", "/CN=not the redis CA"], check=True)
        self.assert_fails_over_tls_and_serves_on(
            "C", dict(self.tls, ca_file=other_ca),
            # Redis sends its CA along (OpenSSL builds the chain from tls-ca-cert-file).
            r"certificate verify failed \(self-signed certificate in certificate chain\)")

    def test_3_without_a_client_certificate_redis_refuses_and_the_reason_is_told(self):
        self.assert_fails_over_tls_and_serves_on(
            "D", {"ca_file": self.pki.ca}, r"alert certificate required")

    def test_4_check_names_a_tls_file_openssl_cannot_use(self):
        # The key of another certificate: found by `gatehouse check`, before any start.
        cfg = base_config([self.origin], cluster={
            "redis": "rediss://127.0.0.1:%d/0" % self.redis.port, "name": "it-tls-site",
            "tls": dict(self.tls, key_file=self.redis_leaf.key)})
        rc, out = run_check(to_yaml(cfg))
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"gatehouse\.yaml:\d+:\d+: cluster\.tls\.key_file: does not belong to "
                         r"the certificate of cert_file: ")


if __name__ == "__main__":
    unittest.main()
