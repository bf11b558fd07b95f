#include "proxy/http/http2_stream.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <vector>

#include "proxy/base/ascii.h"
#include "proxy/base/log.h"
#include "proxy/http/field_lines.h"
#include "proxy/http/http2_counters.h"
#include "proxy/http/http2_server_connection.h"
#include "proxy/http/request_body_counters.h"
#include "proxy/http/request_target.h"
#include "proxy/http/trailer_fields.h"

namespace gatehouse::http {
namespace {

// RFC 7541 §4.1: a field costs its name and value plus 32 bytes of overhead.
constexpr size_t kFieldOverhead = 32;

// Fields that mean nothing in HTTP/2 and make a strict client reject the response
// (RFC 9113 §8.2.2), plus the ones the codec writes itself.
bool dropFromResponse(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kDropped = {
      "connection",     "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
      "content-length", "te"};
  if (name.empty() || name.front() == ':') return true;
  for (std::string_view d : kDropped)
    if (ascii::iequals(name, d)) return true;
  return false;
}

std::optional<uint64_t> parseLength(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// A header block for nghttp2_submit_*: nghttp2 copies names and values, so the strings only
// have to live until the submit call returns.
class ResponseFields {
 public:
  ResponseFields(int status, const ResponseHead& head, std::optional<uint64_t> length) {
    size_t count = head.headers.size();
    forEachFieldLine(head.preformatted, [&count](std::string_view, std::string_view) { ++count; });
    names_.reserve(count);
    nva_.reserve(count + 2);  // + :status and content-length: one allocation
    status_ = std::to_string(status);
    if (length) length_ = std::to_string(*length);
    add(":status", status_);
    forEachFieldLine(head.preformatted, [this](std::string_view name, std::string_view value) {
      addField(name, value);
    });
    for (const Header& h : head.headers)
      addField(h.name, h.value);
    if (length) add("content-length", length_);
  }
  const nghttp2_nv* data() const { return nva_.data(); }
  size_t size() const { return nva_.size(); }

 private:
  // HTTP/2 field names are lowercase (RFC 9113 §8.2.1).
  void addField(std::string_view name, std::string_view value) {
    if (dropFromResponse(name)) return;
    std::string& lower = names_.emplace_back(name);
    for (char& c : lower)
      c = ascii::toLower(c);
    // X-Request-Id is new in every response, so HPACK must not index it: each entry would
    // evict a reusable one (server, content-type, via) from the 4 KiB dynamic table, and
    // nghttp2 compares each new value against every indexed one of that name (a memcmp per
    // entry, dozens per response once the table is full of ids).
    const bool unique = lower == "x-request-id";
    add(lower, value, unique ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE);
  }
  void add(std::string_view name, std::string_view value, uint8_t flags = NGHTTP2_NV_FLAG_NONE) {
    nva_.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), flags});
  }
  std::string status_;
  std::string length_;
  std::vector<std::string> names_;  // reserved up front: the views into it stay valid
  std::vector<nghttp2_nv> nva_;
};

}  // namespace

Http2Stream::Http2Stream(Http2ServerConnection& conn, int32_t id)
    : conn_(&conn),
      id_(id),
      request_body_(net::makeEvbuffer()),
      response_body_(net::makeEvbuffer()),
      body_rate_(conn.settings_.body_rate) {}

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
  if (head_.headers.has("content-length")) {
    length = parseLength(head_.headers.get("content-length"));  // nghttp2 checked the syntax
    if (!length) return reject(400, "invalid content-length");
  }
  if (length && *length > conn_->settings_.max_body)
    return reject(413, "request body larger than the configured limit");
  if (!cookies_.empty()) head_.headers.add("cookie", cookies_);
  cookies_.clear();
  // Framing and 100-continue are the codec's, as in HTTP/1 (Http1ServerConnection).
  expect_continue_ = head_.headers.hasToken("expect", "100-continue");
  head_.headers.remove("expect");
  head_.headers.remove("content-length");
  removeHopByHop(head_.headers);  // nghttp2 refuses most; "te: trailers" may pass
  head_.content_length = length;
  head_.has_body = !end_stream && length.value_or(1) != 0;
  head_.version_minor = 1;
  expect_continue_ = expect_continue_ && head_.has_body;

  RequestId id = conn_->ids_.take(head_.headers);
  exchange_ = std::make_unique<Exchange>(std::move(head_), conn_->client_, id.view(), *this);
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
  for (const auto& field : head_.headers) {
    if (field.name != "host") continue;
    ++hosts;
    host = field.value;
  }
  if (hosts > 1) return "more than one Host";
  // RFC 9113 §8.3.1: :authority or Host is required, and a Host that names another entity than
  // :authority makes the request malformed.
  if (head_.authority.empty()) {
    head_.authority = host;
  } else if (hosts == 1 && host != head_.authority) {
    return "Host differs from :authority";
  }
  if (!isAuthority(head_.authority, false)) return "invalid :authority";
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
  // A copy: nghttp2's pointer is into the read buffer, valid only during this callback.
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
  size_t before = evbuffer_get_length(body);
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
  if (remote_ended_ && evbuffer_get_length(body) == 0 && !request_end_delivered_) {
    request_end_delivered_ = true;
    h->onRequestEnd();
  }
}

