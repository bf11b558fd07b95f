#include "proxy/pipeline/pipeline.h"

#include "proxy/gate/read_only_gate.h"
#include "proxy/pipeline/cache_handler.h"
#include "proxy/upstream/upstream_handler.h"

namespace gatehouse::pipeline {
void Pipeline::dispatch(http::Exchange& exchange) {
  const http::RequestHead& request = exchange.request();
  if (listeners_.dispatch(exchange)) return;  // redirect_https answered it
  if (statics_.dispatch(exchange)) return;    // static prefixes are matched before routes
  const routing::Route* route = router_->match(request.authority, request.path());
  if (!route) {
    exchange.respondError(404, "No route matches this host and path.");
    return;
  }
  // The gate: while read-only, unsafe methods get 503 here and the rest go on anonymised.
  if (!gate::ReadOnlyGate::process().pass(exchange)) return;
  // Read-only mode caches aggressively: every route goes through the cache while it is on.
  if (cache_ && (route->cache || gate::ReadOnlyState::process().enabled())) {
    if (CacheHandler::serveFreshHit(exchange, *cache_)) return;
    CacheHandler::UpstreamFactory make_upstream =
        [this, pool = route->pool, owner = owner_, timeouts = timeouts_](
            http::Exchange& ex, upstream::ResponseInterceptor* interceptor) {
          return std::make_unique<upstream::UpstreamHandler>(
              ex, *pool, owner, connections_, loop_, timeouts, gate::ReadOnlyGate::process(),
              interceptor);
        };
    auto handler = std::make_unique<CacheHandler>(exchange, cache_, *route, loop_,
                                                  std::move(make_upstream), refreshes_);
    CacheHandler* raw = handler.get();
    exchange.setHandler(std::move(handler));
    raw->start();
    return;
  }
  auto handler =
      std::make_unique<upstream::UpstreamHandler>(exchange, *route->pool, owner_, connections_,
                                                  loop_, timeouts_, gate::ReadOnlyGate::process());
  upstream::UpstreamHandler* raw = handler.get();
  exchange.setHandler(std::move(handler));
  raw->start();
}

}  // namespace gatehouse::pipeline
