"""TLS test material: a throwaway PKI made with the `openssl` CLI, and small wrappers around the
client tools (openssl s_client, curl) that the TLS and HTTP/2 integration tests share.

    pki = test_pki()                 # made once per test process, removed at exit
    pki.ca                           # CA certificate (PEM): clients verify with it (--cacert)
    pki.a                            # Leaf: ECDSA P-256, SANs a.test and *.wild.test
    pki.b                            # Leaf: RSA-2048, SAN b.test
    pki.mismatched_key               # an ECDSA key that belongs to no certificate
    pki.issue("a2", ["a.test"])      # a new leaf (new key, new random serial) signed by the CA
    leaf.cert, leaf.key, leaf.serial (int), leaf.subject ("CN=a.test"), leaf.ocsp (DER or None)

Every leaf carries an OCSP response ("good", signed by the CA) for stapling tests. Tools are
found on PATH; `missing_tools(...)` names the absent ones so a test can skipTest. Every tool
run has a timeout (AssertionError past it, with what the tool printed).
GATEHOUSE_KEEP_TMP=1 keeps the PKI directory.
"""

import atexit
import datetime
import os
import re
import secrets
import shutil
import subprocess
import tempfile

TOOL_TIMEOUT = 30.0


def missing_tools(*names):
    """The names among `names` that are not on PATH."""
    return [n for n in names if shutil.which(n) is None]


def run_tool(args, timeout=TOOL_TIMEOUT, input=None, check=False):
    """Run a tool to completion: (exit code, stdout text, stderr text). Past timeout it is
    killed and AssertionError says what it printed so far. check=True also fails on exit != 0."""
    proc = subprocess.Popen(args, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=10)
        raise AssertionError("%s: still running after %.1fs\nstdout: %s\nstderr: %s"
                             % (" ".join(args), timeout, out[-2000:], err[-2000:]))
    out = out.decode("utf-8", "replace")
    err = err.decode("utf-8", "replace")
    if check and proc.returncode != 0:
        raise AssertionError("%s: exit %d\nstdout: %s\nstderr: %s"
                             % (" ".join(args), proc.returncode, out[-2000:], err[-2000:]))
    return proc.returncode, out, err


# ---------------------------------------------------------------------------------------------
class Leaf:
    """One issued certificate: PEM cert, PEM key, serial, subject, OCSP response (DER)."""

    def __init__(self, name, cert, key, serial, names, key_type, ocsp=None):
        self.name = name
        self.cert = cert
        self.key = key
        self.serial = serial
        self.names = list(names)
        self.key_type = key_type
        self.subject = "CN=%s" % names[0]
        self.ocsp = ocsp

    def files(self):
        """The `certificates:` entry for a gatehouse TLS listener."""
        return {"cert": self.cert, "key": self.key}

    def __repr__(self):
        return "Leaf(%s, %s, serial=%X, %s)" % (self.name, self.key_type, self.serial, self.names)


class TestPki:
    """A CA and leaves under one temp dir (see the module docstring)."""

    __test__ = False  # not a unittest case

    def __init__(self, directory=None):
        self.dir = directory or tempfile.mkdtemp(prefix="gatehouse-pki-")
        self.ca_key = os.path.join(self.dir, "ca.key")
        self.ca = os.path.join(self.dir, "ca.pem")
        self._openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-nodes", "-keyout", self.ca_key, "-out", self.ca, "-days", "3650",
                      "-subj", "/O=gatehouse tests/CN=gatehouse test CA",
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                      "-addext", "subjectKeyIdentifier=hash")
        self.a = self.issue("a", ["a.test", "*.wild.test"], key_type="ec")
        self.b = self.issue("b", ["b.test"], key_type="rsa")
        self.mismatched_key = self.new_key("mismatched", "ec")

    def _openssl(self, *args):
        return run_tool(["openssl"] + list(args), check=True)[1]

    def new_key(self, name, key_type):
        """A fresh private key (PEM, unencrypted): ec = P-256, rsa = 2048 bits."""
        path = os.path.join(self.dir, name + ".key")
        if key_type == "ec":
            self._openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                          "-out", path)
        elif key_type == "rsa":
            self._openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                          "-out", path)
        else:
            raise ValueError("key_type must be ec or rsa, not %r" % key_type)
        return path

    def issue(self, name, names, key_type="ec", serial=None, days=365, ips=(),
              usage="serverAuth"):
        """A leaf for DNS names (the first is the CN) and IP addresses `ips`, with a new key
        and a random serial; usage: its extendedKeyUsage (clientAuth for a client)."""
        key = self.new_key(name, key_type)
        csr = os.path.join(self.dir, name + ".csr")
        ext = os.path.join(self.dir, name + ".ext")
        cert = os.path.join(self.dir, name + ".pem")
        serial = serial or (secrets.randbits(62) | (1 << 62))
        with open(ext, "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature%s\n"
                    "extendedKeyUsage=%s\n"
                    "subjectAltName=%s\n"
                    % (",keyEncipherment" if key_type == "rsa" else "", usage,
                       ",".join(["DNS:" + n for n in names] + ["IP:" + a for a in ips])))
        self._openssl("req", "-new", "-key", key, "-out", csr, "-subj", "/CN=%s" % names[0])
        self._openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key,
                      "-set_serial", str(serial), "-days", str(days), "-sha256",
                      "-extfile", ext, "-out", cert)
        leaf = Leaf(name, cert, key, serial, names, key_type)
        leaf.ocsp = self._ocsp_response(leaf)
        return leaf

    def _ocsp_response(self, leaf):
        """A DER OCSP response saying `good` for leaf, signed by the CA (for stapling)."""
        index = os.path.join(self.dir, leaf.name + ".index")
        expiry = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=365))
        with open(index, "w") as f:
            f.write("V\t%s\t\t%X\tunknown\t/CN=%s\n" % (expiry.strftime("%y%m%d%H%M%SZ"), leaf.serial,
                                                       leaf.names[0]))
        out = os.path.join(self.dir, leaf.name + ".ocsp.der")
        self._openssl("ocsp", "-index", index, "-rsigner", self.ca, "-rkey", self.ca_key,
                      "-CA", self.ca, "-issuer", self.ca, "-cert", leaf.cert, "-ndays", "7",
                      "-respout", out)
        return out

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


