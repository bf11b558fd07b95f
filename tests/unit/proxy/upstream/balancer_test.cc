#include "proxy/upstream/balancer.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

namespace gatehouse::upstream {
namespace {

struct Servers {
  std::vector<std::unique_ptr<health::Server>> owned;
  std::vector<health::Server*> raw;
  health::Server* add(std::string name, uint32_t weight) {
    owned.push_back(std::make_unique<health::Server>("app", name, net::SocketAddress{}, weight));
    raw.push_back(owned.back().get());
    return raw.back();
  }
};

std::map<std::string, int> countPicks(Balancer& b, int n) {
  std::map<std::string, int> counts;
  for (int i = 0; i < n; ++i) {
    health::Server* s = b.pick({});
    counts[s ? s->name() : "none"]++;
  }
  return counts;
}

TEST(RoundRobinBalancer, SharesFollowWeightsExactlyOverWholeRounds) {
  Servers s;
  s.add("a", 3);
  s.add("b", 1);
  RoundRobinBalancer b(s.raw);
  auto counts = countPicks(b, 40);
  EXPECT_EQ(counts["a"], 30);
  EXPECT_EQ(counts["b"], 10);
}

TEST(RoundRobinBalancer, InterleavesHeavyAndLightServers) {
  Servers s;
  s.add("a", 5);
  s.add("b", 1);
  s.add("c", 1);
  RoundRobinBalancer b(s.raw);
  std::string order;
  for (health::Server* x : b.schedule())
    order += x->name();
  EXPECT_EQ(order, "aabacaa");  // nginx's smooth WRR sequence for 5:1:1
}

TEST(RoundRobinBalancer, StepsOverDrainingAndDownServers) {
  Servers s;
  s.add("a", 1);
  health::Server* b2 = s.add("b", 1);
  health::Server* c = s.add("c", 1);
  b2->setAdminState(health::AdminState::Draining);
  c->setHealth(health::Health::Down);
  RoundRobinBalancer b(s.raw);
  auto counts = countPicks(b, 30);
  EXPECT_EQ(counts["a"], 30);
}

TEST(RoundRobinBalancer, ReturnsNullWhenNoServerIsAvailable) {
  Servers s;
  s.add("a", 1)->setAdminState(health::AdminState::Maintenance);
  s.add("b", 0);  // weight 0: parked
  RoundRobinBalancer b(s.raw);
  EXPECT_EQ(b.pick({}), nullptr);
}

TEST(RoundRobinBalancer, SkipsExcludedServersForRetries) {
  Servers s;
  health::Server* a = s.add("a", 1);
  s.add("b", 1);
  RoundRobinBalancer b(s.raw);
  std::vector<health::Server*> tried{a};
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(b.pick(tried)->name(), "b");
}

TEST(LeastConnBalancer, PicksTheServerWithFewestInFlightPerWeight) {
  Servers s;
  health::Server* a = s.add("a", 1);
  health::Server* b2 = s.add("b", 1);
  a->beginRequest();
  a->beginRequest();
  b2->beginRequest();
  LeastConnBalancer b(s.raw);
  EXPECT_EQ(b.pick({}), b2);
  b2->beginRequest();
  b2->beginRequest();
  EXPECT_EQ(b.pick({}), a);
}

TEST(LeastConnBalancer, SpreadsAnIdlePoolRoundRobin) {
  Servers s;
  s.add("a", 1);
  s.add("b", 1);
  LeastConnBalancer b(s.raw);
  auto counts = countPicks(b, 10);
  EXPECT_EQ(counts["a"], 5);
  EXPECT_EQ(counts["b"], 5);
}

}  // namespace
}  // namespace gatehouse::upstream
