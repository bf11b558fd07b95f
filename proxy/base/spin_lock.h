#pragma once
// A lock for a critical section of a few instructions that is almost never contended (a
// worker appending to its own buffer, the main loop swapping it out a few times a second):
// an uncontended lock and unlock are one atomic exchange and one store, where a std::mutex
// costs a function call into glibc each way. Contended, it spins briefly, then yields the CPU.
// Not for anything that may block or run long while holding it.

#include <atomic>
#include <thread>

namespace gatehouse {

class SpinLock {
 public:
  void lock() {
    for (unsigned spins = 0; locked_.exchange(true, std::memory_order_acquire); ++spins) {
      // Wait on a plain load (no cache-line ping-pong), yielding when it takes long.
      while (locked_.load(std::memory_order_relaxed))
        if (++spins > 64) std::this_thread::yield();
    }
  }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace gatehouse
