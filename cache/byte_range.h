#pragma once
// The Range request field (RFC 9110 §14.2) for one byte range over a representation of known
// length. Multiple ranges are answered with the whole representation (200), which §14.2 allows
// and which avoids multipart/byteranges' well-known amplification tricks.

#include <cstdint>
#include <string_view>

namespace gatehouse::cache {

struct ByteRange {
  enum class Kind {
    Whole,          // no usable Range: send everything (absent, not bytes=, several ranges)
    Partial,        // 206 with first..last
    Unsatisfiable,  // 416 with Content-Range: bytes */length
  };
  Kind kind = Kind::Whole;
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
};

ByteRange parseByteRange(std::string_view range, uint64_t length);

}  // namespace gatehouse::cache
