#pragma once
// A tap on completed exchanges for `ctl tail` and `ctl top` (varnishlog, varnishtop): while an
// admin client listens, every worker copies each finished exchange's access entry into one
// bounded ring; the admin API drains it on the main loop and streams the entries out. Nothing
// touches the log files.
//
// The data path pays one relaxed load of `listeners` when nobody listens. While someone does, a
// worker takes a short lock to append; a full ring (the main loop fell behind) drops the entry
// and counts it, so a slow reader never slows the data path.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "proxy/http/exchange.h"

namespace gatehouse::server {

struct TapEntry {
  int64_t time_ms = 0;  // Unix time, milliseconds
  std::string client;   // address only
  std::string method;
  std::string host;
  std::string target;
  int status = 0;
  uint64_t bytes = 0;        // response body bytes sent
  uint64_t duration_us = 0;  // head received -> exchange ended
  std::string server;        // "pool/server" or empty
  std::string cache;         // Cache-Status, or empty
  uint16_t listener = 0;
};

class TrafficTap {
 public:
  static constexpr size_t kCapacity = 8192;  // entries between two drains (~200 ms) at most

  static TrafficTap& process();

  // Worker: the one test on the data path.
  bool listening() const { return listeners_.load(std::memory_order_relaxed) > 0; }
  void publish(const http::Exchange& exchange);

  // Main loop: a listener arrives or leaves; what arrived since the last drain.
  void attach() { listeners_.fetch_add(1, std::memory_order_relaxed); }
  void detach() { listeners_.fetch_sub(1, std::memory_order_relaxed); }
  std::vector<TapEntry> drain();

  std::atomic<uint64_t> dropped_total{0};              // the ring was full
  std::atomic<uint64_t> slow_reader_dropped_total{0};  // a tail client did not keep up (admin)
  int listenersNow() const { return listeners_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int> listeners_{0};
  std::mutex mu_;
  std::vector<TapEntry> ring_;
};

}  // namespace gatehouse::server
