#pragma once
// Background refreshes of stale objects (stale-while-revalidate): a stale hit is served at
// once while one request per key goes to the origin without a client. Each refresh is an
// Exchange of its own (GET, conditional on the stale copy's validators) whose response goes
// nowhere but into the store, through a CacheFill; a 304 refreshes the stored copy. When the
// origin fails (5xx, no server, timeout), the stale copy stays in service and the key is marked
// failing, so that the stale hits served meanwhile count as stale-if-error.
//
// A fill whose client left mid-body carries on here too, without it (continueFill): its
// followers keep receiving and the object is stored (as Varnish does), bounded by max_object.
//
// The worker owns the refreshes and those fills here, so that a shutdown destroys what is still
// running.

#include <memory>
#include <string>
#include <unordered_map>

#include "cache/cached_object.h"
#include "proxy/http/exchange.h"
#include "proxy/net/event_loop.h"
#include "proxy/pipeline/cache_fill.h"
#include "proxy/pipeline/cache_policy.h"
#include "proxy/routing/router.h"
#include "proxy/upstream/upstream.h"

namespace gatehouse::pipeline {

class BackgroundRefreshes {
 public:
  explicit BackgroundRefreshes(net::EventLoop& loop) : loop_(loop) {}
  ~BackgroundRefreshes();
  BackgroundRefreshes(const BackgroundRefreshes&) = delete;
  BackgroundRefreshes& operator=(const BackgroundRefreshes&) = delete;

  // Refetches `stale`, stored under `key`, for which the caller holds beginRefresh() (the
  // refresh ends it). The request is a GET copied from `client`'s, without its conditions and
  // range; `route` (outliving the refresh) and `make_upstream` are those of the client's.
  void start(const http::Exchange& client, std::string key,
             std::shared_ptr<const CachePolicy> policy, const routing::Route& route,
             upstream::UpstreamFactory make_upstream,
             std::shared_ptr<const cache::CachedObject> stale);
  // The client of a fill that is storing its response (`fill` storing(), its waiters not yet
  // told) is gone: `upstream` carries on without it, its body going into `fill` alone, and the
  // waiters of `key` are told when it ends. False, with nothing taken, when the upstream cannot
  // (its response not streaming yet).
  bool continueFill(const http::Exchange& client, std::string key,
                    std::shared_ptr<const CachePolicy> policy,
                    std::unique_ptr<upstream::Upstream>& upstream, CacheFill& fill);
  size_t running() const { return running_.size(); }

 private:
  class BackgroundFetch;  // what the two have in common (their exchange, fetch, fill, done())
  class Refresh;
  class OrphanFill;
  void finished(const BackgroundFetch* task);

  net::EventLoop& loop_;
  // shared_ptr: it may be destroyed where the task is incomplete (the pipeline's destructor).
  std::unordered_map<const BackgroundFetch*, std::shared_ptr<BackgroundFetch>> running_;
};

}  // namespace gatehouse::pipeline
