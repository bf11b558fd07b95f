// MemoryWaiters: work paused above limits.memory resumes, from the loop, once memory is back.
#include "proxy/net/memory_waiters.h"

#include <gtest/gtest.h>

#include "proxy/net/event_loop.h"
#include "tests/support/loop_runner.h"
#include "tests/support/memory_pressure.h"

namespace gatehouse::net {
namespace {

TEST(MemoryWaiters, WakeNoOneWhileOverTheLimitAndEveryoneOnceUnder) {
  EventLoop loop;
  testing::MemoryPressure pressure;
  int woken = 0;
  WaitList::Waiter a([&] { ++woken; }), b([&] { ++woken; });
  loop.memoryWaiters().wait(a);
  loop.memoryWaiters().wait(b);
  loop.memoryWaiters().wait(a);  // already waiting: once
  EXPECT_EQ(loop.memoryWaiters().waiting(), 2u);
  testing::runUntil(
      loop.base(), [] { return false; }, std::chrono::milliseconds(50));
  EXPECT_EQ(woken, 0);
  pressure.release();
  ASSERT_TRUE(testing::runUntil(loop.base(), [&] { return woken == 2; }));
  EXPECT_FALSE(a.waiting());
  EXPECT_EQ(loop.memoryWaiters().waiting(), 0u);
}

TEST(MemoryWaiters, WakeOnlyAsManyAsTheRoomLeftCanTake) {
  EventLoop loop;
  const uint64_t saved = MemoryBudget::limit();
  MemoryBudget::flush();
  // Room for two waiters' worth of reading (kWakeCost each) beyond what is counted now.
  MemoryBudget::setLimit(static_cast<uint64_t>(MemoryBudget::used()) + MemoryWaiters::kWakeCost +
                         MemoryWaiters::kWakeCost / 2);
  int woken = 0;
  WaitList::Waiter w1([&] { ++woken; }), w2([&] { ++woken; }), w3([&] { ++woken; });
  for (WaitList::Waiter* w : {&w1, &w2, &w3})
    loop.memoryWaiters().wait(*w);
  ASSERT_TRUE(testing::runUntil(loop.base(), [&] { return woken > 0; }));
  EXPECT_EQ(woken, 2);  // room / kWakeCost + 1
  EXPECT_TRUE(w3.waiting());
  ASSERT_TRUE(testing::runUntil(loop.base(), [&] { return woken == 3; }));
  MemoryBudget::setLimit(saved);
}

}  // namespace
}  // namespace gatehouse::net
