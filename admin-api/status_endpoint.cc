// GET /status: what `ctl status` shows.
//   {"version": "0.1.0", "uptime_s": 3600, "started": "2026-11-25T04:50:00Z", "workers": 2,
//    "connections": 17, "config": "/etc/gatehouse/gatehouse.yaml",
//    "last_reload": null | "2026-11-25T05:00:00Z",
//    "read_only": {"enabled": true, "reason": "db migration", "since": "2026-11-25T04:50:00Z"},
//    "traffic": {"window_s": 10, "requests_per_s": 120.5, "errors_5xx_per_s": 0.1,
//                "errors_5xx_ratio": 0.0008},                  (nulls until two samples exist)
//    "cache": null | {"hit_ratio": 0.93 | null, "objects": 1200, "bytes": 52428800,
//                     "capacity_bytes": 268435456, "evicted": 4},
//    "pools": [{"name": "app", "status": "serving" | "degraded" | "down" | "paused",
//               "available": 2, "servers": 2}]}
#include <chrono>

#include "admin-api/endpoint.h"
#include "admin-api/pool_summary.h"
#include "admin-api/time_format.h"
#include "admin-api/traffic_history.h"

namespace gatehouse::admin {
namespace {

Json readOnlyStatus(const gate::ReadOnlyState::View& view) {
  return {{"enabled", view.enabled},
          {"reason", view.reason},
          {"since", view.since ? Json(rfc3339(*view.since)) : Json(nullptr)}};
}

// The last 10 s of traffic: enough to smooth a burst, short enough to show a change at once.
constexpr size_t kWindowSeconds = 10;

Json trafficStatus(const TrafficHistory* history) {
  std::optional<TrafficHistory::Window> w;
  if (history) w = history->last(kWindowSeconds);
  if (!w || w->seconds <= 0)
    return {{"window_s", nullptr},
            {"requests_per_s", nullptr},
            {"errors_5xx_per_s", nullptr},
            {"errors_5xx_ratio", nullptr}};
  const auto& d = w->delta;
  return {{"window_s", w->seconds},
          {"requests_per_s", w->perSecond(d.requests)},
          {"errors_5xx_per_s", w->perSecond(d.errors_5xx)},
          {"errors_5xx_ratio",
           d.requests ? Json(static_cast<double>(d.errors_5xx) / d.requests) : Json(0.0)}};
}

Json cacheStatus(const server::Snapshot& snapshot, const TrafficHistory* history) {
  if (!snapshot.cache) return nullptr;
  const cache::CacheStore& store = *snapshot.cache->store;
  const cache::CacheCounters& c = store.counters();
  // Over the window when there is traffic in it, else since the start.
  uint64_t hits = c.hits.load(std::memory_order_relaxed);
  uint64_t misses = c.misses.load(std::memory_order_relaxed);
  if (auto w = history ? history->last(kWindowSeconds) : std::nullopt;
      w && w->delta.cache_hits + w->delta.cache_misses > 0) {
    hits = w->delta.cache_hits;
    misses = w->delta.cache_misses;
  }
  return {{"hit_ratio",
           hits + misses ? Json(static_cast<double>(hits) / (hits + misses)) : Json(nullptr)},
          {"objects", store.objectCount()},
          {"bytes", store.bytesUsed()},
          {"capacity_bytes", store.capacityBytes()},
          {"evicted", c.evicted.load(std::memory_order_relaxed)}};
}

Json poolsStatus(const server::Snapshot& snapshot) {
  Json pools = Json::array();
  for (const auto& pool : snapshot.pools) {
    const PoolSummary s = summarize(*pool);
    pools.push_back({{"name", pool->name()},
                     {"status", s.status},
                     {"available", s.available},
                     {"servers", s.servers}});
  }
  return pools;
}

}  // namespace

AdminResponse statusEndpoint(const AdminRequest&, AdminContext& context) {
  const server::ProcessStatus s = context.control.status();
  const auto snapshot = context.control.snapshot();
  const auto uptime = std::chrono::system_clock::now() - s.started;
  // ProcessStatus says last_reload == started until a reload: show "never" as null.
  Json last_reload = nullptr;
  if (s.last_reload != s.started) last_reload = rfc3339(s.last_reload);
  return jsonResponse(
      200, {
               {"version", s.version},
               {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(uptime).count()},
               {"started", rfc3339(s.started)},
               {"workers", s.workers},
               {"connections", s.connections_open},
               {"config", s.config_source},
               {"last_reload", last_reload},
               {"read_only", readOnlyStatus(context.read_only.view())},
               {"traffic", trafficStatus(context.history)},
               {"cache", cacheStatus(*snapshot, context.history)},
               {"pools", poolsStatus(*snapshot)},
           });
}

}  // namespace gatehouse::admin

namespace gatehouse::admin {

// GET /status/history: the last 15 minutes, one value a second, oldest first (the sparklines).
//   {"interval_s": 1, "requests": [..], "errors_5xx": [..], "cache_hits": [..],
//    "cache_misses": [..]}
AdminResponse historyEndpoint(const AdminRequest&, AdminContext& context) {
  Json requests = Json::array(), errors = Json::array(), hits = Json::array(),
       misses = Json::array();
  if (context.history) {
    for (const TrafficHistory::Totals& t : context.history->perSecond()) {
      requests.push_back(t.requests);
      errors.push_back(t.errors_5xx);
      hits.push_back(t.cache_hits);
      misses.push_back(t.cache_misses);
    }
  }
  return jsonResponse(200, {{"interval_s", 1},
                            {"requests", std::move(requests)},
                            {"errors_5xx", std::move(errors)},
                            {"cache_hits", std::move(hits)},
                            {"cache_misses", std::move(misses)}});
}

}  // namespace gatehouse::admin
