// The nghttp2 callbacks of Http2ServerConnection: they translate session events into stream
// events (Http2Stream) and feed the flood detectors. They run inside nghttp2_session_mem_recv
// or mem_send, so they may submit frames but never send, and never close the connection.
#include <cstring>

#include "proxy/base/log.h"
#include "proxy/http/http2_counters.h"
#include "proxy/http/http2_server_connection.h"
#include "proxy/http/http2_stream.h"

namespace gatehouse::http {
namespace {
Http2ServerConnection& self(void* user_data) {
  return *static_cast<Http2ServerConnection*>(user_data);
}
bool endStream(const nghttp2_frame& frame) {
  return frame.hd.flags & NGHTTP2_FLAG_END_STREAM;
}
}  // namespace

nghttp2_session_callbacks* Http2ServerConnection::makeCallbacks() {
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) return nullptr;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &onBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &onHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &onFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &onDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &onStreamClose);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, &onFrameSend);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, &onFrameNotSend);
  nghttp2_session_callbacks_set_send_data_callback(cbs, &onSendData);
  nghttp2_session_callbacks_set_error_callback2(cbs, &onError);
  return cbs;
}

int Http2ServerConnection::onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame,
                                          void* user_data) {
  Http2ServerConnection& c = self(user_data);
  if (c.terminating_ || frame->hd.type != NGHTTP2_HEADERS ||
      frame->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0;
  const int32_t id = frame->hd.stream_id;
  c.streams_.add(id, std::make_unique<Http2Stream>(c, id));
  c.ledger_.opened(id);
  Http2Counters::process().streams.fetch_add(1, std::memory_order_relaxed);
  c.floods_.earnWindowUpdates(1);  // a client may open a stream's window wider at its start
  return 0;
}

int Http2ServerConnection::onHeader(nghttp2_session*, const nghttp2_frame* frame,
                                    const uint8_t* name, size_t namelen, const uint8_t* value,
                                    size_t valuelen, uint8_t, void* user_data) {
  Http2Stream* s = self(user_data).stream(frame->hd.stream_id);
  if (!s || frame->hd.type != NGHTTP2_HEADERS) return 0;
  s->onHeaderField({reinterpret_cast<const char*>(name), namelen},
                   {reinterpret_cast<const char*>(value), valuelen},
                   frame->headers.cat != NGHTTP2_HCAT_REQUEST);
  return 0;
}

int Http2ServerConnection::onFrameRecv(nghttp2_session*, const nghttp2_frame* frame,
                                       void* user_data) {
  Http2ServerConnection& c = self(user_data);
  if (c.terminating_) return 0;
  Http2Stream* s = c.stream(frame->hd.stream_id);
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
      if (!s) break;
      if (frame->headers.cat == NGHTTP2_HCAT_REQUEST)
        s->onRequestHead(endStream(*frame));
      else if (endStream(*frame))
        s->onRemoteEnd();  // after trailers
      break;
    case NGHTTP2_DATA:
      if (frame->hd.length == 0 && !endStream(*frame)) c.countFrame(Http2Limit::EmptyFrames);
      if (s && endStream(*frame)) s->onRemoteEnd();
      break;
    case NGHTTP2_RST_STREAM:
      Http2Counters::process().client_resets.fetch_add(1, std::memory_order_relaxed);
      c.ledger_.ended(frame->hd.stream_id, Http2StreamLedger::State::ResetByPeer);
      c.countClientCausedReset();
      break;
    default:
      c.onControlFrame(*frame);
      break;
  }
  return 0;
}

void Http2ServerConnection::onControlFrame(const nghttp2_frame& frame) {
  const bool ack = frame.hd.flags & NGHTTP2_FLAG_ACK;
  switch (frame.hd.type) {
    case NGHTTP2_SETTINGS:
      if (!ack) countFrame(Http2Limit::Settings);  // each costs an ACK
      break;
    case NGHTTP2_PING:
      if (!ack) {
        countFrame(Http2Limit::Pings);  // each costs an ACK
      } else if (shutting_down_ && std::memcmp(frame.ping.opaque_data, kShutdownPing.data(),
                                               kShutdownPing.size()) == 0) {
        sendFinalGoaway();  // one round trip after the notice: what was in flight has arrived
      }
      break;
    case NGHTTP2_WINDOW_UPDATE:
      countFrame(Http2Limit::WindowUpdates);
      break;
    case NGHTTP2_GOAWAY:
      log::debug("client {}: GOAWAY received ({})", client_.ip,
                 nghttp2_http2_strerror(frame.goaway.error_code));
      break;
    default:
      break;
  }
}

