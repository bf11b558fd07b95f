// Fuzzes http::parseHttpDate(), the one HTTP-date parser (the cache's Date, Expires and
// Last-Modified; static files' validators), and the preconditions that read dates and
// entity-tags (http::isNotModified, http::ifRangeAllows) with the input as every field and
// validator. None may crash or read out of bounds; a formatted date must parse back to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/http/conditional.h"
#include "proxy/http/http_date.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gatehouse;
  const fuzz::ExactCopy copy(std::string_view(reinterpret_cast<const char*>(data), size));
  const std::string_view input = copy.view();

  if (auto t = http::parseHttpDate(input)) {
    if (*t >= 0 && *t < 253402300800) {  // years 1970..9999 round-trip
      const std::string formatted = http::formatHttpDate(*t);
      const auto again = http::parseHttpDate(formatted);
      FUZZ_CHECK(again && *again == *t);
    }
  }

  http::HeaderMap headers;
  headers.add("If-None-Match", input);
  headers.add("If-Modified-Since", input);
  headers.add("If-Range", input);
  const http::Validators current{input, input};
  (void)http::isNotModified(headers, current);
  (void)http::ifRangeAllows(headers, current);
  http::HeaderMap since_only;
  since_only.add("If-Modified-Since", input);
  (void)http::isNotModified(since_only, current);
  return 0;
}
