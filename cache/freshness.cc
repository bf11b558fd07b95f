#include "cache/freshness.h"

#include <algorithm>

#include "proxy/base/ascii.h"
#include "proxy/http/http_date.h"

namespace gatehouse::cache {

std::string_view describe(NotStorable reason) {
  switch (reason) {
    case NotStorable::None:
      return "storable";
    case NotStorable::Method:
      return "method";
    case NotStorable::RequestBody:
      return "request-body";
    case NotStorable::Status:
      return "status";
    case NotStorable::NoStore:
      return "no-store";
    case NotStorable::Private:
      return "private";
    case NotStorable::Authorization:
      return "authorization";
    case NotStorable::SetCookie:
      return "set-cookie";
    case NotStorable::VaryStar:
      return "vary-star";
    case NotStorable::NoFreshness:
      return "no-freshness";
  }
  return "?";
}

bool FreshnessPolicy::forcesLifetimeOf(int status) const {
  if (!forced_ttl && !min_ttl) return false;
  return std::find(forced_statuses.begin(), forced_statuses.end(), status) != forced_statuses.end();
}

bool isHeuristicallyCacheable(int status) {
  switch (status) {
    case 200:
    case 203:
    case 204:
    case 300:
    case 301:
    case 308:
    case 404:
    case 405:
    case 410:
    case 414:
    case 501:
      return true;
    default:
      return false;
  }
}

namespace {

// Statuses we may store at all with explicit freshness: final, not partial, not 304 (which
// only refreshes), and not 1xx.
bool isStorableStatus(int status) {
  return status >= 200 && status < 600 && status != 206 && status != 304;
}

bool hasExplicitFreshness(const http::ResponseHead& response, const CacheControl& cc) {
  return cc.max_age || cc.s_maxage || (!cc.targeted && response.headers.has("expires"));
}

}  // namespace

bool varyIsStar(const http::HeaderMap& headers) {
  for (const http::Header& h : headers) {
    if (!ascii::iequals(h.name, "vary")) continue;
    bool star = false;
    ascii::forEachListElement(h.value, [&](std::string_view item) { star |= item == "*"; });
    if (star) return true;
  }
  return false;
}

NotStorable checkStorable(const http::RequestHead& request, const CacheControl& request_cc,
                          const http::ResponseHead& response, const CacheControl& response_cc,
                          const FreshnessPolicy& policy) {
  if (request.method != "GET") return NotStorable::Method;
  if (request.has_body) return NotStorable::RequestBody;
  if (!isStorableStatus(response.status)) return NotStorable::Status;
  if (request_cc.no_store || response_cc.no_store) return NotStorable::NoStore;
  if (response_cc.private_) return NotStorable::Private;
  if (request.headers.has("authorization") && !response_cc.public_ && !response_cc.s_maxage &&
      !response_cc.must_revalidate)
    return NotStorable::Authorization;
  if (response.headers.has("set-cookie") && !policy.strip_set_cookie) return NotStorable::SetCookie;
  if (varyIsStar(response.headers)) return NotStorable::VaryStar;
  // A forced lifetime makes a listed status storable without validators; other statuses (a
  // 500, a 302) only with the origin's own explicit freshness.
  if (hasExplicitFreshness(response, response_cc) || policy.forcesLifetimeOf(response.status))
    return NotStorable::None;
  if (isHeuristicallyCacheable(response.status)) return NotStorable::None;
  return NotStorable::NoFreshness;
}

namespace {
size_t countFields(const http::HeaderMap& headers, std::string_view name) {
  size_t n = 0;
  for (const http::Header& h : headers)
    n += ascii::iequals(h.name, name) ? 1 : 0;
  return n;
}

int64_t originLifetime(const http::ResponseHead& response, const CacheControl& cc,
                       int64_t response_time, const FreshnessPolicy& policy) {
  if (cc.no_cache) return 0;  // stored, but validated before every use
  if (policy.forced_ttl && policy.forcesLifetimeOf(response.status))
    return policy.forced_ttl->count() / 1000;
  if (cc.s_maxage) return *cc.s_maxage;
  if (cc.max_age) return *cc.max_age;
  const std::optional<int64_t> date = http::parseHttpDate(response.headers.get("date"));
  const int64_t date_value = date.value_or(response_time);
  // RFC 9213 §2.2: a targeted field replaces Expires too.
  if (!cc.targeted && response.headers.has("expires")) {
    // An invalid Expires, such as "0", means already expired (§5.3), and so do several of them
    // (§4.2.1 lets a cache consider a response with two values for one rule stale).
    if (countFields(response.headers, "expires") > 1) return 0;
    std::optional<int64_t> expires = http::parseHttpDate(response.headers.get("expires"));
    return expires ? std::max<int64_t>(0, *expires - date_value) : 0;
  }
  if (!isHeuristicallyCacheable(response.status)) return 0;
  std::optional<int64_t> last_modified = http::parseHttpDate(response.headers.get("last-modified"));
  if (!last_modified || *last_modified >= date_value) return 0;
  const int64_t cap = policy.heuristic_max.count() / 1000;
  return std::min<int64_t>((date_value - *last_modified) / 10, cap);
}
}  // namespace

int64_t freshnessLifetime(const http::ResponseHead& response, const CacheControl& cc,
                          int64_t response_time, const FreshnessPolicy& policy) {
  const int64_t lifetime = originLifetime(response, cc, response_time, policy);
  if (policy.min_ttl && policy.forcesLifetimeOf(response.status))
    return std::max<int64_t>(lifetime, policy.min_ttl->count() / 1000);
  return lifetime;
}

std::optional<int64_t> ageValue(const http::HeaderMap& headers) {
  // §5.1: a list-valued Age uses its first member (and several lines, the first line's);
  // anything but a non-negative integer is ignored; too large saturates (§1.2.2).
  std::string_view age = headers.get("age");
  if (!headers.has("age")) return std::nullopt;
  age = ascii::trimOws(age.substr(0, age.find(',')));
  if (age.empty()) return std::nullopt;
  uint64_t parsed = 0;
  for (char c : age) {
    if (c < '0' || c > '9') return std::nullopt;
    parsed = std::min<uint64_t>(parsed * 10 + static_cast<uint64_t>(c - '0'), kDeltaSecondsMax);
  }
  return static_cast<int64_t>(parsed);
}

int64_t correctedInitialAge(const http::ResponseHead& response, int64_t request_time,
                            int64_t response_time) {
  const int64_t age_value = ageValue(response.headers).value_or(0);
  // A Date ahead of our clock gives no apparent age; one behind it gives the time the response
  // spent on the way, which a cache without Age support upstream would not have counted.
  const std::optional<int64_t> date = http::parseHttpDate(response.headers.get("date"));
  const int64_t apparent_age = std::max<int64_t>(0, response_time - date.value_or(response_time));
  const int64_t response_delay = std::max<int64_t>(0, response_time - request_time);
  const int64_t corrected_age_value = age_value + response_delay;
  return std::max(apparent_age, corrected_age_value);
}

bool mayServeStale(const CacheControl& cc) {
  // s-maxage implies proxy-revalidate for a shared cache (§5.2.2.10).
  return !cc.must_revalidate && !cc.proxy_revalidate && !cc.s_maxage && !cc.no_cache;
}

}  // namespace gatehouse::cache
