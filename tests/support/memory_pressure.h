#pragma once
// Puts the process over limits.memory (base/memory_budget.h, process-wide) for a test's scope:
// the limit drops to 0 and a few bytes are charged; release() (or the end of the scope) takes
// them back and restores the limit.

#include "proxy/base/memory_budget.h"

namespace gatehouse::testing {

class MemoryPressure {
 public:
  MemoryPressure() : saved_limit_(MemoryBudget::limit()) {
    MemoryBudget::setLimit(0);
    MemoryBudget::charge(kBytes);
    MemoryBudget::flush();
  }
  ~MemoryPressure() { release(); }
  MemoryPressure(const MemoryPressure&) = delete;
  MemoryPressure& operator=(const MemoryPressure&) = delete;

  void release() {
    if (!on_) return;
    on_ = false;
    MemoryBudget::charge(-kBytes);
    MemoryBudget::flush();
    MemoryBudget::setLimit(saved_limit_);
  }

 private:
  static constexpr int64_t kBytes = 4096;
  uint64_t saved_limit_;
  bool on_ = true;
};

}  // namespace gatehouse::testing
