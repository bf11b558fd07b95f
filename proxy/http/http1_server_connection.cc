#include "proxy/http/http1_server_connection.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>

#include "proxy/base/log.h"
#include "proxy/http/error_page.h"
#include "proxy/http/exchange_pool.h"
#include "proxy/http/http1_request_head.h"
#include "proxy/http/http1_writer.h"
#include "proxy/http/request_body_counters.h"
#include "proxy/http/trailer_fields.h"
#include "proxy/net/socket_address.h"

namespace gatehouse::http {
namespace {
constexpr Duration kLingerTime{2000};
}  // namespace

Http1ServerConnection::Http1ServerConnection(net::EventLoop& loop, evutil_socket_t fd,
                                             ClientInfo client, const Http1Settings& settings,
                                             Http1Parser& parser, ExchangeDispatcher& dispatcher,
                                             RequestIdGenerator& ids, OnClosed on_closed)
    : Http1ServerConnection(loop, net::TcpConnection::adopt(loop.base(), fd, *this),
                            std::move(client), settings, parser, dispatcher, ids,
                            std::move(on_closed)) {}

Http1ServerConnection::Http1ServerConnection(net::EventLoop& loop,
                                             std::unique_ptr<net::TcpConnection> conn,
                                             ClientInfo client, const Http1Settings& settings,
                                             Http1Parser& parser, ExchangeDispatcher& dispatcher,
                                             RequestIdGenerator& ids, OnClosed on_closed)
    : loop_(loop),
      conn_(std::move(conn)),
      process_event_(event_new(loop.base(), -1, 0, &Http1ServerConnection::onProcess, this)),
      timer_(loop.base(), [this] { onTimer(); }),
      client_(std::move(client)),
      settings_(settings),
      dispatcher_(dispatcher),
      ids_(ids),
      on_closed_(std::move(on_closed)),
      parser_(parser),
      body_chunk_(net::makeEvbuffer()),
      body_rate_(settings.body_rate) {
  conn_->setHandler(*this);
}

Http1ServerConnection::~Http1ServerConnection() = default;

void Http1ServerConnection::start() {
  // Reading stops by itself once a head's worth of bytes waits unprocessed (pipelining bound).
  conn_->setReadLimit(settings_.limits.request_line + settings_.limits.headers + 4096);
  conn_->setLowWatermark(Exchange::kLowWatermark);
  conn_->setTimeouts(Duration::zero(), settings_.client_idle);
  conn_->setReading(true);
  // A new connection owes us its first head within client_header (nginx's
  // client_header_timeout): silent connections must not pile up. Between requests on a
  // kept-alive connection, client_idle applies instead.
  armTimer(TimerMode::Header, settings_.client_header);
  // Bytes may already wait: read with a TLS handshake, or by an h2c preface sniffer.
  if (evbuffer_get_length(conn_->input()) > 0) scheduleProcess();
}

void Http1ServerConnection::resume(Duration idle_left) {
  conn_->setReadLimit(settings_.limits.request_line + settings_.limits.headers + 4096);
  conn_->setLowWatermark(Exchange::kLowWatermark);
  conn_->setTimeouts(Duration::zero(), settings_.client_idle);
  conn_->setReading(true);  // the client's bytes (or FIN) that woke it are there to read
  armTimer(TimerMode::Idle, idle_left);
}

void Http1ServerConnection::beginShutdown() {
  advance(state_, ConnectionEvent::Shutdown);
  // An idle connection closes now; the last response may still be going out.
  if (!exchange_ && isOpen(state_)) closeAfterFlush();
}

// --- input ---------------------------------------------------------------------------------

void Http1ServerConnection::onProcess(evutil_socket_t, short, void* self) {
  static_cast<Http1ServerConnection*>(self)->process();
}

void Http1ServerConnection::scheduleProcess() {
  event_active(process_event_.get(), EV_TIMEOUT, 0);
}

void Http1ServerConnection::process() {
  if (state_ == ConnectionState::Closed) return;
  evbuffer* in = conn_->input();
  if (!isOpen(state_)) {
    evbuffer_drain(in, evbuffer_get_length(in));
    return;
  }
  switch (request_) {
    case RequestState::Idle:
      readHead();
      return;
    case RequestState::Receiving:
    case RequestState::Discarding:
      readBody();
      return;
    default:
      // The body waits for the handler, or a pipelined request for this exchange's end.
      return;
  }
}

void Http1ServerConnection::readHead() {
  evbuffer* in = conn_->input();
  size_t available = evbuffer_get_length(in);
  if (available == 0) {
    if (state_ == ConnectionState::ShuttingDown) closeAfterFlush();
    return;
  }
  const size_t cap = settings_.limits.request_line + settings_.limits.headers + 2;
  size_t n = std::min(available, cap);
  const char* data = reinterpret_cast<const char*>(evbuffer_pullup(in, static_cast<ssize_t>(n)));
  auto outcome = parser_.parseRequest(std::string_view(data, n));
  switch (outcome.state) {
    case ParseState::Incomplete:
      if (n >= cap) return reject(431, "request head too large");
      // Only a head that arrives in pieces is timed (client_header, from its first bytes): a
      // whole one is handled now, without arming and cancelling a timer per request.
      if (timer_mode_ != TimerMode::Header) armTimer(TimerMode::Header, settings_.client_header);
      return;
    case ParseState::Error:
      log::debug("client {}: bad request: {}", client_.ip, describe(outcome.error));
      reject(statusFor(outcome.error), describe(outcome.error));
      return;
    case ParseState::Complete:
      startExchange(outcome.head);
      return;
  }
}

void Http1ServerConnection::startExchange(const RequestHeadView& view) {
  timer_.cancel();
  timer_mode_ = TimerMode::None;
  if (view.framing == http::BodyFraming::ContentLength &&
      view.content_length > settings_.max_body) {
    reject(413, "request body larger than the configured limit");
    return;
  }
  std::unique_ptr<Exchange> next = ExchangePool::take(client_, *this);
  RequestHead& head = next->request();
  toRequestHead(view, head);
  if (head.authority.empty()) {
    // HTTP/1.0 without Host: name the address the client reached, so the backend (spoken to
    // in HTTP/1.1, where Host is required) gets a valid request.
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (getsockname(conn_->fd(), reinterpret_cast<sockaddr*>(&local), &len) == 0)
      head.authority =
          net::SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&local), len).toString();
  }
  RequestId id = ids_.take(head.headers);
  request_body_.start(view.framing, view.content_length, settings_.max_body);
  const bool has_body = !request_body_.done();
  facts_ = ExchangeFacts{};
  facts_.head_request = view.method == "HEAD";
  facts_.request_keep_alive = view.keep_alive;
  facts_.expect_continue = view.expect_continue && has_body;
  evbuffer_drain(conn_->input(), view.head_length);

  advance(request_, has_body ? RequestEvent::HeadWithBody : RequestEvent::HeadWithoutBody);
  advance(response_, ResponseEvent::NextRequest);
  next->restart(client_, *this, id.view());
  exchange_ = std::move(next);
  Exchange* exchange = exchange_.get();
  dispatcher_.dispatch(*exchange);
  // The handler may have answered, or the connection closed, inside dispatch().
  if (exchange_.get() == exchange && request_ == RequestState::Complete && exchange->handler())
    exchange->handler()->onRequestEnd();
}

