#pragma once
// Background refreshes of stale objects (stale-while-revalidate): a stale hit is served at
// once while one request per key goes to the origin without a client. Each refresh is an
// Exchange of its own whose response goes nowhere (the cache handler stores it); the worker
// owns them here so that a shutdown destroys what is still running.

#include <memory>
#include <unordered_map>

#include "cache/cached_object.h"
#include "proxy/http/exchange.h"
#include "proxy/net/event_loop.h"
#include "proxy/pipeline/cache_handler.h"

namespace gatehouse::pipeline {

class BackgroundRefreshes {
 public:
  explicit BackgroundRefreshes(net::EventLoop& loop) : loop_(loop) {}
  ~BackgroundRefreshes();
  BackgroundRefreshes(const BackgroundRefreshes&) = delete;
  BackgroundRefreshes& operator=(const BackgroundRefreshes&) = delete;

  // Refetches `stale` with a copy of `request` (GET, conditional on its validators).
  void start(const http::RequestHead& request, const http::ClientInfo& client,
             std::string request_id, std::shared_ptr<const CachePolicy> policy,
             const routing::Route& route, CacheHandler::UpstreamFactory make_upstream,
             std::shared_ptr<const cache::CachedObject> stale);
  size_t running() const { return running_.size(); }

 private:
  class Refresh;
  void finished(Refresh* refresh);

  net::EventLoop& loop_;
  // shared_ptr: it may be destroyed where Refresh is incomplete (the pipeline's destructor).
  std::unordered_map<Refresh*, std::shared_ptr<Refresh>> running_;
};

}  // namespace gatehouse::pipeline
