#include "admin-api/tail_hub.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
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

// The bytes JSON wants escaped in a string: quote, backslash, controls (and DEL, for logs).
constexpr std::array<bool, 256> kEscaped = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c)
    t[c] = true;
  t['"'] = t['\\'] = t[0x7f] = true;
  return t;
}();

bool needsEscape(char c) {
  return kEscaped[static_cast<unsigned char>(c)];
}

// A literal, appended without strlen.
template <size_t N>
void appendLiteral(std::string& out, const char (&text)[N]) {
  out.append(text, N - 1);
}

// JSON string contents: quotes, backslashes and control characters escaped. Written by hand
// (not nlohmann) because this runs once per entry per listener while a tail is attached; runs
// of plain bytes (nearly all of them) are appended whole.
void appendJsonString(std::string& out, std::string_view s) {
  out += '"';
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (!needsEscape(c)) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned char>(c));
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void appendNumber(std::string& out, uint64_t n) {
  char digits[20];
  char* end = digits + sizeof digits;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  out.append(p, static_cast<size_t>(end - p));
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

void TailHub::appendLine(std::string& out, const server::TapEntry& e) {
  appendLiteral(out, "{\"time\":");
  appendJsonString(out, secondText(e.time_ms));
  appendLiteral(out, ",\"time_ms\":");
  appendNumber(out, static_cast<uint64_t>(e.time_ms < 0 ? 0 : e.time_ms));
  appendLiteral(out, ",\"client\":");
  appendJsonString(out, e.client);
  appendLiteral(out, ",\"method\":");
  appendJsonString(out, e.method);
  appendLiteral(out, ",\"host\":");
  appendJsonString(out, e.host);
  appendLiteral(out, ",\"target\":");
  appendJsonString(out, e.target);
  appendLiteral(out, ",\"status\":");
  appendNumber(out, static_cast<uint64_t>(e.status));
  appendLiteral(out, ",\"bytes\":");
  appendNumber(out, e.bytes);
  // Milliseconds with three decimals, from integer microseconds (no floating-point format).
  appendLiteral(out, ",\"ms\":");
  appendNumber(out, e.duration_us / 1000);
  const auto fraction = static_cast<unsigned>(e.duration_us % 1000);
  const char decimals[] = {'.', static_cast<char>('0' + fraction / 100),
                           static_cast<char>('0' + fraction / 10 % 10),
                           static_cast<char>('0' + fraction % 10)};
  out.append(decimals, sizeof decimals);
  appendLiteral(out, ",\"server\":");
  appendJsonString(out, e.server);
  appendLiteral(out, ",\"cache\":");
  appendJsonString(out, e.cache);
  appendLiteral(out, ",\"listener\":");
  appendNumber(out, e.listener);
  appendLiteral(out, "}\n");
}

void TailHub::Subscription::deliver(const server::TapBatch& batch, std::string& out) {
  out.clear();
  size_t skipped = 0;
  // Past the exchange's high watermark (kMaxPending) the client is not keeping up.
  const bool full = exchange_.downstreamFull();
  for (size_t i = 0; i < batch.size(); ++i) {
    const server::TapEntry e = batch[i];
    if (!filter_.matches(e)) continue;
    if (full || out.size() >= kMaxPending) {
      ++skipped;
      continue;
    }
    if (dropped_ > 0) {
      out += nlohmann::json{{"dropped", dropped_}}.dump() + "\n";
      dropped_ = 0;
    }
    appendLine(out, e);
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
  server::TrafficTap::process().drain(batch_);
  // A copy: a delivery may end an exchange (a write error), which unsubscribes it.
  const std::vector<Subscription*> now = subscriptions_;
  for (Subscription* s : now)
    if (std::find(subscriptions_.begin(), subscriptions_.end(), s) != subscriptions_.end())
      s->deliver(batch_, out_);
  timer_.arm(kInterval);
}

}  // namespace gatehouse::admin
