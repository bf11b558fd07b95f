#include "config/units.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>

namespace gatehouse::config {
namespace {

struct Unit {
  std::string_view suffix;
  uint64_t factor;
};

constexpr std::array<Unit, 4> kDurationUnits{{
    {"ms", 1},
    {"s", 1000},
    {"m", 60 * 1000},
    {"h", 3600 * 1000},
}};

constexpr std::array<Unit, 5> kSizeUnits{{
    {"", 1},
    {"B", 1},
    {"KiB", uint64_t{1} << 10},
    {"MiB", uint64_t{1} << 20},
    {"GiB", uint64_t{1} << 30},
}};

// A number with a unit, split but not yet checked.
struct Quantity {
  uint64_t number = 0;
  std::string_view unit;
};

// Splits "10s" into 10 and "s". `what` names the kind of value for messages ("duration").
Result<Quantity> splitQuantity(std::string_view text, std::string_view what,
                               std::string_view example) {
  if (text.empty()) return Error{fmt::format("bad {} \"\": empty (like {})", what, example)};
  if (text.front() == '-')
    return Error{fmt::format("bad {} \"{}\": must not be negative", what, text)};
  Quantity q;
  const char* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(text.data(), end, q.number);
  if (ec == std::errc::invalid_argument)
    return Error{
        fmt::format("bad {} \"{}\": expected a whole number (like {})", what, text, example)};
  if (ec == std::errc::result_out_of_range)
    return Error{fmt::format("bad {} \"{}\": too large", what, text)};
  q.unit = std::string_view(rest, static_cast<size_t>(end - rest));
  if (!q.unit.empty() && (q.unit.front() == '.' || q.unit.front() == ','))
    return Error{
        fmt::format("bad {} \"{}\": fractions are not supported; use a smaller unit", what, text)};
  return q;
}

// number * factor, or nullopt past `max`.
std::optional<uint64_t> scale(uint64_t number, uint64_t factor, uint64_t max) {
  if (number > max / factor) return std::nullopt;
  return number * factor;
}

}  // namespace

Result<Duration> parseDuration(std::string_view text) {
  auto q = splitQuantity(text, "duration", "10s");
  if (!q) return q.error();
  if (q->unit.empty())
    return Error{fmt::format("bad duration \"{}\": needs a unit (ms, s, m or h)", text)};
  for (const Unit& u : kDurationUnits) {
    if (u.suffix != q->unit) continue;
    auto ms = scale(q->number, u.factor, static_cast<uint64_t>(kMaxDuration.count()));
    if (!ms) return Error{fmt::format("bad duration \"{}\": too large (at most 8760h)", text)};
    return Duration(static_cast<Duration::rep>(*ms));
  }
  return Error{
      fmt::format("bad duration \"{}\": unknown unit \"{}\" (use ms, s, m or h)", text, q->unit)};
}

Result<ByteSize> parseByteSize(std::string_view text) {
  auto q = splitQuantity(text, "size", "8KiB");
  if (!q) return q.error();
  for (const Unit& u : kSizeUnits) {
    if (u.suffix != q->unit) continue;
    auto bytes = scale(q->number, u.factor, kMaxByteSize.bytes());
    if (!bytes) return Error{fmt::format("bad size \"{}\": too large (at most 1048576GiB)", text)};
    return ByteSize(*bytes);
  }
  return Error{fmt::format(
      "bad size \"{}\": unknown unit \"{}\" (use KiB, MiB or GiB, or a number of bytes)", text,
      q->unit)};
}

std::string formatByteSize(ByteSize size) {
  uint64_t n = size.bytes();
  // Largest unit first; a zero size is just "0".
  for (auto it = kSizeUnits.rbegin(); it != kSizeUnits.rend(); ++it) {
    if (it->factor == 1 || n == 0) break;
    if (n % it->factor == 0) return fmt::format("{}{}", n / it->factor, it->suffix);
  }
  return fmt::format("{}", n);
}

}  // namespace gatehouse::config
