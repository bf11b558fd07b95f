#pragma once
// On a plain listener with h2c enabled: waits for the first bytes to tell HTTP/2 with prior
// knowledge (the connection preface "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", RFC 9113 §3.4) from
// HTTP/1.1, then hands the transport, bytes unconsumed, to the right codec. Bounded by
// client_header.

#include <functional>
#include <memory>

#include "proxy/base/duration.h"
#include "proxy/http/server_connection.h"
#include "proxy/net/tcp_connection.h"
#include "proxy/net/timer.h"

namespace gatehouse::server {

class PrefaceSniffer final : public http::ServerConnection, private net::TcpConnection::Handler {
 public:
  using OnDecided =
      std::function<void(PrefaceSniffer*, std::unique_ptr<net::TcpConnection>, bool http2)>;
  using OnFailed = std::function<void(PrefaceSniffer*)>;

  PrefaceSniffer(event_base* base, evutil_socket_t fd, Duration timeout, OnDecided on_decided,
                 OnFailed on_failed);
  void start() override;
  void beginShutdown() override { fail(); }

 private:
  void onReadable() override;
  void onDrained() override {}
  void onClose(net::TcpConnection::CloseReason) override { fail(); }
  void fail();

  std::unique_ptr<net::TcpConnection> conn_;
  net::Timer timer_;
  Duration timeout_;
  OnDecided on_decided_;
  OnFailed on_failed_;
  bool finished_ = false;
};

}  // namespace gatehouse::server
