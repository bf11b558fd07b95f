"""Coalesced misses stream (issue 15, item 7) against the real binary and a scripted origin: the
requests that wait for another's fill of the same URL get its body as it arrives from the one
fetch, not after it completes; a fill that fails mid-body ends them as truncated (closed, never
passed off as complete); a waiter that does not read slows neither the fill nor the others.

The origin sends the head and the first part, then holds the rest until the test releases it:
each waiting client must have the first part before that, and the origin sees one request."""

import socket
import threading
import time

from admin_support import AdminCase, parse_prometheus
from gatehouse_process import free_port

FIRST = b"first part;" * 100
REST = b"the rest" * 1000
CLIENTS = 20
CACHE = {"memory": "128MiB", "max_object": "6MiB", "coalesce_timeout": "10s"}


class StreamClient:
    """A GET on its own connection, read by hand: head, then body bytes as they come."""

    def __init__(self, port, path, rcvbuf=None):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        self.buf = b""
        self.eof = False
        self.sock.sendall(b"GET %s HTTP/1.1\r\nHost: a.test\r\n\r\n" % path.encode())

    def close(self):
        self.sock.close()

    def _recv(self):
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            data = b""
        if not data:
            self.eof = True
        self.buf += data
        return bool(data)

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            if not self._recv():
                raise AssertionError("closed before the head: %r" % self.buf[:300])
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            fields[k.strip().lower()] = v.strip()
        return int(lines[0].split()[1]), fields

    def body_at_least(self, n):
        """Reads until n body bytes (or the end); returns what came."""
        while len(self.buf) < n and self._recv():
            pass
        return self.buf

    def rest(self):
        """Everything until the server closes or 10 s pass."""
        deadline = time.monotonic() + 10
        while not self.eof and time.monotonic() < deadline:
            self._recv()
        return self.buf


class CacheStreamTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.o = self.origin("a1")
        self.requests = {}
        self.lock = threading.Lock()
        self.release = {}

    def held_route(self, path, head, then, chunked=False):
        """The origin sends `head` and FIRST, waits for release[path], then calls then(ctx)."""
        release = self.release[path] = threading.Event()
        self.addCleanup(release.set)

        def handler(ctx):
            with self.lock:
                self.requests[path] = self.requests.get(path, 0) + 1
            ctx.send_head(200, head)
            ctx.send(b"%x\r\n%s\r\n" % (len(FIRST), FIRST) if chunked else FIRST)
            release.wait(15)
            then(ctx)
        self.o.add_route(path, handler)

    def start(self):
        port = free_port()
        gh, self.admin = self.start_with_admin(
            [self.o], cache=CACHE, listeners=[{"address": "127.0.0.1:%d" % port}],
            routes=[{"host": "*", "path_prefix": "/", "backend": "app", "cache": True}])
        return gh, port

    def wait_for_origin_request(self, path):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.requests.get(path, 0) < 1:
            time.sleep(0.01)
        self.assertEqual(self.requests.get(path), 1)

    def crowd(self, port, path):
        """The filler, then CLIENTS - 1 more once its request reached the origin."""
        filler = StreamClient(port, path)
        self.addCleanup(filler.close)
        self.wait_for_origin_request(path)
        waiters = [StreamClient(port, path) for _ in range(CLIENTS - 1)]
        for w in waiters:
            self.addCleanup(w.close)
        return [filler] + waiters

    def streams(self):
        text = self.admin.get("/metrics").text
        family = parse_prometheus(text)["gatehouse_cache_coalesced_streams_total"]
        return (family.value(result="complete") or 0, family.value(result="truncated") or 0)

    def wait_for_streams(self, expected):
        """A follower counts its stream when the fill says it is complete, which can come after
        the client has every byte (a known length): poll, bounded."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.streams() != expected:
            time.sleep(0.02)
        self.assertEqual(self.streams(), expected)

    def assert_stored(self, port, path, length):
        """Once every follower has counted its stream the fill is over: the next GET is a hit
        from the store, not another follower of the fill (which would count a stream too)."""
        hit = StreamClient(port, path)
        self.addCleanup(hit.close)
        _, fields = hit.head()
        self.assertIn("hit", fields.get("cache-status", ""), self.diag(repr(fields)))
        self.assertNotIn("collapsed", fields.get("cache-status", ""), self.diag(repr(fields)))
        self.assertEqual(hit.body_at_least(length), FIRST + REST)

    def test_waiters_get_the_first_bytes_before_the_origin_sends_the_rest(self):
        length = len(FIRST) + len(REST)
        self.held_route("/s", [("Cache-Control", "max-age=60"), ("Content-Length", str(length))],
                        lambda ctx: ctx.send(REST))
        gh, port = self.start()
        clients = self.crowd(port, "/s")
        for i, c in enumerate(clients):
            status, fields = c.head()
            self.assertEqual(status, 200, self.diag("client %d" % i))
            self.assertEqual(fields.get("content-length"), str(length))
            got = c.body_at_least(len(FIRST))
            self.assertEqual(got[:len(FIRST)], FIRST,
                             self.diag("client %d lacks the first part while the origin holds "
                                       "the rest" % i))
            if i > 0:
                self.assertIn("collapsed", fields.get("cache-status", ""))
        self.release["/s"].set()
        for i, c in enumerate(clients):
            self.assertEqual(c.body_at_least(length), FIRST + REST, self.diag("client %d" % i))
        self.assertEqual(self.requests["/s"], 1, "one fetch for all of them")
        self.wait_for_streams((CLIENTS - 1, 0))
        self.assert_stored(port, "/s", length)  # and it was stored whole
        self.assertEqual(self.streams(), (CLIENTS - 1, 0))

    def test_a_fill_that_fails_mid_body_closes_the_waiters_responses(self):
        def cut(ctx):
            ctx.keep_alive = False
            ctx.sock.shutdown(socket.SHUT_RDWR)
        length = len(FIRST) + len(REST)
        self.held_route("/cut", [("Cache-Control", "max-age=60"),
                                 ("Content-Length", str(length))], cut)
        self.held_route("/cut-chunked", [("Cache-Control", "max-age=60"),
                                         ("Transfer-Encoding", "chunked")], cut, chunked=True)
        gh, port = self.start()
        for path in ("/cut", "/cut-chunked"):
            clients = self.crowd(port, path)
            for c in clients:
                c.head()
                c.body_at_least(len(FIRST))
            self.release[path].set()
            for i, c in enumerate(clients):
                got = c.rest()
                # With a length: fewer bytes, then the close. Chunked: never the last chunk.
                complete = len(got) >= length if path == "/cut" else got.endswith(b"0\r\n\r\n")
                self.assertTrue(c.eof and not complete,
                                self.diag("%s client %d: %d bytes, eof %s: %r" % (
                                    path, i, len(got), c.eof, got[-40:])))
        self.assertEqual(self.streams(), (0, 2 * (CLIENTS - 1)))
        self.assertEqual(self.requests, {"/cut": 1, "/cut-chunked": 1})

    def test_a_waiter_that_does_not_read_slows_neither_the_fill_nor_the_others(self):
        big = b"x" * (4 << 20)  # far more than the socket buffers of a client that never reads
        length = len(FIRST) + len(big)
        self.held_route("/big", [("Cache-Control", "max-age=60"),
                                 ("Content-Length", str(length))], lambda ctx: ctx.send(big))
        gh, port = self.start()
        filler = StreamClient(port, "/big")
        self.addCleanup(filler.close)
        self.wait_for_origin_request("/big")
        stuck = StreamClient(port, "/big", rcvbuf=4096)  # reads its head, then nothing
        self.addCleanup(stuck.close)
        readers = [StreamClient(port, "/big") for _ in range(3)]
        for c in [stuck, filler] + readers:
            c.head()
        self.release["/big"].set()
        for i, c in enumerate([filler] + readers):
            self.assertEqual(len(c.body_at_least(length)), length, self.diag("client %d" % i))
        # The fill completed (stored) while `stuck` still holds most of the body unread.
        hit = StreamClient(port, "/big")
        self.addCleanup(hit.close)
        _, fields = hit.head()
        self.assertIn("hit", fields.get("cache-status", ""), self.diag(repr(fields)))
        self.assertEqual(self.requests["/big"], 1)

    def test_the_fill_goes_on_when_its_first_client_leaves(self):
        """Issue 15: the fill does not depend on the first client. It leaves mid-body; the fetch
        goes on without it, the follower gets the whole body, and the object is stored."""
        length = len(FIRST) + len(REST)
        self.held_route("/leave", [("Cache-Control", "max-age=60"),
                                   ("Content-Length", str(length))], lambda ctx: ctx.send(REST))
        gh, port = self.start()
        filler = StreamClient(port, "/leave")
        self.addCleanup(filler.close)
        self.wait_for_origin_request("/leave")
        follower = StreamClient(port, "/leave")
        self.addCleanup(follower.close)
        for c in (filler, follower):
            self.assertEqual(c.head()[0], 200)
            self.assertEqual(c.body_at_least(len(FIRST))[:len(FIRST)], FIRST)
        filler.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        filler.close()  # a reset, mid-body
        deadline = time.monotonic() + 10
        orphans = 0
        while time.monotonic() < deadline and not orphans:
            family = parse_prometheus(self.admin.get("/metrics").text)
            orphans = family["gatehouse_cache_orphan_fills_total"].value() or 0
            time.sleep(0.02)
        self.assertEqual(orphans, 1, self.diag("the fill did not go on without its client"))
        self.release["/leave"].set()
        self.assertEqual(follower.body_at_least(length), FIRST + REST,
                         self.diag("the follower was cut when the first client left"))
        self.wait_for_streams((1, 0))
        self.assert_stored(port, "/leave", length)
        self.assertEqual(self.requests["/leave"], 1, "one fetch")
        self.assertEqual(self.streams(), (1, 0))
