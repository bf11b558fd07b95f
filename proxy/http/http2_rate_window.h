#pragma once
// Counts events in a sliding time window and says when a limit is passed: Http2FloodGuard uses
// one per budget (RST_STREAM in both directions, SETTINGS, PING, empty DATA, WINDOW_UPDATE).
// Memory is bounded by the limit: only the last `limit + 1` event times are kept.

#include <chrono>
#include <cstdint>
#include <deque>

#include "proxy/base/duration.h"

namespace gatehouse::http {

class Http2RateWindow {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  Http2RateWindow(uint32_t limit, Duration window) : limit_(limit), window_(window) {}

  // Records one event at `now`; true when more than `limit` events fall within the window.
  bool add(TimePoint now) {
    while (!times_.empty() && now - times_.front() >= window_)
      times_.pop_front();
    times_.push_back(now);
    if (times_.size() > limit_ + size_t{1}) times_.pop_front();
    return times_.size() > limit_;
  }

 private:
  uint32_t limit_;
  Duration window_;
  std::deque<TimePoint> times_;
};

}  // namespace gatehouse::http
