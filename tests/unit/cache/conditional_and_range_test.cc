#include <gtest/gtest.h>

#include "cache/byte_range.h"
#include "cache/conditional.h"

namespace gatehouse::cache {
namespace {

http::HeaderMap fields(std::initializer_list<std::pair<const char*, const char*>> list) {
  http::HeaderMap h;
  for (const auto& [n, v] : list)
    h.add(n, v);
  return h;
}

constexpr const char* kLm = "Tue, 01 Jan 2030 00:00:00 GMT";

TEST(Conditional, IfNoneMatchUsesWeakComparison) {
  EXPECT_TRUE(isNotModified(fields({{"If-None-Match", "\"a\", W/\"b\""}}), "\"b\"", ""));
  EXPECT_TRUE(isNotModified(fields({{"If-None-Match", "*"}}), "\"x\"", ""));
  EXPECT_FALSE(isNotModified(fields({{"If-None-Match", "\"a\""}}), "\"b\"", ""));
}

TEST(Conditional, IfNoneMatchWinsOverIfModifiedSince) {
  EXPECT_FALSE(isNotModified(fields({{"If-None-Match", "\"old\""},
                                     {"If-Modified-Since", "Wed, 02 Jan 2030 00:00:00 GMT"}}),
                             "\"new\"", kLm));
}

TEST(Conditional, IfModifiedSince) {
  EXPECT_TRUE(isNotModified(fields({{"If-Modified-Since", kLm}}), "", kLm));
  EXPECT_FALSE(
      isNotModified(fields({{"If-Modified-Since", "Mon, 31 Dec 2029 00:00:00 GMT"}}), "", kLm));
  EXPECT_FALSE(isNotModified(fields({{"If-Modified-Since", "garbage"}}), "", kLm));
}

TEST(Conditional, IfRangeNeedsAStrongMatch) {
  EXPECT_TRUE(ifRangeMatches(fields({}), "\"a\"", ""));
  EXPECT_TRUE(ifRangeMatches(fields({{"If-Range", "\"a\""}}), "\"a\"", ""));
  EXPECT_FALSE(ifRangeMatches(fields({{"If-Range", "\"a\""}}), "W/\"a\"", ""));
  EXPECT_TRUE(ifRangeMatches(fields({{"If-Range", kLm}}), "", kLm));
}

TEST(ByteRange, Table) {
  using K = ByteRange::Kind;
  struct Row {
    const char* range;
    K kind;
    uint64_t first, last;
  } rows[] = {
      {"bytes=0-9", K::Partial, 0, 9},      {"bytes=10-", K::Partial, 10, 99},
      {"bytes=-5", K::Partial, 95, 99},     {"bytes=-500", K::Partial, 0, 99},
      {"bytes=90-500", K::Partial, 90, 99}, {"bytes=100-", K::Unsatisfiable, 0, 0},
      {"bytes=-0", K::Unsatisfiable, 0, 0}, {"bytes=5-1", K::Whole, 0, 0},
      {"bytes=0-1,5-6", K::Whole, 0, 0},    {"items=0-1", K::Whole, 0, 0},
      {"bytes=a-b", K::Whole, 0, 0},        {"", K::Whole, 0, 0},
  };
  for (const Row& row : rows) {
    ByteRange r = parseByteRange(row.range, 100);
    EXPECT_EQ(r.kind, row.kind) << row.range;
    if (row.kind == K::Partial) {
      EXPECT_EQ(r.first, row.first) << row.range;
      EXPECT_EQ(r.last, row.last) << row.range;
    }
  }
}

}  // namespace
}  // namespace gatehouse::cache