void Http1ServerConnection::readBody() {
  if (request_ == RequestState::Discarding) return discardBody();
  evbuffer* in = conn_->input();
  evbuffer* out = body_chunk_.get();  // bytes a paused handler left here are offered again
  const size_t before = evbuffer_get_length(in);
  const uint64_t added = request_body_.read(in, out);
  body_rate_.add(before - evbuffer_get_length(in));  // as sent: chunk framing counts
  switch (request_body_.state()) {
    case Http1BodyReader::State::Malformed:
      reject(statusFor(request_body_.error()), describe(request_body_.error()));
      return;
    case Http1BodyReader::State::TooLarge:
      reject(413, "request body larger than the configured limit");
      return;
    default:
      break;
  }
  const size_t n = evbuffer_get_length(out);
  if (n > 0 && exchange_ && exchange_->handler()) {
    exchange_->record().bytes_received += added;
    exchange_->handler()->onRequestBody(out);
    if (!isOpen(state_) || request_ == RequestState::Discarding) return;
  } else {
    evbuffer_drain(out, n);
  }
  // The end only follows the last bytes: a handler that paused and left some hears them again
  // when it resumes, and the end after them (they once went to the next request's handler).
  if (request_body_.done() && evbuffer_get_length(out) == 0) {
    if (exchange_ && request_body_.hasTrailers()) takeRequestTrailers();
    finishRequestBody();
  }
}

