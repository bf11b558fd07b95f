#pragma once
// A backend server's response times as a Prometheus histogram: the time from its request head
// going out to its response head coming in (HAProxy's Tr), counted by every worker with relaxed
// atomics. /metrics renders it per server; the admin API's traffic history turns the bucket
// counts of the last seconds into p50/p99 for the status page.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace gatehouse::health {

struct ResponseTimes {
  // Upper bounds in microseconds; a last bucket (+Inf) follows.
  static constexpr std::array<uint64_t, 12> kBoundsUs = {
      1'000,   5'000,   10'000,    25'000,    50'000,    100'000,
      250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};
  static constexpr size_t kBuckets = kBoundsUs.size() + 1;

  // Per-bucket counts: each response in the first bucket it fits (not cumulative).
  std::array<std::atomic<uint64_t>, kBuckets> buckets{};
  std::atomic<uint64_t> sum_us{0};

  static size_t bucketOf(uint64_t us) {
    size_t b = 0;
    while (b < kBoundsUs.size() && us > kBoundsUs[b])
      ++b;
    return b;
  }
  void record(uint64_t us) {
    buckets[bucketOf(us)].fetch_add(1, std::memory_order_relaxed);
    sum_us.fetch_add(us, std::memory_order_relaxed);
  }
};

}  // namespace gatehouse::health
