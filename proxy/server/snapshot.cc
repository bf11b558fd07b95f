#include "proxy/server/snapshot.h"

#include <fmt/format.h>

namespace gatehouse::server {

Result<std::shared_ptr<const Snapshot>> buildSnapshot(std::shared_ptr<const config::Config> config) {
  auto snapshot = std::make_shared<Snapshot>();
  for (const config::BackendConfig& backend : config->backends) {
    auto pool = upstream::BackendPool::create(backend);
    if (!pool) return pool.error();
    snapshot->pools.push_back(std::move(*pool));
  }
  std::vector<routing::Route> routes;
  for (const config::RouteConfig& rc : config->routes) {
    routing::Route route{rc.host, rc.path_prefix, nullptr, rc.cache};
    for (auto& pool : snapshot->pools)
      if (pool->name() == rc.backend) route.pool = pool.get();
    if (!route.pool) return Error{fmt::format("routes: unknown backend {}", rc.backend)};
    routes.push_back(std::move(route));
  }
  snapshot->router = std::make_shared<routing::Router>(std::move(routes));
  const config::Limits& limits = config->limits;
  snapshot->http.limits.request_line = limits.request_line.bytes();
  snapshot->http.limits.headers = limits.headers.bytes();
  snapshot->http.limits.header_count = limits.header_count;
  snapshot->http.max_body = limits.body.bytes();
  snapshot->http.client_header = config->timeouts.client_header;
  snapshot->http.client_idle = config->timeouts.client_idle;
  snapshot->backend_timeouts.connect = config->timeouts.backend_connect;
  snapshot->backend_timeouts.response = config->timeouts.backend_response;
  snapshot->config = std::move(config);
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

}  // namespace gatehouse::server
