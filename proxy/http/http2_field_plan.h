#pragma once
// What HTTP/2 needs to know of "Name: value\r\n" field lines (field_lines.h), worked out once:
// per line the lengths of its name and value, and which of the names HTTP/2 treats apart it is
// (dropped, never indexed, or sent as a static lowercase spelling). A stored response keeps the
// plan of its fields beside them (CachedObject::http2Fields), so that each HTTP/2 hit turns the
// lines into nghttp2_nv without searching them again (Http2ResponseFields): no memchr per line,
// no name lookup. Three bytes a line. Nothing here includes nghttp2: the cache builds plans.

#include <cstdint>
#include <cstring>
#include <iterator>
#include <span>
#include <string_view>
#include <vector>

namespace gatehouse::http {

// The names HTTP/2 treats apart, by what it does with them (RFC 9113 §8.2.2 for Drop).
enum class Http2NameRole : uint8_t { Keep, Drop, NoIndex };

struct Http2KnownName {
  std::string_view lower;  // lowercase spelling, lives as long as the process
  Http2NameRole role = Http2NameRole::Keep;
};

// The known names, numbered from 1 (0: not a known name, kept as it is), sorted by length: a
// name is compared with those of its own length only.
inline constexpr Http2KnownName kHttp2KnownNames[] = {
    {},
    {"te", Http2NameRole::Drop},
    {"age"},
    {"via"},
    {"date"},
    {"etag"},
    {"vary"},
    {"link"},
    {"server"},
    {"upgrade", Http2NameRole::Drop},
    {"expires"},
    {"location"},
    {"connection", Http2NameRole::Drop},
    {"keep-alive", Http2NameRole::Drop},
    {"set-cookie"},
    {"content-type"},
    {"cache-status"},
    // X-Request-Id is new in every response, so HPACK must not index it: each entry would evict
    // a reusable one (server, content-type, via) from the 4 KiB dynamic table, and nghttp2
    // compares each new value against every indexed one of that name (a memcmp per entry,
    // dozens per response once the table is full of ids).
    {"x-request-id", Http2NameRole::NoIndex},
    {"cache-control"},
    {"last-modified"},
    {"accept-ranges"},
    {"content-length", Http2NameRole::Drop},  // the codec writes its own (RFC 9113 §8.1.1)
    {"proxy-connection", Http2NameRole::Drop},
    {"content-encoding"},
    {"transfer-encoding", Http2NameRole::Drop},
    {"strict-transport-security"},
};
inline constexpr size_t kHttp2KnownNameCount = std::size(kHttp2KnownNames);
static_assert(kHttp2KnownNameCount < 256, "ids are bytes");

// The number of a known name (1..), or 0: `name` is not one of them (any case).
uint8_t http2KnownNameId(std::string_view name);
// The known name numbered `id`; 0 (or out of range) reads as an unknown name kept as it is.
inline const Http2KnownName& http2KnownName(uint8_t id) {
  return kHttp2KnownNames[id < kHttp2KnownNameCount ? id : 0];
}

// One line of a plan: three bytes (a stored object keeps one per field). A known name's length
// is its spelling's; an unknown name (name_id 0, rare in responses) ends at the line's first ':'.
// Only bytes, so a plan can sit unaligned inside a stored object's text.
struct Http2PlannedField {
  // A value this long or longer (up to the 64 KiB of a whole head) is found by its line's end.
  static constexpr size_t kLongValue = 0xffff;

  uint8_t name_id = 0;  // http2KnownNameId of the name, 0: not a known one
  uint8_t value_length_low = 0;
  uint8_t value_length_high = 0;

  static constexpr Http2PlannedField of(uint8_t name_id, size_t value_length) {
    const size_t n = value_length < kLongValue ? value_length : kLongValue;
    return {name_id, static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8)};
  }
  size_t valueLength() const { return value_length_low | size_t{value_length_high} << 8; }
};

// The next "Name: value\r\n" line at `at` (before `end`): its name and value, and `at` moved past
// it; false at the end or at a line not of that form. One memchr for the line's end and one for
// its colon (forEachFieldLine's two searches by string cost twice as much). Names hold no ':'
// and values no CR or LF (both parsers guarantee it), so the split is exact.
inline bool nextFieldLine(const char*& at, const char* end, std::string_view& name,
                          std::string_view& value) {
  if (at >= end) return false;
  const auto* eol = static_cast<const char*>(std::memchr(at, '\n', end - at));
  if (!eol) return false;
  const auto* colon = static_cast<const char*>(std::memchr(at, ':', eol - at));
  if (!colon || eol - colon < 3 || colon[1] != ' ' || eol[-1] != '\r') return false;
  name = std::string_view(at, colon - at);
  value = std::string_view(colon + 2, eol - 1 - (colon + 2));
  at = eol + 1;
  return true;
}

// The plan of `lines` (appendFieldLine's form), a field an entry, in order.
std::vector<Http2PlannedField> planHttp2Fields(std::string_view lines);

// The number of a known name, worked out by the compiler: `lower` must be one of them.
consteval uint8_t http2KnownNameIdOf(std::string_view lower) {
  for (size_t id = 1; id < kHttp2KnownNameCount; ++id)
    if (kHttp2KnownNames[id].lower == lower) return static_cast<uint8_t>(id);
  throw "not a known name";
}

// A plan as a response head carries it (ResponseHead::http2_fields): the first lines of
// head.preformatted, one entry each, in two runs: a stored object's lines, then those its hit
// adds (each run covers all of its lines, so the second starts where the first ends).
struct Http2FieldPlan {
  std::span<const Http2PlannedField> first;
  std::span<const Http2PlannedField> then;

  bool empty() const { return first.empty() && then.empty(); }
};

}  // namespace gatehouse::http
