#pragma once
// The Range header of a GET (RFC 9110 §14.1.2), against a representation of `size` bytes.
// Pure and fuzzed (tests/fuzz/range_fuzz.cc). Decisions:
//   - a header that does not parse, or whose unit is not "bytes", is ignored: 200 (§14.2);
//   - one satisfiable range: 206 with it;
//   - several satisfiable ranges: 200 with the whole file (allowed by §14.2; multipart/byteranges
//     is rarely used and a classic amplification vector);
//   - none satisfiable: 416 with Content-Range: bytes */size.

#include <cstdint>
#include <string_view>

namespace gatehouse::static_files {

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  uint64_t length() const { return last - first + 1; }
};

enum class RangeKind { None, Single, Multiple, Unsatisfiable };

struct RangeRequest {
  RangeKind kind = RangeKind::None;
  ByteRange range;  // for Single
};

// At most this many ranges are looked at; a longer list is ignored (200).
inline constexpr size_t kMaxRanges = 64;

RangeRequest parseRange(std::string_view header, uint64_t size);

}  // namespace gatehouse::static_files
