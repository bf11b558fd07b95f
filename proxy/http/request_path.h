#pragma once
// The path rules that routing, static prefixes and the read-only allow-list share (issue 14), so
// that what the proxy decides about a path is what a backend will resolve it to.
//
// Dot-segments are refused, not normalised: a path with a "." or ".." segment is answered 400
// before routing (pipeline.cc), because a backend that resolves it (RFC 3986 §5.2.4) reaches a
// path outside the prefix the proxy routed, allowed or cached it by. Browsers resolve
// dot-segments before sending, so only crafted requests carry them. Percent-encoded dots count
// ("%2e", "%2E"), and so do '\', "%2F" and "%5C" as separators, since backends decode one level
// and some read '\' as '/'. An encoded '/' that makes no dot-segment passes ("/api/a%2Fb"); a
// doubly encoded dot ("%252e") is left to backends that decode once.

#include <string_view>

namespace gatehouse::http {

// `path` (no query) has a "." or ".." segment, raw or percent-encoded, with '/', '\', "%2F" and
// "%5C" all read as separators.
bool hasDotSegment(std::string_view path);

// `prefix` matches `path` on a segment boundary: "/api" matches "/api", "/api/x" (and "/api?q",
// whose path is "/api") but not "/apifoo"; a prefix ending in '/' matches whatever starts with it.
inline bool pathHasPrefix(std::string_view path, std::string_view prefix) {
  if (!path.starts_with(prefix)) return false;
  return prefix.empty() || prefix.back() == '/' || path.size() == prefix.size() ||
         path[prefix.size()] == '/';
}

}  // namespace gatehouse::http
