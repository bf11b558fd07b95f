#pragma once
// A named pool of servers and how to pick among them; shared by all workers, built from config.

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "proxy/base/result.h"
#include "proxy/upstream/balancer.h"

namespace gatehouse::upstream {

class BackendPool {
 public:
  // Resolves server addresses (blocking: start-up and reload only).
  static Result<std::unique_ptr<BackendPool>> create(const config::BackendConfig& config);

  const std::string& name() const { return name_; }
  const std::vector<std::unique_ptr<health::Server>>& servers() const { return servers_; }
  Balancer& balancer() { return *balancer_; }
  uint32_t retries() const { return retries_; }
  uint32_t maxIdlePerServer() const { return max_idle_per_server_; }

 private:
  std::string name_;
  std::vector<std::unique_ptr<health::Server>> servers_;
  std::unique_ptr<Balancer> balancer_;
  uint32_t retries_ = 1;
  uint32_t max_idle_per_server_ = 32;
};

}  // namespace gatehouse::upstream
