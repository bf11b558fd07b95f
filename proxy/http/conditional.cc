#include "proxy/http/conditional.h"

#include "proxy/base/ascii.h"
#include "proxy/http/http_date.h"

namespace gatehouse::http {
namespace {

// The opaque-tag of an entity-tag: weak comparison looks only at it.
std::string_view opaqueTag(std::string_view tag) {
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  return tag;
}

}  // namespace

bool etagListMatches(std::string_view list, std::string_view etag) {
  list = ascii::trimOws(list);
  if (list == "*") return true;
  const std::string_view want = opaqueTag(ascii::trimOws(etag));
  if (want.empty()) return false;
  // Elements end at a comma outside quotes: an opaque-tag may hold commas (etagc, §8.8.3).
  size_t i = 0;
  while (i < list.size()) {
    const size_t start = i;
    bool quoted = false;
    for (; i < list.size() && (quoted || list[i] != ','); ++i)
      if (list[i] == '"') quoted = !quoted;
    const std::string_view tag = ascii::trimOws(list.substr(start, i - start));
    if (!tag.empty() && opaqueTag(tag) == want) return true;
    ++i;  // past the comma
  }
  return false;
}

bool isNotModified(const HeaderMap& request, const Validators& current) {
  // One walk over the fields: a hit without preconditions pays for no more.
  bool has_if_none_match = false;
  std::string_view since;
  for (const Header& h : request) {
    if (ascii::iequals(h.name, "if-none-match")) {
      has_if_none_match = true;
      if (etagListMatches(h.value, current.etag)) return true;
    } else if (since.empty() && ascii::iequals(h.name, "if-modified-since")) {
      since = h.value;
    }
  }
  // With If-None-Match present, If-Modified-Since is ignored (§13.2.2 steps 3-4).
  if (has_if_none_match || since.empty() || current.last_modified.empty()) return false;
  // An If-Modified-Since that is no HTTP-date is ignored (§13.1.3).
  const auto date = parseHttpDate(since);
  const auto modified = parseHttpDate(current.last_modified);
  return date && modified && *modified <= *date;
}

bool ifRangeAllows(const HeaderMap& request, const Validators& current) {
  const std::string_view value = ascii::trimOws(request.get("if-range"));
  if (value.empty()) return true;
  // An entity-tag matches by strong comparison only (§8.8.3.2): neither tag may be weak.
  if (value.starts_with("W/")) return false;
  if (value.front() == '"')
    return !current.etag.starts_with("W/") && value == ascii::trimOws(current.etag);
  // An HTTP-date matches only the representation's Last-Modified time, exactly.
  const auto date = parseHttpDate(value);
  const auto modified = parseHttpDate(current.last_modified);
  return date && modified && *date == *modified;
}

}  // namespace gatehouse::http
