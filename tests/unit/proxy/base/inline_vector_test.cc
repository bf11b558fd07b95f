#include "proxy/base/inline_vector.h"

#include <gtest/gtest.h>

#include <vector>

namespace gatehouse {
namespace {

std::vector<int> asVector(const InlineVector<int, 3>& v) {
  return {v.items().begin(), v.items().end()};
}

TEST(InlineVector, KeepsUpToItsInlineSizeWithoutTheHeap) {
  InlineVector<int, 3> v;
  EXPECT_TRUE(v.empty());
  v.push_back(1);
  v.push_back(2);
  v.push_back(3);
  EXPECT_FALSE(v.spilled());
  EXPECT_EQ(v.size(), 3u);
  EXPECT_EQ(asVector(v), (std::vector<int>{1, 2, 3}));
}

TEST(InlineVector, SpillsToTheHeapWithoutLosingAnItem) {
  InlineVector<int, 3> v;
  for (int i = 1; i <= 12; ++i)
    v.push_back(i);
  EXPECT_TRUE(v.spilled());
  EXPECT_EQ(v.size(), 12u);
  EXPECT_EQ(v.items().front(), 1);
  EXPECT_EQ(v.items().back(), 12);
  v.pop_back();
  EXPECT_EQ(v.size(), 11u);
  EXPECT_EQ(v.items().back(), 11);
}

TEST(InlineVector, PopBackAndClearStartOver) {
  InlineVector<int, 3> v;
  v.push_back(7);
  v.push_back(8);
  v.pop_back();
  EXPECT_EQ(asVector(v), (std::vector<int>{7}));
  for (int i = 0; i < 5; ++i)
    v.push_back(i);
  v.clear();
  EXPECT_TRUE(v.empty());
  EXPECT_FALSE(v.spilled());
  v.push_back(9);
  EXPECT_EQ(asVector(v), (std::vector<int>{9}));
}

TEST(InlineVector, CopiesKeepTheirOwnItems) {
  InlineVector<int, 2> a;
  a.push_back(1);
  InlineVector<int, 2> b = a;
  a.push_back(2);
  a.push_back(3);  // a spills; b stays as it was
  EXPECT_EQ(b.size(), 1u);
  EXPECT_EQ(b.items().front(), 1);
  InlineVector<int, 2> c = a;
  a.clear();
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.items().back(), 3);
}

}  // namespace
}  // namespace gatehouse
