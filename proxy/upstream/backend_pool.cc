#include "proxy/upstream/backend_pool.h"

#include <fmt/format.h>

namespace gatehouse::upstream {

Result<std::unique_ptr<BackendPool>> BackendPool::create(const config::BackendConfig& config) {
  auto pool = std::make_unique<BackendPool>();
  pool->name_ = config.name;
  pool->retries_ = config.retries;
  pool->max_idle_per_server_ = config.max_idle_per_server;
  std::vector<health::Server*> raw;
  for (const config::ServerConfig& s : config.servers) {
    auto address = net::SocketAddress::resolve(s.address.host, s.address.port);
    if (!address)
      return Error{fmt::format("backends.{}.{}: {}", config.name, s.name, address.error().message)};
    pool->servers_.push_back(
        std::make_unique<health::Server>(config.name, s.name, *address, s.weight));
    raw.push_back(pool->servers_.back().get());
  }
  if (config.balance == config::Balance::LeastConn)
    pool->balancer_ = std::make_unique<LeastConnBalancer>(raw);
  else
    pool->balancer_ = std::make_unique<RoundRobinBalancer>(raw);
  return pool;
}

}  // namespace gatehouse::upstream
