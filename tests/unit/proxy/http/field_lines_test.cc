#include "proxy/http/field_lines.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace gatehouse::http {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs walk(std::string_view lines) {
  Pairs out;
  forEachFieldLine(lines, [&out](std::string_view n, std::string_view v) {
    out.emplace_back(std::string(n), std::string(v));
  });
  return out;
}

TEST(FieldLines, KeepsEveryFieldInOrderAsWireLines) {
  HeaderMap map;
  map.add("Content-Type", "text/html");
  map.add("Date", "Wed, 25 Nov 2026 10:00:00 GMT");  // colons in the value
  map.add("X-Empty", "");
  map.add("Vary", "a");
  map.add("Vary", "b");
  FieldLines lines(map);
  EXPECT_EQ(lines.wire(),
            "Content-Type: text/html\r\nDate: Wed, 25 Nov 2026 10:00:00 GMT\r\nX-Empty: \r\n"
            "Vary: a\r\nVary: b\r\n");
  EXPECT_EQ(walk(lines.wire()), (Pairs{{"Content-Type", "text/html"},
                                       {"Date", "Wed, 25 Nov 2026 10:00:00 GMT"},
                                       {"X-Empty", ""},
                                       {"Vary", "a"},
                                       {"Vary", "b"}}));
  HeaderMap back = lines.toMap();
  EXPECT_EQ(back.size(), 5u);
  EXPECT_EQ(back.get("date"), "Wed, 25 Nov 2026 10:00:00 GMT");
}

TEST(FieldLines, LooksUpCaseInsensitivelyAndTellsEmptyFromAbsent) {
  HeaderMap map;
  map.add("ETag", "\"v1\"");
  map.add("X-Empty", "");
  FieldLines lines(map);
  EXPECT_EQ(lines.get("etag"), "\"v1\"");
  EXPECT_TRUE(lines.has("x-empty"));
  EXPECT_EQ(lines.get("x-empty"), "");
  EXPECT_FALSE(lines.has("x-emp"));
  EXPECT_FALSE(lines.has("etag2"));
  bool found = true;
  EXPECT_EQ(findFieldLine(lines.wire(), "missing", &found), "");
  EXPECT_FALSE(found);
}

TEST(FieldLines, EmptyAndTruncatedInputWalkToNothingMore) {
  EXPECT_TRUE(walk("").empty());
  EXPECT_TRUE(FieldLines().empty());
  // Not what appendFieldLine writes; walking stops instead of reading past the end.
  EXPECT_EQ(walk("A: 1\r\nB: 2"), (Pairs{{"A", "1"}}));
  EXPECT_EQ(walk("A:\r\n"), Pairs{});
}

}  // namespace
}  // namespace gatehouse::http
