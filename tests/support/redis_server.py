"""A redis-server of the test's own on 127.0.0.1 (the cluster tests, issue 19).

    REDIS                                  # the redis-server binary, or None when not installed
    r = RedisServer(free_port(), tmpdir, password="secret")
    r = RedisServer(port, tmpdir, password="secret",
                    tls={"cert": leaf.cert, "key": leaf.key, "ca": pki.ca})   # TLS port only
    r.start(); r.kill(); r.start()         # no persistence: a restart comes back empty

With `tls`, Redis listens on a TLS port only (`--port 0 --tls-port PORT`) and asks clients for
a certificate signed by `ca` (tls-auth-clients yes, Redis' default). Its log is
DIR/redis-PORT.log."""

import os
import shutil
import signal
import socket
import subprocess
import time

from gatehouse_process import _set_pdeathsig

REDIS = shutil.which("redis-server") or ("/usr/bin/redis-server"
                                         if os.path.exists("/usr/bin/redis-server") else None)


class RedisServer:
    """redis-server on 127.0.0.1:port, no persistence: a restart comes back empty, as a Redis
    without its data would."""

    def __init__(self, port, directory, password, tls=None):
        self.port, self.dir, self.password, self.tls = port, directory, password, tls
        self.proc, self.log = None, None

    def args(self):
        args = [REDIS, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--requirepass", self.password, "--dir", self.dir]
        if self.tls:
            return args + ["--port", "0", "--tls-port", str(self.port),
                           "--tls-cert-file", self.tls["cert"], "--tls-key-file", self.tls["key"],
                           "--tls-ca-cert-file", self.tls["ca"], "--tls-auth-clients", "yes"]
        return args + ["--port", str(self.port)]

    def start(self):
        self.log = open(os.path.join(self.dir, "redis-%d.log" % self.port), "ab")
        self.proc = subprocess.Popen(self.args(), stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log, preexec_fn=_set_pdeathsig)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("redis-server did not start on port %d: %s"
                                         % (self.port, self.log_text()[-2000:]))
                time.sleep(0.02)  # bounded by the deadline

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "redis-%d.log" % self.port), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        if self.log:
            self.log.close()
            self.log = None
