#pragma once
// The Range request field of a GET (RFC 9110 §14.2) in byte ranges (§14.1.2), against a
// representation of `size` bytes. The one copy of this rule: the cache's hits and static files
// both answer with it. Pure, no allocation; fuzzed (tests/fuzz/range_fuzz.cc). Decisions:
//   - a field that is not a valid ranges-specifier (§14.1.1: the unit, compared
//     case-insensitively, then "=" with no whitespace around it, then the range-set), whose
//     unit is not "bytes", or that lists more than kMaxRanges ranges is ignored: 200 (§14.2);
//   - exactly one satisfiable range (§14.1.1): 206 with it, whatever the unsatisfiable others;
//   - several satisfiable ranges: 200 with the whole representation (allowed by §14.2;
//     multipart/byteranges is rarely used and a classic amplification vector);
//   - none satisfiable: 416 with Content-Range: bytes */size (§15.5.17).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gatehouse::http {

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  uint64_t length() const { return last - first + 1; }
};

enum class RangeKind {
  Ignored,        // no usable Range: send everything (200)
  Single,         // 206 with `range`
  Multiple,       // several satisfiable ranges: send everything (200)
  Unsatisfiable,  // 416 with Content-Range: bytes */size
};

struct RangeRequest {
  RangeKind kind = RangeKind::Ignored;
  ByteRange range;  // for Single: inside the representation and not empty
};

// At most this many ranges are looked at; a longer list is ignored (200), as §14.2 allows.
inline constexpr size_t kMaxRanges = 64;

// `field` is the Range field value; OWS around it is ignored.
RangeRequest parseRange(std::string_view field, uint64_t size);

}  // namespace gatehouse::http
