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
    auto handler = std::make_unique<CacheHandler>(exchange, cache_, *route, loop_,
                                                  upstreamFor(*route), refreshes_);
    CacheHandler* raw = handler.get();
    exchange.setHandler(std::move(handler));
    raw->start();
    return;
  }
  std::unique_ptr<upstream::Upstream> handler =
      make_upstream_ ? make_upstream_(exchange, *route, nullptr)
                     : makeUpstreamHandler(exchange, *route->pool, owner_, timeouts_, nullptr);
  upstream::Upstream* raw = handler.get();
  exchange.setHandler(std::move(handler));
  raw->start();
}

upstream::UpstreamFactory Pipeline::upstreamFor(const routing::Route& route) {
  if (make_upstream_)
    return [make = make_upstream_, &route](http::Exchange& exchange,
                                           upstream::ResponseInterceptor* interceptor) {
      return make(exchange, route, interceptor);
    };
  return [this, pool = route.pool, owner = owner_, timeouts = timeouts_](
             http::Exchange& exchange, upstream::ResponseInterceptor* interceptor) {
    return makeUpstreamHandler(exchange, *pool, owner, timeouts, interceptor);
  };
}

std::unique_ptr<upstream::Upstream> Pipeline::makeUpstreamHandler(
    http::Exchange& exchange, upstream::BackendPool& pool, std::shared_ptr<const void> owner,
    upstream::BackendConnection::Timeouts timeouts, upstream::ResponseInterceptor* interceptor) {
  return std::make_unique<upstream::UpstreamHandler>(exchange, pool, std::move(owner), connections_,
                                                     loop_, timeouts, gate::ReadOnlyGate::process(),
                                                     interceptor);
}

}  // namespace gatehouse::pipeline
