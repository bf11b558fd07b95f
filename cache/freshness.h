#pragma once
// The rules of RFC 9111 that decide whether a response may be stored and for how long it is
// fresh: §3 (storing), §4.2.1 (freshness lifetime), §4.2.2 (heuristic freshness), §4.2.3 (age).
// Pure functions over heads and wall-clock seconds; the tables in freshness_test.cc are the
// RFC's rules, one row each.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cache/cache_control.h"
#include "proxy/base/duration.h"
#include "proxy/http/message.h"

namespace gatehouse::cache {

struct FreshnessPolicy {
  Duration heuristic_max{24 * 3600 * 1000};  // cap of 10% of (Date - Last-Modified)
  std::optional<Duration> forced_ttl;        // a route's `cache_ttl`: replaces the response's
  bool strip_set_cookie = false;             // a route's `strip_set_cookie`
  // Read-only mode (read_only.min_ttl): every request is anonymous then, so `no-cache` no longer
  // keeps a response from being served, and it stays fresh at least this long. `private` and
  // no-store are still honoured: the gate drops Cookie and Authorization, but an origin may
  // know its users by other means, and says so with `private`.
  std::optional<Duration> min_ttl;
  // The statuses forced_ttl and min_ttl apply to (a route's `cache_ttl_statuses`); a response
  // with another status keeps the origin's own freshness, so that an error page one client's
  // odd request drew is not kept for everyone. Empty: none. Borrowed from the route.
  std::span<const int> forced_statuses;
  // The targeted fields (RFC 9213) this cache obeys, in order (cache.targeted_fields), and
  // whether clients see them (cache.forward_targeted_fields). Borrowed from the config.
  std::span<const std::string> targeted_fields;
  bool forward_targeted = false;

  // Whether forced_ttl or min_ttl may set the lifetime of a response with this status.
  bool forcesLifetimeOf(int status) const;
};

// Why a response is not stored; None when it may be. Named for the counter and the debug log.
enum class NotStorable {
  None,
  Method,         // only GET responses are stored
  RequestBody,    // the request had a body: the response may reflect what only this client sent
  Status,         // not a final status we understand, or 206
  NoStore,        // Cache-Control: no-store (request or response)
  Private,        // Cache-Control: private
  Authorization,  // §3.5: the request had Authorization, and the response did not allow sharing
  SetCookie,      // a cookie for one client, and the route does not strip it
  VaryStar,       // Vary: *
  NoFreshness,    // no explicit freshness, and the status is not heuristically cacheable
};
std::string_view describe(NotStorable reason);

// RFC 9110 §15.1: statuses a cache may store with heuristic freshness.
bool isHeuristicallyCacheable(int status);

// Vary: * (§4.1: no request matches it).
bool varyIsStar(const http::HeaderMap& headers);

// §3: may this response to this request be stored in a shared cache?
NotStorable checkStorable(const http::RequestHead& request, const CacheControl& request_cc,
                          const http::ResponseHead& response, const CacheControl& response_cc,
                          const FreshnessPolicy& policy);

// §4.2.1/§4.2.2: seconds the response stays fresh from its origin. `response_time` stands in for
// a missing Date.
int64_t freshnessLifetime(const http::ResponseHead& response, const CacheControl& cc,
                          int64_t response_time, const FreshnessPolicy& policy);

// §5.1: the Age field's delta-seconds, if it has a valid one.
std::optional<int64_t> ageValue(const http::HeaderMap& headers);

// §4.2.3: the corrected_initial_age; the current age is that plus (now - response_time).
int64_t correctedInitialAge(const http::ResponseHead& response, int64_t request_time,
                            int64_t response_time);

// §4.2.4, §5.2.2.2/3/8: may a stale copy be served without revalidation at all?
bool mayServeStale(const CacheControl& cc);

}  // namespace gatehouse::cache
