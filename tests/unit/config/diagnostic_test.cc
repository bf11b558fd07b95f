#include "config/diagnostic.h"

#include <gtest/gtest.h>

namespace gatehouse::config {
namespace {

YAML::Mark at(int line0, int column0) {
  YAML::Mark m;
  m.line = line0;
  m.column = column0;
  return m;
}

TEST(Diagnostics, FormatsOneBasedPositionsKeyAndReason) {
  Diagnostics d("gatehouse.yaml");
  EXPECT_TRUE(d.empty());
  d.error(at(6, 4), "backends.app.servers[1].address", "bad port \"80x\"");
  EXPECT_FALSE(d.empty());
  EXPECT_EQ(d.text(), "gatehouse.yaml:7:5: backends.app.servers[1].address: bad port \"80x\"");
}

TEST(Diagnostics, LeavesOutAnEmptyKeyAndReadsANullMarkAsTheStart) {
  Diagnostics d("f.yaml");
  d.error(YAML::Mark::null_mark(), "", "YAML syntax error: x");
  EXPECT_EQ(d.text(), "f.yaml:1:1: YAML syntax error: x");
}

TEST(Diagnostics, SortsByPositionKeepingTheOrderFoundForTies) {
  Diagnostics d("f");
  d.error(at(9, 0), "c", "third");
  d.error(at(0, 5), "b", "second");
  d.error(at(0, 0), "a1", "first");
  d.error(at(0, 0), "a2", "first too");
  EXPECT_EQ(d.text(), "f:1:1: a1: first\nf:1:1: a2: first too\nf:1:6: b: second\nf:10:1: c: third");
}

TEST(Diagnostics, EscapesControlCharacters) {
  Diagnostics d("f");
  d.error(at(0, 0), "a\nb", "why\r\x1b[0m");
  EXPECT_EQ(d.text(), "f:1:1: a\\x0ab: why\\x0d\\x1b[0m");
}

TEST(Diagnostics, KeepsAtMostTheCapAndSaysItStopped) {
  Diagnostics d("f");
  for (size_t i = 0; i < Diagnostics::kMaxErrors + 10; ++i)
    d.error(at(0, 0), "k", "why");
  EXPECT_TRUE(d.full());
  std::string text = d.text();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 50);
  EXPECT_TRUE(text.ends_with("\nf: too many errors; stopped after 50"));
}

}  // namespace
}  // namespace gatehouse::config
