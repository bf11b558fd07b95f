// Http2ServerConnection, the session's I/O: the transport's input fed to nghttp2 (frame by frame
// beside Http2FrameTracker), nghttp2's output pulled into the transport under the output
// watermarks, and the deferred work (body deliveries, drain notices) run from the loop.
#include <algorithm>

#include "proxy/base/log.h"
#include "proxy/http/http2_counters.h"
#include "proxy/http/http2_server_connection.h"
#include "proxy/http/http2_stream.h"

namespace gatehouse::http {
namespace {

// A GOAWAY frame (RFC 9113 §6.8) written by hand, for when nghttp2 can no longer be asked to.
void appendGoaway(evbuffer* out, int32_t last_stream, uint32_t error_code) {
  uint8_t frame[17] = {0, 0, 8, NGHTTP2_GOAWAY};  // length 8, no flags, stream 0
  const uint32_t fields[2] = {static_cast<uint32_t>(last_stream) & 0x7fffffff, error_code};
  for (size_t f = 0; f < 2; ++f)
    for (size_t i = 0; i < 4; ++i)
      frame[9 + 4 * f + i] = static_cast<uint8_t>(fields[f] >> (24 - 8 * i));
  evbuffer_add(out, frame, sizeof frame);
}

}  // namespace

// --- input ---------------------------------------------------------------------------------

void Http2ServerConnection::onReadable() {
  if (closed_) return;
  if (closing_) {  // GOAWAY is out: what the client still sends is read and dropped
    evbuffer_drain(conn_->input(), evbuffer_get_length(conn_->input()));
    return;
  }
  receive();
  sendPending();
  afterSessionIo();
}

void Http2ServerConnection::receive() {
  evbuffer* in = conn_->input();
  in_session_ = true;
  // Segment by segment: nghttp2 keeps its own state across calls, so nothing is pulled up.
  while (active() && !terminating_ && evbuffer_get_length(in) > 0) {
    evbuffer_iovec vec;
    if (evbuffer_peek(in, -1, nullptr, &vec, 1) < 1) break;
    const auto* bytes = static_cast<const uint8_t*>(vec.iov_base);
    // Up to the next frame header (or PRIORITY payload), which is judged before nghttp2 reads
    // it; nghttp2 takes every byte it is given (it is never paused), so both stay in step.
    const size_t step = frames_.advance(bytes, vec.iov_len);
    if (frames_.event() != Http2FrameTracker::Event::None) inspectFrame();
    ssize_t n = nghttp2_session_mem_recv(session(), bytes, step);
    if (n < 0) {
      // Every error mem_recv returns is fatal (bad preface, flood, callback failure).
      failSession(static_cast<int>(n));
      break;
    }
    evbuffer_drain(in, static_cast<size_t>(n));
  }
  in_session_ = false;
  updateHeaderDeadline();
}

void Http2ServerConnection::failSession(int lib_error) {
  log::info("client {}: HTTP/2 session ended: {}", client_.ip, nghttp2_strerror(lib_error));
  session_failed_ = true;
  Http2Counters& counters = Http2Counters::process();
  counters.session_errors.fetch_add(1, std::memory_order_relaxed);
  evbuffer_drain(conn_->input(), evbuffer_get_length(conn_->input()));
  if (lib_error == NGHTTP2_ERR_BAD_CLIENT_MAGIC) return;  // not HTTP/2: no GOAWAY (RFC 9113 §3.4)
  uint32_t code = NGHTTP2_INTERNAL_ERROR;
  if (lib_error == NGHTTP2_ERR_FLOODED || lib_error == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) {
    counters.countLimit(lib_error == NGHTTP2_ERR_FLOODED ? Http2Limit::OutboundAcks
                                                         : Http2Limit::Continuations);
    counters.calm_goaways.fetch_add(1, std::memory_order_relaxed);
    code = NGHTTP2_ENHANCE_YOUR_CALM;
  }
  // What we wrote so far ends on a frame boundary (mem_send hands out whole frames, writeData
  // writes a DATA frame whole), so the GOAWAY may follow it.
  appendGoaway(conn_->output(), nghttp2_session_get_last_proc_stream_id(session()), code);
  counters.countGoaway(code);
}

void Http2ServerConnection::onWork(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Http2ServerConnection*>(arg);
  if (self->closed_) return;
  std::vector<int32_t> ids;
  ids.swap(self->deliveries_);
  for (int32_t id : ids) {
    if (self->closing_) break;
    if (Http2Stream* s = self->stream(id)) s->deliverBody();
  }
  self->sendPending();
  self->afterSessionIo();
}

void Http2ServerConnection::scheduleWork() {
  if (!closed_) event_active(work_event_.get(), EV_TIMEOUT, 0);
}

void Http2ServerConnection::scheduleDelivery(int32_t stream_id) {
  deliveries_.push_back(stream_id);
  scheduleWork();
}

// --- output --------------------------------------------------------------------------------

void Http2ServerConnection::sendPending() {
  // Once closing, nghttp2 has nothing left to say (closeAfterFlush waits for that).
  if (!active() || in_session_ || closing_) return;
  evbuffer* out = conn_->output();
  in_session_ = true;
  while (evbuffer_get_length(out) < kOutputHighWatermark) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session(), &data);
    if (n < 0) {
      log::info("client {}: HTTP/2 session ended: {}", client_.ip,
                nghttp2_strerror(static_cast<int>(n)));
      session_failed_ = true;
      break;
    }
    if (n == 0) break;
    // The first frame into an empty output makes room for a TLS record's worth: the frames of
    // a batch of responses then share one chain, rather than one chain each, and TLS sends
    // that chain as it is rather than gather the small ones into a record first.
    if (evbuffer_get_length(out) == 0) evbuffer_expand(out, kOutputChunk);
    evbuffer_add(out, data, static_cast<size_t>(n));
  }
  in_session_ = false;
  if (!reading_paused_ && evbuffer_get_length(out) >= kOutputHighWatermark) {
    reading_paused_ = true;
    conn_->setReading(false);
  }
  notifyDrained();
}

