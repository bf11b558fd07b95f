#pragma once
// Counts events in a sliding time window and says when a limit is passed: Http2FloodGuard uses
// one per budget (RST_STREAM in both directions, SETTINGS, PING, empty DATA, WINDOW_UPDATE).
// Memory is bounded by the limit: only the last `limit + 1` event times are kept, in a ring that
// grows as events come (4, 8, 16... up to limit + 1). An unused window holds no allocation: a
// std::deque allocated 576 bytes each, five per connection, most of them never used (2.9 KB of
// every idle HTTP/2 connection).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>

#include "proxy/base/duration.h"

namespace gatehouse::http {

class Http2RateWindow {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  Http2RateWindow(uint32_t limit, Duration window) : limit_(limit), window_(window) {}

  // Records one event at `now`; true when more than `limit` events fall within the window.
  bool add(TimePoint now) {
    while (size_ > 0 && now - at(0) >= window_)
      popFront();
    if (size_ == capacity_) grow();
    ring_[(head_ + size_) % capacity_] = now;
    ++size_;
    if (size_ > limit_ + size_t{1}) popFront();
    return size_ > limit_;
  }

 private:
  TimePoint at(uint32_t i) const { return ring_[(head_ + i) % capacity_]; }
  void popFront() {
    head_ = (head_ + 1) % capacity_;
    --size_;
  }
  // Room for one more; never beyond limit + 2 (one more than kept, dropped at once).
  void grow() {
    const uint32_t want =
        std::min<uint64_t>(std::max<uint32_t>(4, capacity_ * 2), uint64_t{limit_} + 2);
    auto bigger = std::make_unique<TimePoint[]>(want);
    for (uint32_t i = 0; i < size_; ++i)
      bigger[i] = at(i);
    ring_ = std::move(bigger);
    capacity_ = want;
    head_ = 0;
  }

  uint32_t limit_;
  Duration window_;
  std::unique_ptr<TimePoint[]> ring_;
  uint32_t capacity_ = 0;
  uint32_t head_ = 0;
  uint32_t size_ = 0;
};

}  // namespace gatehouse::http
