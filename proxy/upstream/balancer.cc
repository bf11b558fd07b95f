#include "proxy/upstream/balancer.h"

#include <algorithm>
#include <random>

namespace gatehouse::upstream {
namespace {
bool excluded(std::span<health::Server* const> exclude, const health::Server* s) {
  return std::find(exclude.begin(), exclude.end(), s) != exclude.end();
}

// A cheap per-thread coin for slow start: shares, not security.
bool chance(double p) {
  static thread_local std::minstd_rand random(std::random_device{}());
  return std::uniform_real_distribution<double>(0.0, 1.0)(random) < p;
}
}  // namespace

RoundRobinBalancer::RoundRobinBalancer(std::span<health::Server* const> servers, const Clock& clock)
    : Balancer(clock), servers_(servers.begin(), servers.end()) {
  weightsChanged();
}

void RoundRobinBalancer::weightsChanged() {
  // Smooth WRR: each round every server gains its weight; the richest is picked and pays the
  // total. Over sum(weights) rounds each server is picked exactly weight times, interleaved.
  std::vector<int64_t> weights;
  int64_t total = 0;
  for (health::Server* s : servers_) {
    weights.push_back(s->weight());
    total += weights.back();
  }
  auto schedule = std::make_unique<Schedule>();
  std::vector<int64_t> current(servers_.size(), 0);
  for (int64_t round = 0; round < total; ++round) {
    size_t best = 0;
    for (size_t i = 0; i < servers_.size(); ++i) {
      current[i] += weights[i];
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    schedule->push_back(servers_[best]);
  }
  current_.store(schedule.get(), std::memory_order_release);
  schedules_.push_back(std::move(schedule));
}

health::Server* RoundRobinBalancer::pick(std::span<health::Server* const> exclude) {
  const Schedule& schedule = *current_.load(std::memory_order_acquire);
  const size_t n = schedule.size();
  health::Server* ramping = nullptr;  // passed over for its ramp; taken if nobody else can
  for (size_t attempt = 0; attempt < n; ++attempt) {
    health::Server* s = schedule[cursor_.fetch_add(1, std::memory_order_relaxed) % n];
    if (!s->available() || excluded(exclude, s)) continue;
    const double ramp = rampFactor(*s);
    if (ramp >= 1.0 || chance(ramp)) return s;
    if (!ramping) ramping = s;
  }
  return ramping;
}

LeastConnBalancer::LeastConnBalancer(std::span<health::Server* const> servers, const Clock& clock)
    : Balancer(clock), servers_(servers.begin(), servers.end()) {}

health::Server* LeastConnBalancer::pick(std::span<health::Server* const> exclude) {
  const size_t n = servers_.size();
  if (n == 0) return nullptr;
  const size_t start = cursor_.fetch_add(1, std::memory_order_relaxed) % n;
  health::Server* best = nullptr;
  double best_score = 0;
  for (size_t k = 0; k < n; ++k) {
    health::Server* s = servers_[(start + k) % n];
    if (!s->available() || excluded(exclude, s)) continue;
    // (in_flight + 1) / effective weight: the load this request would make, per unit of weight.
    const double score = static_cast<double>(s->inFlight() + 1) /
                         (static_cast<double>(s->weight()) * rampFactor(*s));
    if (!best || score < best_score) {
      best = s;
      best_score = score;
    }
  }
  return best;
}

}  // namespace gatehouse::upstream
