"""HTTP/2 as raw frames (RFC 9113 §4, §6) and the little of HPACK (RFC 7541) a client needs to
send, for the tests that must send what no client library would: tests/integration/http2_test.py
and tests/hostile/h2_*_test.py. Stdlib only (socket, ssl).

    c = H2Client(port, tls=False)                  # plain (h2c) or TLS with ALPN h2
    c.start(headers_frame(1, request_block("/x")))  # preface, empty SETTINGS, then the bytes
    c.wait_for_stream_end(1, timeout=5)             # "response", "reset", "goaway", "closed"...
    c.wait_for_end(timeout=5)                       # ("goaway", code, last_stream) | ("closed"..)
"""

import socket
import ssl
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR, SETTINGS_TIMEOUT, STREAM_CLOSED, \
    FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL, COMPRESSION_ERROR, CONNECT_ERROR, \
    ENHANCE_YOUR_CALM = range(12)
# SETTINGS parameters (RFC 9113 §6.5.2)
HEADER_TABLE_SIZE, ENABLE_PUSH, MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE, \
    MAX_HEADER_LIST_SIZE = range(1, 7)
ERROR_NAMES = {0x0: "NO_ERROR", 0x1: "PROTOCOL_ERROR", 0x2: "INTERNAL_ERROR",
               0x3: "FLOW_CONTROL_ERROR", 0x4: "SETTINGS_TIMEOUT", 0x5: "STREAM_CLOSED",
               0x6: "FRAME_SIZE_ERROR", 0x7: "REFUSED_STREAM", 0x8: "CANCEL",
               0x9: "COMPRESSION_ERROR", 0xa: "CONNECT_ERROR", 0xb: "ENHANCE_YOUR_CALM",
               0xc: "INADEQUATE_SECURITY", 0xd: "HTTP_1_1_REQUIRED"}


def frame(ftype, flags, stream_id, payload=b"", length=None):
    """One frame; length overrides the header's length field (to lie about it)."""
    n = len(payload) if length is None else length
    return n.to_bytes(3, "big") + bytes([ftype, flags]) + (stream_id & 0x7FFFFFFF).to_bytes(4, "big") + payload


def settings(pairs=(), ack=False):
    return frame(SETTINGS, ACK if ack else 0, 0,
                 b"".join(k.to_bytes(2, "big") + v.to_bytes(4, "big") for k, v in pairs))


def rst_stream(stream_id, code=CANCEL):
    return frame(RST_STREAM, 0, stream_id, code.to_bytes(4, "big"))


