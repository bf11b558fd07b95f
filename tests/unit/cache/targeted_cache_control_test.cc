// Targeted cache control (RFC 9213), one row per rule with its section (issue 15, item 3).
#include "cache/targeted_cache_control.h"

#include <gtest/gtest.h>

#include "cache/freshness.h"
#include "proxy/http/http_date.h"

namespace gatehouse::cache {
namespace {

constexpr int64_t kNow = 1700000000;
const std::string kCdn[] = {"CDN-Cache-Control"};
const std::string kOwnFirst[] = {"Gatehouse-Cache-Control", "CDN-Cache-Control"};

http::ResponseHead response(std::initializer_list<std::pair<const char*, std::string>> fields) {
  http::ResponseHead head;
  head.status = 200;
  for (const auto& [name, value] : fields)
    head.headers.add(name, value);
  return head;
}

TEST(TargetedCacheControl, ParsingTable) {
  struct Row {
    const char* section;
    const char* value;
    bool valid;
    std::optional<uint32_t> max_age = std::nullopt;
  };
  const Row rows[] = {
      {"RFC 9213 §2.1", "max-age=60", true, 60},
      {"RFC 8941 §3.2", "max-age=60, private", true, 60},
      {"RFC 8941 §4.2", "  max-age=60  ", true, 60},
      {"RFC 8941 §3.2 parameters are allowed", "max-age=60;foo=bar, x;y", true, 60},
      {"RFC 8941 §3.2 a later duplicate wins", "max-age=1, max-age=60", true, 60},
      {"RFC 9213 §2.1 extension directives are ignored", "max-age=60, gatehouse-x=\"a\"", true, 60},
      {"RFC 9213 §2.1 wrong type (String) not consumed", "max-age=\"60\"", true},
      {"RFC 9213 §2.1 wrong type (Decimal) not consumed", "max-age=60.5", true},
      {"RFC 9213 §2.1 negative not consumed", "max-age=-1", true},
      {"RFC 9213 §2.1 a registered but unused name is valid", "none", true},
      {"RFC 8941 §4.2 invalid: unknown type", "max-age=10000, &&&&&", false},
      {"RFC 8941 §4.2 invalid: uppercase key", "MaX-aGe=60", false},
      {"RFC 8941 §4.2 invalid: trailing comma", "max-age=60,", false},
      {"RFC 8941 §4.2 invalid: unterminated string", "max-age=60, a=\"x", false},
      {"RFC 8941 §4.2.4 invalid: integer of 16 digits", "max-age=1234567890123456", false},
      {"RFC 9213 §2.2 empty is no field", "", false},
  };
  for (const Row& row : rows) {
    std::optional<CacheControl> cc = parseTargetedCacheControl(row.value);
    EXPECT_EQ(cc.has_value(), row.valid) << row.section << ": " << row.value;
    if (cc) {
      EXPECT_EQ(cc->max_age, row.max_age) << row.section << ": " << row.value;
      EXPECT_TRUE(cc->targeted);
    }
  }
}

TEST(TargetedCacheControl, DirectivesTable) {
  auto cc = parseTargetedCacheControl(
      "s-maxage=5, no-store, no-cache, private, must-revalidate, proxy-revalidate, "
      "stale-while-revalidate=7, stale-if-error=9");
  ASSERT_TRUE(cc);
  EXPECT_EQ(cc->s_maxage, 5u);
  EXPECT_TRUE(cc->no_store);
  EXPECT_TRUE(cc->no_cache);
  EXPECT_TRUE(cc->private_);
  EXPECT_TRUE(cc->must_revalidate);
  EXPECT_TRUE(cc->proxy_revalidate);
  EXPECT_EQ(cc->stale_while_revalidate, 7u);
  EXPECT_EQ(cc->stale_if_error, 9u);
  EXPECT_FALSE(parseTargetedCacheControl("no-store=?0")->no_store) << "RFC 8941 Boolean false";
  EXPECT_EQ(parseTargetedCacheControl("max-age=99999999999")->max_age, kDeltaSecondsMax);
}

TEST(TargetedCacheControl, FreshnessTable) {
  const std::string future = http::formatHttpDate(kNow + 3600);
  struct Row {
    const char* section;
    const char* rule;
    http::ResponseHead head;
    std::span<const std::string> targets;
    int64_t lifetime;
    NotStorable storable = NotStorable::None;
  };
  const Row rows[] = {
      {"RFC 9213 §2.2", "overrides a long Cache-Control max-age",
       response({{"Cache-Control", "max-age=3600"}, {"CDN-Cache-Control", "max-age=10"}}), kCdn,
       10},
      {"RFC 9213 §2.2", "overrides a short Cache-Control max-age",
       response({{"Cache-Control", "max-age=1"}, {"CDN-Cache-Control", "max-age=600"}}), kCdn, 600},
      {"RFC 9213 §2.2", "replaces Expires too",
       response({{"CDN-Cache-Control", "max-age=0"},
                 {"Expires", future},
                 {"Date", http::formatHttpDate(kNow)}}),
       kCdn, 0},
      {"RFC 9213 §2.2", "no-store in it: not stored despite Cache-Control",
       response({{"Cache-Control", "max-age=3600"}, {"CDN-Cache-Control", "no-store"}}), kCdn, 0,
       NotStorable::NoStore},
      {"RFC 9213 §2.2", "a fresh one stores what Cache-Control forbids",
       response({{"Cache-Control", "no-store"}, {"CDN-Cache-Control", "max-age=60"}}), kCdn, 60},
      {"RFC 9213 §2.2", "private in it: not stored",
       response({{"Cache-Control", "max-age=3600"}, {"CDN-Cache-Control", "private"}}), kCdn, 0,
       NotStorable::Private},
      {"RFC 9213 §2.2", "no-cache in it: stored, validated before each use",
       response({{"Cache-Control", "max-age=3600"}, {"CDN-Cache-Control", "no-cache"}}), kCdn, 0},
      {"RFC 9213 §2.2", "invalid: ignored whole, Cache-Control applies",
       response({{"Cache-Control", "no-store"}, {"CDN-Cache-Control", "max-age=10000, &&&&&"}}),
       kCdn, 0, NotStorable::NoStore},
      {"RFC 9213 §2.2", "the first valid target in list order wins",
       response({{"CDN-Cache-Control", "max-age=60"}, {"Gatehouse-Cache-Control", "max-age=5"}}),
       kOwnFirst, 5},
      {"RFC 9213 §2.2", "an invalid first target falls to the next",
       response({{"CDN-Cache-Control", "max-age=60"}, {"Gatehouse-Cache-Control", "MAX-AGE=5"}}),
       kOwnFirst, 60},
      {"RFC 9213 §2.2", "a field not in the list is Cache-Control's business",
       response({{"Cache-Control", "max-age=3600"}, {"Gatehouse-Cache-Control", "max-age=5"}}),
       kCdn, 3600},
  };
  for (const Row& row : rows) {
    const CacheControl cc = responseCacheControl(row.head.headers, row.targets);
    http::RequestHead get;
    get.method = "GET";
    FreshnessPolicy policy;
    policy.targeted_fields = row.targets;
    EXPECT_EQ(checkStorable(get, {}, row.head, cc, policy), row.storable)
        << row.section << ": " << row.rule;
    if (row.storable == NotStorable::None) {
      EXPECT_EQ(freshnessLifetime(row.head, cc, kNow, policy), row.lifetime)
          << row.section << ": " << row.rule;
    }
  }
}

}  // namespace
}  // namespace gatehouse::cache