_PKI = None


def test_pki():
    """The PKI of this test process: made on first use (about a second), removed at exit."""
    global _PKI
    if _PKI is None:
        _PKI = TestPki()
        if not os.environ.get("GATEHOUSE_KEEP_TMP"):
            atexit.register(_PKI.remove)
    return _PKI


test_pki.__test__ = False


def cert_info(pem_text):
    """{'serial': int, 'subject': 'CN=...'} of the first PEM certificate in pem_text."""
    m = re.search(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", pem_text, re.S)
    if not m:
        raise AssertionError("no PEM certificate in:\n%s" % pem_text[-2000:])
    _, out, _ = run_tool(["openssl", "x509", "-noout", "-serial", "-subject", "-nameopt", "compat"],
                         input=m.group(0).encode(), check=True)
    serial = int(re.search(r"serial=([0-9A-Fa-f]+)", out).group(1), 16)
    subject = re.search(r"subject=\s*/?(.*)", out).group(1).strip()
    return {"serial": serial, "subject": subject}


# ---------------------------------------------------------------------------------------------
class Handshake:
    """What `openssl s_client` reported about one connection."""

    def __init__(self, rc, out, err):
        self.rc = rc
        self.out = out
        self.err = err
        text = out + "\n" + err
        self.connected = "-----BEGIN CERTIFICATE-----" in out or "Cipher is" in out
        m = re.search(r"^(New|Reused), (TLSv[\d.]+|\(NONE\))", text, re.M)
        self.reused = bool(m) and m.group(1) == "Reused"
        self.protocol = m.group(2) if m and m.group(2) != "(NONE)" else None
        m = re.search(r"^(?:New|Reused), \S+, Cipher is (\S+)", text, re.M)
        self.cipher = m.group(1) if m and m.group(1) != "(NONE)" else None
        m = re.search(r"^ALPN protocol: (\S+)", text, re.M)
        self.alpn = m.group(1) if m else None
        m = re.search(r"Verify return code: (\d+)", text)
        self.verify_code = int(m.group(1)) if m else None
        self.ocsp_stapled = "OCSP Response Status: successful" in text
        # The leaf follows "Server certificate" (with -status, the OCSP part may print others).
        m = re.search(r"^Server certificate\r?\n(-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----)",
                      out, re.S | re.M)
        self.cert = cert_info(m.group(1)) if m else None
        self.serial = self.cert["serial"] if self.cert else None
        self.subject = self.cert["subject"] if self.cert else None

    def __repr__(self):
        return ("Handshake(rc=%s, protocol=%s, cipher=%s, reused=%s, alpn=%s, subject=%s, serial=%s, verify=%s)"
                "\n--- s_client stdout (tail):\n%s\n--- stderr (tail):\n%s"
                % (self.rc, self.protocol, self.cipher, self.reused, self.alpn, self.subject,
                   "%X" % self.serial if self.serial else None, self.verify_code,
                   self.out[-1500:], self.err[-1500:]))


def s_client(port, servername=None, alpn=None, cafile=None, version=None, sess_out=None,
             sess_in=None, request=None, status=False, timeout=15.0, extra=()):
    """One `openssl s_client` connection to 127.0.0.1:port; returns a Handshake.

    servername None sends no SNI. alpn: "h2,http/1.1"-style list. version: "tls1_2" | "tls1_3".
    request: bytes written after the handshake; s_client then reads until the server closes
    (send `Connection: close`), so TLS 1.3 session tickets (sent after the handshake) arrive
    before -sess_out is written. Without it, stdin is empty and s_client quits after the
    handshake."""
    args = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port]
    args += ["-servername", servername] if servername else ["-noservername"]
    if alpn:
        args += ["-alpn", alpn]
    if cafile:
        args += ["-CAfile", cafile]
    if version:
        args += ["-" + version]
    if sess_out:
        args += ["-sess_out", sess_out]
    if sess_in:
        args += ["-sess_in", sess_in]
    if status:
        args += ["-status"]
    if request is not None:
        args += ["-ign_eof"]
    args += list(extra)
    rc, out, err = run_tool(args, timeout=timeout, input=request if request is not None else b"")
    return Handshake(rc, out, err)


