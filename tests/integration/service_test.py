"""Running as a service (issue 16): systemd's notify protocol seen from a test socket on
NOTIFY_SOCKET (READY, RELOADING + MONOTONIC_USEC, STOPPING, STATUS, WATCHDOG, in order),
reloads that apply log.access/log.error or refuse with `FILE:LINE:COL: key: needs a restart`,
and SIGUSR1 reopening the logs after a rotation without losing a line."""

import calendar
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from admin_support import AdminApi, AdminCase, parse_prometheus
from gatehouse_process import (GatehouseProcess, base_config, free_port, gatehouse_bin,
                               run_gatehouse, to_yaml)
from tls_material import missing_tools, run_tool, test_pki, tls_listener


def read_text(path):
    with open(path) as f:
        return f.read()


class NotifySocket:
    """A datagram socket standing in for systemd: collects what sd_notify() sends."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []  # each a dict of the datagram's KEY=VALUE lines

    def close(self):
        self.sock.close()

    @staticmethod
    def parse(datagram):
        """One sd_notify datagram: its KEY=VALUE lines."""
        return dict(line.split("=", 1) for line in datagram.split("\n") if "=" in line)

    def drain(self):
        """Collect every datagram already sent, without waiting for more."""
        self.sock.setblocking(False)  # with a timeout set, each recv would wait for the next
        try:
            while True:
                try:
                    data = self.sock.recv(4096).decode()
                except BlockingIOError:
                    return
                self.messages.append(self.parse(data))
        finally:
            self.sock.settimeout(0.2)

    def wait_for(self, key, value=None, timeout=10.0):
        """The first message, among those not yet returned by a wait, that sets key (=value)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.messages):
                if key in m and (value is None or m[key] == value):
                    del self.messages[: i + 1]
                    return m
            if time.monotonic() > deadline:
                raise AssertionError("no %s=%s from gatehouse; got %r" % (key, value, self.messages))
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            self.messages.append(self.parse(data))


def thread_named(pid, name):
    """The TID of the thread of PID whose comm is name."""
    for tid in os.listdir("/proc/%d/task" % pid):
        if read_text("/proc/%d/task/%s/comm" % (pid, tid)).strip() == name:
            return int(tid)
    raise AssertionError("no thread %s in process %d" % (name, pid))


