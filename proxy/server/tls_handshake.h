#pragma once
// A client connection during its TLS handshake, before ALPN has chosen a codec. Bounded by
// client_header: a client that opens a socket and never finishes a handshake is dropped.
// Failed handshakes are counted and logged at debug level: on a public port they are noise
// (scanners, old clients), not errors.

#include <atomic>
#include <functional>
#include <memory>

#include "proxy/base/duration.h"
#include "proxy/http/server_connection.h"
#include "proxy/net/tcp_connection.h"
#include "proxy/net/timer.h"

namespace gatehouse::server {

class TlsHandshake final : public http::ServerConnection, private net::TcpConnection::Handler {
 public:
  // on_ready hands over the transport once the handshake is done; on_failed reports a
  // failure or timeout. Each is called at most once, and the worker then retires this object.
  using OnReady = std::function<void(TlsHandshake*, std::unique_ptr<net::TcpConnection>)>;
  using OnFailed = std::function<void(TlsHandshake*)>;

  TlsHandshake(event_base* base, evutil_socket_t fd, SSL* ssl, Duration timeout, OnReady on_ready,
               OnFailed on_failed);

  void start() override;
  void beginShutdown() override;

  static std::atomic<uint64_t> handshakes_total;
  static std::atomic<uint64_t> handshake_failures_total;
  static std::atomic<uint64_t> resumed_total;

 private:
  void onReadable() override {}
  void onDrained() override {}
  void onConnected() override;
  void onClose(net::TcpConnection::CloseReason reason) override;
  void fail(std::string_view why);

  std::unique_ptr<net::TcpConnection> conn_;
  net::Timer timer_;
  Duration timeout_;
  OnReady on_ready_;
  OnFailed on_failed_;
  bool finished_ = false;
};

}  // namespace gatehouse::server
