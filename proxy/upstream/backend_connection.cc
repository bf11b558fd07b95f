#include "proxy/upstream/backend_connection.h"

#include <fmt/format.h>
#include <netinet/tcp.h>

#include "proxy/base/ascii.h"
#include "proxy/base/log.h"
#include "proxy/http/exchange.h"
#include "proxy/http/http1_writer.h"

namespace gatehouse::upstream {
namespace {
// Backends are trusted more than clients but parsed as strictly; their heads may be larger.
http::ParseLimits backendLimits() {
  http::ParseLimits limits;
  limits.request_line = 8192;
  limits.headers = 128 * 1024;
  limits.header_count = 256;
  return limits;
}
constexpr size_t kMaxResponseHead = 128 * 1024 + 8192;

// One parser per thread serves every backend connection of that worker: a head is parsed in
// one call and copied out, and a parser's header array is too big to keep per connection.
http::Http1Parser& responseParser() {
  static thread_local http::Http1Parser parser(backendLimits());
  return parser;
}
}  // namespace

std::atomic<uint64_t> BackendConnection::paused_timeouts_total{0};
std::atomic<uint64_t> BackendConnection::idle_timeouts_total{0};
std::atomic<uint64_t> BackendConnection::tunnel_idle_timeouts_total{0};

std::string_view describe(BackendFailure f) {
  switch (f) {
    case BackendFailure::ConnectFailed:
      return "connect failed";
    case BackendFailure::ConnectTimeout:
      return "connect timed out";
    case BackendFailure::ResponseTimeout:
      return "response timed out";
    case BackendFailure::BadResponse:
      return "invalid response";
    case BackendFailure::ClosedBeforeResponse:
      return "closed before responding";
    case BackendFailure::ClosedMidResponse:
      return "closed mid-response";
    case BackendFailure::DownstreamStalled:
      return "response not taken by the client in time";
  }
  return "?";
}

BackendConnection::BackendConnection(net::EventLoop& loop, health::Server& server, User& user)
    : loop_(loop),
      server_(server),
      server_owner_(server.weak_from_this().lock()),
      user_(&user),
      body_chunk_(net::makeEvbuffer()),
      paused_timer_(loop.base(), [this] { onPausedTooLong(); }) {}

BackendConnection::~BackendConnection() = default;

std::unique_ptr<BackendConnection> BackendConnection::connect(net::EventLoop& loop,
                                                              health::Server& server,
                                                              const Timeouts& timeouts, User& user,
                                                              BackendConnector& connector) {
  std::unique_ptr<BackendConnection> conn(new BackendConnection(loop, server, user));
  conn->timeouts_ = timeouts;
  server.connections_opened_total.fetch_add(1, std::memory_order_relaxed);
  conn->conn_ = connector.open(loop.base(), server, timeouts.connect, *conn);
  conn->conn_->setLowWatermark(http::Exchange::kLowWatermark);
  return conn;
}

void BackendConnection::attach(User& user, const Timeouts& timeouts) {
  user_ = &user;
  timeouts_ = timeouts;
  on_idle_dead_ = nullptr;
  state_ = State::Ready;
}

void BackendConnection::sendRequestHead(const http::RequestHead& head) {
  state_ = State::Busy;
  ++requests_;
  request_method_ = head.method;
  request_upgrade_ = head.upgrade;
  request_done_ = false;
  head_received_ = response_done_ = false;
  response_keep_alive_ = false;
  std::string extra;
  request_chunked_ = false;
  if (head.upgrade) {
    extra = "Connection: upgrade\r\n";
  } else if (head.content_length) {
    extra = fmt::format("Content-Length: {}\r\n", *head.content_length);
  } else if (head.has_body) {
    request_chunked_ = true;
    extra = "Transfer-Encoding: chunked\r\n";
  }
  http::writeRequestHead(conn_->output(), head, extra);
  // backend_response counts from the end of the request: a slow upload is not the
  // backend's delay. Until then only stalled writes time out.
  const bool body_follows = head.has_body || head.upgrade;
  conn_->setTimeouts(body_follows ? Duration::zero() : timeouts_.response, timeouts_.response);
  conn_->setReading(true);
}

void BackendConnection::sendBody(evbuffer* data) {
  evbuffer* out = conn_->output();
  if (request_chunked_ && state_ != State::Tunnel)
    http::writeChunk(out, data);
  else
    evbuffer_add_buffer(out, data);
  // The client's bytes keep a tunnel alive as much as the backend's do.
  if (state_ == State::Tunnel) conn_->setTimeouts(timeouts_.tunnel_idle, timeouts_.response);
}

void BackendConnection::sendEnd(const http::HeaderMap* trailers) {
  if (request_done_) return;
  request_done_ = true;
  if (state_ == State::Busy) conn_->setTimeouts(timeouts_.response, timeouts_.response);
  if (request_chunked_ && state_ != State::Tunnel) {
    if (trailers && !trailers->empty())
      http::writeLastChunkWithTrailers(conn_->output(), *trailers);
    else
      http::writeLastChunk(conn_->output());
  }
}

size_t BackendConnection::pendingOutput() const {
  return evbuffer_get_length(conn_->output());
}

void BackendConnection::pauseResponse() {
  conn_->setReading(false);
  // Not reading stops the read timeout, so the pause has its own: a client that never takes
  // the response must not hold this connection (and the server's slot) for ever. Armed once per
  // pause; a repeated pause is no progress.
  const bool responding = state_ == State::Busy || state_ == State::Tunnel;
  if (responding && timeouts_.response.count() > 0 && !paused_timer_on_) {
    paused_timer_on_ = true;
    paused_timer_.arm(timeouts_.response);
  }
}

void BackendConnection::stopPausedTimer() {
  // A flag, not Timer::armed(): libevent takes a lock for each query, and the end of every
  // response passes here (the cache hit path's pass-through sibling is measured by callgrind).
  if (!paused_timer_on_) return;
  paused_timer_on_ = false;
  paused_timer_.cancel();
}

void BackendConnection::onPausedTooLong() {
  paused_timer_on_ = false;
  if (state_ != State::Busy && state_ != State::Tunnel) return;
  paused_timeouts_total.fetch_add(1, std::memory_order_relaxed);
  fail(BackendFailure::DownstreamStalled);
}

void BackendConnection::resumeResponse() {
  stopPausedTimer();
  conn_->setReading(true);
  if (evbuffer_get_length(conn_->input()) > 0) readResponse();
}

bool BackendConnection::reusable() const {
  return state_ == State::Ready && response_keep_alive_ && request_done_ &&
         evbuffer_get_length(conn_->input()) == 0 && pendingOutput() == 0;
}

void BackendConnection::parkIdle(std::function<void()> on_dead) {
  state_ = State::Idle;
  user_ = nullptr;
  on_idle_dead_ = std::move(on_dead);
  conn_->setTimeouts(timeouts_.idle, Duration::zero());
  conn_->setReading(true);
}

void BackendConnection::notifyIdleDead() {
  // The pool's callback retires this connection, and retiring clears the callback: run a copy
  // moved out first, so that the closure running is not the one being destroyed.
  std::function<void()> on_dead = std::move(on_idle_dead_);
  on_idle_dead_ = nullptr;
  if (on_dead) on_dead();
}

void BackendConnection::retire(std::unique_ptr<BackendConnection> conn) {
  if (!conn) return;
  conn->state_ = State::Broken;
  conn->user_ = nullptr;
  conn->on_idle_dead_ = nullptr;
  conn->stopPausedTimer();
  conn->conn_->close();
  net::EventLoop& loop = conn->loop_;
  loop.deferDelete(std::shared_ptr<BackendConnection>(std::move(conn)));
}

// --- events --------------------------------------------------------------------------------

void BackendConnection::onDrained() {
  if ((state_ == State::Busy || state_ == State::Tunnel) && user_) user_->onRequestDrained();
}

void BackendConnection::onConnected() {
  state_ = State::Ready;
  conn_->setTimeouts(Duration::zero(), Duration::zero());
  user_->onConnected();
}

void BackendConnection::onClose(net::TcpConnection::CloseReason reason) {
  using Reason = net::TcpConnection::CloseReason;
  if (state_ == State::Idle) {
    if (reason == Reason::ReadTimeout) idle_timeouts_total.fetch_add(1, std::memory_order_relaxed);
    notifyIdleDead();  // the pool retires us
    return;
  }
  if (state_ == State::Broken) return;
  if (reason == Reason::ConnectFailed || reason == Reason::ConnectTimeout) {
    fail(reason == Reason::ConnectTimeout ? BackendFailure::ConnectTimeout
                                          : BackendFailure::ConnectFailed);
    return;
  }
  if (state_ == State::Tunnel && reason == Reason::ReadTimeout) {
    tunnel_idle_timeouts_total.fetch_add(1, std::memory_order_relaxed);
    endResponse();  // a quiet tunnel ends as a closed one does: both sides close
    return;
  }
  if (reason == Reason::ReadTimeout || reason == Reason::WriteTimeout) {
    fail(head_received_ ? BackendFailure::ClosedMidResponse : BackendFailure::ResponseTimeout);
    return;
  }
  if (reason == Reason::Eof) {
    // Bytes may still wait (paused reading); a close-delimited body ends here.
    readResponse();
    if (state_ == State::Broken || response_done_) return;
    if (head_received_) {
      body_.endOfInput();
      if (body_.done()) {  // close-delimited, or a tunnel
        endResponse();
        return;
      }
    }
  }
  fail(head_received_ ? BackendFailure::ClosedMidResponse : BackendFailure::ClosedBeforeResponse);
}

void BackendConnection::fail(BackendFailure failure) {
  if (failure == BackendFailure::ConnectFailed || failure == BackendFailure::ConnectTimeout)
    server_.connect_failures_total.fetch_add(1, std::memory_order_relaxed);
  state_ = State::Broken;
  stopPausedTimer();
  conn_->close();
  if (User* user = user_) user->onFailure(failure);
}

// --- response parsing ----------------------------------------------------------------------

void BackendConnection::readResponse() {
  if (state_ == State::Broken || state_ == State::Connecting) return;
  if (state_ == State::Idle || state_ == State::Ready) {
    // Unsolicited bytes: the server is confused or closing; this connection is done.
    if (state_ == State::Idle) notifyIdleDead();
    return;
  }
  while (state_ == State::Busy && !head_received_) {
    if (!readHead()) break;
  }
  if (!head_received_) return;  // incomplete, or failed
  // After a final head, what came in the same read is body; after a 101 it is the tunnel's
  // first bytes (a server that speaks first, as many WebSocket and SMTP-like protocols do,
  // must not wait for the client's first byte to be heard).
  if (state_ == State::Busy || state_ == State::Tunnel) readBody();
}

// Returns true when a head was consumed (a final one, or a 1xx to skip).
bool BackendConnection::readHead() {
  evbuffer* in = conn_->input();
  size_t n = std::min(evbuffer_get_length(in), kMaxResponseHead);
  if (n == 0) return false;
  auto* data = reinterpret_cast<const char*>(evbuffer_pullup(in, static_cast<ssize_t>(n)));
  auto outcome = responseParser().parseResponse(std::string_view(data, n), request_method_);
  if (outcome.state == http::ParseState::Incomplete) {
    if (n >= kMaxResponseHead) fail(BackendFailure::BadResponse);
    return false;
  }
  if (outcome.state == http::ParseState::Error) {
    log::warn("backend {}: invalid response: {}", server_.label(), http::describe(outcome.error));
    fail(BackendFailure::BadResponse);
    return false;
  }
  const http::ResponseHeadView& view = outcome.head;
  bool upgraded = view.status == 101;
  if (view.status >= 100 && view.status < 200 && !upgraded) {
    // Interim responses are relayed (103 Early Hints above all), except 100: gatehouse answers
    // Expect: 100-continue itself.
    http::ResponseHead interim;
    if (view.status != 100) {
      interim.status = view.status;
      interim.reason = std::string(view.reason);
      interim.has_body = false;
      interim.headers = structuredHeaders(view, false);
    }
    evbuffer_drain(in, view.head_length);
    if (view.status != 100 && user_) user_->onInterimResponse(interim);
    return state_ == State::Busy;
  }
  if (upgraded && !request_upgrade_) {
    fail(BackendFailure::BadResponse);
    return false;
  }
  http::ResponseHead head;
  head.status = view.status;
  head.reason = std::string(view.reason);
  // A 101 keeps its Upgrade field, which the lines never do.
  lines_in_head_ = !upgraded && response_fields_.assign(view);
  if (lines_in_head_)
    head.preformatted = response_fields_.lines();
  else
    head.headers = structuredHeaders(view, upgraded);
  head.has_body = view.framing != http::BodyFraming::None && !upgraded;
  if (view.framing == http::BodyFraming::ContentLength) head.content_length = view.content_length;
  if (view.framing == http::BodyFraming::None && request_method_ == "HEAD" && view.status != 204 &&
      view.status != 304) {
    // A HEAD answer keeps the length the GET would have had.
    for (const http::HeaderView& h : view.headers)
      if (ascii::iequals(h.name, "content-length")) head.content_length = view.content_length;
  }
  // After a 101 the backend's bytes are the tunnel's, until it closes.
  body_.start(upgraded ? http::BodyFraming::UntilClose : view.framing, view.content_length);
  response_keep_alive_ = view.keep_alive && !upgraded;
  evbuffer_drain(in, view.head_length);
  head_received_ = true;
  if (upgraded) {
    // A quiet WebSocket is normal, for a while: the tunnel ends after tunnel_idle without a
    // byte either way (sendBody() restarts the clock for the client's bytes).
    state_ = State::Tunnel;
    conn_->setTimeouts(timeouts_.tunnel_idle, timeouts_.response);
  }
  user_->onResponseHead(head);
  if (state_ != State::Broken && body_.done()) endResponse();  // no body
  return state_ == State::Busy;
}

void BackendConnection::readBody() {
  evbuffer* out = body_chunk_.get();
  body_.read(conn_->input(), out);
  if (body_.state() == http::Http1BodyReader::State::Malformed) {
    fail(BackendFailure::ClosedMidResponse);
    return;
  }
  if (evbuffer_get_length(out) > 0 && user_) {
    user_->onResponseBody(out);
    if (state_ == State::Broken) return;
  }
  if (!body_.done() || response_done_) return;
  if (body_.hasTrailers() && user_) {
    http::HeaderMap trailers;
    body_.addTrailersTo(trailers);
    user_->onResponseTrailers(trailers);
    if (state_ == State::Broken) return;
  }
  endResponse();
}

void BackendConnection::endResponse() {
  if (response_done_) return;
  response_done_ = true;
  stopPausedTimer();
  // Anything past the declared end is a framing disagreement: never reuse such a connection.
  if (state_ == State::Busy) state_ = State::Ready;
  if (state_ == State::Tunnel || body_.framing() == http::BodyFraming::UntilClose)
    response_keep_alive_ = false;
  conn_->setTimeouts(Duration::zero(), Duration::zero());
  if (User* user = user_) user->onResponseEnd();
}

}  // namespace gatehouse::upstream
