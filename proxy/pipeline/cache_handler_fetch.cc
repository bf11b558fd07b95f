// CacheHandler, the second half: the fetch to the origin (through an upstream::Upstream, the
// request body forwarded to it) and the response as it comes back, watched as an
// upstream::ResponseInterceptor. A fill tees the response into the store, a 304 revalidates the
// stale copy, a failure serves that copy within stale-if-error, and an unsafe method's success
// invalidates (RFC 9111 §4.4). What is fetched, and when, is decided in cache_handler.cc.
#include "cache/cache_key.h"
#include "proxy/base/ascii.h"
#include "proxy/base/count.h"
#include "proxy/base/log.h"
#include "proxy/pipeline/background_refresh.h"
#include "proxy/pipeline/cache_handler.h"
#include "proxy/pipeline/cached_response_writer.h"

namespace gatehouse::pipeline {
namespace {

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

}  // namespace

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

void CacheHandler::refetch() {
  upstream_.reset();
  forward(Fetch::Fill);
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
  status_.formatInto(exchange_.record().cache_status);
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
