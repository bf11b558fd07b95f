#pragma once
// One backend server, shared by every worker. Its identity (pool, name, address) is immutable;
// its state and counters are atomics written by the health checker, the admin API and the
// workers' passive checks, and read on the data path without locks.
//
// A reload keeps a server's object when its pool, name and address stay the same (see
// upstream::BackendPool::create), so admin state, health, in-flight count and counters carry
// over; weight, slow start and passive settings are updated in place.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "health/response_times.h"
#include "health/server_state.h"
#include "proxy/base/clock.h"
#include "proxy/base/duration.h"
#include "proxy/net/socket_address.h"

namespace gatehouse::health {

// What live traffic can report against a server (config: health.passive.on).
enum class PassiveFailure : uint8_t { Connect = 1, Timeout = 2, ServerError = 4 };

struct PassiveSettings {
  uint32_t fall = 0;  // consecutive failures that eject; 0 = passive checks off
  bool on_connect = true;
  bool on_timeout = true;
  bool on_5xx = false;
};

// Owned by shared_ptr in pools (enable_shared_from_this lets a pooled connection keep its
// server alive past a reload that removed it).
class Server : public std::enable_shared_from_this<Server> {
 public:
  Server(std::string pool, std::string name, net::SocketAddress address, uint32_t weight)
      : pool_(std::move(pool)),
        name_(std::move(name)),
        label_(pool_ + "/" + name_),
        address_(address),
        weight_(weight),
        config_weight_(weight) {}

  const std::string& pool() const { return pool_; }
  const std::string& name() const { return name_; }
  const std::string& label() const { return label_; }  // "pool/server", as logs and the API say
  const net::SocketAddress& address() const { return address_; }
  // The weight in force: the operator's (PUT /backends/POOL/SERVER {"weight": N}, HAProxy's
  // `set server weight`) when one is set, else the config's.
  uint32_t weight() const { return weight_.load(std::memory_order_relaxed); }
  uint32_t configWeight() const { return config_weight_.load(std::memory_order_relaxed); }
  bool weightOverridden() const { return overridden_.load(std::memory_order_relaxed); }
  // The config's weight (start, reload): in force unless the operator set one.
  void setConfigWeight(uint32_t w) {
    config_weight_.store(w, std::memory_order_relaxed);
    if (!weightOverridden()) weight_.store(w, std::memory_order_relaxed);
  }
  // The operator's weight; the config's own value clears the override. Main loop only.
  void setRuntimeWeight(uint32_t w) {
    overridden_.store(w != configWeight(), std::memory_order_relaxed);
    weight_.store(w, std::memory_order_relaxed);
  }

  // Sequentially consistent, with inFlight(): a worker that counts a request and then sees the
  // server still Ready, and an admin that sets Draining and then sees in_flight 0, cannot both
  // be wrong (see UpstreamHandler::tryServer), so `drained` never lies.
  AdminState adminState() const { return admin_.load(); }
  // Ready after Draining/Maintenance starts the slow-start ramp.
  void setAdminState(AdminState s, Clock::TimePoint now = std::chrono::steady_clock::now());
  Health health() const { return health_.load(std::memory_order_relaxed); }
  // Up after Down starts the slow-start ramp. Counts the transition.
  void setHealth(Health h, Clock::TimePoint now = std::chrono::steady_clock::now());
  // May this server be given a new request?
  bool available() const {
    return weight() > 0 && adminState() == AdminState::Ready && health() == Health::Up;
  }
  // Taken out by the operator and nothing in flight any more: safe to stop.
  bool drained() const { return adminState() != AdminState::Ready && inFlight() == 0; }

  // Requests being served by this server across all workers (least_conn, drain).
  int64_t inFlight() const { return in_flight_.load(); }
  void beginRequest() { in_flight_.fetch_add(1); }
  void endRequest() { in_flight_.fetch_sub(1); }

  // Slow start (HAProxy `slowstart`): for `slow_start` after the server became available again
  // its share grows linearly from near 0 to its full weight. 0 turns it off.
  void setSlowStart(Duration d) { slow_start_ms_.store(d.count(), std::memory_order_relaxed); }
  Duration slowStart() const { return Duration(slow_start_ms_.load(std::memory_order_relaxed)); }
  // The fraction of its weight the server gets at `now`: 1 outside a ramp, else in (0, 1].
  double rampFactor(Clock::TimePoint now) const;
  // The effective weight at `now` (weight x rampFactor), as the admin API shows it.
  double effectiveWeight(Clock::TimePoint now) const { return weight() * rampFactor(now); }

  // Passive checks: workers report how live requests went. Returns true when this failure
  // ejected the server (health set Down; the active checks bring it back after `rise` passes).
  void setPassive(const PassiveSettings& p);
  bool recordFailure(PassiveFailure what);
  void recordSuccess() {
    if (passive_failures_.load(std::memory_order_relaxed) != 0)
      passive_failures_.store(0, std::memory_order_relaxed);
  }

  std::atomic<uint64_t> requests_total{0};
  std::atomic<uint64_t> connect_failures_total{0};
  std::atomic<uint64_t> connections_opened_total{0};
  std::atomic<uint64_t> checks_passed_total{0};
  std::atomic<uint64_t> checks_failed_total{0};
  std::atomic<uint64_t> went_up_total{0};    // health transitions Down -> Up
  std::atomic<uint64_t> went_down_total{0};  // health transitions Up -> Down (checks or passive)
  std::atomic<uint64_t> ejections_total{0};  // of which by passive checks
  std::atomic<uint64_t> retries_total{0};    // requests moved from this server to another
  std::atomic<uint64_t> passive_failures_total{0};
  std::atomic<uint64_t> responses_5xx_total{0};  // response heads with a 5xx status
  ResponseTimes response_times;                  // request head out -> response head in
  // The last active check: 1 passed, 0 failed, -1 none yet; and how long it took.
  std::atomic<int8_t> last_check_passed{-1};
  std::atomic<int64_t> last_check_us{0};

 private:
  void startRamp(Clock::TimePoint now);

  const std::string pool_;
  const std::string name_;
  const std::string label_;
  const net::SocketAddress address_;
  std::atomic<uint32_t> weight_;
  std::atomic<uint32_t> config_weight_;
  std::atomic<bool> overridden_{false};
  std::atomic<AdminState> admin_{AdminState::Ready};
  std::atomic<Health> health_{Health::Up};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> slow_start_ms_{0};
  std::atomic<int64_t> ramp_start_ns_{0};  // steady clock; 0: no ramp since start
  std::atomic<uint32_t> passive_fall_{0};
  std::atomic<uint8_t> passive_mask_{0};  // PassiveFailure bits
  std::atomic<uint32_t> passive_failures_{0};
};

}  // namespace gatehouse::health
