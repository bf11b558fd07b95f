#include "admin-api/tail_hub.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "admin-api/time_format.h"
#include "proxy/net/libevent_ptr.h"

namespace gatehouse::admin {

TailHub::TailHub(net::EventLoop& loop) : timer_(loop.base(), [this] { tick(); }) {}

TailHub::~TailHub() {
  timer_.cancel();
  // Subscriptions normally end first (their connections close before the hub goes); if not,
  // the tap must still stop.
  for (size_t i = 0; i < subscriptions_.size(); ++i)
    server::TrafficTap::process().detach();
}

TailHub::Subscription::Subscription(TailHub& hub, http::Exchange& exchange, TailFilter filter)
    : hub_(hub), exchange_(exchange), filter_(std::move(filter)) {
  hub_.subscriptions_.push_back(this);
  server::TrafficTap::process().attach();
  if (!hub_.timer_.armed()) hub_.timer_.arm(kInterval);
}

TailHub::Subscription::~Subscription() {
  std::erase(hub_.subscriptions_, this);
  server::TrafficTap::process().detach();
}

std::string TailHub::line(const server::TapEntry& e) {
  using Json = nlohmann::ordered_json;
  const std::chrono::system_clock::time_point at{std::chrono::milliseconds(e.time_ms)};
  const Json j = {{"time", rfc3339(at)},
                  {"time_ms", e.time_ms},
                  {"client", e.client},
                  {"method", e.method},
                  {"host", e.host},
                  {"target", e.target},
                  {"status", e.status},
                  {"bytes", e.bytes},
                  {"ms", static_cast<double>(e.duration_us) / 1000.0},
                  {"server", e.server},
                  {"cache", e.cache},
                  {"listener", e.listener}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

void TailHub::Subscription::deliver(const std::vector<server::TapEntry>& entries) {
  std::string out;
  size_t skipped = 0;
  // Past the exchange's high watermark (kMaxPending) the client is not keeping up.
  const bool full = exchange_.downstreamFull();
  for (const server::TapEntry& e : entries) {
    if (!filter_.matches(e)) continue;
    if (full || out.size() >= kMaxPending) {
      ++skipped;
      continue;
    }
    if (dropped_ > 0) {
      out += nlohmann::json{{"dropped", dropped_}}.dump() + "\n";
      dropped_ = 0;
    }
    out += line(e);
  }
  dropped_ += skipped;
  if (skipped)
    server::TrafficTap::process().slow_reader_dropped_total.fetch_add(skipped,
                                                                      std::memory_order_relaxed);
  if (out.empty()) return;
  net::EvbufferPtr buffer = net::makeEvbuffer();
  evbuffer_add(buffer.get(), out.data(), out.size());
  exchange_.respondBody(buffer.get());
}

void TailHub::tick() {
  if (subscriptions_.empty()) return;  // the last one left: the tap is off, no need to look
  const std::vector<server::TapEntry> entries = server::TrafficTap::process().drain();
  // A copy: a delivery may end an exchange (a write error), which unsubscribes it.
  const std::vector<Subscription*> now = subscriptions_;
  for (Subscription* s : now)
    if (std::find(subscriptions_.begin(), subscriptions_.end(), s) != subscriptions_.end())
      s->deliver(entries);
  timer_.arm(kInterval);
}

}  // namespace gatehouse::admin
