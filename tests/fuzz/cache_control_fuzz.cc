// Fuzzes the cache's parsers of response fields: Cache-Control, HTTP-date (every date field
// goes through it), Vary keys, Range and the key normaliser. None may crash or read out of
// bounds; a formatted date must parse back to itself; a parsed range must lie inside the
// representation.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cache/byte_range.h"
#include "cache/cache_control.h"
#include "cache/cache_key.h"
#include "cache/conditional.h"
#include "cache/http_date.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gatehouse;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  cache::CacheControl cc;
  cache::parseCacheControlValue(input, cc);

  if (auto t = cache::parseHttpDate(input)) {
    if (*t >= 0 && *t < 253402300800) {  // years 1970..9999 round-trip
      std::string formatted = cache::formatHttpDate(*t);
      auto again = cache::parseHttpDate(formatted);
      if (!again || *again != *t) __builtin_trap();
    }
  }

  const uint64_t length = size;
  cache::ByteRange range = cache::parseByteRange(input, length);
  if (range.kind == cache::ByteRange::Kind::Partial &&
      (range.first > range.last || range.last >= length))
    __builtin_trap();

  http::HeaderMap headers;
  headers.add("Accept-Encoding", input);
  headers.add("Vary", input);
  headers.add("If-None-Match", input);
  (void)cache::varyKey(cache::varyFields(headers), headers);
  (void)cache::normalizeTarget(input);
  (void)cache::primaryKeyFromUrl(input);
  (void)cache::isNotModified(headers, input, input);
  return 0;
}
