#include "proxy/pipeline/cache_handler.h"

#include "cache/cache_key.h"
#include "proxy/base/ascii.h"
#include "proxy/base/log.h"
#include "proxy/gate/read_only_state.h"
#include "proxy/pipeline/background_refresh.h"
#include "proxy/pipeline/cache_request.h"
#include "proxy/pipeline/cached_response_writer.h"

namespace gatehouse::pipeline {
namespace {

// How long a hit-for-pass marker sends a URL straight to the origin (Varnish's default).
constexpr int64_t kHitForPassSeconds = 120;

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

bool isServerError(int status) {
  return status == 500 || status == 502 || status == 503 || status == 504;
}

}  // namespace

CacheHandler::CacheHandler(http::Exchange& exchange, std::shared_ptr<const CachePolicy> policy,
                           const routing::Route& route, net::EventLoop& loop,
                           UpstreamFactory make_upstream, BackgroundRefreshes& refreshes, Mode mode,
                           std::shared_ptr<const cache::CachedObject> stale)
    : exchange_(exchange),
      policy_(std::move(policy)),
      route_(route),
      loop_(loop),
      make_upstream_(std::move(make_upstream)),
      refreshes_(refreshes),
      mode_(mode),
      store_(*policy_->store),
      stale_(std::move(stale)) {}

CacheHandler::~CacheHandler() {
  stopWaiting();
  if (alive_) alive_->handler = nullptr;
  // Never leave waiters hanging, whatever ended this exchange.
  if (filler_) finishFill(cache::FillOutcome::NotStored);
  if (refreshing_) store_.endRefresh(key_);
}

cache::FreshnessPolicy CacheHandler::freshnessPolicy() const {
  cache::FreshnessPolicy p;
  p.heuristic_max = policy_->config.heuristic_max;
  p.forced_ttl = route_.cache_ttl;
  p.strip_set_cookie = route_.strip_set_cookie;
  // Read-only mode: requests are anonymous (the gate dropped Cookie and Authorization, and
  // Set-Cookie from responses), and responses are kept at least read_only.min_ttl.
  if (gate::ReadOnlyState::process().enabled())
    p.min_ttl = gate::ReadOnlyState::current()->minTtl();
  return p;
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
  serveCachedObject(exchange, std::move(found), now, status);
  return true;
}

void CacheHandler::start() {
  http::RequestHead& request = exchange_.request();
  key_ = cache::primaryKey(schemeOf(exchange_), request.authority, request.target);
  if (mode_ == Mode::Refresh) {
    refreshing_ = true;  // the client exchange that started us took beginRefresh() for the key
    status_.fwd = cache::CacheStatus::Fwd::Stale;
    forward(Fetch::Fill);
    return;
  }
  switch (prepareCacheRequest(request, policy_->config.anonymous_ignore_cookies)) {
    case CacheRoute::Invalidate:
      status_.fwd = cache::CacheStatus::Fwd::Bypass;
      forward(Fetch::Invalidate);
      return;
    case CacheRoute::Pass:
      count(store_.counters().passes);
      status_.fwd = cache::CacheStatus::Fwd::Bypass;
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
    forward(Fetch::Fill);  // not coalesced; stored if it has become storable
    return;
  }
  if (found && found->isFresh(now)) {
    count(store_.counters().hits);
    status_.hit = true;
    serve(std::move(found), status_);
    return;
  }
  if (found && found->isUsableStale(now)) {
    // Served at once either way; while the origin is failing its refreshes, this is
    // stale-if-error (counted apart: an operator asks "how often did grace save us").
    const bool failing = store_.originFailing(key_);
    count(failing ? store_.counters().stale_if_error : store_.counters().stale_while_revalidate);
    status_.hit = true;
    status_.detail = failing ? "stale-if-error" : "stale-while-revalidate";
    if (store_.beginRefresh(key_)) startBackgroundRefresh(found);
    serve(std::move(found), status_);
    return;
  }
  if (cache::parseCacheControl(request.headers).only_if_cached) {
    exchange_.respondError(504, "The response is not in the cache (only-if-cached).");
    return;
  }
  count(store_.counters().misses);
  status_.fwd = found ? cache::CacheStatus::Fwd::Stale : cache::CacheStatus::Fwd::UriMiss;
  // A range or a HEAD is not worth a fill of the whole object: passed through.
  if (request.method == "HEAD" || request.headers.has("range")) {
    forward(Fetch::Pass);
    return;
  }
  stale_ = std::move(found);  // stale with validators: the fill revalidates it
  std::weak_ptr<AliveToken> weak = aliveToken();
  net::EventLoop* loop = &loop_;
  auto wake = [weak, loop](cache::FillOutcome outcome) {
    // Runs on the filler's thread: hop to ours. The handler may be gone by the time the task
    // runs (the token says), but not its loop: a handler that stops waiting leaves the list.
    loop->post([weak, outcome] {
      if (auto token = weak.lock(); token && token->handler) token->handler->onFillDone(outcome);
    });
  };
  waiter_id_ = store_.joinFill(key_, std::move(wake));
  if (waiter_id_ == 0) {
    filler_ = true;
    forward(Fetch::Fill);
  } else {
    waitForFill();
  }
}

std::shared_ptr<CacheHandler::AliveToken> CacheHandler::aliveToken() {
  if (!alive_) alive_ = std::make_shared<AliveToken>(AliveToken{this});
  return alive_;
}

void CacheHandler::stopWaiting() {
  wait_timer_.reset();
  if (waiter_id_ != 0) store_.leaveFill(key_, waiter_id_);
  waiter_id_ = 0;
}

void CacheHandler::waitForFill() {
  count(store_.counters().coalesced);
  status_.collapsed = true;
  wait_timer_ = std::make_unique<net::Timer>(loop_.base(), [this] {
    count(store_.counters().coalesce_timeouts);
    log::info("cache: gave up waiting for the fill of {}", key_);
    if (waiter_id_ != 0) store_.leaveFill(key_, waiter_id_);
    waiter_id_ = 0;
    forward(Fetch::Fill);
  });
  wait_timer_->arm(policy_->config.coalesce_timeout);
}

void CacheHandler::onFillDone(cache::FillOutcome outcome) {
  if (waiter_id_ == 0) return;  // gave up waiting already
  waiter_id_ = 0;               // taken off the list by the filler
  wait_timer_.reset();
  if (outcome == cache::FillOutcome::Stored) {
    const int64_t now = policy_->now();
    auto found = store_.lookup(key_, exchange_.request().headers, now);
    if (found && !found->hit_for_pass && (found->isFresh(now) || found->isUsableStale(now))) {
      count(store_.counters().hits);
      status_.hit = true;
      status_.fwd = cache::CacheStatus::Fwd::None;
      serve(std::move(found), status_);
      return;
    }
  }
  // Not storable, or another variant: fetch for ourselves (and store if we may).
  forward(Fetch::Fill);
}

void CacheHandler::forward(Fetch fetch) {
  fetch_ = fetch;
  http::RequestHead& request = exchange_.request();
  if (fetch == Fetch::Fill) {
    // The request as looked up: the Vary key of what is stored is computed from this, before
    // the forwarded headers and our validators are added.
    lookup_headers_ = request.headers;
    epoch_ = store_.epoch();
    timing_.request_time = policy_->now();
    client_conditions_ = takeConditions(request.headers);
    if (stale_ && stale_->hasValidator()) {
      count(store_.counters().revalidations);
      if (!stale_->etag.empty()) request.headers.add("If-None-Match", stale_->etag);
      if (!stale_->last_modified.empty())
        request.headers.add("If-Modified-Since", stale_->last_modified);
    }
  }
  upstream_ = make_upstream_(exchange_, this);
  upstream_->start();
  if (request_ended_ && upstream_) upstream_->onRequestEnd();
}

void CacheHandler::serve(std::shared_ptr<const cache::CachedObject> object,
                         cache::CacheStatus status) {
  if (fetch_ == Fetch::Fill) restoreConditions(exchange_.request().headers, client_conditions_);
  serveCachedObject(exchange_, std::move(object), policy_->now(), status);
}

void CacheHandler::startBackgroundRefresh(std::shared_ptr<const cache::CachedObject> stale) {
  refreshes_.start(exchange_.request(), exchange_.client(),
                   std::string(exchange_.requestId()) + "-refresh", policy_, route_, make_upstream_,
                   std::move(stale));
}

void CacheHandler::finishFill(cache::FillOutcome outcome) {
  if (!filler_) return;
  filler_ = false;
  store_.finishFill(key_, outcome);
}

// --- the response, as it comes from the backend --------------------------------------------

upstream::ResponseInterceptor::HeadAction CacheHandler::onBackendHead(http::ResponseHead& head) {
  timing_.response_time = policy_->now();
  std::vector<std::string> tags = cache::takeTags(head.headers);
  if (fetch_ == Fetch::Invalidate) invalidateAfterUnsafe(head);
  if (fetch_ == Fetch::Fill) {
    if (stale_ && head.status == 304) return onNotModified(head);
    if (isServerError(head.status) && serveStaleOnError(head.status)) return HeadAction::Consume;
    startStoring(head, std::move(tags));
  }
  if (status_.fwd == cache::CacheStatus::Fwd::Stale) status_.fwd_status = head.status;
  exchange_.record().cache_status = status_.format();
  head.headers.set("Cache-Status", exchange_.record().cache_status.view());
  return HeadAction::Forward;
}

upstream::ResponseInterceptor::HeadAction CacheHandler::onNotModified(
    const http::ResponseHead& head) {
  // RFC 9111 §4.3.4: a strong validator in the 304 names the representation to update; if it
  // is not ours, our body is not the current one: fetch it whole instead.
  std::string_view etag = ascii::trimOws(head.headers.get("etag"));
  if (!etag.empty() && !etag.starts_with("W/") && etag != ascii::trimOws(stale_->etag)) {
    log::info("cache: 304 for {} names another representation; refetching", key_);
    stale_.reset();
    std::weak_ptr<AliveToken> weak = aliveToken();
    // After this callback: the fetch that got the 304 is still on the stack.
    loop_.post([weak] {
      if (auto token = weak.lock(); token && token->handler) token->handler->refetch();
    });
    return HeadAction::Consume;
  }
  auto refreshed = cache::refreshObject(*stale_, head, freshnessPolicy(),
                                        policy_->config.grace.count() / 1000, timing_);
  count(store_.counters().revalidated);
  // The 304's own directives now apply: one that forbids storing drops the stored copy, and
  // this client is answered from the merged response all the same.
  const cache::CacheControl cc = cache::parseCacheControl(refreshed->fields.toMap());
  const bool keep = !cc.no_store && (!cc.private_ || freshnessPolicy().min_ttl);
  const bool stored = keep ? store_.insert(refreshed, epoch_) : (store_.purge(key_), false);
  finishFill(stored ? cache::FillOutcome::Stored : cache::FillOutcome::NotStored);
  status_.fwd_status = 304;
  serve(std::move(refreshed), status_);
  return HeadAction::Consume;
}

void CacheHandler::refetch() {
  upstream_.reset();
  forward(Fetch::Fill);
}

void CacheHandler::startStoring(http::ResponseHead& head, std::vector<std::string> tags) {
  const http::RequestHead& request = exchange_.request();
  const cache::CacheControl request_cc = cache::parseCacheControl(request.headers);
  const cache::CacheControl response_cc = cache::parseCacheControl(head.headers);
  const cache::FreshnessPolicy policy = freshnessPolicy();
  cache::NotStorable why = cache::checkStorable(request, request_cc, head, response_cc, policy);
  std::shared_ptr<cache::CachedObject> object;
  if (why == cache::NotStorable::None) {
    object = cache::buildObject(key_, lookup_headers_, head, response_cc, policy,
                                policy_->config.grace.count() / 1000, timing_);
    // Nothing to gain from an object that is stale at once and cannot be revalidated.
    if (object->freshness_lifetime <= 0 && !object->hasValidator())
      why = cache::NotStorable::NoFreshness;
  }
  const uint64_t max_object = store_.maxObjectBytes();
  if (why == cache::NotStorable::None && head.content_length && *head.content_length > max_object) {
    count(store_.counters().too_large);
    why = cache::NotStorable::NoFreshness;
  }
  if (why != cache::NotStorable::None) {
    count(store_.counters().not_stored);
    log::debug("cache: not storing {}: {}", key_, cache::describe(why));
    // Hit-for-pass only when the response is to blame: a client's own no-store must not
    // send everyone else's requests for this URL to the origin.
    if (!isServerError(head.status) && !request_cc.no_store) markHitForPass();
    finishFill(cache::FillOutcome::NotStored);
    return;
  }
  if (route_.strip_set_cookie) head.headers.remove("set-cookie");
  object->tags = std::move(tags);
  filling_ = std::move(object);
  body_.clear();
  if (head.content_length) body_.reserve(*head.content_length);
  status_.stored = true;
}

void CacheHandler::markHitForPass() {
  auto marker = std::make_shared<cache::CachedObject>();
  marker->key = key_;
  marker->hit_for_pass = true;
  marker->response_time = timing_.response_time;
  marker->freshness_lifetime = kHitForPassSeconds;
  marker->charge = cache::CachedObject::computeCharge(*marker);
  store_.insert(std::move(marker), epoch_);
}

void CacheHandler::onBackendBody(const evbuffer* data) {
  if (!filling_) return;
  const size_t n = evbuffer_get_length(data);
  if (body_.size() + n > store_.maxObjectBytes()) {
    count(store_.counters().too_large);
    abandonStore();
    return;
  }
  const size_t old = body_.size();
  body_.resize(old + n);
  evbuffer_copyout(const_cast<evbuffer*>(data), body_.data() + old, n);
}

void CacheHandler::onBackendEnd() {
  if (filling_) storeFilled();
  if (mode_ == Mode::Refresh && fetch_ == Fetch::Fill && !status_.stored)
    log::debug("cache: background refresh of {} stored nothing", key_);
}

void CacheHandler::storeFilled() {
  // Exactly its size: a chunked body grew by doubling.
  if (body_.capacity() > body_.size()) body_.shrink_to_fit();
  filling_->body = std::make_shared<const cache::Body>(std::move(body_));
  filling_->charge = cache::CachedObject::computeCharge(*filling_);
  const bool stored = store_.insert(std::move(filling_), epoch_);
  filling_.reset();
  body_.clear();
  finishFill(stored ? cache::FillOutcome::Stored : cache::FillOutcome::NotStored);
}

void CacheHandler::abandonStore() {
  filling_.reset();
  body_.clear();
  body_.shrink_to_fit();
  finishFill(cache::FillOutcome::NotStored);
}

void CacheHandler::onBackendAbort() {
  abandonStore();
}

bool CacheHandler::onBackendError(int status) {
  // (In a background refresh, serveStaleOnError() counts the failure and keeps the stale copy.)
  if (fetch_ == Fetch::Fill && serveStaleOnError(status)) return true;
  finishFill(cache::FillOutcome::NotStored);
  return false;
}

bool CacheHandler::serveStaleOnError(int status) {
  const int64_t now = policy_->now();
  if (mode_ == Mode::Refresh) {
    // The stale copy stays in service: clients keep getting it within grace.
    count(store_.counters().refresh_failures);
    store_.setOriginFailing(key_, true);
    finishFill(cache::FillOutcome::NotStored);
    return false;
  }
  if (!stale_ || !stale_->isUsableStale(now)) return false;
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

void CacheHandler::invalidateAfterUnsafe(const http::ResponseHead& head) {
  if (head.status < 200 || head.status >= 400) return;
  const http::RequestHead& request = exchange_.request();
  count(store_.counters().invalidations);
  store_.purge(key_);
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
    if (key) store_.purge(*key);
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
}

void CacheHandler::onDownstreamReset() {
  stopWaiting();
  if (upstream_) upstream_->onDownstreamReset();
  abandonStore();
}

}  // namespace gatehouse::pipeline