size_t Http2ServerConnection::outputShare() const {
  if (closed_) return 0;
  const size_t output = conn_->pendingOutput();
  const size_t budget = settings_.response_buffer;
  const bool full = response_buffered_ + output > budget;
  if (full && !response_buffer_full_)
    Http2Counters::process().response_buffer_full.fetch_add(1, std::memory_order_relaxed);
  response_buffer_full_ = full;
  if (full) return budget;  // all wait
  return output / std::max<size_t>(1, streams_.size());
}

void Http2ServerConnection::notifyDrained() {
  // Ids first: a handler woken here may send, which never closes a stream synchronously, but
  // the copy keeps that a local argument.
  std::vector<int32_t> ids;
  ids.reserve(streams_.size());
  for (const auto& [id, s] : streams_)
    if (s->responding()) ids.push_back(id);
  for (int32_t id : ids)
    if (Http2Stream* s = stream(id)) s->notifyDrainedIfOwed();
}

void Http2ServerConnection::stopAfterFlush(int32_t stream_id) {
  stop_after_flush_.push_back(stream_id);
}

void Http2ServerConnection::onDrained() {
  if (closed_) return;
  if (!stop_after_flush_.empty() && conn_->pendingOutput() == 0) {
    std::vector<int32_t> ids;
    ids.swap(stop_after_flush_);
    for (int32_t id : ids)
      if (Http2Stream* s = stream(id)) s->stopUpload();
  }
  if (reading_paused_ && conn_->pendingOutput() < kOutputHighWatermark) {
    reading_paused_ = false;
    if (!closing_) conn_->setReading(true);
  }
  sendPending();
  afterSessionIo();
}

}  // namespace gatehouse::http
