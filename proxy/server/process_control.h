#pragma once
// What the admin API may see and do of the running process. Implemented by the server; called
// on the main loop's thread only (the admin API and health checks run there).

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/net/event_loop.h"
#include "proxy/server/snapshot.h"

namespace gatehouse::server {

// Counters a worker keeps on its data path; summed over workers for /status and /metrics.
struct TrafficCounters {
  std::array<std::atomic<uint64_t>, 6> responses_by_class{};  // index 0: aborted before a
                                                              // status; 1..5: 1xx..5xx
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> bytes_received{0};
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<int64_t> connections_open{0};
  // Of those, idle kept-alive HTTP/1 connections parked (timeouts.client_park): socket only.
  std::atomic<int64_t> connections_parked{0};
  // Connections closed at accept: [0] limits.max_connections, [1] max_connections_per_ip.
  std::array<std::atomic<uint64_t>, 2> connections_refused{};
  // Request durations, cumulative buckets in milliseconds (Prometheus histogram).
  static constexpr std::array<uint64_t, 10> kDurationBucketsMs = {1,   5,   10,   25,   50,
                                                                  100, 250, 1000, 5000, 30000};
  // Per-bucket counts (each request counted once, in the first bucket it fits; the last is
  // +Inf); /metrics accumulates them into Prometheus' cumulative buckets.
  std::array<std::atomic<uint64_t>, 11> duration_buckets{};
  std::atomic<uint64_t> duration_sum_us{0};
  // responses_by_class again, per listener (index as in the config's listeners, which a reload
  // cannot change). Sized once by the worker before it starts; never resized.
  using ClassCounts = std::array<std::atomic<uint64_t>, 6>;
  std::vector<ClassCounts> responses_by_listener;
};

struct ProcessStatus {
  std::string version;
  std::string config_source;
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point last_reload;  // == started until a reload
  unsigned workers = 0;
  int64_t connections_open = 0;
  bool stopping = false;  // a graceful stop has begun: /healthz turns 503 for the LB in front
};

class ProcessControl {
 public:
  virtual ~ProcessControl() = default;
  // Re-reads the config file and certificates (as SIGHUP does). On error the running
  // configuration stays and the error says FILE:LINE:COL: key: why.
  virtual Result<void> reload() = 0;
  virtual ProcessStatus status() const = 0;
  // The configuration in force (pools and their servers' live state included).
  virtual std::shared_ptr<const Snapshot> snapshot() const = 0;
  // Calls f with each worker's counters.
  virtual void forEachCounters(const std::function<void(const TrafficCounters&)>& f) const = 0;
  // A server's admin state or a pool's pause changed (the admin API set it): every worker
  // closes its idle connections to servers taken out and wakes its held requests.
  virtual void backendsChanged() = 0;
};

// Started on the main loop once the listeners are bound, stopped (destroyed) when the
// process stops. The admin API is one; the CLI passes it in, so proxy/ never links admin-api/.
using Extension = std::function<Result<std::shared_ptr<void>>(net::EventLoop& main_loop,
                                                              ProcessControl& control)>;

}  // namespace gatehouse::server
