#include "proxy/static_files/static_counters.h"

namespace gatehouse::static_files {

std::array<std::atomic<uint64_t>, kDecisionCount>& decisionCounters() {
  static std::array<std::atomic<uint64_t>, kDecisionCount> counters{};
  return counters;
}

std::array<std::atomic<uint64_t>, kBodyPathCount>& bodyPathCounters() {
  static std::array<std::atomic<uint64_t>, kBodyPathCount> counters{};
  return counters;
}

}  // namespace gatehouse::static_files
