#include "proxy/upstream/upstream_handler.h"

#include <fmt/format.h>

#include <cassert>

#include "proxy/base/log.h"
#include "proxy/base/memory_budget.h"
#include "proxy/http/error_page.h"
#include "proxy/http/request_body_counters.h"
#include "proxy/http/trailer_fields.h"
#include "proxy/upstream/forwarded_headers.h"

namespace gatehouse::upstream {

UpstreamHandler::UpstreamHandler(http::Exchange& exchange, BackendPool& pool,
                                 std::shared_ptr<const void> owner, ConnectionPool& connections,
                                 net::EventLoop& loop, const BackendConnection::Timeouts& timeouts,
                                 const gate::BackendAdmission& admission,
                                 ResponseInterceptor* interceptor)
    : exchange_(&exchange),
      pool_(pool),
      owner_(std::move(owner)),
      connections_(connections),
      loop_(loop),
      timeouts_(timeouts),
      admission_(admission),
      interceptor_(interceptor),
      connect_retries_left_(pool.retries()) {}

UpstreamHandler::~UpstreamHandler() {
  finish();
}

// --- states --------------------------------------------------------------------------------

bool UpstreamHandler::allowed(State from, State to) {
  if (to == State::Done) return true;
  switch (from) {
    case State::Picking:
      return to == State::Held || to == State::Connecting || to == State::AwaitingResponse;
    case State::Held:
      return to == State::Picking;
    case State::Connecting:
      return to == State::AwaitingResponse || to == State::Picking;
    case State::AwaitingResponse:
      return to == State::StreamingResponse || to == State::DroppingResponse ||
             to == State::Picking;
    case State::StreamingResponse:
      return to == State::ResponsePaused;
    case State::ResponsePaused:
      return to == State::StreamingResponse;
    case State::DroppingResponse:
    case State::Done:
      return false;
  }
  return false;
}

void UpstreamHandler::become(State next) {
  assert(allowed(state_, next));
  state_ = next;
}

bool UpstreamHandler::requestHeadSent() const {
  switch (state_) {
    case State::AwaitingResponse:
    case State::StreamingResponse:
    case State::ResponsePaused:
    case State::DroppingResponse:
      return true;
    case State::Picking:
    case State::Held:
    case State::Connecting:
    case State::Done:
      return false;
  }
  return false;
}

void UpstreamHandler::finish(ConnectionFate fate) {
  leaveHold();
  memory_waiter_.leave();
  become(State::Done);
  if (fate == ConnectionFate::PoolIfReusable)
    connections_.release(std::move(conn_), pool_.maxIdlePerServer());  // closes it if not
  else
    BackendConnection::retire(std::move(conn_));
  releaseServer();
}

bool UpstreamHandler::canContinueWithout() const {
  // Only a response on its way: before the head there is no fill to finish, and a dropped
  // response (the interceptor answered) is nobody's.
  return state_ == State::StreamingResponse || state_ == State::ResponsePaused;
}

void UpstreamHandler::continueWithout(http::Exchange& replacement,
                                      ResponseInterceptor* interceptor) {
  exchange_ = &replacement;
  interceptor_ = interceptor;
  onDownstreamDrained();  // the new downstream is never full: read on if the client held us
}

// --- picking a server ----------------------------------------------------------------------

void UpstreamHandler::start() {
  pool_.forward().apply(exchange_->request(), exchange_->client());
  tryServer();
}

health::Server* UpstreamHandler::pickServer() {
  // A few rounds at most: each miss means a server left Ready between pick and count.
  for (int round = 0; round < 4; ++round) {
    health::Server* s = pool_.balancer().pick(tried_);
    if (!s) return nullptr;
    s->beginRequest();
    if (s->adminState() == health::AdminState::Ready) return s;
    s->endRequest();  // drained meanwhile: an admin may already have seen in_flight 0
  }
  return nullptr;
}

void UpstreamHandler::tryServer() {
  releaseServer();
  if (tried_.empty() && pool_.paused()) {
    noServerAvailable();
    return;
  }
  server_ = pickServer();
  if (!server_) {
    if (tried_.empty()) {
      noServerAvailable();
      return;
    }
    log::warn("pool {}: no other server to retry {} {} on", pool_.name(),
              exchange_->request().method, exchange_->request().target);
    finishWithError(502, "The backend failed.");
    return;
  }
  tried_.push_back(server_);
  server_->requests_total.fetch_add(1, std::memory_order_relaxed);
  exchange_->record().server = server_->label();
  conn_ = connections_.acquire(*server_);
  if (conn_) {
    conn_->attach(*this, timeouts_);
    sendRequest();
  } else {
    become(State::Connecting);
    conn_ = connections_.connect(loop_, *server_, timeouts_, *this);
  }
}

void UpstreamHandler::releaseServer() {
  if (server_) server_->endRequest();
  server_ = nullptr;
}

// --- holding -------------------------------------------------------------------------------

void UpstreamHandler::noServerAvailable() {
  PoolState& state = pool_.state();
  const char* why = pool_.paused() ? "paused" : "no server available";
  // `hold` is for pauses and deploys: with every server down there is nothing to wait for, and
  // the request is answered at once (by a stale copy if the cache has one, else 503).
  if (!pool_.paused() && pool_.everyServerDown()) {
    state.hold_skipped_total.fetch_add(1, std::memory_order_relaxed);
    unavailable("every server is down");
    return;
  }
  // One hold per request: woken but beaten to the server, it waits on until the same deadline.
  const bool first = !hold_timer_;
  if (pool_.hold().count() == 0 || (!first && !hold_timer_->armed())) {
    unavailable(why);
    return;
  }
  if (state.holding.fetch_add(1, std::memory_order_relaxed) >= pool_.holdMax()) {
    state.holding.fetch_sub(1, std::memory_order_relaxed);
    state.hold_overflows_total.fetch_add(1, std::memory_order_relaxed);
    log::warn("pool {}: {} and hold_max ({}) requests already waiting", pool_.name(), why,
              pool_.holdMax());
    unavailable(why);
    return;
  }
  become(State::Held);
  connections_.holdQueue().add(this);
  if (!first) return;
  state.hold_waits_total.fetch_add(1, std::memory_order_relaxed);
  hold_timer_ = std::make_unique<net::Timer>(loop_.base(), [this] { onHoldExpired(); });
  hold_timer_->arm(pool_.hold());
  log::debug("pool {}: {}; holding {} {} for up to {} ms", pool_.name(), why,
             exchange_->request().method, exchange_->request().target, pool_.hold().count());
}

void UpstreamHandler::leaveHold() {
  if (state_ != State::Held) return;
  connections_.holdQueue().remove(this);
  pool_.state().holding.fetch_sub(1, std::memory_order_relaxed);
}

void UpstreamHandler::onHoldWake() {
  if (pool_.paused() || !pool_.anyAvailable()) return;  // not yet: keep waiting
  leaveHold();
  become(State::Picking);
  pool_.state().hold_resumed_total.fetch_add(1, std::memory_order_relaxed);
  tryServer();
}

void UpstreamHandler::onHoldExpired() {
  if (state_ != State::Held) return;  // it got a server in time
  pool_.state().hold_timeouts_total.fetch_add(1, std::memory_order_relaxed);
  log::warn("pool {}: held {} {} for {} ms and no server became available", pool_.name(),
            exchange_->request().method, exchange_->request().target, pool_.hold().count());
  unavailable(pool_.paused() ? "paused" : "no server available");
}

void UpstreamHandler::unavailable(std::string_view why) {
  pool_.state().unavailable_total.fetch_add(1, std::memory_order_relaxed);
  finish();
  // "Then stale from the cache if there is one": the cache answers, or we do.
  if (interceptor_ && !exchange_->headSent() && interceptor_->onBackendError(503)) return;
  log::warn("pool {}: {} for {} {}", pool_.name(), why, exchange_->request().method,
            exchange_->request().target);
  if (exchange_->headSent()) {
    exchange_->abort();
    return;
  }
  const std::string detail =
      pool_.paused()
          ? "The service is briefly paused for maintenance. Please try again in a moment."
          : "No backend server is available right now. Please try again in a moment.";
  std::string body = http::errorBody(503, detail);
  http::ResponseHead head = http::errorHead(503, body.size());
  head.headers.add("Retry-After", "5");
  exchange_->respondWhole(std::move(head), body);
}

// --- the request ---------------------------------------------------------------------------

void UpstreamHandler::onConnected() {
  sendRequest();
}

void UpstreamHandler::sendRequest() {
  http::RequestHead& head = exchange_->request();
  // Read-only mode may have been switched on while this exchange waited for a connection: the
  // gate looks again before anything reaches the backend.
  if (admission_.admitBeforeBackend(head) == gate::Admission::Blocked) {
    blockForReadOnly();
    return;
  }
  // Host is the authority's, set with the forwarding fields at start().
  // The codec left the client's id in place when it adopted it; otherwise ours goes here.
  if (!head.headers.has("x-request-id")) head.headers.add("X-Request-Id", exchange_->requestId());
  conn_->sendRequestHead(head);
  sent_at_ = std::chrono::steady_clock::now();
  become(State::AwaitingResponse);
  if (head.upgrade) return;  // the tunnel's bytes flow after the 101
  if (!head.has_body || request_ended_) {
    conn_->sendEnd(&exchange_->requestTrailers());
    return;
  }
  // Only now is the client's body read (and a 100 Continue sent): nothing is buffered
  // while connecting, and a failed connect can still be retried.
  exchange_->resumeRequestBody();
}

void UpstreamHandler::onRequestBody(evbuffer* data) {
  if (state_ == State::Done) {
    evbuffer_drain(data, evbuffer_get_length(data));
    return;
  }
  if (!requestHeadSent()) {
    // Between a failed attempt and the next head (a retry): body bytes must never precede a
    // head on the wire. Leave them with the codec, which offers them again after resume.
    exchange_->pauseRequestBody();
    return;
  }
  body_started_ = true;
  conn_->sendBody(data);
  if (conn_->pendingOutput() > http::Exchange::kHighWatermark) {
    exchange_->pauseRequestBody();
  } else if (overMemoryBudget()) {
    body_paused_for_memory_ = true;
    exchange_->pauseRequestBody();
  }
}

void UpstreamHandler::onRequestEnd() {
  request_ended_ = true;
  if (!requestHeadSent()) return;  // sendRequest() ends it, or it is over
  if (exchange_->request().upgrade && exchange_->headSent()) {
    // The client closed its side of a tunnel: end the whole tunnel.
    finish();
    exchange_->respondEnd();
    return;
  }
  // Also ends an empty chunked body with its last chunk, and carries the client's trailers.
  conn_->sendEnd(&exchange_->requestTrailers());
}

void UpstreamHandler::onRequestDrained() {
  if (state_ == State::Done) return;
  if (body_paused_for_memory_ && overMemoryBudget()) return;  // onMemoryAvailable() resumes it
  body_paused_for_memory_ = false;
  exchange_->resumeRequestBody();
}

// --- the response --------------------------------------------------------------------------

void UpstreamHandler::onResponseHead(http::ResponseHead& head) {
  if (server_) {
    const auto waited = std::chrono::steady_clock::now() - sent_at_;
    server_->response_times.record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(waited).count()));
    if (head.status >= 500) {
      server_->responses_5xx_total.fetch_add(1, std::memory_order_relaxed);
      server_->recordFailure(health::PassiveFailure::ServerError);
    } else {
      server_->recordSuccess();
    }
  }
  // The fields come as lines to copy (backend_response_head.h) unless something here edits
  // them: the cache (which stores and revalidates them), the read-only gate (which drops
  // Set-Cookie: BackendAdmission::filterResponse), a Via to extend.
  const ResponseFieldLines* lines = conn_ ? conn_->responseFieldLines() : nullptr;
  if (lines && (interceptor_ || lines->hasSetCookie() || lines->hasVia())) {
    takeFieldLines(head);
    lines = nullptr;
  }
  dropSetCookieWhileReadOnly(head);
  addResponseVia(head.headers);
  if (!(lines && lines->hasRequestId()) && !head.headers.has("x-request-id"))
    head.headers.add("X-Request-Id", exchange_->requestId());
  if (interceptor_ && head.status != 101 &&
      interceptor_->onBackendHead(head) == ResponseInterceptor::HeadAction::Consume) {
    become(State::DroppingResponse);
    return;
  }
  become(State::StreamingResponse);
  exchange_->respondHead(head);
  if (head.status == 101) exchange_->resumeRequestBody();  // tunnel: client bytes flow now
}

