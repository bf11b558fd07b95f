#pragma once
// Conditional requests answered from a stored response (RFC 9110 §13): If-None-Match with weak
// comparison, else If-Modified-Since; and If-Range for a range request. Pure.

#include <string_view>

#include "proxy/http/header_map.h"

namespace gatehouse::cache {

// True when the client's copy is current and the answer is 304 Not Modified.
// `etag` and `last_modified` are the stored validators (either may be empty).
bool isNotModified(const http::HeaderMap& request_headers, std::string_view etag,
                   std::string_view last_modified);

// True when a Range request may be answered with a range: no If-Range, or one that matches
// the stored strong ETag or exact Last-Modified date (§13.1.5).
bool ifRangeMatches(const http::HeaderMap& request_headers, std::string_view etag,
                    std::string_view last_modified);

// Weak comparison of two entity-tags (§8.8.3.2): W/"a" equals "a".
bool weakEtagEquals(std::string_view a, std::string_view b);

}  // namespace gatehouse::cache
