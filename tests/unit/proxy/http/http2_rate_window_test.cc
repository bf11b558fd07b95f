// Http2RateWindow against the obvious model (every event time kept in a deque): the same answer
// for every event of long, irregular sequences, with limits that make its ring grow (1 -> 1001)
// and windows that make it slide.
#include "proxy/http/http2_rate_window.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>

namespace gatehouse::http {
namespace {

using namespace std::chrono_literals;
using TimePoint = Http2RateWindow::TimePoint;

bool modelAdd(std::deque<TimePoint>& times, uint32_t limit, Duration window, TimePoint now) {
  while (!times.empty() && now - times.front() >= window)
    times.pop_front();
  times.push_back(now);
  if (times.size() > limit + size_t{1}) times.pop_front();
  return times.size() > limit;
}

TEST(Http2RateWindow, AnswersAsKeepingEveryEventTimeWould) {
  struct Case {
    uint32_t limit;
    int window_ms;
    int max_gap_ms;  // events come 0..max_gap_ms apart
  } cases[] = {{0, 100, 50}, {1, 100, 80}, {3, 1000, 400}, {100, 10000, 150}, {1000, 10000, 15}};
  for (const Case& c : cases) {
    Http2RateWindow window(c.limit, Duration(c.window_ms));
    std::deque<TimePoint> model;
    std::mt19937 random(c.limit + 7);
    std::uniform_int_distribution<int> gap(0, c.max_gap_ms);
    TimePoint now = TimePoint{} + 1h;
    int refused = 0;
    for (int i = 0; i < 20000; ++i) {
      now += std::chrono::milliseconds(gap(random));
      const bool want = modelAdd(model, c.limit, Duration(c.window_ms), now);
      ASSERT_EQ(window.add(now), want) << "limit " << c.limit << ", event " << i;
      refused += want;
    }
    EXPECT_GT(refused, 0) << "limit " << c.limit;  // the cases do reach their limits
  }
}

}  // namespace
}  // namespace gatehouse::http
