#include "proxy/net/libevent_memory.h"

#include <event2/event.h>
#include <malloc.h>

#include <array>
#include <cstdint>
#include <cstdlib>

#include "proxy/base/memory_budget.h"

namespace gatehouse::net {
namespace {

int64_t usableSize(void* block) {
  return static_cast<int64_t>(malloc_usable_size(block));
}

// The last few blocks this thread allocated, not charged yet. A block freed while still here
// (most of a request's: the read chunk, a reference's chain) is never charged at all, which
// saves asking the allocator its size twice per block (malloc_usable_size is a lookup in
// jemalloc: ~1% of a cache hit's instructions). A block pushed out by newer ones is charged
// then; at most kRecent blocks per thread go uncounted meanwhile.
class RecentBlocks {
 public:
  static constexpr size_t kRecent = 4;

  ~RecentBlocks() {  // the thread ends: whatever is left is charged, to be freed elsewhere
    for (void*& block : blocks_)
      chargeOut(block);
    MemoryBudget::flush();
  }

  void add(void* block) {
    chargeOut(blocks_[next_]);
    blocks_[next_] = block;
    next_ = (next_ + 1) % kRecent;
  }
  // True (and forgotten) if `block` is one of them, so never charged.
  bool take(void* block) {
    for (void*& b : blocks_) {
      if (b == block) {
        b = nullptr;
        return true;
      }
    }
    return false;
  }
  // Replaces the block that was at address `from` by `to` (a realloc) if it is one of them.
  // An address, not a pointer: the block there is gone (GCC's -Wuse-after-free would say so).
  bool move(uintptr_t from, void* to) {
    for (void*& b : blocks_) {
      if (reinterpret_cast<uintptr_t>(b) == from) {
        b = to;
        return true;
      }
    }
    return false;
  }

 private:
  static void chargeOut(void*& block) {
    if (block) MemoryBudget::charge(usableSize(block));
    block = nullptr;
  }

  std::array<void*, kRecent> blocks_{};
  size_t next_ = 0;
};

thread_local RecentBlocks recent;

}  // namespace

void* countedMalloc(size_t size) {
  void* block = std::malloc(size);
  if (block) recent.add(block);
  return block;
}

void* countedRealloc(void* block, size_t size) {
  if (!block) return countedMalloc(size);
  if (size == 0) {
    countedFree(block);
    return nullptr;
  }
  const int64_t before = usableSize(block);
  const auto was_at = reinterpret_cast<uintptr_t>(block);
  void* moved = std::realloc(block, size);
  if (moved && !recent.move(was_at, moved)) MemoryBudget::charge(usableSize(moved) - before);
  return moved;
}

void countedFree(void* block) {
  if (!block) return;
  if (!recent.take(block)) MemoryBudget::charge(-usableSize(block));
  std::free(block);
}

void countLibeventMemory() {
  [[maybe_unused]] static const bool once = [] {
    event_set_mem_functions(&countedMalloc, &countedRealloc, &countedFree);
    return true;
  }();
}

}  // namespace gatehouse::net
