// Http2Stream, the response half: the head as a HEADERS frame, the body pulled by nghttp2 into
// DATA frames (NO_COPY: writeData moves it from the stream's buffer, or copies it from the kept
// stored body, into the connection's output), trailers, and the watchdog's way out when the
// client stops taking it.
#include <algorithm>
#include <cstring>

#include "proxy/base/log.h"
#include "proxy/http/http2_response_fields.h"
#include "proxy/http/http2_server_connection.h"
#include "proxy/http/http2_stream.h"
#include "proxy/http/request_body_counters.h"

namespace gatehouse::http {

void Http2Stream::sendInformational(int status) {
  if (!conn_ || !conn_->active()) return;
  Http2ResponseFields fields(status, ResponseHead{}, std::nullopt);
  nghttp2_submit_headers(conn_->session(), NGHTTP2_FLAG_NONE, id_, nullptr, fields.data(),
                         fields.size(), nullptr);
  conn_->scheduleWork();
}

void Http2Stream::sendInterim(const ResponseHead& head) {
  if (closed_ || reset_by_us_ || response_started_ || !conn_->active()) return;
  // A HEADERS frame without END_STREAM, before the final one (RFC 9113 §8.1).
  Http2ResponseFields fields(head.status, head, std::nullopt);
  nghttp2_submit_headers(conn_->session(), NGHTTP2_FLAG_NONE, id_, nullptr, fields.data(),
                         fields.size(), nullptr);
  conn_->scheduleWork();
}

void Http2Stream::sendHead(const ResponseHead& head) {
  if (closed_ || reset_by_us_ || response_started_ || !conn_->active()) return;
  if (head.status == 101) {
    // No protocol switch in HTTP/2 (RFC 9113 §8.6): the handler asked for the impossible.
    log::warn("client {}: stream {}: a 101 cannot be sent over HTTP/2", conn_->client_.ip, id_);
    return resetStream(NGHTTP2_INTERNAL_ERROR);
  }
  if (head.status < 200) return sendInterim(head);
  response_started_ = true;
  const bool is_head = exchange_ && exchange_->request().method == "HEAD";
  body_allowed_ = head.has_body && !is_head && head.status != 204 && head.status != 304 &&
                  head.content_length.value_or(1) != 0;
  // Built step by step: g++ 12 -O2 warns (wrongly) maybe-uninitialized on the ternary form.
  std::optional<uint64_t> length;
  if (head.status != 204 && head.content_length) length.emplace(*head.content_length);
  Http2ResponseFields fields(head.status, head, length);
  nghttp2_data_provider provider;
  provider.source.ptr = this;
  provider.read_callback = &Http2Stream::readResponse;
  int rv = nghttp2_submit_response(conn_->session(), id_, fields.data(), fields.size(),
                                   body_allowed_ ? &provider : nullptr);
  if (rv != 0) {
    log::warn("client {}: stream {}: response refused: {}", conn_->client_.ip, id_,
              nghttp2_strerror(rv));
    return resetStream(NGHTTP2_INTERNAL_ERROR);
  }
  if (!body_allowed_) response_ended_ = true;  // END_STREAM rides on the HEADERS frame
  conn_->scheduleWork();
}

void Http2Stream::sendBody(evbuffer* data) {
  const size_t n = evbuffer_get_length(data);
  if (!acceptBody(n)) {
    evbuffer_drain(data, n);
    return;
  }
  if (!response_body_) response_body_ = net::makeEvbuffer();
  evbuffer_add_buffer(response_body_.get(), data);
  resumeData();
}

// Bytes in memory: copied straight into the stream's buffer, not through one made for them
// (Downstream's default).
void Http2Stream::sendBodyBytes(std::string_view bytes) {
  if (!acceptBody(bytes.size())) return;
  if (!response_body_) response_body_ = net::makeEvbuffer();
  evbuffer_add(response_body_.get(), bytes.data(), bytes.size());
  resumeData();
}

// A stored response (a cache hit): its body stays where it is stored until nghttp2 pulls it
// into DATA frames, and writeData copies it from there into the connection's output. Copied
// into a buffer of the stream first, it cost a chain's allocation, its move and its release
// per hit (~600 instructions, bench/callgrind.sh h2).
void Http2Stream::sendWholeShared(const ResponseHead& head, std::string_view body,
                                  std::shared_ptr<const void> owner) {
  // Only as a whole response: after a head, or beside queued bytes, the body would not be
  // the next thing the frames take.
  if (response_started_ || bodyQueued() > 0) return Downstream::sendWhole(head, body);
  sendHead(head);
  if (!body.empty() && acceptBody(body.size())) {
    kept_body_ = body;
    kept_body_owner_ = std::move(owner);
  }
  sendEnd();
}

bool Http2Stream::acceptBody(size_t n) {
  if (!responding() || !body_allowed_ || response_ended_ || reset_by_us_) return false;
  if (bodyQueued() == 0) {
    send_waiting_since_ = std::chrono::steady_clock::now();  // a wait begins
    conn_->watchSend();
  }
  conn_->response_buffered_ += n;
  return true;
}

void Http2Stream::sendEnd() {
  if (!responding() || response_ended_) return;
  response_ended_ = true;
  resumeData();
}

void Http2Stream::resumeData() {
  if (!conn_ || !conn_->active()) return;
  if (deferred_) {
    deferred_ = false;
    nghttp2_session_resume_data(conn_->session(), id_);
  }
  conn_->scheduleWork();
}

size_t Http2Stream::pendingOutput() const {
  if (closed_ || !conn_) return 0;
  const size_t pending = bodyQueued() + conn_->outputShare();
  if (pending > Exchange::kLowWatermark) drain_owed_ = true;
  return pending;
}

void Http2Stream::notifyDrainedIfOwed() {
  if (!drain_owed_ || closed_) return;
  drain_owed_ = false;
  if (pendingOutput() > Exchange::kLowWatermark) return;  // still owed: it set the flag again
  if (Handler* h = handler()) h->onDownstreamDrained();
}

void Http2Stream::sendTrailers(const HeaderMap& trailers) {
  if (!responding() || response_ended_) return;
  response_trailers_ = trailers;
}

// At the body's end: with trailers, the DATA frame does not end the stream; a HEADERS frame
// with the trailer fields does (RFC 9113 §8.1).
void Http2Stream::finishBody(uint32_t* data_flags) {
  *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  if (response_trailers_.empty()) return;
  Http2ResponseFields fields(response_trailers_);
  if (fields.size() > 0 &&
      nghttp2_submit_trailer(conn_->session(), id_, fields.data(), fields.size()) == 0)
    *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
  response_trailers_ = HeaderMap();
}

ssize_t Http2Stream::readResponse(nghttp2_session*, int32_t, uint8_t*, size_t length,
                                  uint32_t* data_flags, nghttp2_data_source* source, void*) {
  auto* self = static_cast<Http2Stream*>(source->ptr);
  const size_t available = self->bodyQueued();
  if (available == 0) {
    if (self->response_ended_) {
      self->finishBody(data_flags);
      return 0;
    }
    self->deferred_ = true;  // resumeData() wakes nghttp2 when the handler sends more
    return NGHTTP2_ERR_DEFERRED;
  }
  size_t n = std::min(length, available);
  // NO_COPY: writeData() moves the payload from our buffer to the transport's.
  *data_flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  if (self->response_ended_ && n == available) self->finishBody(data_flags);
  return static_cast<ssize_t>(n);
}

bool Http2Stream::writeData(evbuffer* out, const uint8_t* framehd, size_t length, size_t padlen) {
  const size_t total = 9 + padlen + length;  // padlen counts the Pad Length octet
  // Never more than waits (nghttp2 asks for no more than readResponse offered); checked before
  // a byte is written, so that the output still ends on a frame boundary (failSession's GOAWAY).
  if (length > bodyQueued()) return false;
  if (!kept_body_.empty() && total <= kOneSpanFrame)
    return writeKeptFrame(out, framehd, length, padlen);
  static constexpr uint8_t kZeros[256] = {};
  evbuffer_add(out, framehd, 9);
  if (padlen > 0) {
    const uint8_t pad_length = static_cast<uint8_t>(padlen - 1);
    evbuffer_add(out, &pad_length, 1);
  }
  if (!kept_body_.empty()) {
    // A large frame of a kept body: copied in as it fits, the rest into a chain of its size.
    evbuffer_add(out, kept_body_.data(), length);
    keptBodyTaken(length);
  } else if (length > 0) {  // then the buffer exists: length <= bodyQueued()
    // The whole buffer (a small body, or the last of one) moves by its chains; a part is split.
    if (length == evbuffer_get_length(response_body_.get()))
      evbuffer_add_buffer(out, response_body_.get());
    else
      evbuffer_remove_buffer(response_body_.get(), out, length);
  }
  if (padlen > 1) evbuffer_add(out, kZeros, padlen - 1);
  bodyMoved(length);
  return true;
}

// One DATA frame of a kept body, header, padding and payload written in one reserved span of
// the output: one callback of its, and usually no allocation (the span follows the frames
// before it in their chain).
bool Http2Stream::writeKeptFrame(evbuffer* out, const uint8_t* framehd, size_t length,
                                 size_t padlen) {
  const size_t total = 9 + padlen + length;
  evbuffer_iovec span;
  if (evbuffer_reserve_space(out, static_cast<ev_ssize_t>(total), &span, 1) != 1) return false;
  auto* at = static_cast<uint8_t*>(span.iov_base);
  std::memcpy(at, framehd, 9);
  at += 9;
  if (padlen > 0) *at++ = static_cast<uint8_t>(padlen - 1);
  std::memcpy(at, kept_body_.data(), length);
  if (padlen > 1) std::memset(at + length, 0, padlen - 1);
  span.iov_len = total;
  if (evbuffer_commit_space(out, &span, 1) != 0) return false;
  keptBodyTaken(length);
  bodyMoved(length);
  return true;
}

void Http2Stream::keptBodyTaken(size_t length) {
  kept_body_.remove_prefix(length);
  if (kept_body_.empty()) kept_body_owner_.reset();  // the store may free it now
}

void Http2Stream::bodyMoved(size_t length) {
  conn_->response_buffered_ -= length;
  if (bodyQueued() > 0)
    send_waiting_since_ = std::chrono::steady_clock::now();  // it moved; the rest waits anew
}

void Http2Stream::dropQueuedBody() {
  conn_->response_buffered_ -= bodyQueued();
  kept_body_ = {};
  kept_body_owner_.reset();
  if (response_body_)
    evbuffer_drain(response_body_.get(), evbuffer_get_length(response_body_.get()));
}

void Http2Stream::giveUpSending() {
  if (closed_) return;
  dropQueuedBody();
  resetStream(NGHTTP2_CANCEL);
  if (Handler* h = handler()) {
    handler_detached_ = true;
    h->onDownstreamReset();
  }
}

void Http2Stream::onResponseSent() {
  response_done_ = true;
  if (!conn_->active() || nghttp2_session_get_stream_remote_close(conn_->session(), id_)) return;
  // The answer is complete but the client is still sending. As HTTP/1 does, the rest of the
  // body is taken and dropped, within the same budget (1 MiB) and body rate: a client that
  // reads its answer only once its upload is done (curl 7.88 does) loses the answer to a reset
  // (a POST blocked by read-only mode made curl exit 92). Beyond the budget, for a body of
  // unknown length, or from a client that waits for a 100 Continue it will not get now, the
  // stream is reset with NO_ERROR, which RFC 9113 §8.1 allows.
  if (expect_continue_ || !restWithinDropBudget()) {
    RequestBodyCounters::process().discard_resets_http2.fetch_add(1, std::memory_order_relaxed);
    return conn_->stopAfterFlush(id_);
  }
  dropRest();
}

}  // namespace gatehouse::http
