"""Issue 14, "time is bounded": two states had no deadline. A WebSocket whose ends both went
quiet held a client connection and a backend connection for ever (a tunnel had no read
timeout), and a keep-alive connection parked in the backend pool stayed open until the
backend closed it. Now timeouts.tunnel_idle ends a tunnel without a byte either way
(gatehouse_tunnel_idle_timeouts_total) and timeouts.backend_idle closes a pooled connection
(gatehouse_backend_idle_timeouts_total). The whole table: docs/INTERFACE.md, "Time bounds"."""

import time

from admin_support import AdminCase, parse_prometheus


class IdleBoundsTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.a1 = self.origin("a1")

    def counter(self, admin, name):
        return parse_prometheus(admin.get("/metrics").text)[name].value()

    def test_a_quiet_websocket_is_closed_after_tunnel_idle_and_counted(self):
        gh, admin = self.start_with_admin([self.a1], timeouts={"tunnel_idle": "700ms"})
        c = self.client(gh)
        r, _ = c.ws_handshake("/ws")
        self.assertStatus(r, 101)
        # Talking keeps it open past tunnel_idle (each echo is a byte both ways)...
        for i in range(4):
            if i:
                time.sleep(0.3)  # the pace of the conversation is the subject of the test
            c.send_ws(0x1, "ping %d" % i)
            self.assertEqual(c.read_ws_frame(timeout=5)[2], b"ping %d" % i, self.diag())
        # ...silence ends it: the client sees its connection closed, no sooner than tunnel_idle
        # after the last byte (gatehouse relayed the echo before the client read it).
        last_byte = time.monotonic()
        self.assertTrue(c.is_closed(timeout=5), self.diag("a quiet tunnel stayed open"))
        self.assertGreater(time.monotonic() - last_byte, 0.6, "closed before tunnel_idle")
        self.assertEqual(self.counter(admin, "gatehouse_tunnel_idle_timeouts_total"), 1)
        self.assertTrue(self.a1.wait_for_open_connections(0, timeout=5),
                        "the backend side of the tunnel stayed open")

    def test_a_pooled_backend_connection_is_closed_after_backend_idle_and_counted(self):
        gh, admin = self.start_with_admin([self.a1], timeouts={"backend_idle": "300ms"})
        self.assertStatus(self.client(gh).get("/hello"), 200)
        self.assertTrue(self.a1.wait_for_open_connections(0, timeout=5),
                        "the idle backend connection stayed open past backend_idle")
        self.assertEqual(self.counter(admin, "gatehouse_backend_idle_timeouts_total"), 1)
        # The next request opens a fresh connection and is served as usual.
        self.assertStatus(self.client(gh).get("/hello"), 200)
        self.assertEqual(self.a1.connections_accepted, 2)


if __name__ == "__main__":
    import unittest
    unittest.main()
