"""SpecConn: one HTTP/2 connection driven the way h2spec drives a server under test, for
tests/hostile/h2spec_test.py. The facts are h2spec's (github.com/summerwind/h2spec, spec/):
the handshake, the DATA acknowledgement, and what each verification accepts, for instance that a
closed connection also passes a "stream error" check. The code is ours: raw frames from
h2_frames.py, HPACK literals without indexing or Huffman (h2spec's encoder indexes and
compresses; a server must decode both the same).

    c = SpecConn(port, authority)
    c.handshake()
    c.write_headers(1, c.block(c.common()))
    c.verify_stream_close()                    # raises AssertionError, saying what came instead
"""

import os
import socket
import time

from h2_frames import (ACK, CONTINUATION, DATA, END_HEADERS, END_STREAM, GOAWAY, HEADERS,
                       INITIAL_WINDOW_SIZE, PADDED, PING, PRIORITY, PRIORITY_FLAG,
                       PUSH_PROMISE, RST_STREAM, SETTINGS, WINDOW_UPDATE, H2Client, PREFACE,
                       frame, hpack_literal, settings)

FRAME_NAMES = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING",
               "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"]
DEFAULT_WINDOW = 65535
MAX_HEADER_LEN = 4000  # h2spec's --max-header-length default: the size of a dummy field


def describe_event(event):
    if event in ("closed", "timeout"):
        return "connection closed" if event == "closed" else "timeout"
    ftype, flags, sid, payload = event
    name = FRAME_NAMES[ftype] if ftype < len(FRAME_NAMES) else "type %d" % ftype
    text = "%s frame (length:%d, flags:0x%02x, stream_id:%d)" % (name, len(payload), flags, sid)
    if ftype in (RST_STREAM, GOAWAY):
        text += " error code %d" % error_code(event)
    return text


def error_code(event):
    ftype, _, _, payload = event
    at = 4 if ftype == GOAWAY else 0
    return int.from_bytes(payload[at:at + 4], "big")


