#include "proxy/pipeline/cache_handler.h"

#include "cache/cache_key.h"
#include "proxy/base/ascii.h"
#include "proxy/base/log.h"
#include "proxy/pipeline/background_refresh.h"
#include "proxy/pipeline/cache_request.h"
#include "proxy/pipeline/cached_response_writer.h"

namespace gatehouse::pipeline {
namespace {

void count(std::atomic<uint64_t>& counter) {
  counter.fetch_add(1, std::memory_order_relaxed);
}

bool isCondition(std::string_view name) {
  return ascii::iequals(name, "if-none-match") || ascii::iequals(name, "if-modified-since");
}

// The client's validators are about its own copy: a fill replaces them with the stored
// object's (or none), and they are put back to answer the client from the object.
http::HeaderMap takeConditions(http::HeaderMap& headers) {
  http::HeaderMap taken;
  for (const http::Header& h : headers)
    if (isCondition(h.name)) taken.add(h.name, h.value);
  headers.removeIf([](const http::Header& h) { return isCondition(h.name); });
  return taken;
}

void restoreConditions(http::HeaderMap& headers, const http::HeaderMap& client_conditions) {
  headers.removeIf([](const http::Header& h) { return isCondition(h.name); });
  for (const http::Header& h : client_conditions)
    headers.add(h.name, h.value);
}

// What the client connected with, never what it claims (:scheme, an absolute-form target): a
// plaintext request must not fill what TLS clients are served, and purges of https:// URLs
// must find what HTTPS clients got.
std::string_view schemeOf(const http::Exchange& exchange) {
  return exchange.client().tls ? "https" : "http";
}

}  // namespace

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
  const std::string key = cache::primaryKey(schemeOf(exchange), request.authority, request.target);
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

void CacheHandler::forward(Fetch fetch) {
  fetch_ = fetch;
  http::RequestHead& request = exchange_.request();
  if (fetch == Fetch::FreshenByHead) fill_.begin(key_, request.headers);
  if (fetch == Fetch::Fill) {
    // The request as looked up: the Vary key of what is stored is computed from this, before
    // the forwarded headers and our validators are added.
    fill_.begin(key_, request.headers);
    client_conditions_ = takeConditions(request.headers);
    if (stale_) fill_.revalidate(request, *stale_);
  }
  upstream_ = make_upstream_(exchange_, this);
  upstream_->start();
  if (request_ended_ && upstream_) upstream_->onRequestEnd();
}

void CacheHandler::serve(std::shared_ptr<const cache::CachedObject> object,
                         cache::CacheStatus status) {
  become(Phase::Answered);
  if (fetch_ == Fetch::Fill) restoreConditions(exchange_.request().headers, client_conditions_);
  serveCachedObject(exchange_, std::move(object), policy_->now(), status,
                    policy_->config.replay_early_hints);
}

// --- the response, as it comes from the backend --------------------------------------------

upstream::ResponseInterceptor::HeadAction CacheHandler::onBackendHead(http::ResponseHead& head) {
  fill_.responded();
  std::vector<std::string> tags = cache::takeTags(head.headers);
  if (fetch_ == Fetch::Invalidate) invalidateAfterUnsafe(head);
  if (fetch_ == Fetch::FreshenByHead) fill_.freshenByHead(*stale_, head);
  if (fetch_ == Fetch::Fill) {
    if (stale_ && head.status == 304) return onNotModified(head);
    if (isServerError(head.status) && serveStaleOnError(head.status)) return HeadAction::Consume;
    if (fill_.startStoring(exchange_.request(), head, std::move(tags))) {
      status_.stored = true;
      // The waiters follow the body from now on, as it arrives.
      if (phase_ == Phase::Filling) store_.streamFill(key_, fill_.stream());
    } else
      finishFill(cache::FillOutcome::NotStored);
  }
  // RFC 9213: the targeted field was for this cache (unless configured to pass it on).
  if (!policy_->config.forward_targeted_fields)
    for (const std::string& name : policy_->config.targeted_fields)
      head.headers.remove(name);
  if (status_.fwd == cache::CacheStatus::Fwd::Stale) status_.fwd_status = head.status;
  exchange_.record().cache_status = status_.format();
  head.headers.set("Cache-Status", exchange_.record().cache_status.view());
  return HeadAction::Forward;
}

void CacheHandler::onBackendInterim(const http::ResponseHead& head) {
  // RFC 8297: kept for hits to replay (cache.replay_early_hints); never the response.
  if (fetch_ == Fetch::Fill && head.status == 103 && policy_->config.replay_early_hints)
    fill_.noteEarlyHints(head.headers);
}

upstream::ResponseInterceptor::HeadAction CacheHandler::onNotModified(
    const http::ResponseHead& head) {
  if (namesAnotherRepresentation(head, *stale_)) {
    log::info("cache: 304 for {} names another representation; refetching", key_);
    stale_.reset();
    std::weak_ptr<AliveToken> weak = aliveToken();
    // After this callback: the fetch that got the 304 is still on the stack.
    loop_.post([weak] {
      if (auto token = weak.lock(); token && token->handler) token->handler->refetch();
    });
    return HeadAction::Consume;
  }
  CacheFill::Merged merged = fill_.mergeNotModified(*stale_, head);
  finishFill(merged.stored ? cache::FillOutcome::Stored : cache::FillOutcome::NotStored);
  status_.fwd_status = 304;
  serve(std::move(merged.object), status_);
  return HeadAction::Consume;
}

void CacheHandler::refetch() {
  upstream_.reset();
  forward(Fetch::Fill);
}

void CacheHandler::onBackendBody(const evbuffer* data) {
  if (fill_.storing() && !fill_.append(data)) finishFill(cache::FillOutcome::NotStored);
}

void CacheHandler::onBackendEnd() {
  if (fill_.storing())
    finishFill(fill_.store() ? cache::FillOutcome::Stored : cache::FillOutcome::NotStored);
}

void CacheHandler::onBackendAbort() {
  fill_.abandon();
  finishFill(cache::FillOutcome::NotStored);
}

bool CacheHandler::onBackendError(int status) {
  if (fetch_ == Fetch::Fill && serveStaleOnError(status)) return true;
  finishFill(cache::FillOutcome::NotStored);
  return false;
}

bool CacheHandler::serveStaleOnError(int status) {
  if (!stale_ || !stale_->mayServeOnError(policy_->now())) return false;
  count(store_.counters().stale_if_error);
  // Waiters find the stale copy in grace and are served it too.
  finishFill(cache::FillOutcome::Stored);
  status_.hit = true;
  status_.fwd = cache::CacheStatus::Fwd::Stale;
  status_.fwd_status = status;
  status_.detail = "stale-if-error";
  serve(stale_, status_);
  return true;
}

bool CacheHandler::mayInvalidate() const {
  switch (route_.invalidate_on_unsafe) {
    case config::InvalidateOnUnsafe::Always:
      return true;
    case config::InvalidateOnUnsafe::Never:
      return false;
    case config::InvalidateOnUnsafe::Session:
      return session_;
  }
  return true;
}

void CacheHandler::invalidateAfterUnsafe(const http::ResponseHead& head) {
  if (head.status < 200 || head.status >= 400) return;
  cache::CacheCounters& counters = store_.counters();
  if (!mayInvalidate()) {
    count(counters.unsafe_invalidations_skipped);
    return;
  }
  count(session_ ? counters.unsafe_invalidations_session : counters.unsafe_invalidations_anonymous);
  const http::RequestHead& request = exchange_.request();
  store_.invalidate(key_);
  // RFC 9111 §4.4: also Location and Content-Location, when they are on the same host.
  for (std::string_view field : {"location", "content-location"}) {
    std::string_view value = head.headers.get(field);
    if (value.empty()) continue;
    std::optional<std::string> key;
    if (value.front() == '/') {
      key = cache::primaryKey(schemeOf(exchange_), request.authority, value);
    } else {
      // Same origin only: another host's objects are not ours to drop on this one's word.
      key = cache::primaryKeyFromUrl(value);
      if (key && !key->starts_with(cache::primaryKey(schemeOf(exchange_), request.authority, "/")))
        key.reset();
    }
    if (key) store_.invalidate(*key);
  }
}

// --- http::Handler: forwarded to the fetch ---------------------------------------------------

void CacheHandler::onRequestBody(evbuffer* data) {
  if (upstream_) {
    upstream_->onRequestBody(data);
    return;
  }
  exchange_.pauseRequestBody();
}

void CacheHandler::onRequestEnd() {
  request_ended_ = true;
  if (upstream_) upstream_->onRequestEnd();
}

void CacheHandler::onDownstreamDrained() {
  if (upstream_) upstream_->onDownstreamDrained();
  if (phase_ == Phase::Following) follower_->onDownstreamDrained();
}

void CacheHandler::onDownstreamReset() {
  // A fill storing its response goes on without its client (as Varnish's does): the requests
  // following it keep receiving, and the object is stored. The orphan tells the waiters.
  if (phase_ == Phase::Filling && fill_.storing() &&
      refreshes_.continueFill(exchange_, key_, policy_, upstream_, fill_)) {
    phase_ = Phase::Done;  // not through become(): the fill is not over, only ours
    return;
  }
  if (upstream_) upstream_->onDownstreamReset();
  follower_.reset();
  fill_.abandon();
  become(Phase::Done);
}

}  // namespace gatehouse::pipeline
