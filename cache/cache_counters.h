#pragma once
// What the cache counts (Varnish's varnishstat, STYLE.md habit 6): every decision, exposed at
// /metrics. Relaxed atomics: totals, not a synchronisation point.

#include <atomic>
#include <cstdint>

namespace gatehouse::cache {

struct CacheCounters {
  std::atomic<uint64_t> hits{0};    // fresh, served from memory
  std::atomic<uint64_t> misses{0};  // looked up, not found: fetched
  std::atomic<uint64_t> passes{0};  // not looked up: not anonymous, not GET/HEAD, range...
  std::atomic<uint64_t> stale_while_revalidate{0};  // stale served while a refresh runs
  std::atomic<uint64_t> stale_if_error{0};          // stale served because the origin failed
  std::atomic<uint64_t> refresh_failures{0};        // background refreshes the origin failed
  std::atomic<uint64_t> revalidations{0};           // conditional requests sent to the origin
  std::atomic<uint64_t> revalidated{0};             // ...answered 304: the object was refreshed
  std::atomic<uint64_t> coalesced{0};               // requests that waited on another's fill
  std::atomic<uint64_t> coalesce_timeouts{0};       // ...and gave up waiting
  std::atomic<uint64_t> stored{0};
  std::atomic<uint64_t> not_stored{0};      // responses that were not storable
  std::atomic<uint64_t> too_large{0};       // over max_object: passed through
  std::atomic<uint64_t> evicted{0};         // dropped to stay under cache.memory
  std::atomic<uint64_t> expired{0};         // dropped past freshness and grace
  std::atomic<uint64_t> purged{0};          // objects removed by purge, ban or invalidation
  std::atomic<uint64_t> purge_requests{0};  // purge and ban operations
  std::atomic<uint64_t> invalidations{0};   // unsafe requests that invalidated a URI
};

}  // namespace gatehouse::cache
