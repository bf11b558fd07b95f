// The cache's counters and gauges for GET /metrics (cache/cache_counters.h).
#include "admin-api/cache_metrics.h"

namespace gatehouse::admin {

void addCacheMetrics(PrometheusText& out, const server::ProcessControl& control) {
  const auto snapshot = control.snapshot();
  if (!snapshot->cache) return;
  const cache::CacheStore& store = *snapshot->cache->store;
  const cache::CacheCounters& c = store.counters();
  constexpr auto relaxed = std::memory_order_relaxed;
  out.add(Metric::CacheRequests, {{"result", "hit"}}, c.hits.load(relaxed));
  out.add(Metric::CacheRequests, {{"result", "miss"}}, c.misses.load(relaxed));
  out.add(Metric::CacheRequests, {{"result", "pass"}}, c.passes.load(relaxed));
  out.add(Metric::CacheRequests, {{"result", "stale_while_revalidate"}},
          c.stale_while_revalidate.load(relaxed));
  out.add(Metric::CacheRequests, {{"result", "stale_if_error"}}, c.stale_if_error.load(relaxed));
  out.add(Metric::CacheRequestBodyPasses, {}, c.request_body_passes.load(relaxed));
  out.add(Metric::CacheCoalesced, {}, c.coalesced.load(relaxed));
  out.add(Metric::CacheCoalesceTimeouts, {}, c.coalesce_timeouts.load(relaxed));
  out.add(Metric::CacheCoalescedStreams, {{"result", "complete"}},
          c.coalesced_streamed.load(relaxed));
  out.add(Metric::CacheCoalescedStreams, {{"result", "truncated"}},
          c.coalesced_truncated.load(relaxed));
  out.add(Metric::CacheOrphanFills, {}, c.orphan_fills.load(relaxed));
  out.add(Metric::CacheRevalidations, {{"result", "sent"}}, c.revalidations.load(relaxed));
  out.add(Metric::CacheRevalidations, {{"result", "not_modified"}}, c.revalidated.load(relaxed));
  out.add(Metric::CacheHeadFreshenings, {{"result", "updated"}}, c.head_freshenings.load(relaxed));
  out.add(Metric::CacheHeadFreshenings, {{"result", "invalidated"}},
          c.head_invalidations.load(relaxed));
  out.add(Metric::CacheRefreshFailures, {}, c.refresh_failures.load(relaxed));
  out.add(Metric::CacheStored, {}, c.stored.load(relaxed));
  out.add(Metric::CacheNotStored, {}, c.not_stored.load(relaxed));
  out.add(Metric::CacheTooLarge, {}, c.too_large.load(relaxed));
  out.add(Metric::CacheVariantLimit, {}, c.variant_limit.load(relaxed));
  out.add(Metric::CacheEvicted, {}, c.evicted.load(relaxed));
  out.add(Metric::CacheExpired, {}, c.expired.load(relaxed));
  const uint64_t purges = c.purges.load(relaxed), bans = c.bans.load(relaxed);
  out.add(Metric::CachePurges, {}, purges + bans);
  out.add(Metric::CachePurgedObjects, {}, c.purged.load(relaxed));
  out.add(Metric::CacheInvalidations, {{"cause", "purge"}}, purges);
  out.add(Metric::CacheInvalidations, {{"cause", "ban"}}, bans);
  out.add(Metric::CacheInvalidations, {{"cause", "unsafe_session"}},
          c.unsafe_invalidations_session.load(relaxed));
  out.add(Metric::CacheInvalidations, {{"cause", "unsafe_anonymous"}},
          c.unsafe_invalidations_anonymous.load(relaxed));
  out.add(Metric::CacheInvalidations, {{"cause", "read_only_off"}}, c.read_only_ends.load(relaxed));
  out.add(Metric::CacheInvalidationsSkipped, {}, c.unsafe_invalidations_skipped.load(relaxed));
  out.add(Metric::CacheBytes, {}, store.bytesUsed());
  out.add(Metric::CacheCapacityBytes, {}, store.capacityBytes());
  out.add(Metric::CacheObjects, {}, store.objectCount());
}

}  // namespace gatehouse::admin
