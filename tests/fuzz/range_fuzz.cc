// Fuzzes http::parseRange(), the one Range parser (static files and the cache's hits): the
// first 8 bytes are the representation's size, the rest is the Range field value. A Single range
// must lie inside the representation and be non-empty; a field that parses must parse the same
// once surrounded by optional whitespace, and with its unit in capitals (§14.1).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "proxy/http/byte_range.h"
#include "tests/fuzz/fuzz_support.h"

using gatehouse::http::parseRange;
using gatehouse::http::RangeKind;
using gatehouse::http::RangeRequest;

namespace {

bool same(const RangeRequest& a, const RangeRequest& b) {
  if (a.kind != b.kind) return false;
  return a.kind != RangeKind::Single ||
         (a.range.first == b.range.first && a.range.last == b.range.last);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  uint64_t length = 0;
  std::memcpy(&length, data, 8);
  length %= (uint64_t{1} << 40);  // representations up to 1 TiB
  const gatehouse::fuzz::ExactCopy copy(
      std::string_view(reinterpret_cast<const char*>(data) + 8, size - 8));
  const std::string_view field = copy.view();
  const RangeRequest r = parseRange(field, length);
  if (r.kind == RangeKind::Single) {
    FUZZ_CHECK(r.range.first <= r.range.last && r.range.last < length);
    FUZZ_CHECK(r.range.length() > 0 && r.range.length() <= length);
  }
  if (length > 0 && field.starts_with("bytes=0-")) {
    // "bytes=0-..." always starts inside a non-empty representation.
    FUZZ_CHECK(r.kind != RangeKind::Unsatisfiable);
  }
  const std::string text(field);
  FUZZ_CHECK(same(parseRange(" " + text + "\t", length), r));
  if (text.starts_with("bytes=")) FUZZ_CHECK(same(parseRange("BYTES" + text.substr(5), length), r));
  return 0;
}
