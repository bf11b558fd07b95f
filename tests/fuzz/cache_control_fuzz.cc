// Fuzzes the cache's parsers of request and response fields: Cache-Control, Vary keys and the
// key normaliser. None may crash or read out of bounds. (HTTP-date, Range and the preconditions
// are http/'s rules, fuzzed once by http_date_fuzz.cc and range_fuzz.cc.)
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cache/cache_control.h"
#include "cache/cache_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gatehouse;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  cache::CacheControl cc;
  cache::parseCacheControlValue(input, cc);

  http::HeaderMap headers;
  headers.add("Accept-Encoding", input);
  headers.add("Vary", input);
  (void)cache::varyKey(cache::varyFields(headers), headers);
  (void)cache::normalizeTarget(input);
  (void)cache::primaryKeyFromUrl(input);
  return 0;
}
