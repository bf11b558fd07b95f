// Fuzzes the targeted-field parser (RFC 9213 over RFC 8941 Dictionaries, as CDN-Cache-Control
// is read): no crash or read past the value, and the verdicts the RFCs fix:
//   - leading and trailing SP do not change it (RFC 8941 §4.2);
//   - a field sent as two lines is the lines joined by ", " (RFC 8941 §4.2, RFC 9110 §5.3), and
//     two valid Dictionaries joined so are one valid Dictionary;
//   - a valid value yields a targeted CacheControl whose delta-seconds stay within 2^31;
//   - without a valid targeted field, Cache-Control alone applies (RFC 9213 §2.2).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cache/targeted_cache_control.h"
#include "fuzz_support.h"

namespace {

using gatehouse::cache::CacheControl;

bool same(const std::optional<CacheControl>& a, const std::optional<CacheControl>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->max_age == b->max_age && a->s_maxage == b->s_maxage &&
         a->stale_while_revalidate == b->stale_while_revalidate &&
         a->stale_if_error == b->stale_if_error && a->no_store == b->no_store &&
         a->no_cache == b->no_cache && a->private_ == b->private_ && a->public_ == b->public_ &&
         a->must_revalidate == b->must_revalidate && a->proxy_revalidate == b->proxy_revalidate &&
         a->immutable == b->immutable && a->targeted == b->targeted;
}

bool withinDelta(const std::optional<uint32_t>& v) {
  return !v || *v <= gatehouse::cache::kDeltaSecondsMax;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gatehouse;
  // The first byte says where to split the value into two field lines; the rest is the value.
  const size_t split_at = size > 0 ? data[0] : 0;
  const fuzz::ExactCopy copy(
      std::string_view(reinterpret_cast<const char*>(data), size).substr(size > 0 ? 1 : 0));
  const std::string_view value = copy.view();

  const std::optional<CacheControl> parsed = cache::parseTargetedCacheControl(value);
  if (parsed) {
    FUZZ_CHECK(parsed->targeted);
    FUZZ_CHECK(withinDelta(parsed->max_age) && withinDelta(parsed->s_maxage) &&
               withinDelta(parsed->stale_while_revalidate) && withinDelta(parsed->stale_if_error));
  }
  FUZZ_CHECK(same(parsed, cache::parseTargetedCacheControl(" " + std::string(value) + "  ")));

  const std::string targets[] = {"cdn-cache-control"};
  if (value.find_first_of("\r\n") == std::string_view::npos) {
    const size_t k = split_at % (value.size() + 1);
    http::HeaderMap two_lines;
    two_lines.add("CDN-Cache-Control", value.substr(0, k));
    two_lines.add("cdn-cache-control", value.substr(k));
    const std::string joined =
        std::string(value.substr(0, k)) + ", " + std::string(value.substr(k));
    const std::optional<CacheControl> as_one = cache::parseTargetedCacheControl(joined);
    FUZZ_CHECK(same(cache::targetedCacheControl(two_lines, targets), as_one));
    if (cache::parseTargetedCacheControl(value.substr(0, k)) &&
        cache::parseTargetedCacheControl(value.substr(k)))
      FUZZ_CHECK(as_one.has_value());
  }

  http::HeaderMap headers;
  headers.add("Cache-Control", value);
  const CacheControl plain = cache::responseCacheControl(headers, targets);
  FUZZ_CHECK(!plain.targeted);
  headers.add("CDN-Cache-Control", value);
  FUZZ_CHECK(same(cache::responseCacheControl(headers, targets),
                  parsed ? parsed : std::optional<CacheControl>(plain)));
  return 0;
}
