#pragma once
// Picks the server for a new request among a pool's available servers. Shared by all workers:
// pick() is lock-free, so the shares hold across workers, not just within one.

#include <atomic>
#include <memory>
#include <span>
#include <vector>

#include "health/server.h"
#include "proxy/base/clock.h"

namespace gatehouse::upstream {

// Both skip servers that are down, draining or in maintenance (Server::available()), and give
// a server in its slow-start ramp only its ramped share (Server::rampFactor()).
class Balancer {
 public:
  explicit Balancer(const Clock& clock) : clock_(clock) {}
  virtual ~Balancer() = default;
  // A Ready and Up server not in `exclude` (servers already tried for this request), or null.
  virtual health::Server* pick(std::span<health::Server* const> exclude) = 0;
  // A server's weight changed at run time (ctl weight): main loop only.
  virtual void weightsChanged() {}

 protected:
  // The server's ramp factor; the clock is read only for servers with slow start on.
  double rampFactor(const health::Server& s) const {
    return s.slowStart().count() > 0 ? s.rampFactor(clock_.now()) : 1.0;
  }
  const Clock& clock_;
};

// Smooth weighted round robin (nginx's interleaving): weights 5:1:1 give a b a a c a a, not
// a a a a a b c. The schedule is computed once; a shared atomic cursor walks it, and servers
// that are not available are stepped over. A server in its slow-start ramp takes its turn with
// probability rampFactor and passes it on otherwise, so its share grows with the ramp.
class RoundRobinBalancer final : public Balancer {
 public:
  explicit RoundRobinBalancer(std::span<health::Server* const> servers,
                              const Clock& clock = RealClock::instance());
  health::Server* pick(std::span<health::Server* const> exclude) override;
  // Builds the schedule again from the servers' weights now.
  void weightsChanged() override;
  const std::vector<health::Server*>& schedule() const {
    return *current_.load(std::memory_order_acquire);
  }

 private:
  using Schedule = std::vector<health::Server*>;
  std::vector<health::Server*> servers_;
  // Every schedule built is kept until the balancer goes (a reload): a worker may still be
  // reading an older one. A weight change costs sum(weights) pointers.
  std::vector<std::unique_ptr<const Schedule>> schedules_;
  std::atomic<const Schedule*> current_{nullptr};
  std::atomic<uint64_t> cursor_{0};
};

// Fewest requests in flight relative to (ramped) weight; ties go round robin so that an idle
// pool still spreads its load.
class LeastConnBalancer final : public Balancer {
 public:
  explicit LeastConnBalancer(std::span<health::Server* const> servers,
                             const Clock& clock = RealClock::instance());
  health::Server* pick(std::span<health::Server* const> exclude) override;

 private:
  std::vector<health::Server*> servers_;
  std::atomic<uint64_t> cursor_{0};
};

}  // namespace gatehouse::upstream
