"""Shared by admin_test.py and admin_ctl_test.py: a gatehouse with an `admin:` section, a small
admin HTTP client, and a Prometheus text-format parser.

    gh, admin = self.start_with_admin([origin])      # admin: AdminApi (port, token, token_file)
    r = admin.get("/status")                          # AdminReply: status, headers, body, json()
    families = parse_prometheus(admin.get("/metrics").text)
"""

import http.client
import json
import os
import re
import shutil
import tempfile
import time

from gatehouse_process import base_config, free_port, to_yaml
from integration_case import IntegrationCase

READY_TIMEOUT = 10.0


class AdminReply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # {lowercase name: value}
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "AdminReply(%d, %r, %r)" % (self.status, self.headers, self.body[:600])


class AdminApi:
    """The admin API of one gatehouse: plain HTTP/1.1, one connection per request."""

    def __init__(self, port, token, token_file):
        self.port = port
        self.token = token
        self.token_file = token_file
        self.url = "http://127.0.0.1:%d" % port

    def request(self, method, path, body=None, token="default", headers=None):
        token = self.token if token == "default" else token
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            return AdminReply(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                              resp.read())
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def wait_ready(self, timeout=READY_TIMEOUT):
        """The admin listener is bound just after the proxy's: wait for /healthz."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.get("/healthz", token=None).status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("admin API on port %d not ready in %.1fs" % (self.port, timeout))
            time.sleep(0.02)  # poll interval, bounded by the deadline


class AdminCase(IntegrationCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="gatehouse-admin-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def admin_config(self, servers, token="it-token-0123456789abcdef", admin_extra=None,
                     **overrides):
        token_file = self.write("admin.token", token + "\n")
        admin = {"address": "127.0.0.1:%d" % free_port(), "token_file": token_file}
        admin.update(admin_extra or {})
        return base_config(servers, admin=admin, **overrides), token

    def start_with_admin(self, servers, admin_extra=None, **overrides):
        """admin_extra: more keys of the admin: section (limits, timeouts)."""
        cfg, token = self.admin_config(servers, admin_extra=admin_extra, **overrides)
        gh = self.gatehouse(cfg)
        port = int(cfg["admin"]["address"].rsplit(":", 1)[1])
        admin = AdminApi(port, token, cfg["admin"]["token_file"])
        admin.wait_ready()
        return gh, admin

    def rewrite_config(self, gh, cfg):
        """Replace gh's config file (for a reload) with cfg (a dict or YAML text)."""
        with open(gh.config_path, "w") as f:
            f.write(cfg if isinstance(cfg, str) else to_yaml(cfg))


# ---------------------------------------------------------------------------------------------
# Prometheus text exposition format 0.0.4, parsed strictly: a line the format does not allow is
# an error, not something to skip.
_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(r"^(%s)(\{(.*)\})? (\S+)( -?\d+)?$" % _NAME)
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')
_TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class PrometheusError(AssertionError):
    pass


class Family:
    def __init__(self, name):
        self.name = name
        self.type = None
        self.help = None
        self.samples = []  # (sample name, {label: value}, float value)

    def value(self, sample_name=None, **labels):
        """The value of the one sample with exactly these labels."""
        found = [v for n, l, v in self.samples if n == (sample_name or self.name) and l == labels]
        if len(found) != 1:
            raise PrometheusError("%d samples %s%r in %r" % (len(found), sample_name or self.name,
                                                            labels, self.samples))
        return found[0]


    def total(self, sample_name=None, **labels):
        """The sum of the samples whose labels include these (e.g. every listener's)."""
        return sum(v for n, l, v in self.samples if n == (sample_name or self.name)
                   and all(l.get(k) == w for k, w in labels.items()))


def _unescape(s):
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), s)


def _labels(text, line):
    labels, pos = {}, 0
    while pos < len(text):
        m = _LABEL.match(text, pos)
        if not m or m.end() == pos:
            raise PrometheusError("bad labels in %r" % line)
        if m.group(1) in labels:
            raise PrometheusError("label %s twice in %r" % (m.group(1), line))
        labels[m.group(1)] = _unescape(m.group(2))
        pos = m.end()
    return labels


def _family_of(name, families):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and base in families and families[base].type == "histogram":
            return families[base]
    return families.get(name)


def _check_histogram(f):
    series = {}
    for name, labels, value in f.samples:
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        s = series.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if name.endswith("_bucket"):
            s["buckets"].append((float(labels["le"]), value))
        else:
            s[name.rsplit("_", 1)[1]] = value
    for key, s in series.items():
        bounds = [b for b, _ in s["buckets"]]
        counts = [c for _, c in s["buckets"]]
        if not bounds or bounds[-1] != float("inf"):
            raise PrometheusError("%s%r: no +Inf bucket" % (f.name, key))
        if bounds != sorted(bounds) or counts != sorted(counts):
            raise PrometheusError("%s%r: buckets not cumulative: %r" % (f.name, key, s["buckets"]))
        if s["count"] != counts[-1] or s["sum"] is None:
            raise PrometheusError("%s%r: _count %r != +Inf bucket %r" % (f.name, key, s["count"],
                                                                        counts[-1]))


def parse_prometheus(text):
    """{family name: Family}; raises PrometheusError on anything the format does not allow."""
    if not text.endswith("\n"):
        raise PrometheusError("no final newline")
    families, current = {}, None
    for line in text[:-1].split("\n"):
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                f = families.setdefault(parts[2], Family(parts[2]))
                attr = parts[1].lower()
                if getattr(f, attr) is not None:
                    raise PrometheusError("second %s for %s" % (parts[1], parts[2]))
                if f.samples:
                    raise PrometheusError("%s after the samples of %s" % (parts[1], parts[2]))
                value = parts[3] if len(parts) > 3 else ""
                if attr == "type" and value not in _TYPES:
                    raise PrometheusError("bad type %r" % line)
                setattr(f, attr, value)
                current = f
            continue  # other comments are allowed
        m = _SAMPLE.match(line)
        if not m:
            raise PrometheusError("not a sample line: %r" % line)
        f = _family_of(m.group(1), families)
        if f is None or f is not current:
            raise PrometheusError("sample outside its declared family: %r" % line)
        labels = _labels(m.group(3) or "", line)
        f.samples.append((m.group(1), labels, float(m.group(4))))  # float() takes +Inf and NaN
    for f in families.values():
        if f.type is None:
            raise PrometheusError("no TYPE for %s" % f.name)
        if f.type == "counter" and any(v < 0 for _, _, v in f.samples):
            raise PrometheusError("negative counter %s" % f.name)
        if f.type == "histogram":
            _check_histogram(f)
    return families
