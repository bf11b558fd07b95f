#pragma once
// A Clock the test moves by hand (Envoy's simulated time).

#include "proxy/base/clock.h"

namespace gatehouse::testing {

class FakeClock final : public Clock {
 public:
  TimePoint now() const override { return now_; }
  std::chrono::system_clock::time_point wallNow() const override {
    return std::chrono::system_clock::time_point{} + (now_ - TimePoint{});
  }
  void advance(std::chrono::milliseconds d) { now_ += d; }

 private:
  TimePoint now_ = TimePoint{} + std::chrono::hours(1);
};

}  // namespace gatehouse::testing
