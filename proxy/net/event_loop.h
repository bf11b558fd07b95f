#pragma once
// One event_base per thread. post() is the only thread-safe entry: it queues a task that the
// loop's own thread runs, woken through an eventfd. Since nothing else crosses threads, the
// event_base has no lock (EVENT_BASE_FLAG_NOLOCK): every event_add, event_del and event_active
// on the request path would otherwise take and release a mutex (~770 instructions per cached
// response, 3% of it). deferDelete() destroys an object after the current callback returns,
// so a connection may finish itself from inside its own callback.

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "proxy/net/libevent_ptr.h"
#include "proxy/net/memory_waiters.h"

namespace gatehouse::net {

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  event_base* base() const { return base_.get(); }
  // Work on this loop paused above limits.memory waits here (loop thread only).
  MemoryWaiters& memoryWaiters() { return memory_waiters_; }

  // Runs until stop() or until there is nothing left to wait for.
  void run();
  // Thread-safe: makes run() return after the current callbacks.
  void stop();
  // Thread-safe: runs task on the loop's thread.
  void post(std::function<void()> task);
  // Loop thread only: destroys the object once the current callback has returned.
  void deferDelete(std::shared_ptr<const void> object);
  // The same for a sole owner, without a shared_ptr control block to allocate (an Exchange per
  // request goes this way).
  template <typename T>
  void deferDelete(std::unique_ptr<T> object) {
    if (!object) return;
    const bool scheduled = reapScheduled();
    owned_graveyard_.push_back({object.release(), [](void* p) { delete static_cast<T*>(p); }});
    if (!scheduled) scheduleReap();
  }
  // The same for an object that goes back to a pool rather than be deleted (a finished HTTP/1
  // Exchange, ExchangePool): `release(object)` runs once the current callback has returned, in
  // turn with the deletions deferred before and after it.
  void deferRelease(void* object, void (*release)(void*)) {
    const bool scheduled = reapScheduled();
    owned_graveyard_.push_back({object, release});
    if (!scheduled) scheduleReap();
  }

 private:
  static void onPosted(evutil_socket_t, short, void* self);
  static void onReap(evutil_socket_t, short, void* self);
  void scheduleReap();
  // Whether the reap event is already active (onReap clears it before it destroys anything, so
  // that what a destructor defers schedules the next round). An HTTP/2 batch defers an
  // Exchange and a stream per request; event_active for each cost ~100 instructions.
  bool reapScheduled() const { return reap_pending_; }

  struct Owned {
    void* object;
    void (*destroy)(void*);
  };

  EventBasePtr base_;
  int wake_fd_ = -1;  // eventfd: post() makes it readable when the queue was empty
  EventPtr posted_event_;
  EventPtr reap_event_;
  std::mutex posted_mutex_;
  std::vector<std::function<void()>> posted_;
  std::vector<std::shared_ptr<const void>> graveyard_;
  std::vector<Owned> owned_graveyard_;
  std::vector<Owned> owned_dying_;  // kept between rounds: its capacity is reused
  bool reap_pending_ = false;
  MemoryWaiters memory_waiters_{base_.get()};  // declared after base_: destroyed before it
};

// Makes libevent thread-aware. Call once, before any loop. (Loops themselves run unlocked:
// post() is their only cross-thread entry.)
void initLibeventThreading();

}  // namespace gatehouse::net
