#pragma once
// Targeted cache control (RFC 9213): a response field such as CDN-Cache-Control, or an
// operator's own (cache.targeted_fields), whose directives replace Cache-Control and Expires
// for this cache alone. Its value is a Structured Field Dictionary (RFC 8941 §3.2): a field
// that does not parse as one is ignored whole, and a directive whose value has the wrong type
// (max-age="60", max-age=1.5) is ignored on its own (RFC 9213 §2.1).

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cache/cache_control.h"
#include "proxy/http/header_map.h"

namespace gatehouse::cache {

// The directives of one targeted field value (all its lines joined by ", "); nullopt when it is
// not a valid, non-empty Dictionary.
std::optional<CacheControl> parseTargetedCacheControl(std::string_view value);

// RFC 9213 §2.2: the first of `targets` (in that order) present in `headers` with a valid,
// non-empty value; nullopt when none is, and then Cache-Control and Expires apply.
std::optional<CacheControl> targetedCacheControl(const http::HeaderMap& headers,
                                                 std::span<const std::string> targets);

// The value (all lines joined) of the field targetedCacheControl() would pick.
std::optional<std::string> targetedFieldValue(const http::HeaderMap& headers,
                                              std::span<const std::string> targets);

// The Cache-Control this cache acts on: the targeted field's when there is a valid one
// (`targeted` is set then), else Cache-Control's.
CacheControl responseCacheControl(const http::HeaderMap& headers,
                                  std::span<const std::string> targets);

}  // namespace gatehouse::cache
