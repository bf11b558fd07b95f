// ConnectionLimiter: limits.max_connections and max_connections_per_ip across workers.
#include "proxy/server/connection_limiter.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <vector>

namespace gatehouse::server {
namespace {

using Verdict = ConnectionLimiter::Verdict;

ConnectionLimiter::ClientKey key(const char* ip) {
  auto address = net::SocketAddress::resolve(ip, 80);
  EXPECT_TRUE(address) << ip;
  return ConnectionLimiter::keyOf(*address);
}

TEST(ConnectionLimiter, RefusesPastTheTotalAndGivesThePlaceBackOnRelease) {
  ConnectionLimiter limiter(2, 0);
  ConnectionLimiter::Slot a = limiter.admit(key("10.0.0.1"));
  ConnectionLimiter::Slot b = limiter.admit(key("10.0.0.2"));
  ConnectionLimiter::Slot c = limiter.admit(key("10.0.0.3"));
  EXPECT_TRUE(a.admitted());
  EXPECT_TRUE(b.admitted());
  EXPECT_FALSE(c.admitted());
  EXPECT_EQ(c.verdict(), Verdict::OverMaxConnections);
  EXPECT_EQ(limiter.open(), 2u);
  a = ConnectionLimiter::Slot();  // the connection closed
  EXPECT_EQ(limiter.open(), 1u);
  EXPECT_TRUE(limiter.admit(key("10.0.0.3")).admitted());
}

TEST(ConnectionLimiter, RefusesPastThePerAddressCapWhileOthersStillGetIn) {
  ConnectionLimiter limiter(100, 2);
  std::vector<ConnectionLimiter::Slot> held;
  held.push_back(limiter.admit(key("10.0.0.1")));
  held.push_back(limiter.admit(key("10.0.0.1")));
  ConnectionLimiter::Slot third = limiter.admit(key("10.0.0.1"));
  EXPECT_FALSE(third.admitted());
  EXPECT_EQ(third.verdict(), Verdict::OverMaxPerIp);
  EXPECT_TRUE(limiter.admit(key("10.0.0.2")).admitted());
  EXPECT_EQ(limiter.openFrom(key("10.0.0.1")), 2u);
  EXPECT_EQ(limiter.open(), 2u);  // the refused and the released are not counted
  held.clear();
  EXPECT_EQ(limiter.openFrom(key("10.0.0.1")), 0u);
  EXPECT_EQ(limiter.open(), 0u);
}

TEST(ConnectionLimiter, ASlotMovesWithItsConnection) {
  ConnectionLimiter limiter(1, 1);
  ConnectionLimiter::Slot handshake = limiter.admit(key("10.0.0.1"));
  ConnectionLimiter::Slot codec = std::move(handshake);  // TLS handshake -> codec
  EXPECT_FALSE(handshake.admitted());
  EXPECT_TRUE(codec.admitted());
  EXPECT_EQ(limiter.open(), 1u);
  codec = ConnectionLimiter::Slot();
  EXPECT_EQ(limiter.open(), 0u);
}

TEST(ConnectionLimiter, CountsAnIpv6ClientByItsSlash64AndAMappedIpv4ByItsAddress) {
  EXPECT_EQ(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::7"));
  EXPECT_NE(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
  EXPECT_EQ(key("::ffff:10.0.0.1"), key("10.0.0.1"));
  EXPECT_NE(key("::ffff:10.0.0.1"), key("::ffff:10.0.0.2"));
}

TEST(ConnectionLimiter, ALoweredCapLeavesOpenConnectionsAndRefusesNewOnes) {
  ConnectionLimiter limiter(10, 0);
  ConnectionLimiter::Slot a = limiter.admit(key("10.0.0.1"));
  ConnectionLimiter::Slot b = limiter.admit(key("10.0.0.1"));
  limiter.setLimits(1, 0);  // a reload
  EXPECT_TRUE(a.admitted());
  EXPECT_FALSE(limiter.admit(key("10.0.0.2")).admitted());
  // Switching the per-address cap on counts only connections admitted from then on.
  limiter.setLimits(10, 1);
  ConnectionLimiter::Slot c = limiter.admit(key("10.0.0.1"));
  EXPECT_TRUE(c.admitted());
  EXPECT_FALSE(limiter.admit(key("10.0.0.1")).admitted());
  a = ConnectionLimiter::Slot();
  EXPECT_EQ(limiter.openFrom(key("10.0.0.1")), 1u);
}

TEST(ConnectionLimiter, AutoLeavesDescriptorsForBackendsAndFiles) {
  const uint32_t max = ConnectionLimiter::autoMaxConnections();
  EXPECT_GE(max, 64u);
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur > 384) {
    EXPECT_LT(max, limit.rlim_cur / 2);
  }
}

}  // namespace
}  // namespace gatehouse::server
