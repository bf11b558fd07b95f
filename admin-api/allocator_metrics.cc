#include "admin-api/allocator_metrics.h"

#include <array>
#include <cstddef>
#include <cstdint>

// jemalloc's control interface, declared weak: only the gatehouse binary links jemalloc (not the
// sanitizer builds or the tests), and there it resolves; elsewhere it is null.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace gatehouse::admin {
namespace {

struct AllocatorStat {
  const char* kind;  // the label
  const char* name;  // jemalloc's mallctl name
};

// What each means (jemalloc's manual, "stats.*"):
//   allocated: bytes the program asked for and holds;
//   active:    the pages those lie in (allocated + the slack of their size classes);
//   resident:  what is in RAM, jemalloc's own metadata and freed pages not yet purged included
//              (the background thread purges them after 10 s unused:
//              proxy/cmd/allocator_options.cc);
//   metadata:  jemalloc's bookkeeping;
//   retained:  address space given back to the kernel but kept mapped for reuse (not in RSS).
constexpr std::array<AllocatorStat, 5> kStats{{
    {"allocated", "stats.allocated"},
    {"active", "stats.active"},
    {"resident", "stats.resident"},
    {"metadata", "stats.metadata"},
    {"retained", "stats.retained"},
}};

}  // namespace

void addAllocatorMetrics(PrometheusText& out) {
  if (mallctl == nullptr) return;
  // The stats are a snapshot taken when the epoch advances: take a fresh one for this scrape.
  uint64_t epoch = 1;
  size_t epoch_len = sizeof(epoch);
  if (mallctl("epoch", &epoch, &epoch_len, &epoch, sizeof(epoch)) != 0) return;
  for (const AllocatorStat& stat : kStats) {
    size_t value = 0;
    size_t len = sizeof(value);
    if (mallctl(stat.name, &value, &len, nullptr, 0) == 0)
      out.add(Metric::AllocatorBytes, {{"kind", stat.kind}}, static_cast<uint64_t>(value));
  }
}

}  // namespace gatehouse::admin
