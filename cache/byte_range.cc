#include "cache/byte_range.h"

#include <optional>

#include "proxy/base/ascii.h"

namespace gatehouse::cache {
namespace {
std::optional<uint64_t> digits(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}
}  // namespace

ByteRange parseByteRange(std::string_view range, uint64_t length) {
  range = ascii::trimOws(range);
  constexpr std::string_view kUnit = "bytes=";
  if (range.size() < kUnit.size() || !ascii::iequals(range.substr(0, kUnit.size()), kUnit))
    return {};
  std::string_view spec = ascii::trimOws(range.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return {};  // several ranges: whole
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  std::string_view a = ascii::trimOws(spec.substr(0, dash));
  std::string_view b = ascii::trimOws(spec.substr(dash + 1));
  if (a.empty()) {
    // Suffix: the last N bytes.
    auto n = digits(b);
    if (!n) return {};
    if (*n == 0 || length == 0) return {ByteRange::Kind::Unsatisfiable, 0, 0};
    uint64_t count = *n < length ? *n : length;
    return {ByteRange::Kind::Partial, length - count, length - 1};
  }
  auto first = digits(a);
  if (!first) return {};
  std::optional<uint64_t> last;
  if (!b.empty()) {
    last = digits(b);
    if (!last || *last < *first) return {};  // invalid: ignore the Range (§14.2)
  }
  if (*first >= length) return {ByteRange::Kind::Unsatisfiable, 0, 0};
  uint64_t end = last && *last < length ? *last : length - 1;
  return {ByteRange::Kind::Partial, *first, end};
}

}  // namespace gatehouse::cache
