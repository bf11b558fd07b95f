#pragma once
// The moment an exchange ended, read from the clocks once and shared by everything that
// records it (access log, traffic counters, the `ctl tail` tap): one steady clock read per
// request, and one wall clock read only when something asks for it (with the access log off
// and no tail attached, nothing does).

#include <chrono>
#include <cstdint>
#include <optional>

#include "proxy/http/exchange.h"

namespace gatehouse::server {

class ExchangeEnd {
 public:
  static ExchangeEnd now(const http::Exchange& exchange) {
    const auto elapsed = std::chrono::steady_clock::now() - exchange.started();
    return ExchangeEnd(std::chrono::duration_cast<std::chrono::microseconds>(elapsed));
  }
  // A fixed moment (tests, replays).
  static ExchangeEnd at(std::chrono::system_clock::time_point wall,
                        std::chrono::microseconds elapsed) {
    ExchangeEnd end(elapsed);
    end.unix_us_ = toUnixUs(wall);
    return end;
  }

  uint64_t elapsedUs() const { return elapsed_us_; }  // since the request's head arrived
  double elapsedSeconds() const { return static_cast<double>(elapsed_us_) / 1e6; }
  // Wall clock, Unix time in microseconds: read on first use, the same value after.
  int64_t unixUs() const {
    if (!unix_us_) unix_us_ = toUnixUs(std::chrono::system_clock::now());
    return *unix_us_;
  }
  int64_t unixMs() const { return unixUs() / 1000; }

 private:
  explicit ExchangeEnd(std::chrono::microseconds elapsed)
      : elapsed_us_(static_cast<uint64_t>(elapsed.count() < 0 ? 0 : elapsed.count())) {}
  static int64_t toUnixUs(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  }

  uint64_t elapsed_us_;
  mutable std::optional<int64_t> unix_us_;
};

}  // namespace gatehouse::server
