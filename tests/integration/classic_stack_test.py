"""Issue 17: examples/classic-stack's three configs (nginx, Varnish, HAProxy) are the real thing,
checked by the tools that run them, beside the gatehouse.yaml that replaces them. A config that
a peer refuses would teach an operator the wrong mapping. Each check skips when its tool is not
installed (tests/run-all.sh installs nginx-light, haproxy, varnish and varnish-modules)."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from gatehouse_process import run_gatehouse

STACK = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                                     "classic-stack"))


def tool(name):
    for d in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        if os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    return shutil.which(name)


def run(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    return p.returncode, p.stdout.decode(errors="replace")


class ClassicStackTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="gatehouse-classic-")
        self.addCleanup(shutil.rmtree, self.work, True)

    def test_gatehouse_yaml_passes_check(self):
        rc, out = run_gatehouse(["check", "-c", os.path.join(STACK, "gatehouse.yaml")])
        self.assertEqual(rc, 0, out)

    def test_haproxy_cfg_is_valid(self):
        haproxy = tool("haproxy")
        if not haproxy:
            self.skipTest("haproxy is not installed")
        rc, out = run([haproxy, "-c", "-f", os.path.join(STACK, "haproxy.cfg")])
        self.assertEqual(rc, 0, out)

    def test_varnish_vcl_compiles(self):
        varnishd = tool("varnishd")
        if not varnishd:
            self.skipTest("varnish is not installed")
        # -C compiles the VCL (vmods included: xkey comes from varnish-modules) and exits; -j none
        # keeps it from switching to its own user, who could not write in this test's folder.
        rc, out = run([varnishd, "-j", "none", "-C", "-n", self.work, "-f", os.path.join(STACK, "varnish.vcl")])
        self.assertEqual(rc, 0, out[-2000:])

    def test_nginx_conf_is_valid(self):
        nginx = tool("nginx")
        if not nginx:
            self.skipTest("nginx is not installed")
        # The config as shipped, with the certificate and the log in this test's folder (the
        # shipped paths are the operator's).
        cert, key = os.path.join(self.work, "cert.pem"), os.path.join(self.work, "key.pem")
        rc, out = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                       "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                       "-days", "1", "-subj", "/CN=example.com"])
        self.assertEqual(rc, 0, out)
        with open(os.path.join(STACK, "nginx.conf")) as f:
            conf = f.read()
        conf = conf.replace("/etc/ssl/example.com.pem", cert)
        conf = conf.replace("/etc/ssl/example.com.key", key)
        conf = re.sub(r"/var/log/nginx/", self.work + "/", conf)
        path = os.path.join(self.work, "nginx.conf")
        with open(path, "w") as f:
            f.write("pid %s/nginx.pid;\n" % self.work + conf)
        rc, out = run([nginx, "-t", "-p", self.work, "-e", os.path.join(self.work, "error.log"),
                       "-c", path])
        self.assertEqual(rc, 0, out)


if __name__ == "__main__":
    unittest.main()