// The response went out first and the connection is kept: the rest of the body is read and
// dropped, within kMaxDiscardBytes and the body rate. Whatever goes wrong closes quietly: this
// request has had its answer, and another would be read as the next request's.
void Http1ServerConnection::discardBody() {
  evbuffer* in = conn_->input();
  evbuffer* out = body_chunk_.get();
  const size_t before = evbuffer_get_length(in);
  request_body_.read(in, out);
  const size_t consumed = before - evbuffer_get_length(in);
  evbuffer_drain(out, evbuffer_get_length(out));
  body_rate_.add(consumed);
  discarded_bytes_ += consumed;
  if (request_body_.state() != Http1BodyReader::State::Reading &&
      request_body_.state() != Http1BodyReader::State::Done)
    return stopDiscarding();
  if (discarded_bytes_ > kMaxDiscardBytes) return stopDiscarding();
  if (request_body_.done()) finishRequestBody();
}

void Http1ServerConnection::startDiscarding(RequestState before) {
  discarded_bytes_ = 0;
  request_body_.setMaxBody(Http1BodyReader::kNoLimit);  // the budget bounds it now
  conn_->setTimeouts(settings_.client_idle, settings_.client_idle);
  conn_->setReading(true);
  // A body that was being received keeps its window; one never asked for, or paused, is now
  // wanted (by us).
  if (timer_mode_ != TimerMode::Body) {
    if (before == RequestState::AwaitingResume)
      body_rate_.start();
    else
      body_rate_.resume();
    armTimer(TimerMode::Body, body_rate_.window());
  }
  scheduleProcess();
}

void Http1ServerConnection::stopDiscarding() {
  RequestBodyCounters::process().discard_closes.fetch_add(1, std::memory_order_relaxed);
  facts_.keep_alive = false;
  closeAfterFlush();
}

// The fields that ended a chunked body, without those not allowed in trailers.
void Http1ServerConnection::takeRequestTrailers() {
  HeaderMap& trailers = exchange_->requestTrailers();
  request_body_.addTrailersTo(trailers);
  if (const size_t dropped = removeDisallowedTrailers(trailers))
    RequestBodyCounters::process().trailer_fields_dropped.fetch_add(dropped,
                                                                    std::memory_order_relaxed);
}

void Http1ServerConnection::finishRequestBody() {
  const bool discarded = request_ == RequestState::Discarding;
  advance(request_, RequestEvent::BodyEnd);
  stopBodyTimer();
  conn_->setTimeouts(Duration::zero(), settings_.client_idle);
  if (!discarded && exchange_ && exchange_->handler()) exchange_->handler()->onRequestEnd();
  maybeFinishExchange();
}

void Http1ServerConnection::pauseRequestBody() {
  if (!isOpen(state_) || !advance(request_, RequestEvent::Pause)) return;
  conn_->setReading(false);
  stopBodyTimer();  // time the handler holds the body back is not the client's
}

void Http1ServerConnection::resumeRequestBody() {
  if (!isOpen(state_)) return;
  // The first resume answers Expect: 100-continue, unless the response already went out.
  const bool first = request_ == RequestState::AwaitingResume;
  const bool send_continue = first && facts_.expect_continue && response_ == ResponseState::None;
  if (!advance(request_, RequestEvent::Resume)) return;
  if (send_continue) evbuffer_add(conn_->output(), kContinue.data(), kContinue.size());
  // A tunnel's bytes are not a body: the timer is for bodies only.
  if (response_ != ResponseState::Tunnel) {
    if (first)
      body_rate_.start();
    else
      body_rate_.resume();
    armTimer(TimerMode::Body, body_rate_.window());
  }
  // An idle client mid-body is timed out by the read timeout.
  conn_->setTimeouts(settings_.client_idle, settings_.client_idle);
  conn_->setReading(true);
  scheduleProcess();  // bytes may already wait in the input buffer
}

// --- completion and closing ----------------------------------------------------------------