class StoppedThread:
    """One thread held stopped with ptrace (PTRACE_SEIZE + PTRACE_INTERRUPT; the rest of its
    process runs on) by stop(), until the with block ends (PTRACE_DETACH)."""

    SEIZE, INTERRUPT, DETACH, WALL = 0x4206, 0x4207, 17, 0x40000000

    def __init__(self, tid):
        self.tid = tid
        self.stopped = False
        self.libc = ctypes.CDLL("libc.so.6", use_errno=True)
        self.libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]

    def _ptrace(self, request):
        if self.libc.ptrace(request, self.tid, None, None) != 0:
            raise OSError(ctypes.get_errno(), "ptrace(%#x, %d)" % (request, self.tid))

    def stop(self):
        """Raises OSError where ptrace is not allowed (a container's seccomp, yama scope 3)."""
        self._ptrace(self.SEIZE)
        self.stopped = True
        self._ptrace(self.INTERRUPT)
        status = ctypes.c_int()
        if self.libc.waitpid(self.tid, ctypes.byref(status), self.WALL) != self.tid:
            raise OSError(ctypes.get_errno(), "waitpid(%d)" % self.tid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.stopped:
            self._ptrace(self.DETACH)


class ServiceTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")

    def start_notified(self, watchdog_usec=None, **overrides):
        notify = NotifySocket(self.tmp)
        self.addCleanup(notify.close)
        env = {"NOTIFY_SOCKET": notify.path}
        if watchdog_usec:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        cfg, token = self.admin_config([self.a1], **overrides)
        gh = self.gatehouse(cfg, env=env)
        return gh, notify

    def test_notify_says_ready_reloading_ready_stopping_in_order(self):
        gh, notify = self.start_notified(watchdog_usec=400000)
        before = time.clock_gettime(time.CLOCK_MONOTONIC)
        notify.wait_for("READY", "1")
        self.assertRegex(notify.wait_for("STATUS")["STATUS"],
                         r"^\d+\.\d req/s, read-only off, servers up 1/1$")
        # Every worker loop answers the pings: WATCHDOG=1 keeps coming.
        notify.wait_for("WATCHDOG", "1")
        notify.wait_for("WATCHDOG", "1")

        gh.send_signal(signal.SIGHUP)
        reloading = notify.wait_for("RELOADING", "1")
        usec = int(reloading["MONOTONIC_USEC"])
        self.assertGreater(usec / 1e6, before)
        self.assertLess(usec / 1e6, time.clock_gettime(time.CLOCK_MONOTONIC) + 1)
        notify.wait_for("READY", "1")

        # A refused reload is framed the same way: the old config still serves.
        cfg = dict(gh.config)
        cfg["workers"] = gh.config["workers"] + 1
        self.rewrite_config(gh, cfg)
        gh.send_signal(signal.SIGHUP)
        notify.wait_for("RELOADING", "1")
        notify.wait_for("READY", "1")

        gh.send_signal(signal.SIGTERM)
        notify.wait_for("STOPPING", "1")
        self.assertEqual(gh.wait(10), 0)

    def test_a_wedged_worker_stops_the_watchdog_and_a_recovered_one_resumes_it(self):
        # One worker thread, and only it, is stopped with ptrace (PTRACE_INTERRUPT stops the
        # thread, not its process): the main loop keeps turning, the worker answers no ping.
        gh, notify = self.start_notified(watchdog_usec=400000)  # a tick every 100 ms
        notify.wait_for("READY", "1")
        notify.wait_for("WATCHDOG", "1")
        with StoppedThread(thread_named(gh.pid, "gh-worker-1")) as worker:
            try:
                worker.stop()
            except OSError as e:
                self.skipTest("cannot stop a thread with ptrace here: %s" % e)
            time.sleep(0.3)  # a ping answered just before the stop may still count once
            notify.drain()
            notify.messages.clear()
            time.sleep(1.0)  # ten ticks
            notify.drain()
            self.assertNotIn("1", [m.get("WATCHDOG") for m in notify.messages],
                             "WATCHDOG=1 while a worker was wedged")
            deadline = time.monotonic() + 5
            while "worker 1 has not turned its loop" not in read_text(gh.stderr_path):
                self.assertLess(time.monotonic(), deadline, read_text(gh.stderr_path)[-2000:])
                time.sleep(0.05)
        notify.messages.clear()
        notify.wait_for("WATCHDOG", "1", timeout=5)
        self.assertEqual(self.client(gh).get("/hello").status, 200)

    def test_threads_are_named_and_the_allocator_purges_from_its_own_thread(self):
        gh, notify = self.start_notified()
        notify.wait_for("READY", "1")
        self.assertEqual(self.client(gh).get("/hello").status, 200)
        # jemalloc's background purge (proxy/cmd/allocator_options.cc): without it, the pages a
        # burst of connections freed stay resident (issue 18). jemalloc starts its thread on its
        # own schedule: wait for it, boundedly. Sanitizer builds bring their own allocator.
        wanted = {"gh-worker-0", "gh-worker-1"}
        if "libjemalloc" in read_text("/proc/%d/maps" % gh.pid):
            wanted.add("jemalloc_bg_thd")
        deadline = time.monotonic() + 5
        while True:
            names = {read_text("/proc/%d/task/%s/comm" % (gh.pid, tid)).strip()
                     for tid in os.listdir("/proc/%d/task" % gh.pid)}
            if wanted <= names or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertLessEqual(wanted, names)

    def test_reload_refuses_keys_that_need_a_restart_and_applies_log_targets(self):
        gh, admin = self.start_with_admin([self.a1])
        cfg = dict(gh.config)
        cfg["workers"] = gh.config["workers"] + 1
        cfg["admin"] = dict(cfg["admin"], address="127.0.0.1:1")
        self.rewrite_config(gh, cfg)
        r = admin.post("/reload")
        self.assertEqual(r.status, 422, r)
        path = re.escape(gh.config_path)
        self.assertRegex(r.json()["error"],
                         r"^%s:1:1: workers: needs a restart \(2 running, 3 in the file\)\n"
                         r"%s:\d+:\d+: admin\.address: needs a restart \(listening on "
                         r"127\.0\.0\.1:\d+, the file says 127\.0\.0\.1:1; " % (path, path))
        # One error-log line per refused key, never a multi-line entry.
        errors = [l for l in gh.stderr_text().splitlines() if "reload failed" in l]
        self.assertEqual(len(errors), 2, gh.stderr_text())
        self.assertEqual(self.client(gh).get("/hello").status, 200)

        access = os.path.join(self.tmp, "access.log")
        error = os.path.join(self.tmp, "error.log")
        cfg = dict(gh.config)
        cfg["log"] = dict(cfg["log"], access=access, error=error)
        self.rewrite_config(gh, cfg)
        self.assertEqual(admin.post("/reload").status, 200)
        self.assertEqual(self.client(gh).get("/hello?after-reload").status, 200)
        self.wait_for_lines(access, lambda lines: any("after-reload" in l for l in lines))
        self.assertNotIn("after-reload", read_text(gh.access_path))
        self.wait_for_lines(error, lambda lines: any("reloaded" in l for l in lines))

    def wait_for_lines(self, path, predicate, timeout=5.0):
        deadline = time.monotonic() + timeout
        lines = []
        while time.monotonic() < deadline:
            if os.path.exists(path):
                with open(path) as f:
                    lines = f.read().splitlines()
                if predicate(lines):
                    return lines
            time.sleep(0.05)
        self.fail("%s: not there in %.0fs; it holds %r" % (path, timeout, lines[-5:]))

    def test_sigusr1_reopens_both_logs_and_no_line_is_lost_under_load(self):
        access = os.path.join(self.tmp, "access.log")
        error = os.path.join(self.tmp, "error.log")
        cfg, _ = self.admin_config([self.a1])
        cfg["log"] = {"access": access, "error": error, "format": "json", "level": "info"}
        gh = self.gatehouse(cfg)
        self.wait_for_lines(error, lambda lines: any("serving" in l for l in lines))

        done = []
        stop = threading.Event()

        def load():
            c = self.client(gh)
            n = 0
            while not stop.is_set() and n < 5000:
                self.assertEqual(c.get("/hello?load=%d" % n).status, 200)
                n += 1
            done.append(n)

        thread = threading.Thread(target=load)
        thread.start()
        try:
            self.wait_for_lines(access, lambda lines: len(lines) >= 20)
            os.rename(access, access + ".1")
            os.rename(error, error + ".1")
            gh.send_signal(signal.SIGUSR1)
            self.wait_for_lines(error, lambda lines: any("reopened" in l for l in lines))
            self.wait_for_lines(access, lambda lines: len(lines) >= 20)
        finally:
            stop.set()
            thread.join(30)
        self.assertEqual(gh.stop(), 0)
        self.assertEqual(len(done), 1)
        old = read_text(access + ".1").splitlines()
        new = read_text(access).splitlines()
        paths = [l.split('"path":"', 1)[1].split('"', 1)[0] for l in old + new]
        self.assertEqual(sorted(paths), sorted("/hello?load=%d" % i for i in range(done[0])))
        self.assertNotIn("reopened", read_text(error + ".1"))

    def second_instance(self, cfg):
        """Starts gatehouse with cfg expecting it to refuse: (exit code, stderr)."""
        gh = GatehouseProcess(cfg, start=False)
        self.addCleanup(gh.close)
        gh.start(wait_ready=False)
        return gh.wait(10), gh.stderr_text()

    def test_a_second_instance_on_the_same_state_file_or_listener_is_refused(self):
        state = os.path.join(self.tmp, "state.json")
        gh, admin = self.start_with_admin([self.a1], state_file=state)
        cfg = dict(gh.config)
        cfg["admin"] = dict(cfg["admin"], address="127.0.0.1:%d" % free_port())
        rc, err = self.second_instance(cfg)
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, r"state_file: %s is in use by another gatehouse \(pid %d\); one "
                              r"process owns a state file" % (re.escape(state), gh.pid), err)

        cfg["state_file"] = os.path.join(self.tmp, "other.json")
        rc, err = self.second_instance(cfg)
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, r"\d+:\d+: listeners\[0\]: 127\.0\.0\.1:%d is already in use: "
                              r"another process listens there" % gh.port, err)
        # The first one never saw a request go astray and still serves.
        self.assertEqual(self.client(gh).get("/hello").status, 200)

    # -- TLS certificates that are about to break ----------------------------------------------
    def tls_config(self, leaf):
        if missing_tools("openssl"):
            self.skipTest("openssl missing")
        cfg, _ = self.admin_config([self.a1])
        cfg["listeners"] = [tls_listener(free_port(), [leaf])]
        return cfg

    def test_check_warns_about_expiring_and_fails_on_expired_certificates_with_strict(self):
        pki = test_pki()
        soon = pki.issue("soon", ["soon.test"], days=3)
        expired = pki.issue("expired", ["expired.test"], days=-1)
        path = self.write("soon.yaml", to_yaml(self.tls_config(soon)))
        rc, out = run_gatehouse(["check", "-c", path])
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"%s:\d+:\d+: listeners\[0\]\.tls\.certificates\[0\]\.cert: "
                              r"warning: certificate %s expires in 3 days \(on \d{4}-\d\d-\d\d "
                              r"\d\d:\d\d UTC\); renew it" % (re.escape(path), re.escape(soon.cert)))
        path = self.write("expired.yaml", to_yaml(self.tls_config(expired)))
        rc, out = run_gatehouse(["check", "-c", path])
        self.assertEqual(rc, 0, out)
        self.assertIn("warning: certificate %s expired on" % expired.cert, out)
        rc, out = run_gatehouse(["check", "--strict", "-c", path])
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"cert: certificate %s expired on .*; clients refuse it"
                              % re.escape(expired.cert))

    def test_metrics_export_each_not_after_and_the_log_warns_at_start(self):
        pki = test_pki()
        soon = pki.issue("soon2", ["soon.test"], days=5)
        cfg = self.tls_config(soon)
        gh = self.gatehouse(cfg)
        admin = AdminApi(int(cfg["admin"]["address"].rsplit(":", 1)[1]),
                         "it-token-0123456789abcdef", cfg["admin"]["token_file"])
        admin.wait_ready()
        metrics = parse_prometheus(admin.get("/metrics").text)
        value = metrics["gatehouse_tls_certificate_not_after_seconds"].value(
            listener=cfg["listeners"][0]["address"], cert=soon.cert)
        _, out, _ = run_tool(["openssl", "x509", "-noout", "-enddate", "-in", soon.cert], check=True)
        not_after = calendar.timegm(time.strptime(out.strip().split("=", 1)[1],
                                                  "%b %d %H:%M:%S %Y GMT"))
        self.assertEqual(value, not_after)
        self.assertRegex(gh.stderr_text(), r"\[warn\] .*: certificate %s expires in 5 days"
                                           % re.escape(soon.cert))

    def test_a_key_the_service_cannot_read_gets_a_message_naming_the_fix(self):
        # certbot's keys are 0600 root; the service runs as its own user. Under root the check
        # runs as nobody (setpriv), over copies in a folder nobody may read.
        if missing_tools("openssl"):
            self.skipTest("openssl missing")
        leaf = test_pki().issue("locked", ["locked.test"])
        folder = tempfile.mkdtemp(prefix="gatehouse-keys-")
        self.addCleanup(shutil.rmtree, folder, True)
        os.chmod(folder, 0o755)
        cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        shutil.copy(leaf.cert, cert)
        shutil.copy(leaf.key, key)
        os.chmod(cert, 0o644)
        os.chmod(key, 0o600 if os.geteuid() == 0 else 0o000)
        cfg = base_config([self.a1], listeners=[tls_listener(free_port(), [
            {"cert": cert, "key": key}])])
        path = os.path.join(folder, "gatehouse.yaml")
        with open(path, "w") as f:
            f.write(to_yaml(cfg))
        os.chmod(path, 0o644)
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                self.skipTest("setpriv missing")
            p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                gatehouse_bin(), "check", "-c", path], capture_output=True,
                               timeout=30, text=True)
            rc, out = p.returncode, p.stdout + p.stderr
        else:
            rc, out = run_gatehouse(["check", "-c", path])
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"^%s:\d+:\d+: listeners\[0\]\.tls\.certificates\[0\]\.key: cannot "
                              r"read \"%s\": Permission denied \(gatehouse reads keys as its "
                              r"service user" % (re.escape(path), re.escape(key)))
        self.assertIn("chmod 0640 KEY", out)
        self.assertIn("LoadCredential=", out)
    # -- check: what it still missed -------------------------------------------------------------
    def test_check_reports_an_unresolvable_host_at_its_line_and_warns_about_an_exposed_admin(self):
        cfg, _ = self.admin_config([("a1", "no-such-host.invalid:80")])
        path = self.write("unresolvable.yaml", to_yaml(cfg))
        rc, out = run_gatehouse(["check", "-c", path])
        self.assertEqual(rc, 1, out)
        m = re.match(r"^%s:(\d+):\d+: backends\.app\.servers\[0\]\.address: cannot resolve "
                     r"no-such-host\.invalid:80: " % re.escape(path), out)
        self.assertTrue(m, out)
        with open(path) as f:
            self.assertIn("no-such-host.invalid", f.read().split("\n")[int(m.group(1)) - 1])

        cfg, _ = self.admin_config([self.a1])
        cfg["admin"]["address"] = "0.0.0.0:%d" % free_port()
        path = self.write("exposed.yaml", to_yaml(cfg))
        rc, out = run_gatehouse(["check", "-c", path])
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"%s:\d+:\d+: admin\.address: warning: 0\.0\.0\.0:\d+ is not a "
                              r"loopback address" % re.escape(path))


if __name__ == "__main__":
    unittest.main()
