// The RFC 9113 rules nghttp2 leaves to the application, judged on each frame header (and
// PRIORITY payload) before nghttp2 reads it (Http2FrameTracker). With RFC 7540 priorities off,
// nghttp2 ignores PRIORITY frames altogether and forgets a stream once it closes, so it silently
// drops what the RFC says must be an error: frames on streams closed by the client or by both
// ends (§5.1), a HEADERS on a lower stream id never used (§5.1.1), PRIORITY on stream 0 (§6.3) or
// depending on itself (§5.3.1).
#include "proxy/base/log.h"
#include "proxy/http/http2_server_connection.h"

namespace gatehouse::http {

void Http2ServerConnection::inspectFrame() {
  if (!active() || terminating_) return;
  const Http2FrameTracker::Frame& frame = frames_.frame();
  if (frame.type == NGHTTP2_PRIORITY) return inspectPriority(frame);
  if (frames_.event() != Http2FrameTracker::Event::Header) return;
  if (frame.type != NGHTTP2_DATA && frame.type != NGHTTP2_HEADERS) return;
  // Stream 0, server ids and open streams are nghttp2's to judge. WINDOW_UPDATE and RST_STREAM
  // may follow a close for a while (§5.1) and CONTINUATION out of place is nghttp2's error too.
  const int32_t id = frame.stream;
  if (id == 0 || id % 2 == 0 || nghttp2_session_find_stream(session(), id)) return;
  switch (ledger_.lookup(id)) {
    case Http2StreamLedger::State::NeverOpened:
      if (frame.type == NGHTTP2_HEADERS)
        return connectionError(NGHTTP2_PROTOCOL_ERROR, "HEADERS on a stream id below one used");
      return streamError(id, NGHTTP2_STREAM_CLOSED, "DATA on a stream implicitly closed");
    case Http2StreamLedger::State::ResetByPeer:
      return streamError(id, NGHTTP2_STREAM_CLOSED, "a frame after the client's RST_STREAM");
    case Http2StreamLedger::State::Completed:
      return connectionError(NGHTTP2_STREAM_CLOSED, "a frame on a stream both ends closed");
    default:
      // After our RST_STREAM the client may still have had frames in flight: they are ignored.
      return;
  }
}

void Http2ServerConnection::inspectPriority(const Http2FrameTracker::Frame& frame) {
  if (frames_.event() == Http2FrameTracker::Event::Header && frame.stream == 0)
    return connectionError(NGHTTP2_PROTOCOL_ERROR, "PRIORITY on stream 0");
  if (frames_.event() != Http2FrameTracker::Event::PriorityPayload) return;
  if (frame.dependency != frame.stream) return;
  // A stream error; for a stream not open (idle, or gone) a RST_STREAM may not be sent, and an
  // endpoint may treat any stream error as a connection error (§5.4).
  if (nghttp2_session_find_stream(session(), frame.stream))
    return streamError(frame.stream, NGHTTP2_PROTOCOL_ERROR, "a stream depending on itself");
  connectionError(NGHTTP2_PROTOCOL_ERROR, "a stream depending on itself");
}

void Http2ServerConnection::streamError(int32_t stream_id, uint32_t error_code, const char* why) {
  log::debug("client {}: stream {}: {}: RST_STREAM {}", client_.ip, stream_id, why,
             nghttp2_http2_strerror(error_code));
  nghttp2_submit_rst_stream(session(), NGHTTP2_FLAG_NONE, stream_id, error_code);
}

void Http2ServerConnection::connectionError(uint32_t error_code, const char* why) {
  log::info("client {}: HTTP/2 {}: GOAWAY {}", client_.ip, why, nghttp2_http2_strerror(error_code));
  terminate(error_code);
}

}  // namespace gatehouse::http
