#pragma once
// One backend server, shared by every worker. Its identity is immutable; its state and
// counters are atomics written by the health checker and the admin API and read on the data
// path without locks.

#include <atomic>
#include <cstdint>
#include <string>

#include "health/server_state.h"
#include "proxy/net/socket_address.h"

namespace gatehouse::health {

class Server {
 public:
  Server(std::string pool, std::string name, net::SocketAddress address, uint32_t weight)
      : pool_(std::move(pool)),
        name_(std::move(name)),
        label_(pool_ + "/" + name_),
        address_(address),
        weight_(weight) {}

  const std::string& pool() const { return pool_; }
  const std::string& name() const { return name_; }
  const std::string& label() const { return label_; }  // "pool/server", as logs and the API say
  const net::SocketAddress& address() const { return address_; }
  uint32_t weight() const { return weight_; }

  AdminState adminState() const { return admin_.load(std::memory_order_relaxed); }
  void setAdminState(AdminState s) { admin_.store(s, std::memory_order_relaxed); }
  Health health() const { return health_.load(std::memory_order_relaxed); }
  void setHealth(Health h) { health_.store(h, std::memory_order_relaxed); }
  // May this server be given a new request?
  bool available() const {
    return weight_ > 0 && adminState() == AdminState::Ready && health() == Health::Up;
  }

  // Requests being served by this server across all workers (least_conn, drain).
  int64_t inFlight() const { return in_flight_.load(std::memory_order_relaxed); }
  void beginRequest() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void endRequest() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

  std::atomic<uint64_t> requests_total{0};
  std::atomic<uint64_t> connect_failures_total{0};
  std::atomic<uint64_t> connections_opened_total{0};

 private:
  const std::string pool_;
  const std::string name_;
  const std::string label_;
  const net::SocketAddress address_;
  const uint32_t weight_;
  std::atomic<AdminState> admin_{AdminState::Ready};
  std::atomic<Health> health_{Health::Up};
  std::atomic<int64_t> in_flight_{0};
};

}  // namespace gatehouse::health
