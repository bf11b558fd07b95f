#include "proxy/static_files/conditional_request.h"

#include "proxy/base/ascii.h"
#include "proxy/static_files/http_date.h"

namespace gatehouse::static_files {
namespace {
std::string_view withoutWeak(std::string_view tag) {
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  return tag;
}
}  // namespace

bool etagListMatches(std::string_view list, std::string_view etag) {
  list = ascii::trimOws(list);
  if (list == "*") return true;
  const std::string_view want = withoutWeak(etag);
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view tag = ascii::trimOws(list.substr(0, comma));
    if (!tag.empty() && withoutWeak(tag) == want) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool isNotModified(const http::HeaderMap& request, const Validators& current) {
  if (request.has("if-none-match")) {
    // Every field line counts (a list may be split over several).
    for (const http::Header& h : request)
      if (ascii::iequals(h.name, "if-none-match") && etagListMatches(h.value, current.etag))
        return true;
    return false;
  }
  std::string_view since = request.get("if-modified-since");
  if (since.empty()) return false;
  auto date = parseHttpDate(ascii::trimOws(since));
  return date && current.last_modified <= *date;
}

bool ifRangeAllows(const http::HeaderMap& request, const Validators& current) {
  std::string_view value = ascii::trimOws(request.get("if-range"));
  if (value.empty()) return true;
  if (value.starts_with("W/")) return false;               // weak tags never match If-Range
  if (value.front() == '"') return value == current.etag;  // strong comparison
  auto date = parseHttpDate(value);
  return date && *date == current.last_modified;
}

}  // namespace gatehouse::static_files