void UpstreamHandler::onResponseBody(evbuffer* data) {
  if (state_ == State::DroppingResponse) {
    evbuffer_drain(data, evbuffer_get_length(data));
    return;
  }
  if (interceptor_) interceptor_->onBackendBody(data);
  exchange_->respondBody(data);
  if (state_ == State::StreamingResponse && (exchange_->downstreamFull() || overMemoryBudget())) {
    become(State::ResponsePaused);
    conn_->pauseResponse();
  }
}

void UpstreamHandler::onInterimResponse(http::ResponseHead& head) {
  if (state_ != State::AwaitingResponse) return;
  if (interceptor_) interceptor_->onBackendInterim(head);
  exchange_->respondInterim(head);
}

void UpstreamHandler::onResponseTrailers(http::HeaderMap& trailers) {
  if (state_ == State::DroppingResponse) return;
  // The same rule as for request trailers (RFC 9110 §6.5.1): a Set-Cookie, Content-Length or
  // Location in a backend's trailers would reach a client that merges trailers into the head
  // past everything gatehouse checked in the head (and an HTTP/2 client fails the stream on a
  // connection-specific field).
  if (const size_t dropped = http::removeDisallowedTrailers(trailers))
    http::RequestBodyCounters::process().response_trailer_fields_dropped.fetch_add(
        dropped, std::memory_order_relaxed);
  exchange_->respondTrailers(trailers);
}