def hpack_int(value, prefix_bits, high=0):
    """RFC 7541 §5.1 integer with an N-bit prefix; high = the bits above the prefix."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([high | value])
    out = bytearray([high | limit])
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack_string(s):
    """§5.2 string literal, never Huffman."""
    data = s.encode("latin-1") if isinstance(s, str) else s
    return hpack_int(len(data), 7) + data


def hpack_literal(name, value):
    """§6.2.2 literal header field without indexing, new name (0x00): no table state at all."""
    return b"\x00" + hpack_string(name) + hpack_string(value)


def request_block(path="/", method="GET", authority="a.test", scheme="https", extra=()):
    fields = [(":method", method), (":scheme", scheme), (":path", path), (":authority", authority)]
    return b"".join(hpack_literal(k, v) for k, v in fields + list(extra))


def hpack_indexed_literal(name, value):
    """§6.2.1 literal header field with incremental indexing, new name: enters the dynamic table."""
    return b"\x40" + hpack_string(name) + hpack_string(value)


def headers_frame(stream_id, block, end_stream=True, end_headers=True):
    flags = (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0)
    return frame(HEADERS, flags, stream_id, block)


class H2Client:
    """A raw HTTP/2 connection over TLS (ALPN h2) or plain TCP: send bytes, read frames with a
    deadline, wait for the server to end the connection."""

    def __init__(self, port, tls=True, server_hostname="a.test", timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:
            ctx = ssl._create_unverified_context()
            ctx.set_alpn_protocols(["h2"])
            self.sock = ctx.wrap_socket(self.sock, server_hostname=server_hostname)
            if self.sock.selected_alpn_protocol() != "h2":
                raise AssertionError("server did not select h2 (ALPN: %r)" % self.sock.selected_alpn_protocol())
        self.buf = bytearray()
        self.closed = False
        self.frames = []  # (type, flags, stream, payload[:64]) of every frame read

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        """False if the server has already closed (reset or broken pipe)."""
        try:
            self.sock.settimeout(10)
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
            return False

    def start(self, extra=b""):
        """Preface, empty SETTINGS, and extra bytes."""
        return self.send(PREFACE + settings() + extra)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout()
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError, BrokenPipeError):
            data = b""
        except ssl.SSLError as e:  # a fatal alert, a record after close_notify...
            if "timed out" in str(e):
                raise socket.timeout()
            data = b""
        if not data:
            self.closed = True
            return False
        self.buf += data
        return True

    def read_frame(self, deadline):
        """(type, flags, stream, payload), or None once the server has closed. Raises
        socket.timeout past the deadline."""
        while len(self.buf) < 9 or len(self.buf) < 9 + int.from_bytes(self.buf[:3], "big"):
            if self.closed or not self._fill(deadline):
                return None
        n = int.from_bytes(self.buf[:3], "big")
        f = (self.buf[3], self.buf[4], int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF,
             bytes(self.buf[9:9 + n]))
        del self.buf[:9 + n]
        self.frames.append((f[0], f[1], f[2], f[3][:64]))
        return f

    def wait_for_end(self, timeout, answer=True):
        """How the server ends the connection: ("goaway", error code, last stream id) or
        ("closed", None, None); ("open", None, None) if it has not within timeout. Ignores other
        frames, acks SETTINGS and PING like a client must (unless answer=False: in the middle of
        a header block a client may send nothing else)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                f = self.read_frame(deadline)
                if f is None:
                    return ("closed", None, None)
                ftype, flags, _, payload = f
                if ftype == GOAWAY:
                    return ("goaway", int.from_bytes(payload[4:8], "big"),
                            int.from_bytes(payload[:4], "big") & 0x7FFFFFFF)
                if not answer:
                    continue
                if ftype == SETTINGS and not flags & ACK:
                    self.send(settings(ack=True))
                elif ftype == PING and not flags & ACK:
                    self.send(frame(PING, ACK, 0, payload))
        except socket.timeout:
            return ("open", None, None)

    def wait_for_stream_end(self, stream_id, timeout):
        """How stream_id ends: "reset" (RST_STREAM), "response" (HEADERS or DATA with
        END_STREAM), "goaway", "closed", or "open" at the deadline."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                f = self.read_frame(deadline)
                if f is None:
                    return "closed"
                ftype, flags, sid, payload = f
                if ftype == GOAWAY:
                    return "goaway"
                if ftype == SETTINGS and not flags & ACK:
                    self.send(settings(ack=True))
                elif ftype == PING and not flags & ACK:
                    self.send(frame(PING, ACK, 0, payload))
                elif sid == stream_id and ftype == RST_STREAM:
                    return "reset"
                elif sid == stream_id and ftype in (HEADERS, DATA) and flags & END_STREAM:
                    return "response"
        except socket.timeout:
            return "open"

    def summary(self):
        names = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING",
                 "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"]
        counts = {}
        for t, _, _, _ in self.frames:
            key = names[t] if t < len(names) else "type%d" % t
            counts[key] = counts.get(key, 0) + 1
        return "frames read: %s; closed=%s" % (counts, self.closed)


def describe(end):
    kind, code, last = end
    return "%s %s last_stream=%s" % (kind, ERROR_NAMES.get(code, code) if code is not None else "", last)
