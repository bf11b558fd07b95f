#include "cache/cache_control.h"

#include <charconv>

#include "proxy/base/ascii.h"

namespace gatehouse::cache {
namespace {

// delta-seconds: digits only; overflow saturates (RFC 9111 §1.2.2). nullopt if not digits.
std::optional<uint32_t> deltaSeconds(std::string_view v) {
  if (v.empty()) return std::nullopt;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
    if (n > kDeltaSecondsMax) n = kDeltaSecondsMax;
  }
  return static_cast<uint32_t>(n);
}

// A second, different value for the same directive: RFC 9111 §4.2.1 says treat it as stale.
void setSeconds(std::optional<uint32_t>& slot, std::string_view value) {
  std::optional<uint32_t> parsed = deltaSeconds(value);
  if (!parsed) {
    slot = 0;
    return;
  }
  slot = (slot && *slot != *parsed) ? 0 : *parsed;
}

bool nameIs(std::string_view name, std::string_view expected) {
  return ascii::iequals(name, expected);
}

void apply(std::string_view name, std::string_view value, bool has_value, CacheControl& cc) {
  if (nameIs(name, "max-age")) return setSeconds(cc.max_age, value);
  if (nameIs(name, "s-maxage")) return setSeconds(cc.s_maxage, value);
  if (nameIs(name, "stale-while-revalidate")) return setSeconds(cc.stale_while_revalidate, value);
  if (nameIs(name, "stale-if-error")) return setSeconds(cc.stale_if_error, value);
  if (nameIs(name, "min-fresh")) return setSeconds(cc.min_fresh, value);
  if (nameIs(name, "max-stale")) {
    if (!has_value) {
      cc.max_stale = UINT32_MAX;
      return;
    }
    return setSeconds(cc.max_stale, value);
  }
  if (nameIs(name, "no-store"))
    cc.no_store = true;
  else if (nameIs(name, "no-cache"))
    cc.no_cache = true;
  else if (nameIs(name, "private"))
    cc.private_ = true;
  else if (nameIs(name, "public"))
    cc.public_ = true;
  else if (nameIs(name, "must-revalidate"))
    cc.must_revalidate = true;
  else if (nameIs(name, "proxy-revalidate"))
    cc.proxy_revalidate = true;
  else if (nameIs(name, "must-understand"))
    cc.must_understand = true;
  else if (nameIs(name, "immutable"))
    cc.immutable = true;
  else if (nameIs(name, "only-if-cached"))
    cc.only_if_cached = true;
  else if (nameIs(name, "no-transform"))
    cc.no_transform = true;
}

}  // namespace

void parseCacheControlValue(std::string_view value, CacheControl& into) {
  size_t i = 0;
  while (i < value.size()) {
    // One directive: token [ "=" ( token / quoted-string ) ], up to the next top-level comma.
    size_t start = i;
    while (i < value.size() && value[i] != ',' && value[i] != '=')
      ++i;
    std::string_view name = ascii::trimOws(value.substr(start, i - start));
    std::string_view arg;
    bool has_value = false;
    if (i < value.size() && value[i] == '=') {
      has_value = true;
      ++i;
      while (i < value.size() && ascii::isOws(value[i]))
        ++i;
      if (i < value.size() && value[i] == '"') {
        // quoted-string: the argument is what is inside; a backslash escapes one character.
        size_t q = ++i;
        while (i < value.size() && value[i] != '"')
          i += (value[i] == '\\') ? 2 : 1;
        arg = value.substr(q, std::min(i, value.size()) - q);
        if (i < value.size()) ++i;  // the closing quote
        while (i < value.size() && value[i] != ',')
          ++i;
      } else {
        size_t a = i;
        while (i < value.size() && value[i] != ',')
          ++i;
        arg = ascii::trimOws(value.substr(a, i - a));
      }
    }
    if (!name.empty()) apply(name, arg, has_value, into);
    if (i < value.size()) ++i;  // the comma
  }
}

CacheControl parseCacheControl(const http::HeaderMap& headers) {
  CacheControl cc;
  for (const http::Header& h : headers)
    if (ascii::iequals(h.name, "cache-control")) parseCacheControlValue(h.value, cc);
  return cc;
}

}  // namespace gatehouse::cache
