#include "proxy/http/http2_field_plan.h"

#include <array>
#include <cstring>
#include <utility>

namespace gatehouse::http {
namespace {

constexpr const auto& kNames = kHttp2KnownNames;
constexpr size_t kCount = std::size(kNames);
constexpr size_t kLongest = kNames[kCount - 1].lower.size();

constexpr bool sortedByLength() {
  for (size_t i = 2; i < kCount; ++i)
    if (kNames[i].lower.size() < kNames[i - 1].lower.size()) return false;
  return true;
}
static_assert(sortedByLength());

// The ids [first, last) of the names `length` bytes long.
constexpr std::pair<uint8_t, uint8_t> idsOfLength(size_t length) {
  uint8_t first = 1;
  while (first < kCount && kNames[first].lower.size() < length)
    ++first;
  uint8_t last = first;
  while (last < kCount && kNames[last].lower.size() == length)
    ++last;
  return {first, last};
}

// `name` against a lowercase spelling of letters, digits and '-', each of which has bit 0x20
// set: a token character (both parsers let only those into a name) or-ed with 0x20 equals one of
// them only if it is that character in either case. A word at a time: two loads that may
// overlap cover any length from 2 to 16 bytes.
template <typename Word>
bool sameWord(const char* name, const char* lower) {
  Word a, b;
  std::memcpy(&a, name, sizeof a);
  std::memcpy(&b, lower, sizeof b);
  return static_cast<Word>(a | static_cast<Word>(0x2020202020202020ull)) == b;
}

template <size_t N>
bool sameNameLowercase(const char* name, const char* lower) {
  if constexpr (N >= 8) {
    for (size_t i = 0; i + 8 < N; i += 8)
      if (!sameWord<uint64_t>(name + i, lower + i)) return false;
    return sameWord<uint64_t>(name + N - 8, lower + N - 8);
  } else if constexpr (N >= 4) {
    return sameWord<uint32_t>(name, lower) && sameWord<uint32_t>(name + N - 4, lower + N - 4);
  } else if constexpr (N >= 2) {
    return sameWord<uint16_t>(name, lower) && sameWord<uint16_t>(name + N - 2, lower + N - 2);
  } else if constexpr (N == 1) {
    return static_cast<char>(name[0] | 0x20) == lower[0];
  } else {
    return true;
  }
}

template <size_t N>
uint8_t idOfLength(const char* name) {
  constexpr auto ids = idsOfLength(N);
  for (uint8_t id = ids.first; id < ids.second; ++id)
    if (sameNameLowercase<N>(name, kNames[id].lower.data())) return id;
  return 0;
}

// One matcher per length, so that a name costs one indexed call and the comparisons of its
// length (most end at the first word).
using Matcher = uint8_t (*)(const char*);
template <size_t... N>
constexpr std::array<Matcher, sizeof...(N)> matchers(std::index_sequence<N...>) {
  return {&idOfLength<N>...};
}
constexpr auto kMatchers = matchers(std::make_index_sequence<kLongest + 1>());

}  // namespace

uint8_t http2KnownNameId(std::string_view name) {
  return name.size() <= kLongest ? kMatchers[name.size()](name.data()) : 0;
}

std::vector<Http2PlannedField> planHttp2Fields(std::string_view lines) {
  std::vector<Http2PlannedField> plan;
  const char* at = lines.data();
  const char* const end = at + lines.size();
  std::string_view name, value;
  while (nextFieldLine(at, end, name, value))
    plan.push_back(Http2PlannedField::of(http2KnownNameId(name), value.size()));
  return plan;
}

}  // namespace gatehouse::http
