#pragma once
// A named pool of servers and how to pick among them; shared by all workers, built from config.
// A reload builds a new pool but hands over the old one's Server objects (same name and
// address) and its PoolState, so that drain/maint, health, pause, in-flight counts and counters
// survive it.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "proxy/base/result.h"
#include "proxy/upstream/balancer.h"
#include "proxy/upstream/forwarded_headers.h"

namespace gatehouse::upstream {

// A pool's runtime state that is not a server's: shared by the workers and across reloads.
struct PoolState {
  std::atomic<bool> paused{false};  // hold new requests (PUT /backends/POOL {"paused": true})
  std::atomic<int64_t> holding{0};  // requests waiting now, all workers (hold_max caps it)
  std::atomic<uint64_t> hold_waits_total{0};      // requests that had to wait
  std::atomic<uint64_t> hold_resumed_total{0};    // ... and then got a server
  std::atomic<uint64_t> hold_timeouts_total{0};   // ... and did not within `hold`
  std::atomic<uint64_t> hold_overflows_total{0};  // refused at once: hold_max were waiting
  std::atomic<uint64_t> unavailable_total{0};     // answered 503: no server available
  std::atomic<uint64_t> hold_skipped_total{0};    // ... at once: every server was down
};

class BackendPool {
 public:
  // Resolves server addresses (blocking: start-up and reload only). `previous`, the pool of the
  // same name in the running snapshot, gives its servers and state to the new one. `forward`
  // (null: the defaults) is what its backends are told of clients, shared by the snapshot's pools.
  static Result<std::unique_ptr<BackendPool>> create(
      const config::BackendConfig& config, const BackendPool* previous = nullptr,
      std::shared_ptr<const ForwardPolicy> forward = nullptr);

  const std::string& name() const { return name_; }
  const std::vector<std::shared_ptr<health::Server>>& servers() const { return servers_; }
  health::Server* findServer(std::string_view name) const;
  Balancer& balancer() { return *balancer_; }
  uint32_t retries() const { return retries_; }
  uint32_t maxIdlePerServer() const { return max_idle_per_server_; }
  const std::optional<config::HealthCheckConfig>& healthCheck() const { return health_; }
  Duration hold() const { return hold_; }
  uint32_t holdMax() const { return hold_max_; }
  PoolState& state() const { return *state_; }
  bool paused() const { return state_->paused.load(std::memory_order_relaxed); }
  // Some server could take a request now (ignores pause).
  bool anyAvailable() const;
  // Nothing worth holding a request for: every server is down by its checks and none is being
  // drained (a drain is a deploy under way). A server that is up but in maint could be made
  // ready by an operator, so it counts as something to wait for; a down one in maint does not.
  bool everyServerDown() const;
  const ForwardPolicy& forward() const { return forward_ ? *forward_ : ForwardPolicy::defaults(); }

 private:
  std::string name_;
  std::vector<std::shared_ptr<health::Server>> servers_;
  std::unique_ptr<Balancer> balancer_;
  uint32_t retries_ = 1;
  uint32_t max_idle_per_server_ = 32;
  std::optional<config::HealthCheckConfig> health_;
  Duration hold_{0};
  uint32_t hold_max_ = 10000;
  std::shared_ptr<PoolState> state_;
  std::shared_ptr<const ForwardPolicy> forward_;
};

}  // namespace gatehouse::upstream
