#!/usr/bin/python3
"""TestOrigin: a scriptable HTTP/1.1 origin server for the integration tests.

Threaded, raw sockets, keep-alive, its own small parser; it binds port 0 so tests never
collide. Use it in-process:

    with TestOrigin(name="a1") as origin:
        ... origin.port ... origin.wait_for_requests(3, timeout=5) ... origin.release("k")

or as a script: `python3 test_origin.py --port N` prints `listening PORT` and serves until
SIGTERM/SIGINT.

Routes (every response carries `X-Origin: <name>`):
  GET /hello              200 "hello"
  *   /echo               JSON {"method","path","headers":[[k,v]...],"body_len","body_sha256"};
                          CL or chunked request bodies are hashed as they stream in
  GET /bytes?n=N          N bytes of the generated pattern (see pattern_bytes), with CL, 64 KiB writes
  GET /chunked?n=N        the same, chunked
  GET /close-delimited?n=N  no CL, no TE: the body ends when the origin closes
  GET /delay?ms=M         200 after M ms
  GET /hold?key=K         200 once the test calls origin.release(K) (or the origin stops)
  GET /close-mid-body     headers with CL 1000, 10 bytes, then close
  GET /status?code=C      status C
  GET /garbage            bytes that are not HTTP, then close
  GET|HEAD /head-test     CL 11; HEAD gets the same head and no body
  GET /ws                 WebSocket handshake, then echoes frames (masking handled, close replied)
  anything else           404
Tests can add routes: origin.add_route("/x", lambda ctx: ctx.respond(200, b"x")).

Also here: RefusingPort (a port with nothing listening) and SilentOrigin (accepts, never answers).
Every wait takes a timeout; every thread is a daemon and stop() is bounded.
"""

import argparse
import base64
import functools
import hashlib
import json
import signal
import socket
import sys
import threading
import time
import urllib.parse

