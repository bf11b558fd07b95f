#pragma once
// The main loop's side of systemd's notify protocol (readiness.h sends the messages):
//   - STATUS= every kStatusInterval: what `summary()` says (requests/s, read-only, servers up);
//   - WATCHDOG=1 every quarter of WatchdogSec, but only while every worker's loop still turns: each
//     tick pings every worker (a task queued on its loop) and the next tick sends WATCHDOG=1
//     only if all of them answered. A wedged worker (or main loop) stops the pings, and systemd
//     restarts the service (Restart=on-failure). During a graceful stop, workers that finished
//     no longer answer; the pings then go on unconditionally (TimeoutStopSec bounds the stop).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/net/event_loop.h"
#include "proxy/net/timer.h"
#include "proxy/server/worker.h"

namespace gatehouse::server {

class ServiceNotifier {
 public:
  static constexpr Duration kStatusInterval{10000};

  // `workers` must outlive this object and not change size while it lives.
  ServiceNotifier(net::EventLoop& loop, const std::vector<std::unique_ptr<Worker>>& workers,
                  std::function<std::string()> summary);

  // Sends STATUS= now (after READY=1 and after a reload).
  void sendStatus();
  void stopping() { stopping_ = true; }

 private:
  void onWatchdogTick();

  const std::vector<std::unique_ptr<Worker>>& workers_;
  std::function<std::string()> summary_;
  std::optional<Duration> watchdog_;
  uint64_t beat_ = 0;
  bool stopping_ = false;
  net::Timer status_timer_;
  net::Timer watchdog_timer_;
};

}  // namespace gatehouse::server
