#pragma once
// A worker's idle keep-alive connections to backend servers, at most `max_idle` per server,
// and its requests waiting for a server (HoldQueue). Most recently used first: warm
// connections are reused, cold ones age out when the server closes them.
//
// Drain and maintenance reach the workers here: a connection to a server that is no longer
// Ready (or no longer Up) is never pooled again, so busy ones close after their response, and
// onBackendsChanged() closes the idle ones.
//
// New connections are opened here too (connect()), through the worker's BackendConnector:
// connect(2) in the proxy, socketpairs in unit tests.

#include <memory>
#include <unordered_map>
#include <vector>

#include "proxy/upstream/backend_connection.h"
#include "proxy/upstream/backend_connector.h"
#include "proxy/upstream/hold_queue.h"

namespace gatehouse::upstream {

class ConnectionPool {
 public:
  explicit ConnectionPool(BackendConnector& connector = BackendConnector::tcp())
      : connector_(connector) {}
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection to server, or null.
  std::unique_ptr<BackendConnection> acquire(const health::Server& server);
  // A new connection to server, of the current generation; `user` hears onConnected() or
  // onFailure().
  std::unique_ptr<BackendConnection> connect(net::EventLoop& loop, health::Server& server,
                                             const BackendConnection::Timeouts& timeouts,
                                             BackendConnection::User& user);
  // Keeps conn if it is reusable and there is room; otherwise closes it.
  void release(std::unique_ptr<BackendConnection> conn, uint32_t max_idle);
  size_t idleCount() const;
  // Closes every idle connection and starts a new generation: connections opened before
  // (busy during a reload, to servers of an old snapshot) are not taken back.
  void closeAll();
  uint64_t generation() const { return generation_; }
  // Closes the idle connections to servers that may not be given requests (drain, maint,
  // down); returns how many.
  size_t closeUnavailable();
  // Posted by the main loop when a server's or a pool's state changed: closes idle
  // connections to servers taken out and wakes the held requests.
  void onBackendsChanged();
  HoldQueue& holdQueue() { return hold_queue_; }

  uint64_t reused_total = 0;

 private:
  void forget(BackendConnection* conn);

  BackendConnector& connector_;
  uint64_t generation_ = 0;
  HoldQueue hold_queue_;
  // Per server, the most recently used last: it is taken first (its TCP window is warm, and the
  // ones left longest are the first to time out). A vector, not a deque: a deque at one end
  // allocated and freed a block per request, as the one connection went out and came back.
  std::unordered_map<const health::Server*, std::vector<std::unique_ptr<BackendConnection>>> idle_;
};

}  // namespace gatehouse::upstream
