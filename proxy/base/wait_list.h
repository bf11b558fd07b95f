#pragma once
// Waiters woken all at once, oldest first: an intrusive list, so that add(), remove() and
// contains() are O(1) and wakeAll() is O(n) whatever the waiters do meanwhile. Each waiter is an
// object its owner keeps (a member), with the callback to run; one owner may wait in several
// lists through several waiters. A waiter destroyed while in a list leaves it; a list destroyed
// with waiters in it lets them go. One thread only.
//
// Used by the upstream's hold queue (requests waiting for a server) and by the event loops'
// memory waiters (work paused above limits.memory).

#include <cstddef>
#include <functional>
#include <utility>

namespace gatehouse {

class WaitList {
 public:
  class Waiter {
   public:
    explicit Waiter(std::function<void()> on_wake) : on_wake_(std::move(on_wake)) {}
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    ~Waiter() { leave(); }
    bool waiting() const { return list_ != nullptr; }
    // Out of whatever list it waits in.
    void leave() {
      if (list_) list_->remove(this);
    }

   private:
    friend class WaitList;
    std::function<void()> on_wake_;
    WaitList* list_ = nullptr;
    Waiter* prev_ = nullptr;
    Waiter* next_ = nullptr;
  };

  WaitList() = default;
  WaitList(const WaitList&) = delete;
  WaitList& operator=(const WaitList&) = delete;
  ~WaitList() {
    while (head_)
      remove(head_);
  }

  // Appends `w` (newest last); a waiter already in a list stays where it is.
  void add(Waiter* w) {
    if (w->list_) return;
    w->list_ = this;
    w->prev_ = tail_;
    w->next_ = nullptr;
    (tail_ ? tail_->next_ : head_) = w;
    tail_ = w;
    ++size_;
  }
  // Unlinks `w` if it is in this list; a wake in progress skips it from then on.
  void remove(Waiter* w) {
    if (w->list_ != this) return;
    if (w == wake_cursor_) wake_cursor_ = w == wake_last_ ? nullptr : w->next_;
    if (w == wake_last_) wake_last_ = w->prev_;
    (w->prev_ ? w->prev_->next_ : head_) = w->next_;
    (w->next_ ? w->next_->prev_ : tail_) = w->prev_;
    w->list_ = nullptr;
    w->prev_ = w->next_ = nullptr;
    --size_;
  }
  bool contains(const Waiter* w) const { return w->list_ == this; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Takes the oldest waiter out and runs its callback; false when there was none.
  bool wakeOldest() {
    Waiter* w = head_;
    if (!w) return false;
    remove(w);
    w->on_wake_();
    return true;
  }

  // Runs the callback of every waiter, oldest first; they stay unless they leave. Wakes those
  // in the list when it started and still in it when their turn comes (an earlier waiter's
  // work may remove a later one); waiters added meanwhile wait for the next wake. Called again
  // from inside a wake, it runs one more pass once the current one ends.
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
      w->on_wake_();
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

}  // namespace gatehouse
