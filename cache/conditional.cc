#include "cache/conditional.h"

#include "cache/http_date.h"
#include "proxy/base/ascii.h"

namespace gatehouse::cache {
namespace {
std::string_view opaque(std::string_view tag) {
  tag = ascii::trimOws(tag);
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  return tag;
}
}  // namespace

bool weakEtagEquals(std::string_view a, std::string_view b) {
  std::string_view x = opaque(a), y = opaque(b);
  return !x.empty() && x == y;
}

bool isNotModified(const http::HeaderMap& request_headers, std::string_view etag,
                   std::string_view last_modified) {
  if (request_headers.has("if-none-match")) {
    // When If-None-Match is present, If-Modified-Since is ignored (§13.2.2).
    bool match = false;
    for (const http::Header& h : request_headers) {
      if (!ascii::iequals(h.name, "if-none-match")) continue;
      ascii::forEachListElement(h.value, [&](std::string_view item) {
        if (item == "*" ? !etag.empty() : weakEtagEquals(item, etag)) match = true;
      });
    }
    return match;
  }
  std::string_view since_text = request_headers.get("if-modified-since");
  if (since_text.empty() || last_modified.empty()) return false;
  auto since = parseHttpDate(since_text);
  auto modified = parseHttpDate(last_modified);
  return since && modified && *modified <= *since;
}

bool ifRangeMatches(const http::HeaderMap& request_headers, std::string_view etag,
                    std::string_view last_modified) {
  std::string_view value = ascii::trimOws(request_headers.get("if-range"));
  if (value.empty()) return true;
  if (value.starts_with("\"")) return !etag.starts_with("W/") && value == ascii::trimOws(etag);
  if (value.starts_with("W/")) return false;  // weak tags never match If-Range
  auto date = parseHttpDate(value);
  auto modified = parseHttpDate(last_modified);
  return date && modified && *date == *modified;
}

}  // namespace gatehouse::cache
