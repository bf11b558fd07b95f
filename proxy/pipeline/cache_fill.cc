#include "proxy/pipeline/cache_fill.h"

#include <event2/buffer.h>

#include "cache/targeted_cache_control.h"
#include "proxy/base/ascii.h"
#include "proxy/base/count.h"
#include "proxy/base/log.h"
#include "proxy/gate/read_only_state.h"

namespace gatehouse::pipeline {
namespace {

// How long a hit-for-pass marker sends a URL straight to the origin (Varnish's default).
constexpr int64_t kHitForPassSeconds = 120;

}  // namespace

bool isServerError(int status) {
  return status == 500 || status == 502 || status == 503 || status == 504;
}

bool namesAnotherRepresentation(const http::ResponseHead& not_modified,
                                const cache::CachedObject& stale) {
  std::string_view etag = ascii::trimOws(not_modified.headers.get("etag"));
  return !etag.empty() && !etag.starts_with("W/") && etag != ascii::trimOws(stale.etag());
}

CacheFill::CacheFill(const CachePolicy& policy, const routing::Route& route)
    : policy_(policy), route_(route), store_(*policy.store) {}

cache::FreshnessPolicy CacheFill::freshnessPolicy() const {
  cache::FreshnessPolicy p;
  p.heuristic_max = policy_.config.heuristic_max;
  p.forced_ttl = route_.cache_ttl;
  p.forced_statuses = route_.cache_ttl_statuses;
  p.strip_set_cookie = route_.strip_set_cookie;
  p.targeted_fields = policy_.config.targeted_fields;
  p.forward_targeted = policy_.config.forward_targeted_fields;
  // Read-only mode: requests are anonymous (the gate dropped Cookie and Authorization, and
  // Set-Cookie from responses), and responses are kept at least read_only.min_ttl (the route's
  // cache_ttl_statuses only; never `private` ones). What that keeps past the origin's own
  // freshness is dropped when the mode ends (watchReadOnly, CacheStore::endReadOnly).
  if (gate::ReadOnlyState::process().enabled())
    p.min_ttl = gate::ReadOnlyState::current()->minTtl();
  return p;
}

void CacheFill::begin(std::string key, const http::HeaderMap& lookup_headers) {
  key_ = std::move(key);
  lookup_headers_ = lookup_headers;
  epoch_ = store_.epoch();
  timing_.request_time = policy_.now();
  early_hints_ = {};
}

void CacheFill::noteEarlyHints(const http::HeaderMap& fields) {
  for (const http::Header& h : fields)
    early_hints_.add(h.name, h.value);
}

void CacheFill::revalidate(http::RequestHead& request, const cache::CachedObject& stale) {
  if (!stale.hasValidator()) return;
  count(store_.counters().revalidations);
  if (!stale.etag().empty()) request.headers.add("If-None-Match", stale.etag());
  if (!stale.lastModified().empty()) request.headers.add("If-Modified-Since", stale.lastModified());
}

void CacheFill::responded() {
  timing_.response_time = policy_.now();
}

bool CacheFill::startStoring(const http::RequestHead& request, http::ResponseHead& head,
                             std::vector<std::string> tags) {
  const cache::CacheControl request_cc = cache::parseCacheControl(request.headers);
  const cache::FreshnessPolicy policy = freshnessPolicy();
  const cache::CacheControl response_cc =
      cache::responseCacheControl(head.headers, policy.targeted_fields);
  cache::NotStorable why = cache::checkStorable(request, request_cc, head, response_cc, policy);
  std::unique_ptr<cache::ObjectDraft> object;
  if (why == cache::NotStorable::None) {
    object = cache::buildObject(key_, lookup_headers_, head, response_cc, policy, stalePermission(),
                                timing_);
    // Nothing to gain from an object that is stale at once and cannot be revalidated.
    if (object->freshness_lifetime <= 0 && !object->hasValidator())
      why = cache::NotStorable::NoFreshness;
    // A variant more than cache.max_variants passes (counted by the store), and leaves no
    // hit-for-pass marker: the URL's other variants are served as before.
    if (why == cache::NotStorable::None && !store_.hasRoomFor(*object)) return false;
  }
  const uint64_t max_object = store_.maxObjectBytes();
  if (why == cache::NotStorable::None && head.content_length && *head.content_length > max_object) {
    count(store_.counters().too_large);
    why = cache::NotStorable::NoFreshness;
  }
  if (why != cache::NotStorable::None) {
    count(store_.counters().not_stored);
    log::debug("cache: not storing {}: {}", key_, cache::describe(why));
    // Hit-for-pass only when the response is to blame: a client's own no-store, body or
    // credentials must not send everyone else's requests for this URL to the origin.
    if (!isServerError(head.status) && !request_cc.no_store &&
        why != cache::NotStorable::RequestBody && why != cache::NotStorable::Authorization)
      markHitForPass();
    return false;
  }
  if (route_.strip_set_cookie) head.headers.remove("set-cookie");
  object->tags = std::move(tags);
  if (!early_hints_.empty()) object->early_hints = http::FieldLines(early_hints_).wire();
  object_ = std::move(object);
  // The followers see the head packed on its own; store() packs it again with the body.
  stream_ =
      std::make_shared<cache::FillStream>(cache::CachedObject::make(*object_), head.content_length);
  return true;
}

void CacheFill::markHitForPass() {
  cache::ObjectDraft marker;
  marker.key = key_;
  marker.hit_for_pass = true;
  marker.response_time = timing_.response_time;
  marker.freshness_lifetime = kHitForPassSeconds;
  store_.insert(cache::CachedObject::make(marker), epoch_);
}

bool CacheFill::append(const evbuffer* data) {
  const size_t n = evbuffer_get_length(data);
  if (stream_->view().length + n > store_.maxObjectBytes()) {
    count(store_.counters().too_large);
    abandon();
    return false;
  }
  evbuffer_copyout(const_cast<evbuffer*>(data), stream_->prepare(n), n);
  stream_->commit(n);
  return true;
}

bool CacheFill::store() {
  stream_->finish(cache::FillStream::State::Complete);
  // Exactly its size: the stream's own buffer when the head gave the length, else a copy; a
  // small one is copied into the object, a large one kept by reference.
  std::shared_ptr<const cache::Body> body = stream_->completedBody();
  const bool stored = store_.insert(
      cache::CachedObject::make(*object_, std::string_view(body->data(), body->size()), body),
      epoch_);
  object_.reset();
  stream_.reset();
  return stored;
}

void CacheFill::abandon() {
  if (stream_) stream_->finish(cache::FillStream::State::Failed);
  object_.reset();
  stream_.reset();
}

CacheFill::Merged CacheFill::mergeNotModified(const cache::CachedObject& stale,
                                              const http::ResponseHead& head) {
  const cache::FreshnessPolicy policy = freshnessPolicy();
  std::shared_ptr<const cache::CachedObject> refreshed =
      cache::refreshObject(stale, head, policy, stalePermission(), timing_);
  count(store_.counters().revalidated);
  const bool stored = storeRefreshed(refreshed, policy);
  return Merged{std::move(refreshed), stored};
}

bool CacheFill::storeRefreshed(const std::shared_ptr<const cache::CachedObject>& refreshed,
                               const cache::FreshnessPolicy& policy) {
  // The response's own directives now apply: one that forbids storing (no-store, private,
  // Vary: *) drops the stored copy (the client is answered all the same).
  http::HeaderMap merged = http::FieldLines::fromWire(refreshed->fields()).toMap();
  if (!refreshed->targeted().empty())
    merged.add(policy.targeted_fields.front(), refreshed->targeted());
  const cache::CacheControl cc = cache::responseCacheControl(merged, policy.targeted_fields);
  const bool keep = !cc.no_store && !cc.private_ && !cache::varyIsStar(merged);
  return keep ? store_.insert(refreshed, epoch_) : (store_.invalidate(key_), false);
}

void CacheFill::freshenByHead(const cache::CachedObject& stored, const http::ResponseHead& head) {
  switch (cache::judgeHeadResponse(stored, head)) {
    case cache::HeadFreshening::Update: {
      count(store_.counters().head_freshenings);
      const cache::FreshnessPolicy policy = freshnessPolicy();
      storeRefreshed(cache::refreshObject(stored, head, policy, stalePermission(), timing_),
                     policy);
      return;
    }
    case cache::HeadFreshening::Invalidate:
      count(store_.counters().head_invalidations);
      store_.invalidate(key_);
      return;
    case cache::HeadFreshening::Ignore:
      return;
  }
}

}  // namespace gatehouse::pipeline
