#pragma once
// Time comes from an injectable Clock so that tests can drive it (Envoy's simulated time).

#include <chrono>

namespace gatehouse {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  virtual std::chrono::system_clock::time_point wallNow() const = 0;
};

class RealClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wallNow() const override {
    return std::chrono::system_clock::now();
  }
  static const RealClock& instance() {
    static const RealClock clock;
    return clock;
  }
};

}  // namespace gatehouse
