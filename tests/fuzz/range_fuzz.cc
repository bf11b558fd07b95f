// Fuzzes parseRange(): the first 8 bytes are the representation's size, the rest is the Range
// field value. A Single range must lie inside the representation and be non-empty; a header
// that parses must parse the same once surrounded by optional whitespace.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "proxy/static_files/byte_range.h"

using gatehouse::static_files::parseRange;
using gatehouse::static_files::RangeKind;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  uint64_t length = 0;
  std::memcpy(&length, data, 8);
  length %= (uint64_t{1} << 40);  // files up to 1 TiB
  const std::string header(reinterpret_cast<const char*>(data) + 8, size - 8);
  const auto r = parseRange(header, length);
  if (r.kind == RangeKind::Single) {
    if (r.range.first > r.range.last || r.range.last >= length) std::abort();
    if (r.range.length() == 0 || r.range.length() > length) std::abort();
  }
  if (r.kind == RangeKind::Unsatisfiable && length > 0 && header.find("bytes=0-") == 0) {
    // "bytes=0-..." always starts inside a non-empty file: it cannot be unsatisfiable.
    std::abort();
  }
  const auto padded = parseRange(" " + header + "\t", length);
  if (padded.kind != r.kind) std::abort();
  if (r.kind == RangeKind::Single &&
      (padded.range.first != r.range.first || padded.range.last != r.range.last))
    std::abort();
  return 0;
}
