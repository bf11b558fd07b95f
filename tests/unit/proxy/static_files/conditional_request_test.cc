// Preconditions (RFC 9110 §13): If-None-Match before If-Modified-Since; If-Range.
#include "proxy/static_files/conditional_request.h"

#include <gtest/gtest.h>

#include "proxy/static_files/http_date.h"

namespace gatehouse::static_files {
namespace {

constexpr std::time_t kModified = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
const Validators kCurrent{"\"abc\"", kModified};

http::HeaderMap headers(std::initializer_list<std::pair<const char*, const char*>> fields) {
  http::HeaderMap h;
  for (auto [n, v] : fields)
    h.add(n, v);
  return h;
}

TEST(ConditionalRequest, IfNoneMatchUsesWeakComparison) {
  EXPECT_TRUE(isNotModified(headers({{"If-None-Match", "\"abc\""}}), kCurrent));
  EXPECT_TRUE(isNotModified(headers({{"If-None-Match", "W/\"abc\""}}), kCurrent));
  EXPECT_TRUE(isNotModified(headers({{"If-None-Match", "\"x\", \"abc\""}}), kCurrent));
  EXPECT_TRUE(
      isNotModified(headers({{"If-None-Match", "\"x\""}, {"If-None-Match", "\"abc\""}}), kCurrent));
  EXPECT_TRUE(isNotModified(headers({{"If-None-Match", "*"}}), kCurrent));
  EXPECT_FALSE(isNotModified(headers({{"If-None-Match", "\"abcd\""}}), kCurrent));
}

TEST(ConditionalRequest, IfNoneMatchWinsOverIfModifiedSince) {
  EXPECT_FALSE(isNotModified(
      headers({{"If-None-Match", "\"x\""}, {"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}),
      kCurrent));
}

TEST(ConditionalRequest, IfModifiedSince) {
  EXPECT_TRUE(
      isNotModified(headers({{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}), kCurrent));
  EXPECT_TRUE(
      isNotModified(headers({{"If-Modified-Since", "Mon, 07 Nov 1994 00:00:00 GMT"}}), kCurrent));
  EXPECT_FALSE(
      isNotModified(headers({{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:36 GMT"}}), kCurrent));
  EXPECT_FALSE(isNotModified(headers({{"If-Modified-Since", "yesterday"}}), kCurrent));
  EXPECT_FALSE(isNotModified(headers({}), kCurrent));
}

TEST(ConditionalRequest, IfRangeNeedsAStrongMatchOrTheExactDate) {
  EXPECT_TRUE(ifRangeAllows(headers({}), kCurrent));
  EXPECT_TRUE(ifRangeAllows(headers({{"If-Range", "\"abc\""}}), kCurrent));
  EXPECT_FALSE(ifRangeAllows(headers({{"If-Range", "W/\"abc\""}}), kCurrent));
  EXPECT_FALSE(ifRangeAllows(headers({{"If-Range", "\"old\""}}), kCurrent));
  EXPECT_TRUE(ifRangeAllows(headers({{"If-Range", "Sun, 06 Nov 1994 08:49:37 GMT"}}), kCurrent));
  EXPECT_FALSE(ifRangeAllows(headers({{"If-Range", "Sun, 06 Nov 1994 08:49:38 GMT"}}), kCurrent));
}

TEST(HttpDate, FormatsImfFixdateAndParsesAllThreeForms) {
  EXPECT_EQ(formatHttpDate(kModified), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), kModified);
  EXPECT_EQ(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), kModified);
  EXPECT_EQ(parseHttpDate("Sun Nov  6 08:49:37 1994"), kModified);
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT+1"), std::nullopt);
  EXPECT_EQ(parseHttpDate("Sun, 06 Foo 1994 08:49:37 GMT"), std::nullopt);
  EXPECT_EQ(parseHttpDate(""), std::nullopt);
}

}  // namespace
}  // namespace gatehouse::static_files
