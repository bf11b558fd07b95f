#include "health/rise_fall.h"

#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"

namespace gatehouse::health {
namespace {

using std::chrono::milliseconds;

TEST(RiseFall, GoesDownAfterFallConsecutiveFailures) {
  testing::FakeClock clock;
  RiseFall rf(Health::Up, 2, 3, clock.now());
  clock.advance(milliseconds(2000));
  EXPECT_FALSE(rf.record(false, clock.now()));
  clock.advance(milliseconds(2000));
  EXPECT_FALSE(rf.record(false, clock.now()));
  EXPECT_EQ(rf.health(), Health::Up);
  EXPECT_EQ(rf.failures(), 2u);
  clock.advance(milliseconds(2000));
  EXPECT_TRUE(rf.record(false, clock.now()));
  EXPECT_EQ(rf.health(), Health::Down);
  EXPECT_EQ(rf.since(), clock.now());
}

TEST(RiseFall, APassResetsTheFailures) {
  testing::FakeClock clock;
  RiseFall rf(Health::Up, 2, 3, clock.now());
  rf.record(false, clock.now());
  rf.record(false, clock.now());
  rf.record(true, clock.now());
  EXPECT_EQ(rf.failures(), 0u);
  rf.record(false, clock.now());
  rf.record(false, clock.now());
  EXPECT_EQ(rf.health(), Health::Up);
  EXPECT_TRUE(rf.record(false, clock.now()));
}

TEST(RiseFall, ComesBackAfterRiseConsecutivePasses) {
  testing::FakeClock clock;
  RiseFall rf(Health::Down, 2, 3, clock.now());
  const auto went_down = clock.now();
  clock.advance(milliseconds(500));
  EXPECT_FALSE(rf.record(true, clock.now()));
  EXPECT_FALSE(rf.record(false, clock.now()));  // a failure starts the count again
  EXPECT_EQ(rf.passes(), 0u);
  EXPECT_FALSE(rf.record(true, clock.now()));
  EXPECT_EQ(rf.since(), went_down);
  clock.advance(milliseconds(500));
  EXPECT_TRUE(rf.record(true, clock.now()));
  EXPECT_EQ(rf.health(), Health::Up);
  EXPECT_EQ(rf.since(), clock.now());
}

TEST(RiseFall, PassesWhileUpAndFailuresWhileDownChangeNothing) {
  testing::FakeClock clock;
  RiseFall up(Health::Up, 1, 1, clock.now());
  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(up.record(true, clock.now()));
  RiseFall down(Health::Down, 1, 1, clock.now());
  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(down.record(false, clock.now()));
  EXPECT_EQ(down.health(), Health::Down);
}

TEST(RiseFall, AnEjectedServerNeedsRisePassesToComeBack) {
  testing::FakeClock clock;
  RiseFall rf(Health::Up, 3, 2, clock.now());
  rf.ejected(clock.now());
  EXPECT_EQ(rf.health(), Health::Down);
  EXPECT_FALSE(rf.record(true, clock.now()));
  EXPECT_FALSE(rf.record(true, clock.now()));
  EXPECT_TRUE(rf.record(true, clock.now()));
}

TEST(RiseFall, RiseAndFallOfOneActOnTheFirstResult) {
  testing::FakeClock clock;
  RiseFall rf(Health::Up, 1, 1, clock.now());
  EXPECT_TRUE(rf.record(false, clock.now()));
  EXPECT_TRUE(rf.record(true, clock.now()));
}

}  // namespace
}  // namespace gatehouse::health
