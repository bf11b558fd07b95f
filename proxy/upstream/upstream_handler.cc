// UpstreamHandler, the exchange's streams: the request to the backend and the response back,
// with backpressure both ways and limits.memory. Choosing a server, holding, retrying and the
// answers to failures: upstream_handler_attempts.cc.
#include "proxy/upstream/upstream_handler.h"

#include <cassert>

#include "proxy/base/memory_budget.h"
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

// --- the request ---------------------------------------------------------------------------

void UpstreamHandler::start() {
  pool_.forward().apply(exchange_->request(), exchange_->client(), exchange_->requestId());
  tryServer();
}

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
  // Host, the forwarding fields and X-Request-Id were set at start().
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
  ResponseFieldLines* lines = conn_ ? conn_->responseFieldLines() : nullptr;
  if (lines && (interceptor_ || lines->hasSetCookie() || lines->hasVia())) {
    takeFieldLines(head);
    lines = nullptr;
  }
  dropSetCookieWhileReadOnly(head);
  if (lines) {
    // Nobody edits the fields: gatehouse's own follow them as lines too.
    lines->append("Via", kVia);
    if (!lines->hasRequestId()) lines->append("X-Request-Id", exchange_->requestId());
    head.preformatted = lines->lines();
  } else {
    addResponseVia(head.headers);
    if (!head.headers.has("x-request-id")) head.headers.add("X-Request-Id", exchange_->requestId());
  }
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

void UpstreamHandler::dropSetCookieWhileReadOnly(http::ResponseHead& head) {
  admission_.filterResponse(exchange_->request(), head);
}

}  // namespace gatehouse::upstream
