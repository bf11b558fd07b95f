#include "proxy/server/worker.h"

#include <unistd.h>

#include "proxy/base/log.h"
#include "proxy/base/thread_name.h"
#include "proxy/server/traffic_tap.h"

namespace gatehouse::server {

Worker::Worker(unsigned index, std::shared_ptr<const Snapshot> snapshot, int access_log_fd,
               ConnectionLimiter& limiter)
    : index_(index),
      limiter_(limiter),
      snapshot_(std::move(snapshot)),
      request_parser_(snapshot_->http.limits),
      access_log_(loop_.base(), access_log_fd, snapshot_->config->log.format),
      pipeline_(
          loop_, snapshot_->router, snapshot_, backend_connections_, snapshot_->backend_timeouts,
          [this](const http::Exchange& exchange) {
            const ExchangeEnd end = ExchangeEnd::now(exchange);
            access_log_.record(exchange, end);
            countExchange(exchange, end);
            // `ctl tail`: one relaxed load while nobody listens.
            if (TrafficTap::process().listening()) [[unlikely]]
              TrafficTap::process().publish(exchange, end, index_);
          },
          snapshot_->cache) {
  applySnapshotToPipeline();
  counters_.responses_by_listener =
      std::vector<TrafficCounters::ClassCounts>(snapshot_->listeners.size());
}

void Worker::applySnapshotToPipeline() {
  const config::LogConfig& log = snapshot_->config->log;
  access_log_.configure(log.format, log.access != "off");
  pipeline_.setStaticSites(snapshot_->static_sites);
  std::vector<pipeline::ListenerOptions> options;
  options.reserve(snapshot_->listeners.size());
  for (const ListenerRuntime& listener : snapshot_->listeners)
    options.push_back({listener.config->hsts, listener.config->redirect_https,
                       listener.config->redirect_https_port});
  pipeline_.setListenerOptions(std::move(options));
}

Worker::~Worker() {
  join();
  listeners_.clear();
  connections_.clear();
  backend_connections_.closeAll();
  access_log_.flush();
}

Result<net::SocketAddress> Worker::listen(size_t index, const net::SocketAddress& address) {
  auto listener = net::Listener::open(
      loop_.base(), address, [this, index](evutil_socket_t fd, const net::SocketAddress& peer) {
        accept(index, fd, peer);
      });
  if (!listener) return listener.error();
  net::SocketAddress bound = (*listener)->address();
  listeners_.push_back(std::move(*listener));
  return bound;
}

void Worker::start(std::function<void()> on_stopped) {
  thread_ = std::thread([this, on_stopped = std::move(on_stopped)] {
    nameThisThread("gh-worker-" + std::to_string(index_));
    loop_.run();
    access_log_.flush();
    on_stopped();
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

bool Worker::admit(evutil_socket_t fd, const net::SocketAddress& peer,
                   ConnectionLimiter::Slot& slot) {
  slot = limiter_.admit(ConnectionLimiter::keyOf(peer));
  if (slot.admitted()) return true;
  // Closed at once, before a codec or a TLS handshake costs anything.
  const bool per_ip = slot.verdict() == ConnectionLimiter::Verdict::OverMaxPerIp;
  counters_.connections_refused[per_ip ? 1 : 0].fetch_add(1, std::memory_order_relaxed);
  log::debug("worker {}: refused a connection from {}: {} reached", index_, peer.ip(),
             per_ip ? "limits.max_connections_per_ip" : "limits.max_connections");
  ::close(fd);
  return false;
}

void Worker::accept(size_t listener, evutil_socket_t fd, const net::SocketAddress& peer) {
  if (shutting_down_) {
    ::close(fd);
    return;
  }
  ConnectionLimiter::Slot slot;
  if (!admit(fd, peer, slot)) return;
  counters_.connections_accepted.fetch_add(1, std::memory_order_relaxed);
  counters_.connections_open.fetch_add(1, std::memory_order_relaxed);
  const ListenerRuntime& runtime = snapshot_->listeners.at(listener);
  http::ClientInfo client{peer.ip(), peer.port(), runtime.tls != nullptr};
  client.listener = static_cast<uint16_t>(listener);
  if (!runtime.tls && runtime.config->h2c) {
    // h2c with prior knowledge is told apart from HTTP/1.1 by its first bytes.
    adoptConnection(
        std::make_shared<PrefaceSniffer>(
            loop_.base(), fd, snapshot_->http.client_header,
            [this, client](PrefaceSniffer* self, std::unique_ptr<net::TcpConnection> conn,
                           bool h2) { startCodec(std::move(conn), client, h2, retire(self)); },
            [this](PrefaceSniffer* self) { onConnectionClosed(self); }),
        std::move(slot));
    return;
  }
  if (!runtime.tls) {
    startCodec(net::TcpConnection::adopt(loop_.base(), fd), std::move(client), false,
               std::move(slot));
    return;
  }
  SSL* ssl = runtime.tls->newSsl();
  if (!ssl) {
    counters_.connections_open.fetch_sub(1, std::memory_order_relaxed);
    ::close(fd);
    return;
  }
  adoptConnection(std::make_shared<TlsHandshake>(
                      loop_.base(), fd, ssl, snapshot_->http.client_header,
                      [this, client](TlsHandshake* self, std::unique_ptr<net::TcpConnection> conn) {
                        const bool h2 = conn->alpn() == "h2";
                        startCodec(std::move(conn), client, h2, retire(self));
                      },
                      [this](TlsHandshake* self) { onConnectionClosed(self); }),
                  std::move(slot));
}

void Worker::startCodec(std::unique_ptr<net::TcpConnection> conn, http::ClientInfo client,
                        bool http2, ConnectionLimiter::Slot slot) {
  auto on_closed = [this](http::ServerConnection* c) { onConnectionClosed(c); };
  if (http2) {
    client.protocol = "HTTP/2";
    adoptConnection(std::make_shared<http::Http2ServerConnection>(
                        loop_, std::move(conn), std::move(client), snapshot_->http2, pipeline_,
                        request_ids_, on_closed),
                    std::move(slot));
    return;
  }
  // timeouts.client_send: HTTP/1's codec times a stalled reader by its own write timeout
  // (client_idle); the transport's send timeout replaces it. (HTTP/2 sets its own.)
  conn->setSendTimeout(snapshot_->config->timeouts.client_send);
  auto h1 = std::make_shared<http::Http1ServerConnection>(loop_, std::move(conn), std::move(client),
                                                          snapshot_->http, request_parser_,
                                                          pipeline_, request_ids_, on_closed);
  http::Http1Parking& parking = *this;
  h1->setParking(parking);
  adoptConnection(std::move(h1), std::move(slot));
}

void Worker::park(http::Http1ServerConnection& conn, net::IdleSocket socket,
                  const http::ClientInfo& client, Duration idle_left) {
  ParkedConnection::Owner& owner = *this;
  auto parked =
      std::make_shared<ParkedConnection>(loop_.base(), std::move(socket), client, idle_left, owner);
  ParkedConnection* raw = parked.get();
  if (!replace(&conn, std::move(parked))) return;  // freed, its socket closed: never started
  counters_.connections_parked.fetch_add(1, std::memory_order_relaxed);
  raw->start();
}

void Worker::wake(ParkedConnection& parked) {
  auto it = connections_.find(&parked);
  if (it == connections_.end()) return;
  counters_.connections_parked.fetch_sub(1, std::memory_order_relaxed);
  // The snapshot the connection started with: its settings, as before it parked.
  const Snapshot& snapshot = *it->second.snapshot;
  auto conn = net::TcpConnection::adopt(loop_.base(), parked.takeSocket());
  conn->setSendTimeout(snapshot.config->timeouts.client_send);
  auto h1 = std::make_shared<http::Http1ServerConnection>(
      loop_, std::move(conn), parked.client(), snapshot.http, request_parser_, pipeline_,
      request_ids_, [this](http::ServerConnection* c) { onConnectionClosed(c); });
  http::Http1Parking& parking = *this;
  h1->setParking(parking);
  const Duration idle_left = parked.idleLeft();
  http::Http1ServerConnection* raw = h1.get();
  if (!replace(&parked, std::move(h1))) return;
  raw->resume(idle_left);
}

void Worker::closed(ParkedConnection& parked) {
  counters_.connections_parked.fetch_sub(1, std::memory_order_relaxed);
  onConnectionClosed(&parked);
}

bool Worker::replace(http::ServerConnection* current,
                     std::shared_ptr<http::ServerConnection> next) {
  http::ServerConnection* raw = next.get();
  auto it = connections_.find(current);
  if (it == connections_.end()) return false;  // not registered: nothing to take over
  OpenConnection entry = std::move(it->second);
  connections_.erase(it);
  loop_.deferDelete(std::move(entry.connection));  // somewhere up the call stack
  entry.connection = std::move(next);
  connections_.emplace(raw, std::move(entry));
  return true;
}

ConnectionLimiter::Slot Worker::retire(http::ServerConnection* conn) {
  // A hand-over (handshake -> codec): the client connection itself stays open.
  ConnectionLimiter::Slot slot;
  if (auto it = connections_.find(conn); it != connections_.end())
    slot = std::move(it->second.slot);
  counters_.connections_open.fetch_add(1, std::memory_order_relaxed);
  onConnectionClosed(conn);
  return slot;
}

void Worker::countExchange(const http::Exchange& exchange, const ExchangeEnd& end) {
  const http::ExchangeRecord& r = exchange.record();
  size_t cls = (r.status >= 100 && r.status < 600 && !(r.aborted && r.status == 499))
                   ? static_cast<size_t>(r.status / 100)
                   : 0;
  counters_.responses_by_class[cls].fetch_add(1, std::memory_order_relaxed);
  if (const uint16_t l = exchange.client().listener; l < counters_.responses_by_listener.size())
    counters_.responses_by_listener[l][cls].fetch_add(1, std::memory_order_relaxed);
  counters_.bytes_sent.fetch_add(r.bytes_sent, std::memory_order_relaxed);
  counters_.bytes_received.fetch_add(r.bytes_received, std::memory_order_relaxed);
  const uint64_t us = end.elapsedUs();
  counters_.duration_sum_us.fetch_add(us, std::memory_order_relaxed);
  size_t bucket = 0;
  while (bucket < TrafficCounters::kDurationBucketsMs.size() &&
         us > TrafficCounters::kDurationBucketsMs[bucket] * 1000)
    ++bucket;
  counters_.duration_buckets[bucket].fetch_add(1, std::memory_order_relaxed);
}

void Worker::adoptConnection(std::shared_ptr<http::ServerConnection> conn,
                             ConnectionLimiter::Slot slot) {
  http::ServerConnection* raw = conn.get();
  connections_.emplace(raw, OpenConnection{snapshot_, std::move(slot), std::move(conn)});
  raw->start();
}

void Worker::onConnectionClosed(http::ServerConnection* conn) {
  auto it = connections_.find(conn);
  if (it == connections_.end()) return;
  counters_.connections_open.fetch_sub(1, std::memory_order_relaxed);
  // The connection is somewhere up the call stack: free it after the callback returns.
  // Both go after the current callback: the connection may be on the stack, and its settings
  // live in its snapshot.
  loop_.deferDelete(std::move(it->second.connection));
  loop_.deferDelete(std::move(it->second.snapshot));
  connections_.erase(it);
  if (shutting_down_) maybeFinishShutdown();
}

void Worker::beginShutdown() {
  loop_.post([this] {
    if (shutting_down_) return;
    shutting_down_ = true;
    listeners_.clear();  // new connections to this worker are refused from now on
    std::vector<http::ServerConnection*> open;
    for (auto& [raw, conn] : connections_)
      open.push_back(raw);
    for (http::ServerConnection* c : open)
      c->beginShutdown();
    maybeFinishShutdown();
  });
}

void Worker::maybeFinishShutdown() {
  // Reached from the last connection's close, and again when beginShutdown's loop returns.
  if (!connections_.empty() || shutdown_finished_) return;
  shutdown_finished_ = true;
  log::debug("worker {}: all connections finished", index_);
  backend_connections_.closeAll();
  event_base_loopexit(loop_.base(), nullptr);
}

void Worker::forceStop() {
  loop_.stop();
}

void Worker::backendsChanged() {
  loop_.post([this] { backend_connections_.onBackendsChanged(); });
}

void Worker::ping(uint64_t beat) {
  loop_.post([this, beat] { heartbeat_.store(beat, std::memory_order_release); });
}

void Worker::updateSnapshot(std::shared_ptr<const Snapshot> next) {
  loop_.post([this, next = std::move(next)]() mutable {
    snapshot_ = std::move(next);
    pipeline_.update(snapshot_->router, snapshot_, snapshot_->backend_timeouts, snapshot_->cache);
    applySnapshotToPipeline();
    // Idle backend connections belong to the old pools' servers: let them go. Busy ones stay
    // with their exchanges, which keep the old snapshot alive.
    backend_connections_.closeAll();
    // Held requests may find a server in the new configuration.
    backend_connections_.holdQueue().wakeAll();
    // Each codec decides what a reload means for its connections (ServerConnection::onReload).
    // Collected first: a connection may close, and leave connections_, while told.
    std::vector<http::ServerConnection*> open;
    open.reserve(connections_.size());
    for (auto& [raw, entry] : connections_)
      open.push_back(raw);
    for (http::ServerConnection* c : open)
      c->onReload();
  });
}

}  // namespace gatehouse::server
