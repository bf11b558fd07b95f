// Range parsing (RFC 9110 §14.1.2) against a 10000-byte file.
#include "proxy/static_files/byte_range.h"

#include <gtest/gtest.h>

namespace gatehouse::static_files {
namespace {

constexpr uint64_t kSize = 10000;

void expectSingle(std::string_view header, uint64_t first, uint64_t last, uint64_t size = kSize) {
  RangeRequest r = parseRange(header, size);
  ASSERT_EQ(r.kind, RangeKind::Single) << header;
  EXPECT_EQ(r.range.first, first) << header;
  EXPECT_EQ(r.range.last, last) << header;
}

TEST(ByteRange, SingleRanges) {
  expectSingle("bytes=0-9", 0, 9);
  expectSingle("bytes=-10", 9990, 9999);
  expectSingle("bytes=9990-", 9990, 9999);
  expectSingle("bytes=9995-20000", 9995, 9999);
  expectSingle("bytes=-20000", 0, 9999);
  expectSingle("BYTES = 5-5", 5, 5);
  expectSingle("bytes=0-0,", 0, 0);
  expectSingle("bytes=0-99999999999999999999999", 0, 9999);  // saturates
}

TEST(ByteRange, UnsatisfiableRanges) {
  for (auto h : {"bytes=10000-", "bytes=10000-20000", "bytes=-0", "bytes=99999999999999999999-"})
    EXPECT_EQ(parseRange(h, kSize).kind, RangeKind::Unsatisfiable) << h;
  EXPECT_EQ(parseRange("bytes=0-", 0).kind, RangeKind::Unsatisfiable);
  EXPECT_EQ(parseRange("bytes=-5", 0).kind, RangeKind::Unsatisfiable);
}

TEST(ByteRange, MalformedHeadersAreIgnored) {
  for (auto h : {"", "bytes", "bytes=", "bytes=a-b", "bytes=5-1", "items=0-9", "bytes=0-9;x",
                 "bytes=--1", "bytes=1", "bytes= , ", "bytes=0x1-2", "bytes=-"})
    EXPECT_EQ(parseRange(h, kSize).kind, RangeKind::None) << h;
}

TEST(ByteRange, SeveralSatisfiableRangesMeanTheWholeFile) {
  EXPECT_EQ(parseRange("bytes=0-9,20-29", kSize).kind, RangeKind::Multiple);
  // Only one of them is satisfiable: that one.
  expectSingle("bytes=0-9,20000-", 0, 9);
  std::string many = "bytes=0-0";
  for (size_t i = 1; i <= kMaxRanges; ++i)
    many += ",0-0";
  EXPECT_EQ(parseRange(many, kSize).kind, RangeKind::None);
}

}  // namespace
}  // namespace gatehouse::static_files
