#include "proxy/upstream/upstream_handler.h"

#include <fmt/format.h>

#include "proxy/base/log.h"
#include "proxy/http/error_page.h"
#include "proxy/upstream/forwarded_headers.h"

namespace gatehouse::upstream {

UpstreamHandler::UpstreamHandler(http::Exchange& exchange, BackendPool& pool,
                                 std::shared_ptr<const void> owner, ConnectionPool& connections,
                                 net::EventLoop& loop, const BackendConnection::Timeouts& timeouts,
                                 const gate::BackendAdmission& admission,
                                 ResponseInterceptor* interceptor)
    : exchange_(exchange),
      pool_(pool),
      owner_(std::move(owner)),
      connections_(connections),
      loop_(loop),
      timeouts_(timeouts),
      admission_(admission),
      connect_retries_left_(pool.retries()),
      interceptor_(interceptor) {}

UpstreamHandler::~UpstreamHandler() {
  leaveHold();
  BackendConnection::retire(std::move(conn_));
  releaseServer();
}

void UpstreamHandler::start() {
  addForwardedHeaders(exchange_.request(), exchange_.client());
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
              exchange_.request().method, exchange_.request().target);
    finishWithError(502, "The backend failed.");
    return;
  }
  tried_.push_back(server_);
  server_->requests_total.fetch_add(1, std::memory_order_relaxed);
  exchange_.record().server = server_->label();
  head_sent_ = false;
  conn_ = connections_.acquire(*server_);
  if (conn_) {
    conn_->attach(*this, timeouts_);
    sendRequest();
  } else {
    conn_ = BackendConnection::connect(loop_, *server_, timeouts_, *this);
    conn_->setGeneration(connections_.generation());
  }
}

void UpstreamHandler::noServerAvailable() {
  PoolState& state = pool_.state();
  const char* why = pool_.paused() ? "paused" : "no server available";
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
  held_ = true;
  connections_.holdQueue().add(this);
  if (!first) return;
  state.hold_waits_total.fetch_add(1, std::memory_order_relaxed);
  hold_timer_ = std::make_unique<net::Timer>(loop_.base(), [this] { onHoldExpired(); });
  hold_timer_->arm(pool_.hold());
  log::debug("pool {}: {}; holding {} {} for up to {} ms", pool_.name(), why,
             exchange_.request().method, exchange_.request().target, pool_.hold().count());
}

void UpstreamHandler::leaveHold() {
  if (!held_) return;
  held_ = false;
  connections_.holdQueue().remove(this);
  pool_.state().holding.fetch_sub(1, std::memory_order_relaxed);
}

void UpstreamHandler::onHoldWake() {
  if (pool_.paused() || !pool_.anyAvailable()) return;  // not yet: keep waiting
  leaveHold();
  pool_.state().hold_resumed_total.fetch_add(1, std::memory_order_relaxed);
  tryServer();
}

void UpstreamHandler::onHoldExpired() {
  if (!held_) return;  // it got a server in time
  leaveHold();
  pool_.state().hold_timeouts_total.fetch_add(1, std::memory_order_relaxed);
  log::warn("pool {}: held {} {} for {} ms and no server became available", pool_.name(),
            exchange_.request().method, exchange_.request().target, pool_.hold().count());
  unavailable(pool_.paused() ? "paused" : "no server available");
}

void UpstreamHandler::unavailable(std::string_view why) {
  pool_.state().unavailable_total.fetch_add(1, std::memory_order_relaxed);
  // "Then stale from the cache if there is one": the cache answers, or we do.
  if (interceptor_ && !consumed_ && !exchange_.headSent() && interceptor_->onBackendError(503)) {
    done_ = true;
    BackendConnection::retire(std::move(conn_));
    releaseServer();
    return;
  }
  log::warn("pool {}: {} for {} {}", pool_.name(), why, exchange_.request().method,
            exchange_.request().target);
  done_ = true;
  BackendConnection::retire(std::move(conn_));
  releaseServer();
  if (exchange_.headSent()) {
    exchange_.abort();
    return;
  }
  const std::string detail =
      pool_.paused()
          ? "The service is briefly paused for maintenance. Please try again in a moment."
          : "No backend server is available right now. Please try again in a moment.";
  std::string body = http::errorBody(503, detail);
  http::ResponseHead head = http::errorHead(503, body.size());
  head.headers.add("Retry-After", "5");
  exchange_.respondWhole(std::move(head), body);
}

void UpstreamHandler::releaseServer() {
  if (server_) server_->endRequest();
  server_ = nullptr;
}

void UpstreamHandler::onConnected() {
  sendRequest();
}

void UpstreamHandler::sendRequest() {
  http::RequestHead& head = exchange_.request();
  // Read-only mode may have been switched on while this exchange waited for a connection: the
  // gate looks again before anything reaches the backend.
  if (admission_.admitBeforeBackend(head) == gate::Admission::Blocked) {
    blockForReadOnly();
    return;
  }
  head.headers.set("Host", head.authority);
  // The codec left the client's id in place when it adopted it; otherwise ours goes here.
  if (!head.headers.has("x-request-id")) head.headers.add("X-Request-Id", exchange_.requestId());
  conn_->sendRequestHead(head);
  head_sent_ = true;
  if (head.upgrade) return;  // the tunnel's bytes flow after the 101
  if (!head.has_body || request_ended_) {
    conn_->sendEnd(&exchange_.requestTrailers());
    return;
  }
  // Only now is the client's body read (and a 100 Continue sent): nothing is buffered
  // while connecting, and a failed connect can still be retried.
  exchange_.resumeRequestBody();
}

