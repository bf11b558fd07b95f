#pragma once
// A worker's requests waiting for a server (a pool's `hold`): when no server of the pool can
// take a request, or the pool is paused, the request waits here instead of failing. The main
// loop posts wakeAll() to every worker whenever a server may have become available (health
// up, `ready`, `resume`, reload); each waiter then tries again and stays if it still cannot
// go. Each waiter keeps its own deadline. Worker thread only.

#include <algorithm>
#include <vector>

namespace gatehouse::upstream {

class HoldQueue {
 public:
  class Waiter {
   public:
    virtual ~Waiter() = default;
    // Try again; may leave the queue (and even destroy the waiter) before returning.
    virtual void onHoldWake() = 0;
  };

  void add(Waiter* w) { waiters_.push_back(w); }
  void remove(Waiter* w) { std::erase(waiters_, w); }
  bool contains(const Waiter* w) const {
    return std::find(waiters_.begin(), waiters_.end(), w) != waiters_.end();
  }
  size_t size() const { return waiters_.size(); }

  // Oldest first, so that those who waited longest go first.
  void wakeAll() {
    const std::vector<Waiter*> now = waiters_;
    for (Waiter* w : now)
      if (contains(w)) w->onHoldWake();  // an earlier waiter's work may have removed it
  }

 private:
  std::vector<Waiter*> waiters_;
};

}  // namespace gatehouse::upstream
