"""WebSocket: the upgrade passes through gatehouse and frames flow both ways unchanged."""

import unittest

from integration_case import MiB, IntegrationCase
from raw_client import request
from test_origin import pattern_bytes


class WebSocketTest(IntegrationCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")
        self.gh = self.start([self.a1])

    def upgraded(self):
        c = self.client(self.gh)
        r, key = c.ws_handshake("/ws")
        self.assertStatus(r, 101)
        self.assertEqual(r.header("sec-websocket-accept"), c.ws_expected_accept(key), self.diag(r))
        self.assertTrue(r.has_token("upgrade", "websocket"), self.diag(r))
        self.assertTrue(r.has_token("connection", "upgrade"), self.diag(r))
        return c

    def test_upgrade_and_text_echo(self):
        c = self.upgraded()
        for i in range(5):
            c.send_ws(0x1, "hello %d" % i)
            self.assertEqual(c.read_ws_frame(timeout=5), (True, 0x1, b"hello %d" % i), self.diag())
        # The origin saw the upgrade headers it needs.
        req = self.a1.request_log[0]
        self.assertTrue(req.has_token("upgrade", "websocket"), req.headers)
        self.assertTrue(req.has_token("connection", "upgrade"), req.headers)
        self.assertTrue(req.header("sec-websocket-key"), req.headers)

    def test_one_mib_binary_frame(self):
        c = self.upgraded()
        payload = pattern_bytes(0, MiB)
        c.send_ws(0x2, payload)
        fin, opcode, echoed = c.read_ws_frame(timeout=20)
        self.assertEqual((fin, opcode, len(echoed)), (True, 0x2, MiB), self.diag())
        self.assertTrue(echoed == payload, self.diag("1 MiB frame came back different"))

    def test_pipelined_frames_sent_with_the_handshake_tail(self):
        c = self.upgraded()
        for i in range(20):
            c.send_ws(0x1, "m%d" % i)
        got = [c.read_ws_frame(timeout=5)[2] for _ in range(20)]
        self.assertEqual(got, [b"m%d" % i for i in range(20)], self.diag())

    def test_a_server_that_speaks_first_is_heard(self):
        # The 101 and the server's first frame in one write: the frame must reach the client
        # at once, not wait for the client's first byte to wake the tunnel up.
        self.a1.add_route("/greets", lambda ctx: ctx.send(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"\r\n\x81\x05hello"))
        c = self.client(self.gh)
        r, _ = c.ws_handshake("/greets")
        self.assertStatus(r, 101)
        self.assertEqual(c.read_ws_frame(timeout=5), (True, 0x1, b"hello"), self.diag())

    def test_close_handshake_closes_the_connection(self):
        c = self.upgraded()
        c.send_ws(0x8, (1000).to_bytes(2, "big"))
        fin, opcode, payload = c.read_ws_frame(timeout=5)
        self.assertEqual((opcode, payload[:2]), (0x8, (1000).to_bytes(2, "big")), self.diag())
        self.assertTrue(c.is_closed(5), self.diag("connection open after the close handshake"))

    def test_ping_gets_pong(self):
        c = self.upgraded()
        c.send_ws(0x9, b"are you there")
        self.assertEqual(c.read_ws_frame(timeout=5), (True, 0xA, b"are you there"), self.diag())

    def test_plain_request_to_ws_path_is_not_upgraded(self):
        r = self.client(self.gh).get("/ws")
        self.assertStatus(r, 400)  # the origin's answer to a non-upgrade request

    def test_normal_requests_still_work_beside_a_websocket(self):
        c = self.upgraded()
        self.assertStatus(self.client(self.gh).get("/hello"), 200)
        c.send_ws(0x1, "still here")
        self.assertEqual(c.read_ws_frame(timeout=5)[2], b"still here", self.diag())


if __name__ == "__main__":
    unittest.main()
