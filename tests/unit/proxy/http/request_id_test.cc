// RequestIdGenerator: 16 lowercase hex digits, the worker's prefix then a counter, and a
// client's sane X-Request-Id kept as it is.
#include "proxy/http/request_id.h"

#include <gtest/gtest.h>

#include <string>

namespace gatehouse::http {
namespace {

TEST(RequestId, IsSixteenLowercaseHexDigitsWithACounterInTheLowHalf) {
  RequestIdGenerator ids;
  const std::string first = ids.next();
  const std::string second = ids.next();
  ASSERT_EQ(first.size(), 16u);
  EXPECT_EQ(first.find_first_not_of("0123456789abcdef"), std::string::npos) << first;
  EXPECT_EQ(first.substr(0, 8), second.substr(0, 8));  // the same prefix
  EXPECT_EQ(first.substr(8), "00000001");
  EXPECT_EQ(second.substr(8), "00000002");
  EXPECT_EQ(std::stoull(first.substr(0, 8), nullptr, 16) >> 32, 0u);
}

TEST(RequestId, KeepsASaneIncomingIdAndReplacesABadOne) {
  RequestIdGenerator ids;
  EXPECT_EQ(ids.adoptOrNext("abc-123"), "abc-123");
  EXPECT_EQ(ids.adoptOrNext("has space").size(), 16u);
  EXPECT_EQ(ids.adoptOrNext(std::string(129, 'a')).size(), 16u);
  EXPECT_EQ(ids.adoptOrNext("").substr(8), "00000003");
}

}  // namespace
}  // namespace gatehouse::http