int Http2ServerConnection::onDataChunk(nghttp2_session*, uint8_t, int32_t stream_id,
                                       const uint8_t* data, size_t len, void* user_data) {
  Http2ServerConnection& c = self(user_data);
  if (c.terminating_) return 0;
  if (Http2Stream* s = c.stream(stream_id)) {
    s->onData(data, len);
  } else {
    nghttp2_session_consume_connection(c.session(), len);  // a stream we already let go
  }
  return 0;
}

int Http2ServerConnection::onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                                         void* user_data) {
  Http2ServerConnection& c = self(user_data);
  c.ledger_.ended(stream_id, Http2StreamLedger::State::Completed);  // unless reset before
  c.closeStream(stream_id, error_code);
  return 0;
}

int Http2ServerConnection::onFrameSend(nghttp2_session*, const nghttp2_frame* frame,
                                       void* user_data) {
  Http2ServerConnection& c = self(user_data);
  Http2Stream* s = c.stream(frame->hd.stream_id);
  switch (frame->hd.type) {
    case NGHTTP2_DATA:
      c.floods_.earnWindowUpdates(2);  // the client may acknowledge it, stream and connection
      [[fallthrough]];
    case NGHTTP2_HEADERS:
      if (s && endStream(*frame)) s->onResponseSent();
      break;
    case NGHTTP2_GOAWAY:
      Http2Counters::process().countGoaway(frame->goaway.error_code);
      break;
    case NGHTTP2_RST_STREAM: {
      c.ledger_.ended(frame->hd.stream_id, Http2StreamLedger::State::ResetByUs);
      // Resets nghttp2 sends for client errors count like the client's own (MadeYouReset,
      // CVE-2025-8671): either way the client gets server work for free. Refusals over
      // max_concurrent_streams do not: a client may open streams before our SETTINGS arrive.
      const uint32_t code = frame->rst_stream.error_code;
      if (!(s && s->resetByUs()) && code != NGHTTP2_NO_ERROR && code != NGHTTP2_REFUSED_STREAM)
        c.countClientCausedReset();
      break;
    }
    default:
      break;
  }
  return 0;
}

int Http2ServerConnection::onFrameNotSend(nghttp2_session*, const nghttp2_frame* frame, int error,
                                          void* user_data) {
  // A response head nghttp2 could not send (over 64 KiB compressed, say) leaves the stream
  // open with nothing to end it: reset it so the handler and the client both move on.
  Http2ServerConnection& c = self(user_data);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  // A closing session or stream is expected to drop what was queued; anything else is a
  // response we could not express.
  const bool expected = error == NGHTTP2_ERR_SESSION_CLOSING ||
                        error == NGHTTP2_ERR_STREAM_CLOSED || error == NGHTTP2_ERR_STREAM_CLOSING;
  if (!expected)
    log::warn("client {}: stream {}: response head not sent: {}", c.client_.ip, frame->hd.stream_id,
              nghttp2_strerror(error));
  if (Http2Stream* s = c.stream(frame->hd.stream_id)) s->failResponse();
  return 0;
}

int Http2ServerConnection::onSendData(nghttp2_session*, nghttp2_frame* frame,
                                      const uint8_t* framehd, size_t length,
                                      nghttp2_data_source* source, void* user_data) {
  auto* s = static_cast<Http2Stream*>(source->ptr);
  if (!s->writeData(self(user_data).conn_->output(), framehd, length, frame->data.padlen))
    return NGHTTP2_ERR_CALLBACK_FAILURE;  // the output could not grow: the session ends
  return 0;
}

int Http2ServerConnection::onError(nghttp2_session*, int, const char* msg, size_t len,
                                   void* user_data) {
  log::debug("client {}: HTTP/2: {}", self(user_data).client_.ip, std::string_view(msg, len));
  return 0;
}

}  // namespace gatehouse::http
