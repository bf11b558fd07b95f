#pragma once
// limits.memory: one process-wide count of the bytes that connection buffers and in-flight
// bodies hold, against one limit. What is counted is every allocation libevent makes (each
// evbuffer chunk of every client, backend and HTTP/2 stream buffer: net/libevent_memory.h);
// the cache's objects are not (a hit's body goes out by reference), nor are nghttp2's and
// OpenSSL's own per-connection state.
//
// Above the limit (over()), new requests get 503 (pipeline.cc) and reading pauses: the
// upstream stops reading responses from backends and request bodies from clients until the
// count is under the limit again (net/memory_waiters.h). So a flood of slow readers, slow
// uploads or HTTP/2 streams at window 0 holds about the limit, plus one read (16 KiB, in a
// 32 KiB block) for each exchange under way when the limit was crossed, plus per-thread slack;
// not more (tests/hostile/limits_test.py measures it).
//
// Cheap enough for every allocation: each thread keeps its own running delta and adds it to
// the shared count only once it passes kFlushBytes either way, so the count may be off by
// kFlushBytes per thread, and a chunk allocated and freed per request touches no shared line.

#include <atomic>
#include <cstdint>

namespace gatehouse {

class MemoryBudget {
 public:
  static constexpr int64_t kFlushBytes = 128 * 1024;

  // Thread-safe; at start and on reload.
  static void setLimit(uint64_t bytes) { limit_.store(bytes, std::memory_order_relaxed); }
  static uint64_t limit() { return limit_.load(std::memory_order_relaxed); }
  // Bytes counted now, all threads (within kFlushBytes per thread).
  static int64_t used() { return used_.load(std::memory_order_relaxed); }
  static bool over() {
    const int64_t used = used_.load(std::memory_order_relaxed);
    return used > 0 && static_cast<uint64_t>(used) > limit();
  }

  // From any thread: `bytes` allocated (positive) or freed (negative).
  static void charge(int64_t bytes) {
    pending_ += bytes;
    if (pending_ > kFlushBytes || pending_ < -kFlushBytes) flush();
  }
  // Adds this thread's running delta to the shared count now (tests; a thread about to end).
  static void flush() {
    used_.fetch_add(pending_, std::memory_order_relaxed);
    pending_ = 0;
  }

  // Times the upstream paused reading (a response from a backend, a request body from a
  // client) because the count was over the limit.
  static inline std::atomic<uint64_t> pauses_total{0};

 private:
  static inline std::atomic<int64_t> used_{0};
  static inline std::atomic<uint64_t> limit_{UINT64_MAX};  // none until the server sets one
  static inline thread_local int64_t pending_ = 0;
};

}  // namespace gatehouse