MAX_HEAD = 256 * 1024
RECV_SIZE = 256 * 1024
WRITE_SIZE = 64 * 1024
KEEP_BODY_LIMIT = 1024 * 1024  # request bodies up to this size are kept in Request.body
LOG_LIMIT = 10000
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TOKEN_CHARS = frozenset(b"!#$%&'*+-.^_`|~0123456789"
                        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

# ---------------------------------------------------------------------------------------------
# The byte pattern of /bytes, /chunked and /close-delimited: byte k of a body is k % 251.
# 251 is prime, so a shifted or dropped block shows up as a mismatch.
PATTERN_PERIOD = 251
_PATTERN = bytes(range(PATTERN_PERIOD)) * (WRITE_SIZE // PATTERN_PERIOD + 2)


def pattern_bytes(offset, length):
    """Bytes [offset, offset+length) of the pattern."""
    out = []
    while length > 0:
        start = offset % PATTERN_PERIOD
        take = min(length, WRITE_SIZE)
        out.append(_PATTERN[start:start + take])
        offset += take
        length -= take
    return b"".join(out)


@functools.lru_cache(maxsize=16)
def pattern_sha256(n):
    """sha256 hex of the first n pattern bytes (cached: 1 GiB takes a few seconds)."""
    h = hashlib.sha256()
    offset = 0
    while offset < n:
        take = min(WRITE_SIZE, n - offset)
        h.update(_PATTERN[offset % PATTERN_PERIOD:offset % PATTERN_PERIOD + take])
        offset += take
    return h.hexdigest()


class PatternChecker:
    """Feed it a streamed body; it checks every byte against the pattern without keeping it."""

    def __init__(self):
        self.count = 0
        self.first_mismatch = None  # offset of the first wrong byte

    @property
    def ok(self):
        return self.first_mismatch is None

    def feed(self, data):
        mv = memoryview(data)
        pos = 0
        while pos < len(mv):
            take = min(WRITE_SIZE, len(mv) - pos)
            if self.first_mismatch is None:
                want = pattern_bytes(self.count, take)
                got = mv[pos:pos + take]
                if got != want:
                    for i in range(take):
                        if got[i] != want[i]:
                            self.first_mismatch = self.count + i
                            break
            self.count += take
            pos += take


# ---------------------------------------------------------------------------------------------
class BadRequest(Exception):
    pass


class PeerClosed(Exception):
    pass


class Request:
    """What the origin saw. Body fields are filled as the body arrives (complete=True at end)."""

    def __init__(self, method, target, version, headers):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers  # [(name, value)] as received (latin-1 strings)
        parts = urllib.parse.urlsplit(target)
        self.path = parts.path
        self.query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        self.body_len = 0
        self.trailers = []  # [(name, value)] after a chunked body
        self.body_sha256 = hashlib.sha256(b"").hexdigest()
        self.body = b""  # kept only up to KEEP_BODY_LIMIT
        self.complete = False
        self.received_at = time.monotonic()

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
        """True if a comma-separated header (Connection, TE...) lists token."""
        token = token.lower()
        return any(t.strip().lower() == token
                   for v in self.header_all(name) for t in v.split(","))

    def as_dict(self):
        return {"method": self.method, "path": self.path, "target": self.target,
                "version": self.version, "headers": [[k, v] for k, v in self.headers],
                "body_len": self.body_len, "body_sha256": self.body_sha256,
                "trailers": [[k, v] for k, v in self.trailers]}

    def __repr__(self):
        return "Request(%s %s %s, %d headers, body_len=%d%s)" % (
            self.method, self.target, self.version, len(self.headers), self.body_len,
            "" if self.complete else ", incomplete")


class _Reader:
    """Buffered reads from a socket. Raises PeerClosed on EOF."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self._scratch = bytearray(RECV_SIZE)

    def _fill(self):
        n = self.sock.recv_into(self._scratch)
        if n == 0:
            raise PeerClosed()
        self.buf += memoryview(self._scratch)[:n]

    def read_head(self):
        """Bytes up to and including CRLFCRLF; None on EOF at a message boundary."""
        start = 0
        while True:
            i = self.buf.find(b"\r\n\r\n", start)
            if i >= 0:
                head = bytes(self.buf[:i + 4])
                del self.buf[:i + 4]
                return head
            if len(self.buf) > MAX_HEAD:
                raise BadRequest("head too large")
            start = max(0, len(self.buf) - 3)
            try:
                self._fill()
            except PeerClosed:
                if not self.buf:
                    return None
                raise

    def read_line(self, limit=4096):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return line
            if len(self.buf) > limit:
                raise BadRequest("line too long")
            self._fill()

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def stream(self, n, sink):
        """Pass exactly n bytes to sink(memoryview) without holding them."""
        if self.buf:
            take = min(n, len(self.buf))
            sink(memoryview(bytes(self.buf[:take])))
            del self.buf[:take]
            n -= take
        mv = memoryview(self._scratch)
        while n > 0:
            got = self.sock.recv_into(mv[:min(n, RECV_SIZE)])
            if got == 0:
                raise PeerClosed()
            sink(mv[:got])
            n -= got


def _parse_head(head):
    """Request line + headers, strictly: CRLF lines, token names, no obs-fold."""
    lines = head[:-4].split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise BadRequest("bad request line %r" % lines[0][:100])
    method, target, version = (p.decode("latin-1") for p in parts)
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise BadRequest("bad version %r" % version)
    if any(c <= 0x20 or c == 0x7F for c in parts[1]):
        raise BadRequest("bad target")
    headers = []
    for line in lines[1:]:
        if not line or line[0] in b" \t":
            raise BadRequest("obs-fold or empty header line")
        colon = line.find(b":")
        if colon <= 0 or any(c not in TOKEN_CHARS for c in line[:colon]):
            raise BadRequest("bad header line %r" % line[:100])
        value = line[colon + 1:].strip(b" \t")
        if any((c < 0x20 and c != 0x09) or c == 0x7F for c in value):
            raise BadRequest("control character in header value")
        headers.append((line[:colon].decode("latin-1"), value.decode("latin-1")))
    return Request(method, target, version, headers)


def _body_framing(req):
    """('chunked', None) | ('length', n). Raises BadRequest on ambiguous framing."""
    te = req.header_all("transfer-encoding")
    cl = req.header_all("content-length")
    if te:
        if cl:
            raise BadRequest("both Transfer-Encoding and Content-Length")
        codings = [c.strip().lower() for v in te for c in v.split(",")]
        if codings != ["chunked"]:
            raise BadRequest("unsupported transfer-coding %r" % codings)
        return "chunked", None
    if cl:
        values = {v.strip() for item in cl for v in item.split(",")}
        if len(values) != 1:
            raise BadRequest("conflicting Content-Length")
        value = values.pop()
        if not value.isdigit() or len(value) > 18:
            raise BadRequest("bad Content-Length %r" % value)
        return "length", int(value)
    return "length", 0


# ---------------------------------------------------------------------------------------------
class Context:
    """One exchange as a route handler sees it: the request (body already read) and the socket."""

    def __init__(self, origin, conn, reader, req, keep_alive):
        self.origin = origin
        self.sock = conn
        self.reader = reader
        self.request = req
        self.keep_alive = keep_alive  # handlers set False to close after the response
        self.head_only = req.method == "HEAD"

    def send(self, data):
        self.sock.sendall(data)

    def send_head(self, status, headers=(), reason=None):
        reason = reason or _REASONS.get(status, "Status")
        lines = ["HTTP/1.1 %d %s" % (status, reason), "X-Origin: %s" % self.origin.name]
        for k, v in headers:
            lines.append("%s: %s" % (k, v))
        if not self.keep_alive:
            lines.append("Connection: close")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def respond(self, status, body=b"", headers=(), content_type="text/plain"):
        if isinstance(body, str):
            body = body.encode()
        hdrs = list(headers)
        no_body = status in (204, 304) or 100 <= status < 200
        if not no_body:
            if content_type and not any(k.lower() == "content-type" for k, _ in hdrs):
                hdrs.append(("Content-Type", content_type))
            hdrs.append(("Content-Length", str(len(body))))
        self.send_head(status, hdrs)
        if body and not no_body and not self.head_only:
            self.sock.sendall(body)

    def lingering_close(self, timeout=5.0):
        """Half-close, then read and drop what the peer still sends (bounded by timeout), so
        an early response is not lost to a reset caused by unread request bytes."""
        self.keep_alive = False
        try:
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(0.2)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    if not self.sock.recv(RECV_SIZE):
                        break
                except socket.timeout:
                    continue
        except OSError:
            pass

    def respond_json(self, status, obj, headers=()):
        self.respond(status, json.dumps(obj).encode(), headers, content_type="application/json")


_REASONS = {100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created",
            204: "No Content", 301: "Moved Permanently", 302: "Found", 304: "Not Modified",
            400: "Bad Request", 403: "Forbidden", 404: "Not Found", 413: "Content Too Large",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout"}


class TestOrigin:
    """A scriptable HTTP/1.1 origin on 127.0.0.1, port 0 by default. See the module docstring."""

    __test__ = False  # not a unittest case

    def __init__(self, name="origin", host="127.0.0.1", port=0, hold_max=120.0):
        self.name = name
        self.host = host
        self.hold_max = hold_max  # a held request answers 200 anyway after this long
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._holds = {}
        self._routes = {}
        self._threads = []
        self._conns = set()
        self._idle = set()            # connections waiting for their next request head
        self.connections_accepted = 0
        self.requests = 0             # request heads parsed (counted as soon as the head is in)
        self.requests_completed = 0   # requests whose body was fully read
        self.bad_requests = 0         # heads or bodies the origin's parser rejected
        self.ws_frames = 0
        self.request_log = []         # Request objects, oldest first (capped at LOG_LIMIT)
        self.last_request = None
        self.errors = []              # handler exceptions other than client disconnects
        self._listener = socket.create_server((host, port), backlog=1024)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._accept_thread = threading.Thread(target=self._accept_loop,
                                               name="origin-%s-accept" % name, daemon=True)
        self._accept_thread.start()

    # -- the test's side --------------------------------------------------------------------
    @property
    def address(self):
        return "%s:%d" % (self.host, self.port)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def add_route(self, path, handler, read_body=True):
        """handler(ctx: Context) answers ctx.request, whose body has been read, or with
        read_body=False has not (the handler answers early; the connection then closes)."""
        self._routes[path] = (handler, read_body)

    def release(self, key):
        """Answer every request held (now or later) on /hold?key=key."""
        with self._lock:
            self._holds.setdefault(key, threading.Event()).set()

    def held(self, key):
        with self._lock:
            return sum(1 for r in self.request_log if r.path == "/hold" and r.query.get("key") == key)

    def paths(self):
        with self._lock:
            return [r.path for r in self.request_log]

    def snapshot(self):
        with self._lock:
            return {"connections_accepted": self.connections_accepted, "requests": self.requests,
                    "requests_completed": self.requests_completed,
                    "bad_requests": self.bad_requests, "paths": [r.target for r in self.request_log[-20:]]}

    def _wait(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.5))
            return True

    def wait_for_requests(self, n, timeout=5.0):
        """True once at least n request heads have arrived in total."""
        return self._wait(lambda: self.requests >= n, timeout)

    def wait_for_completed(self, n, timeout=5.0):
        return self._wait(lambda: self.requests_completed >= n, timeout)

    def wait_for_connections(self, n, timeout=5.0):
        return self._wait(lambda: self.connections_accepted >= n, timeout)

    def wait_for_open_connections(self, n, timeout=5.0):
        """True once at most n connections are open (e.g. 0 after the proxy hung up)."""
        return self._wait(lambda: len(self._conns) <= n, timeout)

    def wait_for_idle(self, n, timeout=5.0):
        """True once at least n connections sit between requests (their response was sent)."""
        return self._wait(lambda: len(self._idle) >= n, timeout)

    def close_idle_connections(self):
        """Close every connection that sits between requests (as an origin's keep-alive timeout
        would); returns how many were closed."""
        with self._lock:
            idle = list(self._idle)
        for c in idle:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return len(idle)

    @property
    def open_connections(self):
        with self._lock:
            return len(self._conns)

    def stop(self, timeout=5.0):
        """Stop accepting, release holds, close every connection; bounded by timeout."""
        self._stop.set()
        with self._lock:
            for ev in self._holds.values():
                ev.set()
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        self._accept_thread.join(max(0.0, deadline - time.monotonic()))
        for t in list(self._threads):
            t.join(max(0.0, deadline - time.monotonic()))
        try:
            self._listener.close()
        except OSError:
            pass

    # -- the server's side ------------------------------------------------------------------
    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._cond:
                self.connections_accepted += 1
                self._conns.add(conn)
                self._threads = [t for t in self._threads if t.is_alive()]
                self._cond.notify_all()
            t = threading.Thread(target=self._serve, args=(conn,),
                                 name="origin-%s-conn" % self.name, daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, conn):
        reader = _Reader(conn)
        try:
            while not self._stop.is_set():
                if not self._one_exchange(conn, reader):
                    break
        except (PeerClosed, ConnectionError, BrokenPipeError, TimeoutError):
            pass
        except OSError:
            pass
        except Exception as e:  # a bug in the origin itself: keep it for the test to see
            self.errors.append(repr(e))
        finally:
            with self._cond:
                self._conns.discard(conn)
                self._cond.notify_all()
            try:
                conn.close()
            except OSError:
                pass

    def _one_exchange(self, conn, reader):
        """Serve one request; False when the connection should close."""
        try:
            with self._cond:
                self._idle.add(conn)
                self._cond.notify_all()
            try:
                head = reader.read_head()
            finally:
                with self._lock:
                    self._idle.discard(conn)
            if head is None:
                return False
            req = _parse_head(head)
            framing, length = _body_framing(req)
        except BadRequest as e:
            self._bad(conn, str(e))
            return False
        with self._cond:
            self.requests += 1
            self.request_log.append(req)
            del self.request_log[:-LOG_LIMIT]
            self.last_request = req
            self._cond.notify_all()
        if req.version == "HTTP/1.1":
            keep_alive = not req.has_token("connection", "close")
        else:
            keep_alive = req.has_token("connection", "keep-alive")
        custom = self._routes.get(req.path)
        if custom and not custom[1]:
            ctx = Context(self, conn, reader, req, keep_alive=False)
            custom[0](ctx)
            return False
        if req.has_token("expect", "100-continue") and (framing == "chunked" or length):
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            self._read_body(reader, req, framing, length)
        except BadRequest as e:
            self._bad(conn, str(e))
            return False
        with self._cond:
            req.complete = True
            self.requests_completed += 1
            self._cond.notify_all()
        ctx = Context(self, conn, reader, req, keep_alive)
        if custom:
            custom[0](ctx)
        else:
            _BUILTIN_ROUTES.get(req.path, _not_found)(self, ctx)
        return ctx.keep_alive

    def _bad(self, conn, why):
        with self._cond:
            self.bad_requests += 1
            self._cond.notify_all()
        body = ("origin rejected: %s\n" % why).encode()
        try:
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: %d\r\n"
                         b"X-Origin: %s\r\n\r\n%s" % (len(body), self.name.encode(), body))
        except OSError:
            pass

    def _read_body(self, reader, req, framing, length):
        h = hashlib.sha256()
        kept = []
        state = {"n": 0}

        def sink(mv):
            h.update(mv)
            if state["n"] + len(mv) <= KEEP_BODY_LIMIT:
                kept.append(bytes(mv))
            state["n"] += len(mv)
            req.body_len = state["n"]

        if framing == "length":
            reader.stream(length, sink)
        else:
            while True:
                line = reader.read_line()
                size_text = line.split(b";", 1)[0].strip(b" \t")
                if not size_text or len(size_text) > 15 or any(
                        c not in b"0123456789abcdefABCDEF" for c in size_text):
                    raise BadRequest("bad chunk size %r" % line[:40])
                size = int(size_text, 16)
                if size == 0:
                    while True:  # trailers up to the empty line
                        trailer = reader.read_line()
                        if not trailer:
                            break
                        name, _, value = trailer.partition(b":")
                        req.trailers.append((name.decode("latin-1"),
                                             value.strip(b" \t").decode("latin-1")))
                    break
                reader.stream(size, sink)
                if reader.read_exact(2) != b"\r\n":
                    raise BadRequest("chunk data not followed by CRLF")
        req.body_sha256 = h.hexdigest()
        if state["n"] <= KEEP_BODY_LIMIT:
            req.body = b"".join(kept)

    def _hold_event(self, key):
        with self._lock:
            return self._holds.setdefault(key, threading.Event())


# ---------------------------------------------------------------------------------------------
# Built-in routes: route(origin, ctx).
def _not_found(origin, ctx):
    ctx.respond(404, b"not found\n")


def _hello(origin, ctx):
    ctx.respond(200, b"hello")


def _echo(origin, ctx):
    ctx.respond_json(200, {"method": ctx.request.method, "path": ctx.request.path,
                           "target": ctx.request.target,
                           "headers": [[k, v] for k, v in ctx.request.headers],
                           "body_len": ctx.request.body_len,
                           "body_sha256": ctx.request.body_sha256,
                           "trailers": [[k, v] for k, v in ctx.request.trailers]})


def _int_arg(ctx, name, default):
    try:
        return int(ctx.request.query.get(name, default))
    except ValueError:
        return default


def _send_pattern(ctx, n, chunked):
    offset = 0
    while offset < n and not ctx.origin._stop.is_set():
        take = min(WRITE_SIZE, n - offset)
        data = pattern_bytes(offset, take)
        if chunked:
            ctx.send(b"%x\r\n%s\r\n" % (take, data))
        else:
            ctx.send(data)
        offset += take
    if offset < n:  # stopping: the body is cut short, so the connection must go
        ctx.keep_alive = False


def _bytes(origin, ctx):
    n = _int_arg(ctx, "n", 0)
    ctx.send_head(200, [("Content-Type", "application/octet-stream"), ("Content-Length", str(n))])
    if not ctx.head_only:
        _send_pattern(ctx, n, chunked=False)


def _chunked(origin, ctx):
    n = _int_arg(ctx, "n", 0)
    ctx.send_head(200, [("Content-Type", "application/octet-stream"),
                        ("Transfer-Encoding", "chunked")])
    if not ctx.head_only:
        _send_pattern(ctx, n, chunked=True)
        ctx.send(b"0\r\n\r\n")


def _close_delimited(origin, ctx):
    n = _int_arg(ctx, "n", 0)
    # No CL, no TE, no Connection header: only the close ends this body.
    ctx.sock.sendall(b"HTTP/1.1 200 OK\r\nX-Origin: %s\r\nContent-Type: application/octet-stream"
                     b"\r\n\r\n" % origin.name.encode())
    if not ctx.head_only:
        _send_pattern(ctx, n, chunked=False)
    ctx.keep_alive = False


def _delay(origin, ctx):
    ms = _int_arg(ctx, "ms", 0)
    origin._stop.wait(ms / 1000.0)
    ctx.respond(200, b"delayed %d ms" % ms)


def _hold(origin, ctx):
    key = ctx.request.query.get("key", "")
    event = origin._hold_event(key)
    deadline = time.monotonic() + origin.hold_max
    # Wait in slices, watching the socket: a proxy that gives up on the request closes it,
    # and a real server would notice and drop the connection too.
    while not event.wait(0.05) and time.monotonic() < deadline:
        if _peer_closed(ctx.sock):
            ctx.keep_alive = False
            return
    ctx.respond(200, b"released " + key.encode())


def _peer_closed(sock):
    """True if the peer has closed (EOF or reset is readable), without consuming data."""
    import select
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True


def _close_mid_body(origin, ctx):
    ctx.send_head(200, [("Content-Type", "text/plain"), ("Content-Length", "1000")])
    ctx.send(b"0123456789")
    ctx.keep_alive = False


def _status(origin, ctx):
    code = _int_arg(ctx, "code", 200)
    ctx.respond(code, b"status %d\n" % code)


def _garbage(origin, ctx):
    ctx.send(b"\x00\x01\x02 this is not HTTP \xff\xfe\r\n\x7f\x80garbage\r\n\r\n")
    ctx.keep_alive = False


def _head_test(origin, ctx):
    ctx.respond(200, b"head-test!\n")  # respond() drops the body for HEAD, keeps the CL


def _websocket(origin, ctx):
    req = ctx.request
    key = req.header("sec-websocket-key")
    if not key or not req.has_token("upgrade", "websocket") or not req.has_token("connection", "upgrade"):
        ctx.respond(400, b"not a websocket upgrade\n")
        return
    accept = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
    ctx.sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nX-Origin: %s\r\n\r\n"
                      % (accept, origin.name)).encode())
    ctx.keep_alive = False
    while not origin._stop.is_set():
        b0, b1 = ctx.reader.read_exact(2)
        fin, opcode, masked, length = b0 & 0x80, b0 & 0x0F, b1 & 0x80, b1 & 0x7F
        if length == 126:
            length = int.from_bytes(ctx.reader.read_exact(2), "big")
        elif length == 127:
            length = int.from_bytes(ctx.reader.read_exact(8), "big")
        if not masked or length > 256 * 1024 * 1024:
            ctx.send(ws_frame(0x8, (1002).to_bytes(2, "big") + b"protocol error", mask=False))
            return
        mask = ctx.reader.read_exact(4)
        payload = ws_unmask(ctx.reader.read_exact(length), mask)
        with origin._cond:
            origin.ws_frames += 1
        if opcode == 0x8:
            ctx.send(ws_frame(0x8, payload[:2], mask=False))
            return
        if opcode == 0x9:
            ctx.send(ws_frame(0xA, payload, mask=False))
            continue
        ctx.send(ws_frame(opcode, payload, mask=False, fin=bool(fin)))


_BUILTIN_ROUTES = {"/hello": _hello, "/echo": _echo, "/bytes": _bytes, "/chunked": _chunked,
                   "/close-delimited": _close_delimited, "/delay": _delay, "/hold": _hold,
                   "/close-mid-body": _close_mid_body, "/status": _status, "/garbage": _garbage,
                   "/head-test": _head_test, "/ws": _websocket}


# ---------------------------------------------------------------------------------------------
# WebSocket frames (RFC 6455), shared with raw_client.
def ws_unmask(payload, mask):
    if not payload:
        return b""
    n = len(payload)
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


def ws_frame(opcode, payload, mask=True, fin=True, mask_key=b"\x37\xfa\x21\x3d"):
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload)
    head = bytearray([(0x80 if fin else 0) | opcode])
    mbit = 0x80 if mask else 0
    if n < 126:
        head.append(mbit | n)
    elif n < 65536:
        head.append(mbit | 126)
        head += n.to_bytes(2, "big")
    else:
        head.append(mbit | 127)
        head += n.to_bytes(8, "big")
    if mask:
        head += mask_key
        payload = ws_unmask(payload, mask_key)
    return bytes(head) + payload


# ---------------------------------------------------------------------------------------------
class RefusingPort:
    """A port on 127.0.0.1 where nothing listens: connects get ECONNREFUSED.

    The socket stays bound (not listening) while this object lives, so nothing else takes the port.
    """

    def __init__(self, host="127.0.0.1"):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((host, 0))
        self.host = host
        self.port = self._sock.getsockname()[1]

    @property
    def address(self):
        return "%s:%d" % (self.host, self.port)

    def close(self):
        self._sock.close()

    def stop(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SilentOrigin:
    """Accepts connections and reads whatever comes, and never answers (for 504 tests)."""

    def __init__(self, host="127.0.0.1"):
        self.host = host
        self._listener = socket.create_server((host, 0), backlog=128)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._conns = []
        self.connections_accepted = 0
        self.bytes_received = 0
        self._thread = threading.Thread(target=self._loop, name="silent-origin", daemon=True)
        self._thread.start()

    @property
    def address(self):
        return "%s:%d" % (self.host, self.port)

    def _loop(self):
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(self._listener, selectors.EVENT_READ)
        while not self._stop.is_set():
            for key, _ in sel.select(0.2):
                if key.fileobj is self._listener:
                    try:
                        conn, _ = self._listener.accept()
                    except OSError:
                        continue
                    conn.setblocking(False)
                    sel.register(conn, selectors.EVENT_READ)
                    with self._cond:
                        self._conns.append(conn)
                        self.connections_accepted += 1
                        self._cond.notify_all()
                else:
                    try:
                        data = key.fileobj.recv(65536)
                    except OSError:
                        data = b""
                    if not data:
                        sel.unregister(key.fileobj)
                        key.fileobj.close()
                    with self._cond:
                        self.bytes_received += len(data)
                        self._cond.notify_all()
        sel.close()

    def wait_for_connections(self, n, timeout=5.0):
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.connections_accepted < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def stop(self):
        self._stop.set()
        self._thread.join(2.0)
        for c in self._conns:
            try:
                c.close()
            except OSError:
                pass
        self._listener.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def main(argv=None):
    p = argparse.ArgumentParser(description="gatehouse test origin")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--name", default="origin")
    args = p.parse_args(argv)
    # sigwait, not a handler that sets an Event: a Python handler runs in the main thread,
    # possibly while that thread holds the Event's own lock inside wait(), and set() would then
    # deadlock. Blocked before the origin's threads start, so that they inherit the mask.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    origin = TestOrigin(name=args.name, host=args.host, port=args.port)
    print("listening %d" % origin.port, flush=True)
    signal.sigwait(stop_signals)
    origin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
