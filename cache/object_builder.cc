#include "cache/object_builder.h"

#include "cache/cache_key.h"
#include "cache/targeted_cache_control.h"
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

// A targeted field (RFC 9213) that clients are not to see.
bool isHiddenTargeted(std::string_view name, const FreshnessPolicy& policy) {
  if (policy.forward_targeted) return false;
  for (const std::string& target : policy.targeted_fields)
    if (ascii::iequals(name, target)) return true;
  return false;
}

uint32_t window(int64_t configured, std::optional<uint32_t> directive) {
  const int64_t w = std::max<int64_t>(configured, directive.value_or(0));
  return static_cast<uint32_t>(std::clamp<int64_t>(w, 0, kDeltaSecondsMax));
}

// Freshness and stale windows of a stored response, from its (merged) fields.
void setFreshness(ObjectDraft& o, const http::ResponseHead& response, const CacheControl& cc,
                  const FreshnessPolicy& policy, StalePermission permission, FetchTiming timing) {
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
  // Stale windows only for what the origin meant to be cached (a positive lifetime) and allows
  // to be served stale (§4.2.4); its own directives can extend what the configuration permits.
  o.swr_window = 0;
  o.sie_window = 0;
  if (o.freshness_lifetime > 0 && mayServeStale(cc)) {
    o.swr_window = window(permission.while_revalidating, cc.stale_while_revalidate);
    o.sie_window = window(permission.if_error, cc.stale_if_error);
  }
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

std::unique_ptr<ObjectDraft> buildObject(std::string key, const http::HeaderMap& request_headers,
                                         const http::ResponseHead& response, const CacheControl& cc,
                                         const FreshnessPolicy& policy, StalePermission permission,
                                         FetchTiming timing) {
  auto o = std::make_unique<ObjectDraft>();
  o->key = std::move(key);
  o->vary_fields = varyFields(response.headers);
  o->vary_key = varyKey(o->vary_fields, request_headers);
  o->status = response.status;
  o->reason = response.reason;
  http::HeaderMap kept;
  kept.reserve(response.headers.size());
  for (const http::Header& h : response.headers) {
    if (!isPerResponse(h.name) && !ascii::iequals(h.name, "content-length") &&
        !isHiddenTargeted(h.name, policy))
      kept.add(h.name, h.value);
  }
  o->fields = http::FieldLines(kept);
  if (!policy.forward_targeted)
    o->targeted = targetedFieldValue(response.headers, policy.targeted_fields).value_or("");
  setFreshness(*o, response, cc, policy, permission, timing);
  return o;
}

std::shared_ptr<const CachedObject> refreshObject(const CachedObject& stale,
                                                  const http::ResponseHead& not_modified,
                                                  const FreshnessPolicy& policy,
                                                  StalePermission permission, FetchTiming timing) {
  ObjectDraft draft = stale.draft();
  ObjectDraft* o = &draft;
  // §4.3.4: every field of the 304 replaces the stored fields of that name.
  http::HeaderMap merged;
  for (const http::Header& h : o->fields.toMap()) {
    if (keepsStoredValue(h.name) || !not_modified.headers.has(h.name)) merged.add(h.name, h.value);
  }
  for (const http::Header& h : not_modified.headers) {
    if (keepsStoredValue(h.name) || isPerResponse(h.name) || ascii::iequals(h.name, "via") ||
        isHiddenTargeted(h.name, policy))
      continue;
    merged.add(h.name, h.value);
  }
  o->fields = http::FieldLines(merged);
  http::ResponseHead view;
  view.status = stale.status;
  view.headers = std::move(merged);
  // Age and Date of the 304 are what the age calculation must see.
  if (not_modified.headers.has("age")) view.headers.set("Age", not_modified.headers.get("age"));
  // A targeted field clients do not see: the 304's own, or else the one stored.
  if (!policy.forward_targeted) {
    if (auto sent = targetedFieldValue(not_modified.headers, policy.targeted_fields))
      o->targeted = std::move(*sent);
    if (!o->targeted.empty()) view.headers.add(policy.targeted_fields.front(), o->targeted);
  }
  CacheControl cc = responseCacheControl(view.headers, policy.targeted_fields);
  setFreshness(*o, view, cc, policy, permission, timing);
  return stale.withHead(draft);  // the body shared, or copied when small
}

HeadFreshening judgeHeadResponse(const CachedObject& stored, const http::ResponseHead& head) {
  if (head.status != 200 || stored.status != 200) return HeadFreshening::Ignore;
  for (auto [name, value] :
       {std::pair{"etag", stored.etag()}, std::pair{"last-modified", stored.lastModified()}}) {
    if (head.headers.has(name) && ascii::trimOws(head.headers.get(name)) != ascii::trimOws(value))
      return HeadFreshening::Invalidate;
  }
  // The length the GET would have had (the codec keeps a HEAD answer's Content-Length there).
  const uint64_t stored_length = stored.body().size();
  if (head.content_length && *head.content_length != stored_length)
    return HeadFreshening::Invalidate;
  return HeadFreshening::Update;
}

}  // namespace gatehouse::cache
