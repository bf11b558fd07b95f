#include "proxy/pipeline/pipeline.h"

#include "proxy/base/memory_budget.h"
#include "proxy/gate/read_only_gate.h"
#include "proxy/http/error_page.h"
#include "proxy/http/request_path.h"
#include "proxy/pipeline/cache_handler.h"
#include "proxy/pipeline/cache_request.h"
#include "proxy/pipeline/purge_request.h"
#include "proxy/pipeline/request_refusals.h"
#include "proxy/upstream/upstream_handler.h"

namespace gatehouse::pipeline {
void Pipeline::dispatch(http::Exchange& exchange) {
  const http::RequestHead& request = exchange.request();
  // PURGE/BAN are gatehouse's to answer, never an origin's, on any listener (redirect_https
  // included: a CMS purges over plain HTTP). A length test for GET.
  if (isInvalidationMethod(request.method)) [[unlikely]] {
    answerInvalidation(exchange, cache_.get());
    return;
  }
  if (MemoryBudget::over()) return refuseForMemory(exchange);
  if (listeners_.dispatch(exchange)) return;  // redirect_https answered it
  if (statics_.dispatch(exchange)) return;    // static prefixes are matched before routes
  const std::string_view path = request.path();
  const routing::Route* route = router_->match(request.authority, path);
  if (!route) {
    exchange.respondError(404, "No route matches this host and path.");
    return;
  }
  // The gate: while read-only, unsafe methods get 503 here and the rest go on anonymised.
  if (!gate::ReadOnlyGate::process().pass(exchange)) return;
  // Read-only mode caches aggressively: every route goes through the cache while it is on.
  const bool through_cache = cache_ && (route->cache || gate::ReadOnlyState::process().enabled());
  if (through_cache && CacheHandler::serveFreshHit(exchange, *cache_)) return;
  if (refuseDotSegment(exchange, path)) return;
  if (through_cache) {
    auto handler = std::make_unique<CacheHandler>(exchange, cache_, *route, loop_,
                                                  upstreamFor(*route), refreshes_);
    CacheHandler* raw = handler.get();
    exchange.setHandler(std::move(handler));
    raw->start();
    return;
  }
  // Uncached route: the analytics cookies the cache ignores go here too (as a Varnish vcl_recv
  // strips them before any pass), on the same requests as on cached routes: GET and HEAD
  // without a body. A POST or an upload reaches the origin as it came.
  if (cache_ && isCacheableMethod(request.method) && !request.has_body)
    removeIgnoredCookies(exchange.request().headers, cache_->config.anonymous_ignore_cookies);
  std::unique_ptr<upstream::Upstream> handler =
      make_upstream_ ? make_upstream_(exchange, *route, nullptr)
                     : makeUpstreamHandler(exchange, *route->pool, owner_, timeouts_, nullptr);
  upstream::Upstream* raw = handler.get();
  exchange.setHandler(std::move(handler));
  raw->start();
}

void Pipeline::refuseForMemory(http::Exchange& exchange) {
  RequestRefusals::process().memory.fetch_add(1, std::memory_order_relaxed);
  const std::string body = http::errorBody(
      503, "The server is busy (its memory for requests in flight is in use). Please retry.");
  http::ResponseHead head = http::errorHead(503, body.size());
  head.headers.add("Retry-After", "1");
  exchange.respondWhole(std::move(head), body);
}

bool Pipeline::refuseDotSegment(http::Exchange& exchange, std::string_view path) {
  // Refused, not normalised: a backend resolving "/public/../admin" would serve a path that
  // another route, the read-only allow-list or the cache key never saw (request_path.h).
  // Asked after the fresh-hit lookup, so that a hit costs no scan: no path refused here is ever
  // stored (its fill would start below), and the cache key's normalisation (unreserved escapes
  // decoded) keeps a dot-segment a dot-segment, so such a path cannot share a stored key.
  if (!http::hasDotSegment(path)) return false;
  RequestRefusals::process().dot_segment.fetch_add(1, std::memory_order_relaxed);
  exchange.respondError(400, "The path has a dot-segment (\".\" or \"..\", maybe encoded).");
  return true;
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
