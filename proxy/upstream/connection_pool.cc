#include "proxy/upstream/connection_pool.h"

#include <algorithm>

namespace gatehouse::upstream {

ConnectionPool::~ConnectionPool() {
  closeAll();
}

std::unique_ptr<BackendConnection> ConnectionPool::acquire(const health::Server& server) {
  auto it = idle_.find(&server);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  std::unique_ptr<BackendConnection> conn = std::move(it->second.back());
  it->second.pop_back();
  ++reused_total;
  return conn;
}

std::unique_ptr<BackendConnection> ConnectionPool::connect(
    net::EventLoop& loop, health::Server& server, const BackendConnection::Timeouts& timeouts,
    BackendConnection::User& user) {
  std::unique_ptr<BackendConnection> conn =
      BackendConnection::connect(loop, server, timeouts, user, connector_);
  conn->setGeneration(generation_);
  return conn;
}

void ConnectionPool::release(std::unique_ptr<BackendConnection> conn, uint32_t max_idle) {
  if (!conn) return;
  if (conn->generation() != generation_) {
    BackendConnection::retire(std::move(conn));
    return;
  }
  auto& list = idle_[&conn->server()];
  // A server being drained (or gone down) gets no more requests: its connections close as
  // their responses end instead of waiting idle.
  const health::Server& server = conn->server();
  const bool keep =
      server.adminState() == health::AdminState::Ready && server.health() == health::Health::Up;
  if (!keep || !conn->reusable() || list.size() >= max_idle) {
    BackendConnection::retire(std::move(conn));
    return;
  }
  BackendConnection* raw = conn.get();
  conn->parkIdle([this, raw] { forget(raw); });
  list.push_back(std::move(conn));
}

void ConnectionPool::forget(BackendConnection* conn) {
  auto& list = idle_[&conn->server()];
  auto it = std::find_if(list.begin(), list.end(), [&](auto& c) { return c.get() == conn; });
  if (it == list.end()) return;
  std::unique_ptr<BackendConnection> dead = std::move(*it);
  list.erase(it);
  BackendConnection::retire(std::move(dead));
}

size_t ConnectionPool::idleCount() const {
  size_t n = 0;
  for (auto& [server, list] : idle_)
    n += list.size();
  return n;
}

size_t ConnectionPool::closeUnavailable() {
  size_t closed = 0;
  for (auto& [server, list] : idle_) {
    if (server->adminState() == health::AdminState::Ready && server->health() == health::Health::Up)
      continue;
    closed += list.size();
    for (auto& conn : list)
      BackendConnection::retire(std::move(conn));
    list.clear();
  }
  return closed;
}

void ConnectionPool::onBackendsChanged() {
  closeUnavailable();
  hold_queue_.wakeAll();
}

void ConnectionPool::closeAll() {
  for (auto& [server, list] : idle_)
    for (auto& conn : list)
      BackendConnection::retire(std::move(conn));
  idle_.clear();
  ++generation_;
}

}  // namespace gatehouse::upstream
