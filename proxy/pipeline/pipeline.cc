#include "proxy/pipeline/pipeline.h"

#include "proxy/upstream/upstream_handler.h"

namespace gatehouse::pipeline {

void Pipeline::dispatch(http::Exchange& exchange) {
  const http::RequestHead& request = exchange.request();
  const routing::Route* route = router_->match(request.authority, request.path());
  if (!route) {
    exchange.respondError(404, "No route matches this host and path.");
    return;
  }
  auto handler = std::make_unique<upstream::UpstreamHandler>(exchange, *route->pool, connections_,
                                                             loop_, timeouts_);
  upstream::UpstreamHandler* raw = handler.get();
  exchange.setHandler(std::move(handler));
  raw->start();
}

}  // namespace gatehouse::pipeline
