#pragma once
// Whether read-only mode is on, shared by every worker and the admin API (DESIGN.md: the
// read-only flag is one of the few things shared across threads).
//
// Readers are the data path of every worker, at dispatch and again just before a queued
// exchange's request goes to a backend, so that a switch takes effect at once for requests
// already waiting too. The common case (off) costs one atomic load: enabled(). Only when it is
// on does a reader take the full View (reason, since, settings), an atomic shared_ptr load.
//
// Writers are on the main loop: the admin API (set) and start-up/reload (configure).
//
// A cache handler asks ReadOnlyState::process().enabled() (one atomic load) and, only when it is
// true, ReadOnlyState::current(): `enabled` and `minTtl()` say whether to treat every request as
// anonymous and how long GET/HEAD responses are kept at least. What the mode kept only for
// itself ends with it: onSwitchedOff() tells the cache (pipeline/cache_policy.h's watchReadOnly).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "proxy/base/duration.h"

namespace gatehouse::gate {

class ReadOnlyState {
 public:
  using Clock = std::chrono::system_clock;

  // One consistent picture: what the operator set and the configuration it applies with.
  struct View {
    bool enabled = false;
    // For operators only (/status, the logs, the state file): never shown to the public.
    std::string reason;
    // What the public sees on the 503 (JSON "message", the built-in page); empty: the default.
    std::string message;
    // When `enabled` last changed; empty while it has not changed since the start (and off).
    std::optional<Clock::time_point> since;
    std::shared_ptr<const config::ReadOnlyConfig> settings;  // never null

    // How long a GET/HEAD response is cached at least while read-only is on.
    Duration minTtl() const { return settings->min_ttl; }
  };

  ReadOnlyState();
  ReadOnlyState(const ReadOnlyState&) = delete;
  ReadOnlyState& operator=(const ReadOnlyState&) = delete;

  // The process's state, which the pipeline, the upstream handler and the admin API share.
  static ReadOnlyState& process();
  // process().snapshot(), for handlers (the cache) that need the mode and min_ttl.
  static std::shared_ptr<const View> current() { return process().snapshot(); }

  // The fast path: one acquire load.
  bool enabled() const { return enabled_.load(std::memory_order_acquire); }
  // The whole picture, shared (no copy): for the data path once enabled() said yes.
  std::shared_ptr<const View> snapshot() const { return view_.load(std::memory_order_acquire); }
  // A copy, for the admin API and tests.
  View view() const { return *snapshot(); }

  // The read_only: section in force (start-up and every reload). Keeps enabled/reason/since.
  void configure(std::shared_ptr<const config::ReadOnlyConfig> settings);
  // Switches the mode. `since` is when the switch happened (now, or the time a restored state
  // file recorded). Returns the view before the change, for the log line saying what changed.
  View set(bool enabled, std::string reason, std::optional<Clock::time_point> since,
           std::string message = {});

  // Calls `f` each time set() switches the mode from on to off, on the thread that switched it,
  // after enabled() has turned false; for as long as the returned subscription is kept.
  using SwitchedOff = std::function<void()>;
  [[nodiscard]] std::shared_ptr<const void> onSwitchedOff(SwitchedOff f);

  // Counters (relaxed; read by /metrics).
  std::atomic<uint64_t> blocked_total{0};     // unsafe requests answered 503
  std::atomic<uint64_t> anonymized_total{0};  // requests whose Cookie/Authorization were dropped
  std::atomic<uint64_t> set_cookie_dropped_total{0};  // responses whose Set-Cookie was dropped
  std::atomic<uint64_t> allowed_total{0};  // unsafe requests let through by read_only.allow

 private:
  std::atomic<bool> enabled_{false};
  std::atomic<std::shared_ptr<const View>> view_;
  std::mutex listeners_mu_;
  std::vector<std::weak_ptr<const SwitchedOff>> switched_off_;
};

}  // namespace gatehouse::gate
