"""GatehouseProcess: start the real gatehouse binary with a generated YAML config.

    with GatehouseProcess(config) as gh:      # config: dict (see base_config) or YAML text
        RawClient(gh.port) ...
        gh.access_log_json(), gh.stderr_text(), gh.rss_kib()
        rc = gh.stop()                        # SIGTERM, then the exit code

The config goes to a temp dir; stdout (the access log) and stderr (the error log) go to files
there. Ready = the listener accepts TCP (deadline 10 s; a process that exits first fails at
once with its stderr). On exit the process is killed by PID if still running, and the child
gets SIGKILL if the test process itself dies (PR_SET_PDEATHSIG), so nothing is left behind.
GATEHOUSE_KEEP_TMP=1 keeps the temp dirs for a post-mortem.
"""

import collections
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

# Run by hand (not through ctest): the binary of this checkout's build/ folder.
DEFAULT_BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "gatehouse")
READY_TIMEOUT = 10.0


def gatehouse_bin():
    return os.environ.get("GATEHOUSE_BIN", DEFAULT_BIN)


_recent_ports = collections.deque(maxlen=512)


def free_port(host="127.0.0.1"):
    """A port that was free a moment ago (bind 0, read, close). The race with other processes
    is accepted; within this test process, no port is handed out twice in a row of 512 (the
    kernel may return the one just closed: two listeners of one config then collide)."""
    for _ in range(64):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in _recent_ports:
            break
    _recent_ports.append(port)
    return port


def free_ports(count, host="127.0.0.1"):
    """`count` distinct ports that were free a moment ago."""
    return [free_port(host) for _ in range(count)]


# ---------------------------------------------------------------------------------------------
# A small YAML emitter (block style) for config dicts: no PyYAML on the test machines.
_PLAIN = re.compile(r"^[A-Za-z0-9_/][A-Za-z0-9_./-]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"}


