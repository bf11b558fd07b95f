#pragma once
// Everything the data path derives from one Config: resolved pools, the router, codec
// settings. Immutable once built and shared by all workers; a reload builds a new one.

#include <memory>
#include <vector>

#include "config/config.h"
#include "proxy/base/result.h"
#include "proxy/http/http1_server_connection.h"
#include "proxy/routing/router.h"
#include "proxy/upstream/backend_connection.h"
#include "proxy/upstream/backend_pool.h"

namespace gatehouse::server {

struct Snapshot {
  std::shared_ptr<const config::Config> config;
  std::vector<std::unique_ptr<upstream::BackendPool>> pools;
  std::shared_ptr<const routing::Router> router;
  http::Http1Settings http;
  upstream::BackendConnection::Timeouts backend_timeouts;
};

// Resolves backend addresses (blocking) and builds the router.
Result<std::shared_ptr<const Snapshot>> buildSnapshot(std::shared_ptr<const config::Config> config);

}  // namespace gatehouse::server
