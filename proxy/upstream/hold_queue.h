#pragma once
// A worker's requests waiting for a server (a pool's `hold`): when no server of the pool can
// take a request, or the pool is paused, the request waits here instead of failing. The main
// loop posts wakeAll() to every worker whenever a server may have become available (health
// up, `ready`, `resume`, reload); each waiter then tries again and stays if it still cannot
// go. Each waiter keeps its own deadline. Worker thread only.
//
// A WaitList (base/wait_list.h): each waiter carries its own links, so add(), remove() and
// contains() are O(1) and wakeAll() is O(n) at hold_max 10,000 (a vector made every wake and
// every leave a scan: O(n^2) per wake).

#include "proxy/base/wait_list.h"

namespace gatehouse::upstream {

class HoldQueue {
 public:
  class Waiter {
   public:
    Waiter() = default;
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    virtual ~Waiter() = default;  // a waiter destroyed while queued leaves the queue
    // Try again; may leave the queue (and even destroy the waiter) before returning.
    virtual void onHoldWake() = 0;

   private:
    friend class HoldQueue;
    WaitList::Waiter link_{[this] { onHoldWake(); }};
  };

  void add(Waiter* w) { list_.add(&w->link_); }
  void remove(Waiter* w) { list_.remove(&w->link_); }
  bool contains(const Waiter* w) const { return list_.contains(&w->link_); }
  size_t size() const { return list_.size(); }
  // Oldest first, so that those who waited longest go first; see WaitList::wakeAll().
  void wakeAll() { list_.wakeAll(); }

 private:
  WaitList list_;
};

}  // namespace gatehouse::upstream
