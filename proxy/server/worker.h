#pragma once
// One event-loop thread: its own event_base, its own SO_REUSEPORT listeners, its own pool of
// backend connections. A client connection lives and dies on one worker, so the request path
// takes no locks.

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "proxy/http/http1_server_connection.h"
#include "proxy/net/event_loop.h"
#include "proxy/net/listener.h"
#include "proxy/pipeline/pipeline.h"
#include "proxy/server/access_log.h"
#include "proxy/server/connection_limiter.h"
#include "proxy/server/parked_connection.h"
#include "proxy/server/preface_sniffer.h"
#include "proxy/server/process_control.h"
#include "proxy/server/snapshot.h"
#include "proxy/server/tls_handshake.h"
#include "proxy/upstream/connection_pool.h"

namespace gatehouse::server {

class Worker final : private http::Http1Parking, private ParkedConnection::Owner {
 public:
  // `limiter` (shared by every worker, outliving them) counts client connections against
  // limits.max_connections and max_connections_per_ip.
  Worker(unsigned index, std::shared_ptr<const Snapshot> snapshot, int access_log_fd,
         ConnectionLimiter& limiter);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds this worker's socket for snapshot listener `index` (before start()). Returns the
  // bound address.
  Result<net::SocketAddress> listen(size_t index, const net::SocketAddress& address);
  // Runs the loop on a new thread; on_stopped runs on that thread when the loop has ended.
  void start(std::function<void()> on_stopped);
  // Thread-safe. Stop accepting; close idle connections; close busy ones after their response.
  void beginShutdown();
  // Thread-safe. Ends the loop now, abandoning whatever is in flight.
  void forceStop();
  void join();
  // Thread-safe. New connections and new requests use `next`; connections already open keep
  // the snapshot they started with (and with it their settings and pools) until they close.
  void updateSnapshot(std::shared_ptr<const Snapshot> next);
  const TrafficCounters& counters() const { return counters_; }
  // Thread-safe. A server or pool changed state: close idle connections to servers taken out,
  // wake held requests (upstream::ConnectionPool::onBackendsChanged).
  void backendsChanged();
  // Thread-safe. The watchdog's heartbeat: queues a task that sets heartbeat() to `beat`, so
  // heartbeat() lags behind the last ping only while the loop is not turning.
  void ping(uint64_t beat);
  uint64_t heartbeat() const { return heartbeat_.load(std::memory_order_acquire); }

 private:
  void accept(size_t listener, evutil_socket_t fd, const net::SocketAddress& peer);
  // False (the fd closed, counted) when a connection limit refuses the client.
  bool admit(evutil_socket_t fd, const net::SocketAddress& peer, ConnectionLimiter::Slot& slot);
  // Starts the codec that ALPN (or the listener's h2c option) chose, on a ready transport.
  void startCodec(std::unique_ptr<net::TcpConnection> conn, http::ClientInfo client, bool http2,
                  ConnectionLimiter::Slot slot);
  // The snapshot's static sites and listener options, to the pipeline (at start and on reload).
  void applySnapshotToPipeline();
  void adoptConnection(std::shared_ptr<http::ServerConnection> conn, ConnectionLimiter::Slot slot);
  // `next` takes `current`'s place in the registry (its snapshot and its place under the
  // limits); `current` is deleted after the callback. False when `current` was not registered:
  // `next` is then destroyed here, and must not be started.
  bool replace(http::ServerConnection* current, std::shared_ptr<http::ServerConnection> next);
  // http::Http1Parking: an idle kept-alive HTTP/1 connection shrinks to a ParkedConnection...
  void park(http::Http1ServerConnection& conn, net::IdleSocket socket,
            const http::ClientInfo& client, Duration idle_left) override;
  // ...and grows back into one when its client speaks (ParkedConnection::Owner).
  void wake(ParkedConnection& parked) override;
  void closed(ParkedConnection& parked) override;
  void onConnectionClosed(http::ServerConnection* conn);
  // A connection object handing over to another (handshake -> codec) leaves the registry; its
  // place under the connection limits goes to the next object.
  ConnectionLimiter::Slot retire(http::ServerConnection* conn);
  void maybeFinishShutdown();
  void countExchange(const http::Exchange& exchange, const ExchangeEnd& end);

  const unsigned index_;
  ConnectionLimiter& limiter_;
  TrafficCounters counters_;
  std::shared_ptr<const Snapshot> snapshot_;
  net::EventLoop loop_;  // first member: destroyed last
  upstream::ConnectionPool backend_connections_;
  http::RequestIdGenerator request_ids_;
  http::Http1Parser request_parser_;
  AccessLog access_log_;
  pipeline::Pipeline pipeline_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
  struct OpenConnection {
    // Declared first so it is destroyed last: the connection's settings point into it.
    std::shared_ptr<const Snapshot> snapshot;
    ConnectionLimiter::Slot slot;  // its place under the connection limits
    std::shared_ptr<http::ServerConnection> connection;
  };
  std::unordered_map<http::ServerConnection*, OpenConnection> connections_;
  bool shutting_down_ = false;
  bool shutdown_finished_ = false;  // the last connection closed: backends closed, loop exiting
  std::atomic<uint64_t> heartbeat_{0};
  std::thread thread_;
};

}  // namespace gatehouse::server
