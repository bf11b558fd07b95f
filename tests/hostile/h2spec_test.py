"""h2spec's server-side cases (github.com/summerwind/h2spec: http2/ for RFC 9113, which replaced
RFC 7540 whose section numbers h2spec keeps, and hpack/ for RFC 7541), frame by frame against
the real binary. h2spec itself is not packaged here: its facts carry over (what is sent, what
must come back, and that a closed connection also passes a stream or connection error check, as
in h2spec's verifier), its code does not (tests/support/h2spec_conn.py).

Each test is named after its case, `test_<section>_<n>_<what>`, in h2spec's order. Where
gatehouse's answer is not the one h2spec names and the RFC allows both, the case says which
(most often a GOAWAY where a stream error is named: RFC 9113 §5.4 allows it). H2SPEC_TRACE=1
prints the frame that satisfied each check. One gatehouse serves the whole class (h2c, and the same cases over TLS in
H2SpecOverTlsTest); each case opens its own connection. Longer than most files because it is
the whole list, one short method per case.
"""

import unittest

from gatehouse_process import base_config, free_port
from h2_frames import (CANCEL, COMPRESSION_ERROR, DATA, ENABLE_PUSH, FLOW_CONTROL_ERROR,
                       FRAME_SIZE_ERROR, GOAWAY, HEADER_TABLE_SIZE, INITIAL_WINDOW_SIZE,
                       MAX_CONCURRENT_STREAMS, MAX_FRAME_SIZE, PING, PROTOCOL_ERROR,
                       REFUSED_STREAM, RST_STREAM, SETTINGS, STREAM_CLOSED, headers_frame,
                       hpack_int)
from h2spec_conn import SpecConn, describe_event
from integration_case import IntegrationCase
from tls_material import missing_tools, test_pki, tls_listener

PING_DATA = b"h2spec\x00\x00"