class SpecConn:
    def __init__(self, port, authority, tls=False, path="/hello", timeout=2.0):
        self.client = H2Client(port, tls=tls, timeout=timeout)
        self.authority = authority
        self.scheme = "https" if tls else "http"
        self.path = path
        self.timeout = timeout  # per wait, as h2spec's --timeout (2 s)
        self.settings = {}      # the server's, from its SETTINGS
        self.closed = False
        self.windows = {0: DEFAULT_WINDOW}

    def close(self):
        self.client.close()

    # -- sending ----------------------------------------------------------------------------
    def send(self, data):
        self.client.send(data)

    def handshake(self):
        """Preface and SETTINGS (INITIAL_WINDOW_SIZE 65535), then until the server's SETTINGS
        has been acknowledged and ours has been."""
        self.send(PREFACE + settings([(INITIAL_WINDOW_SIZE, DEFAULT_WINDOW)]))
        local = remote = False
        while not (local and remote):
            event = self._read()
            if event in ("closed", "timeout"):
                raise AssertionError("handshake: %s" % describe_event(event))
            ftype, flags, _, payload = event
            if ftype != SETTINGS:
                continue
            if flags & ACK:
                local = True
            else:
                remote = True
                for i in range(0, len(payload) - 5, 6):
                    self.settings[int.from_bytes(payload[i:i + 2], "big")] = \
                        int.from_bytes(payload[i + 2:i + 6], "big")
                self.send(settings(ack=True))

    def common(self, method="GET"):
        """h2spec's CommonHeaders: :method, :scheme, :path, :authority."""
        return [(":method", method), (":scheme", self.scheme), (":path", self.path),
                (":authority", self.authority)]

    @staticmethod
    def block(fields):
        return b"".join(hpack_literal(name, value) for name, value in fields)

    @staticmethod
    def dummy(count):
        """h2spec's DummyHeaders: count fields x-dummyN of MAX_HEADER_LEN bytes."""
        return [("x-dummy%d" % i, "x" * MAX_HEADER_LEN) for i in range(count)]

    def write_headers(self, stream, block, end_stream=True, end_headers=True, priority=None):
        """priority: (depends_on, weight) for the PRIORITY flag's fields."""
        flags = (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0)
        if priority is not None:
            flags |= PRIORITY_FLAG
            block = priority[0].to_bytes(4, "big") + bytes([priority[1] - 1]) + block
        self.send(frame(HEADERS, flags, stream, block))

    def write_continuation(self, stream, block, end_headers):
        self.send(frame(CONTINUATION, END_HEADERS if end_headers else 0, stream, block))

    def write_data(self, stream, data, end_stream):
        self.send(frame(DATA, END_STREAM if end_stream else 0, stream, data))

    def write_priority(self, stream, depends_on=0, weight=256):
        self.send(frame(PRIORITY, 0, stream, depends_on.to_bytes(4, "big") + bytes([weight - 1])))

    def write_rst_stream(self, stream, code):
        self.send(frame(RST_STREAM, 0, stream, code.to_bytes(4, "big")))

    def write_settings(self, pairs):
        self.send(settings(pairs))

    def write_ping(self, data, ack=False):
        self.send(frame(PING, ACK if ack else 0, 0, data))

    def write_goaway(self, last_stream, code):
        self.send(frame(GOAWAY, 0, 0, last_stream.to_bytes(4, "big") + code.to_bytes(4, "big")))

    def write_window_update(self, stream, increment):
        self.send(frame(WINDOW_UPDATE, 0, stream, increment.to_bytes(4, "big")))

    def write_push_promise(self, stream, promised, block):
        self.send(frame(PUSH_PROMISE, END_HEADERS, stream, promised.to_bytes(4, "big") + block))

    def write_padded_data(self, stream, data, pad_length, end_stream):
        """DATA with PADDED whose Pad Length may lie (the frame carries no padding bytes)."""
        flags = PADDED | (END_STREAM if end_stream else 0)
        self.send(frame(DATA, flags, stream, bytes([pad_length]) + data))

    # -- receiving --------------------------------------------------------------------------
    def _read(self):
        """The next frame, "closed", or "timeout" after self.timeout without one."""
        if self.closed:
            return "closed"
        try:
            f = self.client.read_frame(time.monotonic() + self.timeout)
        except socket.timeout:
            return "timeout"
        if f is None:
            self.closed = True
            return "closed"
        if f[0] == DATA:
            self._acknowledge(f[2], len(f[3]))
        return f

    def _acknowledge(self, stream, length):
        """As h2spec's updateWindowSize: a window used up is opened again at once."""
        for sid in (stream, 0):
            self.windows[sid] = self.windows.get(sid, DEFAULT_WINDOW) - length
            if self.windows[sid] <= 0:
                increment = DEFAULT_WINDOW - self.windows[sid]
                self.write_window_update(sid, increment)
                self.windows[sid] += increment

    def wait_event(self):
        return self._read()

    def _wait_until(self, passes, expected):
        """Reads events until passes(event), or until the connection ends or stays silent for
        the timeout; then AssertionError naming the first other event."""
        actual = None
        while True:
            event = self._read()
            if passes(event):
                if os.environ.get("H2SPEC_TRACE"):
                    print("\n    passed by: %s" % describe_event(event), end="")
                return
            if event in ("closed", "timeout"):
                break
            actual = actual or event
        raise AssertionError("expected %s; got %s"
                             % (" or ".join(expected), describe_event(actual or event)))

    # -- h2spec's verifications -------------------------------------------------------------
    def verify_connection_close(self):
        self._wait_until(lambda e: e == "closed", ["connection closed"])

    def verify_connection_error(self, *codes):
        self._wait_until(
            lambda e: e == "closed" or (e != "timeout" and e[0] == GOAWAY and error_code(e) in codes),
            ["GOAWAY %s" % list(codes), "connection closed"])

    def verify_stream_error(self, *codes):
        self._wait_until(
            lambda e: e == "closed" or (e != "timeout" and e[0] in (GOAWAY, RST_STREAM)
                                        and error_code(e) in codes),
            ["GOAWAY or RST_STREAM %s" % list(codes), "connection closed"])

    def verify_stream_close(self):
        def passes(e):
            if e in ("closed", "timeout"):
                return False
            ftype, flags, _, _ = e
            return (ftype in (DATA, HEADERS) and flags & END_STREAM) or \
                (ftype == RST_STREAM and error_code(e) == 0)
        self._wait_until(passes, ["a stream closed (END_STREAM, or RST_STREAM NO_ERROR)"])

    def verify_headers_frame(self, stream):
        self._wait_type(HEADERS, lambda e: e[2] == stream, "HEADERS frame on stream %d" % stream)

    def verify_settings_ack(self):
        self._wait_type(SETTINGS, lambda e: e[1] & ACK, "SETTINGS frame with ACK")

    def verify_ping_ack(self, data):
        self._wait_type(PING, lambda e: e[1] & ACK and e[3] == data, "PING ACK with %r" % data)

    def verify_ping_or_close(self, data):
        self._wait_until(
            lambda e: e == "closed" or (e != "timeout" and e[0] == PING and e[1] & ACK
                                        and e[3] == data),
            ["PING ACK with %r" % data, "connection closed"])

    def verify_event_type(self, ftype, check=None, expected=None):
        """The first frame of `ftype` (it must pass check); returned."""
        return self._wait_type(ftype, check or (lambda e: True), expected or FRAME_NAMES[ftype])

    def _wait_type(self, ftype, check, expected):
        """As h2spec's WaitEventByType: the first frame of `ftype` must pass check."""
        last = None
        while True:
            event = self._read()
            if event in ("closed", "timeout"):
                raise AssertionError("expected %s; got %s" % (expected,
                                                               describe_event(last or event)))
            if event[0] == ftype:
                if check(event):
                    return event
                raise AssertionError("expected %s; got %s" % (expected, describe_event(event)))
            last = event
