#include "proxy/http/byte_range.h"

#include <optional>

#include "proxy/base/ascii.h"

namespace gatehouse::http {
namespace {

// 1*DIGIT; saturates near UINT64_MAX (a position that large is past any representation).
std::optional<uint64_t> parseNumber(std::string_view s) {
  if (s.empty()) return std::nullopt;
  constexpr uint64_t kLastSafe = (UINT64_MAX - 9) / 10;  // n * 10 + 9 cannot overflow
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n > kLastSafe ? UINT64_MAX : n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

struct RangeSpec {
  bool valid = false;
  bool satisfiable = false;
  ByteRange range;  // when satisfiable, clipped to the representation
};

// range-spec = int-range / suffix-range (§14.1.2; other-range is invalid in bytes), with no
// whitespace inside. An int-range is satisfiable when it starts inside the representation, a
// suffix-range when it asks for at least one byte of a non-empty one.
RangeSpec parseRangeSpec(std::string_view spec, uint64_t size) {
  RangeSpec out;
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return out;
  const std::string_view first_text = spec.substr(0, dash), last_text = spec.substr(dash + 1);
  if (first_text.empty()) {  // suffix-range: the last N bytes
    const auto n = parseNumber(last_text);
    if (!n) return out;
    out.valid = true;
    out.satisfiable = *n > 0 && size > 0;
    if (out.satisfiable) out.range = {*n >= size ? 0 : size - *n, size - 1};
    return out;
  }
  const auto first = parseNumber(first_text);
  if (!first) return out;
  std::optional<uint64_t> last;
  if (!last_text.empty()) {
    last = parseNumber(last_text);
    if (!last || *last < *first) return out;  // last-pos before first-pos is invalid
  }
  out.valid = true;
  out.satisfiable = *first < size;
  if (out.satisfiable) out.range = {*first, last && *last < size ? *last : size - 1};
  return out;
}

}  // namespace

RangeRequest parseRange(std::string_view field, uint64_t size) {
  field = ascii::trimOws(field);
  // ranges-specifier = range-unit "=" range-set: the unit is a token, so "BYTES = 5-5" is no
  // ranges-specifier at all, and the set starts right after "=".
  constexpr std::string_view kUnit = "bytes";
  if (field.size() <= kUnit.size() || field[kUnit.size()] != '=' ||
      !ascii::iequals(field.substr(0, kUnit.size()), kUnit))
    return {};
  std::string_view set = field.substr(kUnit.size() + 1);
  if (set.empty() || ascii::isOws(set.front())) return {};
  // range-set = 1#range-spec: OWS around commas and empty elements are allowed (§5.6.1), one
  // invalid range-spec makes the whole field invalid.
  size_t specs = 0, satisfiable = 0;
  ByteRange found;
  while (true) {
    const size_t comma = set.find(',');
    const std::string_view spec = ascii::trimOws(set.substr(0, comma));
    if (!spec.empty()) {
      if (++specs > kMaxRanges) return {};
      const RangeSpec s = parseRangeSpec(spec, size);
      if (!s.valid) return {};
      if (s.satisfiable && satisfiable++ == 0) found = s.range;
    }
    if (comma == std::string_view::npos) break;
    set.remove_prefix(comma + 1);
  }
  if (specs == 0) return {};
  if (satisfiable == 0) return {RangeKind::Unsatisfiable, {}};
  if (satisfiable > 1) return {RangeKind::Multiple, {}};
  return {RangeKind::Single, found};
}

}  // namespace gatehouse::http