void UpstreamHandler::onRequestBody(evbuffer* data) {
  if (done_) {
    evbuffer_drain(data, evbuffer_get_length(data));
    return;
  }
  if (!conn_ || !head_sent_) {
    // Between a failed attempt and the next head (a retry): body bytes must never precede a
    // head on the wire. Leave them with the codec, which offers them again after resume.
    exchange_.pauseRequestBody();
    return;
  }
  body_started_ = true;
  conn_->sendBody(data);
  if (conn_->pendingOutput() > http::Exchange::kHighWatermark) exchange_.pauseRequestBody();
}

void UpstreamHandler::onRequestEnd() {
  request_ended_ = true;
  if (!conn_ || done_) return;
  if (exchange_.request().upgrade && exchange_.headSent()) {
    // The client closed its side of a tunnel: end the whole tunnel.
    done_ = true;
    BackendConnection::retire(std::move(conn_));
    exchange_.respondEnd();
    return;
  }
  // Also ends an empty chunked body with its last chunk, and carries the client's trailers.
  if (head_sent_) conn_->sendEnd(&exchange_.requestTrailers());
}

void UpstreamHandler::onRequestDrained() {
  if (!done_) exchange_.resumeRequestBody();
}

void UpstreamHandler::onResponseHead(http::ResponseHead& head) {
  if (server_) {
    if (head.status >= 500)
      server_->recordFailure(health::PassiveFailure::ServerError);
    else
      server_->recordSuccess();
  }
  dropSetCookieWhileReadOnly(head);
  addResponseVia(head.headers);
  if (!head.headers.has("x-request-id")) head.headers.add("X-Request-Id", exchange_.requestId());
  if (interceptor_ && head.status != 101 &&
      interceptor_->onBackendHead(head) == ResponseInterceptor::HeadAction::Consume) {
    consumed_ = true;
    return;
  }
  exchange_.respondHead(head);
  if (head.status == 101) exchange_.resumeRequestBody();  // tunnel: client bytes flow now
}

void UpstreamHandler::onResponseBody(evbuffer* data) {
  if (consumed_) {
    evbuffer_drain(data, evbuffer_get_length(data));
    return;
  }
  if (interceptor_) interceptor_->onBackendBody(data);
  exchange_.respondBody(data);
  if (exchange_.downstreamFull() && conn_) {
    response_paused_ = true;
    conn_->pauseResponse();
  }
}

void UpstreamHandler::onResponseTrailers(http::HeaderMap& trailers) {
  if (consumed_) return;
  exchange_.respondTrailers(trailers);
}

void UpstreamHandler::onDownstreamDrained() {
  if (response_paused_ && conn_ && !done_) {
    response_paused_ = false;
    conn_->resumeResponse();
  }
}

void UpstreamHandler::onResponseEnd() {
  done_ = true;
  if (conn_ && conn_->reusable()) {
    connections_.release(std::move(conn_), pool_.maxIdlePerServer());
  } else {
    BackendConnection::retire(std::move(conn_));
  }
  releaseServer();
  if (consumed_) return;  // the interceptor ended the client's response itself
  if (interceptor_) interceptor_->onBackendEnd();
  exchange_.respondEnd();
}

void UpstreamHandler::onDownstreamReset() {
  if (interceptor_ && !done_ && !consumed_ && exchange_.headSent()) interceptor_->onBackendAbort();
  done_ = true;
  leaveHold();
  BackendConnection::retire(std::move(conn_));
  releaseServer();
}

void UpstreamHandler::onFailure(BackendFailure failure) {
  if (done_) return;
  const bool reused = conn_ && conn_->reused();
  const std::string server = server_ ? server_->label() : "?";
  BackendConnection::retire(std::move(conn_));
  head_sent_ = false;
  exchange_.pauseRequestBody();  // until the next attempt has sent its head
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
    tryServer();
    return;
  }
  const bool stale = reused && failure == BackendFailure::ClosedBeforeResponse;
  if (stale && !stale_retry_used_ && !body_started_ && exchange_.request().isIdempotent()) {
    // The server closed a pooled connection as we reused it; it never saw this request.
    stale_retry_used_ = true;
    tried_.pop_back();
    tryServer();
    return;
  }
  log::warn("backend {}: {} ({} {})", server, describe(failure), exchange_.request().method,
            exchange_.request().target);
  switch (failure) {
    case BackendFailure::ConnectTimeout:
    case BackendFailure::ResponseTimeout:
      finishWithError(504, "The backend did not answer in time.");
      break;
    default:
      finishWithError(502, "The backend failed to answer.");
  }
}

void UpstreamHandler::blockForReadOnly() {
  done_ = true;
  BackendConnection::retire(std::move(conn_));
  releaseServer();
  admission_.respondBlocked(exchange_);
}

void UpstreamHandler::dropSetCookieWhileReadOnly(http::ResponseHead& head) {
  admission_.filterResponse(exchange_.request(), head);
}

void UpstreamHandler::finishWithError(int status, std::string_view detail) {
  done_ = true;
  BackendConnection::retire(std::move(conn_));
  releaseServer();
  if (interceptor_ && !consumed_) {
    if (exchange_.headSent()) {
      interceptor_->onBackendAbort();
    } else if (interceptor_->onBackendError(status)) {
      return;
    }
  }
  if (consumed_) return;
  exchange_.respondError(status, detail);
}

}  // namespace gatehouse::upstream