void UpstreamHandler::onDownstreamDrained() {
  if (state_ != State::ResponsePaused || overMemoryBudget()) return;
  become(State::StreamingResponse);
  conn_->resumeResponse();
}

// --- limits.memory -------------------------------------------------------------------------

bool UpstreamHandler::overMemoryBudget() {
  if (!MemoryBudget::over()) return false;
  if (!memory_waiter_.waiting()) {
    MemoryBudget::pauses_total.fetch_add(1, std::memory_order_relaxed);
    loop_.memoryWaiters().wait(memory_waiter_);
  }
  return true;
}

void UpstreamHandler::onMemoryAvailable() {
  if (state_ == State::ResponsePaused && !exchange_->downstreamFull()) {
    become(State::StreamingResponse);
    conn_->resumeResponse();
  }
  if (body_paused_for_memory_ && state_ != State::Done && requestHeadSent() &&
      conn_->pendingOutput() <= http::Exchange::kHighWatermark) {
    body_paused_for_memory_ = false;
    exchange_->resumeRequestBody();
  }
}

void UpstreamHandler::onResponseEnd() {
  const bool dropped = state_ == State::DroppingResponse;
  finish(ConnectionFate::PoolIfReusable);
  if (dropped) return;  // the interceptor ended the client's response itself
  if (interceptor_) interceptor_->onBackendEnd();
  exchange_->respondEnd();
}

