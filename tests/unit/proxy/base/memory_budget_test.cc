// MemoryBudget: the process-wide count of limits.memory, batched per thread.
#include "proxy/base/memory_budget.h"

#include <gtest/gtest.h>

#include <thread>

namespace gatehouse {
namespace {

class MemoryBudgetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MemoryBudget::flush();
    start_ = MemoryBudget::used();
    saved_limit_ = MemoryBudget::limit();
  }
  void TearDown() override { MemoryBudget::setLimit(saved_limit_); }
  int64_t counted() const { return MemoryBudget::used() - start_; }

  int64_t start_ = 0;
  uint64_t saved_limit_ = 0;
};

TEST_F(MemoryBudgetTest, AThreadsSmallChargesReachTheCountInBatches) {
  MemoryBudget::charge(1000);
  EXPECT_EQ(counted(), 0) << "kept by the thread until it passes kFlushBytes";
  MemoryBudget::charge(MemoryBudget::kFlushBytes);
  EXPECT_EQ(counted(), MemoryBudget::kFlushBytes + 1000);
  MemoryBudget::charge(-(MemoryBudget::kFlushBytes + 1000));
  MemoryBudget::flush();
  EXPECT_EQ(counted(), 0);
}

TEST_F(MemoryBudgetTest, IsOverOnlyAboveTheLimit) {
  MemoryBudget::setLimit(static_cast<uint64_t>(MemoryBudget::used()) + 4096);
  EXPECT_FALSE(MemoryBudget::over());
  MemoryBudget::charge(4096);
  MemoryBudget::flush();
  EXPECT_FALSE(MemoryBudget::over()) << "at the limit is not over it";
  MemoryBudget::charge(1);
  MemoryBudget::flush();
  EXPECT_TRUE(MemoryBudget::over());
  MemoryBudget::charge(-4097);
  MemoryBudget::flush();
  EXPECT_FALSE(MemoryBudget::over());
}

TEST_F(MemoryBudgetTest, BytesChargedOnOneThreadAndGivenBackOnAnotherCancelOut) {
  std::thread([] {
    MemoryBudget::charge(3 * MemoryBudget::kFlushBytes);
    MemoryBudget::flush();
  }).join();
  EXPECT_EQ(counted(), 3 * MemoryBudget::kFlushBytes);
  MemoryBudget::charge(-3 * MemoryBudget::kFlushBytes);
  MemoryBudget::flush();
  EXPECT_EQ(counted(), 0);
}

}  // namespace
}  // namespace gatehouse
