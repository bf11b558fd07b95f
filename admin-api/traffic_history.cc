#include "admin-api/traffic_history.h"

#include <algorithm>
#include <unordered_set>

namespace gatehouse::admin {
namespace {

constexpr auto relaxed = std::memory_order_relaxed;

double seconds(TrafficHistory::TimePoint from, TrafficHistory::TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

// Counters only grow, but a reload may give a server a fresh object: never go below zero.
uint64_t minus(uint64_t after, uint64_t before) {
  return after >= before ? after - before : 0;
}

}  // namespace

TrafficHistory::Totals TrafficHistory::read() const {
  Totals t;
  control_.forEachCounters([&](const server::TrafficCounters& c) {
    for (const auto& n : c.responses_by_class)
      t.requests += n.load(relaxed);
    t.errors_5xx += c.responses_by_class[5].load(relaxed);
  });
  const auto snapshot = control_.snapshot();
  if (snapshot->cache) {
    const cache::CacheCounters& c = snapshot->cache->store->counters();
    t.cache_hits = c.hits.load(relaxed);
    t.cache_misses = c.misses.load(relaxed);
  }
  return t;
}

void TrafficHistory::sample(TimePoint now) {
  samples_.push_back({now, read()});
  while (samples_.size() > kSamples)
    samples_.pop_front();

  std::unordered_set<std::string> seen;
  const auto snapshot = control_.snapshot();
  for (const auto& pool : snapshot->pools) {
    for (const auto& s : pool->servers()) {
      ServerSample sample{
          now, s->requests_total.load(relaxed), s->responses_5xx_total.load(relaxed), {}};
      for (size_t i = 0; i < sample.times.size(); ++i)
        sample.times[i] = s->response_times.buckets[i].load(relaxed);
      auto& ring = servers_[s->label()];
      ring.push_back(sample);
      while (ring.size() > kServerSamples)
        ring.pop_front();
      seen.insert(s->label());
    }
  }
  // Servers a reload removed are forgotten.
  std::erase_if(servers_, [&](const auto& entry) { return !seen.contains(entry.first); });
}

std::optional<TrafficHistory::Window> TrafficHistory::last(size_t n) const {
  if (samples_.size() < 2) return std::nullopt;
  const Sample& end = samples_.back();
  const Sample& begin = samples_[samples_.size() - 1 - std::min(n, samples_.size() - 1)];
  Window w;
  w.seconds = seconds(begin.at, end.at);
  w.delta.requests = minus(end.totals.requests, begin.totals.requests);
  w.delta.errors_5xx = minus(end.totals.errors_5xx, begin.totals.errors_5xx);
  w.delta.cache_hits = minus(end.totals.cache_hits, begin.totals.cache_hits);
  w.delta.cache_misses = minus(end.totals.cache_misses, begin.totals.cache_misses);
  return w;
}

std::vector<TrafficHistory::Totals> TrafficHistory::perSecond() const {
  std::vector<Totals> out;
  for (size_t i = 1; i < samples_.size(); ++i) {
    const Totals& a = samples_[i - 1].totals;
    const Totals& b = samples_[i].totals;
    out.push_back({minus(b.requests, a.requests), minus(b.errors_5xx, a.errors_5xx),
                   minus(b.cache_hits, a.cache_hits), minus(b.cache_misses, a.cache_misses)});
  }
  return out;
}

std::optional<TrafficHistory::ServerWindow> TrafficHistory::server(const std::string& label) const {
  auto it = servers_.find(label);
  if (it == servers_.end() || it->second.size() < 2) return std::nullopt;
  const ServerSample& a = it->second.front();
  const ServerSample& b = it->second.back();
  ServerWindow w;
  w.seconds = seconds(a.at, b.at);
  w.requests = minus(b.requests, a.requests);
  w.errors_5xx = minus(b.errors_5xx, a.errors_5xx);
  for (size_t i = 0; i < w.times.size(); ++i)
    w.times[i] = minus(b.times[i], a.times[i]);
  return w;
}

std::optional<double> TrafficHistory::quantile(const ServerWindow& w, double q) {
  uint64_t total = 0;
  for (uint64_t n : w.times)
    total += n;
  if (total == 0) return std::nullopt;
  const double rank = q * static_cast<double>(total);
  const auto& bounds = health::ResponseTimes::kBoundsUs;
  uint64_t below = 0;
  for (size_t i = 0; i < w.times.size(); ++i) {
    if (w.times[i] == 0 || static_cast<double>(below + w.times[i]) < rank) {
      below += w.times[i];
      continue;
    }
    // The +Inf bucket has no upper bound: its lower one is the most that can be said.
    if (i == bounds.size()) return static_cast<double>(bounds.back()) / 1e6;
    const double low = i == 0 ? 0 : static_cast<double>(bounds[i - 1]);
    const double high = static_cast<double>(bounds[i]);
    const double within = (rank - static_cast<double>(below)) / static_cast<double>(w.times[i]);
    return (low + (high - low) * within) / 1e6;
  }
  return static_cast<double>(bounds.back()) / 1e6;
}

}  // namespace gatehouse::admin
