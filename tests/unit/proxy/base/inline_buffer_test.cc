#include "proxy/base/inline_buffer.h"

#include <gtest/gtest.h>

#include <string>

namespace gatehouse {
namespace {

TEST(InlineBuffer, AppendsTextAndNumbers) {
  InlineBuffer<32> b;
  EXPECT_TRUE(b.empty());
  b.append("ttl=");
  b.appendNumber(-42);
  b.append("");
  EXPECT_EQ(b.view(), "ttl=-42");
  EXPECT_EQ(b.size(), 7u);
}

TEST(InlineBuffer, SpillsToTheHeapWithoutLosingABytePastItsInlineSize) {
  InlineBuffer<8> b;
  b.append("12345");
  b.append("6789");  // crosses the bound
  b.append(std::string(100, 'x'));
  EXPECT_EQ(b.view(), "123456789" + std::string(100, 'x'));
  b.assign("short");  // back inline after clear
  EXPECT_EQ(b.view(), "short");
}

TEST(InlineBuffer, CopiesKeepTheirOwnBytes) {
  InlineBuffer<16> a;
  a.append("gatehouse; hit");
  InlineBuffer<16> b = a;
  a.assign("other");
  EXPECT_EQ(b.view(), "gatehouse; hit");
  InlineBuffer<4> big;
  big.append("spilled text");
  InlineBuffer<4> copy = big;
  EXPECT_EQ(copy.view(), "spilled text");
}

}  // namespace
}  // namespace gatehouse
