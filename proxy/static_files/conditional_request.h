#pragma once
// The preconditions of a GET or HEAD for a static file (RFC 9110 §13.2.2), in the RFC's order:
// If-None-Match decides when present (weak comparison), otherwise If-Modified-Since. If-Range
// (§13.1.5) keeps a Range only for a strong ETag match or the exact Last-Modified date.

#include <ctime>
#include <string_view>

#include "proxy/http/header_map.h"

namespace gatehouse::static_files {

struct Validators {
  std::string_view etag;  // strong, quoted: "\"abc\""
  std::time_t last_modified = 0;
};

// True if the request's validators say the client's copy is current: answer 304.
bool isNotModified(const http::HeaderMap& request, const Validators& current);

// True if a Range may be honoured: no If-Range, or one that matches `current`.
bool ifRangeAllows(const http::HeaderMap& request, const Validators& current);

// True if the comma-separated entity-tag list (or "*") holds `etag`; weak comparison ignores
// W/ prefixes.
bool etagListMatches(std::string_view list, std::string_view etag);

}  // namespace gatehouse::static_files
