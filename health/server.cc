#include "health/server.h"

#include <algorithm>

#include "proxy/base/log.h"

namespace gatehouse::health {
namespace {
// A server at the start of its ramp still gets a trickle: a share of exactly 0 would never
// let its first requests through to warm it up.
constexpr double kMinRampFactor = 0.02;

int64_t toNs(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

void Server::startRamp(Clock::TimePoint now) {
  // Never 0: 0 means "no ramp".
  ramp_start_ns_.store(std::max<int64_t>(toNs(now), 1), std::memory_order_relaxed);
}

void Server::setAdminState(AdminState s, Clock::TimePoint now) {
  const AdminState before = admin_.exchange(s);
  if (s == AdminState::Ready && before != AdminState::Ready) startRamp(now);
}

void Server::setHealth(Health h, Clock::TimePoint now) {
  const Health before = health_.exchange(h, std::memory_order_relaxed);
  if (before == h) return;
  if (h == Health::Up) {
    went_up_total.fetch_add(1, std::memory_order_relaxed);
    passive_failures_.store(0, std::memory_order_relaxed);
    startRamp(now);
  } else {
    went_down_total.fetch_add(1, std::memory_order_relaxed);
  }
}

double Server::rampFactor(Clock::TimePoint now) const {
  const int64_t ramp_ms = slow_start_ms_.load(std::memory_order_relaxed);
  const int64_t start = ramp_start_ns_.load(std::memory_order_relaxed);
  if (ramp_ms <= 0 || start == 0) return 1.0;
  const double elapsed_ms = static_cast<double>(toNs(now) - start) / 1e6;
  if (elapsed_ms >= static_cast<double>(ramp_ms)) return 1.0;
  return std::clamp(elapsed_ms / static_cast<double>(ramp_ms), kMinRampFactor, 1.0);
}

void Server::setPassive(const PassiveSettings& p) {
  uint8_t mask = 0;
  if (p.on_connect) mask |= static_cast<uint8_t>(PassiveFailure::Connect);
  if (p.on_timeout) mask |= static_cast<uint8_t>(PassiveFailure::Timeout);
  if (p.on_5xx) mask |= static_cast<uint8_t>(PassiveFailure::ServerError);
  passive_mask_.store(mask, std::memory_order_relaxed);
  passive_fall_.store(p.fall, std::memory_order_relaxed);
}

bool Server::recordFailure(PassiveFailure what) {
  const uint32_t fall = passive_fall_.load(std::memory_order_relaxed);
  if (fall == 0) return false;
  if (!(passive_mask_.load(std::memory_order_relaxed) & static_cast<uint8_t>(what))) return false;
  passive_failures_total.fetch_add(1, std::memory_order_relaxed);
  if (passive_failures_.fetch_add(1, std::memory_order_relaxed) + 1 < fall) return false;
  // Only the worker that flips Up -> Down ejects (and counts it).
  Health up = Health::Up;
  if (!health_.compare_exchange_strong(up, Health::Down, std::memory_order_relaxed)) return false;
  went_down_total.fetch_add(1, std::memory_order_relaxed);
  ejections_total.fetch_add(1, std::memory_order_relaxed);
  log::warn(
      "backend {}: ejected after {} consecutive failures on live traffic; health down "
      "until the active checks pass",
      label_, fall);
  return true;
}

}  // namespace gatehouse::health
