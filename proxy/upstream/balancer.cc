#include "proxy/upstream/balancer.h"

#include <algorithm>

namespace gatehouse::upstream {
namespace {
bool excluded(std::span<health::Server* const> exclude, const health::Server* s) {
  return std::find(exclude.begin(), exclude.end(), s) != exclude.end();
}
}  // namespace

RoundRobinBalancer::RoundRobinBalancer(std::span<health::Server* const> servers) {
  // Smooth WRR: each round every server gains its weight; the richest is picked and pays the
  // total. Over sum(weights) rounds each server is picked exactly weight times, interleaved.
  int64_t total = 0;
  for (health::Server* s : servers)
    total += s->weight();
  std::vector<int64_t> current(servers.size(), 0);
  for (int64_t round = 0; round < total; ++round) {
    size_t best = 0;
    for (size_t i = 0; i < servers.size(); ++i) {
      current[i] += servers[i]->weight();
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    schedule_.push_back(servers[best]);
  }
}

health::Server* RoundRobinBalancer::pick(std::span<health::Server* const> exclude) {
  const size_t n = schedule_.size();
  for (size_t attempt = 0; attempt < n; ++attempt) {
    health::Server* s = schedule_[cursor_.fetch_add(1, std::memory_order_relaxed) % n];
    if (s->available() && !excluded(exclude, s)) return s;
  }
  return nullptr;
}

LeastConnBalancer::LeastConnBalancer(std::span<health::Server* const> servers)
    : servers_(servers.begin(), servers.end()) {}

health::Server* LeastConnBalancer::pick(std::span<health::Server* const> exclude) {
  const size_t n = servers_.size();
  if (n == 0) return nullptr;
  const size_t start = cursor_.fetch_add(1, std::memory_order_relaxed) % n;
  health::Server* best = nullptr;
  for (size_t k = 0; k < n; ++k) {
    health::Server* s = servers_[(start + k) % n];
    if (!s->available() || excluded(exclude, s)) continue;
    // Compare (in_flight + 1) / weight without division.
    if (!best || (s->inFlight() + 1) * best->weight() < (best->inFlight() + 1) * s->weight())
      best = s;
  }
  return best;
}

}  // namespace gatehouse::upstream
