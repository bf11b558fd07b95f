#pragma once
// One more of a counter that /metrics reads from another thread. Relaxed: a counter orders
// nothing, and an operator reads totals, not the interleaving of two threads' increments.

#include <atomic>
#include <cstdint>

namespace gatehouse {

inline void count(std::atomic<uint64_t>& counter) {
  counter.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace gatehouse
