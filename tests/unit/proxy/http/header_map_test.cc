#include "proxy/http/header_map.h"

#include <gtest/gtest.h>

#include "proxy/http/message.h"

namespace gatehouse::http {
namespace {

TEST(HeaderMap, LooksUpNamesCaseInsensitively) {
  HeaderMap h;
  h.add("Content-Type", "text/plain");
  EXPECT_EQ(h.get("content-type"), "text/plain");
  EXPECT_TRUE(h.has("CONTENT-TYPE"));
  EXPECT_EQ(h.get("missing"), "");
}

TEST(HeaderMap, SetReplacesEveryFieldOfTheName) {
  HeaderMap h;
  h.add("X-A", "1");
  h.add("x-a", "2");
  h.set("X-A", "3");
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.get("x-a"), "3");
}

TEST(HeaderMap, FindsTokensInLists) {
  HeaderMap h;
  h.add("Connection", "keep-alive, Upgrade");
  EXPECT_TRUE(h.hasToken("connection", "upgrade"));
  EXPECT_FALSE(h.hasToken("connection", "close"));
}

TEST(RemoveHopByHop, DropsStandardAndConnectionNamedFields) {
  HeaderMap h;
  h.add("Connection", "close, X-Secret");
  h.add("Keep-Alive", "timeout=5");
  h.add("TE", "trailers");
  h.add("Transfer-Encoding", "chunked");
  h.add("Upgrade", "websocket");
  h.add("Proxy-Connection", "keep-alive");
  h.add("X-Secret", "1");
  h.add("Accept", "*/*");
  removeHopByHop(h);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h.get("accept"), "*/*");
}

TEST(RemoveHopByHop, KeepsUpgradeForATunnel) {
  HeaderMap h;
  h.add("Connection", "Upgrade");
  h.add("Upgrade", "websocket");
  removeHopByHop(h, /*keep_upgrade=*/true);
  EXPECT_EQ(h.get("upgrade"), "websocket");
  EXPECT_FALSE(h.has("connection"));
}

}  // namespace
}  // namespace gatehouse::http
