#pragma once
// A tap on completed exchanges for `ctl tail` and `ctl top` (varnishlog, varnishtop): while an
// admin client listens, every worker copies each finished exchange's access entry into one
// bounded ring; the admin API drains it on the main loop and streams the entries out. Nothing
// touches the log files.
//
// The data path pays one relaxed load of `listeners` when nobody listens. While someone does, a
// worker takes its own shard's spin lock (uncontended but for the main loop's swap) and appends a
// fixed-size slot plus the entry's text to the shard's arena (no allocation per entry once the
// shard has warmed up: the drained storage is handed back and reused). A full ring (the main loop
// fell behind) drops the entry and counts it, so a slow reader never slows the data path.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>  // std::lock_guard
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/spin_lock.h"
#include "proxy/http/exchange.h"
#include "proxy/server/exchange_end.h"

namespace gatehouse::server {

// One entry as the admin API reads it. The views point into the TapBatch it came from.
struct TapEntry {
  int64_t time_ms = 0;      // Unix time, milliseconds
  std::string_view client;  // address only
  std::string_view method;
  std::string_view host;
  std::string_view target;
  int status = 0;
  uint64_t bytes = 0;        // response body bytes sent
  uint64_t duration_us = 0;  // head received -> exchange ended
  std::string_view server;   // "pool/server" or empty
  std::string_view cache;    // Cache-Status, or empty
  uint16_t listener = 0;
};

namespace tap_detail {
inline constexpr size_t kFields = 6;  // client, method, host, target, server, cache
struct Slot {
  int64_t time_us;  // Unix time: orders the entries of several shards
  uint64_t bytes;
  uint64_t duration_us;
  uint32_t text_begin;
  uint16_t length[kFields];
  uint16_t status;
  uint16_t listener;
};
}  // namespace tap_detail

// What one drain took: every shard's slots and the text their fields live in.
class TapBatch {
 public:
  size_t size() const { return slots_.size(); }
  bool empty() const { return slots_.empty(); }
  TapEntry operator[](size_t i) const;

 private:
  friend class TrafficTap;
  void clear() {
    slots_.clear();
    text_.clear();
  }
  std::vector<tap_detail::Slot> slots_;
  std::string text_;
};

class TrafficTap {
 public:
  static constexpr size_t kShards = 16;      // workers map onto these by index
  static constexpr size_t kCapacity = 8192;  // entries per shard between two drains (~200 ms)
  static constexpr size_t kTextCapacity = 4 << 20;  // their text, per shard
  static constexpr size_t kFieldMax = 2048;         // longer fields (a huge target) are cut

  static TrafficTap& process();

  // Worker: the one test on the data path.
  bool listening() const { return listeners_.load(std::memory_order_relaxed) > 0; }
  // `shard`: the worker's index. Each worker appends to its own shard, so workers never wait
  // for one another, only (for a swap) for the main loop's drain.
  void publish(const http::Exchange& exchange, const ExchangeEnd& end, size_t shard);

  // Main loop: a listener arrives or leaves (the last one out frees the shards' storage);
  // what arrived since the last drain, every shard's entries in `batch` (cleared first).
  void attach() { listeners_.fetch_add(1, std::memory_order_relaxed); }
  void detach();
  void drain(TapBatch& batch);

  std::atomic<uint64_t> dropped_total{0};              // a shard was full
  std::atomic<uint64_t> slow_reader_dropped_total{0};  // a tail client did not keep up (admin)
  int listenersNow() const { return listeners_.load(std::memory_order_relaxed); }

 private:
  // A shard's entries between two drains, in storage allocated at full size on first use (and
  // only touched as far as it is written), so that an append is a bounds check and a few
  // copies, with no growth to handle.
  struct Buffer {
    std::unique_ptr<tap_detail::Slot[]> slots;
    std::unique_ptr<char[]> text;
    size_t count = 0;
    size_t used = 0;
  };
  struct alignas(64) Shard {  // a cache line of its own: workers do not share the lock's line
    SpinLock mu;
    Buffer live;
  };
  std::atomic<int> listeners_{0};
  std::array<Shard, kShards> shards_;
  std::array<Buffer, kShards> drained_;  // main loop only: each shard's last swap
};

}  // namespace gatehouse::server
