#include "proxy/static_files/byte_range.h"

#include <optional>

#include "proxy/base/ascii.h"

namespace gatehouse::static_files {
namespace {

// Decimal digits only; saturates at UINT64_MAX (a position that large is past any file).
std::optional<uint64_t> parseNumber(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    n = n > (UINT64_MAX - digit) / 10 ? UINT64_MAX : n * 10 + digit;
  }
  return n;
}

struct Spec {
  bool valid = false;
  bool satisfiable = false;
  ByteRange range;
};

Spec parseSpec(std::string_view spec, uint64_t size) {
  Spec out;
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return out;
  std::string_view first_text = spec.substr(0, dash), last_text = spec.substr(dash + 1);
  if (first_text.empty()) {  // suffix-range: the last N bytes
    auto n = parseNumber(last_text);
    if (!n) return out;
    out.valid = true;
    out.satisfiable = *n > 0 && size > 0;
    if (out.satisfiable) out.range = {*n >= size ? 0 : size - *n, size - 1};
    return out;
  }
  auto first = parseNumber(first_text);
  if (!first) return out;
  std::optional<uint64_t> last;
  if (!last_text.empty()) {
    last = parseNumber(last_text);
    if (!last || *last < *first) return out;
  }
  out.valid = true;
  out.satisfiable = *first < size;
  if (out.satisfiable) out.range = {*first, last && *last < size ? *last : size - 1};
  return out;
}

}  // namespace

RangeRequest parseRange(std::string_view header, uint64_t size) {
  RangeRequest none;
  header = ascii::trimOws(header);
  size_t eq = header.find('=');
  if (eq == std::string_view::npos ||
      !ascii::iequals(ascii::trimOws(header.substr(0, eq)), "bytes"))
    return none;
  std::string_view list = header.substr(eq + 1);
  size_t satisfiable = 0, specs = 0;
  ByteRange found;
  while (true) {
    size_t comma = list.find(',');
    std::string_view spec = ascii::trimOws(list.substr(0, comma));
    if (!spec.empty()) {  // empty list elements are allowed (RFC 9110 §5.6.1)
      if (++specs > kMaxRanges) return none;
      Spec s = parseSpec(spec, size);
      if (!s.valid) return none;
      if (s.satisfiable && satisfiable++ == 0) found = s.range;
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  if (specs == 0) return none;
  if (satisfiable == 0) return {RangeKind::Unsatisfiable, {}};
  if (satisfiable > 1) return {RangeKind::Multiple, {}};
  return {RangeKind::Single, found};
}

}  // namespace gatehouse::static_files
