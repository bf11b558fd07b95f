// UpstreamHandler, its attempts: picking a server (health and drain aware), holding the request
// while none is available, retrying where that cannot go wrong, and the answers when nothing
// worked (502, 503, 504, or the interceptor's stale copy).
#include "proxy/base/log.h"
#include "proxy/http/error_page.h"
#include "proxy/upstream/upstream_handler.h"

namespace gatehouse::upstream {

// --- picking a server ----------------------------------------------------------------------

health::Server* UpstreamHandler::pickServer() {
  // A few rounds at most: each miss means a server left Ready between pick and count.
  for (int round = 0; round < 4; ++round) {
    health::Server* s = pool_.balancer().pick(tried_.items());
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

}  // namespace gatehouse::upstream
