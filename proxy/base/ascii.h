#pragma once
// Character classes of RFC 9110 §5.6 and case-insensitive comparison, with no locale.

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace gatehouse::ascii {

namespace detail {
constexpr std::array<bool, 256> makeTokenTable() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c)
    t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c)
    t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c)
    t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~"))
    t[static_cast<uint8_t>(c)] = true;
  return t;
}
inline constexpr std::array<bool, 256> kTokenTable = makeTokenTable();
}  // namespace detail

// tchar of RFC 9110 §5.6.2.
constexpr bool isTokenChar(char c) {
  return detail::kTokenTable[static_cast<uint8_t>(c)];
}

constexpr bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!isTokenChar(c)) return false;
  return true;
}

constexpr char toLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

namespace detail {
constexpr uint64_t kEachByte = 0x0101010101010101;

// Eight bytes lowercased at once (ASCII letters only; bytes from 0x80 are left alone): a byte's
// bit 7 is borrowed as the flag of "at least 'A'" and of "above 'Z'", which no carry can cross
// since the byte was first cut to seven bits.
inline uint64_t toLower8(uint64_t x) {
  const uint64_t seven_bits = x & (kEachByte * 0x7F);
  const uint64_t from_a = seven_bits + kEachByte * (0x80 - 'A');
  const uint64_t past_z = seven_bits + kEachByte * (0x80 - 'Z' - 1);
  const uint64_t upper = from_a & ~past_z & ~x & (kEachByte * 0x80);
  return x | (upper >> 2);  // 0x80 >> 2 == 'a' - 'A'
}

// Up to eight bytes of `p` (n >= 4) as one word: two loads that may overlap, so that no byte
// outside [p, p + n) is read.
inline uint64_t loadShort(const char* p, size_t n) {
  uint32_t low = 0, high = 0;
  std::memcpy(&low, p, 4);
  std::memcpy(&high, p + n - 4, 4);
  return low | (uint64_t{high} << 32);
}
inline uint64_t load8(const char* p) {
  uint64_t v = 0;
  std::memcpy(&v, p, 8);
  return v;
}
}  // namespace detail

// Case-insensitive ASCII equality. Field names are compared on every request, so at run time
// eight bytes are compared per step (a byte at a time took ten instructions a byte). Always
// inlined: against a literal, as nearly every call is, the literal's words fold to constants.
[[gnu::always_inline]] constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const size_t n = a.size();
  if (std::is_constant_evaluated() || n < 4) {
    for (size_t i = 0; i < n; ++i)
      if (toLower(a[i]) != toLower(b[i])) return false;
    return true;
  }
  // Most comparisons that fail (a name against the fields of a head) fail at the first byte.
  if (toLower(a[0]) != toLower(b[0])) return false;
  using detail::load8;
  using detail::toLower8;
  if (n < 8)
    return toLower8(detail::loadShort(a.data(), n)) == toLower8(detail::loadShort(b.data(), n));
  for (size_t i = 0; i + 8 < n; i += 8)
    if (toLower8(load8(a.data() + i)) != toLower8(load8(b.data() + i))) return false;
  // The last eight bytes, overlapping the previous step where n is not a multiple of eight.
  return toLower8(load8(a.data() + n - 8)) == toLower8(load8(b.data() + n - 8));
}

// The value of a hex digit, or -1.
constexpr int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr bool isOws(char c) {
  return c == ' ' || c == '\t';
}

constexpr std::string_view trimOws(std::string_view s) {
  while (!s.empty() && isOws(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && isOws(s.back()))
    s.remove_suffix(1);
  return s;
}

// Calls f(element) for each element of a comma-separated list (RFC 9110 §5.6.1), trimmed, empty
// elements skipped.
template <typename F>
constexpr void forEachListElement(std::string_view list, F&& f) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = trimOws(list.substr(0, comma));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace gatehouse::ascii
