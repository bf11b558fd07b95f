#pragma once
// `GET /tail`: streams access entries of the running process as JSON lines (application/
// x-ndjson) to each admin client that asked, filtered per client (tail_filter.h). The hub
// drains the TrafficTap (proxy/server/traffic_tap.h) every 200 ms on the main loop while
// anyone listens, and stops the tap when the last one leaves.
//
// Bounded both ways: the tap drops entries when the main loop falls behind; a client that
// reads slower than its entries come (more than kMaxPending bytes unsent on its connection)
// misses them, counted for it (its stream says so in a {"dropped": N} line once it catches
// up) and in gatehouse_tail_dropped_total{reason="slow_reader"}.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "admin-api/tail_filter.h"
#include "proxy/http/exchange.h"
#include "proxy/net/event_loop.h"
#include "proxy/net/timer.h"

namespace gatehouse::admin {

class TailHub {
 public:
  static constexpr size_t kMaxPending = 256 * 1024;
  static constexpr std::chrono::milliseconds kInterval{200};

  explicit TailHub(net::EventLoop& loop);
  ~TailHub();
  TailHub(const TailHub&) = delete;
  TailHub& operator=(const TailHub&) = delete;

  // One client's stream; leaves the hub when destroyed (its exchange ended).
  class Subscription {
   public:
    Subscription(TailHub& hub, http::Exchange& exchange, TailFilter filter);
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    friend class TailHub;
    void deliver(const server::TapBatch& batch, std::string& out);
    TailHub& hub_;
    http::Exchange& exchange_;
    TailFilter filter_;
    uint64_t dropped_ = 0;  // not yet reported to the client
  };

  std::unique_ptr<Subscription> subscribe(http::Exchange& exchange, TailFilter filter) {
    return std::make_unique<Subscription>(*this, exchange, std::move(filter));
  }

  // One entry as the stream's line (with its newline), appended to `out`.
  static void appendLine(std::string& out, const server::TapEntry& e);
  static std::string line(const server::TapEntry& e) {
    std::string out;
    appendLine(out, e);
    return out;
  }

  size_t listeners() const { return subscriptions_.size(); }

 private:
  void tick();

  net::Timer timer_;
  std::vector<Subscription*> subscriptions_;
  server::TapBatch batch_;  // reused: its storage goes back and forth with the tap's ring
  std::string out_;         // one subscription's lines, reused
};

}  // namespace gatehouse::admin
