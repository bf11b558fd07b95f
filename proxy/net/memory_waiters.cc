#include "proxy/net/memory_waiters.h"

#include <algorithm>
#include <cstdint>

#include "proxy/base/memory_budget.h"

namespace gatehouse::net {

void MemoryWaiters::wait(WaitList::Waiter& waiter) {
  list_.add(&waiter);
  if (!timer_.armed()) timer_.arm(kPollInterval);
}

void MemoryWaiters::poll() {
  const uint64_t limit = MemoryBudget::limit();
  const int64_t used = MemoryBudget::used();
  const uint64_t room = used <= 0 ? limit : limit > static_cast<uint64_t>(used) ? limit - used : 0;
  if (room > 0) {
    // No more than wait now: a woken waiter that must wait again joins the back of the list.
    size_t wake = static_cast<size_t>(std::min<uint64_t>(list_.size(), room / kWakeCost + 1));
    while (wake-- > 0 && list_.wakeOldest()) {
    }
  }
  if (!list_.empty()) timer_.arm(kPollInterval);
}

}  // namespace gatehouse::net