def _scalar(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    if _PLAIN.match(s) and s.lower() not in _YAML_WORDS and not re.match(r"^[0-9._-]+$", s):
        return s
    return json.dumps(s)


def to_yaml(obj, indent=0):
    """Block YAML for nested dict/list/scalars."""
    pad = " " * indent
    out = []
    if isinstance(obj, dict):
        if not obj:
            return pad + "{}\n"
        for k, v in obj.items():
            if isinstance(v, (dict, list)) and v:
                out.append("%s%s:\n%s" % (pad, k, to_yaml(v, indent + 2)))
            elif isinstance(v, dict):
                out.append("%s%s: {}\n" % (pad, k))
            elif isinstance(v, list):
                out.append("%s%s: []\n" % (pad, k))
            else:
                out.append("%s%s: %s\n" % (pad, k, _scalar(v)))
    elif isinstance(obj, list):
        if not obj:
            return pad + "[]\n"
        for item in obj:
            if isinstance(item, (dict, list)) and item:
                body = to_yaml(item, indent + 2)
                out.append("%s- %s" % (pad, body[indent + 2:]))
            else:
                out.append("%s- %s\n" % (pad, _scalar(item) if not isinstance(item, (dict, list))
                                         else ("{}" if isinstance(item, dict) else "[]")))
    else:
        out.append(pad + _scalar(obj) + "\n")
    return "".join(out)


def base_config(servers, port=None, workers=2, **overrides):
    """The standard test config with one pool `app`.

    servers: origin objects (anything with .address, and .name if it has one) or
    (name, "host:port"[, weight]) tuples. overrides replace top-level sections, and
    timeouts/limits/log dicts are merged into the defaults."""
    cfg = {
        "workers": workers,
        "shutdown_grace": "5s",
        "listeners": [{"address": "127.0.0.1:%d" % (port or free_port())}],
        "backends": {"app": pool(servers)},
        "routes": [{"host": "*", "path_prefix": "/", "backend": "app"}],
        "timeouts": {"client_header": "10s", "client_idle": "60s",
                     "backend_connect": "3s", "backend_response": "60s"},
        "limits": {"request_line": "8KiB", "headers": "64KiB", "header_count": 100,
                   "body": "100MiB"},
        "log": {"access": "stdout", "format": "json", "level": "info"},
    }
    for key, value in overrides.items():
        if key in ("timeouts", "limits", "log") and isinstance(value, dict):
            cfg[key].update(value)
        else:
            cfg[key] = value
    return cfg


def pool(servers, balance="round_robin", retries=1, max_idle=32, **extra):
    """A backends.<name> entry for servers (see base_config)."""
    out = []
    for i, s in enumerate(servers):
        if isinstance(s, tuple):
            entry = {"name": s[0], "address": s[1], "weight": s[2] if len(s) > 2 else 1}
        else:
            entry = {"name": getattr(s, "name", None) or "s%d" % (i + 1), "address": s.address,
                     "weight": 1}
        out.append(entry)
    p = {"balance": balance, "retries": retries, "max_idle": max_idle, "servers": out}
    p.update(extra)
    return p


def _listener_port(text):
    m = re.search(r"address:\s*\"?(?:127\.0\.0\.1|localhost|0\.0\.0\.0):(\d+)", text)
    if not m:
        raise ValueError("no 127.0.0.1:PORT listener address in the config:\n" + text)
    return int(m.group(1))


def _set_pdeathsig():
    """In the child: SIGKILL when the parent (the test) dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class GatehouseStartError(AssertionError):
    pass


class GatehouseProcess:
    """The gatehouse binary, run with a config (dict or YAML text; `{PORT}` in text is replaced
    by a free port)."""

    def __init__(self, config, binary=None, ready_timeout=READY_TIMEOUT, extra_args=(),
                 env=None, start=True, wait_ready=True):
        self.binary = binary or gatehouse_bin()
        self.dir = tempfile.mkdtemp(prefix="gatehouse-it-")
        if isinstance(config, dict):
            self.config = config
            self.yaml = to_yaml(config)
        else:
            self.config = None
            self.yaml = config.replace("{PORT}", str(free_port())) if "{PORT}" in config else config
        self.port = _listener_port(self.yaml)
        self.config_path = os.path.join(self.dir, "gatehouse.yaml")
        with open(self.config_path, "w") as f:
            f.write(self.yaml)
        self.access_path = os.path.join(self.dir, "access.log")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.extra_args = list(extra_args)
        self.env = env
        self.ready_timeout = ready_timeout
        self.proc = None
        self.returncode = None
        if start:
            self.start(wait_ready)

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, wait_ready=True):
        if not os.path.exists(self.binary):
            raise GatehouseStartError("gatehouse binary not found at %s (set GATEHOUSE_BIN)" % self.binary)
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        self._out = open(self.access_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([self.binary, "run", "-c", self.config_path] + self.extra_args,
                                     stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err,
                                     cwd=self.dir, env=env, preexec_fn=_set_pdeathsig)
        self.started_at = time.monotonic()
        if wait_ready:
            self.wait_ready(self.ready_timeout)
        return self

    def wait_ready(self, timeout=READY_TIMEOUT):
        """Return once the listener accepts TCP; raise GatehouseStartError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            rc = self.proc.poll()
            if rc is not None:
                self.returncode = rc
                raise GatehouseStartError("gatehouse exited with %s before listening\n%s"
                                          % (rc, self.diagnostics()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise GatehouseStartError("gatehouse not accepting on port %d within %.1fs\n%s"
                                          % (self.port, timeout, self.diagnostics()))
            time.sleep(0.02)  # poll interval, bounded by the deadline above

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        if self.is_running():
            os.kill(self.proc.pid, sig)

    def wait(self, timeout):
        """The exit code, or None if still running after timeout."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Send sig and wait for exit; returns the exit code (negative = killed by a signal).
        If it does not exit within timeout it is SIGKILLed and AssertionError is raised."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
        rc = self.wait(timeout)
        if rc is None:
            self.kill()
            raise AssertionError("gatehouse (pid %d) did not exit within %.1fs of signal %d\n%s"
                                 % (self.proc.pid, timeout, sig, self.diagnostics()))
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.returncode = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def close(self):
        self.kill()
        for f in (getattr(self, "_out", None), getattr(self, "_err", None)):
            if f:
                f.close()
        if not os.environ.get("GATEHOUSE_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- observation ------------------------------------------------------------------------
    def _read(self, path):
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stderr_text(self):
        return self._read(self.stderr_path)

    def stderr_tail(self, lines=40):
        return "\n".join(self.stderr_text().splitlines()[-lines:])

    def access_log_lines(self):
        return self._read(self.access_path).splitlines()

    def access_log_json(self):
        """Access log lines that parse as JSON objects (others are skipped)."""
        out = []
        for line in self.access_log_lines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
        return out

    def wait_for_access_log(self, predicate=None, timeout=5.0, json_lines=True, count=1):
        """Entries (parsed JSON, or raw lines) matching predicate (default: any), once there
        are at least count of them; at the deadline, whatever matched by then."""
        deadline = time.monotonic() + timeout
        while True:
            entries = self.access_log_json() if json_lines else self.access_log_lines()
            found = [e for e in entries if predicate is None or predicate(e)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)  # poll interval, bounded by the deadline

    def rss_kib(self):
        """VmRSS of the process in KiB, or None if it is gone."""
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError, TypeError, AttributeError):
            return None
        return None

    def diagnostics(self, lines=40):
        rc = self.proc.poll() if self.proc else None
        return ("--- gatehouse pid=%s port=%s running=%s rc=%s dir=%s\n--- config:\n%s"
                "--- stderr (last %d lines):\n%s\n--- access log (last 10 lines):\n%s\n---"
                % (self.pid, self.port, rc is None and self.proc is not None, rc, self.dir,
                   self.yaml, lines, self.stderr_tail(lines),
                   "\n".join(self.access_log_lines()[-10:])))


class RssSampler:
    """Samples a GatehouseProcess's RSS every interval seconds on a thread while in the with."""

    def __init__(self, gh, interval=0.2):
        self.gh = gh
        self.interval = interval
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self):
        while not self._stop.is_set():
            v = self.gh.rss_kib()
            if v is not None:
                self.samples.append(v)
            self._stop.wait(self.interval)

    @property
    def max_kib(self):
        return max(self.samples) if self.samples else 0

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(2.0)

    def summary(self):
        if not self.samples:
            return "no RSS samples"
        return "RSS KiB: %d samples, first %d, max %d, last %d" % (
            len(self.samples), self.samples[0], self.max_kib, self.samples[-1])


def write_config(yaml_text, filename="gatehouse.yaml", directory=None):
    """Write yaml_text into a new temp dir (or directory); returns the path."""
    directory = directory or tempfile.mkdtemp(prefix="gatehouse-check-")
    path = os.path.join(directory, filename)
    with open(path, "w") as f:
        f.write(yaml_text)
    return path


def run_gatehouse(args, timeout=10.0, binary=None):
    """Run the binary with args to completion: (exit code, stdout+stderr text).
    A run that outlives timeout is killed and reported as AssertionError."""
    binary = binary or gatehouse_bin()
    proc = subprocess.Popen([binary] + list(args), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=_set_pdeathsig)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate(timeout=10)
        raise AssertionError("gatehouse %s still running after %.1fs; output:\n%s"
                             % (" ".join(args), timeout, out.decode("utf-8", "replace")))
    return proc.returncode, out.decode("utf-8", "replace")


def run_check(yaml_text, filename="gatehouse.yaml", timeout=10.0, binary=None):
    """`gatehouse check -c FILE` on yaml_text: (exit code, stdout+stderr)."""
    path = write_config(yaml_text, filename)
    try:
        return run_gatehouse(["check", "-c", path], timeout=timeout, binary=binary)
    finally:
        if not os.environ.get("GATEHOUSE_KEEP_TMP"):
            shutil.rmtree(os.path.dirname(path), ignore_errors=True)