void UpstreamHandler::onDownstreamReset() {
  const bool forwarding = state_ != State::Done && state_ != State::DroppingResponse;
  if (interceptor_ && forwarding && exchange_->headSent()) interceptor_->onBackendAbort();
  finish();
}

// --- failures ------------------------------------------------------------------------------

void UpstreamHandler::onFailure(BackendFailure failure) {
  if (state_ == State::Done) return;
  const bool reused = conn_ && conn_->reused();
  const std::string server = server_ ? server_->label() : "?";
  exchange_->pauseRequestBody();  // until the next attempt has sent its head
  const bool nothing_sent =
      failure == BackendFailure::ConnectFailed || failure == BackendFailure::ConnectTimeout;
  if (server_ && nothing_sent) server_->recordFailure(health::PassiveFailure::Connect);
  if (server_ && failure == BackendFailure::ResponseTimeout)
    server_->recordFailure(health::PassiveFailure::Timeout);
  // Nothing of the request went out (the body is read only once connected): another server
  // may have it, whatever its method.
  if (nothing_sent && !body_started_ && connect_retries_left_ > 0) {
    --connect_retries_left_;
    if (server_) server_->retries_total.fetch_add(1, std::memory_order_relaxed);
    log::info("backend {}: {}; retrying on another server", server, describe(failure));
    retry();
    return;
  }
  const bool stale = reused && failure == BackendFailure::ClosedBeforeResponse;
  if (stale && !stale_retry_used_ && !body_started_ && exchange_->request().isIdempotent()) {
    // The server closed a pooled connection as we reused it; it never saw this request.
    stale_retry_used_ = true;
    tried_.pop_back();
    retry();
    return;
  }
  log::warn("backend {}: {} ({} {})", server, describe(failure), exchange_->request().method,
            exchange_->request().target);
  switch (failure) {
    case BackendFailure::ConnectTimeout:
    case BackendFailure::ResponseTimeout:
      finishWithError(504, "The backend did not answer in time.");
      break;
    default:
      finishWithError(502, "The backend failed to answer.");
  }
}

void UpstreamHandler::retry() {
  BackendConnection::retire(std::move(conn_));
  become(State::Picking);
  tryServer();
}

void UpstreamHandler::finishWithError(int status, std::string_view detail) {
  const bool dropped = state_ == State::DroppingResponse;
  finish();
  if (dropped) return;  // the interceptor has answered the client
  if (interceptor_) {
    if (exchange_->headSent()) {
      interceptor_->onBackendAbort();
    } else if (interceptor_->onBackendError(status)) {
      return;
    }
  }
  exchange_->respondError(status, detail);
}

void UpstreamHandler::blockForReadOnly() {
  finish();
  admission_.respondBlocked(*exchange_);
}

void UpstreamHandler::dropSetCookieWhileReadOnly(http::ResponseHead& head) {
  admission_.filterResponse(exchange_->request(), head);
}

}  // namespace gatehouse::upstream
