// Http2FloodGuard: each budget passes `max` frames per window and refuses the next; a window
// later the count starts over; WINDOW_UPDATEs our DATA earned do not count.
#include "proxy/http/http2_flood_guard.h"

#include <gtest/gtest.h>

namespace gatehouse::http {
namespace {

using namespace std::chrono_literals;

Http2Budgets smallBudgets() {
  Http2Budgets b;
  b.max_resets = 3;
  b.max_settings = 3;
  b.max_pings = 3;
  b.max_empty_frames = 3;
  b.max_window_updates = 3;
  b.window = Duration(1000);
  return b;
}

TEST(Http2FloodGuard, EachBudgetPassesItsMaxPerWindowAndRefusesTheNext) {
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  for (Http2Limit limit : {Http2Limit::Resets, Http2Limit::Settings, Http2Limit::Pings,
                           Http2Limit::EmptyFrames, Http2Limit::WindowUpdates}) {
    Http2FloodGuard guard(smallBudgets());
    for (int i = 0; i < 3; ++i)
      EXPECT_FALSE(guard.add(limit, t0 + i * 1ms)) << kHttp2LimitLabels[size_t(limit)] << i;
    EXPECT_TRUE(guard.add(limit, t0 + 3ms)) << kHttp2LimitLabels[size_t(limit)];
  }
}

TEST(Http2FloodGuard, BudgetsAreIndependent) {
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  Http2FloodGuard guard(smallBudgets());
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(guard.add(Http2Limit::Pings, t0));
    EXPECT_FALSE(guard.add(Http2Limit::Settings, t0));
  }
  EXPECT_TRUE(guard.add(Http2Limit::Pings, t0));
}

TEST(Http2FloodGuard, AWindowLaterTheCountStartsOver) {
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  Http2FloodGuard guard(smallBudgets());
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(guard.add(Http2Limit::Pings, t0));
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(guard.add(Http2Limit::Pings, t0 + 1000ms));
}

TEST(Http2FloodGuard, WindowUpdatesEarnedByOurDataAreFree) {
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  Http2FloodGuard guard(smallBudgets());
  guard.earnWindowUpdates(2);  // one DATA frame sent
  for (int i = 0; i < 5; ++i)  // 2 earned + 3 of the budget
    EXPECT_FALSE(guard.add(Http2Limit::WindowUpdates, t0)) << i;
  EXPECT_TRUE(guard.add(Http2Limit::WindowUpdates, t0));
}

TEST(Http2FloodGuard, EarnedWindowUpdatesAreCappedAtTheBudget) {
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  Http2FloodGuard guard(smallBudgets());
  guard.earnWindowUpdates(1000);  // a long download banks no more than max_window_updates
  for (int i = 0; i < 6; ++i)
    EXPECT_FALSE(guard.add(Http2Limit::WindowUpdates, t0)) << i;
  EXPECT_TRUE(guard.add(Http2Limit::WindowUpdates, t0));
}

}  // namespace
}  // namespace gatehouse::http
