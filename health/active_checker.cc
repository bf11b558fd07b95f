#include "health/active_checker.h"

#include <fmt/format.h>

#include "health/http_check.h"
#include "proxy/base/log.h"
#include "proxy/net/timer.h"

namespace gatehouse::health {

// One server's checks: a timer for the next, at most one check in flight at a time, and the
// RiseFall that turns their outcomes into the server's health.
class ActiveChecker::ServerChecks final {
 public:
  ServerChecks(ActiveChecker& checker, std::shared_ptr<Server> server)
      : checker_(checker),
        server_(std::move(server)),
        rise_fall_(server_->health(), checker.config_.rise, checker.config_.fall,
                   checker.clock_.now()),
        next_(checker.loop_.base(), [this] { start(); }) {}

  void schedule(Duration after) { next_.arm(after); }

 private:
  void start() {
    // Passive checks may have ejected the server since the last check: from now on it needs
    // `rise` passes like any down server.
    if (server_->health() == Health::Down && rise_fall_.health() == Health::Up)
      rise_fall_.ejected(checker_.clock_.now());
    started_ = checker_.clock_.now();
    check_ = checker_.start_check_(*server_, [this](CheckOutcome outcome) { finish(outcome); });
  }

  void finish(const CheckOutcome& outcome) {
    // Called from inside the check: free it once that call has returned.
    checker_.loop_.deferDelete(std::shared_ptr<Check>(std::move(check_)));
    const bool passed = outcome.status != 0 && checker_.expected(outcome.status);
    const std::string why =
        outcome.status != 0 ? fmt::format("status {}", outcome.status) : outcome.why;
    (passed ? server_->checks_passed_total : server_->checks_failed_total)
        .fetch_add(1, std::memory_order_relaxed);
    const Clock::TimePoint now = checker_.clock_.now();
    server_->last_check_passed.store(passed ? 1 : 0, std::memory_order_relaxed);
    server_->last_check_us.store(
        std::chrono::duration_cast<std::chrono::microseconds>(now - started_).count(),
        std::memory_order_relaxed);
    if (rise_fall_.record(passed, now)) {
      const Health h = rise_fall_.health();
      server_->setHealth(h, now);
      if (h == Health::Up)
        log::info("backend {}: health up ({} checks passed: {})", server_->label(),
                  checker_.config_.rise, why);
      else
        log::warn("backend {}: health down ({} checks failed: {})", server_->label(),
                  checker_.config_.fall, why);
      if (checker_.on_transition_) checker_.on_transition_(*server_, h);
    } else if (!passed) {
      log::debug("backend {}: check failed: {}", server_->label(), why);
    }
    // The next check an interval after this one started, not after it ended: a timeout does
    // not slow the checks down.
    const Duration spent = std::chrono::duration_cast<Duration>(now - started_);
    const Duration next = checker_.jittered(checker_.config_.interval, 0.9, 1.1) - spent;
    schedule(std::max(next, Duration(1)));
  }

  ActiveChecker& checker_;
  std::shared_ptr<Server> server_;
  RiseFall rise_fall_;
  net::Timer next_;
  std::unique_ptr<Check> check_;  // the check in flight, if any
  Clock::TimePoint started_;
};

ActiveChecker::ActiveChecker(net::EventLoop& loop, const config::HealthCheckConfig& config,
                             std::vector<std::shared_ptr<Server>> servers,
                             OnTransition on_transition, const Clock& clock, StartCheck start_check)
    : loop_(loop),
      config_(config),
      on_transition_(std::move(on_transition)),
      clock_(clock),
      start_check_(std::move(start_check)),
      random_(std::random_device{}()) {
  if (!start_check_)
    start_check_ = [this](const Server& server, CheckDone done) -> std::unique_ptr<Check> {
      return std::make_unique<HttpCheck>(loop_, config_, server, std::move(done));
    };
  for (auto& server : servers) {
    servers_.push_back(std::make_unique<ServerChecks>(*this, std::move(server)));
    servers_.back()->schedule(jittered(config_.interval, 0.0, 1.0));
  }
}

ActiveChecker::~ActiveChecker() = default;

bool ActiveChecker::expected(int status) const {
  for (const config::StatusRange& r : config_.expect)
    if (status >= r.low && status <= r.high) return true;
  return false;
}

Duration ActiveChecker::jittered(Duration base, double low, double high) {
  std::uniform_real_distribution<double> factor(low, high);
  return Duration(static_cast<int64_t>(static_cast<double>(base.count()) * factor(random_)));
}

}  // namespace gatehouse::health
