#include "cache/object_builder.h"

#include "cache/cache_key.h"
#include "proxy/base/ascii.h"

namespace gatehouse::cache {
namespace {

// Fields a 304 must not overwrite in the stored response: they describe the body we keep
// (RFC 9111 §3.2 excludes Content-Length; the framing fields are the codec's).
bool keepsStoredValue(std::string_view name) {
  return ascii::iequals(name, "content-length") || ascii::iequals(name, "content-encoding") ||
         ascii::iequals(name, "transfer-encoding") || ascii::iequals(name, "content-range");
}

// Fields that belong to one response, never to the stored object: a hit writes its own Age,
// Cache-Status, X-Request-Id and Accept-Ranges; Set-Cookie is never served to another client
// (stored only when the route strips it, which the freshness rules checked before).
bool isPerResponse(std::string_view name) {
  return ascii::iequals(name, "age") || ascii::iequals(name, "set-cookie") ||
         ascii::iequals(name, "cache-status") || ascii::iequals(name, "x-request-id") ||
         ascii::iequals(name, "accept-ranges");
}

// Freshness and grace of a stored response, from its (merged) fields.
void setFreshness(CachedObject& o, const http::ResponseHead& response, const CacheControl& cc,
                  const FreshnessPolicy& policy, int64_t grace_seconds, FetchTiming timing) {
  o.response_time = timing.response_time;
  o.corrected_initial_age =
      correctedInitialAge(response, timing.request_time, timing.response_time);
  o.freshness_lifetime = freshnessLifetime(response, cc, timing.response_time, policy);
  o.read_only_extended = false;  // a 304's refresh says anew
  if (policy.min_ttl) {
    FreshnessPolicy origin_only = policy;
    origin_only.min_ttl.reset();
    o.read_only_extended =
        o.freshness_lifetime > freshnessLifetime(response, cc, timing.response_time, origin_only);
  }
  // Grace only for what the origin meant to be cached (a positive lifetime) and allows to be
  // served stale; the origin's own stale-while-revalidate/stale-if-error can extend it.
  int64_t window = 0;
  if (o.freshness_lifetime > 0 && mayServeStale(cc)) {
    window = grace_seconds;
    if (cc.stale_while_revalidate) window = std::max<int64_t>(window, *cc.stale_while_revalidate);
    if (cc.stale_if_error) window = std::max<int64_t>(window, *cc.stale_if_error);
  }
  o.stale_window = window;
  o.etag = std::string(response.headers.get("etag"));
  o.last_modified = std::string(response.headers.get("last-modified"));
}

}  // namespace

std::vector<std::string> takeTags(http::HeaderMap& headers) {
  std::vector<std::string> tags;
  for (const http::Header& h : headers) {
    if (ascii::iequals(h.name, "surrogate-key")) {
      std::string_view rest = h.value;
      while (!rest.empty()) {
        size_t space = rest.find_first_of(" \t");
        std::string_view tag = rest.substr(0, space);
        if (!tag.empty()) tags.emplace_back(tag);
        if (space == std::string_view::npos) break;
        rest.remove_prefix(space + 1);
      }
    } else if (ascii::iequals(h.name, "cache-tag")) {
      ascii::forEachListElement(h.value, [&](std::string_view tag) { tags.emplace_back(tag); });
    }
  }
  headers.remove("surrogate-key");
  headers.remove("cache-tag");
  return tags;
}

std::shared_ptr<CachedObject> buildObject(std::string key, const http::HeaderMap& request_headers,
                                          const http::ResponseHead& response,
                                          const CacheControl& cc, const FreshnessPolicy& policy,
                                          int64_t grace_seconds, FetchTiming timing) {
  auto o = std::make_shared<CachedObject>();
  o->key = std::move(key);
  o->vary_fields = varyFields(response.headers);
  o->vary_key = varyKey(o->vary_fields, request_headers);
  o->status = response.status;
  o->reason = response.reason;
  http::HeaderMap kept;
  kept.reserve(response.headers.size());
  for (const http::Header& h : response.headers) {
    if (!isPerResponse(h.name) && !ascii::iequals(h.name, "content-length"))
      kept.add(h.name, h.value);
  }
  o->fields = http::FieldLines(kept);
  setFreshness(*o, response, cc, policy, grace_seconds, timing);
  return o;
}

std::shared_ptr<CachedObject> refreshObject(const CachedObject& stale,
                                            const http::ResponseHead& not_modified,
                                            const FreshnessPolicy& policy, int64_t grace_seconds,
                                            FetchTiming timing) {
  auto o = std::make_shared<CachedObject>(stale);
  // §4.3.4: every field of the 304 replaces the stored fields of that name.
  http::HeaderMap merged;
  for (const http::Header& h : stale.fields.toMap()) {
    if (keepsStoredValue(h.name) || !not_modified.headers.has(h.name)) merged.add(h.name, h.value);
  }
  for (const http::Header& h : not_modified.headers) {
    if (keepsStoredValue(h.name) || isPerResponse(h.name) || ascii::iequals(h.name, "via"))
      continue;
    merged.add(h.name, h.value);
  }
  o->fields = http::FieldLines(merged);
  http::ResponseHead view;
  view.status = stale.status;
  view.headers = std::move(merged);
  // Age and Date of the 304 are what the age calculation must see.
  if (not_modified.headers.has("age")) view.headers.set("Age", not_modified.headers.get("age"));
  CacheControl cc = parseCacheControl(view.headers);
  setFreshness(*o, view, cc, policy, grace_seconds, timing);
  o->charge = CachedObject::computeCharge(*o);
  return o;
}

}  // namespace gatehouse::cache
