#pragma once
// Work paused because the process is over limits.memory (base/memory_budget.h), on one loop:
// while anyone waits, a timer looks at the count every 10 ms, and once it is under the limit
// wakes waiters oldest first, as many as the room left can take (kWakeCost each: what one of
// them may read at once and pass on), so that a crowd of paused readers does not all resume
// into the same bytes. Owned by the EventLoop; loop thread only.

#include "proxy/base/duration.h"
#include "proxy/base/wait_list.h"
#include "proxy/net/timer.h"

namespace gatehouse::net {

class MemoryWaiters {
 public:
  static constexpr Duration kPollInterval{10};
  static constexpr int64_t kWakeCost = 32 * 1024;

  explicit MemoryWaiters(event_base* base) : timer_(base, [this] { poll(); }) {}

  // `waiter` waits (unless it already does) until the count is under the limit; it is then
  // taken out of the list and its callback runs from the loop.
  void wait(WaitList::Waiter& waiter);
  size_t waiting() const { return list_.size(); }

 private:
  void poll();

  WaitList list_;
  Timer timer_;
};

}  // namespace gatehouse::net
