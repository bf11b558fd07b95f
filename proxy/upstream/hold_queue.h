#pragma once
// A worker's requests waiting for a server (a pool's `hold`): when no server of the pool can
// take a request, or the pool is paused, the request waits here instead of failing. The main
// loop posts wakeAll() to every worker whenever a server may have become available (health
// up, `ready`, `resume`, reload); each waiter then tries again and stays if it still cannot
// go. Each waiter keeps its own deadline. Worker thread only.
//
// An intrusive list: each waiter carries its own links, so add(), remove() and contains() are
// O(1) and wakeAll() is O(n) at hold_max 10,000 (a vector made every wake and every leave a
// scan: O(n^2) per wake).

#include <cstddef>
#include <utility>

namespace gatehouse::upstream {

class HoldQueue {
 public:
  class Waiter {
   public:
    Waiter() = default;
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    // A waiter destroyed while queued leaves the queue.
    virtual ~Waiter() {
      if (queue_) queue_->remove(this);
    }
    // Try again; may leave the queue (and even destroy the waiter) before returning.
    virtual void onHoldWake() = 0;

   private:
    friend class HoldQueue;
    HoldQueue* queue_ = nullptr;
    Waiter* prev_ = nullptr;
    Waiter* next_ = nullptr;
  };

  HoldQueue() = default;
  HoldQueue(const HoldQueue&) = delete;
  HoldQueue& operator=(const HoldQueue&) = delete;
  ~HoldQueue() {
    while (head_)
      remove(head_);
  }

  // Appends `w` (newest last); a waiter already queued stays where it is.
  void add(Waiter* w) {
    if (w->queue_) return;
    w->queue_ = this;
    w->prev_ = tail_;
    w->next_ = nullptr;
    (tail_ ? tail_->next_ : head_) = w;
    tail_ = w;
    ++size_;
  }
  // Unlinks `w` if it is queued here; a wake in progress skips it from then on.
  void remove(Waiter* w) {
    if (w->queue_ != this) return;
    if (w == wake_cursor_) wake_cursor_ = w == wake_last_ ? nullptr : w->next_;
    if (w == wake_last_) wake_last_ = w->prev_;
    (w->prev_ ? w->prev_->next_ : head_) = w->next_;
    (w->next_ ? w->next_->prev_ : tail_) = w->prev_;
    w->queue_ = nullptr;
    w->prev_ = w->next_ = nullptr;
    --size_;
  }
  bool contains(const Waiter* w) const { return w->queue_ == this; }
  size_t size() const { return size_; }

  // Oldest first, so that those who waited longest go first. Wakes those queued when it
  // started and still queued when their turn comes (an earlier waiter's work may remove a later
  // one); waiters added meanwhile wait for the next wake. Called again from inside a wake, it
  // runs one more pass once the current one ends.
  void wakeAll() {
    if (waking_) {
      wake_again_ = true;
      return;
    }
    waking_ = true;
    do {
      wake_again_ = false;
      wakePass();
    } while (wake_again_);
    waking_ = false;
  }

 private:
  void wakePass() {
    wake_last_ = tail_;
    wake_cursor_ = head_;
    while (Waiter* w = wake_cursor_) {
      // Advanced before the call; remove() keeps both ends right if the waiter's work
      // removes the next waiter or the last one of this pass.
      wake_cursor_ = w == wake_last_ ? nullptr : w->next_;
      w->onHoldWake();
    }
    wake_last_ = nullptr;
  }

  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
  size_t size_ = 0;
  Waiter* wake_cursor_ = nullptr;  // the next waiter of the pass under way
  Waiter* wake_last_ = nullptr;    // the last waiter of the pass under way
  bool waking_ = false;
  bool wake_again_ = false;
};

}  // namespace gatehouse::upstream
