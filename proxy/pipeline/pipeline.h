#pragma once
// A worker's path for each exchange: listener options (redirect_https, HSTS) -> static prefixes
// -> route -> gate -> handler (cache or upstream). DESIGN.md has the full chain.

#include <functional>
#include <memory>

#include "proxy/http/exchange.h"
#include "proxy/net/event_loop.h"
#include "proxy/pipeline/background_refresh.h"
#include "proxy/pipeline/cache_policy.h"
#include "proxy/pipeline/listener_policies.h"
#include "proxy/routing/router.h"
#include "proxy/static_files/static_files.h"
#include "proxy/upstream/backend_connection.h"
#include "proxy/upstream/connection_pool.h"
#include "proxy/upstream/upstream.h"

namespace gatehouse::pipeline {

class Pipeline final : public http::ExchangeDispatcher {
 public:
  using OnComplete = std::function<void(const http::Exchange&)>;
  // Makes the fetch of `exchange` from `route`'s pool, its response watched by `interceptor`
  // (null for a route without the cache).
  using UpstreamMaker = std::function<std::unique_ptr<upstream::Upstream>(
      http::Exchange& exchange, const routing::Route& route,
      upstream::ResponseInterceptor* interceptor)>;

  // `owner` keeps what the router's routes point into (the pools) alive: every exchange holds
  // a reference, so a reload never frees a pool an exchange is still using.
  // `cache` is null when no `cache:` section is configured.
  Pipeline(net::EventLoop& loop, std::shared_ptr<const routing::Router> router,
           std::shared_ptr<const void> owner, upstream::ConnectionPool& connections,
           upstream::BackendConnection::Timeouts timeouts, OnComplete on_complete,
           std::shared_ptr<const CachePolicy> cache = nullptr)
      : loop_(loop),
        router_(std::move(router)),
        owner_(std::move(owner)),
        connections_(connections),
        timeouts_(timeouts),
        on_complete_(std::move(on_complete)),
        cache_(std::move(cache)),
        refreshes_(loop) {}

  // A reload: later exchanges route with these.
  void update(std::shared_ptr<const routing::Router> router, std::shared_ptr<const void> owner,
              upstream::BackendConnection::Timeouts timeouts,
              std::shared_ptr<const CachePolicy> cache = nullptr) {
    router_ = std::move(router);
    owner_ = std::move(owner);
    timeouts_ = timeouts;
    cache_ = std::move(cache);
  }

  // The static sites of the snapshot in force (at start and on each reload).
  void setStaticSites(const std::vector<std::shared_ptr<const static_files::StaticSite>>& sites) {
    statics_.update(sites);
  }

  // The listeners' options (redirect_https, HSTS), by listener index; at start and on reload.
  void setListenerOptions(std::vector<ListenerOptions> options) {
    listeners_.update(std::move(options));
  }

  // Routes are served by an UpstreamHandler on their pool; `make` replaces it (tests script
  // the origin with tests/support/fake_upstream.h).
  void setUpstreamMaker(UpstreamMaker make) { make_upstream_ = std::move(make); }

  void dispatch(http::Exchange& exchange) override;
  void onComplete(const http::Exchange& exchange) override { on_complete_(exchange); }

 private:
  // Above limits.memory (base/memory_budget.h): 503 with Retry-After, before any work.
  static void refuseForMemory(http::Exchange& exchange);
  // Answers 400 to a path with a dot-segment (http/request_path.h); true when it did.
  static bool refuseDotSegment(http::Exchange& exchange, std::string_view path);
  // The fetch for `route`, as of the snapshot in force now (a cache fill may start it later).
  upstream::UpstreamFactory upstreamFor(const routing::Route& route);
  std::unique_ptr<upstream::Upstream> makeUpstreamHandler(
      http::Exchange& exchange, upstream::BackendPool& pool, std::shared_ptr<const void> owner,
      upstream::BackendConnection::Timeouts timeouts, upstream::ResponseInterceptor* interceptor);

  net::EventLoop& loop_;
  std::shared_ptr<const routing::Router> router_;
  std::shared_ptr<const void> owner_;
  upstream::ConnectionPool& connections_;
  upstream::BackendConnection::Timeouts timeouts_;
  OnComplete on_complete_;
  std::shared_ptr<const CachePolicy> cache_;
  BackgroundRefreshes refreshes_;
  ListenerPolicies listeners_;
  static_files::StaticFiles statics_;
  UpstreamMaker make_upstream_;  // empty: UpstreamHandler
};

}  // namespace gatehouse::pipeline
