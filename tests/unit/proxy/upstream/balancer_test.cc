#include "proxy/upstream/balancer.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "tests/support/fake_clock.h"

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

TEST(RoundRobinBalancer, FollowsARuntimeWeightOnceToldOfIt) {
  Servers s;
  health::Server* a = s.add("a", 1);
  s.add("b", 1);
  RoundRobinBalancer b(s.raw);
  a->setRuntimeWeight(3);  // ctl weight app/a 3
  b.weightsChanged();
  auto counts = countPicks(b, 40);
  EXPECT_EQ(counts["a"], 30);
  EXPECT_EQ(counts["b"], 10);
  EXPECT_TRUE(a->weightOverridden());
  a->setConfigWeight(2);  // a reload's config weight does not undo the operator's
  EXPECT_EQ(a->weight(), 3u);
  a->setRuntimeWeight(2);  // the config's value clears the override
  EXPECT_FALSE(a->weightOverridden());
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

// Shares over many picks, weights 5:3:2, with each state taken out and put back: the others
// keep their proportions (within 5%) and the one taken out gets nothing.
TEST(RoundRobinBalancer, SharesHoldOverManyPicksWhileServersComeAndGo) {
  Servers s;
  health::Server* a = s.add("a", 5);
  health::Server* b2 = s.add("b", 3);
  health::Server* c = s.add("c", 2);
  RoundRobinBalancer b(s.raw);
  auto counts = countPicks(b, 10000);
  EXPECT_NEAR(counts["a"], 5000, 250);
  EXPECT_NEAR(counts["b"], 3000, 150);
  EXPECT_NEAR(counts["c"], 2000, 100);
  for (auto take_out :
       {+[](health::Server* x) { x->setAdminState(health::AdminState::Draining); },
        +[](health::Server* x) { x->setAdminState(health::AdminState::Maintenance); },
        +[](health::Server* x) { x->setHealth(health::Health::Down); }}) {
    take_out(b2);
    counts = countPicks(b, 10000);
    EXPECT_EQ(counts["b"], 0);
    EXPECT_EQ(counts["none"], 0);
    // a:c = 5:2 of what is left.
    EXPECT_NEAR(counts["a"] / 10000.0, 5.0 / 7, 0.05);
    EXPECT_NEAR(counts["c"] / 10000.0, 2.0 / 7, 0.05);
    b2->setAdminState(health::AdminState::Ready);
    b2->setHealth(health::Health::Up);
  }
  (void)a;
  (void)c;
}

TEST(RoundRobinBalancer, SlowStartRampsTheShareOfAServerThatCameBack) {
  testing::FakeClock clock;
  Servers s;
  health::Server* a = s.add("a", 1);
  s.add("b", 1);
  a->setSlowStart(Duration(10000));
  RoundRobinBalancer b(s.raw, clock);
  a->setHealth(health::Health::Down, clock.now());
  EXPECT_EQ(countPicks(b, 1000)["a"], 0);
  a->setHealth(health::Health::Up, clock.now());
  std::vector<int> shares;
  for (int step = 0; step < 5; ++step) {
    shares.push_back(countPicks(b, 10000)["a"]);
    clock.advance(std::chrono::milliseconds(2500));
  }
  // Growing with the ramp (factor 0.02, 0.25, 0.5, 0.75, then 1 = an equal half).
  EXPECT_LT(shares[0], 300);
  for (size_t i = 1; i < shares.size(); ++i)
    EXPECT_GT(shares[i], shares[i - 1]);
  EXPECT_NEAR(shares[4], 5000, 250);
}

TEST(RoundRobinBalancer, ARampingServerStillTakesWhatNobodyElseCan) {
  testing::FakeClock clock;
  Servers s;
  health::Server* a = s.add("a", 1);
  a->setSlowStart(Duration(10000));
  RoundRobinBalancer b(s.raw, clock);
  a->setHealth(health::Health::Down, clock.now());
  a->setHealth(health::Health::Up, clock.now());
  EXPECT_EQ(countPicks(b, 100)["a"], 100);
}

TEST(LeastConnBalancer, SkipsServersThatAreOut) {
  Servers s;
  health::Server* a = s.add("a", 1);
  health::Server* b2 = s.add("b", 1);
  s.add("c", 1)->setHealth(health::Health::Down);
  a->setAdminState(health::AdminState::Draining);
  LeastConnBalancer b(s.raw);
  auto counts = countPicks(b, 100);
  EXPECT_EQ(counts["b"], 100);
  b2->setAdminState(health::AdminState::Maintenance);
  EXPECT_EQ(b.pick({}), nullptr);
}

TEST(LeastConnBalancer, SlowStartCountsARampingServerAsBusier) {
  testing::FakeClock clock;
  Servers s;
  health::Server* a = s.add("a", 1);
  health::Server* b2 = s.add("b", 1);
  a->setSlowStart(Duration(10000));
  LeastConnBalancer b(s.raw, clock);
  a->setHealth(health::Health::Down, clock.now());
  a->setHealth(health::Health::Up, clock.now());
  clock.advance(std::chrono::milliseconds(2500));  // factor 0.25: 1 in flight weighs like 4
  b2->beginRequest();
  b2->beginRequest();
  EXPECT_EQ(b.pick({}), b2);  // b: 3/1 = 3 < a: 1/0.25 = 4
  b2->beginRequest();
  b2->beginRequest();
  EXPECT_EQ(b.pick({}), a);  // b: 5 > a: 4
}

}  // namespace
}  // namespace gatehouse::upstream
