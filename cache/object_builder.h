#pragma once
// Turns a backend response into the immutable CachedObject the store keeps (RFC 9111 §3.1:
// what is stored of the header section), and refreshes one from a 304 (§4.3.4).

#include <memory>
#include <string>
#include <vector>

#include "cache/cache_control.h"
#include "cache/cached_object.h"
#include "cache/freshness.h"
#include "proxy/http/message.h"

namespace gatehouse::cache {

// What the cache's configuration permits out of band (RFC 9111 §4.2.4) past freshness, in
// seconds: `grace` (serve while revalidating; 0 unless configured) and `stale_if_error` (serve
// while the origin fails). The origin's own stale-while-revalidate and stale-if-error can extend
// each; must-revalidate, proxy-revalidate, no-cache and s-maxage forbid both.
struct StalePermission {
  int64_t while_revalidating = 0;
  int64_t if_error = 0;
};

struct FetchTiming {
  int64_t request_time = 0;   // wall seconds when the request went to the origin
  int64_t response_time = 0;  // wall seconds when its head came back
};

// Removes Surrogate-Key and Cache-Tag (meant for the cache, not for clients) and returns the
// tags they carried: Surrogate-Key is space-separated, Cache-Tag comma-separated.
std::vector<std::string> takeTags(http::HeaderMap& headers);

// The stored form of `response` as a draft (its body comes later, CachedObject::make): the fields
// clients will see, validators, Vary and freshness. `response` must already be free of hop-by-hop
// fields and tags; Set-Cookie is dropped (storing one is only allowed when the route strips it).
std::unique_ptr<ObjectDraft> buildObject(std::string key, const http::HeaderMap& request_headers,
                                         const http::ResponseHead& response, const CacheControl& cc,
                                         const FreshnessPolicy& policy, StalePermission permission,
                                         FetchTiming timing);

// A copy of `stale` with the fields of a 304 `not_modified` merged in and its age reset; the
// body is shared, not copied.
std::shared_ptr<const CachedObject> refreshObject(const CachedObject& stale,
                                                  const http::ResponseHead& not_modified,
                                                  const FreshnessPolicy& policy,
                                                  StalePermission permission, FetchTiming timing);

// RFC 9111 §4.3.5: what a response to HEAD does to the stored GET response that request would
// have selected. Update (as a 304 would, §4.3.4) when it is a 200 whose validators (ETag,
// Last-Modified), those it carries, and whose Content-Length, if it gives one, match the stored
// ones; Invalidate when one differs (the stored response describes another representation);
// Ignore for any other status.
enum class HeadFreshening { Update, Invalidate, Ignore };
HeadFreshening judgeHeadResponse(const CachedObject& stored, const http::ResponseHead& head);

}  // namespace gatehouse::cache
