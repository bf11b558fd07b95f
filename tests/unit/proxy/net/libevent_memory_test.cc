// The counting allocation functions libevent is given (limits.memory).
#include "proxy/net/libevent_memory.h"

#include <gtest/gtest.h>

#include <vector>

#include "proxy/base/memory_budget.h"

namespace gatehouse::net {
namespace {

int64_t counted() {
  MemoryBudget::flush();
  return MemoryBudget::used();
}

TEST(LibeventMemory, ABlockFreedSoonAfterItWasAllocatedIsNeverCharged) {
  const int64_t before = counted();
  void* chunk = countedMalloc(16384);
  EXPECT_EQ(counted(), before);
  countedFree(chunk);
  EXPECT_EQ(counted(), before);
}

TEST(LibeventMemory, ABlockThatStaysIsChargedItsUsableSizeUntilFreed) {
  const int64_t before = counted();
  void* kept = countedMalloc(100000);
  std::vector<void*> later;
  for (int i = 0; i < 8; ++i)  // newer blocks push it out of the recent ones: charged now
    later.push_back(countedMalloc(64));
  EXPECT_GE(counted() - before, 100000);
  for (void* b : later)
    countedFree(b);
  void* grown = countedRealloc(kept, 300000);
  ASSERT_NE(grown, nullptr);
  EXPECT_GE(counted() - before, 300000);
  countedFree(grown);
  EXPECT_EQ(counted(), before);
}

TEST(LibeventMemory, ReallocOfARecentBlockAndReallocToZeroKeepTheCountRight) {
  const int64_t before = counted();
  void* b = countedRealloc(nullptr, 1000);  // malloc
  b = countedRealloc(b, 5000);              // still recent: not charged
  EXPECT_EQ(counted(), before);
  EXPECT_EQ(countedRealloc(b, 0), nullptr);  // free
  EXPECT_EQ(counted(), before);
}

}  // namespace
}  // namespace gatehouse::net
