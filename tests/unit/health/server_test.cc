#include "health/server.h"

#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"

namespace gatehouse::health {
namespace {

using std::chrono::milliseconds;

Server makeServer(uint32_t weight = 10) {
  return Server("app", "a", net::SocketAddress{}, weight);
}

TEST(ServerSlowStart, RampsLinearlyAfterComingBackUp) {
  testing::FakeClock clock;
  Server s = makeServer(10);
  s.setSlowStart(Duration(10000));
  EXPECT_DOUBLE_EQ(s.rampFactor(clock.now()), 1.0);  // no ramp at start-up
  s.setHealth(Health::Down, clock.now());
  clock.advance(milliseconds(5000));
  s.setHealth(Health::Up, clock.now());
  EXPECT_NEAR(s.rampFactor(clock.now()), 0.02, 1e-9);  // a trickle, never 0
  clock.advance(milliseconds(2500));
  EXPECT_NEAR(s.rampFactor(clock.now()), 0.25, 1e-9);
  EXPECT_NEAR(s.effectiveWeight(clock.now()), 2.5, 1e-9);
  clock.advance(milliseconds(5000));
  EXPECT_NEAR(s.rampFactor(clock.now()), 0.75, 1e-9);
  clock.advance(milliseconds(2500));
  EXPECT_DOUBLE_EQ(s.rampFactor(clock.now()), 1.0);
  clock.advance(milliseconds(60000));
  EXPECT_DOUBLE_EQ(s.effectiveWeight(clock.now()), 10.0);
}

TEST(ServerSlowStart, ReadyAfterMaintenanceRampsToo) {
  testing::FakeClock clock;
  Server s = makeServer(4);
  s.setSlowStart(Duration(1000));
  s.setAdminState(AdminState::Maintenance, clock.now());
  clock.advance(milliseconds(100));
  s.setAdminState(AdminState::Ready, clock.now());
  clock.advance(milliseconds(500));
  EXPECT_NEAR(s.rampFactor(clock.now()), 0.5, 1e-9);
}

TEST(ServerSlowStart, OffMeansFullWeightAtOnce) {
  testing::FakeClock clock;
  Server s = makeServer(3);
  s.setHealth(Health::Down, clock.now());
  s.setHealth(Health::Up, clock.now());
  EXPECT_DOUBLE_EQ(s.rampFactor(clock.now()), 1.0);
}

TEST(ServerPassive, EjectsAfterFallConsecutiveFailuresOnce) {
  Server s = makeServer();
  s.setPassive({3, true, true, false});
  EXPECT_FALSE(s.recordFailure(PassiveFailure::Connect));
  EXPECT_FALSE(s.recordFailure(PassiveFailure::Timeout));
  EXPECT_TRUE(s.recordFailure(PassiveFailure::Connect));
  EXPECT_EQ(s.health(), Health::Down);
  EXPECT_FALSE(s.recordFailure(PassiveFailure::Connect));  // already out: counted once
  EXPECT_EQ(s.ejections_total.load(), 1u);
  EXPECT_EQ(s.went_down_total.load(), 1u);
}

TEST(ServerPassive, ASuccessResetsTheCount) {
  Server s = makeServer();
  s.setPassive({2, true, true, false});
  s.recordFailure(PassiveFailure::Connect);
  s.recordSuccess();
  EXPECT_FALSE(s.recordFailure(PassiveFailure::Connect));
  EXPECT_EQ(s.health(), Health::Up);
}

TEST(ServerPassive, CountsOnlyTheConfiguredKinds) {
  Server s = makeServer();
  s.setPassive({1, false, false, true});
  EXPECT_FALSE(s.recordFailure(PassiveFailure::Connect));
  EXPECT_FALSE(s.recordFailure(PassiveFailure::Timeout));
  EXPECT_TRUE(s.recordFailure(PassiveFailure::ServerError));
}

TEST(ServerPassive, OffByDefault) {
  Server s = makeServer();
  for (int i = 0; i < 100; ++i)
    EXPECT_FALSE(s.recordFailure(PassiveFailure::Connect));
  EXPECT_EQ(s.health(), Health::Up);
}

TEST(ServerDrain, DrainedWhenOutAndNothingInFlight) {
  Server s = makeServer();
  s.beginRequest();
  EXPECT_FALSE(s.drained());  // Ready is never drained
  s.setAdminState(AdminState::Draining);
  EXPECT_FALSE(s.available());
  EXPECT_FALSE(s.drained());
  s.endRequest();
  EXPECT_TRUE(s.drained());
  s.setAdminState(AdminState::Maintenance);
  EXPECT_TRUE(s.drained());
}

}  // namespace
}  // namespace gatehouse::health
