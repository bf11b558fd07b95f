"""Issue 14: every HTTP/2 budget ends a flood with GOAWAY ENHANCE_YOUR_CALM, counted in /metrics
(gatehouse_http2_limits_exceeded_total{limit}), at the defaults of INTERFACE.md: SETTINGS,
PING, WINDOW_UPDATE and empty DATA frames per 10 s, CONTINUATION frames per header block,
resets. Before, a client that read its ACKs could send SETTINGS and PING frames for ever, and a
CONTINUATION flood ended in a bare close (nghttp2's fatal error) with no GOAWAY. The HPACK table
size and the header list are checked here too: COMPRESSION_ERROR, and a 431 for the stream.

One gatehouse for the class; each flood on a connection of its own.
"""

import os
import shutil
import tempfile
import unittest

from admin_support import AdminApi, parse_prometheus
from gatehouse_process import base_config, free_port
from h2_frames import (COMPRESSION_ERROR, CONTINUATION, DATA, ENHANCE_YOUR_CALM, PING,
                       SETTINGS, WINDOW_UPDATE, H2Client, describe, frame, headers_frame,
                       request_block, rst_stream)
from integration_case import IntegrationCase


class H2FloodsTest(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        tmp = tempfile.mkdtemp(prefix="gatehouse-floods-")
        cls.addClassCleanup(shutil.rmtree, tmp, True)
        token = "floods-token-0123456789abcdef"
        token_file = os.path.join(tmp, "admin.token")
        with open(token_file, "w") as f:
            f.write(token + "\n")
        cls.a1 = cls.class_origin("a1")
        cls.port = free_port()
        admin_port = free_port()
        cls.gh = cls.class_gatehouse(base_config(
            [cls.a1], workers=1, listeners=[{"address": "127.0.0.1:%d" % cls.port, "h2c": True}],
            admin={"address": "127.0.0.1:%d" % admin_port, "token_file": token_file}))
        cls.admin = AdminApi(admin_port, token, token_file)
        cls.admin.wait_ready()

    def limit(self, name):
        metrics = parse_prometheus(self.admin.get("/metrics").text)
        return metrics["gatehouse_http2_limits_exceeded_total"].value(limit=name)

    def h2(self):
        c = H2Client(self.port, tls=False)
        self.addCleanup(c.close)
        return c

    def assertCalm(self, name, limit, payload, answer=True):
        """payload after the preface ends the connection with GOAWAY ENHANCE_YOUR_CALM, and the
        limit is counted once more."""
        before = self.limit(limit)
        c = self.h2()
        c.start(payload)
        end = c.wait_for_end(timeout=5, answer=answer)
        self.assertEqual(end[:2], ("goaway", ENHANCE_YOUR_CALM),
                         self.diag("%s: %s; %s" % (name, describe(end), c.summary())))
        self.assertEqual(self.limit(limit), before + 1, self.diag(name))

    def test_a_settings_flood(self):
        self.assertCalm("150 SETTINGS", "settings", frame(SETTINGS, 0, 0) * 150)

    def test_a_ping_flood(self):
        self.assertCalm("150 PINGs", "pings", frame(PING, 0, 0, b"12345678") * 150)

    def test_a_window_update_flood(self):
        self.assertCalm("1500 WINDOW_UPDATEs", "window_updates",
                        frame(WINDOW_UPDATE, 0, 0, (1).to_bytes(4, "big")) * 1500)

    def test_an_empty_data_flood(self):
        opening = headers_frame(1, request_block("/echo", "POST"), end_stream=False)
        self.assertCalm("150 empty DATA", "empty_frames", opening + frame(DATA, 0, 1) * 150)

    def test_a_continuation_flood(self):
        opening = headers_frame(1, request_block("/hello"), end_headers=False)
        self.assertCalm("20 CONTINUATIONs", "continuations",
                        opening + frame(CONTINUATION, 0, 1) * 20, answer=False)

    def test_rapid_reset(self):
        flood = b"".join(headers_frame(1 + 2 * i, request_block("/hello?rr=%d" % i))
                         + rst_stream(1 + 2 * i) for i in range(300))
        self.assertCalm("300 HEADERS + RST_STREAM", "resets", flood)

    def test_an_hpack_table_larger_than_advertised_is_a_compression_error(self):
        c = self.h2()
        # Our SETTINGS (HEADER_TABLE_SIZE 4096) are acknowledged first; 8192 is then over it.
        c.start(frame(SETTINGS, 0x1, 0) + headers_frame(1, b"\x3f\xe1\x3f" + request_block("/")))
        end = c.wait_for_end(timeout=5)
        self.assertEqual(end[:2], ("goaway", COMPRESSION_ERROR), self.diag(describe(end)))

    def test_a_header_list_over_max_header_list_gets_431_and_is_counted(self):
        before = self.limit("header_list")
        c = self.h2()
        big = [("x-big-%d" % i, "v" * 8000) for i in range(10)]  # 80 KB > 64 KiB
        block = request_block("/hello", extra=big)
        c.start(headers_frame(1, block[:16000], end_headers=False)
                + b"".join(frame(CONTINUATION, 0x4 if off + 16000 >= len(block) else 0, 1,
                                 block[off:off + 16000])
                           for off in range(16000, len(block), 16000)))
        self.assertEqual(c.wait_for_stream_end(1, 5), "response", self.diag(c.summary()))
        # The status is in the access log (no HPACK decoder here).
        log = self.gh.wait_for_access_log(lambda e: e.get("status") == 431)
        self.assertTrue(log, self.diag("no 431 in the access log"))
        self.assertEqual(self.limit("header_list"), before + 1)
        self.assertEqual(self.a1.requests, 0)


if __name__ == "__main__":
    unittest.main()
