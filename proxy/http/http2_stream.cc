#include "proxy/http/http2_stream.h"

// Http2Stream, the request half: the head field by field, its checks, the body under flow
// control, our own error answers, and the end of the stream. The response half is in
// http2_stream_response.cc.
#include <algorithm>
#include <charconv>
#include <optional>

#include "proxy/base/log.h"
#include "proxy/http/http2_counters.h"
#include "proxy/http/http2_server_connection.h"
#include "proxy/http/request_body_counters.h"
#include "proxy/http/request_target.h"
#include "proxy/http/trailer_fields.h"

namespace gatehouse::http {
namespace {

// RFC 7541 §4.1: a field costs its name and value plus 32 bytes of overhead.
constexpr size_t kFieldOverhead = 32;
// Request fields beside the pseudo-fields: room for most requests (h2load and curl send 2 or 3;
// a browser about 15 grows it once).
constexpr size_t kTypicalFields = 8;

std::optional<uint64_t> parseLength(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// The fields onRequestHead() looks at again, by name. HTTP/2 names are lowercase (nghttp2 refuses
// others, RFC 9113 §8.2.1), so a plain comparison is exact; a name of another length costs one
// switch.
uint8_t noteworthy(std::string_view name) {
  using Seen = Http2Stream::Seen;
  switch (name.size()) {
    case 2:
      return name == "te" ? Seen::kHopByHop : 0;
    case 4:
      return name == "host" ? Seen::kHost : 0;
    case 6:
      return name == "expect" ? Seen::kExpect : 0;
    case 7:
      return name == "upgrade" || name == "trailer" ? Seen::kHopByHop : 0;
    case 10:
      return name == "connection" || name == "keep-alive" ? Seen::kHopByHop : 0;
    case 12:
      return name == "x-request-id" ? Seen::kRequestId : 0;
    case 14:
      return name == "content-length" ? Seen::kContentLength : 0;
    case 16:
      return name == "proxy-connection" ? Seen::kHopByHop : 0;
    case 17:
      return name == "transfer-encoding" ? Seen::kHopByHop : 0;
    case 18:
      return name == "proxy-authenticate" ? Seen::kHopByHop : 0;
    default:
      return 0;
  }
}

}  // namespace

Http2Stream::Http2Stream(Http2ServerConnection& conn, int32_t id)
    : conn_(&conn), id_(id), body_rate_(conn.settings_.body_rate) {
  // One allocation for a typical request's fields instead of one per doubling (1, 2, 4, 8).
  head_.headers.reserve(kTypicalFields);
}

Http2Stream::~Http2Stream() = default;

Handler* Http2Stream::handler() const {
  return exchange_ && dispatched_ && !handler_detached_ ? exchange_->handler() : nullptr;
}

// --- the request ---------------------------------------------------------------------------

void Http2Stream::onHeaderField(std::string_view name, std::string_view value, bool trailer) {
  // Counted whatever happens to the field, so a huge block costs us parsing time only.
  header_bytes_ += name.size() + value.size() + kFieldOverhead;
  if (header_bytes_ > conn_->settings_.max_header_list_size) header_too_large_ = true;
  if (header_too_large_) return;
  if (trailer) {
    // Pseudo-fields are not allowed in trailers (nghttp2 checks), nor what must come before
    // the content (trailer_fields.h); the rest go to the backend.
    if (!exchange_ || name.empty() || name.front() == ':') return;
    if (allowedInTrailers(name))
      exchange_->requestTrailers().add(name, value);
    else
      RequestBodyCounters::process().trailer_fields_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!name.empty() && name.front() == ':') {
    if (name == ":method")
      head_.method = value;
    else if (name == ":path")
      head_.target = value;
    else if (name == ":authority")
      head_.authority = value;
    else if (name == ":scheme")
      head_.scheme = value;
    return;
  }
  if (name == "cookie") {
    if (!cookies_.empty()) cookies_ += "; ";
    cookies_ += value;
    return;
  }
  seen_ |= noteworthy(name);
  head_.headers.add(name, value);
}

void Http2Stream::onRequestHead(bool end_stream) {
  remote_ended_ = end_stream;
  if (header_too_large_) {
    Http2Counters::process().countLimit(Http2Limit::HeaderList);
    return reject(431, "request header fields too large");
  }
  // Extended CONNECT is refused by nghttp2 (we never enable it); plain CONNECT would need a
  // tunnel through the Exchange, which it does not have.
  if (head_.method == "CONNECT") return reject(501, "CONNECT is not supported");
  if (const char* why = checkTargetAndAuthority()) return reject(400, why);
  std::optional<uint64_t> length;
  if (seen_ & Seen::kContentLength) {
    length = parseLength(head_.headers.get("content-length"));  // nghttp2 checked the syntax
    if (!length) return reject(400, "invalid content-length");
  }
  if (length && *length > conn_->settings_.max_body)
    return reject(413, "request body larger than the configured limit");
  if (!cookies_.empty()) head_.headers.add("cookie", cookies_);
  cookies_.clear();
  // Framing and 100-continue are the codec's, as in HTTP/1 (Http1ServerConnection).
  // Each only when such a field came: most requests have none of them.
  if (seen_ & Seen::kExpect) {
    expect_continue_ = head_.headers.hasToken("expect", "100-continue");
    head_.headers.remove("expect");
  }
  if (seen_ & Seen::kContentLength) head_.headers.remove("content-length");
  // nghttp2 refuses most; "te: trailers" may pass.
  if (seen_ & Seen::kHopByHop) removeHopByHop(head_.headers);
  head_.content_length = length;
  head_.has_body = !end_stream && length.value_or(1) != 0;
  head_.version_minor = 1;
  expect_continue_ = expect_continue_ && head_.has_body;

  RequestId id = (seen_ & Seen::kRequestId) ? conn_->ids_.take(head_.headers) : conn_->ids_.next();
  exchange_.emplace(std::move(head_), conn_->client_, id.view(), *this);
  dispatched_ = true;
  conn_->dispatcher_.dispatch(*exchange_);
  if (!exchange_->request().has_body && !request_end_delivered_) {
    request_end_delivered_ = true;
    if (Handler* h = handler()) h->onRequestEnd();
  }
}

const char* Http2Stream::checkTargetAndAuthority() {
  // One validation for both protocols (request_target.h): what HTTP/1 refuses in a request-line
  // or a Host field is refused here too, before anything routes, caches or forwards it.
  if (head_.scheme != "http" && head_.scheme != "https") return "invalid :scheme";
  if (!isHttp2Path(head_.method, head_.target)) return "invalid :path";
  size_t hosts = 0;
  std::string_view host;
  if (seen_ & Seen::kHost) {
    for (const auto& field : head_.headers) {
      if (field.name != "host") continue;
      ++hosts;
      host = field.value;
    }
  }
  if (hosts > 1) return "more than one Host";
  // RFC 9113 §8.3.1: :authority or Host is required, and a Host that names another entity than
  // :authority makes the request malformed.
  if (head_.authority.empty()) {
    head_.authority = host;
  } else if (hosts == 1 && host != head_.authority) {
    return "Host differs from :authority";
  }
  // A client names the same authority on every stream: judged once per connection.
  if (!head_.authority.empty() && head_.authority == conn_->valid_authority_) return nullptr;
  if (!isAuthority(head_.authority, false)) return "invalid :authority";
  conn_->valid_authority_ = head_.authority;
  return nullptr;
}

void Http2Stream::onData(const uint8_t* data, size_t len) {
  body_received_ += len;
  unconsumed_ += len;
  body_rate_.add(len);
  if (discard_body_ || !handler()) {
    consume(len);  // keeps the connection window open for the other streams
    if (dropping_rest_ && (dropped_ += len) > kMaxDiscardBytes) {
      RequestBodyCounters::process().discard_resets_http2.fetch_add(1, std::memory_order_relaxed);
      resetStream(NGHTTP2_NO_ERROR);
    }
    return;
  }
  if (body_received_ > conn_->settings_.max_body) {
    consume(len);
    return reject(413, "request body larger than the configured limit");
  }
  // A copy: nghttp2's pointer is into the read buffer, valid only during this callback. The
  // buffer is made for the first bytes: most streams carry no request body.
  if (!request_body_) request_body_ = net::makeEvbuffer();
  evbuffer_add(request_body_.get(), data, len);
  deliverBody();
}

void Http2Stream::onRemoteEnd() {
  remote_ended_ = true;
  if (body_timer_) body_timer_->cancel();
  deliverBody();
}

void Http2Stream::deliverBody() {
  Handler* h = handler();
  if (closed_ || !h) return;
  evbuffer* body = request_body_.get();
  size_t before = requestBuffered();
  if (before > 0 && body_wanted_) {
    h->onRequestBody(body);
    if (closed_ || !handler()) return;
    size_t handed = before - evbuffer_get_length(body);
    exchange_->record().bytes_received += handed;
    // The window opens only for bytes the handler took, and not while it is paused: a slow
    // backend slows the client down instead of filling our memory.
    owed_consume_ += handed;
    if (body_wanted_) {
      consume(owed_consume_);
      owed_consume_ = 0;
    }
  }
  if (remote_ended_ && requestBuffered() == 0 && !request_end_delivered_) {
    request_end_delivered_ = true;
    h->onRequestEnd();
  }
}

bool Http2Stream::awaitingBody() const {
  return body_wanted_ && !remote_ended_ && !closed_ && handler() && requestBuffered() == 0;
}

size_t Http2Stream::requestBuffered() const {
  return request_body_ ? evbuffer_get_length(request_body_.get()) : 0;
}

size_t Http2Stream::dropRequestBuffered() {
  const size_t buffered = requestBuffered();
  if (buffered > 0) evbuffer_drain(request_body_.get(), buffered);
  return buffered;
}

void Http2Stream::consume(size_t n) {
  n = std::min(n, unconsumed_);
  if (n == 0 || !conn_ || !conn_->active()) return;
  unconsumed_ -= n;
  nghttp2_session_consume(conn_->session(), id_, n);
  conn_->scheduleWork();  // a WINDOW_UPDATE may be due
}

void Http2Stream::pauseRequestBody() {
  body_wanted_ = false;
  if (body_timer_) body_timer_->cancel();  // time the handler holds the body is not the client's
}

void Http2Stream::resumeRequestBody() {
  if (closed_ || body_wanted_ || !handler()) return;
  body_wanted_ = true;
  if (expect_continue_ && !response_started_) sendInformational(100);
  expect_continue_ = false;
  startBodyWindow();
  consume(owed_consume_);
  owed_consume_ = 0;
  // Delivered from the loop, not from inside this call: the handler is mid-call.
  conn_->scheduleDelivery(id_);
}

void Http2Stream::startBodyWindow() {
  if (remote_ended_) return;
  if (body_timer_) {
    body_rate_.resume();
  } else {
    body_timer_ =
        std::make_unique<net::Timer>(conn_->loop_.base(), [this] { onBodyWindowEnded(); });
    body_rate_.start();
  }
  body_timer_->arm(body_rate_.window());
}

void Http2Stream::onBodyWindowEnded() {
  if (closed_ || remote_ended_) return;
  if (dropping_rest_) {
    if (body_rate_.windowEnded() == BodyRate::Verdict::Continue)
      return body_timer_->arm(body_rate_.window());
    RequestBodyCounters::process().discard_resets_http2.fetch_add(1, std::memory_order_relaxed);
    return resetStream(NGHTTP2_NO_ERROR);
  }
  if (discard_body_ || !body_wanted_) return;
  const BodyRate::Verdict verdict = body_rate_.windowEnded();
  if (verdict == BodyRate::Verdict::Continue) return body_timer_->arm(body_rate_.window());
  RequestBodyCounters::process().body_timeouts_http2.fetch_add(1, std::memory_order_relaxed);
  reject(408, verdict == BodyRate::Verdict::TooSlow ? "request body slower than the minimum rate"
                                                    : "request body not started in time");
}

// Our own answer (431, 413, 501, 400, 408): the handler, if any, is told to stop and the rest of
// the request body is dropped. Too late for an answer once a head went out: reset instead.
void Http2Stream::reject(int status, std::string_view why) {
  log::debug("client {}: stream {}: {} {}", conn_->client_.ip, id_, status, why);
  if (!exchange_) {
    // Never dispatched, so never seen by a handler: only its access-log line.
    exchange_.emplace(std::move(head_), conn_->client_, conn_->ids_.next().view(), *this);
  } else if (Handler* h = handler()) {
    handler_detached_ = true;
    h->onDownstreamReset();
  }
  discard_body_ = true;
  if (body_timer_) body_timer_->cancel();
  consume(dropRequestBuffered() + owed_consume_);
  owed_consume_ = 0;
  if (response_started_ || exchange_->headSent()) return resetStream(NGHTTP2_CANCEL);
  exchange_->respondError(status, why);
}

// Only a declared rest: a body of unknown length may be endless (a CONNECT's tunnel, a stream).
bool Http2Stream::restWithinDropBudget() const {
  const std::optional<uint64_t> length =
      exchange_ ? exchange_->request().content_length : head_.content_length;
  return length && *length >= body_received_ && *length - body_received_ <= kMaxDiscardBytes;
}

void Http2Stream::dropRest() {
  discard_body_ = true;
  dropping_rest_ = true;
  dropped_ = 0;
  consume(dropRequestBuffered() + owed_consume_);
  owed_consume_ = 0;
  startBodyWindow();  // bounded like any upload: timeouts.client_body, limits.min_body_rate
}

void Http2Stream::stopUpload() {
  if (conn_->active() && !nghttp2_session_get_stream_remote_close(conn_->session(), id_))
    resetStream(NGHTTP2_NO_ERROR);
}

void Http2Stream::abort() {
  if (closed_) return;
  aborted_by_handler_ = true;
  resetStream(NGHTTP2_INTERNAL_ERROR);
}

void Http2Stream::resetStream(uint32_t error_code) {
  if (closed_ || reset_by_us_ || !conn_->active()) return;
  reset_by_us_ = true;
  nghttp2_submit_rst_stream(conn_->session(), NGHTTP2_FLAG_NONE, id_, error_code);
  conn_->scheduleWork();
}

// --- the end -------------------------------------------------------------------------------

void Http2Stream::onClosed(uint32_t error_code) {
  if (closed_) return;
  closed_ = true;
  if (body_timer_) body_timer_->cancel();
  if (exchange_) {
    if (!response_done_) {
      // Reset by the client (or the connection went): the handler stops, unless it is the
      // one that gave up.
      if (Handler* h = handler(); h && !aborted_by_handler_) {
        handler_detached_ = true;
        h->onDownstreamReset();
      }
      exchange_->record().aborted = true;
      if (exchange_->record().status == 0) exchange_->record().status = 499;
    }
    conn_->dispatcher_.onComplete(*exchange_);
  }
  dropQueuedBody();
  // Bytes we never handed over still hold the connection window.
  if (unconsumed_ > 0 && conn_->active())
    nghttp2_session_consume_connection(conn_->session(), unconsumed_);
  unconsumed_ = 0;
  log::debug("client {}: stream {} closed ({})", conn_->client_.ip, id_,
             nghttp2_http2_strerror(error_code));
  conn_ = nullptr;
}

}  // namespace gatehouse::http
