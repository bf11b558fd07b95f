// net::InactivityTimer on a real libevent loop: it fires once its deadline has passed, never
// before (less its slack), follows the last arm() whether earlier or later, and a cancel() or
// stop() keeps it quiet. Lower bounds only: a busy machine makes it late, never early.
#include "proxy/net/inactivity_timer.h"

#include <gtest/gtest.h>

#include <chrono>

#include "proxy/net/libevent_ptr.h"
#include "tests/support/loop_runner.h"

namespace gatehouse::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct InactivityTimerTest : ::testing::Test {
  EventBasePtr base{event_base_new()};
  int fired = 0;
  Clock::time_point fired_at{};
  InactivityTimer timer{base.get(), [this] {
                          ++fired;
                          fired_at = Clock::now();
                        }};
  bool firedOnce() { return fired == 1; }
};

TEST_F(InactivityTimerTest, FiresOnceAfterItsDelay) {
  const auto start = Clock::now();
  timer.arm(Duration(30));
  ASSERT_TRUE(testing::runUntil(base.get(), [&] { return firedOnce(); }));
  EXPECT_GE(fired_at - start, 29ms);
  testing::spin(base.get());
  EXPECT_EQ(fired, 1);
}

TEST_F(InactivityTimerTest, ArmingAgainMovesTheDeadlineLater) {
  // The libevent timer set for the first deadline fires first, and waits on for the rest.
  timer.arm(Duration(20));
  const auto rearmed = Clock::now();
  timer.arm(Duration(80));
  ASSERT_TRUE(testing::runUntil(base.get(), [&] { return firedOnce(); }));
  EXPECT_GE(fired_at - rearmed, 79ms);
  testing::spin(base.get());
  EXPECT_EQ(fired, 1);
}

TEST_F(InactivityTimerTest, ArmingAgainMovesTheDeadlineEarlier) {
  timer.arm(Duration(10000));
  const auto start = Clock::now();
  timer.arm(Duration(20));
  ASSERT_TRUE(testing::runUntil(
      base.get(), [&] { return firedOnce(); }, 2000ms));
  EXPECT_GE(fired_at - start, 19ms);
}

TEST_F(InactivityTimerTest, CancelKeepsItQuietAndArmStartsItAgain) {
  timer.arm(Duration(10));
  timer.cancel();
  EXPECT_FALSE(testing::runUntil(
      base.get(), [&] { return fired > 0; }, 50ms));
  timer.arm(Duration(10));
  EXPECT_TRUE(testing::runUntil(base.get(), [&] { return firedOnce(); }));
}

TEST_F(InactivityTimerTest, StopRemovesThePendingTimer) {
  timer.arm(Duration(10));
  timer.stop();
  EXPECT_FALSE(testing::runUntil(
      base.get(), [&] { return fired > 0; }, 50ms));
  // Nothing pending: the loop has no event left to wait for.
  EXPECT_EQ(event_base_get_num_events(base.get(), EVENT_BASE_COUNT_ADDED), 0);
}

TEST_F(InactivityTimerTest, ZeroFiresFromTheNextLoopPassNotFromArm) {
  timer.arm(Duration(0));
  EXPECT_EQ(fired, 0);
  EXPECT_TRUE(testing::runUntil(base.get(), [&] { return firedOnce(); }));
}

}  // namespace
}  // namespace gatehouse::net