void Http1ServerConnection::maybeFinishExchange() {
  if (response_ != ResponseState::Done) return;
  // The response is out: log the exchange now, even if the request body is still being dropped.
  if (exchange_) completeExchange(false);
  if (!facts_.keep_alive || client_eof_) {
    closeAfterFlush();
    return;
  }
  // While the body's rest is dropped, finishRequestBody() calls back once it is in.
  if (!advance(request_, RequestEvent::NextRequest)) return;
  conn_->setReading(true);
  armIdleTimer();
  // A pipelined request may already be waiting (or, shutting down, the close is due); new
  // bytes will call onReadable() by themselves.
  if (evbuffer_get_length(conn_->input()) > 0 || state_ == ConnectionState::ShuttingDown)
    scheduleProcess();
}

void Http1ServerConnection::completeExchange(bool aborted) {
  if (!exchange_) return;
  if (aborted) exchange_->record().aborted = true;
  // nginx's 499: the client closed the connection before any response status was sent.
  if (aborted && exchange_->record().status == 0) exchange_->record().status = 499;
  dispatcher_.onComplete(*exchange_);
  retireExchange();
}

void Http1ServerConnection::retireExchange() {
  // The handler may be the caller several frames up: destroy it after the callback returns,
  // and only then the exchange, which it may still look at, goes back to the pool.
  loop_.deferDelete(exchange_->takeHandler());
  ExchangePool::giveBack(loop_, std::move(exchange_));
}

void Http1ServerConnection::abort() {
  if (state_ == ConnectionState::Closed) return;
  completeExchange(true);
  closeNow();
}

void Http1ServerConnection::reject(int status, std::string_view why) {
  // This request has had its answer: another would be read as the next request's.
  if (request_ == RequestState::Discarding) return stopDiscarding();
  const bool had_exchange = exchange_ != nullptr;
  if (exchange_) {
    if (http::Handler* h = exchange_->handler()) h->onDownstreamReset();
    if (response_ != ResponseState::None) {
      abort();
      return;
    }
    exchange_->record().status = status;
    completeExchange(true);
  }
  advance(request_, RequestEvent::Refuse);  // the client may be mid-send: drain before closing
  std::string body = errorBody(status, why);
  ResponseHead head = errorHead(status, body.size());
  if (!had_exchange) logRejected(status, body.size());
  evbuffer* out = conn_->output();
  writeResponseHead(out, head,
                    fmt::format("Content-Length: {}\r\nConnection: close\r\n", body.size()));
  evbuffer_add(out, body.data(), body.size());
  facts_.keep_alive = false;
  closeAfterFlush();
}

void Http1ServerConnection::closeAfterFlush() {
  // Again once the output is flushed; never again once lingering.
  if (!advance(state_, ConnectionEvent::Close)) return;
  timer_.cancel();
  conn_->setTimeouts(Duration::zero(), settings_.client_idle);  // a reader that stalls is dropped
  if (pendingOutput() > 0) return;  // onDrained() calls back once flushed
  const bool client_may_still_send =
      clientMayStillSend(request_) || evbuffer_get_length(conn_->input()) > 0;
  if (client_eof_ || !client_may_still_send) {
    conn_->shutdownWrite();
    closeNow();
    return;
  }
  // Lingering close: the client may still be sending (a body we refused, pipelined requests).
  // Closing with unread bytes makes the kernel send a reset, which can destroy the response
  // before the client reads it. So: FIN first, then read and drop input for a moment.
  advance(state_, ConnectionEvent::Linger);
  conn_->shutdownWrite();
  conn_->setTimeouts(Duration::zero(), Duration::zero());
  conn_->setReading(true);
  armTimer(TimerMode::Linger, kLingerTime);
}

void Http1ServerConnection::logRejected(int status, size_t bytes) {
  // A request refused before it had a valid head still gets its access-log line.
  RequestHead head;
  head.method = "-";
  head.target = "-";
  Exchange rejected(std::move(head), client_, ids_.next().view(), *this);
  rejected.record().status = status;
  rejected.record().bytes_sent = bytes;
  dispatcher_.onComplete(rejected);
}

