#pragma once
// What the status page draws and `ctl status` sums up: one sample a second of the process's
// counters, kept for 15 minutes in memory (no external store), plus the last seconds of each
// backend server's counters for its requests/s, 5xx/s and response-time p50/p99.
//
// Main loop only: the admin server's timer calls sample() each second, endpoints read. A sample
// is a handful of relaxed loads per worker and per server; nothing is added to the data path.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "health/response_times.h"
#include "proxy/server/process_control.h"

namespace gatehouse::admin {

class TrafficHistory {
 public:
  static constexpr size_t kSamples = 15 * 60 + 1;  // 15 minutes of 1 s steps
  static constexpr size_t kServerSamples = 11;     // 10 s of a server's counters
  using TimePoint = std::chrono::steady_clock::time_point;

  // Cumulative counters at one instant.
  struct Totals {
    uint64_t requests = 0;      // every answered (or aborted) exchange
    uint64_t errors_5xx = 0;    // of which 5xx
    uint64_t cache_hits = 0;    // fresh hits
    uint64_t cache_misses = 0;  // misses (stale answers and passes not counted either way)
  };
  // Differences between two samples, over `seconds`.
  struct Window {
    double seconds = 0;
    Totals delta;
    double perSecond(uint64_t n) const { return seconds > 0 ? n / seconds : 0; }
  };
  struct ServerWindow {
    double seconds = 0;
    uint64_t requests = 0;
    uint64_t errors_5xx = 0;
    std::array<uint64_t, health::ResponseTimes::kBuckets> times{};  // per bucket
  };

  explicit TrafficHistory(const server::ProcessControl& control) : control_(control) {}

  void sample(TimePoint now = std::chrono::steady_clock::now());

  // The last `seconds` (or as many as there are); nullopt before two samples exist.
  std::optional<Window> last(size_t seconds) const;
  // Per-second differences, oldest first (at most kSamples - 1): the sparklines.
  std::vector<Totals> perSecond() const;
  // The last kServerSamples of a server ("pool/server"); nullopt before two samples.
  std::optional<ServerWindow> server(const std::string& label) const;

  // The response time (seconds) under which a fraction `q` (0..1) of the window's responses
  // fell, interpolated inside its bucket; nullopt when the window holds none.
  static std::optional<double> quantile(const ServerWindow& w, double q);

 private:
  struct Sample {
    TimePoint at;
    Totals totals;
  };
  struct ServerSample {
    TimePoint at;
    uint64_t requests = 0;
    uint64_t errors_5xx = 0;
    std::array<uint64_t, health::ResponseTimes::kBuckets> times{};
  };

  Totals read() const;

  const server::ProcessControl& control_;
  std::deque<Sample> samples_;
  std::unordered_map<std::string, std::deque<ServerSample>> servers_;
};

}  // namespace gatehouse::admin
