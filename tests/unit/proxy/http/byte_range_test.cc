// The Range rule (RFC 9110 §14), one row per case, each citing its section. Static files and the
// cache both answer with it, so a row here holds for both.
#include "proxy/http/byte_range.h"

#include <gtest/gtest.h>

#include <string>

namespace gatehouse::http {
namespace {

using K = RangeKind;

struct Row {
  const char* field;
  uint64_t size;
  RangeKind kind;
  uint64_t first = 0, last = 0;  // for Single
  const char* why = "";          // the RFC 9110 section that decides
};

void expectRows(std::initializer_list<Row> rows) {
  for (const Row& row : rows) {
    const RangeRequest r = parseRange(row.field, row.size);
    EXPECT_EQ(r.kind, row.kind) << "'" << row.field << "' of " << row.size << ": " << row.why;
    if (row.kind == K::Single && r.kind == K::Single) {
      EXPECT_EQ(r.range.first, row.first) << row.field << ": " << row.why;
      EXPECT_EQ(r.range.last, row.last) << row.field << ": " << row.why;
    }
  }
}

TEST(ByteRange, AnswersEachRangeAsRfc9110Says) {
  expectRows({
      // One range (§14.1.2): int-range, open int-range, suffix-range; clipped to the size.
      {"bytes=0-9", 100, K::Single, 0, 9, "§14.1.2 int-range"},
      {"bytes=10-", 100, K::Single, 10, 99, "§14.1.2 int-range without last-pos"},
      {"bytes=-5", 100, K::Single, 95, 99, "§14.1.2 suffix-range"},
      {"bytes=-500", 100, K::Single, 0, 99, "§14.1.2 suffix longer than the representation"},
      {"bytes=90-500", 100, K::Single, 90, 99, "§14.1.2 last-pos past the end"},
      {"bytes=-10", 10000, K::Single, 9990, 9999, "§14.1.2 suffix-range"},
      {"bytes=9990-", 10000, K::Single, 9990, 9999, "§14.1.2 int-range without last-pos"},
      {"bytes=9995-20000", 10000, K::Single, 9995, 9999, "§14.1.2 last-pos past the end"},
      {"bytes=0-99999999999999999999999", 10000, K::Single, 0, 9999, "§14.1.2 1*DIGIT, any size"},
      {"BYTES=5-5", 100, K::Single, 5, 5, "§14.1 the unit is case-insensitive"},
      {"Bytes=5-5", 100, K::Single, 5, 5, "§14.1 the unit is case-insensitive"},
      {" bytes=5-5\t", 100, K::Single, 5, 5, "§5.5 OWS around a field value is not part of it"},
      {"bytes=0-0,", 100, K::Single, 0, 0, "§5.6.1 empty list elements"},
      {"bytes=,0-0", 100, K::Single, 0, 0, "§5.6.1 empty list elements"},
      // None satisfiable (§14.1.1): 416.
      {"bytes=100-", 100, K::Unsatisfiable, 0, 0, "§14.1.1 first-pos at the end"},
      {"bytes=10000-20000", 10000, K::Unsatisfiable, 0, 0, "§14.1.1 first-pos past the end"},
      {"bytes=-0", 100, K::Unsatisfiable, 0, 0, "§14.1.1 zero suffix-length"},
      {"bytes=99999999999999999999-", 10000, K::Unsatisfiable, 0, 0, "§14.1.1"},
      {"bytes=200-,300-", 100, K::Unsatisfiable, 0, 0, "§14.1.1 no range-spec satisfiable"},
      {"bytes=0-", 0, K::Unsatisfiable, 0, 0, "§14.1.1 nothing starts in an empty one"},
      {"bytes=-5", 0, K::Unsatisfiable, 0, 0, "§14.1.1 no byte of an empty one"},
      // Several satisfiable: the whole representation (§14.2 allows it).
      {"bytes=0-1,5-6", 100, K::Multiple, 0, 0, "§14.2"},
      {"bytes=0-9 , 20-29", 10000, K::Multiple, 0, 0, "§14.2; §5.6.1 OWS around commas"},
      // Exactly one satisfiable: that one (§14.1.1 satisfiable, §14.2 206).
      {"bytes=0-9,20000-", 10000, K::Single, 0, 9, "§14.1.1 one satisfiable range-spec"},
      {"bytes=300-400, -5", 100, K::Single, 95, 99, "§14.1.1 one satisfiable range-spec"},
      // Not a valid ranges-specifier, or not in bytes: ignored (§14.2), 200.
      {"", 100, K::Ignored, 0, 0, "§14.2 no Range"},
      {"bytes", 100, K::Ignored, 0, 0, "§14.1.1 no \"=\""},
      {"bytes=", 100, K::Ignored, 0, 0, "§14.1.1 1#range-spec: at least one"},
      {"bytes= , ", 100, K::Ignored, 0, 0, "§14.1.1 1#range-spec: at least one"},
      {"items=0-9", 100, K::Ignored, 0, 0, "§14.2 a unit we do not support"},
      {"bytes =5-5", 100, K::Ignored, 0, 0, "§14.1.1 no whitespace before \"=\""},
      {"bytes= 5-5", 100, K::Ignored, 0, 0, "§14.1.1 no whitespace after \"=\""},
      {"bytes=5 -5", 100, K::Ignored, 0, 0, "§14.1.2 no whitespace inside an int-range"},
      {"bytes=5-1", 100, K::Ignored, 0, 0, "§14.1.2 last-pos before first-pos is invalid"},
      {"bytes=a-b", 100, K::Ignored, 0, 0, "§14.1.2 first-pos = 1*DIGIT"},
      {"bytes=0x1-2", 100, K::Ignored, 0, 0, "§14.1.2 first-pos = 1*DIGIT"},
      {"bytes=0-9;x", 100, K::Ignored, 0, 0, "§14.1.2 other-range is invalid in bytes"},
      {"bytes=--1", 100, K::Ignored, 0, 0, "§14.1.2 suffix-length = 1*DIGIT"},
      {"bytes=1", 100, K::Ignored, 0, 0, "§14.1.2 other-range is invalid in bytes"},
      {"bytes=-", 100, K::Ignored, 0, 0, "§14.1.2 suffix-length = 1*DIGIT"},
      {"bytes=0-9,x", 100, K::Ignored, 0, 0, "§14.1.1 one invalid range-spec: all invalid"},
  });
}

// Issue 13: static files and the cache each had their own Range parser, and they disagreed on
// these two fields. The one parser answers both the same.
TEST(ByteRange, Issue13BytesWithSpacesAroundEqualsIsIgnoredAndOneSatisfiableOfTwoIs206) {
  expectRows({
      {"BYTES = 5-5", 100, K::Ignored, 0, 0, "§14.1.1 no whitespace around \"=\": 200"},
      {"bytes=0-9,20000-", 100, K::Single, 0, 9, "§14.1.1 only 0-9 is satisfiable: 206"},
  });
}

TEST(ByteRange, IgnoresMoreThanMaxRanges) {
  std::string many = "bytes=0-0";
  for (size_t i = 1; i < kMaxRanges; ++i)
    many += ",0-0";
  EXPECT_EQ(parseRange(many, 100).kind, K::Multiple);
  many += ",0-0";
  EXPECT_EQ(parseRange(many, 100).kind, K::Ignored);  // §14.2 a server MAY ignore many ranges
}

}  // namespace
}  // namespace gatehouse::http
