#include "cache/cache_control.h"

#include <gtest/gtest.h>

namespace gatehouse::cache {
namespace {

CacheControl parse(std::string_view v) {
  CacheControl cc;
  parseCacheControlValue(v, cc);
  return cc;
}

TEST(CacheControl, ReadsDeltaSecondsAndFlags) {
  CacheControl cc = parse("public, max-age=60, s-maxage=\"120\", must-revalidate, immutable");
  EXPECT_EQ(cc.max_age, 60u);
  EXPECT_EQ(cc.s_maxage, 120u);
  EXPECT_TRUE(cc.public_);
  EXPECT_TRUE(cc.must_revalidate);
  EXPECT_TRUE(cc.immutable);
  EXPECT_FALSE(cc.no_store);
}

TEST(CacheControl, NamesAreCaseInsensitiveAndUnknownDirectivesIgnored) {
  CacheControl cc = parse("Max-Age=5, X-Whatever=\"a,b\", NO-STORE");
  EXPECT_EQ(cc.max_age, 5u);
  EXPECT_TRUE(cc.no_store);
}

TEST(CacheControl, QualifiedPrivateAndNoCacheCountAsUnqualified) {
  CacheControl cc = parse("private=\"Set-Cookie\", no-cache=\"X-A, X-B\"");
  EXPECT_TRUE(cc.private_);
  EXPECT_TRUE(cc.no_cache);
}

TEST(CacheControl, ConflictingOrInvalidMaxAgeMeansStale) {
  EXPECT_EQ(parse("max-age=60, max-age=120").max_age, 0u);
  EXPECT_EQ(parse("max-age=abc").max_age, 0u);
  EXPECT_EQ(parse("max-age=60, max-age=60").max_age, 60u);
}

TEST(CacheControl, HugeValuesSaturate) {
  EXPECT_EQ(parse("max-age=99999999999999999999").max_age, kDeltaSecondsMax);  // §1.2.2: 2^31
}

TEST(CacheControl, AccumulatesOverSeveralFieldLines) {
  http::HeaderMap h;
  h.add("Cache-Control", "max-age=10");
  h.add("cache-control", "private");
  CacheControl cc = parseCacheControl(h);
  EXPECT_EQ(cc.max_age, 10u);
  EXPECT_TRUE(cc.private_);
}

TEST(CacheControl, RequestDirectives) {
  CacheControl cc = parse("max-stale, only-if-cached, min-fresh=3");
  EXPECT_EQ(cc.max_stale, UINT32_MAX);
  EXPECT_TRUE(cc.only_if_cached);
  EXPECT_EQ(cc.min_fresh, 3u);
}

}  // namespace
}  // namespace gatehouse::cache
