#include "proxy/server/traffic_tap.h"

#include <chrono>

namespace gatehouse::server {

TrafficTap& TrafficTap::process() {
  static TrafficTap tap;
  return tap;
}

void TrafficTap::publish(const http::Exchange& exchange) {
  const http::RequestHead& request = exchange.request();
  const http::ExchangeRecord& r = exchange.record();
  TapEntry e;
  e.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  e.client = exchange.client().ip;
  e.method = request.method;
  e.host = request.authority;
  e.target = request.target;
  e.status = r.status;
  e.bytes = r.bytes_sent;
  e.duration_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                            std::chrono::steady_clock::now() - exchange.started())
                                            .count());
  e.server = r.server;
  e.cache = std::string(r.cache_status.view());
  e.listener = exchange.client().listener;
  std::lock_guard lock(mu_);
  if (ring_.size() >= kCapacity) {
    dropped_total.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  ring_.push_back(std::move(e));
}

std::vector<TapEntry> TrafficTap::drain() {
  std::vector<TapEntry> out;
  std::vector<TapEntry> next;
  next.reserve(kCapacity / 4);  // allocated here, off the workers' path
  std::lock_guard lock(mu_);
  out.swap(ring_);
  ring_.swap(next);
  if (ring_.capacity() < out.size()) ring_.reserve(out.size());
  return out;
}

}  // namespace gatehouse::server
