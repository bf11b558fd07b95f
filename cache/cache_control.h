#pragma once
// The Cache-Control field (RFC 9111 §5.2) parsed into what a shared cache acts on. Pure: no
// allocation beyond the result, no I/O; fuzzed by tests/fuzz/cache_control_fuzz.cc.
//
// Parsing is lenient where RFC 9111 asks it to be (unknown directives are ignored, names are
// case-insensitive, values may be quoted) and careful where a mistake would leak or keep
// content: a directive that appears twice with different values, or a delta-seconds value that
// is not a number, makes the response uncacheable-by-default (§4.2.1: "a cache SHOULD consider
// the response to be stale"), so we treat conflicting max-age as 0.

#include <cstdint>
#include <optional>
#include <string_view>

#include "proxy/http/header_map.h"

namespace gatehouse::cache {

// RFC 9111 §1.2.2: a delta-seconds too large to represent is taken as 2^31.
constexpr uint32_t kDeltaSecondsMax = 2147483648u;

struct CacheControl {
  std::optional<uint32_t> max_age;
  std::optional<uint32_t> s_maxage;
  std::optional<uint32_t> stale_while_revalidate;  // RFC 5861
  std::optional<uint32_t> stale_if_error;          // RFC 5861
  std::optional<uint32_t> max_stale;               // request only; UINT32_MAX when no value
  std::optional<uint32_t> min_fresh;               // request only
  bool no_store = false;
  bool no_cache = false;  // qualified (no-cache="Set-Cookie") counts as unqualified: stricter
  bool private_ = false;  // qualified private counts as unqualified: stricter
  bool public_ = false;
  bool must_revalidate = false;
  bool proxy_revalidate = false;
  bool must_understand = false;
  bool immutable = false;
  bool only_if_cached = false;  // request only
  bool no_transform = false;
  // Read from a targeted field (RFC 9213), which replaces Cache-Control and Expires.
  bool targeted = false;
};

// Parses one or more field values (all Cache-Control lines of a message, in order).
CacheControl parseCacheControl(const http::HeaderMap& headers);
// One field value; `into` accumulates across lines.
void parseCacheControlValue(std::string_view value, CacheControl& into);

}  // namespace gatehouse::cache