void Http1ServerConnection::closeNow() {
  if (state_ == ConnectionState::Closed) return;
  if (exchange_) {
    if (http::Handler* h = exchange_->handler()) h->onDownstreamReset();
    completeExchange(true);
  }
  advance(state_, ConnectionEvent::Closed);
  timer_.cancel();
  event_del(process_event_.get());
  conn_->close();
  on_closed_(this);
}

void Http1ServerConnection::onClose(net::TcpConnection::CloseReason reason) {
  if (state_ == ConnectionState::Closed) return;
  if (reason != net::TcpConnection::CloseReason::Eof) {
    closeNow();  // reset, or a client too slow to read or send: nobody to answer
    return;
  }
  client_eof_ = true;
  if (state_ == ConnectionState::Lingering) {
    closeNow();
  } else if (!isOpen(state_) || !exchange_) {
    closeAfterFlush();  // what is queued still goes out; client_eof_ then closes at once
  } else if (response_ == ResponseState::Tunnel) {
    // The client ended its half of the tunnel: let the handler finish the other half.
    advance(request_, RequestEvent::BodyEnd);
    if (http::Handler* h = exchange_->handler()) h->onRequestEnd();
  } else {
    process();  // bytes read together with the FIN may complete the body
    // A FIN before the response is complete: the client went away (a browser tab closed, a
    // timeout on its side). Like nginx, and unlike HAProxy's default, this aborts the
    // exchange so the backend stops working for nobody; a client that half-closes after its
    // request is indistinguishable from one that left, and rarer.
    if (state_ != ConnectionState::Closed && exchange_) closeNow();
  }
}

void Http1ServerConnection::armTimer(TimerMode mode, Duration after) {
  timer_mode_ = mode;
  timer_.arm(after);
}

void Http1ServerConnection::armIdleTimer() {
  // One timer either way: parking costs a kept-alive request nothing until it happens.
  if (parking_ && settings_.client_park.count() > 0 &&
      settings_.client_park < settings_.client_idle)
    armTimer(TimerMode::Park, settings_.client_park);
  else
    armTimer(TimerMode::Idle, settings_.client_idle);
}

// client_park of idleness: hand the socket to the worker, unless something is still in flight
// (then this stays as it is until client_idle, as without parking).
void Http1ServerConnection::park() {
  const Duration idle_left = settings_.client_idle - settings_.client_park;
  if (exchange_ || request_ != RequestState::Idle || state_ != ConnectionState::Open ||
      client_eof_ || !conn_->quiescent()) {
    armTimer(TimerMode::Idle, idle_left);
    return;
  }
  advance(state_, ConnectionEvent::Closed);  // nothing here runs again
  event_del(process_event_.get());
  parking_->park(*this, conn_->detach(), client_, idle_left);
}

void Http1ServerConnection::stopBodyTimer() {
  if (timer_mode_ != TimerMode::Body) return;
  timer_.cancel();
  timer_mode_ = TimerMode::None;
}

// A window of the body rate ended (timeouts.client_body, limits.min_body_rate).
void Http1ServerConnection::onBodyWindowEnded() {
  const BodyRate::Verdict verdict = body_rate_.windowEnded();
  if (verdict == BodyRate::Verdict::Continue) {
    armTimer(TimerMode::Body, body_rate_.window());
    return;
  }
  if (request_ == RequestState::Discarding) return stopDiscarding();
  RequestBodyCounters::process().body_timeouts_http1.fetch_add(1, std::memory_order_relaxed);
  const std::string_view why = verdict == BodyRate::Verdict::TooSlow
                                   ? "request body slower than the minimum rate"
                                   : "request body not started in time";
  log::debug("client {}: {}", client_.ip, why);
  reject(408, why);
}

void Http1ServerConnection::onTimer() {
  // Client timeouts close quietly: there is nobody to answer to.
  TimerMode mode = timer_mode_;
  if (mode == TimerMode::Idle && pendingOutput() > 0) {
    // Still sending the last response: a slow reader is the write timeout's business.
    armTimer(TimerMode::Idle, settings_.client_idle);
    return;
  }
  timer_mode_ = TimerMode::None;
  if (mode == TimerMode::Park) return park();
  if (mode == TimerMode::Body) return onBodyWindowEnded();
  if (mode == TimerMode::Header) log::debug("client {}: head not received in time", client_.ip);
  closeNow();
}

}  // namespace gatehouse::http