def curl_args(port, path, host="a.test", cafile=None, http="--http1.1", extra=(), scheme=None):
    """curl arguments for https://host:port/path resolved to 127.0.0.1, verified with cafile.
    http: --http1.1 | --http2 | --http2-prior-knowledge. scheme: https, except http by default
    with --http2-prior-knowledge."""
    scheme = scheme or ("http" if http == "--http2-prior-knowledge" else "https")
    args = ["curl", "-sS", http, "--max-time", "60",
            "--resolve", "%s:%d:127.0.0.1" % (host, port)]
    if cafile:
        args += ["--cacert", cafile]
    args += list(extra)
    args.append("%s://%s:%d%s" % (scheme, host, port, path))
    return args


class CurlResult:
    """A curl run: status, http_version ("1.1", "2"), headers (lowercased names), body."""

    def __init__(self, rc, out, err, body):
        self.rc = rc
        self.stderr = err
        self.body = body
        self.status = None
        self.http_version = None
        self.headers = []
        heads = [h for h in re.split(r"\r?\n\r?\n", out) if h.startswith("HTTP/")]
        if heads:
            lines = heads[-1].splitlines()
            m = re.match(r"HTTP/(\S+) (\d{3})", lines[0])
            if m:
                self.http_version, self.status = m.group(1), int(m.group(2))
            for line in lines[1:]:
                k, _, v = line.partition(":")
                self.headers.append((k.strip().lower(), v.strip()))
        self.head_text = out

    def header(self, name, default=None):
        for k, v in self.headers:
            if k == name.lower():
                return v
        return default

    def __repr__(self):
        return ("CurlResult(rc=%s, HTTP/%s %s, body=%d bytes %r)\n--- head:\n%s\n--- stderr:\n%s"
                % (self.rc, self.http_version, self.status, len(self.body), self.body[:300],
                   self.head_text[-1500:], self.stderr[-1500:]))


def curl(port, path, host="a.test", cafile=None, http="--http1.1", extra=(), timeout=60.0, input=None,
         scheme=None):
    """Run curl (see curl_args) and return a CurlResult; the head comes from -D, the body from
    stdout (kept in memory: use it for small bodies). input: bytes for curl's stdin."""
    fd, head_path = tempfile.mkstemp(prefix="gatehouse-curl-head-")
    os.close(fd)
    try:
        args = curl_args(port, path, host, cafile, http, ["-D", head_path] + list(extra), scheme)
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL if input is None else subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            body, err = proc.communicate(input=input, timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            body, err = proc.communicate(timeout=10)
            raise AssertionError("%s: still running after %.1fs; stderr: %s"
                                 % (" ".join(args), timeout, err[-2000:]))
        with open(head_path, "rb") as f:
            head = f.read().decode("latin-1")
        return CurlResult(proc.returncode, head, err.decode("utf-8", "replace"), body)
    finally:
        os.unlink(head_path)


# ---------------------------------------------------------------------------------------------
def tls_listener(port, leaves, hsts=None, **tls):
    """A `listeners:` entry: TLS on 127.0.0.1:port with leaves' chains (the first is the
    default); tls adds keys of `tls:` (min_version, alpn, ...)."""
    entry = {"address": "127.0.0.1:%d" % port,
             "tls": dict({"certificates": [l.files() if isinstance(l, Leaf) else l for l in leaves]},
                         **tls)}
    if hsts is not None:
        entry["hsts"] = hsts
    return entry


def tls_client(port, server_hostname="a.test", cafile=None, alpn=None, timeout=5.0,
               min_version=None, max_version=None, rcvbuf=None):
    """A RawClient (HTTP/1.1 helpers, deadlines) whose socket is TLS to 127.0.0.1:port,
    verified against cafile (no verification without it). alpn: list of protocols."""
    import ssl

    from raw_client import RawClient

    ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl._create_unverified_context()
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    if min_version:
        ctx.minimum_version = min_version
    if max_version:
        ctx.maximum_version = max_version
    c = RawClient(port, connect_timeout=timeout, rcvbuf=rcvbuf)
    try:
        c.sock = ctx.wrap_socket(c.sock, server_hostname=server_hostname)
    except BaseException:
        c.close()
        raise
    return c
