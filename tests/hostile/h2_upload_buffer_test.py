"""Issue 14, item 3: HTTP/2 request bodies were buffered up to the stream window (1 MiB, and 16
MiB per connection over many streams) while their handler was paused, against ~76 KiB for
HTTP/1. A client that obeys flow control may now send at most http2.stream_window (64 KiB) of a
body nobody reads yet: here a pool is paused (its requests hold), the client uploads as fast as
its windows allow, and gets no more than that, nor any WINDOW_UPDATE, until the pool resumes.
"""

import socket
import time
import unittest

from admin_support import AdminCase
from gatehouse_process import free_port, pool
from h2_frames import (ACK, DATA, END_STREAM, GOAWAY, HEADERS, INITIAL_WINDOW_SIZE, PING,
                       RST_STREAM, SETTINGS, WINDOW_UPDATE, H2Client, frame, headers_frame,
                       request_block, settings)

HTTP1_READ_BUFFER = 76 * 1024
BODY = 1 << 20


class Uploader:
    """Sends one request body on stream 1 as fast as the server's windows allow (RFC 9113
    §6.9), reading what the server sends meanwhile."""

    def __init__(self, client, body):
        self.c = client
        self.body = body
        self.sent = 0
        self.stream_window = 65535  # until the server's SETTINGS say otherwise
        self.connection_window = 65535
        self.window_updates = 0
        self.response = None  # "response", "reset", "goaway" or "closed" once the stream ended

    def pump(self, seconds):
        """Sends what the windows allow and reads frames, for `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.response is None:
            self._send_allowed()
            try:
                f = self.c.read_frame(min(deadline, time.monotonic() + 0.05))
            except socket.timeout:
                continue
            if f is None:
                self.response = "closed"
            else:
                self._on_frame(*f)

    def _send_allowed(self):
        while self.sent < len(self.body):
            n = min(16384, self.stream_window, self.connection_window, len(self.body) - self.sent)
            if n <= 0:
                return
            last = self.sent + n == len(self.body)
            self.c.send(frame(DATA, END_STREAM if last else 0, 1,
                              self.body[self.sent:self.sent + n]))
            self.sent += n
            self.stream_window -= n
            self.connection_window -= n

    def _on_frame(self, ftype, flags, sid, payload):
        if ftype == SETTINGS and not flags & ACK:
            for i in range(0, len(payload), 6):
                if int.from_bytes(payload[i:i + 2], "big") == INITIAL_WINDOW_SIZE:
                    self.stream_window += int.from_bytes(payload[i + 2:i + 6], "big") - 65535
            self.c.send(settings(ack=True))
        elif ftype == PING and not flags & ACK:
            self.c.send(frame(PING, ACK, 0, payload))
        elif ftype == WINDOW_UPDATE:
            increment = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
            if sid == 0:
                self.connection_window += increment
            else:
                self.stream_window += increment
                self.window_updates += 1
        elif ftype == GOAWAY:
            self.response = "goaway"
        elif sid == 1 and ftype == RST_STREAM:
            self.response = "reset"
        elif sid == 1 and ftype in (HEADERS, DATA) and flags & END_STREAM:
            self.response = "response"


class H2UploadBufferTest(AdminCase):
    def test_a_paused_upload_holds_no_more_than_a_stream_window(self):
        a1 = self.origin("a1")
        port = free_port()
        gh, admin = self.start_with_admin(
            [a1], workers=1, listeners=[{"address": "127.0.0.1:%d" % port, "h2c": True}],
            backends={"app": pool([a1], hold="10s")})
        r = admin.request("PUT", "/backends/app", body={"paused": True})
        self.assertEqual(r.status, 200, self.diag(r))
        c = H2Client(port, tls=False)
        self.addCleanup(c.close)
        c.start(headers_frame(1, request_block("/echo", "POST",
                                               extra=[("content-length", str(BODY))]),
                              end_stream=False))
        up = Uploader(c, bytes(BODY))
        up.pump(1.0)  # the request holds: nothing takes the body
        self.assertLessEqual(up.sent, HTTP1_READ_BUFFER,
                             self.diag("%d bytes of a paused upload buffered" % up.sent))
        self.assertEqual(up.window_updates, 0, self.diag("the window opened while paused"))
        self.assertEqual(a1.requests, 0)
        r = admin.request("PUT", "/backends/app", body={"paused": False})
        self.assertEqual(r.status, 200, self.diag(r))
        up.pump(10.0)  # now the body flows, and the answer comes
        self.assertEqual((up.sent, up.response), (BODY, "response"), self.diag(c.summary()))
        self.assertTrue(a1.wait_for_completed(1, 5), self.diag(a1.snapshot()))
        self.assertEqual(a1.request_log[-1].body_len, BODY)


if __name__ == "__main__":
    unittest.main()