class H2SpecTest(IntegrationCase):
    tls = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a1 = cls.class_origin("a1")
        cls.port = free_port()
        cls.gh = cls.class_gatehouse(base_config([cls.a1], workers=1,
                                                 listeners=[cls.listener(cls.port)]))

    @classmethod
    def listener(cls, port):
        return {"address": "127.0.0.1:%d" % port, "h2c": True}

    def conn(self, handshake=True):
        c = SpecConn(self.port, "127.0.0.1:%d" % self.port, tls=self.tls)
        self.addCleanup(c.close)
        if handshake:
            c.handshake()
        return c

    def request(self, c, stream=1, method="GET", extra=(), end_stream=True, end_headers=True):
        c.write_headers(stream, c.block(c.common(method) + list(extra)), end_stream, end_headers)

    # -- 3.5 HTTP/2 Connection Preface ------------------------------------------------------
    def test_3_5_1_sends_client_connection_preface(self):
        c = self.conn(handshake=False)
        c.send(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        c.write_settings([(INITIAL_WINDOW_SIZE, 65535)])
        event = c.wait_event()
        self.assertTrue(event not in ("closed", "timeout") and event[0] == SETTINGS
                        and not event[1] & 0x1, "first frame: %s" % describe_event(event))

    def test_3_5_2_sends_invalid_connection_preface(self):
        # gatehouse closes without a GOAWAY: the peer does not speak HTTP/2 (RFC 9113 §3.4
        # allows either; h2spec accepts the close).
        c = self.conn(handshake=False)
        c.send(b"INVALID CONNECTION PREFACE\r\n\r\n")
        c.verify_connection_error(PROTOCOL_ERROR)

    # -- 4.1 Frame Format -------------------------------------------------------------------
    def test_4_1_1_sends_a_frame_with_unknown_type(self):
        c = self.conn()
        c.send(b"\x00\x00\x08\x16\x00\x00\x00\x00\x00" + b"\x00" * 8)
        c.write_ping(PING_DATA)
        c.verify_ping_ack(PING_DATA)

    def test_4_1_2_sends_a_frame_with_undefined_flag(self):
        c = self.conn()
        c.send(b"\x00\x00\x08\x06\x16\x00\x00\x00\x00" + b"\x00" * 8)
        c.verify_event_type(PING)

    def test_4_1_3_sends_a_frame_with_reserved_field_bit(self):
        c = self.conn()
        c.send(b"\x00\x00\x08\x06\x16\x80\x00\x00\x00" + b"\x00" * 8)
        c.verify_event_type(PING)

    # -- 4.2 Frame Size ---------------------------------------------------------------------
    def test_4_2_1_sends_a_data_frame_with_2_14_octets(self):
        c = self.conn()
        self.request(c, method="POST", end_stream=False)
        c.write_data(1, b"x" * 16384, end_stream=True)
        c.verify_headers_frame(1)

    def test_4_2_2_sends_a_data_frame_over_max_frame_size(self):
        # Stream error named; gatehouse (nghttp2) ends the connection with the same code, which
        # RFC 9113 §5.4 allows for any stream error and h2spec accepts.
        c = self.conn()
        self.request(c, method="POST", end_stream=False)
        c.write_data(1, b"x" * 16385, end_stream=True)
        c.verify_stream_error(FRAME_SIZE_ERROR)

    def test_4_2_3_sends_a_headers_frame_over_max_frame_size(self):
        c = self.conn()
        c.write_headers(1, c.block(c.common() + c.dummy(5)))
        c.verify_connection_error(FRAME_SIZE_ERROR)

    # -- 4.3 Header Compression and Decompression --------------------------------------------
    def test_4_3_1_sends_invalid_header_block_fragment(self):
        c = self.conn()
        c.send(b"\x00\x00\x01\x01\x05\x00\x00\x00\x01\x40")
        c.verify_connection_error(COMPRESSION_ERROR)

    def test_4_3_2_sends_a_priority_frame_while_sending_the_header_blocks(self):
        c = self.conn()
        self.request(c, end_stream=False, end_headers=False)
        c.write_priority(1)
        c.write_continuation(1, c.block(c.dummy(1)), end_headers=True)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_4_3_3_sends_a_headers_frame_to_another_stream_while_sending_the_header_blocks(self):
        c = self.conn()
        self.request(c, end_stream=False, end_headers=False)
        self.request(c, stream=3)
        c.write_continuation(1, c.block(c.dummy(1)), end_headers=True)
        c.verify_connection_error(PROTOCOL_ERROR)

    # -- 5.1 Stream States ------------------------------------------------------------------
    def test_5_1_1_idle_sends_a_data_frame(self):
        c = self.conn()
        c.write_data(1, b"test", end_stream=True)
        c.verify_stream_error(PROTOCOL_ERROR, STREAM_CLOSED)

    def test_5_1_2_idle_sends_a_rst_stream_frame(self):
        c = self.conn()
        c.write_rst_stream(1, CANCEL)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_5_1_3_idle_sends_a_window_update_frame(self):
        c = self.conn()
        c.write_window_update(1, 100)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_5_1_4_idle_sends_a_continuation_frame(self):
        c = self.conn()
        c.write_continuation(1, c.block(c.common()), end_headers=True)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_5_1_5_half_closed_remote_sends_a_data_frame(self):
        # Stream error named; gatehouse (nghttp2) ends the connection with the same code, which
        # RFC 9113 §5.4 allows for any stream error and h2spec accepts.
        c = self.conn()
        self.request(c)
        c.write_data(1, b"test", end_stream=True)
        c.verify_stream_error(STREAM_CLOSED)

    def test_5_1_6_half_closed_remote_sends_a_headers_frame(self):
        # Stream error named; gatehouse (nghttp2) ends the connection with the same code, which
        # RFC 9113 §5.4 allows for any stream error and h2spec accepts.
        c = self.conn()
        self.request(c)
        self.request(c)
        c.verify_stream_error(STREAM_CLOSED)

    def test_5_1_7_half_closed_remote_sends_a_continuation_frame(self):
        c = self.conn()
        self.request(c)
        c.write_continuation(1, c.block(c.common()), end_headers=True)
        c.verify_stream_error(STREAM_CLOSED, PROTOCOL_ERROR)

    def test_5_1_8_closed_sends_a_data_frame_after_sending_rst_stream(self):
        c = self.conn()
        self.request(c, end_stream=False)
        c.write_rst_stream(1, CANCEL)
        c.write_data(1, b"test", end_stream=True)
        c.verify_stream_error(STREAM_CLOSED)

    def test_5_1_9_closed_sends_a_headers_frame_after_sending_rst_stream(self):
        c = self.conn()
        self.request(c, end_stream=False)
        c.write_rst_stream(1, CANCEL)
        self.request(c)
        c.verify_stream_error(STREAM_CLOSED)

    def test_5_1_10_closed_sends_a_continuation_frame_after_sending_rst_stream(self):
        c = self.conn()
        self.request(c, end_stream=False)
        c.write_rst_stream(1, CANCEL)
        c.write_continuation(1, c.block(c.dummy(1)), end_headers=True)
        c.verify_stream_error(STREAM_CLOSED, PROTOCOL_ERROR)

    def test_5_1_11_closed_sends_a_data_frame(self):
        # nghttp2 forgets closed streams (RFC 7540 priorities off); http2_stream_rules.cc keeps
        # how recent ones ended and answers these (and 5.1.8, 5.1.9, 5.1.1.2) itself.
        c = self.conn()
        self.request(c)
        c.verify_stream_close()
        c.write_data(1, b"test", end_stream=True)
        c.verify_stream_error(STREAM_CLOSED)

    def test_5_1_12_closed_sends_a_headers_frame(self):
        c = self.conn()
        self.request(c)
        c.verify_stream_close()
        self.request(c)
        c.verify_connection_error(STREAM_CLOSED)

    def test_5_1_13_closed_sends_a_continuation_frame(self):
        c = self.conn()
        self.request(c)
        c.verify_stream_close()
        c.write_continuation(1, c.block(c.dummy(1)), end_headers=True)
        c.verify_connection_error(STREAM_CLOSED, PROTOCOL_ERROR)

    # -- 5.1.1 Stream Identifiers -----------------------------------------------------------
    def test_5_1_1_1_sends_even_numbered_stream_identifier(self):
        c = self.conn()
        self.request(c, stream=2)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_5_1_1_2_sends_stream_identifier_smaller_than_previous(self):
        c = self.conn()
        self.request(c, stream=5)
        self.request(c, stream=3)
        c.verify_connection_error(PROTOCOL_ERROR)

    # -- 5.1.2 Stream Concurrency -----------------------------------------------------------
    def test_5_1_2_1_sends_headers_frames_exceeding_max_concurrent_streams(self):
        # Stream error named; gatehouse (nghttp2) ends the connection with the same code, which
        # RFC 9113 §5.4 allows for any stream error and h2spec accepts.
        c = self.conn()
        max_streams = c.settings.get(MAX_CONCURRENT_STREAMS)
        self.assertIsNotNone(max_streams, "gatehouse advertises SETTINGS_MAX_CONCURRENT_STREAMS")
        c.write_settings([(INITIAL_WINDOW_SIZE, 0)])  # keeps the streams open
        block = c.block(c.common())
        c.send(b"".join(headers_frame(1 + 2 * i, block) for i in range(max_streams + 1)))
        c.verify_stream_error(PROTOCOL_ERROR, REFUSED_STREAM)

    # -- 5.3.1 Stream Dependencies ----------------------------------------------------------
    def test_5_3_1_1_sends_headers_frame_that_depends_on_itself(self):
        # Stream error named; gatehouse (nghttp2) ends the connection with the same code, which
        # RFC 9113 §5.4 allows for any stream error and h2spec accepts.
        c = self.conn()
        c.write_headers(1, c.block(c.common()), priority=(1, 256))
        c.verify_stream_error(PROTOCOL_ERROR)

    def test_5_3_1_2_sends_priority_frame_that_depends_on_itself(self):
        # Stream 1 is idle, and a RST_STREAM may not be sent on an idle stream (§6.4): the
        # stream error becomes a connection error (§5.4). nghttp2 ignores PRIORITY frames with
        # RFC 7540 priorities off; http2_stream_rules.cc checks them.
        c = self.conn()
        c.write_priority(1, depends_on=1)
        c.verify_stream_error(PROTOCOL_ERROR)

    # -- 5.4.1 Connection Error Handling ----------------------------------------------------
    def test_5_4_1_1_sends_an_invalid_ping_frame_for_connection_close(self):
        c = self.conn()
        c.send(b"\x00\x00\x08\x06\x00\x00\x00\x00\x03" + b"\x00" * 8)
        c.verify_connection_close()

    def test_5_4_1_2_sends_an_invalid_ping_frame_to_receive_goaway(self):
        # h2spec --strict: the GOAWAY before the close is a SHOULD; gatehouse sends it.
        c = self.conn()
        c.send(b"\x00\x00\x08\x06\x00\x00\x00\x00\x03" + b"\x00" * 8)
        goaway = c.verify_event_type(GOAWAY)
        self.assertEqual(int.from_bytes(goaway[3][4:8], "big"), PROTOCOL_ERROR)

    # -- 5.5 Extending HTTP/2 ---------------------------------------------------------------
    def test_5_5_1_sends_an_unknown_extension_frame(self):
        c = self.conn()
        c.send(b"\x00\x00\x08\x16\x00\x00\x00\x00\x00" + b"\x00" * 8)
        c.write_ping(PING_DATA)
        c.verify_ping_ack(PING_DATA)

    def test_5_5_2_sends_an_unknown_extension_frame_in_the_middle_of_a_header_block(self):
        c = self.conn()
        self.request(c, end_headers=False)
        c.send(b"\x00\x00\x08\x16\x00\x00\x00\x00\x00" + b"\x00" * 8)
        c.verify_connection_error(PROTOCOL_ERROR)

    # -- 6.1 DATA ---------------------------------------------------------------------------
    def test_6_1_1_sends_a_data_frame_with_0x0_stream_identifier(self):
        c = self.conn()
        c.write_data(0, b"test", end_stream=True)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_1_2_sends_a_data_frame_on_a_stream_not_open(self):
        # Stream error named; gatehouse (nghttp2) ends the connection with the same code, which
        # RFC 9113 §5.4 allows for any stream error and h2spec accepts.
        c = self.conn()
        self.request(c, method="POST")
        c.write_data(1, b"test", end_stream=True)
        c.verify_stream_error(STREAM_CLOSED)

    def test_6_1_3_sends_a_data_frame_with_invalid_pad_length(self):
        c = self.conn()
        self.request(c, method="POST", extra=[("content-length", "4")], end_stream=False)
        c.write_padded_data(1, b"Test", pad_length=6, end_stream=True)
        c.verify_connection_error(PROTOCOL_ERROR)

    # -- 6.2 HEADERS ------------------------------------------------------------------------
    def test_6_2_1_sends_headers_without_end_headers_then_a_priority_frame(self):
        c = self.conn()
        self.request(c, end_stream=False, end_headers=False)
        c.write_priority(1)
        c.write_continuation(1, c.block(c.dummy(1)), end_headers=True)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_2_2_sends_headers_to_another_stream_while_sending_headers(self):
        c = self.conn()
        self.request(c, end_stream=False, end_headers=False)
        self.request(c, stream=3)
        c.write_continuation(1, c.block(c.dummy(1)), end_headers=True)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_2_3_sends_a_headers_frame_with_0x0_stream_identifier(self):
        c = self.conn()
        self.request(c, stream=0)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_2_4_sends_a_headers_frame_with_invalid_pad_length(self):
        c = self.conn()
        block = c.block(c.common())
        # PADDED | END_HEADERS | END_STREAM; the Pad Length says more than the frame holds.
        c.send(bytes([0, 0, len(block) + 1, 0x1, 0x0d, 0, 0, 0, 1, len(block) + 2]) + block)
        c.verify_stream_error(PROTOCOL_ERROR)

    # -- 6.3 PRIORITY -----------------------------------------------------------------------
    def test_6_3_1_sends_a_priority_frame_with_0x0_stream_identifier(self):
        # Checked by http2_stream_rules.cc: nghttp2 ignores PRIORITY frames altogether.
        c = self.conn()
        c.write_priority(0)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_3_2_sends_a_priority_frame_with_a_length_other_than_5(self):
        # Stream error named; gatehouse (nghttp2) ends the connection with the same code, which
        # RFC 9113 §5.4 allows for any stream error and h2spec accepts.
        c = self.conn()
        self.request(c)
        c.send(b"\x00\x00\x04\x02\x00\x00\x00\x00\x01\x80\x00\x00\x01")
        c.verify_stream_error(FRAME_SIZE_ERROR)

    # -- 6.4 RST_STREAM ---------------------------------------------------------------------
    def test_6_4_1_sends_a_rst_stream_frame_with_0x0_stream_identifier(self):
        c = self.conn()
        c.write_rst_stream(0, CANCEL)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_4_2_sends_a_rst_stream_frame_on_an_idle_stream(self):
        c = self.conn()
        c.write_rst_stream(1, CANCEL)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_4_3_sends_a_rst_stream_frame_with_a_length_other_than_4(self):
        c = self.conn()
        self.request(c)
        c.send(b"\x00\x00\x03\x03\x00\x00\x00\x00\x01\x00\x00\x00")
        c.verify_stream_error(FRAME_SIZE_ERROR)

    # -- 6.5 SETTINGS -----------------------------------------------------------------------
    def test_6_5_1_sends_a_settings_frame_with_ack_and_payload(self):
        c = self.conn()
        c.send(b"\x00\x00\x01\x04\x01\x00\x00\x00\x00\x00")
        c.verify_connection_error(FRAME_SIZE_ERROR)

    def test_6_5_2_sends_a_settings_frame_with_a_stream_identifier(self):
        c = self.conn()
        c.send(b"\x00\x00\x06\x04\x00\x00\x00\x00\x01\x00\x03\x00\x00\x00\x64")
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_5_3_sends_a_settings_frame_with_a_length_not_a_multiple_of_6(self):
        c = self.conn()
        c.send(b"\x00\x00\x03\x04\x00\x00\x00\x00\x00\x00\x03\x00")
        c.verify_stream_error(PROTOCOL_ERROR, FRAME_SIZE_ERROR)

    # -- 6.5.2 Defined SETTINGS Parameters --------------------------------------------------
    def test_6_5_2_1_settings_enable_push_other_than_0_or_1(self):
        c = self.conn()
        c.write_settings([(ENABLE_PUSH, 2)])
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_5_2_2_settings_initial_window_size_above_the_maximum(self):
        c = self.conn()
        c.write_settings([(INITIAL_WINDOW_SIZE, 2147483648)])
        c.verify_connection_error(FLOW_CONTROL_ERROR)

    def test_6_5_2_3_settings_max_frame_size_below_the_initial_value(self):
        c = self.conn()
        c.write_settings([(MAX_FRAME_SIZE, 16383)])
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_5_2_4_settings_max_frame_size_above_the_maximum(self):
        c = self.conn()
        c.write_settings([(MAX_FRAME_SIZE, 16777216)])
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_5_2_5_sends_a_settings_frame_with_an_unknown_identifier(self):
        c = self.conn()
        c.write_settings([(0xFF, 1)])
        c.write_ping(PING_DATA)
        c.verify_ping_ack(PING_DATA)

    # -- 6.5.3 Settings Synchronization -----------------------------------------------------
    def test_6_5_3_1_sends_multiple_values_of_settings_initial_window_size(self):
        c = self.conn()
        c.write_settings([(INITIAL_WINDOW_SIZE, 100), (INITIAL_WINDOW_SIZE, 1)])
        c.verify_settings_ack()
        self.request(c)
        self.assertFirstDataLength(c, 1)

    def test_6_5_3_2_sends_a_settings_frame_without_ack(self):
        c = self.conn()
        c.write_settings([(ENABLE_PUSH, 0)])
        c.verify_settings_ack()

    def assertFirstDataLength(self, c, length):
        c.verify_event_type(DATA, lambda e: len(e[3]) == length,
                            "DATA frame of %d byte(s)" % length)

    # -- 6.7 PING ---------------------------------------------------------------------------
    def test_6_7_1_sends_a_ping_frame(self):
        c = self.conn()
        c.write_ping(PING_DATA)
        c.verify_ping_ack(PING_DATA)

    def test_6_7_2_sends_a_ping_frame_with_ack(self):
        c = self.conn()
        c.write_ping(b"invalid\x00", ack=True)
        c.write_ping(PING_DATA)
        c.verify_ping_ack(PING_DATA)

    def test_6_7_3_sends_a_ping_frame_with_a_stream_identifier(self):
        c = self.conn()
        c.send(b"\x00\x00\x08\x06\x00\x00\x00\x00\x01" + b"\x00" * 8)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_7_4_sends_a_ping_frame_with_a_length_other_than_8(self):
        c = self.conn()
        c.send(b"\x00\x00\x06\x06\x00\x00\x00\x00\x00" + b"\x00" * 6)
        c.verify_connection_error(FRAME_SIZE_ERROR)

    # -- 6.8 GOAWAY -------------------------------------------------------------------------
    def test_6_8_1_sends_a_goaway_frame_with_a_stream_identifier(self):
        c = self.conn()
        c.send(b"\x00\x00\x08\x07\x00\x00\x00\x00\x01" + b"\x00" * 8)
        c.verify_connection_error(PROTOCOL_ERROR)

    # -- 6.9 WINDOW_UPDATE ------------------------------------------------------------------
    def test_6_9_1_sends_a_window_update_with_an_increment_of_0(self):
        c = self.conn()
        c.write_window_update(0, 0)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_9_2_sends_a_window_update_with_an_increment_of_0_on_a_stream(self):
        # Stream error named; gatehouse (nghttp2) ends the connection with the same code, which
        # RFC 9113 §5.4 allows for any stream error and h2spec accepts.
        c = self.conn()
        self.request(c, end_stream=False)
        c.write_window_update(1, 0)
        c.verify_stream_error(PROTOCOL_ERROR)

    def test_6_9_3_sends_a_window_update_with_a_length_other_than_4(self):
        c = self.conn()
        c.send(b"\x00\x00\x03\x08\x00\x00\x00\x00\x00\x00\x00\x01")
        c.verify_connection_error(FRAME_SIZE_ERROR)

    # -- 6.9.1 The Flow-Control Window ------------------------------------------------------
    def test_6_9_1_1_sets_the_initial_window_size_to_1_and_sends_headers(self):
        c = self.conn()
        c.write_settings([(INITIAL_WINDOW_SIZE, 1)])
        c.verify_settings_ack()
        self.request(c)
        self.assertFirstDataLength(c, 1)

    def test_6_9_1_2_window_updates_above_2_31_minus_1_on_the_connection(self):
        c = self.conn()
        c.write_window_update(0, 2147483647)
        c.write_window_update(0, 2147483647)
        goaway = c.verify_event_type(GOAWAY)
        self.assertEqual(int.from_bytes(goaway[3][4:8], "big"), FLOW_CONTROL_ERROR)

    def test_6_9_1_3_window_updates_above_2_31_minus_1_on_a_stream(self):
        c = self.conn()
        self.request(c, end_stream=False)
        c.write_window_update(1, 2147483647)
        c.write_window_update(1, 2147483647)
        reset = c.verify_event_type(RST_STREAM)
        self.assertEqual((reset[2], int.from_bytes(reset[3][:4], "big")), (1, FLOW_CONTROL_ERROR))

    # -- 6.9.2 Initial Flow-Control Window Size ---------------------------------------------
    def test_6_9_2_1_changes_initial_window_size_after_sending_headers(self):
        c = self.conn()
        c.write_settings([(INITIAL_WINDOW_SIZE, 0)])
        c.verify_settings_ack()
        self.request(c)
        c.write_settings([(INITIAL_WINDOW_SIZE, 1)])
        self.assertFirstDataLength(c, 1)

    def test_6_9_2_2_sends_a_settings_frame_for_window_size_to_be_negative(self):
        c = self.conn()  # the body of /hello is 5 bytes, as h2spec needs
        c.write_settings([(INITIAL_WINDOW_SIZE, 3)])
        c.verify_settings_ack()
        self.request(c)
        c.verify_event_type(DATA)
        c.write_settings([(INITIAL_WINDOW_SIZE, 2)])  # the window is now -1
        c.verify_settings_ack()
        c.write_window_update(1, 2)
        self.assertFirstDataLength(c, 1)

    def test_6_9_2_3_sends_initial_window_size_above_the_maximum(self):
        c = self.conn()
        c.send(b"\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x04\x80\x00\x00\x00")
        c.verify_connection_error(FLOW_CONTROL_ERROR)

    # -- 6.10 CONTINUATION ------------------------------------------------------------------
    def test_6_10_1_sends_multiple_continuation_frames_after_headers(self):
        c = self.conn()
        self.request(c, end_headers=False)
        c.write_continuation(1, c.block(c.dummy(1)), end_headers=False)
        c.write_continuation(1, c.block(c.dummy(1)), end_headers=True)
        c.verify_headers_frame(1)

    def test_6_10_2_sends_a_continuation_followed_by_another_frame(self):
        c = self.conn()
        self.request(c, method="POST", end_stream=False, end_headers=False)
        c.write_continuation(1, c.block(c.dummy(1)), end_headers=False)
        c.write_data(1, b"test", end_stream=True)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_10_3_sends_a_continuation_frame_with_0x0_stream_identifier(self):
        c = self.conn()
        self.request(c, end_headers=False)
        c.write_continuation(0, c.block(c.dummy(1)), end_headers=True)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_10_4_sends_a_continuation_after_headers_with_end_headers(self):
        c = self.conn()
        self.request(c)
        c.write_continuation(1, c.block(c.dummy(1)), end_headers=True)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_10_5_sends_a_continuation_after_continuation_with_end_headers(self):
        c = self.conn()
        self.request(c, end_headers=False)
        c.write_continuation(1, c.block(c.dummy(1)), end_headers=True)
        c.write_continuation(1, c.block(c.dummy(1)), end_headers=True)
        c.verify_connection_error(PROTOCOL_ERROR)

    def test_6_10_6_sends_a_continuation_after_a_data_frame(self):
        c = self.conn()
        self.request(c, method="POST", end_stream=False, end_headers=False)
        c.write_data(1, b"test", end_stream=True)
        c.write_continuation(1, c.block(c.dummy(1)), end_headers=False)
        c.write_continuation(0, c.block(c.dummy(1)), end_headers=True)
        c.verify_connection_error(PROTOCOL_ERROR)

    # -- 7 Error Codes ----------------------------------------------------------------------
    def test_7_1_sends_a_goaway_frame_with_an_unknown_error_code(self):
        # gatehouse closes rather than answering the PING: the client said GOAWAY and has no
        # stream open, so there is nothing left to serve (§6.8). h2spec accepts either.
        c = self.conn()
        c.write_goaway(0, 0xFF)
        c.write_ping(PING_DATA)
        c.verify_ping_or_close(PING_DATA)

    def test_7_2_sends_a_rst_stream_frame_with_an_unknown_error_code(self):
        c = self.conn()
        self.request(c, method="POST", end_stream=False)
        c.write_rst_stream(1, 0xFF)
        c.write_ping(PING_DATA)
        c.verify_ping_or_close(PING_DATA)

    # -- 8.1 HTTP Request/Response Exchange -------------------------------------------------
    def test_8_1_1_sends_a_second_headers_frame_without_end_stream(self):
        c = self.conn()
        self.request(c, method="POST", end_stream=False)
        c.write_data(1, b"test", end_stream=False)
        c.write_headers(1, c.block([("x-test", "ok")]), end_stream=False)
        c.verify_stream_error(PROTOCOL_ERROR)

    # -- 8.1.2 HTTP Header Fields -----------------------------------------------------------
    def test_8_1_2_1_sends_a_header_field_name_in_uppercase(self):
        c = self.conn()
        self.request(c, extra=[("X-TEST", "ok")])
        c.verify_stream_error(PROTOCOL_ERROR)

    # -- 8.1.2.1 Pseudo-Header Fields -------------------------------------------------------
    def test_8_1_2_1_1_sends_an_unknown_pseudo_header_field(self):
        c = self.conn()
        self.request(c, extra=[(":test", "ok")])
        c.verify_stream_error(PROTOCOL_ERROR)

    def test_8_1_2_1_2_sends_the_pseudo_header_field_defined_for_responses(self):
        c = self.conn()
        self.request(c, extra=[(":status", "200")])
        c.verify_stream_error(PROTOCOL_ERROR)

    def test_8_1_2_1_3_sends_a_pseudo_header_field_as_trailers(self):
        c = self.conn()
        self.request(c, method="POST", end_stream=False)
        c.write_data(1, b"test", end_stream=False)
        c.write_headers(1, c.block([(":method", "POST")]), end_stream=False)
        c.verify_stream_error(PROTOCOL_ERROR)

    def test_8_1_2_1_4_sends_a_pseudo_header_field_after_a_regular_field(self):
        c = self.conn()
        c.write_headers(1, c.block([("x-test", "ok")] + c.common()))
        c.verify_stream_error(PROTOCOL_ERROR)

    # -- 8.1.2.2 Connection-Specific Header Fields ------------------------------------------
    def test_8_1_2_2_1_sends_a_connection_specific_header_field(self):
        c = self.conn()
        self.request(c, extra=[("connection", "keep-alive")])
        c.verify_stream_error(PROTOCOL_ERROR)

    def test_8_1_2_2_2_sends_a_te_header_field_other_than_trailers(self):
        c = self.conn()
        self.request(c, extra=[("trailers", "test"), ("te", "trailers, deflate")])
        c.verify_stream_error(PROTOCOL_ERROR)

    # -- 8.1.2.3 Request Pseudo-Header Fields -----------------------------------------------
    def without(self, c, name):
        return [f for f in c.common() if f[0] != name]

    def test_8_1_2_3_1_sends_an_empty_path(self):
        c = self.conn()
        fields = [(n, "" if n == ":path" else v) for n, v in c.common()]
        c.write_headers(1, c.block(fields))
        c.verify_stream_error(PROTOCOL_ERROR)

    def test_8_1_2_3_2_omits_method(self):
        c = self.conn()
        # h2spec leaves out :scheme here too (its list minus :method, sliced once more).
        c.write_headers(1, c.block(self.without(c, ":method")[1:]))
        c.verify_stream_error(PROTOCOL_ERROR)

    def test_8_1_2_3_3_omits_scheme(self):
        c = self.conn()
        c.write_headers(1, c.block(self.without(c, ":scheme")))
        c.verify_stream_error(PROTOCOL_ERROR)

    def test_8_1_2_3_4_omits_path(self):
        c = self.conn()
        c.write_headers(1, c.block(self.without(c, ":path")))
        c.verify_stream_error(PROTOCOL_ERROR)

    def test_8_1_2_3_5_duplicates_method(self):
        c = self.conn()
        self.request(c, extra=[(":method", "GET")])
        c.verify_stream_error(PROTOCOL_ERROR)

    def test_8_1_2_3_6_duplicates_scheme(self):
        c = self.conn()
        self.request(c, extra=[(":scheme", c.scheme)])
        c.verify_stream_error(PROTOCOL_ERROR)

    def test_8_1_2_3_7_duplicates_path(self):
        c = self.conn()
        self.request(c, extra=[(":path", c.path)])
        c.verify_stream_error(PROTOCOL_ERROR)

    # -- 8.1.2.6 Malformed Requests and Responses -------------------------------------------
    def test_8_1_2_6_1_content_length_other_than_the_data_length(self):
        c = self.conn()
        self.request(c, method="POST", extra=[("content-length", "1")], end_stream=False)
        c.write_data(1, b"test", end_stream=True)
        c.verify_stream_error(PROTOCOL_ERROR)

    def test_8_1_2_6_2_content_length_other_than_the_sum_of_the_data_lengths(self):
        c = self.conn()
        self.request(c, method="POST", extra=[("content-length", "1")], end_stream=False)
        c.write_data(1, b"test", end_stream=False)
        c.write_data(1, b"test", end_stream=True)
        c.verify_stream_error(PROTOCOL_ERROR)

    # -- 8.2 Server Push --------------------------------------------------------------------
    def test_8_2_1_sends_a_push_promise_frame(self):
        c = self.conn()
        c.write_push_promise(1, 3, c.block(c.common()))
        c.verify_connection_error(PROTOCOL_ERROR)

    # -- hpack 2.3.3 Index Address Space ----------------------------------------------------
    def test_hpack_2_3_3_1_sends_an_indexed_field_with_an_invalid_index(self):
        c = self.conn()
        c.write_headers(1, c.block(c.common()) + b"\xC6")  # index 70
        c.verify_connection_error(COMPRESSION_ERROR)

    def test_hpack_2_3_3_2_sends_a_literal_field_with_an_invalid_name_index(self):
        c = self.conn()
        c.write_headers(1, c.block(c.common()) + b"\x7F\x07\x00")  # name index 70
        c.verify_connection_error(COMPRESSION_ERROR)

    # -- hpack 4.2 Maximum Table Size -------------------------------------------------------
    def test_hpack_4_2_1_sends_a_table_size_update_at_the_end_of_a_header_block(self):
        c = self.conn()
        c.write_headers(1, c.block(c.common()) + b"\x21")
        c.verify_connection_error(COMPRESSION_ERROR)

    # -- hpack 5.2 String Literal Representation --------------------------------------------
    def test_hpack_5_2_1_sends_huffman_padding_longer_than_7_bits(self):
        c = self.conn()
        c.write_headers(1, c.block(c.common()) + b"\x00\x85\xf2\xb2\x4a\x84\xff\x84\x49\x50\x9f\xff")
        c.verify_connection_error(COMPRESSION_ERROR)

    def test_hpack_5_2_2_sends_huffman_padded_by_zero(self):
        c = self.conn()
        c.write_headers(1, c.block(c.common()) + b"\x00\x85\xf2\xb2\x4a\x84\xff\x83\x49\x50\x90")
        c.verify_connection_error(COMPRESSION_ERROR)

    def test_hpack_5_2_3_sends_huffman_containing_the_eos_symbol(self):
        c = self.conn()
        c.write_headers(1, c.block(c.common())
                        + b"\x00\x85\xf2\xb2\x4a\x84\xff\x87\x49\x51\xff\xff\xff\xfa\x7f")
        c.verify_connection_error(COMPRESSION_ERROR)

    # -- hpack 6.1 Indexed Header Field Representation --------------------------------------
    def test_hpack_6_1_1_sends_an_indexed_field_with_index_0(self):
        c = self.conn()
        c.write_headers(1, c.block(c.common()) + b"\x80")
        c.verify_connection_error(COMPRESSION_ERROR)

    # -- hpack 6.3 Dynamic Table Size Update ------------------------------------------------
    def test_hpack_6_3_1_sends_a_table_size_update_over_settings_header_table_size(self):
        c = self.conn()
        size = c.settings.get(HEADER_TABLE_SIZE, 4096) + 1
        c.write_headers(1, hpack_int(size, 5, 0x20) + c.block(c.common()))
        c.verify_connection_error(COMPRESSION_ERROR)


class H2SpecOverTlsTest(H2SpecTest):
    """The same cases over TLS with ALPN h2 (h2spec -t)."""

    tls = True

    @classmethod
    def setUpClass(cls):
        if missing_tools("openssl"):
            raise unittest.SkipTest("openssl CLI not installed (needed for the test PKI)")
        cls.pki = test_pki()
        super().setUpClass()

    @classmethod
    def listener(cls, port):
        return tls_listener(port, [cls.pki.a])


if __name__ == "__main__":
    unittest.main()
