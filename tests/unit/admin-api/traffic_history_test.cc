#include "admin-api/traffic_history.h"

#include <gtest/gtest.h>

#include "fake_process_control.h"

namespace gatehouse::admin {
namespace {

using std::chrono::seconds;

TEST(TrafficHistory, RatesComeFromTheDifferenceOfTwoSamples) {
  testing::FakeProcessControl control;
  TrafficHistory history(control);
  const auto t0 = std::chrono::steady_clock::time_point{} + seconds(100);
  EXPECT_FALSE(history.last(10));
  history.sample(t0);
  control.counters[0]->responses_by_class[2] = 90;
  control.counters[1]->responses_by_class[5] = 10;
  history.sample(t0 + seconds(10));
  auto w = history.last(10);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->seconds, 10);
  EXPECT_EQ(w->delta.requests, 100u);
  EXPECT_EQ(w->delta.errors_5xx, 10u);
  EXPECT_DOUBLE_EQ(w->perSecond(w->delta.requests), 10.0);
  const auto per_second = history.perSecond();
  ASSERT_EQ(per_second.size(), 1u);
  EXPECT_EQ(per_second[0].requests, 100u);
}

TEST(TrafficHistory, KeepsFifteenMinutesOfSamples) {
  testing::FakeProcessControl control;
  TrafficHistory history(control);
  const auto t0 = std::chrono::steady_clock::time_point{};
  for (int i = 0; i < 2000; ++i)
    history.sample(t0 + seconds(i));
  EXPECT_EQ(history.perSecond().size(), TrafficHistory::kSamples - 1);
}

TEST(TrafficHistory, QuantilesInterpolateInsideTheBucket) {
  TrafficHistory::ServerWindow w;
  EXPECT_FALSE(TrafficHistory::quantile(w, 0.5));
  // 100 responses in (5, 10] ms: p50 is halfway, p99 near the top.
  w.times[health::ResponseTimes::bucketOf(7'000)] = 100;
  EXPECT_NEAR(*TrafficHistory::quantile(w, 0.5), 0.0075, 1e-9);
  EXPECT_NEAR(*TrafficHistory::quantile(w, 0.99), 0.00995, 1e-9);
  // A slow tail: 1 of 100 over 10 s answers p99 with the largest finite bound.
  TrafficHistory::ServerWindow slow;
  slow.times[0] = 98;
  slow.times[health::ResponseTimes::kBuckets - 1] = 2;
  EXPECT_DOUBLE_EQ(*TrafficHistory::quantile(slow, 0.99), 10.0);
}

}  // namespace
}  // namespace gatehouse::admin
