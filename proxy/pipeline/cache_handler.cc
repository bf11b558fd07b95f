// CacheHandler, the first half: what an exchange is answered with. A lookup serves a hit (or a
// stale copy within grace), joins the key's fill as a waiter, or starts a fill or a pass; the
// phase changes here. The fetch itself, and the response it brings back, are in
// cache_handler_fetch.cc.
#include "proxy/pipeline/cache_handler.h"

#include "cache/cache_key.h"
#include "proxy/base/count.h"
#include "proxy/base/log.h"
#include "proxy/pipeline/background_refresh.h"
#include "proxy/pipeline/cache_request.h"
#include "proxy/pipeline/cached_response_writer.h"

namespace gatehouse::pipeline {

CacheHandler::CacheHandler(http::Exchange& exchange, std::shared_ptr<const CachePolicy> policy,
                           const routing::Route& route, net::EventLoop& loop,
                           upstream::UpstreamFactory make_upstream, BackgroundRefreshes& refreshes)
    : exchange_(exchange),
      policy_(std::move(policy)),
      route_(route),
      loop_(loop),
      make_upstream_(std::move(make_upstream)),
      refreshes_(refreshes),
      store_(*policy_->store),
      fill_(*policy_, route) {}

CacheHandler::~CacheHandler() {
  if (alive_) alive_->handler = nullptr;
  // Never leave waiters hanging, nor a place on another fill's list, whatever ended this.
  become(Phase::Done);
}

void CacheHandler::become(Phase next, cache::FillOutcome fill_outcome) {
  if (next == phase_) return;
  if (phase_ == Phase::Waiting) {
    // Cancelled, not freed: this may be the timer's own callback.
    if (wait_timer_) wait_timer_->cancel();
    if (waiter_id_ != 0) store_.leaveFill(key_, waiter_id_);
    waiter_id_ = 0;
  }
  if (phase_ == Phase::Filling) store_.finishFill(key_, fill_outcome);
  phase_ = next;
}

void CacheHandler::finishFill(cache::FillOutcome outcome) {
  if (phase_ == Phase::Filling) become(Phase::Fetching, outcome);
}

bool CacheHandler::serveFreshHit(http::Exchange& exchange, const CachePolicy& policy) {
  http::RequestHead& request = exchange.request();
  if (prepareCacheRequest(request, policy.config.anonymous_ignore_cookies) != CacheRoute::Lookup)
    return false;
  const int64_t now = policy.now();
  // The key only lives for the lookup: one string per thread serves every hit, where a key of
  // its own (longer than a short string's 15 bytes) cost an allocation and its release.
  thread_local std::string key;
  cache::primaryKeyInto(key, schemeOf(exchange), request.authority, request.target);
  std::shared_ptr<const cache::CachedObject> found =
      policy.store->lookup(key, request.headers, now);
  if (!found || found->hit_for_pass || !found->isFresh(now)) return false;
  count(policy.store->counters().hits);
  cache::CacheStatus status;
  status.hit = true;
  serveCachedObject(exchange, std::move(found), now, status, policy.config.replay_early_hints);
  return true;
}

void CacheHandler::start() {
  http::RequestHead& request = exchange_.request();
  key_ = cache::primaryKey(schemeOf(exchange_), request.authority, request.target);
  switch (prepareCacheRequest(request, policy_->config.anonymous_ignore_cookies)) {
    case CacheRoute::Invalidate:
      // Read now: the request's fields are the upstream's to change once it is forwarded.
      session_ = carriesSession(request, policy_->config.anonymous_ignore_cookies);
      status_.fwd = cache::CacheStatus::Fwd::Bypass;
      become(Phase::Fetching);
      forward(Fetch::Invalidate);
      return;
    case CacheRoute::PassBody:
      count(store_.counters().request_body_passes);
      [[fallthrough]];
    case CacheRoute::Pass:
      count(store_.counters().passes);
      status_.fwd = cache::CacheStatus::Fwd::Bypass;
      become(Phase::Fetching);
      forward(Fetch::Pass);
      return;
    case CacheRoute::Lookup:
      break;
  }
  lookupAndServe();
}

void CacheHandler::lookupAndServe() {
  const http::RequestHead& request = exchange_.request();
  const int64_t now = policy_->now();
  std::shared_ptr<const cache::CachedObject> found = store_.lookup(key_, request.headers, now);
  if (found && found->hit_for_pass) {
    count(store_.counters().passes);
    status_.fwd = cache::CacheStatus::Fwd::UriMiss;
    status_.detail = "hit-for-pass";
    become(Phase::Fetching);
    forward(Fetch::Fill);  // not coalesced; stored if it has become storable
    return;
  }
  if (found && found->isFresh(now)) {
    count(store_.counters().hits);
    status_.hit = true;
    serve(std::move(found), status_);
    return;
  }
  if (found && mayServeStaleNow(*found, now)) {
    // Served at once, while one refresh per key runs in the background.
    if (store_.beginRefresh(key_))
      refreshes_.start(exchange_, key_, policy_, route_, make_upstream_, found);
    serve(std::move(found), status_);
    return;
  }
  if (cache::parseCacheControl(request.headers).only_if_cached) {
    become(Phase::Answered);
    exchange_.respondError(504, "The response is not in the cache (only-if-cached).");
    return;
  }
  count(store_.counters().misses);
  status_.fwd = found ? cache::CacheStatus::Fwd::Stale : cache::CacheStatus::Fwd::UriMiss;
  // A range or a HEAD is not worth a fill of the whole object: passed through.
  if (request.method == "HEAD" || request.headers.has("range")) {
    become(Phase::Fetching);
    // RFC 9111 §4.3.5: what the origin says of the stale GET response this HEAD would have
    // been answered from updates it (or makes it go).
    if (request.method == "HEAD" && found && !request.headers.has("range")) {
      stale_ = std::move(found);
      forward(Fetch::FreshenByHead);
      return;
    }
    forward(Fetch::Pass);
    return;
  }
  stale_ = std::move(found);  // stale with validators: the fill revalidates it
  std::weak_ptr<AliveToken> weak = aliveToken();
  net::EventLoop* loop = &loop_;
  auto wake = [weak, loop](cache::FillOutcome outcome, std::shared_ptr<cache::FillStream> stream) {
    // Runs on the filler's thread: hop to ours. The handler may be gone by the time the task
    // runs (the token says), but not its loop: a handler that stops waiting leaves the list.
    loop->post([weak, outcome, stream = std::move(stream)]() mutable {
      if (auto token = weak.lock(); token && token->handler)
        token->handler->onFillDone(outcome, std::move(stream));
    });
  };
  waiter_id_ = store_.joinFill(key_, std::move(wake));
  if (waiter_id_ == 0) {
    become(Phase::Filling);
    forward(Fetch::Fill);
  } else {
    become(Phase::Waiting);
    waitForFill();
  }
}

bool CacheHandler::mayServeStaleNow(const cache::CachedObject& found, int64_t now) {
  // Cut off from the origin (its last refresh failed) and within stale-if-error: this request
  // would only wait for the same failure (counted apart: an operator asks "how often did grace
  // save us") ...
  if (found.mayServeOnError(now) && store_.originFailing(key_)) {
    count(store_.counters().stale_if_error);
    status_.hit = true;
    status_.detail = "stale-if-error";
    return true;
  }
  // ... or within stale-while-revalidate (the origin's, or `grace`).
  if (found.mayServeWhileRevalidating(now)) {
    count(store_.counters().stale_while_revalidate);
    status_.hit = true;
    status_.detail = "stale-while-revalidate";
    return true;
  }
  return false;
}

std::shared_ptr<CacheHandler::AliveToken> CacheHandler::aliveToken() {
  if (!alive_) alive_ = std::make_shared<AliveToken>(AliveToken{this});
  return alive_;
}

void CacheHandler::waitForFill() {
  count(store_.counters().coalesced);
  status_.collapsed = true;
  wait_timer_ = std::make_unique<net::Timer>(loop_.base(), [this] { onWaitTimeout(); });
  wait_timer_->arm(policy_->config.coalesce_timeout);
}

void CacheHandler::onWaitTimeout() {
  count(store_.counters().coalesce_timeouts);
  log::info("cache: gave up waiting for the fill of {}", key_);
  become(Phase::Fetching);
  forward(Fetch::Fill);
}

void CacheHandler::onFillDone(cache::FillOutcome outcome,
                              std::shared_ptr<cache::FillStream> stream) {
  if (phase_ != Phase::Waiting) return;  // gave up waiting already
  waiter_id_ = 0;                        // taken off the list by the filler
  if (outcome == cache::FillOutcome::Streaming && !follower_) {
    follower_ =
        std::make_unique<FillFollower>(exchange_, loop_, std::move(stream), store_.counters());
    if (FillFollower::canServe(exchange_.request(), follower_->stream())) {
      // Answered from the fill's body as it arrives.
      become(Phase::Following);
      count(store_.counters().hits);
      status_.hit = true;
      status_.fwd = cache::CacheStatus::Fwd::None;
      follower_->serve(policy_->now(), status_, policy_->config.replay_early_hints);
      return;
    }
    // A Range, a conditional request, another variant: as before, once the fill has ended
    // (still bounded by coalesce_timeout).
    follower_->awaitEnd([this](bool complete) {
      onFillDone(complete ? cache::FillOutcome::Stored : cache::FillOutcome::NotStored, nullptr);
    });
    return;
  }
  if (outcome == cache::FillOutcome::Stored) {
    const int64_t now = policy_->now();
    auto found = store_.lookup(key_, exchange_.request().headers, now);
    // A fill that ended in stale-if-error left the stale copy for its waiters too.
    if (found && !found->hit_for_pass && (found->isFresh(now) || found->mayServeOnError(now))) {
      count(store_.counters().hits);
      status_.hit = true;
      status_.fwd = cache::CacheStatus::Fwd::None;
      serve(std::move(found), status_);
      return;
    }
  }
  // Not storable, or another variant: fetch for ourselves (and store if we may).
  become(Phase::Fetching);
  forward(Fetch::Fill);
}

}  // namespace gatehouse::pipeline