bool Http2Stream::awaitingBody() const {
  return body_wanted_ && !remote_ended_ && !closed_ && handler() &&
         evbuffer_get_length(request_body_.get()) == 0;
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
    exchange_ = std::make_unique<Exchange>(std::move(head_), conn_->client_,
                                           conn_->ids_.next().view(), *this);
  } else if (Handler* h = handler()) {
    handler_detached_ = true;
    h->onDownstreamReset();
  }
  discard_body_ = true;
  if (body_timer_) body_timer_->cancel();
  size_t buffered = evbuffer_get_length(request_body_.get());
  evbuffer_drain(request_body_.get(), buffered);
  consume(buffered + owed_consume_);
  owed_consume_ = 0;
  if (response_started_ || exchange_->headSent()) return resetStream(NGHTTP2_CANCEL);
  exchange_->respondError(status, why);
}

// --- the response --------------------------------------------------------------------------

void Http2Stream::sendInformational(int status) {
  if (!conn_ || !conn_->active()) return;
  ResponseFields fields(status, ResponseHead{}, std::nullopt);
  nghttp2_submit_headers(conn_->session(), NGHTTP2_FLAG_NONE, id_, nullptr, fields.data(),
                         fields.size(), nullptr);
  conn_->scheduleWork();
}

void Http2Stream::sendInterim(const ResponseHead& head) {
  if (closed_ || reset_by_us_ || response_started_ || !conn_->active()) return;
  // A HEADERS frame without END_STREAM, before the final one (RFC 9113 §8.1).
  ResponseFields fields(head.status, head, std::nullopt);
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
  ResponseFields fields(head.status, head, length);
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
  if (!responding() || !body_allowed_ || response_ended_ || reset_by_us_) {
    evbuffer_drain(data, evbuffer_get_length(data));
    return;
  }
  if (evbuffer_get_length(response_body_.get()) == 0) {
    send_waiting_since_ = std::chrono::steady_clock::now();  // a wait begins
    conn_->watchSend();
  }
  conn_->response_buffered_ += evbuffer_get_length(data);
  evbuffer_add_buffer(response_body_.get(), data);
  resumeData();
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
  const size_t pending = evbuffer_get_length(response_body_.get()) + conn_->outputShare();
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
  std::vector<std::string> names;
  names.reserve(response_trailers_.size());
  std::vector<nghttp2_nv> nva;
  for (const Header& h : response_trailers_) {
    if (dropFromResponse(h.name)) continue;
    std::string& lower = names.emplace_back(h.name);
    for (char& c : lower)
      c = ascii::toLower(c);
    nva.push_back({reinterpret_cast<uint8_t*>(lower.data()),
                   reinterpret_cast<uint8_t*>(const_cast<char*>(h.value.data())), lower.size(),
                   h.value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  if (nva.empty()) return;
  if (nghttp2_submit_trailer(conn_->session(), id_, nva.data(), nva.size()) == 0)
    *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
  response_trailers_ = HeaderMap();
}

ssize_t Http2Stream::readResponse(nghttp2_session*, int32_t, uint8_t*, size_t length,
                                  uint32_t* data_flags, nghttp2_data_source* source, void*) {
  auto* self = static_cast<Http2Stream*>(source->ptr);
  size_t available = evbuffer_get_length(self->response_body_.get());
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

void Http2Stream::writeData(evbuffer* out, const uint8_t* framehd, size_t length, size_t padlen) {
  static constexpr uint8_t kZeros[256] = {};
  evbuffer_add(out, framehd, 9);
  if (padlen > 0) {
    const uint8_t pad_length = static_cast<uint8_t>(padlen - 1);
    evbuffer_add(out, &pad_length, 1);
  }
  evbuffer_remove_buffer(response_body_.get(), out, length);
  conn_->response_buffered_ -= length;
  if (padlen > 1) evbuffer_add(out, kZeros, padlen - 1);
  if (evbuffer_get_length(response_body_.get()) > 0)
    send_waiting_since_ = std::chrono::steady_clock::now();  // it moved; the rest waits anew
}

void Http2Stream::giveUpSending() {
  if (closed_) return;
  conn_->response_buffered_ -= evbuffer_get_length(response_body_.get());
  evbuffer_drain(response_body_.get(), evbuffer_get_length(response_body_.get()));
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
  const size_t buffered = evbuffer_get_length(request_body_.get());
  evbuffer_drain(request_body_.get(), buffered);
  consume(buffered + owed_consume_);
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
  conn_->response_buffered_ -= evbuffer_get_length(response_body_.get());
  evbuffer_drain(response_body_.get(), evbuffer_get_length(response_body_.get()));
  // Bytes we never handed over still hold the connection window.
  if (unconsumed_ > 0 && conn_->active())
    nghttp2_session_consume_connection(conn_->session(), unconsumed_);
  unconsumed_ = 0;
  log::debug("client {}: stream {} closed ({})", conn_->client_.ip, id_,
             nghttp2_http2_strerror(error_code));
  conn_ = nullptr;
}

}  // namespace gatehouse::http
