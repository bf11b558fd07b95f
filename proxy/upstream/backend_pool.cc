#include "proxy/upstream/backend_pool.h"

#include <fmt/format.h>

namespace gatehouse::upstream {
namespace {
health::PassiveSettings passiveSettings(const config::BackendConfig& config) {
  health::PassiveSettings p;
  // Passive ejection needs active checks: they are what brings an ejected server back.
  if (!config.health) return p;
  const config::PassiveCheckConfig& c = config.health->passive;
  p.fall = c.fall;
  p.on_connect = c.on_connect;
  p.on_timeout = c.on_timeout;
  p.on_5xx = c.on_5xx;
  return p;
}
}  // namespace

Result<std::unique_ptr<BackendPool>> BackendPool::create(
    const config::BackendConfig& config, const BackendPool* previous,
    std::shared_ptr<const ForwardPolicy> forward) {
  auto pool = std::make_unique<BackendPool>();
  pool->forward_ = std::move(forward);
  pool->name_ = config.name;
  pool->retries_ = config.retries;
  pool->max_idle_per_server_ = config.max_idle_per_server;
  pool->health_ = config.health;
  pool->hold_ = config.hold;
  pool->hold_max_ = config.hold_max;
  pool->state_ = previous ? previous->state_ : std::make_shared<PoolState>();
  std::vector<health::Server*> raw;
  for (const config::ServerConfig& s : config.servers) {
    auto address = net::SocketAddress::resolve(s.address.host, s.address.port);
    if (!address)
      return Error{
          s.address_origin.empty()
              ? fmt::format("backends.{}.{}: {}", config.name, s.name, address.error().message)
              : fmt::format("{}: cannot resolve {}: {}", s.address_origin, s.address.text,
                            address.error().message)};
    std::shared_ptr<health::Server> server;
    health::Server* before = previous ? previous->findServer(s.name) : nullptr;
    if (before && before->address().toString() == address->toString()) {
      // The same server: its state, in-flight count and counters carry over.
      for (const auto& candidate : previous->servers_)
        if (candidate.get() == before) server = candidate;
      server->setConfigWeight(s.weight);  // an operator's runtime weight stays in force
    } else {
      server = std::make_shared<health::Server>(config.name, s.name, *address, s.weight);
      // Moved to a new address: the operator's decision (drain, maint) still stands; health
      // is for the checks of the new address to tell.
      if (before) {
        server->setAdminState(before->adminState());
        if (before->weightOverridden()) server->setRuntimeWeight(before->weight());
      }
    }
    // Without checks nothing would ever bring a down server back: it is assumed up.
    if (!config.health) server->setHealth(health::Health::Up);
    server->setSlowStart(config.slow_start);
    server->setPassive(passiveSettings(config));
    pool->servers_.push_back(std::move(server));
    raw.push_back(pool->servers_.back().get());
  }
  if (config.balance == config::Balance::LeastConn)
    pool->balancer_ = std::make_unique<LeastConnBalancer>(raw);
  else
    pool->balancer_ = std::make_unique<RoundRobinBalancer>(raw);
  return pool;
}

health::Server* BackendPool::findServer(std::string_view name) const {
  for (const auto& s : servers_)
    if (s->name() == name) return s.get();
  return nullptr;
}

bool BackendPool::anyAvailable() const {
  for (const auto& s : servers_)
    if (s->available()) return true;
  return false;
}

bool BackendPool::everyServerDown() const {
  if (servers_.empty()) return false;
  for (const auto& s : servers_)
    if (s->health() == health::Health::Up || s->adminState() == health::AdminState::Draining)
      return false;
  return true;
}

}  // namespace gatehouse::upstream
