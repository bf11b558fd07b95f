#pragma once
// The preconditions of a GET or HEAD answered from a representation at hand (RFC 9110 §13):
// If-None-Match (weak comparison) decides when present, else If-Modified-Since (§13.2.2); and
// If-Range (§13.1.5), which keeps a Range only for a strong ETag match or the exact
// Last-Modified date. The one copy of these rules: the cache's hits and static files both use
// them. Pure; the dates are parsed only when a request carries one.

#include <string_view>

#include "proxy/http/header_map.h"

namespace gatehouse::http {

// The selected representation's validators (§8.8) as its ETag and Last-Modified field values
// would carry them ("\"abc\"", "Sun, 06 Nov 1994 08:49:37 GMT"); either may be empty.
struct Validators {
  std::string_view etag;
  std::string_view last_modified;
};

// True when the client's copy is current and the answer is 304 Not Modified. Every
// If-None-Match field line counts (a list may be split over several); "*" matches any current
// representation. If-Modified-Since counts only without If-None-Match, and only when both it
// and `current.last_modified` are HTTP-dates.
bool isNotModified(const HeaderMap& request, const Validators& current);

// True when a Range may be honoured: no If-Range, or one that matches `current`. Call it only
// for a request that has a Range (§13.1.5: If-Range alone is ignored).
bool ifRangeAllows(const HeaderMap& request, const Validators& current);

// True when the If-None-Match value `list` ("*" or a list of entity-tags) holds `etag` by weak
// comparison (§8.8.3.2: W/"a" equals "a"). An empty `etag` matches only "*".
bool etagListMatches(std::string_view list, std::string_view etag);

}  // namespace gatehouse::http
