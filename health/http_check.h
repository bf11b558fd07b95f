#pragma once
// The real active check (HAProxy's `option httpchk`): `GET health.path` on a fresh connection
// (Connection: close) to the server; the outcome is the status line's code when it arrives
// within `timeout`, else why not. Whether that status passes is the checker's business.

#include <memory>
#include <string>

#include "config/config.h"
#include "health/check.h"
#include "health/server.h"
#include "proxy/net/event_loop.h"
#include "proxy/net/tcp_connection.h"
#include "proxy/net/timer.h"

namespace gatehouse::health {

class HttpCheck final : public Check, private net::TcpConnection::Handler {
 public:
  // Connects at once; `config` and `server` outlive the check.
  HttpCheck(net::EventLoop& loop, const config::HealthCheckConfig& config, const Server& server,
            CheckDone done);
  ~HttpCheck() override;

 private:
  // net::TcpConnection::Handler
  void onConnected() override;
  void onReadable() override;
  void onDrained() override {}
  void onClose(net::TcpConnection::CloseReason reason) override;

  // Reports once; the connection is closed first (no more callbacks).
  void finish(CheckOutcome outcome);

  net::EventLoop& loop_;
  const config::HealthCheckConfig& config_;
  std::string host_;
  CheckDone done_;
  net::Timer deadline_;
  std::unique_ptr<net::TcpConnection> conn_;
  bool finished_ = false;
};

}  // namespace gatehouse::health
