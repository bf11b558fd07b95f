#include "proxy/http/request_id.h"

#include <gtest/gtest.h>

#include <set>

namespace gatehouse::http {
namespace {

bool isHex16(const std::string& id) {
  return id.size() == 16 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(RequestId, NewIdsAreSixteenHexDigitsAndDiffer) {
  RequestIdGenerator ids;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id(ids.next().view());
    EXPECT_TRUE(isHex16(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(RequestId, IsTheWorkersPrefixThenACounter) {
  RequestIdGenerator ids;
  const std::string first(ids.next().view());
  const std::string second(ids.next().view());
  EXPECT_EQ(first.substr(0, 8), second.substr(0, 8));  // the same prefix
  EXPECT_EQ(first.substr(8), "00000001");
  EXPECT_EQ(second.substr(8), "00000002");
}

TEST(RequestId, TakeKeepsASaneClientIdInPlace) {
  RequestIdGenerator ids;
  HeaderMap h;
  h.add("X-Request-Id", "client-1");
  EXPECT_EQ(ids.take(h).view(), "client-1");
  EXPECT_EQ(h.get("x-request-id"), "client-1");
}

TEST(RequestId, TakeReplacesAMissingBadOrRepeatedClientId) {
  RequestIdGenerator ids;
  HeaderMap none;
  EXPECT_TRUE(isHex16(std::string(ids.take(none).view())));
  EXPECT_FALSE(none.has("x-request-id"));  // the forwarder adds the exchange's id

  HeaderMap bad;
  bad.add("X-Request-Id", "has space");
  EXPECT_TRUE(isHex16(std::string(ids.take(bad).view())));
  EXPECT_FALSE(bad.has("x-request-id"));

  HeaderMap twice;
  twice.add("X-Request-Id", "a");
  twice.add("x-request-id", "b");
  EXPECT_TRUE(isHex16(std::string(ids.take(twice).view())));
  EXPECT_FALSE(twice.has("x-request-id"));
}

}  // namespace
}  // namespace gatehouse::http
