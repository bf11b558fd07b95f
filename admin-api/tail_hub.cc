#include "admin-api/tail_hub.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
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

namespace {

// JSON string contents: quotes, backslashes and control characters escaped. Written by hand
// (not nlohmann) because this runs once per entry per listener while a tail is attached.
void appendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", u);
    } else {
      out += c;
    }
  }
  out += '"';
}

// rfc3339() of the entry's second, formatted once per second rather than once per entry.
std::string_view secondText(int64_t time_ms) {
  static thread_local int64_t second = -1;
  static thread_local std::string text;
  if (time_ms / 1000 != second) {
    second = time_ms / 1000;
    text = rfc3339(std::chrono::system_clock::time_point{std::chrono::seconds(second)});
  }
  return text;
}

}  // namespace

std::string TailHub::line(const server::TapEntry& e) {
  std::string out;
  out.reserve(256);
  out += "{\"time\":";
  appendJsonString(out, secondText(e.time_ms));
  fmt::format_to(std::back_inserter(out), ",\"time_ms\":{},\"client\":", e.time_ms);
  appendJsonString(out, e.client);
  out += ",\"method\":";
  appendJsonString(out, e.method);
  out += ",\"host\":";
  appendJsonString(out, e.host);
  out += ",\"target\":";
  appendJsonString(out, e.target);
  fmt::format_to(std::back_inserter(out),
                 ",\"status\":{},\"bytes\":{},\"ms\":{:.3f},\"server\":", e.status, e.bytes,
                 static_cast<double>(e.duration_us) / 1000.0);
  appendJsonString(out, e.server);
  out += ",\"cache\":";
  appendJsonString(out, e.cache);
  fmt::format_to(std::back_inserter(out), ",\"listener\":{}}}\n", e.listener);
  return out;
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
