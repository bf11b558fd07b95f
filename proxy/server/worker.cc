#include "proxy/server/worker.h"

#include <unistd.h>

#include "proxy/base/log.h"

namespace gatehouse::server {

Worker::Worker(unsigned index, std::shared_ptr<const Snapshot> snapshot, int access_log_fd)
    : index_(index),
      snapshot_(std::move(snapshot)),
      request_parser_(snapshot_->http.limits),
      access_log_(loop_.base(), access_log_fd, snapshot_->config->log.format),
      pipeline_(loop_, snapshot_->router, backend_connections_, snapshot_->backend_timeouts,
                [this](const http::Exchange& exchange) { access_log_.record(exchange); }) {}

Worker::~Worker() {
  join();
  listeners_.clear();
  connections_.clear();
  backend_connections_.closeAll();
  access_log_.flush();
}

Result<net::SocketAddress> Worker::listen(const net::SocketAddress& address) {
  auto listener = net::Listener::open(
      loop_.base(), address,
      [this](evutil_socket_t fd, const net::SocketAddress& peer) { accept(fd, peer); });
  if (!listener) return listener.error();
  net::SocketAddress bound = (*listener)->address();
  listeners_.push_back(std::move(*listener));
  return bound;
}

void Worker::start(std::function<void()> on_stopped) {
  thread_ = std::thread([this, on_stopped = std::move(on_stopped)] {
    loop_.run();
    access_log_.flush();
    on_stopped();
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::accept(evutil_socket_t fd, const net::SocketAddress& peer) {
  if (shutting_down_) {
    ::close(fd);
    return;
  }
  http::ClientInfo client{peer.ip(), peer.port(), false};
  adoptConnection(std::make_shared<http::Http1ServerConnection>(
      loop_, fd, std::move(client), snapshot_->http, request_parser_, pipeline_, request_ids_,
      [this](http::ServerConnection* c) { onConnectionClosed(c); }));
}

void Worker::adoptConnection(std::shared_ptr<http::ServerConnection> conn) {
  http::ServerConnection* raw = conn.get();
  connections_.emplace(raw, std::move(conn));
  raw->start();
}

void Worker::onConnectionClosed(http::ServerConnection* conn) {
  auto it = connections_.find(conn);
  if (it == connections_.end()) return;
  // The connection is somewhere up the call stack: free it after the callback returns.
  loop_.deferDelete(std::move(it->second));
  connections_.erase(it);
  if (shutting_down_) maybeFinishShutdown();
}

void Worker::beginShutdown() {
  loop_.post([this] {
    if (shutting_down_) return;
    shutting_down_ = true;
    listeners_.clear();  // new connections to this worker are refused from now on
    std::vector<http::ServerConnection*> open;
    for (auto& [raw, conn] : connections_) open.push_back(raw);
    for (http::ServerConnection* c : open) c->beginShutdown();
    maybeFinishShutdown();
  });
}

void Worker::maybeFinishShutdown() {
  if (!connections_.empty()) return;
  log::debug("worker {}: all connections finished", index_);
  backend_connections_.closeAll();
  event_base_loopexit(loop_.base(), nullptr);
}

void Worker::forceStop() { loop_.stop(); }

}  // namespace gatehouse::server
