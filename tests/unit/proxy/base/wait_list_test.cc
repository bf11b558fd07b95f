// WaitList: the intrusive list under the hold queue and the memory waiters (the hold queue's
// own tests cover wakeAll()'s rules through it).
#include "proxy/base/wait_list.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace gatehouse {
namespace {

TEST(WaitList, WakeOldestTakesTheWaiterOutBeforeItsCallback) {
  WaitList list;
  std::string order;
  WaitList::Waiter a([&] { order += 'a'; });
  WaitList::Waiter b([&] { order += 'b'; });
  list.add(&a);
  list.add(&b);
  EXPECT_TRUE(list.wakeOldest());
  EXPECT_FALSE(a.waiting());
  EXPECT_TRUE(b.waiting());
  EXPECT_TRUE(list.wakeOldest());
  EXPECT_FALSE(list.wakeOldest());
  EXPECT_EQ(order, "ab");
  EXPECT_TRUE(list.empty());
}

TEST(WaitList, OneOwnerWaitsInTwoListsThroughTwoWaiters) {
  WaitList holds, memory;
  int held = 0, paused = 0;
  WaitList::Waiter hold([&] { ++held; });
  WaitList::Waiter pause([&] { ++paused; });
  holds.add(&hold);
  memory.add(&pause);
  memory.add(&hold);  // already waiting elsewhere: stays where it is
  EXPECT_EQ(memory.size(), 1u);
  holds.wakeAll();
  memory.wakeAll();
  EXPECT_EQ(held, 1);
  EXPECT_EQ(paused, 1);
}

TEST(WaitList, AListDestroyedFirstLetsItsWaitersGo) {
  WaitList::Waiter w([] {});
  {
    WaitList list;
    list.add(&w);
    EXPECT_TRUE(w.waiting());
  }
  EXPECT_FALSE(w.waiting());  // and its destructor touches no list
}

}  // namespace
}  // namespace gatehouse
