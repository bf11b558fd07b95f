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
  std::atomic<uint64_t> request_body_passes{0};     // ...of which GET/HEAD with a body
  std::atomic<uint64_t> stale_while_revalidate{0};  // stale served while a refresh runs
  std::atomic<uint64_t> stale_if_error{0};          // stale served because the origin failed
  std::atomic<uint64_t> refresh_failures{0};        // background refreshes the origin failed
  std::atomic<uint64_t> revalidations{0};           // conditional requests sent to the origin
  std::atomic<uint64_t> revalidated{0};             // ...answered 304: the object was refreshed
  // Answers to HEAD requests passed while a stale GET response was stored (RFC 9111 §4.3.5):
  // its fields updated it, or a validator or length that differs made it go.
  std::atomic<uint64_t> head_freshenings{0};
  std::atomic<uint64_t> head_invalidations{0};
  std::atomic<uint64_t> coalesced{0};          // requests that waited on another's fill
  std::atomic<uint64_t> coalesce_timeouts{0};  // ...and gave up waiting
  // Coalesced requests served from the fill's body as it arrived: whole, or cut short because
  // the fill failed mid-body (closed, never passed off as complete).
  std::atomic<uint64_t> coalesced_streamed{0};
  std::atomic<uint64_t> coalesced_truncated{0};
  // Fills whose client left mid-body and that went on without it (stored for the followers).
  std::atomic<uint64_t> orphan_fills{0};
  std::atomic<uint64_t> stored{0};
  std::atomic<uint64_t> not_stored{0};     // responses that were not storable
  std::atomic<uint64_t> too_large{0};      // over max_object: passed through
  std::atomic<uint64_t> variant_limit{0};  // one variant more than max_variants: passed
  std::atomic<uint64_t> evicted{0};        // dropped to stay under cache.memory
  std::atomic<uint64_t> expired{0};        // dropped past freshness and grace
  std::atomic<uint64_t> purged{0};         // objects removed by any invalidation below
  // Invalidations by cause: the admin API's purges and bans; successful unsafe requests
  // (RFC 9111 §4.4) with a session or without one; read-only mode switched off.
  std::atomic<uint64_t> purges{0};
  std::atomic<uint64_t> bans{0};
  std::atomic<uint64_t> unsafe_invalidations_session{0};
  std::atomic<uint64_t> unsafe_invalidations_anonymous{0};
  std::atomic<uint64_t> read_only_ends{0};
  // Successful unsafe requests whose route's invalidate_on_unsafe kept the URL cached.
  std::atomic<uint64_t> unsafe_invalidations_skipped{0};
};

}  // namespace gatehouse::cache
