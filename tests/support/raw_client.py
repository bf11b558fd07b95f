"""RawClient: an HTTP/1.1 client that sends exactly the bytes it is given (for smuggling tests)
and reads responses with a deadline.

    with RawClient(port) as c:
        c.send(b"GET /hello HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n")
        r = c.read_response(timeout=5)       # Response: status, headers, body
        assert c.is_closed(timeout=3)

Every read has a deadline; a missed deadline raises ResponseTimeout, an early close raises
IncompleteResponse (both say what had arrived). Also: WebSocket helpers (ws_handshake,
send_ws, read_ws_frame) and request() to build request bytes.
"""

import base64
import hashlib
import json
import os
import socket
import time

from test_origin import WS_GUID, ws_frame, ws_unmask

RECV_SIZE = 256 * 1024


class ResponseTimeout(AssertionError):
    pass


class IncompleteResponse(AssertionError):
    """The peer closed before a whole response arrived. .partial is what did arrive."""

    def __init__(self, msg, partial=None):
        super().__init__(msg)
        self.partial = partial


class Response:
    def __init__(self, version, status, reason, headers, raw_head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # [(name, value)]
        self.raw_head = raw_head
        self.body = b""        # empty when a body_sink took the bytes
        self.body_len = 0
        self.trailers = []
        self.framing = None    # "length" | "chunked" | "close" | "none"

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def has_token(self, name, token):
        token = token.lower()
        return any(t.strip().lower() == token for v in self.header_all(name) for t in v.split(","))

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "Response(%d %s, %d headers, body_len=%d, framing=%s, head=%r, body[:200]=%r)" % (
            self.status, self.reason, len(self.headers), self.body_len, self.framing,
            self.raw_head[:600], self.body[:200])


def request(method, target, headers=(), body=b"", host="test.local", version="HTTP/1.1",
            content_length=True):
    """Bytes of a request. Host comes first unless host=None; CL is added for a body unless
    content_length=False or a Content-Length / Transfer-Encoding header is given."""
    if isinstance(body, str):
        body = body.encode()
    lines = ["%s %s %s" % (method, target, version)]
    if host is not None:
        lines.append("Host: %s" % host)
    names = {k.lower() for k, _ in headers}
    lines += ["%s: %s" % (k, v) for k, v in headers]
    if body and content_length and not names & {"content-length", "transfer-encoding"}:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(body, chunk_size=65536):
    """body encoded as chunked, with the last-chunk."""
    out = []
    for i in range(0, len(body), chunk_size):
        part = body[i:i + chunk_size]
        out.append(b"%x\r\n%s\r\n" % (len(part), part))
    out.append(b"0\r\n\r\n")
    return b"".join(out)


class RawClient:
    def __init__(self, port, host="127.0.0.1", connect_timeout=5.0, rcvbuf=None):
        self.host = host
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(connect_timeout)
        self.sock.connect((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.eof = False
        self.reset = False
        self._scratch = bytearray(RECV_SIZE)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # -- sending ----------------------------------------------------------------------------
    def send(self, data, timeout=10.0):
        """Send all of data (bytes or str) within timeout."""
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.settimeout(timeout)
        self.sock.sendall(data)

    def get(self, target, headers=(), host="test.local", timeout=10.0):
        """Send a GET and read its response."""
        self.send(request("GET", target, headers, host=host))
        return self.read_response(timeout=timeout)

    # -- receiving --------------------------------------------------------------------------
    def _recv(self, deadline):
        """Read once into buf. False on EOF (or reset). Raises ResponseTimeout past deadline."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            raise ResponseTimeout("deadline passed; %d bytes buffered: %r" % (len(self.buf), bytes(self.buf[:300])))
        self.sock.settimeout(left)
        try:
            n = self.sock.recv_into(self._scratch)
        except socket.timeout:
            raise ResponseTimeout("no data before deadline; %d bytes buffered: %r"
                                  % (len(self.buf), bytes(self.buf[:300])))
        except ConnectionResetError:
            self.eof = self.reset = True
            return False
        if n == 0:
            self.eof = True
            return False
        self.buf += memoryview(self._scratch)[:n]
        return True

    def _read_until(self, marker, deadline, limit, what):
        start = 0
        while True:
            i = self.buf.find(marker, start)
            if i >= 0:
                out = bytes(self.buf[:i + len(marker)])
                del self.buf[:i + len(marker)]
                return out
            if len(self.buf) > limit:
                raise AssertionError("%s longer than %d bytes: %r" % (what, limit, bytes(self.buf[:300])))
            start = max(0, len(self.buf) - len(marker) + 1)
            if not self._recv(deadline):
                raise IncompleteResponse("closed while reading %s; got %r" % (what, bytes(self.buf[:600])))

    def _stream(self, n, deadline, sink):
        while n > 0:
            if not self.buf and not self._recv(deadline):
                raise IncompleteResponse("closed with %d body bytes missing" % n)
            take = min(n, len(self.buf))
            sink(bytes(self.buf[:take]))
            del self.buf[:take]
            n -= take

    def read_response(self, timeout=10.0, head_request=False, body_sink=None,
                      skip_informational=False):
        """Read one response (a 1xx counts as one unless skip_informational).

        The body goes to body_sink(bytes) if given, else into Response.body."""
        deadline = time.monotonic() + timeout
        while True:
            resp = self._read_head(deadline)
            if not (100 <= resp.status < 200 and skip_informational):
                break
        if 100 <= resp.status < 200 or resp.status in (204, 304) or head_request:
            resp.framing = "none"
            return resp
        parts = []

        def collect(data):
            resp.body_len += len(data)
            if body_sink:
                body_sink(data)
            else:
                parts.append(data)

        try:
            te = [c.strip().lower() for v in resp.header_all("transfer-encoding") for c in v.split(",")]
            cl = resp.header_all("content-length")
            if te and te[-1] == "chunked":
                resp.framing = "chunked"
                self._read_chunked(resp, deadline, collect)
            elif cl:
                resp.framing = "length"
                self._stream(int(cl[0]), deadline, collect)
            else:
                resp.framing = "close"
                while True:
                    if self.buf:
                        collect(bytes(self.buf))
                        self.buf.clear()
                    if not self._recv(deadline):
                        break
        except IncompleteResponse as e:
            resp.body = b"".join(parts)
            raise IncompleteResponse("%s (response so far: %r)" % (e, resp), partial=resp)
        except ResponseTimeout as e:
            resp.body = b"".join(parts)
            raise ResponseTimeout("%s (response so far: %r)" % (e, resp))
        resp.body = b"".join(parts)
        return resp

    def read_head(self, timeout=10.0):
        """Only the next response head (the body, if any, stays unread: see read_body)."""
        return self._read_head(time.monotonic() + timeout)

    def read_body(self, n, timeout=10.0, sink=None):
        """Exactly n raw body bytes to sink(bytes) (or returned) within timeout."""
        parts = []
        self._stream(n, time.monotonic() + timeout, sink or parts.append)
        return b"".join(parts)

    def _read_head(self, deadline):
        raw = self._read_until(b"\r\n\r\n", deadline, 1024 * 1024, "response head")
        lines = raw[:-4].split(b"\r\n")
        status_line = lines[0].decode("latin-1")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise AssertionError("bad status line %r in %r" % (status_line, raw[:600]))
        headers = []
        for line in lines[1:]:
            k, _, v = line.decode("latin-1").partition(":")
            headers.append((k.strip(), v.strip()))
        return Response(parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "", headers, raw)

    def _read_chunked(self, resp, deadline, collect):
        while True:
            line = self._read_until(b"\r\n", deadline, 4096, "chunk size line")
            size = int(line[:-2].split(b";")[0].strip(), 16)
            if size == 0:
                while True:
                    t = self._read_until(b"\r\n", deadline, 65536, "trailer")
                    if t == b"\r\n":
                        return
                    k, _, v = t[:-2].decode("latin-1").partition(":")
                    resp.trailers.append((k.strip(), v.strip()))
            self._stream(size, deadline, collect)
            crlf = self._read_until(b"\r\n", deadline, 2, "chunk CRLF")
            if crlf != b"\r\n":
                raise AssertionError("chunk data not followed by CRLF: %r" % crlf)

    def read_all_until_close(self, timeout=10.0):
        """Everything (buffered + new) until the peer closes. Raises ResponseTimeout."""
        deadline = time.monotonic() + timeout
        while self._recv(deadline):
            pass
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def read_available(self, timeout=0.5):
        """Whatever arrives within timeout (buffered bytes included); does not wait for close."""
        deadline = time.monotonic() + timeout
        try:
            while self._recv(deadline):
                pass
        except ResponseTimeout:
            pass
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def is_closed(self, timeout=3.0):
        """True if the peer closes (FIN or RST) within timeout. Data that arrives meanwhile is
        kept in self.buf (see pending())."""
        deadline = time.monotonic() + timeout
        try:
            while self._recv(deadline):
                pass
        except ResponseTimeout:
            return False
        return True

    def pending(self):
        return bytes(self.buf)

    # -- WebSocket --------------------------------------------------------------------------
    def ws_handshake(self, target="/ws", host="test.local", timeout=5.0, extra_headers=()):
        """Send the upgrade request; returns (response, key). Checks nothing."""
        key = base64.b64encode(os.urandom(16)).decode()
        self.send(request("GET", target, [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                          ("Sec-WebSocket-Key", key),
                                          ("Sec-WebSocket-Version", "13")] + list(extra_headers),
                          host=host))
        return self.read_response(timeout=timeout), key

    @staticmethod
    def ws_expected_accept(key):
        return base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()

    def send_ws(self, opcode, payload, mask=True, fin=True):
        self.send(ws_frame(opcode, payload, mask=mask, fin=fin, mask_key=os.urandom(4)))

    def read_ws_frame(self, timeout=5.0):
        """(fin, opcode, payload) of the next frame, unmasking if the server masked."""
        deadline = time.monotonic() + timeout

        def need(n):
            while len(self.buf) < n:
                if not self._recv(deadline):
                    raise IncompleteResponse("closed inside a WebSocket frame (%d bytes buffered)"
                                             % len(self.buf))
        need(2)
        b0, b1 = self.buf[0], self.buf[1]
        length, pos = b1 & 0x7F, 2
        if length == 126:
            need(4)
            length, pos = int.from_bytes(self.buf[2:4], "big"), 4
        elif length == 127:
            need(10)
            length, pos = int.from_bytes(self.buf[2:10], "big"), 10
        mask = None
        if b1 & 0x80:
            need(pos + 4)
            mask = bytes(self.buf[pos:pos + 4])
            pos += 4
        need(pos + length)
        payload = bytes(self.buf[pos:pos + length])
        del self.buf[:pos + length]
        if mask:
            payload = ws_unmask(payload, mask)
        return bool(b0 & 0x80), b0 & 0x0F, payload
